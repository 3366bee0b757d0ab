#if canImport(Glibc)
import Glibc
#endif

/// Reading an input from standard input (`-` on the command line) through the same
/// checked parsers as files: the bytes are read to EOF within the memory budget, then
/// handed to the format's reader.
public enum StandardInput {
    /// All of standard input. A terminal is refused (it would wait for typing that
    /// nobody expects to have to do).
    public static func readAll(what: String) throws(BSNNError) -> [UInt8] {
        if isatty(STDIN_FILENO) == 1 {
            throw BSNNError.invalidArgument("\(what): standard input is a terminal; pipe or redirect the data into it")
        }
        var result = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(STDIN_FILENO, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw BSNNError.io("\(what): cannot read standard input: \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            let (total, overflow) = result.count.addingReportingOverflow(n)
            guard !overflow else { throw BSNNError.outOfMemory("\(what): standard input is larger than memory") }
            // Grows geometrically like the array will, so the check covers the real peak.
            if total > result.capacity { try MemoryBudget.checkArray(of: UInt8.self, count: max(total, result.capacity * 2), what: "\(what) (standard input)") }
            result.append(contentsOf: chunk[0..<n])
        }
        return result
    }
}

extension ModelFile {
    /// `load(_:options:)` for a model file's bytes (read from standard input), `name`
    /// naming it in errors.
    public static func load(bytes: [UInt8], name: String, options: LoadOptions = LoadOptions()) throws(BSNNError) -> MLP {
        try model(from: try SafeTensorsFile(bytes: bytes, name: name), name: name, expectedKind: "model", options: options)
    }
}
