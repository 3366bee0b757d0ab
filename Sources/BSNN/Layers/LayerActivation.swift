/// The activation applied after every hidden pre-activation: `scale·φ(h) + shift`.
/// Plain activations have scale 1 and shift 0; GPN-normalized ones carry the
/// normalizer's (a, b) and the root that produced them, so a saved model records exactly
/// which function it was trained with.
public struct LayerActivation: Sendable {
    public var base: Activation
    public var scale: Double
    public var shift: Double
    /// "b+" / "b-" when the constants came from the GPN normalizer; nil for plain φ.
    public var gpnRoot: String?

    public init(_ base: Activation, scale: Double = 1, shift: Double = 0, gpnRoot: String? = nil) {
        self.base = base
        self.scale = scale
        self.shift = shift
        self.gpnRoot = gpnRoot
    }

    public var isGPN: Bool { gpnRoot != nil }

    /// Human name, e.g. "tanh-GPN" or "relu".
    public var displayName: String { isGPN ? "\(base.name)-GPN" : base.name }

    /// value = scale·φ(x)+shift and derivative = scale·φ'(x) over `count` floats.
    @inline(__always)
    func apply(
        _ x: UnsafePointer<Float>, count: Int, value: UnsafeMutablePointer<Float>,
        derivative: UnsafeMutablePointer<Float>?
    ) {
        base.evaluate(
            UnsafeBufferPointer(start: x, count: count), scale: Float(scale), shift: Float(shift),
            value: UnsafeMutableBufferPointer(start: value, count: count),
            derivative: derivative.map { UnsafeMutableBufferPointer(start: $0, count: count) })
    }
}

extension LayerActivation {
    /// `a·φ + b` with the GPN constants of `base` for the chosen root (nil:
    /// `GPNRoot.default(for:)`).
    public static func gpn(_ base: Activation, root: GPNRoot? = nil) throws(BSNNError) -> LayerActivation {
        let g = try GPNNormalizer.normalize(base, root: root)
        return LayerActivation(base, scale: g.a, shift: g.b, gpnRoot: g.root.rawValue)
    }

    /// The layer activation for `base` as every door builds it: GPN-normalized unless
    /// `gpn` is false (bsnn's default is on), with `root` or else the default root.
    public static func make(_ base: Activation, gpn: Bool = MLPConfiguration.defaultGPN, root: GPNRoot? = nil) throws(BSNNError) -> LayerActivation {
        gpn ? try self.gpn(base, root: root) : LayerActivation(base)
    }

    /// A builtin by name, GPN-normalized with the default root.
    public static func builtin(_ name: String, parameters: [String: Double] = [:]) throws(BSNNError) -> LayerActivation {
        try make(try BuiltinActivation.make(name, parameters: parameters))
    }

    /// A builtin by name, plain (`gpn: nil`) or GPN-normalized with the given root.
    public static func builtin(
        _ name: String, parameters: [String: Double] = [:], gpn root: GPNRoot?
    ) throws(BSNNError) -> LayerActivation {
        let base = try BuiltinActivation.make(name, parameters: parameters)
        guard let r = root else { return LayerActivation(base) }
        return try gpn(base, root: r)
    }
}
