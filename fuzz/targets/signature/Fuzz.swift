// libFuzzer target: the libffi signature grammar ("double(double, double)" and kin).
// A parsed signature must print to text that parses back to the same signature.
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
    let text = String(decoding: bytes, as: UTF8.self)
    guard let sig = try? ForeignSignature.parse(text) else { return 0 }
    guard let again = try? ForeignSignature.parse(sig.description), again == sig else {
        // A round-trip failure is a bug in the grammar: make libFuzzer report it.
        abort()
    }
    return 0
}
