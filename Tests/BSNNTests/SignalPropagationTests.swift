import XCTest
@testable import BSNN

/// The paper's synthetic experiment (§3.1, Fig. 1): width 500, depth 200, 500 Gaussian
/// inputs, Haar-orthogonal weights, Gaussian upstream gradient — and its verdicts.
final class SignalPropagationTests: XCTestCase {
    static let width = 500
    static let depth = 200
    static let batch = 500

    /// The Haar weights are drawn once and shared by every activation (the QR of 200
    /// matrices dominates the test's run time otherwise).
    static let haarWeights: [[Float]] = {
        guard let m = try? MLP(config(LayerActivation(closureTanh), init: .orthogonal)) else { return [] }
        return (0..<m.layerCount).compactMap { try? m.weights(layer: $0) }
    }()

    static func config(_ act: LayerActivation, init scheme: WeightInitialization = .he) -> MLPConfiguration {
        // depth − 1 hidden layers + the square input layer = `depth` activated square layers.
        MLPConfiguration(
            inputs: width, width: width, depth: depth - 1, outputs: 10, activation: act,
            constraint: .none, initialization: scheme, bias: false, seed: 42)
    }

    func probe(_ name: String, gpn: Bool) throws -> SignalProbeResult {
        let act = try LayerActivation.builtin(name, gpn: gpn ? GPNRoot.paper(for: name) : nil)
        let model = try MLP(Self.config(act))
        XCTAssertEqual(Self.haarWeights.count, model.layerCount)
        for (l, w) in Self.haarWeights.enumerated() { try model.setWeights(layer: l, w) }
        let x = gaussianArray(Self.batch * Self.width, seed: 1)
        return try SignalProbe.run(model: model, input: x, upstream: .gaussian(seed: 2))
    }

    func testGPNActivationsKeepForwardNormsAndGradientsBalanced() throws {
        for name in ["tanh", "elu", "selu", "gelu"] {
            let r = try probe(name, gpn: true)
            let final = try XCTUnwrap(r.forwardNorms.last)
            XCTAssertEqual(r.forwardNorms.count, Self.depth + 1)
            XCTAssertGreaterThanOrEqual(final, 0.85, "\(name)-GPN final forward norm")
            XCTAssertLessThanOrEqual(final, 1.2, "\(name)-GPN final forward norm")
            XCTAssertLessThan(r.gradientNormRatio, 2.5, "\(name)-GPN max/min weight-gradient norm")
        }
    }

    func testReLUGPNNeitherVanishesNorExplodes() throws {
        let r = try probe("relu", gpn: true)
        let final = try XCTUnwrap(r.forwardNorms.last)
        XCTAssertGreaterThan(final, 0.2)
        XCTAssertLessThan(final, 2.5)
        XCTAssertLessThan(r.gradientNormRatio, 4)
        // Fig. 2: the GPN ReLU derivative takes two values, 0 and a = √2.
        let h = r.derivativeHistogram
        XCTAssertEqual(h.lowerBound, 0, accuracy: 1e-6)
        XCTAssertEqual(h.upperBound, 2.0.squareRoot(), accuracy: 1e-5)
        XCTAssertEqual(h.counts.filter { $0 > 0 }.count, 2)
    }

    func testPlainActivationsFailAsInThePaper() throws {
        let relu = try probe("relu", gpn: false)
        XCTAssertLessThan(try XCTUnwrap(relu.forwardNorms.last), 1e-6, "plain ReLU forward signal collapses")
        XCTAssertGreaterThan(try XCTUnwrap(relu.forwardNorms.last), 0, "double accumulation must not underflow to 0")

        let tanh = try probe("tanh", gpn: false)
        let t = try XCTUnwrap(tanh.forwardNorms.last)
        XCTAssertGreaterThan(t, 0.02)
        XCTAssertLessThan(t, 0.1, "plain tanh shrinks to about 0.05")

        let selu = try probe("selu", gpn: false)
        let ratio = selu.backwardNorms[0] / selu.backwardNorms[Self.depth - 1]
        XCTAssertGreaterThan(ratio, 100, "plain SELU backward norm explodes toward the input")
    }

    /// ReLU-GPN is √2·ReLU (b₊ = 0), and ReLU is positively homogeneous: with the same
    /// weights and no bias, x⁽ˡ⁾ of the GPN net is √2ˡ times the plain net's, and every
    /// weight gradient is √2^depth times the plain one, so both nets must report the same
    /// gradient ratio, however small the plain net's signals get (≈1e-31 at the top).
    /// Float32 rounding differs between the two nets: 1e-3 relative leaves a wide margin.
    func testPlainReLUNormsObeyHomogeneityAtTinyScales() throws {
        let plain = try probe("relu", gpn: false), gpn = try probe("relu", gpn: true)
        XCTAssertEqual(plain.gradientNormRatio, gpn.gradientNormRatio, accuracy: 1e-3 * gpn.gradientNormRatio)
        for l in [1, 50, 100, 150, Self.depth] {
            let expected = gpn.forwardNorms[l] / Glibc.pow(2.0.squareRoot(), Double(l))
            XCTAssertEqual(plain.forwardNorms[l], expected, accuracy: 1e-3 * expected, "layer \(l)")
        }
        XCTAssertLessThan(plain.forwardNorms[Self.depth], 1e-25, "the check must reach the underflow range")
    }
}
