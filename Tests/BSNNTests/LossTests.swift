import XCTest
@testable import BSNN

final class LossTests: XCTestCase {
    func run(_ loss: LossFunction, _ z: [Float], labels: [Int32]? = nil, targets: [Float]? = nil, outputs: Int)
        throws -> (Double, Int, [Float])
    {
        let batch = z.count / outputs
        var g = [Float](repeating: 0, count: z.count)
        let r = try z.withUnsafeBufferPointer { zp in
            try g.withUnsafeMutableBufferPointer { gp in
                try (labels ?? []).withUnsafeBufferPointer { lp in
                    try (targets ?? []).withUnsafeBufferPointer { tp in
                        try loss.evaluate(
                            logits: zp.baseAddress!, batch: batch, outputs: outputs,
                            labels: labels == nil ? nil : lp.baseAddress, targets: targets == nil ? nil : tp.baseAddress,
                            gradient: gp.baseAddress)
                    }
                }
            }
        }
        return (r.loss, r.correct, g)
    }

    func testCrossEntropyByHand() throws {
        // Row 1: logits (1, 2, 3), label 2: −log(e³/(e+e²+e³)) = 0.40760596444...
        // Row 2: logits (0, 0, 0), label 0: log 3 = 1.0986122886681098
        let (l, correct, g) = try run(.crossEntropy, [1, 2, 3, 0, 0, 0], labels: [2, 0], outputs: 3)
        XCTAssertEqual(l, (0.40760596444437 + 1.0986122886681098) / 2, accuracy: 1e-7)
        XCTAssertEqual(correct, 2)  // ties resolve to the first index, label 0
        let s = exp(1.0) + exp(2.0) + exp(3.0)
        XCTAssertEqual(Double(g[0]), exp(1.0) / s / 2, accuracy: 1e-7)
        XCTAssertEqual(Double(g[2]), (exp(3.0) / s - 1) / 2, accuracy: 1e-7)
        XCTAssertEqual(Double(g[3]), (1.0 / 3 - 1) / 2, accuracy: 1e-7)
    }

    func testCrossEntropyIsStableForHugeLogits() throws {
        let (l, _, g) = try run(.crossEntropy, [1000, -1000, 0], labels: [1], outputs: 3)
        XCTAssertEqual(l, 2000, accuracy: 1e-9)
        XCTAssertEqual(g[0], 1, accuracy: 1e-7)
        XCTAssertEqual(g[1], -1, accuracy: 1e-7)
    }

    func testMSEHuberLogisticByHand() throws {
        let (mse, _, gm) = try run(.meanSquaredError, [1, 3], targets: [0, 1], outputs: 2)
        XCTAssertEqual(mse, (1 + 4) / 2.0, accuracy: 1e-12)
        XCTAssertEqual(gm, [1, 2])  // 2·d/(outputs·batch)
        let (hub, _, gh) = try run(.huber, [0.5, 3], targets: [0, 0], outputs: 2)
        XCTAssertEqual(hub, (0.125 + 2.5) / 2, accuracy: 1e-12)
        XCTAssertEqual(gh, [0.25, 0.5])
        let (bce, _, gb) = try run(.binaryLogistic, [0, 2], targets: [1, 0], outputs: 2)
        XCTAssertEqual(bce, log(2.0) + log(1 + exp(2.0)), accuracy: 1e-9)
        XCTAssertEqual(Double(gb[0]), -0.5, accuracy: 1e-7)
        XCTAssertEqual(Double(gb[1]), 1 / (1 + exp(-2.0)), accuracy: 1e-7)
        // One-hot targets from labels for MSE.
        let (m2, c2, _) = try run(.meanSquaredError, [0, 1], labels: [1], outputs: 2)
        XCTAssertEqual(m2, 0, accuracy: 1e-12)
        XCTAssertEqual(c2, 1)
    }

    func testLabelOutOfRangeAndMissingLabelsRejected() throws {
        // Labels are checked once, where a batch enters the engine.
        let config = MLPConfiguration(inputs: 1, width: 4, depth: 1, outputs: 2, activation: LayerActivation(closureTanh))
        XCTAssertThrowsError(try [Float(0), 0].withUnsafeBufferPointer { f in
            try [Int32(1), 2].withUnsafeBufferPointer { l in _ = try Batch(features: f, labels: l, for: config) }
        }) {
            guard case BSNNError.invalidArgument(let m) = $0 else { return XCTFail("\($0)") }
            XCTAssertTrue(m.contains("labels[1]: expected a class in 0..<2, got 2"), m)
        }
        XCTAssertThrowsError(try run(.crossEntropy, [0, 0], targets: [0, 1], outputs: 2))
    }
}

final class OptimizerTests: XCTestCase {
    func step(_ c: OptimizerConfiguration, steps: [[Float]], start: [Float]) -> [Float] {
        var p = start
        var s1 = [Float](repeating: 0, count: p.count), s2 = s1
        for (t, g) in steps.enumerated() {
            let u = ParameterUpdate(c, step: t)
            p.withUnsafeMutableBufferPointer { pp in
                s1.withUnsafeMutableBufferPointer { a in
                    s2.withUnsafeMutableBufferPointer { b in
                        u.apply(pp.baseAddress!, g, a.baseAddress, b.baseAddress, count: g.count)
                    }
                }
            }
        }
        return p
    }

    let grads: [[Float]] = [[1, -2], [0.5, 0.5], [-1, 3]]

