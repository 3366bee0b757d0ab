import BSNN
import Foundation

/// The paper's synthetic experiment (§3.1, Fig. 1–3), set up as in
/// Tests/BSNNTests/SignalPropagationTests.swift: a square input layer plus depth−1
/// square hidden layers (so `depth` activated width×width layers), no bias, Haar
/// weights, `samples` Gaussian inputs and a Gaussian upstream gradient.
struct SyntheticProbe {
    var width: Int
    var depth: Int
    var samples: Int = 500
    var constraint: WeightConstraint = .none
    var seed: UInt64 = 42
    /// Normalization before φ (batch statistics of the probe's samples) and residual
    /// links on the depth−1 square hidden layers (the input layer has none).
    var normalization: Normalization = MLPConfiguration.defaultNormalization
    var residual = MLPConfiguration.defaultResidual
    var residualScale: ResidualScale = MLPConfiguration.defaultResidualScale

    func configuration(_ act: LayerActivation, initialization: WeightInitialization = .orthogonal) -> MLPConfiguration {
        MLPConfiguration(
            inputs: width, width: width, depth: depth - 1, outputs: 1, activation: act,
            constraint: constraint, initialization: initialization, bias: false, seed: seed,
            normalization: normalization, residual: residual, residualScale: residualScale)
    }

    /// Drawing 200 Haar matrices (a QR each) costs more than the probe itself, so one
    /// draw is shared by every activation compared at the same width and seed — which
    /// is also what makes the comparison fair.
    func haarWeights() throws -> [[Float]] {
        let m = try MLP(configuration(LayerActivation(try BuiltinActivation.make("identity"))))
        return try (0..<m.layerCount).map { try m.weights(layer: $0) }
    }

    func run(_ act: LayerActivation, weights: [[Float]]) throws -> SignalProbeResult {
        guard depth >= 1 else { throw CLIError.usage("--depth: expected >= 1, got \(depth)") }
        // Every weight is replaced by the shared Haar draw, so the model is created with
        // the cheap Gaussian fill: its own orthogonal draw would redo the QRs per activation.
        let model = try MLP(configuration(act, initialization: .xavier))
        guard weights.count == model.layerCount else {
            throw BSNNError.internal("probe: \(weights.count) shared weight matrices for \(model.layerCount) layers")
        }
        for (l, w) in weights.enumerated() { try model.setWeights(layer: l, w) }
        var rng = RandomGenerator(seed: seed &+ 1)
        var x = try MemoryBudget.array(
            repeating: Float(0), count: try MemoryBudget.elementCount(samples, width, what: "probe inputs (--samples × --width)"),
            what: "probe inputs (--samples × --width)")
        x.withUnsafeMutableBufferPointer { rng.fillGaussian($0) }
        return try SignalProbe.run(model: model, input: x, upstream: .gaussian(seed: seed &+ 2))
    }
}

/// One row of the Fig. 1 verdict table.
struct SignalVerdict {
    var finalForward: Double
    /// The backward signal at the bottom layer over the top: > 1 means it grows toward
    /// the input (explodes), < 1 that it vanishes. ‖y‖ = ‖∂E/∂h‖ without residual links;
    /// with them ‖∂E/∂x‖ (`inputGradientNorms`), because the residual layers' ∂E/∂h
    /// carries the factor α and layer 0's does not, so ‖y‖'s ratio would measure α.
    var backwardRatio: Double
    var gradientRatio: Double
    /// Residual nets are not judged on `gradientRatio` for the same reason: layer 0's
    /// ‖∂E/∂W‖ lacks the α of every other layer's (the ratio is ≥ 1/α by construction).
    var residual = false

    init(_ r: SignalProbeResult, residual: Bool = false) {
        self.residual = residual
        finalForward = r.forwardNorms.last ?? .nan
        let backward = residual ? r.inputGradientNorms : r.backwardNorms
        let top = backward.last ?? .nan
        backwardRatio = top > 0 ? (backward.first ?? .nan) / top : .infinity
        gradientRatio = r.gradientNormRatio
    }

    /// Thresholds are loose on purpose: at depth 200 the failures are orders of
    /// magnitude, while a normalized net stays within tens of percent.
    var verdict: String {
        var bad: [String] = []
        if !(finalForward >= 0.5) { bad.append("forward vanishes") }
        if finalForward > 2 { bad.append("forward explodes") }
        if backwardRatio > 10 { bad.append("backward explodes") }
        if !(backwardRatio >= 0.1) { bad.append("backward vanishes") }
        if bad.isEmpty && !residual && !(gradientRatio <= 10) { bad.append("gradients unbalanced") }
        return bad.isEmpty ? "self-normalizing" : bad.joined(separator: ", ")
    }
}
