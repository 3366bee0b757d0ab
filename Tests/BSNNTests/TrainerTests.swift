import XCTest
@testable import BSNN

final class TrainerTests: XCTestCase {
    /// Two Gaussian blobs per class in 6 dimensions: learnable, not trivial.
    func blobs(_ n: Int, seed: UInt64) throws -> Dataset {
        var rng = RandomGenerator(seed: seed)
        var x = [Float](), y = [Int32]()
        for i in 0..<n {
            let c = i % 3
            for j in 0..<6 { x.append(Float(rng.nextGaussian() * 0.7 + (j % 3 == c ? 2 : 0))) }
            y.append(Int32(c))
        }
        return try Dataset(features: x, labels: y, featureCount: 6, classCount: 3)
    }

    func makeModel(seed: UInt64 = 3) throws -> MLP {
        try MLP(MLPConfiguration(
            inputs: 6, width: 16, depth: 4, outputs: 3,
            activation: LayerActivation(closureTanh, scale: 1.4674, shift: 0.3885, gpnRoot: "b+"), seed: seed))
    }

    func testFitLearnsAndIsDeterministic() throws {
        let train = try blobs(300, seed: 1), test = try blobs(150, seed: 2)
        var weights: [[Float]] = []
        for _ in 0..<2 {
            let model = try makeModel()
            let before = try model.evaluate(test)
            let trainer = try Trainer(model: model, configuration: TrainingConfiguration(
                epochs: 5, batchSize: 32, optimizer: OptimizerConfiguration(kind: .momentum, learningRate: 0.05, momentum: 0.5), seed: 9))
            let records = try trainer.fit(train, validation: test)
            XCTAssertEqual(records.count, 5)
            XCTAssertLessThan(records[4].trainLoss, records[0].trainLoss)
            let after = try model.evaluate(test)
            XCTAssertLessThan(after.loss, before.loss)
            XCTAssertGreaterThan(after.accuracy, 0.9)
            XCTAssertEqual(records[4].validation, after)
            weights.append(try model.weights(layer: 2) + model.weights(layer: 5))
        }
        XCTAssertTrue(weights[0] == weights[1], "same seeds must give bit-identical weights")
    }

    func testCancelFromCallbackLeavesValidModel() throws {
        let model = try makeModel()
        let trainer = try Trainer(model: model, configuration: TrainingConfiguration(epochs: 3, batchSize: 10))
        var calls = 0
        XCTAssertThrowsError(try trainer.fit(try blobs(100, seed: 1)) { p in
            calls += 1
            return p.globalStep < 4
        }) { error in
            guard case BSNNError.cancelled = error else { return XCTFail("\(error)") }
        }
        XCTAssertEqual(calls, 4)
        XCTAssertEqual(trainer.globalStep, 4)
        XCTAssertTrue(try model.weights(layer: 1).allSatisfy(\.isFinite))
        XCTAssertNoThrow(try model.evaluate(try blobs(10, seed: 5)))
    }

    func testNaNInputStopsBeforeAnyUpdate() throws {
        let model = try makeModel()
        let trainer = try Trainer(model: model, configuration: TrainingConfiguration(batchSize: 4))
        let before = try (0..<model.layerCount).map { try model.weights(layer: $0) }
        var x = gaussianArray(4 * 6, seed: 1)
        x[5] = .nan
        XCTAssertThrowsError(try trainer.step(features: x, labels: [0, 1, 2, 0])) {
            guard case BSNNError.numeric(let m) = $0 else { return XCTFail("\($0)") }
            XCTAssertTrue(m.contains("NaN"))
        }
        XCTAssertTrue(try (0..<model.layerCount).map { try model.weights(layer: $0) } == before)
    }

    func testExplodingLearningRateIsReportedAndModelKeepsLastGoodWeights() throws {
        let model = try makeModel()
        let trainer = try Trainer(model: model, configuration: TrainingConfiguration(
            epochs: 50, batchSize: 30, loss: .meanSquaredError,
            optimizer: OptimizerConfiguration(kind: .sgd, learningRate: 1e12)))
        var lastGood: [[Float]] = []
        let data = try blobs(60, seed: 4)
        XCTAssertThrowsError(try trainer.fit(data) { _ in
            lastGood = (0..<model.layerCount).compactMap { try? model.weights(layer: $0) }
            return true
        }) { error in
            guard case BSNNError.numeric(let m) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(m.contains("divergence"), m)
        }
        // Every completed step was reported; the failing one changed nothing.
        XCTAssertTrue(try (0..<model.layerCount).map { try model.weights(layer: $0) } == lastGood, "weights changed by the failing step")
        XCTAssertFalse(lastGood.isEmpty)
    }

    func testShapeAndSizeErrors() throws {
        let model = try makeModel()
        let trainer = try Trainer(model: model, configuration: TrainingConfiguration())
        XCTAssertThrowsError(try trainer.step(features: [1, 2, 3], labels: [0])) {
            guard case BSNNError.shapeMismatch(let m) = $0 else { return XCTFail("\($0)") }
            XCTAssertEqual(m, "features: expected count × inputs = 1 × 6 = 6 values, got 3")
        }
        XCTAssertThrowsError(try trainer.step(features: gaussianArray(6, seed: 1), labels: [7])) {
            guard case BSNNError.invalidArgument(let m) = $0 else { return XCTFail("\($0)") }
            XCTAssertEqual(m, "labels[0]: expected a class in 0..<3, got 7")
        }
        XCTAssertThrowsError(try trainer.step(features: [], labels: [])) {
            guard case BSNNError.invalidArgument(let m) = $0 else { return XCTFail("\($0)") }
            XCTAssertEqual(m, "count: expected > 0 samples, got 0")
        }
        // Regression batches: the target count is checked too.
        let mse = try Trainer(model: model, configuration: TrainingConfiguration(loss: .meanSquaredError))
        let x = gaussianArray(12, seed: 2), t: [Float] = [0, 1, 0, 1, 0]
        XCTAssertThrowsError(try x.withUnsafeBufferPointer { xp in
            try t.withUnsafeBufferPointer { tp in try mse.step(Batch(features: xp, targets: tp, count: 2, for: model.configuration)) }
        }) {
            guard case BSNNError.shapeMismatch(let m) = $0 else { return XCTFail("\($0)") }
            XCTAssertEqual(m, "targets: expected 2 × 3 values, got 5")
        }
        XCTAssertThrowsError(try trainer.fit(try Dataset(features: [1, 2], labels: [0, 1], featureCount: 1, classCount: 2)))
        XCTAssertThrowsError(try MLP(MLPConfiguration(inputs: 0, width: 4, depth: 1, outputs: 2, activation: LayerActivation(closureTanh))))
        XCTAssertThrowsError(try MLP(MLPConfiguration(inputs: 4, width: 1_000_000_000, depth: 1, outputs: 2, activation: LayerActivation(closureTanh)))) {
            guard case BSNNError.invalidArgument = $0 else { return XCTFail("\($0)") }
        }
        XCTAssertThrowsError(try MLP(MLPConfiguration(inputs: 4, width: 1 << 20, depth: 1000, outputs: 2, activation: LayerActivation(closureTanh)))) {
            guard case BSNNError.outOfMemory = $0 else { return XCTFail("\($0)") }
        }
        XCTAssertThrowsError(try TrainingConfiguration(batchSize: 0).validate())
    }
}
