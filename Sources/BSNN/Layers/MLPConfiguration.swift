#if canImport(Glibc)
import Glibc
#endif

/// The paper's network: an unconstrained input layer (inputs → width), `depth` square
/// hidden layers (width × width) under `constraint`, and an unconstrained output layer
/// (width → outputs). Every layer but the last is followed by the activation.
public struct MLPConfiguration: Sendable {
    public var inputs: Int
    public var width: Int
    /// Number of square hidden layers (the paper uses 200); 0 gives a one-hidden-layer net.
    public var depth: Int
    public var outputs: Int
    public var activation: LayerActivation
    /// Default `.rowNormalized`, the paper's relaxation.
    public var constraint: WeightConstraint
    /// Default `.orthogonal` (Haar) for every layer.
    public var initialization: WeightInitialization
    /// Biases on every layer, initialised to zero. Default true.
    public var bias: Bool
    public var seed: UInt64
    /// The scaling the training features went through (`Dataset.scaler`), recorded in the
    /// model file so that raw features can be mapped the same way before `predict`; nil:
    /// none recorded. It does not change what `predict` computes on the features it is given.
    public var featureScaler: FeatureScaler?
    /// Normalization of every activated layer's pre-activation before φ (not the output
    /// layer). Default `.none`.
    public var normalization: Normalization
    /// Batch normalization's running-statistics momentum m: r ← (1−m)·r + m·batch
    /// (PyTorch's convention). In [0, 1]; default 0.1.
    public var normalizationMomentum: Double
    /// ε in 1/√(σ²+ε) for batch and layer normalization. Finite and > 0; default 1e-5.
    public var normalizationEpsilon: Double
    /// Residual links on the square hidden layers 1...depth (never the input or output
    /// layer): x⁽ˡ⁺¹⁾ = x⁽ˡ⁾ + α·ψ(W x⁽ˡ⁾ + b). Default false. With depth 0 there is no
    /// square hidden layer and it changes nothing.
    public var residual: Bool
    /// α of the residual links (ignored without `residual`); default `.fixed(1)`.
    public var residualScale: ResidualScale
    /// Inverted-dropout probability on every hidden activation (after φ, before the
    /// residual add), in [0, 1); applied only by training steps, never by `predict`,
    /// `evaluate` or the probe. Default 0 (off).
    public var dropout: Double

    /// The defaults every door (Swift, C, Python, CLI) uses when the caller names none.
    /// The activation is GPN-normalized (`LayerActivation.make`, root
    /// `GPNRoot.default(for:)`) unless the caller opts out.
    public static let defaultGPN = true
    public static let defaultConstraint: WeightConstraint = .rowNormalized
    public static let defaultInitialization: WeightInitialization = .orthogonal
    public static let defaultBias = true
    public static let defaultSeed: UInt64 = 0
    public static let defaultNormalization: Normalization = .none
    public static let defaultNormalizationMomentum = 0.1
    public static let defaultNormalizationEpsilon = 1e-5
    public static let defaultResidual = false
    public static let defaultResidualScale: ResidualScale = .fixed(1)
    public static let defaultDropout = 0.0

    public init(
        inputs: Int, width: Int, depth: Int, outputs: Int, activation: LayerActivation,
        constraint: WeightConstraint = defaultConstraint, initialization: WeightInitialization = defaultInitialization,
        bias: Bool = defaultBias, seed: UInt64 = defaultSeed, featureScaler: FeatureScaler? = nil,
        normalization: Normalization = defaultNormalization, normalizationMomentum: Double = defaultNormalizationMomentum,
        normalizationEpsilon: Double = defaultNormalizationEpsilon,
        residual: Bool = defaultResidual, residualScale: ResidualScale = defaultResidualScale,
        dropout: Double = defaultDropout
    ) {
        self.normalization = normalization
        self.normalizationMomentum = normalizationMomentum
        self.normalizationEpsilon = normalizationEpsilon
        self.residual = residual
        self.residualScale = residualScale
        self.dropout = dropout
        self.featureScaler = featureScaler
        self.inputs = inputs
        self.width = width
        self.depth = depth
        self.outputs = outputs
        self.activation = activation
        self.constraint = constraint
        self.initialization = initialization
        self.bias = bias
        self.seed = seed
    }

