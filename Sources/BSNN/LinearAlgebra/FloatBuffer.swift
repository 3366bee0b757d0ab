#if canImport(Glibc)
import Glibc
#endif

/// A 64-byte aligned, zero-initialised float array owned by the engine. Allocation goes
/// through `posix_memalign` so an impossible size becomes an `.outOfMemory` error
/// instead of a trap inside the host process.
public final class FloatBuffer: @unchecked Sendable {
    public let count: Int
    public let pointer: UnsafeMutablePointer<Float>

    public init(count: Int) throws {
        guard count >= 0 else {
            throw BSNNError.invalidArgument("buffer size: expected >= 0 floats, got \(count)")
        }
        let (bytes, overflow) = max(count, 1).multipliedReportingOverflow(by: MemoryLayout<Float>.stride)
        guard !overflow else {
            throw BSNNError.outOfMemory("buffer of \(count) floats: size overflows")
        }
        var raw: UnsafeMutableRawPointer?
        guard posix_memalign(&raw, 64, bytes) == 0, let r = raw else {
            throw BSNNError.outOfMemory("could not allocate \(bytes) bytes for \(count) floats")
        }
        memset(r, 0, bytes)
        self.count = count
        self.pointer = r.bindMemory(to: Float.self, capacity: max(count, 1))
    }

    /// A copy of `values`.
    public convenience init(_ values: [Float]) throws {
        try self.init(count: values.count)
        values.withUnsafeBufferPointer { src in
            if let b = src.baseAddress { pointer.update(from: b, count: values.count) }
        }
    }

    deinit { free(pointer) }

    public var buffer: UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: pointer, count: count)
    }

    public var array: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }

    public func fill(_ value: Float) { pointer.update(repeating: value, count: count) }

    public func copy(from other: FloatBuffer) {
        pointer.update(from: other.pointer, count: min(count, other.count))
    }
}
