/// A safetensors file (https://huggingface.co/docs/safetensors): an 8-byte little-endian
/// header length N, N bytes of JSON header, then the data buffer. bsnn stores only F32
/// tensors, so numpy/PyTorch users can read its weights with stock tools.
public struct SafeTensorsFile: Sendable {
    /// One named F32 tensor; `values.count` always equals the product of `shape`.
    public struct Tensor: Sendable {
        public let name: String
        public let shape: [Int]
        public let values: [Float]

        public init(name: String, shape: [Int], values: [Float]) throws(BSNNError) {
            guard !name.isEmpty else { throw BSNNError.invalidArgument("tensor name: expected a non-empty string") }
            guard name != SafeTensorsFile.metadataKey else {
                throw BSNNError.invalidArgument("tensor name: '\(name)' is reserved for metadata")
            }
            guard let count = SafeTensorsFile.elementCount(shape) else {
                throw BSNNError.invalidArgument("tensor '\(name)' shape \(shape): expected non-negative dimensions with a product that fits in memory")
            }
            guard count == values.count else {
                throw BSNNError.shapeMismatch("tensor '\(name)': shape \(shape) needs \(count) values, got \(values.count)")
            }
            self.name = name
            self.shape = shape
            self.values = values
        }

        /// True when both tensors have the same name, shape and bit patterns (so NaN
        /// payloads and -0.0 count, unlike `==` on Float).
        public func isBitwiseEqual(to other: Tensor) -> Bool {
            name == other.name && shape == other.shape && values.count == other.values.count
                && zip(values, other.values).allSatisfy { $0.bitPattern == $1.bitPattern }
        }
    }

    public static let metadataKey = "__metadata__"
    /// Metadata key holding the CRC-32 of the file's canonical content (see
    /// `canonicalChecksum`), written by `serialized()` and verified whenever present.
    public static let checksumKey = "bsnn.checksum"
    /// The key of bsnn 0.1's checksum, a CRC-32 of the data buffer only (the header was
    /// not covered). Still verified when present; such a file counts as unverified.
    public static let legacyChecksumKey = "bsnn.crc32"
    /// Headers beyond this are refused before allocating (the Rust reference uses 100 MB).
    public static let maxHeaderLength = 100_000_000

    /// In file order (the order of their data in the buffer).
    public private(set) var tensors: [Tensor]
    /// String metadata; the checksum keys are managed by the reader/writer and never appear here.
    public var metadata: [String: String]
    /// True when the file read carried `bsnn.checksum` and it matched its content, so every
    /// metadata value and tensor byte is as bsnn wrote it. False for built files and for
    /// files without the checksum (written by another tool or by bsnn 0.1).
    public private(set) var hasVerifiedChecksum = false

    public init(tensors: [Tensor] = [], metadata: [String: String] = [:]) throws(BSNNError) {
        self.tensors = []
        self.metadata = metadata
        for t in tensors { try append(t) }
    }

    public mutating func append(_ tensor: Tensor) throws(BSNNError) {
        guard self[tensor.name] == nil else {
            throw BSNNError.invalidArgument("tensor name '\(tensor.name)': expected unique names, got a duplicate")
        }
        tensors.append(tensor)
    }

    public mutating func append(name: String, shape: [Int], values: [Float]) throws(BSNNError) {
        try append(Tensor(name: name, shape: shape, values: values))
    }

    public subscript(name: String) -> Tensor? { tensors.first(where: { $0.name == name }) }

    static func elementCount(_ shape: [Int]) -> Int? {
        var n = 1
        for d in shape {
            guard d >= 0 else { return nil }
            let (p, o) = n.multipliedReportingOverflow(by: d)
            guard !o else { return nil }
            n = p
        }
        // Byte size must fit as well.
        guard !n.multipliedReportingOverflow(by: 4).overflow else { return nil }
        return n
    }

    // MARK: Writing

