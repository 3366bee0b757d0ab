import Foundation
import XCTest

@testable import BSNN

/// Plugins and foreign functions through the GPN normalizer: their constants against an
/// independent quadrature (`ReferenceGaussianMoments`) and against the builtins, and the
/// normalizer's refusal of structurally valid but degenerate plugins.
final class PluginGPNTests: XCTestCase {
    func testReferenceQuadratureReproducesPaperTanh() {
        let r = ReferenceGaussianMoments.moments(tanh) { 1 - tanh($0) * tanh($0) }
        XCTAssertEqual(1 / r.slopeSquared.squareRoot(), 1.4674, accuracy: 5e-5)  // paper Table 1
    }

    func testSoftclipMomentsMatchIndependentQuadrature() throws {
        let plugin = try PluginLibrary.load(path: try PluginFixtures.example("softclip"))
        for c in [2.0, 0.7] {
            let act = try plugin.makeActivation(name: "softclip", parameters: ["c": c])
            let m = try GPNNormalizer.moments(of: act)
            let r = ReferenceGaussianMoments.moments({ c * tanh($0 / c) }) { 1 - pow(tanh($0 / c), 2) }
            XCTAssertEqual(m.mean, r.mean, accuracy: 1e-7)
            XCTAssertEqual(m.meanSquare, r.second, accuracy: 1e-7)
            XCTAssertEqual(m.derivativeMeanSquare, r.slopeSquared, accuracy: 1e-7)
            let k = try GPNNormalizer.constants(for: act)
            XCTAssertEqual(k.a, 1 / r.slopeSquared.squareRoot(), accuracy: 1e-7)
        }
    }

    func testKinkedMomentsMatchIndependentQuadrature() throws {
        let plugin = try PluginLibrary.load(path: try PluginFixtures.example("kinked"))
        let s = 0.25
        let act = try plugin.makeActivation(name: "hinge")
        let m = try GPNNormalizer.moments(of: act)
        let r = ReferenceGaussianMoments.moments(
            { $0 < 0.5 ? $0 : 0.5 + s * ($0 - 0.5) }, { $0 < 0.5 ? 1 : s }, breakpoints: [0.5])
        XCTAssertEqual(m.mean, r.mean, accuracy: 1e-7)
        XCTAssertEqual(m.meanSquare, r.second, accuracy: 1e-7)
        // The plugin has no derivative: E[φ'²] comes from numeric differences.
        XCTAssertEqual(m.derivativeMeanSquare, r.slopeSquared, accuracy: 1e-7)
        let normalized = try GPNNormalizer.normalize(act)
        XCTAssertEqual(normalized.base.source, .plugin(path: plugin.path, plugin: "kinked"))
    }

    func testLibmTanhViaFFIGivesBuiltinTanhConstants() throws {
        let builtin = try GPNNormalizer.constants(for: try BuiltinActivation.make("tanh"))
        for dispatch in [ForeignDispatch.ffi, .automatic] {
            let foreign = try ForeignActivation.make(
                library: "libm.so.6", symbol: "tanh", signature: "double(double)", dispatch: dispatch)
            let k = try GPNNormalizer.constants(for: foreign)
            XCTAssertEqual(k.a, builtin.a, accuracy: 1e-9)
            XCTAssertEqual(k.bPlus, builtin.bPlus, accuracy: 1e-9)
            XCTAssertEqual(k.bMinus, builtin.bMinus, accuracy: 1e-9)
        }
    }

    func testNormalizerRejectsConstantAndDivergentPlugins() throws {
        let constant = try PluginLibrary.load(path: try PluginFixtures.broken("constant"))
            .makeActivation(name: "constant")
        assertThrowsBSNN("numeric failure", ["constant"]) { _ = try GPNNormalizer.normalize(constant) }
        let divergent = try PluginLibrary.load(path: try PluginFixtures.broken("divergent"))
            .makeActivation(name: "expsq")
        assertThrowsBSNN("numeric failure", ["expsq"]) { _ = try GPNNormalizer.normalize(divergent) }
    }
}
