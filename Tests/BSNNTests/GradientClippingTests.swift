import XCTest
@testable import BSNN

/// Gradient-norm clipping: the reported norm is the norm of the explicitly formed
/// gradients, a clipped SGD step moves the parameters by exactly c, and clipping off (or
/// never triggered) leaves training bit-identical.
final class GradientClippingTests: XCTestCase {
    /// Width 40 with batch 8 takes the Gram path for the square unconstrained layers
    /// (8·80 < 1600), the input and output layers the explicit one.
    func makeModel(_ constraint: WeightConstraint, seed: UInt64 = 3) throws -> MLP {
        let model = try MLP(MLPConfiguration(
            inputs: 6, width: 40, depth: 4, outputs: 3, activation: try .builtin("tanh"), constraint: constraint, seed: seed))
        if constraint == .rowNormalized {
            // Non-unit rows, so the projection term of ∂E/∂V matters.
            for l in 1...4 {
                var v = try model.weights(layer: l)
                for i in 0..<40 { for j in 0..<40 { v[i * 40 + j] *= Float(1 + 0.05 * Double(i)) } }
                try model.setWeights(layer: l, v)
            }
        }
        return model
    }

    let batch = 8
    func batchData(_ s: Int, count: Int? = nil) -> ([Float], [Int32]) {
        let n = count ?? batch
        return (gaussianArray(n * 6, seed: UInt64(100 + s), std: 2), (0..<n).map { Int32(($0 * 7 + s) % 3) })
    }

    /// Every parameter's gradient formed explicitly by the plain backward pass (∂E/∂V with
    /// the projection, biases), flattened in layer order, as float64.
    func explicitGradient(_ model: MLP, _ x: [Float], _ labels: [Int32]) throws -> [Double] {
        let ws = try model.workspace(batch: labels.count)
        _ = try x.withUnsafeBufferPointer { try model.forward($0.baseAddress!, workspace: ws) }
        _ = try labels.withUnsafeBufferPointer { lb in
            try LossFunction.crossEntropy.evaluate(
                logits: ws.logits.pointer, batch: labels.count, outputs: model.configuration.outputs,
                labels: lb.baseAddress, targets: nil, gradient: ws.dLogits.pointer)
        }
        var perLayer = [[Double]](repeating: [], count: model.layerCount)
        try model.backward(workspace: ws) { g in
            let bias = g.biasGradient.map { Array(UnsafeBufferPointer(start: $0, count: g.layer.outputs)) } ?? []
            perLayer[g.index] = (g.parameterGradient() + bias).map(Double.init)
        }
        model.releaseWorkspaceHoldingModel()
        return perLayer.flatMap { $0 }
    }

    func parameters(_ model: MLP) throws -> [Double] {
        try (0..<model.layerCount).flatMap { try model.weights(layer: $0) + (model.bias(layer: $0) ?? []) }.map(Double.init)
    }

    func sgd(clip: Double?, mode: UpdateMode = .checked, kind: OptimizerKind = .sgd) -> TrainingConfiguration {
        TrainingConfiguration(
            batchSize: batch, optimizer: OptimizerConfiguration(kind: kind, learningRate: kind == .sgd ? 1 : 0.01, momentum: 0.9, weightDecay: 0),
            updateMode: mode, clipGradientNorm: clip)
    }

    /// Batch 8 takes the Gram path for the hidden layers (with the kept X·Vᵀ for the
    /// projection term of row-normalized ones), batch 64 the explicit one (64·80 > 40²).
    func testReportedNormIsTheNormOfTheExplicitGradient() throws {
        for constraint in [WeightConstraint.rowNormalized, .none, .orthogonal] {
          for n in [8, 64] {
            let model = try makeModel(constraint)
            let (x, y) = batchData(0, count: n)
            let reference = try explicitGradient(model, x, y).reduce(0) { $0 + $1 * $1 }.squareRoot()
            var config = sgd(clip: 1e30)
            config.batchSize = n
            let trainer = try Trainer(model: model, configuration: config)
            let r = try trainer.step(features: x, labels: y)
            let norm = try XCTUnwrap(r.gradientNorm)
            XCTAssertFalse(r.clipped)
            XCTAssertEqual(trainer.lastGradientNorm, norm)
            // Float gradients summed in double; the Gram path differs in rounding only.
            XCTAssertEqual(norm, reference, accuracy: 1e-5 * reference, "\(constraint)")
            XCTAssertGreaterThan(reference, 0.1)
            print("clipping \(constraint.rawValue) batch \(n): reported \(norm), explicit \(reference)")
          }
        }
    }

