import XCTest
@testable import BSNN

/// The two update modes differ only in *when* a layer's update is applied, never in its
/// arithmetic: without divergence they must give bit-identical models, for every
/// optimizer and constraint, through `step` and through `fit` (optimizer state included).
final class UpdateModeTests: XCTestCase {
    struct Run {
        let parameters: [Float]
        let crc: UInt32
    }

    func train(
        mode: UpdateMode, kind: OptimizerKind, constraint: WeightConstraint, steps: Int = 30
    ) throws -> Run {
        let model = try MLP(MLPConfiguration(
            inputs: 6, width: 20, depth: 7, outputs: 3, activation: try .builtin("tanh"),
            constraint: constraint, seed: 4))
        let trainer = try Trainer(model: model, configuration: TrainingConfiguration(
            batchSize: 12,
            optimizer: OptimizerConfiguration(kind: kind, learningRate: [.adam, .rmsprop, .adagrad].contains(kind) ? 0.003 : 0.02, momentum: 0.9, weightDecay: 1e-4),
            updateMode: mode))
        for s in 0..<steps {
            try trainer.step(features: gaussianArray(12 * 6, seed: UInt64(s)), labels: (0..<12).map { Int32(($0 + s) % 3) })
        }
        let p = try (0..<model.layerCount).flatMap { try model.weights(layer: $0) + (model.bias(layer: $0) ?? []) }
        var crc = CRC32()
        p.withUnsafeBytes { crc.update($0) }
        return Run(parameters: p, crc: crc.value)
    }

    func testCheckedAndFusedStepsAreBitIdentical() throws {
        var lines: [String] = []
        for constraint in [WeightConstraint.rowNormalized, .none, .orthogonal] {
            for kind in [OptimizerKind.sgd, .momentum, .nesterov, .adam, .rmsprop, .adagrad] {
                let checked = try train(mode: .checked, kind: kind, constraint: constraint)
                let fused = try train(mode: .fused, kind: kind, constraint: constraint)
                XCTAssertTrue(checked.parameters.allSatisfy(\.isFinite))
                XCTAssertTrue(checked.parameters == fused.parameters, "\(constraint) \(kind): checked and fused differ")
                // The same run twice is a replay: bit-identical.
                XCTAssertEqual(try train(mode: .checked, kind: kind, constraint: constraint).crc, checked.crc)
                lines.append("\(constraint.rawValue) \(kind.rawValue) \(CRC32.hex(checked.crc))")
            }
        }
        // Printed so that a refactoring can be compared by hand with the code before it
        // (the values depend on the BLAS kernel, so they are not asserted).
        print("update-mode CRCs (\(BLAS.coreName)):\n" + lines.joined(separator: "\n"))
    }

    /// fit, then a checkpoint: its bytes cover the weights, the optimizer slots, the
    /// position and the shuffling generator, so its printed CRC compares whole training
    /// states across a refactoring (kernel-dependent, so not asserted).
    func testFitThenCheckpointRoundTrip() throws {
        let dir = try makeTempDirectory()
        defer { removeTree(dir) }
        var x = [Float](), y = [Int32]()
        var rng = RandomGenerator(seed: 11)
        for i in 0..<90 {
            for j in 0..<6 { x.append(Float(rng.nextGaussian() + (j % 3 == i % 3 ? 1.5 : 0))) }
            y.append(Int32(i % 3))
        }
        let data = try Dataset(features: x, labels: y, featureCount: 6, classCount: 3)
        var crcs: [UInt32] = []
        for mode in [UpdateMode.checked, .fused] {
            for kind in [OptimizerKind.momentum, .adam] {
                let model = try MLP(MLPConfiguration(inputs: 6, width: 16, depth: 5, outputs: 3, activation: try .builtin("tanh"), seed: 2))
                let trainer = try Trainer(model: model, configuration: TrainingConfiguration(
                    batchSize: 16, optimizer: OptimizerConfiguration(kind: kind, learningRate: 0.01), seed: 5, updateMode: mode))
                try trainer.fit(data, epochs: 3)
                let path = dir + "/\(mode.rawValue)-\(kind.rawValue).ckpt"
                try Checkpoint.save(trainer, to: path)
                let bytes = try readFile(path)
                crcs.append(CRC32.checksum(bytes))
                let resumed = try Checkpoint.load(path)
                XCTAssertEqual(resumed.globalStep, 18)
                XCTAssertEqual(resumed.epoch, 3)
            }
        }
        print("checkpoint CRCs (\(BLAS.coreName)): " + crcs.map(CRC32.hex).joined(separator: " "))
    }

