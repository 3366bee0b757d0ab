/// Computes, for `count` inputs `x`, `value[i] = scale·φ(x[i]) + shift` and, when
/// `derivative` is non-nil, `derivative[i] = scale·φ'(x[i])`. Used on the training hot
/// path, so implementations must not allocate per call.
public typealias ActivationBatchKernel = @Sendable (
    _ x: UnsafePointer<Float>, _ count: Int, _ scale: Float, _ shift: Float,
    _ value: UnsafeMutablePointer<Float>, _ derivative: UnsafeMutablePointer<Float>?
) -> Void

/// Where an activation came from; saved with a model so it can be re-created on load.
public enum ActivationSource: Sendable, Equatable {
    /// One of `BuiltinActivation`'s names.
    case builtin
    /// An activation from a plugin library (`include/bsnn_plugin.h`), by the path as given.
    case plugin(path: String, plugin: String)
    /// A plain C function called through libffi / a direct pointer.
    case foreign(library: String, symbol: String, signature: String)
    /// A Swift (or Python) closure: cannot be re-created from a file.
    case closure
}

/// A named parameter of an activation with its value (e.g. `slope = 0.01`).
public struct ActivationParameter: Sendable, Equatable {
    public var name: String
    public var value: Double
    public init(name: String, value: Double) {
        self.name = name
        self.value = value
    }
}

/// A scalar activation function φ with its derivative, breakpoints and a float batch
/// kernel. Value type: copies share the (immutable) closures and any plugin library
/// they keep loaded.
/// Unchecked Sendable: the closures and kernel are `@Sendable`; `owner` (not Sendable as
/// `AnyObject`) is never used after init, it only keeps a plugin library loaded.
public struct Activation: @unchecked Sendable {
    public var name: String
    public var parameters: [ActivationParameter]
    /// Points where φ is not differentiable (0 for ReLU); quadrature splits there.
    public var breakpoints: [Double]
    public var source: ActivationSource
    /// φ(x) in double precision (used by the GPN quadrature).
    public let function: @Sendable (Double) -> Double
    /// φ'(x) in closed form, if known; otherwise `derivative(_:)` differentiates numerically.
    public let analyticDerivative: (@Sendable (Double) -> Double)?
    /// Fast float kernel; when nil, `evaluate` loops over the double closures.
    public let batchKernel: ActivationBatchKernel?
    /// Keeps whatever backs the closures (a loaded plugin library) alive.
    public let owner: AnyObject?

    public init(
        name: String, parameters: [ActivationParameter] = [], breakpoints: [Double] = [],
        source: ActivationSource = .closure,
        function: @escaping @Sendable (Double) -> Double,
        derivative: (@Sendable (Double) -> Double)? = nil,
        batchKernel: ActivationBatchKernel? = nil,
        owner: AnyObject? = nil
    ) {
        self.name = name
        self.parameters = parameters
        self.breakpoints = breakpoints.sorted()
        self.source = source
        self.function = function
        self.analyticDerivative = derivative
        self.batchKernel = batchKernel
        self.owner = owner
    }

    public var hasAnalyticDerivative: Bool { analyticDerivative != nil }

    /// The value of a named parameter, if the activation has it.
    public func parameter(_ name: String) -> Double? {
        parameters.first(where: { $0.name == name })?.value
    }

    @inline(__always) public func callAsFunction(_ x: Double) -> Double { function(x) }

    /// φ'(x): the analytic derivative when given, else `NumericDerivative.central`.
    public func derivative(_ x: Double) -> Double {
        if let d = analyticDerivative { return d(x) }
        return NumericDerivative.central(function, at: x)
    }

    /// `value = scale·φ(x) + shift`, `derivative = scale·φ'(x)` over float buffers, for
    /// the first min(x.count, value.count, derivative.count) elements. `value` may be
    /// the same memory as `x` (in-place); kernels must support that.
    public func evaluate(
        _ x: UnsafeBufferPointer<Float>, scale: Float = 1, shift: Float = 0,
        value: UnsafeMutableBufferPointer<Float>, derivative: UnsafeMutableBufferPointer<Float>?
    ) {
        // Never read or write past the shortest buffer: callers are trusted only this far.
        let n = min(x.count, value.count, derivative?.count ?? Int.max)
        guard let xb = x.baseAddress, let vb = value.baseAddress, n > 0 else { return }
        // In-place use (value or derivative overlapping x) works on a copy of x: the
        // kernels read x after writing value (plugin and foreign derivatives would be
        // taken at φ(x)), and plugins are promised distinct forward_f32 buffers.
        if Self.overlaps(xb, n, vb) || derivative.map({ Self.overlaps(xb, n, $0.baseAddress) }) == true {
            let copy = Array(UnsafeBufferPointer(start: xb, count: n))
            copy.withUnsafeBufferPointer { c in
                evaluate(c, scale: scale, shift: shift, value: UnsafeMutableBufferPointer(start: vb, count: n),
                         derivative: derivative.map { UnsafeMutableBufferPointer(start: $0.baseAddress, count: n) })
            }
            return
        }
        if let kernel = batchKernel {
            kernel(xb, n, scale, shift, vb, derivative?.baseAddress)
            return
        }
        let s = Double(scale), t = Double(shift)
        if let db = derivative?.baseAddress {
            for i in 0..<n { db[i] = Float(s * self.derivative(Double(xb[i]))) }
        }
        for i in 0..<n { vb[i] = Float(s * function(Double(xb[i])) + t) }
    }

    private static func overlaps(_ x: UnsafePointer<Float>, _ n: Int, _ y: UnsafeMutablePointer<Float>?) -> Bool {
        guard let y else { return false }
        let a = UInt(bitPattern: x), b = UInt(bitPattern: y)
        let bytes = UInt(n * MemoryLayout<Float>.stride)
        return a < b &+ bytes && b < a &+ bytes
    }
}

/// Central differences with Richardson extrapolation for activations without an
/// analytic derivative.
public enum NumericDerivative {
    /// Two central differences (steps h and h/2) combined by Richardson extrapolation:
    /// error ≈ h⁴·|φ⁽⁵⁾|/480 (truncation) + a few ε·|φ|/h (rounding). With
    /// h = 1e-3·max(1, |x|) the error is at most ~4e-13·max(1, |φ|, |φ'|) on tanh, erf
    /// and softplus over [-20, 20], and 3e-10 for sin at |x| = 20 (step 0.02), as
    /// measured in ActivationTests. The bound is absolute, not relative to φ': where
    /// φ' ≪ φ (tanh'(10) ≈ 8e-9) the relative error of φ' is far larger. Within h of a
    /// kink it returns the average slope.
    @inline(__always)
    public static func central(_ f: (Double) -> Double, at x: Double) -> Double {
        central(f, at: x, step: 1e-3 * max(1, abs(x)))
    }

    /// The same rule with a caller-chosen step `h` (evaluates f within x ± h), e.g. a
    /// smaller one so that the stencil does not straddle a nearby breakpoint.
    @inline(__always)
    public static func central(_ f: (Double) -> Double, at x: Double, step h: Double) -> Double {
        let d1 = (f(x + h) - f(x - h)) / (2 * h)
        let h2 = h / 2
        let d2 = (f(x + h2) - f(x - h2)) / (2 * h2)
        return d2 + (d2 - d1) / 3
    }
}