    /// SGD with learning rate 1 and no decay moves every parameter by −k·∇: a clipped step
    /// moves them by exactly c in L2 norm, along the explicit gradient. (Orthogonal layers
    /// are retracted after the step, so they are left out here.)
    func testClippedSGDStepMovesTheParametersByC() throws {
        for constraint in [WeightConstraint.rowNormalized, .none] {
            let model = try makeModel(constraint)
            let (x, y) = batchData(1)
            let grad = try explicitGradient(model, x, y)
            let norm = grad.reduce(0) { $0 + $1 * $1 }.squareRoot()
            let c = norm / 4
            let before = try parameters(model)
            let trainer = try Trainer(model: model, configuration: sgd(clip: c))
            let r = try trainer.step(features: x, labels: y)
            XCTAssertTrue(r.clipped)
            XCTAssertEqual(try XCTUnwrap(r.gradientNorm), norm, accuracy: 1e-5 * norm)
            let delta = zip(try parameters(model), before).map { $0 - $1 }
            let moved = delta.reduce(0) { $0 + $1 * $1 }.squareRoot()
            XCTAssertEqual(moved, c, accuracy: 1e-3 * c, "\(constraint)")
            let k = c / norm
            let worst = zip(delta, grad).map { abs($0 + k * $1) }.max() ?? .nan
            XCTAssertLessThan(worst, 1e-4 * c, "\(constraint): the step is not −(c/‖∇‖)·∇")
            print("clipping \(constraint.rawValue): ‖∇‖ = \(norm), c = \(c), ‖Δθ‖ = \(moved)")
        }
    }

    func train(_ config: TrainingConfiguration, constraint: WeightConstraint, steps: Int = 12) throws -> ([Double], [StepResult]) {
        let model = try makeModel(constraint, seed: 9)
        let trainer = try Trainer(model: model, configuration: config)
        var results: [StepResult] = []
        for s in 0..<steps {
            let (x, y) = batchData(s)
            results.append(try trainer.step(features: x, labels: y))
        }
        return (try parameters(model), results)
    }

    /// Off (nil or 0) is the plain step; a bound never reached measures the norm but scales
    /// nothing, so it is bit-identical too, in both update modes (fused runs the checked
    /// path with clipping on, which without divergence is bit-identical to fused).
    func testClippingOffOrNeverReachedIsBitIdentical() throws {
        for constraint in [WeightConstraint.rowNormalized, .none, .orthogonal] {
            for kind in [OptimizerKind.momentum, .adam] {
                let (plain, plainResults) = try train(sgd(clip: nil, kind: kind), constraint: constraint)
                XCTAssertTrue(plainResults.allSatisfy { $0.gradientNorm == nil && !$0.clipped })
                XCTAssertTrue(try train(sgd(clip: 0, kind: kind), constraint: constraint).0 == plain)
                XCTAssertTrue(try train(sgd(clip: nil, mode: .fused, kind: kind), constraint: constraint).0 == plain)
                let (measured, results) = try train(sgd(clip: 1e30, kind: kind), constraint: constraint)
                XCTAssertTrue(measured == plain, "\(constraint) \(kind)")
                XCTAssertTrue(results.allSatisfy { ($0.gradientNorm ?? 0) > 0 && !$0.clipped })
                XCTAssertTrue(try train(sgd(clip: 1e30, mode: .fused, kind: kind), constraint: constraint).0 == plain)
            }
        }
    }

    func testCheckedAndFusedAgreeWithClippingOn() throws {
        for constraint in [WeightConstraint.rowNormalized, .none, .orthogonal] {
            let (checked, results) = try train(sgd(clip: 0.05, kind: .adam), constraint: constraint)
            XCTAssertTrue(results.contains(where: \.clipped))
            let (fused, _) = try train(sgd(clip: 0.05, mode: .fused, kind: .adam), constraint: constraint)
            XCTAssertTrue(checked == fused, "\(constraint)")
            // Clipping changed the run.
            XCTAssertFalse(try train(sgd(clip: nil, kind: .adam), constraint: constraint).0 == checked)
        }
    }

    func testBadClipNormIsRejected() throws {
        let model = try makeModel(.none)
        for bad in [-1.0, .nan, .infinity, -.infinity] {
            XCTAssertThrowsError(try Trainer(model: model, configuration: sgd(clip: bad))) { e in
                XCTAssertTrue("\(e)".contains("clip gradient norm: expected a finite value >= 0"), "\(e)")
            }
        }
    }

    func testCheckpointKeepsTheClipNormAndResumesBitIdentically() throws {
        let dir = try makeTempDirectory()
        defer { removeTree(dir) }
        let config = sgd(clip: 0.05, kind: .adam)
        let (straight, _) = try train(config, constraint: .rowNormalized, steps: 12)
        let model = try makeModel(.rowNormalized, seed: 9)
        let trainer = try Trainer(model: model, configuration: config)
        for s in 0..<5 { let (x, y) = batchData(s); try trainer.step(features: x, labels: y) }
        let path = dir + "/clip.ckpt"
        try Checkpoint.save(trainer, to: path)
        let resumed = try Checkpoint.load(path)
        XCTAssertEqual(resumed.configuration.clipGradientNorm, 0.05)
        for s in 5..<12 { let (x, y) = batchData(s); try resumed.step(features: x, labels: y) }
        XCTAssertTrue(try parameters(resumed.model) == straight)
    }
}