    /// A fused step that meets a non-finite gradient stops with an error naming the mode.
    func testFusedDivergenceIsReported() throws {
        let model = try MLP(MLPConfiguration(inputs: 6, width: 16, depth: 4, outputs: 3, activation: try .builtin("tanh")))
        let trainer = try Trainer(model: model, configuration: TrainingConfiguration(
            batchSize: 8, loss: .meanSquaredError, optimizer: OptimizerConfiguration(kind: .sgd, learningRate: 1e12), updateMode: .fused))
        XCTAssertThrowsError(try (0..<50).forEach { s in
            try trainer.step(features: gaussianArray(8 * 6, seed: UInt64(s), std: 3), labels: (0..<8).map { Int32($0 % 3) })
        }) { error in
            guard case BSNNError.numeric(let m) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(m.contains("divergence"), m)
        }
    }

    /// The optimizer slots belong to the trainer: a second trainer on the same model
    /// starts from zero velocity, i.e. exactly like a fresh trainer on a copy of the model.
    func testOptimizerStateBelongsToTheTrainer() throws {
        func model() throws -> MLP {
            try MLP(MLPConfiguration(inputs: 6, width: 12, depth: 3, outputs: 3, activation: try .builtin("tanh"), seed: 8))
        }
        let config = TrainingConfiguration(batchSize: 8, optimizer: OptimizerConfiguration(kind: .momentum, learningRate: 0.05, momentum: 0.9))
        let x = gaussianArray(8 * 6, seed: 3), y: [Int32] = (0..<8).map { Int32($0 % 3) }
        let shared = try model()
        let first = try Trainer(model: shared, configuration: config)
        for _ in 0..<5 { try first.step(features: x, labels: y) }
        let reference = try model()
        for l in 0..<shared.layerCount {
            try reference.setWeights(layer: l, try shared.weights(layer: l))
            if let b = try shared.bias(layer: l) { try reference.setBias(layer: l, b) }
        }
        let second = try Trainer(model: shared, configuration: config)
        try second.step(features: x, labels: y)
        try Trainer(model: reference, configuration: config).step(features: x, labels: y)
        for l in 0..<shared.layerCount {
            XCTAssertEqual(try shared.weights(layer: l), try reference.weights(layer: l), "layer \(l)")
        }
    }

    /// The checked step decides "some layer's gradient is not finite" from its first pass
    /// (a bound, and the full gradient only past the bound); it must name the same first
    /// layer as forming every gradient and checking it the way the old store-then-check
    /// step did. Huge loss gradients put layers on both sides of the bound.
    func testCheckedVerdictMatchesFormingEveryGradient() throws {
        for bias in [true, false] {
            for constraint in [WeightConstraint.none, .rowNormalized] {
                let model = try MLP(MLPConfiguration(
                    inputs: 6, width: 16, depth: 4, outputs: 3, activation: try .builtin("tanh"), constraint: constraint,
                    bias: bias, seed: 6))
                let ws = try model.workspace(batch: 8)
                let x = gaussianArray(8 * 6, seed: 2)
                var verdicts: [String] = []
                for scale: Float in [1, 1e30, 1e36, 1e37, 3e37, 1e38, 3e38] {
                    func prepare() throws {
                        try x.withUnsafeBufferPointer { _ = try model.forward($0.baseAddress!, workspace: ws) }
                        let g = gaussianArray(8 * 3, seed: 9)
                        for i in 0..<g.count { ws.dLogits.pointer[i] = g[i] * scale }
                    }
                    try prepare()
                    var expected: Int? = nil
                    try model.backward(workspace: ws) { g in
                        let biasFinite = g.biasGradient.map { BLAS.allFinite($0, count: g.layer.outputs) } ?? true
                        if expected == nil && (!g.effectiveWeightGradientNormSquared.isFinite || !biasFinite) { expected = g.index }
                    }
                    try prepare()
                    let got = try model.backwardSignals(workspace: ws)
                    XCTAssertEqual(got, expected, "bias \(bias), \(constraint), scale \(scale)")
                    verdicts.append("\(scale):\(got.map(String.init) ?? "-")")
                }
                // Both outcomes must occur, or the test would not test the decision.
                XCTAssertTrue(verdicts.contains { $0.hasSuffix(":-") } && verdicts.contains { !$0.hasSuffix(":-") }, "\(verdicts)")
            }
        }
    }
}
