import XCTest

@testable import BSNN

final class SafeTensorsTests: XCTestCase {
    func sample() throws -> SafeTensorsFile {
        let weird: [Float] = [
            -0.0, 0.0, .infinity, -.infinity, Float(bitPattern: 0x7FC0_1234), Float(bitPattern: 0xFF80_0001),
            .leastNonzeroMagnitude, .greatestFiniteMagnitude,
        ]
        return try SafeTensorsFile(
            tensors: [
                .init(name: "layer.0.weight", shape: [2, 4], values: weird),
                .init(name: "bias", shape: [3], values: [1, 2.5, -3]),
                .init(name: "empty", shape: [0, 5], values: []),
                .init(name: "scalar", shape: [], values: [7]),
            ],
            metadata: ["format": "bsnn", "arch": "{\"depth\":200}"])
    }

    func assertBitwiseEqual(_ a: SafeTensorsFile, _ b: SafeTensorsFile, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.tensors.count, b.tensors.count, file: file, line: line)
        for (x, y) in zip(a.tensors, b.tensors) { XCTAssertTrue(x.isBitwiseEqual(to: y), "\(x.name)", file: file, line: line) }
        XCTAssertEqual(a.metadata, b.metadata, file: file, line: line)
    }

    func testRoundTripIsBitExact() throws {
        let f = try sample()
        let bytes = try f.serialized()
        XCTAssertEqual((bytes.count - 8) % 8, 0)
        let n = bytes[0..<8].reversed().reduce(0) { $0 << 8 | Int($1) }
        XCTAssertEqual(n % 8, 0, "data buffer is 8-byte aligned")
        let g = try SafeTensorsFile(bytes: bytes)
        assertBitwiseEqual(f, g)
        XCTAssertEqual(g.tensors.map(\.name), ["layer.0.weight", "bias", "empty", "scalar"])
        XCTAssertEqual(try g.serialized(), bytes, "serialization is deterministic")
        XCTAssertEqual(g["layer.0.weight"]?.values[4].bitPattern, 0x7FC0_1234)
    }

    func testFileRoundTrip() throws {
        let dir = try makeTempDirectory()
        defer { removeTree(dir) }
        let f = try sample()
        try f.write(to: dir + "/m.safetensors")
        assertBitwiseEqual(f, try SafeTensorsFile.read(path: dir + "/m.safetensors"))
        assertThrowsKind(ioKind, try SafeTensorsFile.read(path: dir + "/none.safetensors"))
    }

    /// Builds a file by hand exactly as the spec describes it (no checksum).
    func handBuilt(_ header: String, data: [UInt8], pad: Bool = false) -> [UInt8] {
        var h = Array(header.utf8)
        if pad { while h.count % 8 != 0 { h.append(0x20) } }
        var out = (0..<8).map { UInt8(truncatingIfNeeded: h.count >> (8 * $0)) }
        out += h
        out += data
        return out
    }

    func le(_ values: [Float]) -> [UInt8] {
        values.flatMap { v in (0..<4).map { UInt8(truncatingIfNeeded: v.bitPattern >> (8 * UInt32($0))) } }
    }

    func testParsesHandBuiltSpecFile() throws {
        let header = #"{"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},"a":{"dtype":"F32","shape":[2,1],"data_offsets":[0,8]},"__metadata__":{"k":"v"}}"#
        let f = try SafeTensorsFile(bytes: handBuilt(header, data: le([1.5, -2, 3]), pad: true))
        XCTAssertEqual(f.tensors.map(\.name), ["a", "b"], "data order")
        XCTAssertEqual(f["a"]?.shape, [2, 1])
        XCTAssertEqual(f["a"]?.values, [1.5, -2])
        XCTAssertEqual(f["b"]?.values, [3])
        XCTAssertEqual(f.metadata, ["k": "v"])
        // Minimal file: empty header object, no data.
        XCTAssertEqual(try SafeTensorsFile(bytes: handBuilt("{}", data: [])).tensors.count, 0)
    }

    func testCorruptionCatalogue() throws {
        let t = #""t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}"#
        let data = le([1, 2])
        let cases: [(String, [UInt8], String)] = [
            ("bad JSON", handBuilt("{\(t),}", data: data), "invalid JSON"),
            ("not an object", handBuilt("[1]", data: data), "'{'"),
            ("wrong dtype", handBuilt(#"{"t":{"dtype":"F16","shape":[4],"data_offsets":[0,8]}}"#, data: data), "F16 is not supported"),
            ("missing dtype", handBuilt(#"{"t":{"shape":[2],"data_offsets":[0,8]}}"#, data: data), "missing \"dtype\""),
            ("negative shape", handBuilt(#"{"t":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}"#, data: data), "non-negative integer"),
            ("fractional shape", handBuilt(#"{"t":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}}"#, data: data), "non-negative integer"),
            ("shape/bytes mismatch", handBuilt(#"{"t":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, data: data), "needs 3 × 4 = 12 bytes"),
            ("offsets outside", handBuilt(#"{"t":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, data: data), "≤ 8"),
            ("reversed offsets", handBuilt(#"{"t":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}}"#, data: data), "begin ≤ end"),
            ("overlap", handBuilt(#"{"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"u":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, data: data), "overlap"),
            ("gap", handBuilt(#"{"t":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, data: data), "gap"),
            ("trailing", handBuilt("{\(t)}", data: data + [0, 0, 0, 0]), "trailing"),
            ("overflowing shape", handBuilt(#"{"t":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}}"#, data: data), "too many elements"),
            ("metadata not string", handBuilt(#"{"__metadata__":{"a":1},"#.dropLast() + ",\(t)}", data: data), "expected a string"),
            ("metadata not object", handBuilt("{\"__metadata__\":[],\(t)}", data: data), "object of strings"),
            ("unknown key", handBuilt(#"{"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"x":1}}"#, data: data), "unexpected key"),
            ("duplicate tensor", handBuilt("{\(t),\(t)}", data: data), "duplicate key"),
            ("huge header length", [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 0x7B, 0x7D], "exceeds the limit"),
            ("header past end", [100, 0, 0, 0, 0, 0, 0, 0, 0x7B, 0x7D], "needs 108 bytes"),
            ("too short", [1, 2, 3], "at least 8 bytes"),
        ]
        for (label, bytes, fragment) in cases {
            let msg = assertThrowsKind(formatKind, try SafeTensorsFile(bytes: bytes, name: "case.safetensors"), contains: fragment)
            XCTAssertTrue(msg?.hasPrefix("case.safetensors") ?? false, "\(label): \(msg ?? "")")
        }
        XCTAssertNoThrow(try SafeTensorsFile(bytes: handBuilt("{\(t)}", data: data)), "the base case is valid")
    }

    func testEveryTruncationIsRejected() throws {
        let bytes = try SafeTensorsFile(tensors: [.init(name: "w", shape: [2, 2], values: [1, 2, 3, 4])]).serialized()
        for n in 0..<bytes.count {
            assertThrowsKind(formatKind, try SafeTensorsFile(bytes: Array(bytes.prefix(n))))
        }
    }

    func testFlippedTensorByteFailsChecksum() throws {
        var bytes = try sample().serialized()
        bytes[bytes.count - 2] ^= 0x10
        assertThrowsKind(formatKind, try SafeTensorsFile(bytes: bytes), contains: "checksum mismatch")
        // Every single-byte flip anywhere is caught (header flips break JSON or validation).
        let small = try SafeTensorsFile(tensors: [.init(name: "w", shape: [2], values: [1, 2])]).serialized()
        for i in 8..<small.count {
            var b = small
            b[i] ^= 0x01
            if let f = try? SafeTensorsFile(bytes: b) {
                // A flip inside the JSON can produce another valid header (e.g. a
                // name or key); the tensor data must still be intact then.
                XCTAssertEqual(f.tensors.map(\.values), [[1, 2]], "flip at \(i)")
            }
        }
    }

    func testWriterValidation() throws {
        assertThrowsKind("shape mismatch", try SafeTensorsFile.Tensor(name: "x", shape: [2, 2], values: [1]))
        assertThrowsKind("invalid argument", try SafeTensorsFile.Tensor(name: "", shape: [1], values: [1]))
        assertThrowsKind("invalid argument", try SafeTensorsFile.Tensor(name: "x", shape: [-1], values: []))
        var f = try SafeTensorsFile()
        try f.append(name: "x", shape: [1], values: [1])
        assertThrowsKind("invalid argument", try f.append(name: "x", shape: [1], values: [2]), contains: "duplicate")
    }

    /// `bsnn.checksum` is a CRC-32 of the canonical content, computed here by hand from its
    /// documented layout, so other tools can produce and check it.
    func testChecksumIsTheDocumentedCanonicalCRC() throws {
        let f = try SafeTensorsFile(tensors: [.init(name: "w", shape: [2], values: [1, 2]), .init(name: "b", shape: [], values: [3])],
                                    metadata: ["k": "v", "a": "é"])
        let bytes = try f.serialized()
        func u64(_ v: Int) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: UInt64(v) >> (8 * UInt64($0))) } }
        func text(_ s: String) -> [UInt8] { u64(s.utf8.count) + Array(s.utf8) }
        var canonical = Array("bsnn-canonical-1\n".utf8) + u64(2) + text("a") + text("é") + text("k") + text("v") + u64(2)
        canonical += text("b") + text("F32") + u64(0) + u64(4) + le([3])
        canonical += text("w") + text("F32") + u64(1) + u64(2) + u64(8) + le([1, 2])
        let n = (0..<8).reduce(0) { $0 | Int(bytes[$1]) << (8 * $1) }
        let stored = try JSONParser.parse(Array(bytes[8..<(8 + n)]))["__metadata__"]?["bsnn.checksum"]?.stringValue
        XCTAssertEqual(stored, CRC32.hex(CRC32.checksum(canonical)))
        let reread = try SafeTensorsFile(bytes: bytes)
        XCTAssertTrue(reread.hasVerifiedChecksum)
        XCTAssertEqual(reread.metadata, ["k": "v", "a": "é"], "the checksum key is managed, not metadata")
        // Upper-case hex is a second spelling the writer never produces: refused.
        let hex = Array((stored ?? "").utf8)
        XCTAssertTrue(hex.contains(where: { $0 >= UInt8(ascii: "a") }), "this input's checksum has hex letters")
        let at = try XCTUnwrap((8..<(8 + n - hex.count)).first(where: { Array(bytes[$0..<($0 + hex.count)]) == hex }))
        var upper = bytes
        for i in at..<(at + hex.count) where upper[i] >= UInt8(ascii: "a") { upper[i] -= 0x20 }
        assertThrowsKind(formatKind, try SafeTensorsFile(bytes: upper), contains: "checksum mismatch")
    }

    /// bsnn 0.1 wrote `bsnn.crc32` over the data buffer only: still verified, but such a
    /// file does not count as verified (the model loaders then need allowUnverified).
    func testLegacyDataChecksumIsVerifiedButNotTrusted() throws {
        let data = le([1, 2])
        let crc = CRC32.hex(CRC32.checksum(data))
        let good = handBuilt(#"{"__metadata__":{"bsnn.crc32":"\#(crc)"},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, data: data)
        let f = try SafeTensorsFile(bytes: good)
        XCTAssertFalse(f.hasVerifiedChecksum)
        XCTAssertEqual(f.metadata, [:])
        var bad = good
        bad[bad.count - 1] ^= 0x40
        assertThrowsKind(formatKind, try SafeTensorsFile(bytes: bad), contains: "bsnn.crc32")
    }
}
