// libFuzzer target: the CSV reader. The first byte picks the options (label column,
// header mode, delimiter, task) so that every reader path is reachable from the input.
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
    let all = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    guard let mode = all.first else { return 0 }
    let bytes = Array(all.dropFirst())
    _ = try? CSVReader.read(bytes: bytes, name: "fuzz")
    let headers: [CSVOptions.Header] = [.auto, .present, .absent]
    let delimiters: [Character] = [",", ";", "\t", " "]
    let task: CSVOptions.Task = mode & 0x40 != 0 ? .regression : .classification(classCount: mode & 0x80 != 0 ? Int(mode & 7) : nil)
    let labelColumn = Int(mode & 3) - 2
    if let options = try? CSVOptions(
        labelColumn: labelColumn, header: headers[Int(mode >> 2 & 3) % 3], delimiter: delimiters[Int(mode >> 4 & 3)], task: task)
    {
        _ = try? CSVReader.read(bytes: bytes, name: "fuzz", options: options)
    }
    return 0
}
