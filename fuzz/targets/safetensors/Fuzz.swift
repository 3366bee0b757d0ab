// libFuzzer target: safetensors parsing, then the model and checkpoint loaders on
// whatever parses (checksum not verified, so mutated tensor bytes reach the loaders).
@testable import BSNN
import CFuzzDriver
import Glibc

@main enum Main {
    static func main() {
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzOne(data, size) })
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    _ = try? SafeTensorsFile(bytes: bytes, name: "fuzz")
    guard let file = try? SafeTensorsFile(bytes: bytes, name: "fuzz", verifyingChecksum: false) else { return 0 }
    if let model = try? ModelFile.model(from: file, name: "fuzz", expectedKind: "model", options: .init()) {
        // A loaded model must be usable: one forward pass on zeros.
        let x = [Float](repeating: 0, count: model.configuration.inputs * 2)
        _ = try? model.predict(x)
    }
    _ = try? Checkpoint.trainer(from: file, name: "fuzz", options: .init())
    return 0
}