    /// The file's bytes: tensors in stored order, little-endian F32, header padded with
    /// spaces so the data buffer starts 8-byte aligned (what the spec recommends).
    public func serialized() throws(BSNNError) -> [UInt8] {
        var dataSize = 0
        for t in tensors { dataSize += t.values.count * 4 }
        var data = [UInt8]()
        try MemoryBudget.checkArray(of: UInt8.self, count: dataSize, what: "serialization buffer")
        data.reserveCapacity(dataSize)
        var entries = [JSONMember]()
        let content = metadata.filter { $0.key != Self.checksumKey && $0.key != Self.legacyChecksumKey }
        var meta = content.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            .map { JSONMember($0.key, .string($0.value)) }
        var spans = [(name: String, shape: [Int], begin: Int, end: Int)]()
        for t in tensors {
            let begin = data.count
            for v in t.values {
                let b = v.bitPattern.littleEndian
                data.append(UInt8(truncatingIfNeeded: b))
                data.append(UInt8(truncatingIfNeeded: b >> 8))
                data.append(UInt8(truncatingIfNeeded: b >> 16))
                data.append(UInt8(truncatingIfNeeded: b >> 24))
            }
            spans.append((t.name, t.shape, begin, data.count))
            entries.append(JSONMember(t.name, .object([
                JSONMember("dtype", .string("F32")),
                JSONMember("shape", .array(t.shape.map { .number(Double($0)) })),
                JSONMember("data_offsets", .array([.number(Double(begin)), .number(Double(data.count))])),
            ])))
        }
        let crc = Self.canonicalChecksum(metadata: content, tensors: spans, data: data[...])
        meta.append(JSONMember(Self.checksumKey, .string(CRC32.hex(crc))))
        let header = JSONValue.object([JSONMember(Self.metadataKey, .object(meta))] + entries)
        var headerBytes = Array(header.serialized().utf8)
        while headerBytes.count % 8 != 0 { headerBytes.append(0x20) }
        var out = [UInt8]()
        try MemoryBudget.checkArray(of: UInt8.self, count: 8 + headerBytes.count + data.count, what: "serialized file")
        out.reserveCapacity(8 + headerBytes.count + data.count)
        let n = UInt64(headerBytes.count)
        for i in 0..<8 { out.append(UInt8(truncatingIfNeeded: n >> (8 * UInt64(i)))) }
        out += headerBytes
        out += data
        return out
    }

    /// Writes the file atomically (see `AtomicFile.write`).
    public func write(to path: String) throws(BSNNError) {
        try AtomicFile.write(serialized(), to: path)
    }

    // MARK: Reading

    public static func read(path: String) throws(BSNNError) -> SafeTensorsFile {
        try SafeTensorsFile(bytes: AtomicFile.read(path), name: path)
    }

    /// Parses and validates a whole file; any violation of the format throws `.format`
    /// naming `name`, the offending tensor and the expected and actual values.
    public init(bytes: [UInt8], name: String = "safetensors data") throws(BSNNError) {
        try self.init(bytes: bytes, name: name, verifyingChecksum: true)
    }

