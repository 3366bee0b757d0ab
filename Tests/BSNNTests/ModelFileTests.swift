import Glibc
import XCTest
@testable import BSNN

final class ModelFileTests: XCTestCase {
    var dir = ""
    override func setUpWithError() throws { dir = try makeTempDirectory() }
    override func tearDown() { removeTree(dir) }

    func blobs(_ n: Int, seed: UInt64) throws -> Dataset {
        var rng = RandomGenerator(seed: seed)
        var x = [Float](), y = [Int32]()
        for i in 0..<n {
            for j in 0..<6 { x.append(Float(rng.nextGaussian() * 0.7 + (j % 3 == i % 3 ? 2 : 0))) }
            y.append(Int32(i % 3))
        }
        return try Dataset(features: x, labels: y, featureCount: 6, classCount: 3)
    }

    func makeModel(_ constraint: WeightConstraint = .rowNormalized, bias: Bool = true) throws -> MLP {
        try MLP(MLPConfiguration(
            inputs: 6, width: 12, depth: 3, outputs: 3, activation: try .builtin("elu", parameters: ["alpha": 0.7]),
            constraint: constraint, bias: bias, seed: 5))
    }

    func allWeights(_ m: MLP) throws -> [[Float]] {
        try (0..<m.layerCount).flatMap { [try m.weights(layer: $0), try m.bias(layer: $0) ?? []] }
    }

    func testModelRoundTripIsBitExact() throws {
        for (constraint, bias) in [(WeightConstraint.rowNormalized, true), (.orthogonal, false), (.none, true)] {
            let model = try makeModel(constraint, bias: bias)
            let trainer = try Trainer(model: model, configuration: TrainingConfiguration(epochs: 2, batchSize: 16))
            try trainer.fit(try blobs(64, seed: 1))
            let path = dir + "/m-\(constraint.rawValue).safetensors"
            try ModelFile.save(model, to: path)
            let loaded = try ModelFile.load(path)
            XCTAssertTrue(try allWeights(loaded) == allWeights(model))
            XCTAssertEqual(loaded.configuration.constraint, constraint)
            XCTAssertEqual(loaded.configuration.bias, bias)
            XCTAssertEqual(loaded.configuration.activation.base.name, "elu")
            XCTAssertEqual(loaded.configuration.activation.base.parameter("alpha"), 0.7)
            XCTAssertEqual(loaded.configuration.activation.scale, model.configuration.activation.scale)
            XCTAssertEqual(loaded.configuration.activation.shift, model.configuration.activation.shift)
            let x = gaussianArray(20 * 6, seed: 9)
            XCTAssertTrue(try loaded.predict(x) == model.predict(x))
        }
    }

    func testFileIsPlainSafetensorsWithMetadata() throws {
        let model = try makeModel()
        let path = dir + "/m.safetensors"
        try ModelFile.save(model, to: path)
        let file = try SafeTensorsFile.read(path: path)
        XCTAssertEqual(file.metadata["bsnn.format"], "model")
        XCTAssertEqual(file.metadata["bsnn.format_version"], "1")
        XCTAssertEqual(file["layers.0.weight"]?.shape, [12, 6])
        XCTAssertEqual(file["layers.4.weight"]?.shape, [3, 12])
        XCTAssertEqual(file["layers.2.bias"]?.shape, [12])
        let act = try JSONParser.parse(try XCTUnwrap(file.metadata["bsnn.activation"]))
        XCTAssertEqual(act["gpn_root"]?.stringValue, "b+")
        XCTAssertEqual(act["source"]?["kind"]?.stringValue, "builtin")
    }

