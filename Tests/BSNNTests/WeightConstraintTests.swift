import XCTest
@testable import BSNN

final class WeightConstraintTests: XCTestCase {
    func testHaarOrthogonalInitAtWidth500() throws {
        var rng = RandomGenerator(seed: 11)
        var w = [Float](repeating: 0, count: 500 * 500)
        try w.withUnsafeMutableBufferPointer { try WeightInitialization.orthogonal.fill($0.baseAddress!, rows: 500, columns: 500, rng: &rng) }
        XCTAssertLessThan(orthogonalityError(w, n: 500), 1e-4)
        // Same seed, same matrix; another seed, another matrix.
        var rng2 = RandomGenerator(seed: 11)
        var w2 = [Float](repeating: 0, count: 500 * 500)
        try w2.withUnsafeMutableBufferPointer { try WeightInitialization.orthogonal.fill($0.baseAddress!, rows: 500, columns: 500, rng: &rng2) }
        XCTAssertEqual(w, w2)
        // Haar, not just orthogonal: the diagonal has no sign bias (QR without the sign
        // correction gives a positive-diagonal-biased distribution).
        var diagSum = 0.0
        for i in 0..<500 { diagSum += Double(w[i * 500 + i]) }
        XCTAssertLessThan(abs(diagSum), 4, "trace of a Haar matrix has mean 0 and variance 1")
    }

    func testRectangularOrthogonalInitHasOrthonormalRowsOrColumns() throws {
        var rng = RandomGenerator(seed: 2)
        var w = [Float](repeating: 0, count: 4 * 9)
        try w.withUnsafeMutableBufferPointer { try WeightInitialization.orthogonal.fill($0.baseAddress!, rows: 4, columns: 9, rng: &rng) }
        for i in 0..<4 {
            for j in 0..<4 {
                var s: Float = 0
                for k in 0..<9 { s += w[i * 9 + k] * w[j * 9 + k] }
                XCTAssertEqual(s, i == j ? 1 : 0, accuracy: 1e-5)
            }
        }
    }

    func testXavierAndHeVariances() throws {
        for (scheme, expected) in [(WeightInitialization.xavier, 2.0 / 600), (.he, 2.0 / 200)] {
            var rng = RandomGenerator(seed: 5)
            var w = [Float](repeating: 0, count: 400 * 200)
            try w.withUnsafeMutableBufferPointer { try scheme.fill($0.baseAddress!, rows: 400, columns: 200, rng: &rng) }
            let variance = w.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(w.count)
            XCTAssertEqual(variance, expected, accuracy: expected * 0.02, "\(scheme)")
        }
    }

    func trainSome(_ constraint: WeightConstraint, steps: Int, width: Int = 24) throws -> MLP {
        let model = try MLP(MLPConfiguration(
            inputs: 8, width: width, depth: 3, outputs: 3, activation: LayerActivation(closureTanh),
            constraint: constraint, seed: 1))
        let trainer = try Trainer(model: model, configuration: TrainingConfiguration(
            batchSize: 16, optimizer: OptimizerConfiguration(kind: .momentum, learningRate: 0.5, momentum: 0.9)))
        for s in 0..<steps {
            let x = gaussianArray(16 * 8, seed: UInt64(100 + s), std: 2)
            let labels = (0..<16).map { Int32(($0 + s) % 3) }
            try trainer.step(features: x, labels: labels)
        }
        return model
    }

    func testRowNormalizedRowsStayUnitAfterUpdates() throws {
        let model = try trainSome(.rowNormalized, steps: 50)
        for l in 1...3 {
            let w = try model.effectiveWeights(layer: l)
            let v = try model.weights(layer: l)
            var vMoved = false
            for i in 0..<24 {
                var n2: Float = 0, v2: Float = 0
                for j in 0..<24 { n2 += w[i * 24 + j] * w[i * 24 + j]; v2 += v[i * 24 + j] * v[i * 24 + j] }
                XCTAssertEqual(n2, 1, accuracy: 1e-5, "layer \(l) row \(i)")
                if abs(v2 - 1) > 1e-3 { vMoved = true }
            }
            XCTAssertTrue(vMoved, "V itself is unconstrained and should drift from unit norm")
        }
    }

    func testExactOrthogonalStaysOrthogonalAfter100Updates() throws {
        let model = try trainSome(.orthogonal, steps: 100, width: 32)
        for l in 1...3 {
            XCTAssertLessThan(orthogonalityError(try model.weights(layer: l), n: 32), 1e-5, "layer \(l)")
        }
        // And the weights did move.
        let fresh = try MLP(MLPConfiguration(
            inputs: 8, width: 32, depth: 3, outputs: 3, activation: LayerActivation(closureTanh),
            constraint: .orthogonal, seed: 1))
        XCTAssertNotEqual(try fresh.weights(layer: 2), try model.weights(layer: 2))
    }

    func testUnconstrainedDriftsFromOrthogonal() throws {
        let model = try trainSome(.none, steps: 100, width: 32)
        XCTAssertGreaterThan(orthogonalityError(try model.weights(layer: 2), n: 32), 1e-3)
    }
}
