/// Computes Gaussian moments and GPN constants of activations by quadrature.
///
/// Accuracy: ~1e-13 relative on the moments of the builtins (tested against finer
/// rules), well inside the 1e-9 the design asks for; when φ has no analytic
/// derivative, E[φ'²] inherits the numeric derivative's error (~1e-10 relative, see
/// `NumericDerivative`). Cost: 1,600 evaluations of φ and φ' (~0.1 ms for tanh).
public enum GPNNormalizer {
    /// Relative mass allowed in the outer band |x| ≥ 16 before the moments count as
    /// divergent: at that point the rule's cut-off at 20 would no longer be negligible.
    static let bandTolerance = 1e-10
    /// E[φ'²] ≤ this · E[φ²] means φ is constant up to rounding (a numeric derivative of
    /// a constant is ~1e-13·|φ|, so its square is far below; a genuine slope is far above).
    static let constantTolerance = 1e-16

    /// E[φ], E[φ²], E[φ'²] for x ~ N(0,1).
    /// - Throws: `BSNNError.numeric` (naming the activation) if φ or φ' is NaN/±inf at a
    ///   node, if the integrands have not decayed by the cut-off (divergent moments such
    ///   as φ = exp(x²)), if a moment overflows, or if φ is constant (E[φ'²] ≈ 0);
    ///   `BSNNError.invalidArgument` for a non-finite breakpoint.
    ///   Also if the moments do not converge: E[φ'²] infinite (φ = √|x|: φ'² ~ 1/|x|),
    ///   oscillating without bound (x·sin(1/x)), or φ a step function whose jumps were
    ///   not declared as breakpoints (floor, round: a numeric derivative sees spikes).
    ///   A quadrature rule sees finite numbers in all these cases; what gives them away
    ///   is that a rule with twice the panels changes them (`refinementTolerance`).
    public static func moments(of activation: Activation) throws(BSNNError) -> GaussianMoments {
        let standard = try moments(of: activation, quadrature: .standard)
        let refined = try moments(of: activation, quadrature: .refined)
        func drift(_ a: Double, _ b: Double) -> Double { abs(a - b) / max(abs(a), abs(b), .leastNormalMagnitude) }
        let derivativeDrift = drift(standard.derivativeMeanSquare, refined.derivativeMeanSquare)
        let valueDrift = drift(standard.meanSquare, refined.meanSquare)
        if derivativeDrift > refinementTolerance || valueDrift > refinementTolerance {
            let which = derivativeDrift >= valueDrift
                ? "E[φ'²] = \(standard.derivativeMeanSquare) with \(GaussianQuadrature.standard.nodeCount) nodes, \(refined.derivativeMeanSquare) with \(GaussianQuadrature.refined.nodeCount)"
                : "E[φ²] = \(standard.meanSquare) with \(GaussianQuadrature.standard.nodeCount) nodes, \(refined.meanSquare) with \(GaussianQuadrature.refined.nodeCount)"
            throw BSNNError.numeric(
                "Gaussian moments of activation '\(activation.name)' do not converge: \(which) "
                    + "(relative change \(max(derivativeDrift, valueDrift)), expected < \(refinementTolerance)). "
                    + "GPN needs E[φ'²] finite: φ' must be square-integrable (not √|x| or x·sin(1/x)), "
                    + "and the points where φ jumps or kinks must be declared as breakpoints")
        }
        return standard
    }

    /// Largest relative change of E[φ²] or E[φ'²] between the standard rule and one with
    /// twice the panels. Smooth and piecewise-smooth activations with declared kinks
    /// change by ~1e-13; an undeclared kink inside a panel by ~1e-4…1e-6; divergent
    /// derivative moments by far more than 1e-3.
    static let refinementTolerance = 1e-3

