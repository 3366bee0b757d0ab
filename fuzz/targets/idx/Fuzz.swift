// libFuzzer target: the IDX reader (plain, and gzip when the input starts 1f 8b), with
// and without a sample limit, then the data-set builder on whatever parses, paired with
// a matching label file; aborts when gzip data is inflated past header + kept samples.
import BSNNFuzzing
import CFuzzDriver
import Glibc

@main enum Main {
    static func main() {
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzOne(data, size) })
    }
}

/// The body lives in BSNNFuzzing's FuzzEntryPoints so that XCTest replays regressions through it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    // An invariant failure is a bug: abort so that libFuzzer saves the input.
    if !FuzzEntryPoints.idx(bytes) { abort() }
    return 0
}
