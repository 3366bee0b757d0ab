#if canImport(Glibc)
import Glibc
#endif

/// The activations bsnn ships, by name, each with an analytic derivative in double
/// precision, its kinks declared as breakpoints, and a vectorizable float batch kernel
/// (accuracy ≤ 2e-6·max(1, |exact|) for value and derivative over [-20, 20]; see
/// `BuiltinKernels`).
///
/// | name | φ(x) | parameters (defaults) |
/// |---|---|---|
/// | `tanh` | tanh x | |
/// | `relu` | max(x, 0) | |
/// | `leaky_relu` | x > 0 ? x : slope·x | `slope` (0.01) |
/// | `elu` | x > 0 ? x : α(eˣ−1) | `alpha` (1) |
/// | `selu` | λ·elu_α(x) | `lambda` (1.0507…), `alpha` (1.6732…) |
/// | `gelu` | x·σ(1.702x) (the paper's GELU) | |
/// | `gelu_erf` | x·Φ(x) | |
/// | `sigmoid` | 1/(1+e⁻ˣ) | |
/// | `softplus` | log(1+eˣ) | |
/// | `silu` | x·σ(x) | |
/// | `identity` | x | |
///
/// At a breakpoint the derivative takes the left-hand value (ReLU'(0) = 0).
public enum BuiltinActivation {
    public static let names: [String] = specs.map(\.name)

    /// Creates a builtin activation. `parameters` may set any subset of the declared
    /// parameters; the rest take their defaults, and the result lists all of them in
    /// declaration order.
    /// - Throws: `BSNNError.invalidArgument` for an unknown name, an unknown parameter
    ///   name, or a non-finite parameter value.
    public static func make(_ name: String, parameters: [String: Double] = [:]) throws(BSNNError)
        -> Activation
    {
        // Names are matched case-insensitively (`Tanh`, `GELU`); the result carries the
        // canonical lower-case name, which is what model files record.
        guard let spec = specs.first(where: { $0.name == name.lowercased() }) else {
            if let near = NameSuggestion.closest(to: name, in: names) {
                throw BSNNError.invalidArgument("activation name '\(name)' is not a builtin; did you mean '\(near)'?")
            }
            throw BSNNError.invalidArgument(
                "activation name '\(name)' is not a builtin; expected one of: "
                    + names.joined(separator: ", "))
        }
        let declared = spec.defaults.map(\.name)
        for key in parameters.keys.sorted() where !declared.contains(key) {
            let valid =
                declared.isEmpty
                ? "it takes no parameters"
                : "its parameters are: " + declared.joined(separator: ", ")
            throw BSNNError.invalidArgument(
                "activation '\(name)' has no parameter '\(key)'; \(valid)")
        }
        var resolved: [ActivationParameter] = []
        for p in spec.defaults {
            let value = parameters[p.name] ?? p.value
            guard value.isFinite else {
                throw BSNNError.invalidArgument(
                    "parameter '\(p.name)' of activation '\(name)' must be finite, got \(value)")
            }
            resolved.append(ActivationParameter(name: p.name, value: value))
        }
        let values = resolved.map(\.value)
        let f = spec.build(values)
        return Activation(
            name: spec.name, parameters: resolved, breakpoints: spec.breakpoints, source: .builtin,
            function: f.function, derivative: f.derivative, batchKernel: f.kernel)
    }

    // MARK: - Definitions

    /// The SELU constants of Klambauer et al. (2017), to double precision.
    static let seluLambda = 1.0507009873554804934193349852946
    static let seluAlpha = 1.6732632423543772848170429916717
    /// The paper's GELU approximation x·σ(1.702x).
    static let geluSigmoidScale = 1.702

    private struct Functions {
        var function: @Sendable (Double) -> Double
        var derivative: @Sendable (Double) -> Double
        var kernel: ActivationBatchKernel
    }

    private struct Spec: Sendable {
        var name: String
        var defaults: [ActivationParameter]
        var breakpoints: [Double]
        /// Receives the parameter values in the order of `defaults`.
        var build: @Sendable ([Double]) -> Functions
    }

