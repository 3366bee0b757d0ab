import XCTest
@testable import BSNN

/// One change at a time per model (issue 12 item 4) and set_weights' all-or-nothing
/// contract (item 8).
final class ModelChangeRuleTests: XCTestCase {
    func model() throws -> MLP {
        try MLP(MLPConfiguration(
            inputs: 4, width: 8, depth: 2, outputs: 2, activation: try .builtin("tanh"), seed: 7))
    }

    func data() throws -> Dataset {
        var x = [Float](), y = [Int32]()
        for i in 0..<16 {
            y.append(Int32(i % 2))
            for j in 0..<4 { x.append(Float(i % 2) + 0.1 * Float(j)) }
        }
        return try Dataset(features: x, labels: y, featureCount: 4, classCount: 2)
    }

    func testFailingSetWeightsLeavesTheLayerBitIdentical() throws {
        let m = try model()
        let before = try m.weights(layer: 1), effective = try m.effectiveWeights(layer: 1)
        let x: [Float] = [0.5, -1, 2, 0.25]
        let y0 = try m.predict(x)
        var zeroRow = before.map { $0 * 2 }
        for j in 0..<8 { zeroRow[3 * 8 + j] = 0 }
        var overflowRow = before
        for j in 0..<8 { overflowRow[5 * 8 + j] = 3e38 }
        for bad in [zeroRow, overflowRow] {
            assertThrowsBSNN("numeric failure", ["nothing was changed"]) { try m.setWeights(layer: 1, bad) }
            XCTAssertEqual(try m.weights(layer: 1), before)
            XCTAssertEqual(try m.effectiveWeights(layer: 1), effective)
            XCTAssertEqual(try m.predict(x), y0)
        }
    }

    func testChangesFromTheProgressCallbackAreRefused() throws {
        let m = try model(), d = try data()
        let trainer = try Trainer(model: m, configuration: TrainingConfiguration(epochs: 1, batchSize: 8))
        let other = try Trainer(model: m, configuration: TrainingConfiguration(epochs: 1, batchSize: 8))
        var refused: [String] = []
        try trainer.fit(d) { _ in
            guard refused.isEmpty else { return true }
            let w = (try? m.weights(layer: 1)) ?? []
            let attempts: [() throws -> Void] = [
                { _ = try trainer.fit(d) },
                { _ = try other.fit(d) },
                { _ = try other.step(features: d.features, labels: d.labels) },
                { try m.setWeights(layer: 1, w) },
                { try trainer.updateConfiguration(TrainingConfiguration(epochs: 5, batchSize: 8)) },
            ]
            for attempt in attempts {
                do { try attempt(); refused.append("accepted") } catch let e as BSNNError {
                    refused.append(e.kind)
                } catch { refused.append("\(error)") }
            }
            return true
        }
        XCTAssertEqual(refused, Array(repeating: "wrong state", count: 5))
        XCTAssertEqual(trainer.configuration.epochs, 1)
        // Idle again: the second trainer and setWeights work.
        XCTAssertEqual(try other.fit(d).count, 1)
        try m.setWeights(layer: 1, try m.weights(layer: 1))
        XCTAssertFalse(m.isBeingChanged)
    }
}
