import Glibc
import XCTest

@testable import BSNN

final class IDXTests: XCTestCase {
    func idx(type: UInt8, dims: [Int], payload: [UInt8]) -> [UInt8] {
        var b: [UInt8] = [0, 0, type, UInt8(dims.count)]
        for d in dims { b += [UInt8(d >> 24 & 0xFF), UInt8(d >> 16 & 0xFF), UInt8(d >> 8 & 0xFF), UInt8(d & 0xFF)] }
        return b + payload
    }

    func testAllElementTypes() throws {
        let u8 = try IDXReader.read(bytes: idx(type: 0x08, dims: [2, 3], payload: [0, 1, 2, 127, 128, 255]), name: "u8")
        XCTAssertEqual(u8.dimensions, [2, 3])
        XCTAssertEqual(u8.values, [0, 1, 2, 127, 128, 255])
        XCTAssertEqual(try IDXReader.read(bytes: idx(type: 0x09, dims: [2], payload: [0xFF, 0x80]), name: "s8").values, [-1, -128])
        XCTAssertEqual(try IDXReader.read(bytes: idx(type: 0x0B, dims: [2], payload: [0x01, 0x02, 0xFF, 0xFE]), name: "i16").values, [258, -2])
        XCTAssertEqual(try IDXReader.read(bytes: idx(type: 0x0C, dims: [1], payload: [0xFF, 0xFF, 0xFF, 0xFD]), name: "i32").values, [-3])
        let f: Float = -1.25
        let fb = f.bitPattern
        XCTAssertEqual(
            try IDXReader.read(bytes: idx(type: 0x0D, dims: [1], payload: [UInt8(fb >> 24), UInt8(fb >> 16 & 0xFF), UInt8(fb >> 8 & 0xFF), UInt8(fb & 0xFF)]), name: "f32").values, [-1.25])
        let d = (0.1 as Double).bitPattern
        let db = (0..<8).map { UInt8(truncatingIfNeeded: d >> (56 - 8 * UInt64($0))) }
        XCTAssertEqual(try IDXReader.read(bytes: idx(type: 0x0E, dims: [1], payload: db), name: "f64").values, [Float(0.1)])
    }

    func testPlainAndGzipFilesAndDataset() throws {
        let dir = try makeTempDirectory()
        defer { removeTree(dir) }
        let pixels = (0..<(3 * 2 * 2)).map { UInt8($0 * 20) }
        let images = idx(type: 0x08, dims: [3, 2, 2], payload: pixels)
        let labels = idx(type: 0x08, dims: [3], payload: [2, 0, 1])
        try AtomicFile.write(images, to: dir + "/img")
        try AtomicFile.write(gzipCompress(labels), to: dir + "/lab.gz")
        XCTAssertEqual(try IDXReader.read(path: dir + "/img").values, pixels.map(Float.init))
        let gz = try IDXReader.read(path: dir + "/lab.gz")
        XCTAssertEqual(gz.dimensions, [3])
        XCTAssertEqual(gz.values, [2, 0, 1])
        // Concatenated gzip members are one stream.
        let half = idx(type: 0x08, dims: [4], payload: [9, 8, 7, 6])
        XCTAssertEqual(try IDXReader.read(bytes: gzipCompress(Array(half.prefix(5))) + gzipCompress(Array(half.dropFirst(5))), name: "cat").values, [9, 8, 7, 6])

        let data = try Dataset.fromIDX(imagesPath: dir + "/img", labelsPath: dir + "/lab.gz")
        XCTAssertEqual(data.count, 3)
        XCTAssertEqual(data.featureCount, 4)
        XCTAssertEqual(data.classCount, 3)
        XCTAssertEqual(data.labels, [2, 0, 1])
        XCTAssertEqual(data.features[1], 20 / 255, accuracy: 1e-7)
        let raw = try Dataset.fromIDX(imagesPath: dir + "/img", labelsPath: dir + "/lab.gz", classCount: 10, limit: 2, scaling: .none)
        XCTAssertEqual(raw.count, 2)
        XCTAssertEqual(raw.classCount, 10)
        XCTAssertEqual(raw.features, pixels.prefix(8).map(Float.init))

        try AtomicFile.write(idx(type: 0x08, dims: [2], payload: [0, 1]), to: dir + "/short")
        assertThrowsKind("shape mismatch", try Dataset.fromIDX(imagesPath: dir + "/img", labelsPath: dir + "/short"), contains: "expected 3 labels")
        assertThrowsKind(formatKind, try Dataset.fromIDX(imagesPath: dir + "/img", labelsPath: dir + "/lab.gz", classCount: 2), contains: "0..<2")
    }

