import XCTest
@testable import BSNN

/// The Swift door's defaults are the documented ones every door shares (test_doors.py
/// checks that Python, C and the CLI build and train the same request bit-identically):
/// GPN on, root b₋ for GELU and b₊ otherwise, row-normalized Haar-initialized layers with
/// biases, seed 0; and `epochs` is the total to reach.
final class DoorDefaultsTests: XCTestCase {
    func parameters(_ m: MLP) throws -> [[Float]] {
        try (0..<m.layerCount).flatMap { [try m.weights(layer: $0), try m.bias(layer: $0) ?? []] }
    }

    func data() throws -> Dataset {
        var rng = RandomGenerator(seed: 11)
        var x = [Float](), y = [Int32]()
        for i in 0..<40 {
            for _ in 0..<6 { x.append(Float(rng.nextGaussian())) }
            y.append(Int32(i % 3))
        }
        return try Dataset(features: x, labels: y, featureCount: 6, classCount: 3)
    }

    func testDefaultRootIsThePapersChoice() throws {
        XCTAssertEqual(GPNRoot.default(for: "gelu"), .nonPositiveMean)
        for name in ["tanh", "relu", "leaky_relu", "elu", "selu"] {
            XCTAssertEqual(GPNRoot.default(for: name), .nonNegativeMean, name)
            XCTAssertEqual(GPNRoot.paper(for: name), GPNRoot.default(for: name), name)
        }
        let gelu = try BuiltinActivation.make("gelu")
        XCTAssertEqual(try LayerActivation.builtin("gelu").gpnRoot, "b-")
        XCTAssertEqual(try LayerActivation.make(gelu).gpnRoot, "b-")
        XCTAssertEqual(try GPNNormalizer.normalize(gelu).root, .nonPositiveMean)
        XCTAssertNil(try LayerActivation.make(gelu, gpn: false).gpnRoot)
        XCTAssertEqual(try LayerActivation.make(gelu, root: .nonNegativeMean).gpnRoot, "b+")
    }

    func testDefaultRequestBuildsAndTrainsLikeTheExplicitOne() throws {
        let gelu = try BuiltinActivation.make("gelu")
        let byDefault = try MLP(MLPConfiguration(inputs: 6, width: 12, depth: 3, outputs: 3, activation: try .make(gelu), seed: 5))
        let explicit = try MLP(MLPConfiguration(
            inputs: 6, width: 12, depth: 3, outputs: 3, activation: try .gpn(gelu, root: .nonPositiveMean),
            constraint: .rowNormalized, initialization: .orthogonal, bias: true, seed: 5))
        XCTAssertEqual(byDefault.configuration.activation.scale, explicit.configuration.activation.scale)
        XCTAssertEqual(byDefault.configuration.activation.shift, explicit.configuration.activation.shift)
        XCTAssertEqual(try parameters(byDefault), try parameters(explicit))
        let d = try data()
        for m in [byDefault, explicit] {
            let t = try Trainer(model: m, configuration: TrainingConfiguration(batchSize: 8, seed: 5))
            try t.fit(d, epochs: 2)
            XCTAssertEqual(t.epoch, 2)
        }
        XCTAssertEqual(try parameters(byDefault), try parameters(explicit))
    }

    func testEpochsIsTheTotalToReach() throws {
        let d = try data()
        let m = try MLP(MLPConfiguration(inputs: 6, width: 8, depth: 1, outputs: 3, activation: try .builtin("tanh")))
        let t = try Trainer(model: m, configuration: TrainingConfiguration(batchSize: 10))
        XCTAssertEqual(try t.fit(d, epochs: 2).count, 2)
        assertThrowsBSNN("wrong state", ["already completed", "total"]) { try t.fit(d, epochs: 2) }
        XCTAssertEqual(t.globalStep, 8)
        XCTAssertEqual(try t.fit(d, epochs: 3).map(\.epoch), [2])
        XCTAssertEqual(t.epoch, 3)
    }
}