    /// `verifyingChecksum: false` exists for the fuzzer only: mutated tensor bytes would
    /// otherwise never get past the CRC and the loaders behind it would go untested.
    package init(bytes: [UInt8], name: String, verifyingChecksum: Bool) throws(BSNNError) {
        func bad(_ what: String) -> BSNNError { .format("\(name): \(what)") }
        guard bytes.count >= 8 else {
            throw bad("expected at least 8 bytes (the header length), got \(bytes.count)")
        }
        var n64: UInt64 = 0
        for i in 0..<8 { n64 |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        // A length beyond the file or the limit, with no JSON object after it, is not a
        // damaged safetensors file but some other file: say so rather than quote the
        // first 8 bytes of a text file as a length.
        let looksLikeHeader = bytes.count > 8 && bytes[8] == UInt8(ascii: "{")
        guard n64 <= UInt64(Self.maxHeaderLength) else {
            guard looksLikeHeader else {
                throw bad("not a safetensors file (its first 8 bytes are no header length and no JSON header follows)")
            }
            throw bad("header length \(n64) exceeds the limit of \(Self.maxHeaderLength) bytes")
        }
        let headerLength = Int(n64)
        guard headerLength <= bytes.count - 8 else {
            guard looksLikeHeader else {
                throw bad("not a safetensors file (header length \(headerLength) is beyond the file's \(bytes.count) bytes and no JSON header follows)")
            }
            throw bad("header length \(headerLength) needs \(8 + headerLength) bytes, but the file has \(bytes.count)")
        }
        guard headerLength >= 2, bytes[8] == UInt8(ascii: "{") else {
            throw bad("expected the header to be a JSON object starting with '{'")
        }
        let header = try JSONParser.parse(Array(bytes[8..<(8 + headerLength)]), name: "\(name) header")
        guard let members = header.objectValue else {
            throw bad("expected the header to be a JSON object, got \(header.kindName)")
        }
        let dataStart = 8 + headerLength
        let dataSize = bytes.count - dataStart

        var metadata = [String: String]()
        var storedChecksum: String?
        var legacyChecksum: String?
        var layout = [(name: String, shape: [Int], begin: Int, end: Int)]()
        for m in members {
            if m.key == Self.metadataKey {
                guard let meta = m.value.objectValue else {
                    throw bad("\(Self.metadataKey): expected an object of strings, got \(m.value.kindName)")
                }
                for e in meta {
                    guard let s = e.value.stringValue else {
                        throw bad("\(Self.metadataKey)[\"\(e.key)\"]: expected a string, got \(e.value.kindName)")
                    }
                    if e.key == Self.checksumKey {
                        storedChecksum = s
                    } else if e.key == Self.legacyChecksumKey {
                        legacyChecksum = s
                    } else {
                        metadata[e.key] = s
                    }
                }
                continue
            }
            let t = "tensor '\(m.key)'"
            guard !m.key.isEmpty else { throw bad("tensor names must not be empty") }
            guard let entry = m.value.objectValue else { throw bad("\(t): expected an object, got \(m.value.kindName)") }
            if let extra = entry.first(where: { !["dtype", "shape", "data_offsets"].contains($0.key) }) {
                throw bad("\(t): unexpected key \"\(extra.key)\" (expected dtype, shape, data_offsets)")
            }
            guard let dtype = m.value["dtype"] else { throw bad("\(t): missing \"dtype\"") }
            guard let dt = dtype.stringValue else { throw bad("\(t): dtype: expected a string, got \(dtype.kindName)") }
            guard dt == "F32" else {
                throw bad("\(t): dtype \(dt) is not supported; bsnn reads only F32 tensors (convert with tensor.float() / astype(float32))")
            }
            guard let shapeValue = m.value["shape"] else { throw bad("\(t): missing \"shape\"") }
            guard let shapeArray = shapeValue.arrayValue else {
                throw bad("\(t): shape: expected an array, got \(shapeValue.kindName)")
            }
            var shape = [Int]()
            for (i, d) in shapeArray.enumerated() {
                guard let v = d.intValue, v >= 0 else {
                    throw bad("\(t): shape[\(i)]: expected a non-negative integer, got \(d.serialized())")
                }
                shape.append(v)
            }
            guard let offsetsValue = m.value["data_offsets"] else { throw bad("\(t): missing \"data_offsets\"") }
            guard let offsets = offsetsValue.arrayValue, offsets.count == 2,
                let begin = offsets[0].intValue, let end = offsets[1].intValue
            else {
                throw bad("\(t): data_offsets: expected [begin, end] integers, got \(offsetsValue.serialized())")
            }
            guard begin >= 0, begin <= end, end <= dataSize else {
                throw bad("\(t): data_offsets [\(begin), \(end)] must satisfy 0 ≤ begin ≤ end ≤ \(dataSize) (the data buffer size)")
            }
            guard let count = Self.elementCount(shape) else {
                throw bad("\(t): shape \(shape) has too many elements")
            }
            guard count * 4 == end - begin else {
                throw bad("\(t): shape \(shape) needs \(count) × 4 = \(count * 4) bytes, but data_offsets span \(end - begin)")
            }
            layout.append((m.key, shape, begin, end))
        }

        // The spec requires the tensors to tile the data buffer exactly: no overlaps
        // (two names sharing bytes) and no gaps (hidden data).
        layout.sort { ($0.begin, $0.end) < ($1.begin, $1.end) }
        var cursor = 0
        for l in layout {
            if l.begin < cursor {
                throw bad("tensor '\(l.name)': data_offsets [\(l.begin), \(l.end)] overlap the previous tensor, which ends at \(cursor)")
            }
            if l.begin > cursor {
                throw bad("tensor '\(l.name)': data_offsets start at \(l.begin), leaving a gap after byte \(cursor) of the data buffer")
            }
            cursor = l.end
        }
        guard cursor == dataSize else {
            throw bad("the tensors cover \(cursor) bytes of the data buffer, but it has \(dataSize) (trailing bytes)")
        }

        var verified = false
        if verifyingChecksum, let stored = storedChecksum {
            let actual = CRC32.hex(Self.canonicalChecksum(metadata: metadata, tensors: layout, data: bytes[dataStart...]))
            // Exactly what the writer produces: "A" for "a" would be harmless, but a
            // second spelling of the same checksum is a needless ambiguity.
            guard stored == actual else {
                throw bad("checksum mismatch: metadata \"\(Self.checksumKey)\" is \"\(stored.prefix(40))\", the content has \(actual); the file is corrupted")
            }
            verified = true
        } else if verifyingChecksum, let stored = legacyChecksum {
            let actual = CRC32.hex(CRC32.checksum(bytes[dataStart...]))
            guard stored == actual else {
                throw bad("checksum mismatch: metadata \"\(Self.legacyChecksumKey)\" is \"\(stored.prefix(40))\", the data has \(actual); the file is corrupted")
            }
        }

        var tensors = [Tensor]()
        tensors.reserveCapacity(layout.count)
        for l in layout {
            var values = [Float]()
            try MemoryBudget.checkArray(of: Float.self, count: (l.end - l.begin) / 4, what: "tensor '\(l.name)'")
            values.reserveCapacity((l.end - l.begin) / 4)
            var i = dataStart + l.begin
            let stop = dataStart + l.end
            while i < stop {
                let bits = UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24
                values.append(Float(bitPattern: bits))
                i += 4
            }
            tensors.append(try Tensor(name: l.name, shape: l.shape, values: values))
        }
        self.tensors = tensors
        self.metadata = metadata
        self.hasVerifiedChecksum = verified
    }

    // MARK: Checksum

    /// CRC-32 of the file's meaning, independent of how the header happens to be laid
    /// out: JSON whitespace, escapes, member order and the tensors' order in the data
    /// buffer do not count, so a stock safetensors writer (which sorts tensors and
    /// formats JSON its own way) writing the same tensors and metadata produces a file
    /// that still verifies. The checksummed byte string is
    ///
    ///     "bsnn-canonical-1\n"
    ///     u64 n, then n × (u64 len, key UTF-8, u64 len, value UTF-8)   metadata sorted by key bytes,
    ///                                                                   without the checksum keys
    ///     u64 m, then m × (u64 len, name UTF-8, u64 len, "F32", u64 rank, rank × u64 dim,
    ///                      u64 len, tensor bytes)                      tensors sorted by name bytes
    ///
    /// with every u64 little-endian. Any bit of metadata, dtype, shape or data that
    /// changes is therefore caught, and so is a tensor renamed or moved to another name.
    static func canonicalChecksum(
        metadata: [String: String], tensors: [(name: String, shape: [Int], begin: Int, end: Int)], data: ArraySlice<UInt8>
    ) -> UInt32 {
        var crc = CRC32()
        func u64(_ v: Int) {
            let u = UInt64(truncatingIfNeeded: v)
            crc.update((0..<8).map { UInt8(truncatingIfNeeded: u >> (8 * UInt64($0))) })
        }
        func text(_ s: String) {
            u64(s.utf8.count)
            crc.update(s.utf8)
        }
        crc.update("bsnn-canonical-1\n".utf8)
        let keys = metadata.keys.filter { $0 != checksumKey && $0 != legacyChecksumKey }
            .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        u64(keys.count)
        for k in keys {
            text(k)
            text(metadata[k] ?? "")
        }
        u64(tensors.count)
        for t in tensors.sorted(by: { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }) {
            text(t.name)
            text("F32")
            u64(t.shape.count)
            for d in t.shape { u64(d) }
            u64(t.end - t.begin)
            let start = data.startIndex + t.begin
            crc.update(data[start..<(start + t.end - t.begin)])
        }
        return crc.value
    }
}
