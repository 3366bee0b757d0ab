import Dispatch
import Glibc
import XCTest
@testable import BSNN

/// Issue 14 items 4 and 5: inference through two chunk-sized buffers instead of the
/// training workspace, training workspaces released when fit ends, and fit reading the
/// caller's samples in place.
final class LeanInferenceTests: XCTestCase {
    func model(inputs: Int = 6, width: Int = 24, depth: Int = 5, outputs: Int = 3, seed: UInt64 = 3) throws -> MLP {
        try MLP(MLPConfiguration(
            inputs: inputs, width: width, depth: depth, outputs: outputs, activation: try .builtin("tanh"), seed: seed))
    }

    /// Logits of the training forward pass (the full workspace) for comparison.
    func trainingForward(_ m: MLP, _ x: [Float], rows: Int) throws -> [Float] {
        let ws = try MLP.Workspace(model: m, batch: rows)
        let logits = try x.withUnsafeBufferPointer { try m.forward($0.baseAddress!, workspace: ws, storeDerivatives: false) }
        return Array(UnsafeBufferPointer(start: logits, count: rows * m.configuration.outputs))
    }

    func testPredictMatchesTheTrainingForwardPassInChunksAndAtTheEdges() throws {
        let m = try model()
        // 600 rows: two full 256-row chunks and a partial one of 88.
        for rows in [1, 7, 256, 600] {
            let x = gaussianArray(rows * 6, seed: UInt64(rows))
            let lean = try m.predict(x)
            var reference: [Float] = []
            var start = 0
            while start < rows {
                let n = min(MLP.inferenceChunk, rows - start)
                reference += try trainingForward(m, Array(x[(start * 6)..<((start + n) * 6)]), rows: n)
                start += n
            }
            XCTAssertEqual(lean.count, rows * 3)
            // Different buffers, same products: equal up to float rounding (stated tolerance).
            for (a, b) in zip(lean, reference) { XCTAssertEqual(a, b, accuracy: 1e-5 * max(1, abs(b))) }
            XCTAssertTrue(lean.allSatisfy(\.isFinite))
        }
    }

    func testInferenceWorkspaceIsTwoChunkSizedBuffers() throws {
        let m = try model(inputs: 40, width: 32, depth: 30, outputs: 50)
        let ws = try MLP.InferenceWorkspace(model: m, rows: MLP.inferenceChunk)
        XCTAssertEqual(ws.floatCount, 2 * MLP.inferenceChunk * 50, "2 × rows × max(width, outputs)")
        let training = try MLP.Workspace(model: m, batch: MLP.inferenceChunk)
        let trainingFloats = training.xs.reduce(0) { $0 + $1.count } + training.ds.reduce(0) { $0 + $1.count }
        XCTAssertGreaterThan(trainingFloats, 15 * ws.floatCount)
        // predict and evaluate never create (or cache) a training workspace.
        _ = try m.predict(gaussianArray(300 * 40, seed: 1))
        _ = try m.evaluate(try Dataset(
            features: gaussianArray(20 * 40, seed: 2), labels: (0..<20).map { Int32($0 % 50) }, featureCount: 40, classCount: 50))
        XCTAssertEqual(m.cachedWorkspaceFloats, 0)
    }

    /// Four threads predict on one model at once: every result equals the single-thread
    /// one bit for bit (a replay of the same chunks), and no training workspace appears.
    /// The peak-memory bound of the same situation is measured in a fresh process by
    /// bindings/python/tests/test_lean_memory.py.
    func testFourConcurrentPredictionsAreDeterministic() throws {
        let m = try model(width: 64, depth: 12)
        let rows = 700
        let inputs = (0..<4).map { gaussianArray(rows * 6, seed: 100 + UInt64($0)) }
        let expected = try inputs.map { try m.predict($0) }
        final class Results: @unchecked Sendable {  // each thread writes only its own slot
            var values = [[Float]](repeating: [], count: 4)
            var errors = [String?](repeating: nil, count: 4)
        }
        let results = Results()
        for _ in 0..<3 {
            DispatchQueue.concurrentPerform(iterations: 4) { i in
                do { results.values[i] = try m.predict(inputs[i]) } catch { results.errors[i] = "\(error)" }
            }
            XCTAssertEqual(results.errors.compactMap { $0 }, [])
            for i in 0..<4 { XCTAssertTrue(results.values[i] == expected[i], "thread \(i) differs from the serial prediction") }
        }
        XCTAssertEqual(m.cachedWorkspaceFloats, 0)
    }