    func testSGDAndMomentumAgainstHandComputation() {
        let sgd = step(OptimizerConfiguration(kind: .sgd, learningRate: 0.1), steps: grads, start: [1, 1])
        XCTAssertEqual(sgd[0], 1 - 0.1 * (1 + 0.5 - 1), accuracy: 1e-6)
        // v1 = g1, v2 = .9 v1 + g2, v3 = .9 v2 + g3; p = p0 − η(v1+v2+v3)
        let mom = step(OptimizerConfiguration(kind: .momentum, learningRate: 0.1, momentum: 0.9), steps: grads, start: [1, 1])
        let v1: Float = 1, v2: Float = 0.9 * v1 + 0.5, v3: Float = 0.9 * v2 - 1
        XCTAssertEqual(mom[0], 1 - 0.1 * (v1 + v2 + v3), accuracy: 1e-6)
    }

    func testNesterovMatchesPyTorchFormula() {
        let p = step(OptimizerConfiguration(kind: .nesterov, learningRate: 0.1, momentum: 0.5), steps: grads, start: [0, 0])
        var x: Double = 0, v: Double = 0
        for g in grads.map({ Double($0[1]) }) {
            v = 0.5 * v + g
            x -= 0.1 * (g + 0.5 * v)
        }
        XCTAssertEqual(Double(p[1]), x, accuracy: 1e-6)
    }

    func testAdamMatchesReferenceFormula() {
        let c = OptimizerConfiguration(kind: .adam, learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.1)
        let p = step(c, steps: grads, start: [1, 1])
        var x = 1.0, m = 0.0, v = 0.0
        for (t, g) in grads.map({ Double($0[0]) }).enumerated() {
            x *= 1 - 0.01 * 0.1
            m = 0.9 * m + 0.1 * g
            v = 0.999 * v + 0.001 * g * g
            let mh = m / (1 - pow(0.9, Double(t + 1))), vh = v / (1 - pow(0.999, Double(t + 1)))
            x -= 0.01 * mh / (vh.squareRoot() + 1e-8)
        }
        XCTAssertEqual(Double(p[0]), x, accuracy: 1e-6)
    }

    /// RMSProp and AdaGrad over three steps (decoupled decay, both coordinates) against
    /// the formulas written out in float64; the float32 kernels agree to 1e-6.
    func testRMSPropAndAdaGradMatchFloat64Reference() {
        for kind in [OptimizerKind.rmsprop, .adagrad] {
            let c = OptimizerConfiguration(kind: kind, learningRate: 0.01, beta2: 0.99, epsilon: 1e-8, weightDecay: 0.1)
            let p = step(c, steps: grads, start: [1, -0.5])
            for j in 0..<2 {
                var x = j == 0 ? 1.0 : -0.5, v = 0.0
                for g in grads.map({ Double($0[j]) }) {
                    x *= 1 - 0.01 * 0.1
                    v = kind == .rmsprop ? 0.99 * v + 0.01 * g * g : v + g * g
                    x -= 0.01 * g / (v.squareRoot() + 1e-8)
                }
                XCTAssertEqual(Double(p[j]), x, accuracy: 1e-6, "\(kind) coordinate \(j)")
            }
        }
        // The first AdaGrad step is a sign step of size η (|g|/√g² = 1, up to ε).
        let first = step(OptimizerConfiguration(kind: .adagrad, learningRate: 0.5), steps: [[4, -0.25]], start: [0, 0])
        XCTAssertEqual(first[0], -0.5, accuracy: 1e-6)
        XCTAssertEqual(first[1], 0.5, accuracy: 1e-6)
    }

    /// With a row projection c the kernels see g − c·p (the gradient through the row
    /// normalization), exactly like the existing rules.
    func testAdaptiveRulesUseTheProjectedGradient() {
        for kind in [OptimizerKind.rmsprop, .adagrad] {
            let u = ParameterUpdate(OptimizerConfiguration(kind: kind, learningRate: 0.1, beta2: 0.9), step: 0)
            var p: [Float] = [2, -1], v: [Float] = [0.5, 0.25]
            let g: [Float] = [1, 3], c: Float = 0.5
            p.withUnsafeMutableBufferPointer { pp in
                v.withUnsafeMutableBufferPointer { vv in
                    u.apply(pp.baseAddress!, g, projection: c, vv.baseAddress, nil, count: 2)
                }
            }
            let p0 = [2.0, -1.0], v0 = [0.5, 0.25]
            for j in 0..<2 {
                let gj = Double(g[j]) - 0.5 * p0[j]
                let vj = kind == .rmsprop ? 0.9 * v0[j] + 0.1 * gj * gj : v0[j] + gj * gj
                XCTAssertEqual(Double(v[j]), vj, accuracy: 1e-6, "\(kind) slot \(j)")
                XCTAssertEqual(Double(p[j]), p0[j] - 0.1 * gj / (vj.squareRoot() + 1e-8), accuracy: 1e-6, "\(kind) p\(j)")
            }
        }
    }

    func testSchedules() {
        XCTAssertEqual(LearningRateSchedule.step(every: 10, factor: 0.5).factor(at: 25), 0.25)
        XCTAssertEqual(LearningRateSchedule.cosine(totalSteps: 100, minimumFactor: 0).factor(at: 50), 0.5, accuracy: 1e-12)
        XCTAssertEqual(LearningRateSchedule.cosine(totalSteps: 100, minimumFactor: 0.1).factor(at: 500), 0.1, accuracy: 1e-12)
        XCTAssertThrowsError(try OptimizerConfiguration(learningRate: .nan).validate())
        XCTAssertThrowsError(try OptimizerConfiguration(momentum: 1).validate())
    }
}
