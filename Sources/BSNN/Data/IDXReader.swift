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
/// float64, which are rounded). With a sample limit, `dimensions[0]` is the number of
/// samples read and `fileSampleCount` the number the file declares.
public struct IDXArray: Sendable, Equatable {
    public let dimensions: [Int]
    public let elementType: IDXElementType
    public let values: [Float]
    public let fileSampleCount: Int

    init(dimensions: [Int], elementType: IDXElementType, values: [Float], fileSampleCount: Int? = nil) {
        self.dimensions = dimensions
        self.elementType = elementType
        self.values = values
        self.fileSampleCount = fileSampleCount ?? dimensions.first ?? 0
    }
}

/// Reader for IDX files (the MNIST / Fashion-MNIST format), plain or gzip-compressed.
public enum IDXReader {
    /// Most dimensions accepted; real files have 1 to 4, and the limit keeps a corrupt
    /// count byte from producing absurd messages.
    public static let maxDimensions = 16

    /// `limit` reads only the first samples (along the first dimension). A gzip file is
    /// then decompressed only that far, so damage after them goes unnoticed; without a
    /// limit the whole file is checked.
    public static func read(path: String, limit: Int? = nil) throws(BSNNError) -> IDXArray {
        try read(bytes: AtomicFile.read(path), name: path, limit: limit)
    }

    /// Parses an IDX file held in memory; gzip data (magic 1f 8b) is decompressed first.
    public static func read(bytes input: [UInt8], name: String, limit: Int? = nil) throws(BSNNError) -> IDXArray {
        try readCounting(bytes: input, name: name, limit: limit).array
    }

    /// The layout an IDX header declares.
    struct Header {
        let type: IDXElementType
        let dimensions: [Int]
        let size: Int
        /// Bytes per sample (the product of all dimensions but the first, times the element size).
        let sampleBytes: Int
        /// Header plus all data.
        let totalBytes: Int
    }

