/// An activation φ with the GPN constants that turn it into a·φ+b.
public struct GPNActivation: Sendable {
    public let base: Activation
    public let root: GPNRoot
    public let constants: GPNConstants

    /// Pairs an activation with constants computed earlier (e.g. read from a model file);
    /// use `GPNNormalizer.normalize` to compute them.
    public init(base: Activation, root: GPNRoot, constants: GPNConstants) {
        self.base = base
        self.root = root
        self.constants = constants
    }

    public var a: Double { constants.a }
    public var b: Double { constants.b(root) }

    /// a·φ+b as an activation: same name, parameters, breakpoints, source and owner as
    /// `base`; derivative a·φ' (numeric when base has none); the batch kernel is the
    /// base kernel with a, b folded into its scale and shift (so a call with scale s and
    /// shift t computes s·(a·φ+b)+t in one pass).
    public var normalized: Activation {
        let a = self.a, b = self.b
        let fa = Float(a), fb = Float(b)
        let f = base.function
        let derivative = base.analyticDerivative.map { d in { @Sendable (x: Double) in a * d(x) } }
        let kernel = base.batchKernel.map { k -> ActivationBatchKernel in
            { x, n, scale, shift, v, d in k(x, n, scale * fa, scale * fb + shift, v, d) }
        }
        return Activation(
            name: base.name, parameters: base.parameters, breakpoints: base.breakpoints,
            source: base.source, function: { a * f($0) + b }, derivative: derivative,
            batchKernel: kernel, owner: base.owner)
    }
}