    /// Total number of trainable floats.
    public var parameterCount: Int {
        let b = bias ? 1 : 0
        let n = normalization == .none ? 0 : 2 * width * (depth + 1)
        let alpha = residual && residualScale.isLearnable ? 1 : 0
        return inputs * width + b * width + depth * (width * width + b * width + alpha) + width * outputs + b * outputs + n
    }

    /// Whether layer `l` (0 = input layer) carries a residual link.
    func isResidual(layer l: Int) -> Bool { residual && l >= 1 && l <= depth }

    /// The dropout rule, also for doors that check their arguments before loading data.
    public static func validateDropout(_ p: Double) throws(BSNNError) {
        // NaN fails both comparisons, so it is rejected too.
        guard p >= 0, p < 1 else { throw BSNNError.invalidArgument("dropout: expected a probability in [0, 1), got \(p)") }
    }

    /// Rejects sizes that are zero, negative, or that could not fit in this machine's
    /// memory, before anything is allocated.
    public func validate() throws(BSNNError) {
        if let s = featureScaler, s.featureCount != inputs {
            throw BSNNError.shapeMismatch("featureScaler: expected \(inputs) features (one per input), got \(s.featureCount)")
        }
        for (name, v) in [("inputs", inputs), ("width", width), ("outputs", outputs)] where v <= 0 {
            throw BSNNError.invalidArgument("\(name): expected > 0, got \(v)")
        }
        guard normalizationMomentum.isFinite, normalizationMomentum >= 0, normalizationMomentum <= 1 else {
            throw BSNNError.invalidArgument("norm momentum: expected in [0, 1], got \(normalizationMomentum)")
        }
        guard normalizationEpsilon.isFinite, normalizationEpsilon > 0, Float(normalizationEpsilon) > 0 else {
            throw BSNNError.invalidArgument("norm epsilon: expected finite and > 0 (at least the smallest float), got \(normalizationEpsilon)")
        }
        try Self.validateDropout(dropout)
        try residualScale.validate()
        guard depth >= 0 else { throw BSNNError.invalidArgument("depth: expected >= 0, got \(depth)") }
        let limit = 1 << 24
        for (name, v) in [("inputs", inputs), ("width", width), ("outputs", outputs), ("depth", depth)] where v > limit {
            throw BSNNError.invalidArgument("\(name): expected <= \(limit), got \(v)")
        }
        // Parameters plus up to two optimizer slots, in bytes, overflow-checked.
        var overflow = false
        func mul(_ a: Int, _ b: Int) -> Int {
            let (p, o) = a.multipliedReportingOverflow(by: b)
            overflow = overflow || o
            return o ? Int.max : p
        }
        func add(_ a: Int, _ b: Int) -> Int {
            let (p, o) = a.addingReportingOverflow(b)
            overflow = overflow || o
            return o ? Int.max : p
        }
        let floats = add(
            add(add(mul(inputs, width), mul(mul(width, width), depth)), mul(width, outputs)),
            mul(mul(normalization == .none ? 0 : 4, width), add(depth, 1)))
        // Optimizer slots are allocated (and budget-checked) when training starts; here
        // only their size must be representable, and the weights must fit what is free.
        _ = mul(floats, 4 * 3)
        if overflow {
            throw BSNNError.outOfMemory(
                "model \(inputs)→\(width)×\(depth)→\(outputs): its weights and optimizer state need more than 2^63 bytes")
        }
        try MemoryBudget.reserve(floats * 4, what: "weights of model \(inputs)→\(width)×\(depth)→\(outputs)")
    }
}
