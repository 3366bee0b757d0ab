import XCTest
@testable import BSNN

/// Every combination of the architecture options (normalization × residual links ×
/// dropout) with the training remedies (clipping, early stopping): the options meet in
/// one layer loop, one optimizer state, one model file and one checkpoint, so each
/// combination is checked for what the single-option suites check alone.
final class ArchitectureCombinationTests: XCTestCase {
    struct Case: CustomStringConvertible {
        var norm: Normalization
        var residual: ResidualScale?
        var dropout: Double
        var description: String { "norm \(norm.rawValue), residual \(residual.map { "\($0)" } ?? "off"), dropout \(dropout)" }
    }

    static let cases: [Case] = [Normalization.none, .batch, .layer].flatMap { norm in
        [nil, ResidualScale.fixed(1 / 3.0.squareRoot()), .learnable].flatMap { residual in
            [0.0, 0.25].map { Case(norm: norm, residual: residual, dropout: $0) }
        }
    }

    func model(_ c: Case, constraint: WeightConstraint = .rowNormalized, seed: UInt64 = 5) throws -> MLP {
        let m = try MLP(MLPConfiguration(
            inputs: 5, width: 12, depth: 3, outputs: 3, activation: try .builtin("tanh", gpn: GPNRoot.paper(for: "tanh")),
            constraint: constraint, seed: seed, normalization: c.norm,
            residual: c.residual != nil, residualScale: c.residual ?? MLPConfiguration.defaultResidualScale, dropout: c.dropout))
        // Learnable α starts at 0 (the plain input→output path); move it off 0 so the
        // hidden layers and their gradients take part.
        if case .learnable? = c.residual { for l in 1...3 { try m.setResidualScale(layer: l, 0.3 + 0.1 * Float(l)) } }
        return m
    }

    func data(seed: UInt64, count: Int) throws -> Dataset {
        let x = gaussianArray(count * 5, seed: seed)
        return try Dataset(features: x, labels: (0..<count).map { Int32(($0 * 7 + Int(seed)) % 3) }, featureCount: 5, classCount: 3)
    }

    /// Every float the model computes with, in a fixed order (weights, biases, row scales,
    /// α, γ, β, running statistics).
    func state(_ m: MLP) -> [Float] {
        m.stateBuffers.flatMap { Array(UnsafeBufferPointer(start: $0.pointer, count: $0.count)) }
    }

    /// The trainable parameters only (what an SGD step moves): no row scales, no running
    /// statistics, no fixed α.
    func trainable(_ m: MLP) -> [Double] {
        var out: [Double] = []
        for layer in m.layers {
            out += Array(UnsafeBufferPointer(start: layer.weight.pointer, count: layer.weight.count)).map(Double.init)
            if let b = layer.bias { out += Array(UnsafeBufferPointer(start: b.pointer, count: b.count)).map(Double.init) }
            if layer.learnsResidualScale, let a = layer.residualScale { out.append(Double(a.pointer[0])) }
        }
        for n in m.normalizations {
            out += Array(UnsafeBufferPointer(start: n.scaleShift.pointer, count: n.scaleShift.count)).map(Double.init)
        }
        return out
    }

    /// Train, checkpoint, train on; a trainer decoded from the checkpoint trains on to the
    /// same bits. Then save → load → predict is bit-identical.
    func testResumeAndSaveLoadAreBitIdenticalForEveryCombination() throws {
        let train = try data(seed: 1, count: 50), x = gaussianArray(7 * 5, seed: 9)
        for c in Self.cases {
            let config = TrainingConfiguration(
                epochs: 2, batchSize: 8, optimizer: OptimizerConfiguration(kind: .adam, learningRate: 0.01), seed: 3,
                clipGradientNorm: 0.5)
            let straight = try Trainer(model: try model(c), configuration: config)
            try straight.fit(train)
            let interrupted = try Trainer(model: try model(c), configuration: config)
            XCTAssertThrowsError(try interrupted.fit(train) { $0.globalStep < 5 }, "\(c)")
            let resumed = try Checkpoint.decode(try Checkpoint.encode(interrupted))
            try resumed.fit(train)
            XCTAssertEqual(resumed.globalStep, straight.globalStep, "\(c)")
            XCTAssertTrue(state(resumed.model) == state(straight.model), "\(c): resumed run differs")

            let loaded = try ModelFile.decode(try ModelFile.encode(straight.model))
            XCTAssertTrue(state(loaded) == state(straight.model), "\(c): loaded state differs")
            XCTAssertTrue(try loaded.predict(x) == straight.model.predict(x), "\(c): predict after load differs")
            XCTAssertTrue(try loaded.predict(x).allSatisfy(\.isFinite), "\(c)")
        }
    }

    /// SGD with learning rate 1 and a bound below the gradient's norm moves the trainable
    /// parameters (weights, biases, γ, β, learnable α) by exactly the bound: the clipping
    /// norm covers every parameter the optimizer updates, in every combination.
    func testClippedStepMovesEveryParameterByTheBound() throws {
        let batch = try data(seed: 4, count: 16)
        for c in Self.cases {
            let m = try model(c, constraint: .none)
            let before = trainable(m)
            let bound = 1e-3
            let trainer = try Trainer(model: m, configuration: TrainingConfiguration(
                batchSize: 16, optimizer: OptimizerConfiguration(kind: .sgd, learningRate: 1, weightDecay: 0), seed: 2,
                clipGradientNorm: bound))
            let r = try trainer.step(features: batch.features, labels: batch.labels)
            XCTAssertTrue(r.clipped, "\(c): the gradient norm \(r.gradientNorm ?? .nan) should exceed \(bound)")
            let moved = zip(trainable(m), before).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
            // Float parameters of order 1 moved by 1e-3: each difference carries ~6e-8 of rounding.
            XCTAssertEqual(moved, bound, accuracy: 2e-2 * bound, "\(c)")
        }
    }

    /// Early stopping restores every parameter and buffer (γ, β, running statistics, α)
    /// of the best epoch: the result is bit-identical to a run of exactly that many epochs.
    func testEarlyStoppingRestoresTheBestEpochWithEveryBuffer() throws {
        let train = try data(seed: 5, count: 48), validation = try data(seed: 6, count: 32)
        for c in [Case(norm: .batch, residual: .learnable, dropout: 0.25), Case(norm: .layer, residual: .fixed(0.5), dropout: 0)] {
            func trainer(_ epochs: Int, _ rule: EarlyStopping?) throws -> Trainer {
                try Trainer(model: try model(c), configuration: TrainingConfiguration(
                    epochs: epochs, batchSize: 16, optimizer: OptimizerConfiguration(kind: .adam, learningRate: 0.05), seed: 2,
                    earlyStopping: rule))
            }
            let rule = EarlyStopping(patience: 2)
            let stopped = try trainer(40, rule)
            try stopped.fit(train, validation: validation)
            let outcome = try XCTUnwrap(stopped.earlyStoppingOutcome, "\(c)")
            XCTAssertTrue(outcome.stoppedEarly, "\(c): noise labels must overfit within 40 epochs")
            let exact = try trainer(outcome.bestEpoch + 1, nil)
            try exact.fit(train, validation: validation)
            XCTAssertTrue(state(stopped.model) == state(exact.model), "\(c): restored ≠ best epoch")
        }
    }
}