    func testMalformedFilesAreRejected() throws {
        let good = idx(type: 0x08, dims: [2, 2], payload: [1, 2, 3, 4])
        assertThrowsKind(formatKind, try IDXReader.read(bytes: Array(good.dropLast()), name: "t"), contains: "need 16 bytes, got 15")
        assertThrowsKind(formatKind, try IDXReader.read(bytes: good + [0], name: "t"), contains: "1 trailing bytes")
        assertThrowsKind(formatKind, try IDXReader.read(bytes: [1, 0, 8, 1, 0, 0, 0, 0], name: "t"), contains: "magic")
        assertThrowsKind(formatKind, try IDXReader.read(bytes: [0, 0, 0x0A, 1, 0, 0, 0, 0], name: "t"), contains: "element type")
        assertThrowsKind(formatKind, try IDXReader.read(bytes: [0, 0, 8, 0], name: "t"), contains: "dimension count")
        assertThrowsKind(formatKind, try IDXReader.read(bytes: [0, 0, 8, 3, 0, 0], name: "t"), contains: "truncated IDX header")
        assertThrowsKind(formatKind, try IDXReader.read(bytes: idx(type: 0x0E, dims: [0x7FFF_FFFF, 0x7FFF_FFFF, 0x7FFF_FFFF], payload: []), name: "t"), contains: "overflow")
        assertThrowsKind(formatKind, try IDXReader.read(bytes: idx(type: 0x0C, dims: [1 << 30, 1 << 30], payload: []), name: "t"), contains: "truncated")
        for n in 0..<good.count { assertThrowsKind(formatKind, try IDXReader.read(bytes: Array(good.prefix(n)), name: "t")) }

        let gz = gzipCompress(good)
        XCTAssertEqual(try IDXReader.read(bytes: gz, name: "g").values, [1, 2, 3, 4])
        for n in 2..<gz.count { assertThrowsKind(formatKind, try IDXReader.read(bytes: Array(gz.prefix(n)), name: "g")) }
        assertThrowsKind(formatKind, try IDXReader.read(bytes: gz + [0x42], name: "g"), contains: "trailing bytes after the gzip stream")
        var corrupt = gz
        corrupt[corrupt.count - 6] ^= 0xFF  // the CRC in the gzip trailer
        assertThrowsKind(formatKind, try IDXReader.read(bytes: corrupt, name: "g"), contains: "corrupt gzip")
        assertThrowsKind(formatKind, try IDXReader.read(bytes: [0x1F, 0x8B, 0, 0, 0], name: "g"))
        assertThrowsKind(ioKind, try IDXReader.read(path: "/nonexistent/x.idx"))
    }

    func testRealFashionMNIST() throws {
        let dir = FashionMNIST.defaultDirectory
        guard access(dir, R_OK) == 0 else {
            throw XCTSkip("Fashion-MNIST not installed at \(dir) (apt-get install dataset-fashion-mnist)")
        }
        let test = try FashionMNIST.load(split: .test)
        XCTAssertEqual(test.count, 10_000)
        XCTAssertEqual(test.featureCount, 784)
        XCTAssertEqual(test.classCount, 10)
        XCTAssertEqual(Set(test.labels), Set(0..<10))
        XCTAssertEqual(test.labels.prefix(3), [9, 2, 1])
        XCTAssertTrue(test.features.allSatisfy { $0 >= 0 && $0 <= 1 })
        XCTAssertEqual(test.features.max(), 1)

        let train = try FashionMNIST.load(split: .train)
        XCTAssertEqual(train.count, 60_000)
        XCTAssertEqual(train.featureCount, 784)
        XCTAssertEqual(train.labels[0], 9, "first training image is an ankle boot")
        XCTAssertEqual(FashionMNIST.classNames[Int(train.labels[0])], "Ankle boot")
        for c in 0..<10 { XCTAssertEqual(train.labels.filter { $0 == c }.count, 6000) }

        let few = try FashionMNIST.load(split: .train, limit: 5, scaling: .none)
        XCTAssertEqual(few.count, 5)
        XCTAssertEqual(few.features.max(), 255)
        XCTAssertEqual(few.labels, Array(train.labels.prefix(5)))
        assertThrowsKind(ioKind, try FashionMNIST.load(directory: "/nonexistent", split: .test), contains: "t10k-images-idx3-ubyte")
    }

