// Path arguments are bytes, as on Linux: no UTF-8 requirement (FilePathBytes keeps
// every byte through the engine to the system call).
import BSNN
import CBSNNSupport

func pathArgument(_ p: UnsafePointer<CChar>?, _ argument: String) throws -> String {
    guard let p else { throw invalid("\(argument): expected a NUL-terminated path, got NULL") }
    let bytes = UnsafeRawPointer(p).assumingMemoryBound(to: UInt8.self)
    var n = 0
    while bytes[n] != 0 { n += 1 }
    return FilePathBytes.string(UnsafeBufferPointer(start: bytes, count: n))
}