    /// `moments(of:)` with a caller-chosen rule (finer rules are for verification).
    public static func moments(of activation: Activation, quadrature: GaussianQuadrature) throws(BSNNError)
        -> GaussianMoments
    {
        let name = activation.name
        var mean = 0.0, meanSquare = 0.0, derivativeMeanSquare = 0.0
        var bandSquare = 0.0, bandDerivativeSquare = 0.0
        let f = activation.function
        let analytic = activation.analyticDerivative
        do {
            try quadrature.forEachNode(splitAt: activation.breakpoints) { (node) throws(BSNNError) in
                let x = node.x
                let v = f(x)
                guard v.isFinite else {
                    throw BSNNError.numeric("activation '\(name)' returned \(v) at x = \(x)")
                }
                let d: Double
                if let analytic {
                    d = analytic(x)
                } else {
                    d = smoothPieceDerivative(f, at: x, lowerKink: node.lowerKink, upperKink: node.upperKink)
                }
                guard d.isFinite else {
                    throw BSNNError.numeric(
                        "derivative of activation '\(name)' is \(d) at x = \(x)")
                }
                let w = node.weight
                mean += w * v
                meanSquare += w * v * v
                derivativeMeanSquare += w * d * d
                if node.inBand {
                    bandSquare += w * v * v
                    bandDerivativeSquare += w * d * d
                }
            }
        } catch {
            if case .invalidArgument(let message) = error {
                throw BSNNError.invalidArgument("activation '\(name)': \(message)")
            }
            throw error
        }
        let band = quadrature.bandStart
        // 0/0 (a moment that is 0 everywhere) is no mass in the band; the constant check
        // below names that case.
        func share(_ part: Double, _ whole: Double) -> Double { part == 0 && whole == 0 ? 0 : part / whole }
        let bandShare = max(share(bandSquare, meanSquare), share(bandDerivativeSquare, derivativeMeanSquare))
        if !bandSquare.isFinite || !bandDerivativeSquare.isFinite || bandShare > bandTolerance {
            throw BSNNError.numeric(
                "Gaussian moments of activation '\(name)' diverge or decay too slowly: "
                    + "φ²·pdf or φ'²·pdf still carries \(bandShare.isNaN ? "unbounded" : "\(bandShare)") "
                    + "of its mass at |x| ≥ \(band) (expected < \(bandTolerance))")
        }
        guard mean.isFinite, meanSquare.isFinite, derivativeMeanSquare.isFinite else {
            throw BSNNError.numeric(
                "Gaussian moments of activation '\(name)' overflow: E[φ] = \(mean), "
                    + "E[φ²] = \(meanSquare), E[φ'²] = \(derivativeMeanSquare)")
        }
        guard derivativeMeanSquare > constantTolerance * meanSquare, derivativeMeanSquare > 0 else {
            throw BSNNError.numeric(
                "activation '\(name)' is constant for GPN purposes: E[φ'²] = \(derivativeMeanSquare) "
                    + "with E[φ²] = \(meanSquare); GPN needs E[φ'²] > \(constantTolerance)·E[φ²]")
        }
        return GaussianMoments(
            mean: mean, meanSquare: meanSquare, derivativeMeanSquare: derivativeMeanSquare)
    }

    /// a and both roots b± for `activation`.
    public static func constants(for activation: Activation) throws(BSNNError) -> GPNConstants {
        try GPNConstants(moments: moments(of: activation), name: activation.name)
    }

    /// The GPN-normalized activation a·φ+b with the chosen root (nil: `GPNRoot.default`).
    public static func normalize(_ activation: Activation, root: GPNRoot? = nil) throws(BSNNError)
        -> GPNActivation
    {
        GPNActivation(
            base: activation, root: root ?? .default(for: activation.name), constants: try constants(for: activation))
    }

    /// `NumericDerivative.central`, with the step shrunk so the stencil stays between
    /// the enclosing breakpoints: near a kink the standard step (1e-3·max(1,|x|)) would
    /// average the two slopes and bias E[φ'²] in the third decimal for kinks at |x| > 1.
    @inline(__always)
    static func smoothPieceDerivative(
        _ f: (Double) -> Double, at x: Double, lowerKink: Double, upperKink: Double
    ) -> Double {
        let h = 1e-3 * max(1, abs(x))
        let room = min(x - lowerKink, upperKink - x)
        return NumericDerivative.central(f, at: x, step: min(h, 0.9 * room))
    }
}
