// libFuzzer target: safetensors parsing, then the model and checkpoint loaders on
// whatever parses, both unverified and re-sealed with a valid checksum (so mutated
// metadata reaches field validation); aborts when a loader fails with anything but
// FORMAT (or PLUGIN/OUT_OF_MEMORY), i.e. when a field escaped validation.
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
    if !FuzzEntryPoints.safetensors(bytes) { abort() }
    return 0
}
