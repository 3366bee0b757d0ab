#if canImport(Glibc)
import Glibc
#endif

/// A 64-byte aligned, zero-initialised float array owned by the engine. Allocation goes
/// through `MemoryBudget` so an impossible size becomes an `.outOfMemory` error
/// instead of a trap inside the host process.
/// Unchecked Sendable: `count` and `pointer` never change; who may write the floats, and
/// when, is the owner's rule (the model's `exclusiveChange`, per-call workspaces).
package final class FloatBuffer: @unchecked Sendable {
    package let count: Int
    package let pointer: UnsafeMutablePointer<Float>

    package init(count: Int, what: String = "float buffer") throws(BSNNError) {
        let bytes = try MemoryBudget.byteCount(count, elementSize: MemoryLayout<Float>.stride, what: what)
        let r = try MemoryBudget.allocate(bytes: bytes, alignment: 64, what: "\(what) of \(count) floats")
        self.count = count
        self.pointer = r.bindMemory(to: Float.self, capacity: max(count, 1))
    }

    /// A `rows × columns` matrix, the product overflow-checked.
    package convenience init(rows: Int, columns: Int, what: String = "float matrix") throws(BSNNError) {
        try self.init(count: try MemoryBudget.elementCount(rows, columns, what: what), what: what)
    }

    /// A copy of `values`.
    package convenience init(_ values: [Float]) throws(BSNNError) {
        try self.init(count: values.count)
        values.withUnsafeBufferPointer { src in
            if let b = src.baseAddress { pointer.update(from: b, count: values.count) }
        }
    }

    deinit { free(pointer) }

    package var buffer: UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: pointer, count: count)
    }

    /// The contents as a Swift array; `.outOfMemory` instead of a trap when it cannot be made.
    package func checkedArray(what: String = "copy of a float buffer") throws(BSNNError) -> [Float] {
        try MemoryBudget.checkArray(of: Float.self, count: count, what: what)
        return array
    }

    package var array: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }

    package func fill(_ value: Float) { pointer.update(repeating: value, count: count) }

    package func copy(from other: FloatBuffer) {
        pointer.update(from: other.pointer, count: min(count, other.count))
    }
}