    func testEvaluateOnBorrowedSamplesEqualsDatasetAndTrainingLoss() throws {
        let m = try model()
        let x = gaussianArray(300 * 6, seed: 5)
        let y = (0..<300).map { Int32($0 % 3) }
        let data = try Dataset(features: x, labels: y, featureCount: 6, classCount: 3)
        let onDataset = try m.evaluate(data)
        let borrowed = try x.withUnsafeBufferPointer { f in
            try y.withUnsafeBufferPointer { l in
                try m.evaluate(try BorrowedSamples(features: f, labels: l, featureCount: 6, classCount: 3))
            }
        }
        XCTAssertEqual(onDataset, borrowed)
        // The loss a training step reports for the same batch (full workspace) agrees.
        let trainer = try Trainer(model: m, configuration: TrainingConfiguration(
            batchSize: 300, optimizer: OptimizerConfiguration(kind: .sgd, learningRate: 1e-9)))
        let step = try trainer.step(features: x, labels: y)
        XCTAssertEqual(step.loss, onDataset.loss, accuracy: 1e-6 * max(1, step.loss))
        XCTAssertEqual(Double(step.correct) / 300, onDataset.accuracy)
    }

    // MARK: Training workspaces

    func testFitReleasesTheTrainingWorkspaceAndStepsKeepItUntilReleased() throws {
        let m = try model()
        let data = try Dataset(
            features: gaussianArray(50 * 6, seed: 1), labels: (0..<50).map { Int32($0 % 3) }, featureCount: 6, classCount: 3)
        let trainer = try Trainer(model: m, configuration: TrainingConfiguration(batchSize: 16))
        var during = 0
        var refused: Error?
        try trainer.fit(data, epochs: 1) { _ in
            during = max(during, m.cachedWorkspaceFloats)
            do { try m.releaseWorkspace() } catch { refused = error }
            return true
        }
        // Batch 16 and the epoch's last batch of 2: (depth+2) inputs and (depth+1) derivatives each.
        let perRow = 6 + 6 * 24 + 6 * 24
        XCTAssertEqual(during, (16 + 2) * perRow + 2 * (24 * 24))
        guard case BSNNError.wrongState? = refused as? BSNNError else { return XCTFail("release during fit: \(String(describing: refused))") }
        XCTAssertEqual(m.cachedWorkspaceFloats, 0, "fit must release the training workspace when it returns")
        try trainer.step(features: gaussianArray(16 * 6, seed: 2), labels: (0..<16).map { Int32($0 % 3) })
        XCTAssertEqual(m.cachedWorkspaceFloats, 16 * perRow + 24 * 24)
        try m.releaseWorkspace()
        XCTAssertEqual(m.cachedWorkspaceFloats, 0)
        // A cancelled fit releases them too.
        XCTAssertThrowsError(try trainer.fit(data, epochs: 3) { _ in false })
        XCTAssertEqual(m.cachedWorkspaceFloats, 0)
    }

    // MARK: Fit from borrowed samples

    func testFitOnBorrowedSamplesIsBitIdenticalToFitOnADataset() throws {
        let n = 230
        let x = gaussianArray(n * 6, seed: 11), vx = gaussianArray(40 * 6, seed: 12)
        let y = (0..<n).map { Int32(($0 * 7) % 3) }, vy = (0..<40).map { Int32($0 % 3) }
        for mode in [UpdateMode.checked, .fused] {
            let config = TrainingConfiguration(
                batchSize: 32, optimizer: OptimizerConfiguration(kind: .momentum, learningRate: 0.05, momentum: 0.5),
                seed: 21, updateMode: mode)
            let a = try model(), b = try model()
            let recordsA = try Trainer(model: a, configuration: config).fit(
                try Dataset(features: x, labels: y, featureCount: 6, classCount: 3), epochs: 3,
                validation: try Dataset(features: vx, labels: vy, featureCount: 6, classCount: 3))
            let trainerB = try Trainer(model: b, configuration: config)
            let recordsB = try x.withUnsafeBufferPointer { f in
                try y.withUnsafeBufferPointer { l in
                    try vx.withUnsafeBufferPointer { vf in
                        try vy.withUnsafeBufferPointer { vl in
                            try trainerB.fit(
                                try BorrowedSamples(features: f, labels: l, featureCount: 6, classCount: 3), epochs: 3,
                                validation: try BorrowedSamples(features: vf, labels: vl, featureCount: 6, classCount: 3))
                        }
                    }
                }
            }
            XCTAssertEqual(recordsA.map(\.trainLoss), recordsB.map(\.trainLoss))
            XCTAssertEqual(recordsA.map(\.validation), recordsB.map(\.validation))
            XCTAssertNotNil(recordsB.last?.validation)
            XCTAssertLessThan(recordsB[2].trainLoss, recordsB[0].trainLoss)
            for l in 0..<a.layerCount {
                XCTAssertTrue(try a.weights(layer: l) == b.weights(layer: l), "\(mode): layer \(l) weights differ")
                XCTAssertTrue(try a.bias(layer: l) == b.bias(layer: l), "\(mode): layer \(l) biases differ")
            }
        }
    }