    // MARK: Decompression bombs (issue 12 item 6)

    /// Zeros behind a header declaring 20,000 samples of 28 × 28 bytes: a small gzip file
    /// (the report's was the same at 256 MB). With `limit: 10` only the header and 10
    /// samples may be inflated (plus at most one chunk), and without a limit the whole
    /// declared size is read and checked.
    func testGzipBombIsInflatedOnlyAsFarAsTheHeaderAndLimitNeed() throws {
        let n = 20_000, sample = 28 * 28
        let raw = idx(type: 0x08, dims: [n, 28, 28], payload: [UInt8](repeating: 0, count: n * sample))
        let gz = gzipCompress(raw)
        XCTAssertLessThan(gz.count, raw.count / 500, "a bomb: the ratio is what matters")
        let headerSize = 4 + 4 * 3

        let (few, inflated) = try IDXReader.readCounting(bytes: gz, name: "bomb.gz", limit: 10)
        XCTAssertEqual(few.dimensions, [10, 28, 28])
        XCTAssertEqual(few.fileSampleCount, n)
        XCTAssertEqual(few.values.count, 10 * sample)
        XCTAssertLessThanOrEqual(inflated, headerSize + 10 * sample + Gzip.chunkSize)

        let (all, inflatedAll) = try IDXReader.readCounting(bytes: gz, name: "bomb.gz", limit: nil)
        XCTAssertEqual(all.dimensions, [n, 28, 28])
        XCTAssertEqual(inflatedAll, raw.count)

        // A stream that goes on past the size its header declares (here: 100 samples
        // declared, 16 MB of data) is refused within one chunk of the declared size.
        var lying = raw
        lying[6] = 0
        lying[7] = 100  // dims[0]: 0x00004e20 (20,000) becomes 100
        let declared = headerSize + 100 * sample
        do {
            _ = try IDXReader.read(bytes: gzipCompress(lying), name: "lie.gz")
            XCTFail("a stream longer than declared must be refused")
        } catch {
            let e = error
            guard case .format(let m) = e else { return XCTFail("\(e)") }
            XCTAssertTrue(m.contains("lie.gz") && m.contains("declares"), m)
            // The message reports how far decompression went.
            let soFar = m.split(separator: "(").last.flatMap { Int($0.split(separator: " ")[0]) } ?? Int.max
            XCTAssertGreaterThan(soFar, declared)
            XCTAssertLessThanOrEqual(soFar, declared + Gzip.chunkSize)
        }

        // The limit reaches the reader through the data-set loader too.
        let dir = try makeTempDirectory()
        defer { removeTree(dir) }
        try AtomicFile.write(gz, to: dir + "/images.gz")
        try AtomicFile.write(gzipCompress(idx(type: 0x08, dims: [n], payload: (0..<n).map { UInt8($0 % 10) })), to: dir + "/labels.gz")
        let data = try Dataset.fromIDX(imagesPath: dir + "/images.gz", labelsPath: dir + "/labels.gz", limit: 10)
        XCTAssertEqual(data.count, 10)
        XCTAssertEqual(data.labels, (0..<10).map { Int32($0) })
        // Mismatched sample counts are still caught when both are read with a limit.
        try AtomicFile.write(idx(type: 0x08, dims: [n - 1], payload: [UInt8](repeating: 1, count: n - 1)), to: dir + "/short.idx")
        assertThrowsKind("shape mismatch", try Dataset.fromIDX(imagesPath: dir + "/images.gz", labelsPath: dir + "/short.idx", limit: 10))
    }
}
