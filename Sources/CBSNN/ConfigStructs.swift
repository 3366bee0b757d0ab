// Versioned config structs: every struct a caller passes in starts with `size`, the
// caller's sizeof. Init writes only that many bytes and readers copy only that many, so a
// program built against an older (smaller) header never has bytes written past its struct,
// and one built against a newer header than the library is refused instead of misread.
import BSNN
import CBSNNSupport

/// The end of `field` in `T`: the size a struct had in the release whose last field it was.
func structSize<T, F>(through field: KeyPath<T, F>) -> Int {
    (MemoryLayout<T>.offset(of: field) ?? MemoryLayout<T>.size - MemoryLayout<F>.size) + MemoryLayout<F>.size
}

/// Checks a caller's struct size against the sizes this library knows (`minimum`, the
/// 0.1 size, up to its own sizeof).
func checkStructSize<T>(_ given: Int, _ type: T.Type, minimum: Int, structName: String, argument: String) throws {
    let full = MemoryLayout<T>.size
    guard given >= minimum, given <= full else {
        let range = minimum == full ? "\(full)" : "\(minimum)...\(full)"
        throw invalid(
            "\(argument): expected sizeof(\(structName)) of a bsnn.h this library supports (\(range) bytes), got \(UInt(bitPattern: given))\(given > full ? "; this library is older than your bsnn.h" : "")")
    }
}

/// `*_init_defaults(config, size)`: writes the first `size` bytes of `defaults` with its
/// `size` field set to `size`.
func initConfig<T>(
    _ p: UnsafeMutablePointer<T>?, _ size: Int, defaults: T, minimum: Int, structName: String
) throws {
    guard let p else { throw invalid("config: expected a pointer to a \(structName), got NULL") }
    try checkStructSize(size, T.self, minimum: minimum, structName: structName, argument: "size")
    var value = defaults
    withUnsafeMutableBytes(of: &value) { $0.storeBytes(of: size, toByteOffset: 0, as: Int.self) }
    writeConfig(value, to: p, byteCount: size)
}

/// Writes exactly the first `byteCount` bytes of `value` (the caller's struct size) to `p`.
func writeConfig<T>(_ value: T, to p: UnsafeMutablePointer<T>, byteCount: Int) {
    withUnsafeBytes(of: value) { src in
        if let s = src.baseAddress { UnsafeMutableRawPointer(p).copyMemory(from: s, byteCount: byteCount) }
    }
}

/// Reads a struct whose first field is its `size`; NULL gives `defaults`. Bytes past the
/// caller's size (fields newer than its header) keep their defaults.
func readConfig<T>(
    _ p: UnsafePointer<T>?, defaults: T, minimum: Int, structName: String, argument: String
) throws -> T {
    guard let p else { return defaults }
    let raw = UnsafeRawPointer(p)
    let given = raw.loadUnaligned(as: Int.self)
    do {
        try checkStructSize(given, T.self, minimum: minimum, structName: structName, argument: "\(argument)->size")
    } catch let e as BSNNError {
        throw invalid("\(e.message); call \(structName)_init_defaults(&c, sizeof c) first")
    }
    var value = defaults
    withUnsafeMutableBytes(of: &value) { dst in
        if let d = dst.baseAddress { d.copyMemory(from: raw, byteCount: given) }
    }
    return value
}