    func testFitOnBorrowedRegressionSamplesMatchesDataset() throws {
        let n = 70
        let x = gaussianArray(n * 6, seed: 31), t = gaussianArray(n * 3, seed: 32)
        let config = TrainingConfiguration(batchSize: 16, loss: .meanSquaredError, seed: 4)
        let a = try model(), b = try model()
        try Trainer(model: a, configuration: config).fit(
            try Dataset(features: x, targets: t, featureCount: 6, targetCount: 3), epochs: 2)
        let trainerB = try Trainer(model: b, configuration: config)
        try x.withUnsafeBufferPointer { f in
            try t.withUnsafeBufferPointer { tb in
                _ = try trainerB.fit(try BorrowedSamples(features: f, targets: tb, featureCount: 6, targetCount: 3), epochs: 2)
            }
        }
        for l in 0..<a.layerCount { XCTAssertTrue(try a.weights(layer: l) == b.weights(layer: l)) }
    }

    func testBorrowedSamplesAreValidatedOnceBeforeAnyStep() throws {
        let x = gaussianArray(10 * 6, seed: 1)
        var y = (0..<10).map { Int32($0 % 3) }
        y[7] = 3
        try x.withUnsafeBufferPointer { f in
            try y.withUnsafeBufferPointer { l in
                XCTAssertThrowsError(try BorrowedSamples(features: f, labels: l, featureCount: 6, classCount: 3)) {
                    guard case BSNNError.invalidArgument(let msg) = $0 else { return XCTFail("\($0)") }
                    XCTAssertTrue(msg.contains("labels[7]") && msg.contains("got 3"), msg)
                }
                let short = UnsafeBufferPointer(rebasing: f[0..<59])
                XCTAssertThrowsError(try BorrowedSamples(features: short, labels: l, featureCount: 6, classCount: 4)) {
                    guard case BSNNError.shapeMismatch(let msg) = $0 else { return XCTFail("\($0)") }
                    XCTAssertTrue(msg.contains("10 × 6"), msg)
                }
                let none = UnsafeBufferPointer(rebasing: l[0..<0])
                XCTAssertThrowsError(try BorrowedSamples(features: f, labels: none, featureCount: 6, classCount: 4)) {
                    guard case BSNNError.invalidArgument(let msg) = $0 else { return XCTFail("\($0)") }
                    XCTAssertTrue(msg.contains("count"), msg)
                }
                // Samples with more classes than the model has outputs: refused before any step.
                let m = try model()
                let trainer = try Trainer(model: m, configuration: TrainingConfiguration(batchSize: 4))
                let wide = try BorrowedSamples(features: f, labels: l, featureCount: 6, classCount: 4)
                XCTAssertThrowsError(try trainer.fit(wide, epochs: 1)) {
                    guard case BSNNError.shapeMismatch = $0 else { return XCTFail("\($0)") }
                }
                XCTAssertEqual(trainer.globalStep, 0)
            }
        }
    }

    /// A NaN or infinity anywhere in the data is refused when the data is handed over,
    /// naming its sample, so that fit never trains on the batches before it.
    func testNonFiniteFeaturesAreRefusedWhereTheDataEntersNamingTheSample() throws {
        let y = (0..<10).map { Int32($0 % 3) }
        for bad in [Float.nan, .infinity, -.infinity] {
            var x = gaussianArray(10 * 6, seed: 2)
            x[9 * 6 + 4] = bad  // the last sample: a per-batch check would come after 2 steps
            XCTAssertThrowsError(try Dataset(features: x, labels: y, featureCount: 6, classCount: 3)) {
                guard case BSNNError.numeric(let msg) = $0 else { return XCTFail("\($0)") }
                XCTAssertTrue(msg.contains("features: sample 9 contains NaN or infinity (value 4"), msg)
            }
            try x.withUnsafeBufferPointer { f in
                try y.withUnsafeBufferPointer { l in
                    XCTAssertThrowsError(
                        try BorrowedSamples(features: f, labels: l, featureCount: 6, classCount: 3, argumentPrefix: "validation_")
                    ) {
                        guard case BSNNError.numeric(let msg) = $0 else { return XCTFail("\($0)") }
                        XCTAssertTrue(msg.hasPrefix("validation_features: sample 9"), msg)
                    }
                }
            }
            var t = gaussianArray(10 * 3, seed: 3)
            t[5 * 3] = bad
            XCTAssertThrowsError(try Dataset(features: gaussianArray(60, seed: 4), targets: t, featureCount: 6, targetCount: 3)) {
                guard case BSNNError.numeric(let msg) = $0 else { return XCTFail("\($0)") }
                XCTAssertTrue(msg.contains("targets: sample 5"), msg)
            }
        }
    }
}
