import CZlib

/// The element types of the IDX format (the third magic byte).
public enum IDXElementType: UInt8, Sendable {
    case uint8 = 0x08
    case int8 = 0x09
    case int16 = 0x0B
    case int32 = 0x0C
    case float32 = 0x0D
    case float64 = 0x0E

    public var byteSize: Int {
        switch self {
        case .uint8, .int8: return 1
        case .int16: return 2
        case .int32, .float32: return 4
        case .float64: return 8
        }
    }
}

/// An IDX array converted to Float (exact for all types except int32 beyond 2^24 and
/// float64, which are rounded).
public struct IDXArray: Sendable, Equatable {
    public let dimensions: [Int]
    public let elementType: IDXElementType
    public let values: [Float]
}

/// Reader for IDX files (the MNIST / Fashion-MNIST format), plain or gzip-compressed.
public enum IDXReader {
    /// Most dimensions accepted; real files have 1 to 4, and the limit keeps a corrupt
    /// count byte from producing absurd messages.
    public static let maxDimensions = 16

    public static func read(path: String) throws -> IDXArray {
        try read(bytes: AtomicFile.read(path), name: path)
    }

    /// Parses an IDX file held in memory; gzip data (magic 1f 8b) is decompressed first.
    public static func read(bytes input: [UInt8], name: String) throws -> IDXArray {
        let bytes: [UInt8]
        if input.count >= 2 && input[0] == 0x1F && input[1] == 0x8B {
            bytes = try Gzip.decompress(input, name: name)
        } else {
            bytes = input
        }
        guard bytes.count >= 4 else {
            throw BSNNError.format("\(name): truncated IDX header: expected at least 4 bytes, got \(bytes.count)")
        }
        guard bytes[0] == 0, bytes[1] == 0 else {
            throw BSNNError.format("\(name): not an IDX file: expected magic bytes 00 00, got \(hex(bytes[0])) \(hex(bytes[1]))")
        }
        guard let type = IDXElementType(rawValue: bytes[2]) else {
            throw BSNNError.format("\(name): unknown IDX element type 0x\(hex(bytes[2])) (expected 08, 09, 0b, 0c, 0d or 0e)")
        }
        let rank = Int(bytes[3])
        guard rank >= 1, rank <= maxDimensions else {
            throw BSNNError.format("\(name): IDX dimension count: expected 1...\(maxDimensions), got \(rank)")
        }
        let headerSize = 4 + 4 * rank
        guard bytes.count >= headerSize else {
            throw BSNNError.format("\(name): truncated IDX header: \(rank) dimensions need \(headerSize) bytes, got \(bytes.count)")
        }
        var dims = [Int]()
        var count = 1
        for i in 0..<rank {
            let o = 4 + 4 * i
            let d = Int(UInt32(bytes[o]) << 24 | UInt32(bytes[o + 1]) << 16 | UInt32(bytes[o + 2]) << 8 | UInt32(bytes[o + 3]))
            dims.append(d)
            let (p, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow else { throw BSNNError.format("\(name): IDX dimensions \(dims) overflow the element count") }
            count = p
        }
        let (dataSize, o1) = count.multipliedReportingOverflow(by: type.byteSize)
        let (expected, o2) = dataSize.addingReportingOverflow(headerSize)
        guard !o1, !o2 else { throw BSNNError.format("\(name): IDX dimensions \(dims) overflow the byte count") }
        if bytes.count < expected {
            throw BSNNError.format(
                "\(name): truncated IDX file: dimensions \(dims) of \(type.byteSize)-byte elements need \(expected) bytes, got \(bytes.count)")
        }
        if bytes.count > expected {
            throw BSNNError.format(
                "\(name): IDX file has \(bytes.count - expected) trailing bytes: dimensions \(dims) need \(expected) bytes, got \(bytes.count)")
        }
        var values = try MemoryBudget.array(repeating: Float(0), count: count, what: "\(name): IDX values \(dims)")
        bytes.withUnsafeBufferPointer { b in
            values.withUnsafeMutableBufferPointer { v in
                let d = b.baseAddress.map { UnsafeBufferPointer(start: $0 + headerSize, count: dataSize) } ?? UnsafeBufferPointer(start: nil, count: 0)
                // IDX is big-endian throughout.
                func u32(_ i: Int) -> UInt32 { UInt32(d[i]) << 24 | UInt32(d[i + 1]) << 16 | UInt32(d[i + 2]) << 8 | UInt32(d[i + 3]) }
                switch type {
                case .uint8: for i in 0..<count { v[i] = Float(d[i]) }
                case .int8: for i in 0..<count { v[i] = Float(Int8(bitPattern: d[i])) }
                case .int16: for i in 0..<count { v[i] = Float(Int16(bitPattern: UInt16(d[2 * i]) << 8 | UInt16(d[2 * i + 1]))) }
                case .int32: for i in 0..<count { v[i] = Float(Int32(bitPattern: u32(4 * i))) }
                case .float32: for i in 0..<count { v[i] = Float(bitPattern: u32(4 * i)) }
                case .float64:
                    for i in 0..<count {
                        let bits = UInt64(u32(8 * i)) << 32 | UInt64(u32(8 * i + 4))
                        v[i] = Float(Double(bitPattern: bits))
                    }
                }
            }
        }
        return IDXArray(dimensions: dims, elementType: type, values: values)
    }

    private static func hex(_ b: UInt8) -> String {
        b < 16 ? "0" + String(b, radix: 16) : String(b, radix: 16)
    }
}

/// In-memory gzip decompression with a bounded output size.
enum Gzip {
    /// Deflate cannot expand data by more than ~1032:1, so a larger output means a
    /// malformed stream; the cap keeps a hostile file from exhausting memory.
    static let maxRatio = 1032

