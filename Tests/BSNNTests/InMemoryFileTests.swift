import XCTest
@testable import BSNN

/// `ModelFile.encode/decode` and `Checkpoint.encode/decode`: the file's bytes in memory,
/// read back with the file's checksum, validation and load options.
final class InMemoryFileTests: XCTestCase {
    var dir = ""
    override func setUpWithError() throws { dir = try makeTempDirectory() }
    override func tearDown() { removeTree(dir) }

    func data() throws -> Dataset {
        var rng = RandomGenerator(seed: 4)
        var x = [Float](), y = [Int32]()
        for i in 0..<90 {
            for j in 0..<5 { x.append(Float(rng.nextGaussian() * 0.6 + (j % 3 == i % 3 ? 1.5 : 0))) }
            y.append(Int32(i % 3))
        }
        return try Dataset(features: x, labels: y, featureCount: 5, classCount: 3)
    }

    func model() throws -> MLP {
        try MLP(MLPConfiguration(inputs: 5, width: 10, depth: 2, outputs: 3, activation: try .builtin("tanh"), seed: 3))
    }

    func parameters(_ m: MLP) throws -> [[Float]] {
        try (0..<m.layerCount).flatMap { [try m.weights(layer: $0), try m.bias(layer: $0) ?? []] }
    }

    func testEncodeIsTheFileAndDecodeRoundTrips() throws {
        let m = try model()
        try Trainer(model: m, configuration: TrainingConfiguration(epochs: 1, batchSize: 16)).fit(try data())
        try ModelFile.save(m, to: dir + "/m.bsnn")
        let bytes = try ModelFile.encode(m)
        XCTAssertEqual(bytes, try AtomicFile.read(dir + "/m.bsnn"))
        let back = try ModelFile.decode(bytes)
        XCTAssertTrue(try parameters(back) == parameters(m))
        XCTAssertEqual(try ModelFile.encode(back), bytes)
    }

    func testDecodeValidatesLikeLoad() throws {
        var bytes = try ModelFile.encode(try model())
        bytes[bytes.count - 2] ^= 0x04
        assertThrowsKind(formatKind, try ModelFile.decode(bytes), contains: "model buffer")
        assertThrowsKind(formatKind, try ModelFile.decode(bytes, name: "pickle"), contains: "pickle: ")
        assertThrowsKind(formatKind, try ModelFile.decode([1, 2, 3]), contains: "at least 8 bytes")
        let t = try Trainer(model: try model(), configuration: TrainingConfiguration(epochs: 1))
        assertThrowsKind(formatKind, try Checkpoint.decode(try ModelFile.encode(try model())), contains: "checkpoint")
        XCTAssertNoThrow(try ModelFile.decode(try Checkpoint.encode(t)))  // a checkpoint holds a model, as files do
    }

    func testDecodeNeedsThePluginOption() throws {
        let erf = try ForeignActivation.make(library: "libm.so.6", symbol: "erf", signature: "double(double)")
        let m = try MLP(MLPConfiguration(inputs: 5, width: 8, depth: 1, outputs: 3, activation: try .gpn(erf)))
        let bytes = try ModelFile.encode(m)
        assertThrowsKind("plugin error", try ModelFile.decode(bytes))
        let back = try ModelFile.decode(bytes, options: .init(allowPlugins: true))
        let x = gaussianArray(4 * 5, seed: 9)
        XCTAssertEqual(try back.predict(x), try m.predict(x))
    }

    func testDecodedCheckpointResumesBitForBit() throws {
        let d = try data()
        let config = TrainingConfiguration(
            epochs: 3, batchSize: 16, optimizer: OptimizerConfiguration(kind: .adam, learningRate: 0.01), seed: 7)
        let original = try Trainer(model: try model(), configuration: config)
        XCTAssertThrowsError(try original.fit(d) { $0.globalStep < 8 })  // stop part-way into epoch 2
        let bytes = try Checkpoint.encode(original)
        try Checkpoint.save(original, to: dir + "/c.ckpt")
        XCTAssertEqual(bytes, try AtomicFile.read(dir + "/c.ckpt"))
        let copy = try Checkpoint.decode(bytes)
        XCTAssertEqual(copy.globalStep, original.globalStep)
        XCTAssertFalse(copy.model === original.model)
        try original.fit(d)
        try copy.fit(d)
        XCTAssertTrue(try parameters(copy.model) == parameters(original.model))
    }
}
