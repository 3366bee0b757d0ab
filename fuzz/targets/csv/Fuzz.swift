// libFuzzer target: the CSV reader. The first byte picks the options (label column,
// header mode, delimiter, task) so that every reader path is reachable from the input;
// aborts when a header row with a numeric cell is dropped or a cell with NUL parses.
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
    if !FuzzEntryPoints.csv(bytes) { abort() }
    return 0
}