    private static func p(_ name: String, _ value: Double) -> ActivationParameter {
        ActivationParameter(name: name, value: value)
    }

    private static let specs: [Spec] = [
        Spec(name: "tanh", defaults: [], breakpoints: []) { _ in
            Functions(
                function: { Glibc.tanh($0) },
                derivative: { let t = Glibc.tanh($0); return 1 - t * t },
                kernel: BuiltinKernels.tanh)
        },
        Spec(name: "relu", defaults: [], breakpoints: [0]) { _ in
            Functions(
                function: { $0 > 0 ? $0 : 0 }, derivative: { $0 > 0 ? 1 : 0 },
                kernel: BuiltinKernels.relu)
        },
        Spec(name: "leaky_relu", defaults: [p("slope", 0.01)], breakpoints: [0]) { v in
            let k = v[0]
            return Functions(
                function: { $0 > 0 ? $0 : k * $0 }, derivative: { $0 > 0 ? 1 : k },
                kernel: BuiltinKernels.leakyRelu(slope: k))
        },
        Spec(name: "elu", defaults: [p("alpha", 1)], breakpoints: [0]) { v in
            eluFunctions(alpha: v[0], lambda: 1)
        },
        Spec(
            name: "selu", defaults: [p("lambda", seluLambda), p("alpha", seluAlpha)],
            breakpoints: [0]
        ) { v in
            eluFunctions(alpha: v[1], lambda: v[0])
        },
        Spec(name: "gelu", defaults: [], breakpoints: []) { _ in
            xSigmoidFunctions(k: geluSigmoidScale)
        },
        Spec(name: "gelu_erf", defaults: [], breakpoints: []) { _ in
            Functions(
                function: { x in 0.5 * x * Glibc.erfc(-x * 0.5.squareRoot()) },
                derivative: { x in
                    0.5 * Glibc.erfc(-x * 0.5.squareRoot())
                        + x * Glibc.exp(-0.5 * x * x) / (2 * Double.pi).squareRoot()
                },
                kernel: BuiltinKernels.geluErf)
        },
        Spec(name: "sigmoid", defaults: [], breakpoints: []) { _ in
            Functions(
                function: { logistic($0) },
                derivative: { logistic($0) * logistic(-$0) },
                kernel: BuiltinKernels.sigmoid)
        },
        Spec(name: "softplus", defaults: [], breakpoints: []) { _ in
            Functions(
                function: { x in max(x, 0) + Glibc.log1p(Glibc.exp(-abs(x))) },
                derivative: { logistic($0) },
                kernel: BuiltinKernels.softplus)
        },
        Spec(name: "silu", defaults: [], breakpoints: []) { _ in
            xSigmoidFunctions(k: 1)
        },
        Spec(name: "identity", defaults: [], breakpoints: []) { _ in
            Functions(function: { $0 }, derivative: { _ in 1 }, kernel: BuiltinKernels.identity)
        },
    ]

    /// σ(x) without overflow of e^{-x} for very negative x.
    @inline(__always)
    static func logistic(_ x: Double) -> Double {
        if x >= 0 { return 1 / (1 + Glibc.exp(-x)) }
        let e = Glibc.exp(x)
        return e / (1 + e)
    }

    private static func eluFunctions(alpha: Double, lambda: Double) -> Functions {
        Functions(
            function: { x in x > 0 ? lambda * x : lambda * alpha * Glibc.expm1(x) },
            derivative: { x in x > 0 ? lambda : lambda * alpha * Glibc.exp(x) },
            kernel: BuiltinKernels.elu(alpha: alpha, lambda: lambda))
    }

    /// x·σ(kx) and its derivative σ(kx) + kx·σ(kx)σ(−kx).
    private static func xSigmoidFunctions(k: Double) -> Functions {
        Functions(
            function: { x in x * logistic(k * x) },
            derivative: { x in
                let s = logistic(k * x)
                return s + k * x * s * logistic(-k * x)
            },
            kernel: BuiltinKernels.xSigmoid(k: Float(k)))
    }
}