    static func decompress(_ input: [UInt8], name: String, limit: Int? = nil) throws -> [UInt8] {
        guard input.count <= Int(UInt32.max) else {
            throw BSNNError.format("\(name): gzip input of \(input.count) bytes is larger than zlib's 4 GiB limit per call")
        }
        let (ratioCap, overflow) = input.count.multipliedReportingOverflow(by: maxRatio)
        let cap = min(limit ?? Int.max, overflow ? Int.max : ratioCap + (1 << 16))
        var strm = z_stream()
        guard inflateInit2_(&strm, 15 + 32, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw BSNNError.outOfMemory("\(name): zlib could not initialise a decompressor")
        }
        defer { inflateEnd(&strm) }
        var out = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        try input.withUnsafeBufferPointer { inBuf in
            guard let base = inBuf.baseAddress else { return }
            // zlib's next_in is not declared const, but inflate only reads from it.
            strm.next_in = UnsafeMutablePointer(mutating: base)
            strm.avail_in = UInt32(inBuf.count)
            while true {
                let rc = chunk.withUnsafeMutableBufferPointer { c -> Int32 in
                    strm.next_out = c.baseAddress
                    strm.avail_out = UInt32(c.count)
                    return inflate(&strm, Z_NO_FLUSH)
                }
                let produced = chunk.count - Int(strm.avail_out)
                guard out.count + produced <= cap else {
                    throw BSNNError.format("\(name): gzip data expands beyond the limit of \(cap) bytes")
                }
                out.append(contentsOf: chunk[0..<produced])
                switch rc {
                case Z_OK:
                    continue
                case Z_STREAM_END:
                    let rest = Int(strm.avail_in)
                    if rest == 0 { return }
                    let at = inBuf.count - rest
                    // Concatenated gzip members are legal (what `cat a.gz b.gz` gives).
                    if rest >= 2 && inBuf[at] == 0x1F && inBuf[at + 1] == 0x8B {
                        inflateReset(&strm)
                        continue
                    }
                    throw BSNNError.format("\(name): \(rest) trailing bytes after the gzip stream (at byte \(at))")
                case Z_BUF_ERROR:
                    // No progress with output space available: the input ended early.
                    throw BSNNError.format(
                        "\(name): truncated gzip stream: input ended after \(inBuf.count) bytes (\(out.count) bytes decompressed)")
                case Z_MEM_ERROR:
                    throw BSNNError.outOfMemory("\(name): zlib ran out of memory while decompressing")
                default:
                    let msg = strm.msg.map { String(cString: $0) } ?? "error \(rc)"
                    throw BSNNError.format("\(name): corrupt gzip data: \(msg)")
                }
            }
        }
        return out
    }
}
