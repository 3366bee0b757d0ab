import XCTest
@testable import BSNN

/// Early stopping on a constructed validation curve: the training labels are noise, so
/// after the first epochs the net memorizes them and the loss on other noise labels
/// rises. The stop epoch and best epoch follow from the curve of an unstopped run, and
/// the restored parameters are bit-identical to a run of exactly best + 1 epochs.
final class EarlyStoppingTests: XCTestCase {
    func data(seed: UInt64, count: Int) throws -> Dataset {
        var rng = RandomGenerator(seed: seed)
        var x = [Float](), y = [Int32]()
        for _ in 0..<count {
            for _ in 0..<5 { x.append(Float(rng.nextGaussian())) }
            y.append(Int32(rng.next() % 3))
        }
        return try Dataset(features: x, labels: y, featureCount: 5, classCount: 3)
    }

    func trainer(epochs: Int, earlyStopping: EarlyStopping?) throws -> Trainer {
        let model = try MLP(MLPConfiguration(inputs: 5, width: 32, depth: 2, outputs: 3, activation: try .builtin("tanh"), seed: 1))
        return try Trainer(model: model, configuration: TrainingConfiguration(
            epochs: epochs, batchSize: 16,
            optimizer: OptimizerConfiguration(kind: .adam, learningRate: 0.01), seed: 2, earlyStopping: earlyStopping))
    }

    func parameters(_ model: MLP) throws -> [Float] {
        try (0..<model.layerCount).flatMap { try model.weights(layer: $0) + (model.bias(layer: $0) ?? []) }
    }

    /// The rule applied by hand to a curve: (best epoch, stop epoch or nil).
    func expected(_ curve: [Double], _ rule: EarlyStopping) -> (best: Int, stop: Int?) {
        var best = 0, wait = 0
        for e in 1..<curve.count {
            if rule.improves(curve[e], on: curve[best]) { best = e; wait = 0 } else {
                wait += 1
                if wait >= rule.patience { return (best, e) }
            }
        }
        return (best, nil)
    }

    func testStopsAtTheRightEpochAndRestoresTheBestEpochBitIdentically() throws {
        let train = try data(seed: 5, count: 96), validation = try data(seed: 6, count: 64)
        let epochs = 30
        for monitor in [EarlyStopping.Monitor.validationLoss, .validationAccuracy] {
            let rule = EarlyStopping(patience: 3, monitor: monitor)
            let reference = try trainer(epochs: epochs, earlyStopping: nil)
            let curve = try reference.fit(train, validation: validation).map { r -> Double in
                let v = r.validation!
                return monitor == .validationLoss ? v.loss : v.accuracy
            }
            let (best, stop) = expected(curve, rule)
            print("early stopping \(monitor.rawValue): curve \(curve.map { String(format: "%.4f", $0) }), best \(best), stop \(stop.map(String.init) ?? "none")")
            let stopEpoch = try XCTUnwrap(stop, "the constructed curve must stop early")

            let stopped = try trainer(epochs: epochs, earlyStopping: rule)
            let records = try stopped.fit(train, validation: validation)
            XCTAssertEqual(records.count, stopEpoch + 1)
            XCTAssertEqual(stopped.epoch, stopEpoch + 1)
            let outcome = try XCTUnwrap(stopped.earlyStoppingOutcome)
            XCTAssertEqual(outcome.bestEpoch, best)
            XCTAssertTrue(outcome.stoppedEarly)
            XCTAssertEqual(outcome.bestValue, curve[best])

            let exact = try trainer(epochs: best + 1, earlyStopping: nil)
            try exact.fit(train, validation: validation)
            XCTAssertTrue(try parameters(stopped.model) == parameters(exact.model), "\(monitor): restored ≠ best epoch")
            XCTAssertEqual(try stopped.model.evaluate(validation).loss, try exact.model.evaluate(validation).loss)
            if monitor == .validationLoss { XCTAssertGreaterThan(best, 0) }
        }
    }

    func testNoStopWhenPatienceIsNeverExhausted() throws {
        let train = try data(seed: 5, count: 96), validation = try data(seed: 6, count: 64)
        let t = try trainer(epochs: 3, earlyStopping: EarlyStopping(patience: 10))
        let records = try t.fit(train, validation: validation)
        XCTAssertEqual(records.count, 3)
        let outcome = try XCTUnwrap(t.earlyStoppingOutcome)
        XCTAssertFalse(outcome.stoppedEarly)
        let losses = records.map { $0.validation!.loss }
        XCTAssertEqual(outcome.bestEpoch, losses.indices.min(by: { losses[$0] < losses[$1] }))
    }

    func testBadInputIsRejectedBeforeAnythingIsAllocated() throws {
        let train = try data(seed: 5, count: 32)
        let t = try trainer(epochs: 2, earlyStopping: EarlyStopping(patience: 2))
        let before = try parameters(t.model)
        XCTAssertThrowsError(try t.fit(train)) { e in
            XCTAssertTrue("\(e)".contains("early stopping: expected a validation set"), "\(e)")
        }
        XCTAssertEqual(t.epoch, 0)
        XCTAssertTrue(try parameters(t.model) == before)
        XCTAssertEqual(t.model.cachedWorkspaceFloats, 0)
        XCTAssertThrowsError(try trainer(epochs: 2, earlyStopping: EarlyStopping(patience: 0))) { e in
            XCTAssertTrue("\(e)".contains("early stopping patience: expected >= 1"), "\(e)")
        }
        XCTAssertThrowsError(try trainer(epochs: 2, earlyStopping: EarlyStopping(patience: 1, minDelta: -0.1))) { e in
            XCTAssertTrue("\(e)".contains("min delta"), "\(e)")
        }
        XCTAssertThrowsError(try EarlyStopping.Monitor.named("los"))
    }

    /// The rule is in the checkpoint; the tracking is not (resume restarts patience).
    func testCheckpointKeepsTheRule() throws {
        let dir = try makeTempDirectory()
        defer { removeTree(dir) }
        let t = try trainer(epochs: 2, earlyStopping: EarlyStopping(patience: 4, monitor: .validationAccuracy, minDelta: 0.01))
        try t.fit(try data(seed: 5, count: 32), validation: try data(seed: 6, count: 16))
        let path = dir + "/es.ckpt"
        try Checkpoint.save(t, to: path)
        let loaded = try Checkpoint.load(path)
        XCTAssertEqual(loaded.configuration.earlyStopping, t.configuration.earlyStopping)
        XCTAssertNil(loaded.earlyStoppingOutcome)
    }
}
