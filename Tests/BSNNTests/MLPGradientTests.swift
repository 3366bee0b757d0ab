import XCTest
@testable import BSNN

/// Analytic gradients of the whole network against central finite differences.
/// Float tolerance: with h = 1e-2 on a loss of order 1 computed from float logits, the
/// difference quotient carries ~1e-5 rounding noise and O(h²) truncation, so we accept
/// |fd − analytic| ≤ 2e-3 + 3e-2·|analytic|.
final class MLPGradientTests: XCTestCase {
    func gradients(_ model: MLP, _ x: [Float], _ labels: [Int32], loss: LossFunction) throws -> [[Float]] {
        let ws = try model.workspace(batch: labels.count)
        _ = try x.withUnsafeBufferPointer { try model.forward($0.baseAddress!, workspace: ws) }
        _ = try labels.withUnsafeBufferPointer { lb in
            try loss.evaluate(
                logits: ws.logits.pointer, batch: labels.count, outputs: model.configuration.outputs,
                labels: lb.baseAddress, targets: nil, gradient: ws.dLogits.pointer)
        }
        var grads = [[Float]](repeating: [], count: model.layerCount)
        try model.backward(workspace: ws) { g in
            grads[g.index] = g.parameterGradient()
        }
        return grads
    }

    func check(constraint: WeightConstraint, activation: LayerActivation, loss: LossFunction = .crossEntropy) throws {
        let config = MLPConfiguration(
            inputs: 5, width: 6, depth: 3, outputs: 4, activation: activation, constraint: constraint,
            initialization: .orthogonal, bias: true, seed: 7)
        let model = try MLP(config)
        // Row-normalized layers: give V rows non-unit norms so the normalization matters.
        if constraint == .rowNormalized {
            for l in 1...3 {
                var v = try model.weights(layer: l)
                for i in 0..<6 { for j in 0..<6 { v[i * 6 + j] *= Float(1 + 0.3 * Double(i)) } }
                try model.setWeights(layer: l, v)
            }
        }
        let x = gaussianArray(3 * 5, seed: 3)
        let labels: [Int32] = [0, 3, 1]
        let analytic = try gradients(model, x, labels, loss: loss)
        let h: Float = 1e-2
        var checked = 0
        for l in 0..<model.layerCount {
            let original = try model.weights(layer: l)
            for idx in stride(from: 0, to: original.count, by: 5) {
                var plus = original, minus = original
                plus[idx] += h
                minus[idx] -= h
                try model.setWeights(layer: l, plus)
                let lp = try batchLoss(model, x, labels, loss: loss)
                try model.setWeights(layer: l, minus)
                let lm = try batchLoss(model, x, labels, loss: loss)
                try model.setWeights(layer: l, original)
                let fd = (lp - lm) / Double(2 * h)
                let an = Double(analytic[l][idx])
                XCTAssertEqual(
                    an, fd, accuracy: 2e-3 + 3e-2 * abs(an),
                    "\(constraint) \(activation.displayName) layer \(l) weight \(idx)")
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 30)
    }

    func testGradientsNoConstraintTanh() throws {
        try check(constraint: .none, activation: LayerActivation(closureTanh))
    }

    func testGradientsRowNormalizedTanhWithShift() throws {
        try check(constraint: .rowNormalized, activation: LayerActivation(closureTanh, scale: 1.4674, shift: 0.3885, gpnRoot: "b+"))
    }

    func testGradientsRowNormalizedSoftplusMSE() throws {
        try check(constraint: .rowNormalized, activation: LayerActivation(closureSoftplus), loss: .meanSquaredError)
    }

    func testGradientsOrthogonalSoftplus() throws {
        try check(constraint: .orthogonal, activation: LayerActivation(closureSoftplus, scale: 1.3, shift: -0.2))
    }

    func testGradientsHuberAndLogistic() throws {
        try check(constraint: .none, activation: LayerActivation(closureTanh), loss: .huber)
        try check(constraint: .rowNormalized, activation: LayerActivation(closureTanh), loss: .binaryLogistic)
    }
}