    func testCorruptedFilesAreRejectedWithoutCrash() throws {
        let model = try makeModel()
        let path = dir + "/m.safetensors"
        try ModelFile.save(model, to: path)
        let bytes = try AtomicFile.read(path)
        var kinds: [String: Int] = [:]
        // Truncations at many offsets, and single flipped bytes everywhere.
        for cut in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 97)) {
            let bad = dir + "/cut.safetensors"
            try AtomicFile.write(Array(bytes[0..<cut]), to: bad)
            XCTAssertThrowsError(try ModelFile.load(bad)) { kinds[($0 as? BSNNError)?.kind ?? "other", default: 0] += 1 }
        }
        for pos in stride(from: 8, to: bytes.count, by: max(1, bytes.count / 211)) {
            var flipped = bytes
            flipped[pos] ^= 0x5A
            let bad = dir + "/flip.safetensors"
            try AtomicFile.write(flipped, to: bad)
            // A flip inside a metadata number can still parse; anything else must fail.
            if let loaded = try? ModelFile.load(bad) { _ = loaded } else { kinds["rejected", default: 0] += 1 }
        }
        XCTAssertNil(kinds["other"], "every failure must be a BSNNError")
        XCTAssertGreaterThan(kinds["rejected"] ?? 0, 150)
        // A flipped tensor byte is caught by the checksum.
        var flipped = bytes
        flipped[bytes.count - 3] ^= 1
        try AtomicFile.write(flipped, to: dir + "/crc.safetensors")
        XCTAssertThrowsError(try ModelFile.load(dir + "/crc.safetensors")) {
            XCTAssertTrue("\($0)".contains("checksum"), "\($0)")
        }
    }

    func testWrongKindVersionAndPluginPermission() throws {
        let model = try makeModel()
        var file = try ModelFile.serialize(model, kind: "model")
        file.metadata["bsnn.format_version"] = "99"
        try file.write(to: dir + "/v.safetensors")
        XCTAssertThrowsError(try ModelFile.load(dir + "/v.safetensors")) { XCTAssertTrue("\($0)".contains("version 99")) }
        // A model whose activation comes from a foreign function is not loaded unless allowed.
        let erf = try ForeignActivation.make(library: "libm.so.6", symbol: "erf", signature: "double(double)")
        let foreignModel = try MLP(MLPConfiguration(inputs: 6, width: 8, depth: 2, outputs: 3, activation: try .gpn(erf)))
        try ModelFile.save(foreignModel, to: dir + "/erf.safetensors")
        XCTAssertThrowsError(try ModelFile.load(dir + "/erf.safetensors")) {
            guard case BSNNError.plugin(let m) = $0 else { return XCTFail("\($0)") }
            XCTAssertTrue(m.contains("allow plugins"), m)
        }
        let loaded = try ModelFile.load(dir + "/erf.safetensors", options: .init(allowPlugins: true))
        let x = gaussianArray(5 * 6, seed: 2)
        XCTAssertTrue(try loaded.predict(x) == foreignModel.predict(x))
        // Checkpoints are not models' substitutes the other way round.
        XCTAssertThrowsError(try Checkpoint.load(dir + "/erf.safetensors"))
    }

    func testCheckpointResumeEqualsUninterruptedRunBitForBit() throws {
        let data = try blobs(100, seed: 3)
        for kind in OptimizerKind.allCases {
            let config = TrainingConfiguration(
                epochs: 3, batchSize: 16, optimizer: OptimizerConfiguration(kind: kind, learningRate: 0.02, momentum: 0.9), seed: 11)
            let straight = try makeModel()
            try Trainer(model: straight, configuration: config).fit(data)

            let interrupted = try makeModel()
            let t1 = try Trainer(model: interrupted, configuration: config)
            XCTAssertThrowsError(try t1.fit(data) { $0.globalStep < 10 })  // cancel mid-epoch 2
            let ckpt = dir + "/ckpt-\(kind.rawValue).safetensors"
            try Checkpoint.save(t1, to: ckpt)
            let t2 = try Checkpoint.load(ckpt)
            XCTAssertEqual(t2.globalStep, 10)
            XCTAssertEqual(t2.epoch, 1)
            try t2.fit(data)
            XCTAssertTrue(try allWeights(t2.model) == allWeights(straight), "\(kind): resumed run differs")
        }
    }

    func testDivergenceLeavesSavedModelIntact() throws {
        let model = try makeModel()
        let path = dir + "/good.safetensors"
        try ModelFile.save(model, to: path)
        let before = try AtomicFile.read(path)
        let trainer = try Trainer(model: model, configuration: TrainingConfiguration(
            epochs: 100, batchSize: 16, loss: .meanSquaredError, optimizer: OptimizerConfiguration(kind: .sgd, learningRate: 1e9)))
        XCTAssertThrowsError(try trainer.fit(try blobs(64, seed: 1)) { _ in
            // A user saving after every good step: the file must never hold a bad model.
            (try? ModelFile.save(model, to: path)) != nil
        }) { error in
            guard case BSNNError.numeric = error else { return XCTFail("\(error)") }
        }
        let reloaded = try ModelFile.load(path)
        XCTAssertTrue(try allWeights(reloaded) == allWeights(model), "file holds the model's last good weights")
        XCTAssertTrue(try allWeights(reloaded).allSatisfy { $0.allSatisfy(\.isFinite) })
        _ = before
    }
}
