/// 64-bit FNV-1a over 32-bit words: the checksums a data-parallel run compares across
/// processes (model, optimizer state, configuration, data). Word-wise rather than
/// byte-wise, so hashing a 200 MB model costs a fraction of a step.
struct RunHash {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func mix(_ word: UInt64) { value = (value ^ word) &* 0x0000_0100_0000_01b3 }

    mutating func mix(_ v: Int) { mix(UInt64(bitPattern: Int64(v))) }

    mutating func mix(_ values: UnsafeBufferPointer<Float>) { for x in values { mix(UInt64(x.bitPattern)) } }

    mutating func mix(_ b: FloatBuffer) { mix(UnsafeBufferPointer(start: b.pointer, count: b.count)) }

    mutating func mix(_ text: String) { for byte in text.utf8 { mix(UInt64(byte)) } }
}
