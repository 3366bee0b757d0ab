// libFuzzer target: the IDX reader (plain, and gzip when the input starts 1f 8b), then
// the data-set builder on whatever parses, paired with a matching label file.
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
    guard let images = try? IDXReader.read(bytes: bytes, name: "fuzz") else { return 0 }
    // Labels 0..9 for at most 4096 samples keep one run cheap; a mismatch is an error path too.
    let n = min(images.dimensions.first ?? 0, 4096)
    var labelFile: [UInt8] = [0, 0, 8, 1, UInt8(n >> 24 & 0xFF), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)]
    labelFile += (0..<n).map { UInt8($0 % 10) }
    guard let labels = try? IDXReader.read(bytes: labelFile, name: "labels") else { return 0 }
    for scaling in [FeatureScaling.unitInterval, .none] {
        _ = try? Dataset.fromIDX(images: images, labels: labels, limit: bytes.count % 3 == 0 ? nil : 3, scaling: scaling)
    }
    _ = try? Dataset.fromIDX(images: images, labels: images)
    return 0
}