    /// Parses the header from the first bytes; nil while `bytes` is too short to tell.
    static func header(_ bytes: ArraySlice<UInt8>, name: String, complete: Bool) throws(BSNNError) -> Header? {
        let b = bytes.startIndex
        guard bytes.count >= 4 else {
            if !complete { return nil }
            throw BSNNError.format("\(name): truncated IDX header: expected at least 4 bytes, got \(bytes.count)")
        }
        guard bytes[b] == 0, bytes[b + 1] == 0 else {
            throw BSNNError.format("\(name): not an IDX file: expected magic bytes 00 00, got \(hex(bytes[b])) \(hex(bytes[b + 1]))")
        }
        guard let type = IDXElementType(rawValue: bytes[b + 2]) else {
            throw BSNNError.format("\(name): unknown IDX element type 0x\(hex(bytes[b + 2])) (expected 08, 09, 0b, 0c, 0d or 0e)")
        }
        let rank = Int(bytes[b + 3])
        guard rank >= 1, rank <= maxDimensions else {
            throw BSNNError.format("\(name): IDX dimension count: expected 1...\(maxDimensions), got \(rank)")
        }
        let headerSize = 4 + 4 * rank
        guard bytes.count >= headerSize else {
            if !complete { return nil }
            throw BSNNError.format("\(name): truncated IDX header: \(rank) dimensions need \(headerSize) bytes, got \(bytes.count)")
        }
        var dims = [Int]()
        var count = 1
        for i in 0..<rank {
            let o = b + 4 + 4 * i
            let d = Int(UInt32(bytes[o]) << 24 | UInt32(bytes[o + 1]) << 16 | UInt32(bytes[o + 2]) << 8 | UInt32(bytes[o + 3]))
            dims.append(d)
            let (p, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow else { throw BSNNError.format("\(name): IDX dimensions \(dims) overflow the element count") }
            count = p
        }
        var sampleElements = 1
        for d in dims.dropFirst() {
            let (p, overflow) = sampleElements.multipliedReportingOverflow(by: d)
            guard !overflow else { throw BSNNError.format("\(name): IDX dimensions \(dims) overflow the element count") }
            sampleElements = p
        }
        let (dataSize, o1) = count.multipliedReportingOverflow(by: type.byteSize)
        let (expected, o2) = dataSize.addingReportingOverflow(headerSize)
        let (sampleBytes, o3) = sampleElements.multipliedReportingOverflow(by: type.byteSize)
        guard !o1, !o2, !o3 else { throw BSNNError.format("\(name): IDX dimensions \(dims) overflow the byte count") }
        return Header(type: type, dimensions: dims, size: headerSize, sampleBytes: sampleBytes, totalBytes: expected)
    }

    /// `read`, also reporting how many bytes gzip decompression produced (the tests
    /// check that a decompression bomb is not inflated beyond what is needed).
    package static func readCounting(bytes input: [UInt8], name: String, limit: Int?) throws(BSNNError) -> (array: IDXArray, inflated: Int) {
        if let l = limit, l < 0 { throw BSNNError.invalidArgument("limit: expected ≥ 0, got \(l)") }
        /// Bytes needed for the header plus the samples kept.
        func needed(_ h: Header) -> Int {
            let n = h.dimensions[0]
            let keep = min(limit ?? n, n)
            return h.size + keep * h.sampleBytes  // ≤ totalBytes, which did not overflow
        }
        let bytes: [UInt8]
        let inflated: Int
        let gzip = input.count >= 2 && input[0] == 0x1F && input[1] == 0x8B
        if gzip {
            // The header, read from the first decompressed bytes, says how much output a
            // genuine file has; decompression stops there (or one chunk later, when a
            // stream longer than declared is detected) whatever the stream holds.
            var declared: Header?
            (bytes, inflated) = try Gzip.decompress(input, name: name) { (out) throws(BSNNError) in
                if declared == nil { declared = try header(out[...], name: name, complete: false) }
                guard let h = declared else { return nil }
                let n = needed(h)
                return n < h.totalBytes ? .stopAt(n) : .exactly(h.totalBytes)
            }
        } else {
            bytes = input
            inflated = 0
        }
        guard let h = try header(bytes[...], name: name, complete: true) else {
            throw BSNNError.format("\(name): truncated IDX header")
        }
        let partial = gzip && needed(h) < h.totalBytes
        if bytes.count < (partial ? needed(h) : h.totalBytes) {
            throw BSNNError.format(
                "\(name): truncated IDX file: dimensions \(h.dimensions) of \(h.type.byteSize)-byte elements need \(h.totalBytes) bytes, got \(bytes.count)")
        }
        if !partial && bytes.count > h.totalBytes {
            throw BSNNError.format(
                "\(name): IDX file has \(bytes.count - h.totalBytes) trailing bytes: dimensions \(h.dimensions) need \(h.totalBytes) bytes, got \(bytes.count)")
        }
        let keep = min(limit ?? h.dimensions[0], h.dimensions[0])
        var dims = h.dimensions
        dims[0] = keep
        let type = h.type
        let headerSize = h.size
        let dataSize = keep * h.sampleBytes
        let count = dataSize / type.byteSize
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
        return (IDXArray(dimensions: dims, elementType: type, values: values, fileSampleCount: h.dimensions[0]), inflated)
    }

    private static func hex(_ b: UInt8) -> String {
        b < 16 ? "0" + String(b, radix: 16) : String(b, radix: 16)
    }
}

/// In-memory gzip decompression with a bounded output size.
package enum Gzip {
    /// Deflate cannot expand data by more than ~1032:1, so a larger output means a
    /// malformed stream; the cap keeps a hostile file from exhausting memory.
    static let maxRatio = 1032
    package static let chunkSize = 1 << 16

    /// What the caller knows about the output size once it has seen its first bytes.
    enum Bound {
        /// Stop decompressing once this many bytes are out (the rest is not needed).
        case stopAt(Int)
        /// The stream must produce exactly this many bytes: more is an error as soon as
        /// it appears, so a bomb is never inflated past the size its header declared.
        case exactly(Int)
    }

    /// Decompresses `input`; `bound` is asked after every chunk until it returns a value.
    /// Returns the output (at most the bound) and the bytes inflated (at most the bound
    /// plus one chunk).
    static func decompress(
        _ input: [UInt8], name: String, limit: Int? = nil, bound: (([UInt8]) throws(BSNNError) -> Bound?)? = nil
    ) throws(BSNNError) -> (bytes: [UInt8], inflated: Int) {
        guard input.count <= Int(UInt32.max) else {
            throw BSNNError.format("\(name): gzip input of \(input.count) bytes is larger than zlib's 4 GiB limit per call")
        }
        let (ratioCap, overflow) = input.count.multipliedReportingOverflow(by: maxRatio)
        let cap = min(limit ?? Int.max, overflow ? Int.max : ratioCap + chunkSize)
        var strm = z_stream()
        guard inflateInit2_(&strm, 15 + 32, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw BSNNError.outOfMemory("\(name): zlib could not initialise a decompressor")
        }
        defer { inflateEnd(&strm) }
        var out = [UInt8]()
        var inflated = 0
        var known: Bound?
        var chunk = [UInt8](repeating: 0, count: chunkSize)
        try input.withUnsafeBufferPointer { (inBuf) throws(BSNNError) in
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
                inflated += produced
                guard out.count + produced <= cap else {
                    throw BSNNError.format("\(name): gzip data expands beyond the limit of \(cap) bytes")
                }
                out.append(contentsOf: chunk[0..<produced])
                if known == nil, let ask = bound {
                    known = try ask(out)
                    // The output's final size is known now: reserve it through the checked
                    // path, so a large declared size is OUT_OF_MEMORY, not a trap mid-append.
                    switch known {
                    case .stopAt(let n)?, .exactly(let n)?:
                        try MemoryBudget.checkArray(of: UInt8.self, count: min(n, cap), what: "\(name): decompressed IDX data")
                        out.reserveCapacity(min(n, cap))
                    case nil: break
                    }
                }
                switch known {
                case .stopAt(let n)? where out.count >= n:
                    out.removeSubrange(n...)
                    return
                case .exactly(let n)? where out.count > n:
                    throw BSNNError.format(
                        "\(name): gzip data expands beyond the \(n) bytes its IDX header declares (\(out.count) bytes so far); the file is corrupt or a decompression bomb")
                default:
                    break
                }
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
        return (out, inflated)
    }
}
