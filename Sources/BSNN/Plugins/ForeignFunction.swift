/// How a foreign activation calls its C function.
public enum ForeignDispatch: Sendable, Equatable {
    /// A direct `@convention(c)` call for `double(double)`, `float(float)` and
    /// `double(double,double)` (~4 ns + the function), libffi for the rest (~30 ns +).
    case automatic
    /// libffi for every signature; for measuring and testing the ffi path.
    case ffi
}

/// Activations from plain C functions of a known signature in any shared library
/// (`libm.so.6` / `erf` / `double(double)`), without a plugin descriptor.
///
/// The function must be pure and safe to call from several threads at once (as libm's
/// are); bsnn cannot check the latter. Its derivative is taken numerically
/// (`NumericDerivative.central`). Bound parameters appear in `Activation.parameters` as
/// `arg1`, `arg2`, … (x is argument 0).
public enum ForeignActivation {
    /// Whether `.automatic` dispatch calls `signature` directly rather than via libffi.
    public static func isDirectlyDispatched(_ signature: ForeignSignature) -> Bool {
        directKind(signature) != nil
    }

    /// - Parameters:
    ///   - library: passed to `dlopen` unchanged (`libm.so.6`, or a path).
    ///   - symbol: the C function's name.
    ///   - signature: see `ForeignSignature` for the grammar.
    ///   - boundParameters: values for the arguments after x, in order; finite; their
    ///     count must equal the signature's arguments minus one.
    ///   - dispatch: `.ffi` forces libffi even for directly callable signatures.
    /// - Throws: `.invalidArgument` for a bad signature (with the position) or a wrong
    ///   number of / non-finite bound values; `.plugin` when the library cannot be
    ///   loaded, lacks the symbol, or the function is not finite on [-14, 14] (naming x).
    public static func make(
        library: String, symbol: String, signature: String, boundParameters: [Double] = [],
        dispatch: ForeignDispatch = .automatic
    ) throws(BSNNError) -> Activation {
        let sig = try ForeignSignature.parse(signature)
        guard boundParameters.count == sig.boundCount else {
            throw BSNNError.invalidArgument(
                "signature '\(signature)' binds \(sig.boundCount) argument(s) after x; got "
                    + "\(boundParameters.count) bound parameter value(s)")
        }
        for (i, v) in boundParameters.enumerated() where !v.isFinite {
            throw BSNNError.invalidArgument("bound parameter arg\(i + 1) of '\(symbol)' is \(v); expected a finite number")
        }
        guard !symbol.isEmpty else {
            throw BSNNError.invalidArgument("symbol name is empty; expected a C function name")
        }
        let lib = try SharedLibrary(path: library)
        guard let address = lib.symbol(symbol) else {
            throw BSNNError.plugin(
                "library '\(library)' has no symbol '\(symbol)' (\(SharedLibrary.lastError()))")
        }

        let function: @Sendable (Double) -> Double
        let kernel: ActivationBatchKernel
        let label = "foreign function '\(symbol)' in '\(library)' (\(sig))"
        if dispatch == .automatic, let kind = directKind(sig) {
            (function, kernel) = direct(kind, address: address, bound: boundParameters, owner: lib)
        } else {
            let call = try ForeignCallInterface(
                symbol: address, signature: sig, boundValues: boundParameters, name: symbol)
            (function, kernel) = viaFFI(call, owner: lib)
        }
        try ActivationGridCheck.check(
            label: label, breakpoints: [], function: function, derivative: nil, forwardF32: nil,
            derivativeF32: nil)
        return Activation(
            name: symbol,
            parameters: boundParameters.enumerated().map { ActivationParameter(name: "arg\($0 + 1)", value: $1) },
            source: .foreign(library: library, symbol: symbol, signature: sig.description),
            function: function, batchKernel: kernel, owner: lib)
    }

    enum DirectKind { case doubleToDouble, floatToFloat, doubleDoubleToDouble }

    static func directKind(_ s: ForeignSignature) -> DirectKind? {
        switch (s.returnType, s.argumentTypes) {
        case (.double, [.double]): return .doubleToDouble
        case (.float, [.float]): return .floatToFloat
        case (.double, [.double, .double]): return .doubleDoubleToDouble
        default: return nil
        }
    }

    private typealias D2D = @convention(c) (Double) -> Double
    private typealias F2F = @convention(c) (Float) -> Float
    private typealias DD2D = @convention(c) (Double, Double) -> Double

    /// One closure pair per signature so the hot loops call the C pointer with no
    /// per-element dispatch; the closures capture `owner` so the code stays mapped.
    private static func direct(
        _ kind: DirectKind, address: UnsafeMutableRawPointer, bound: [Double], owner: SharedLibrary
    ) -> (@Sendable (Double) -> Double, ActivationBatchKernel) {
        switch kind {
        case .doubleToDouble:
            let f = unsafeBitCast(address, to: D2D.self)
            return ({ x in withExtendedLifetime(owner) { f(x) } },
                    { x, n, scale, shift, value, derivative in
                        withExtendedLifetime(owner) {
                            let s = Double(scale), t = Double(shift)
                            for i in 0..<n { value[i] = Float(s * f(Double(x[i])) + t) }
                            if let derivative {
                                for i in 0..<n { derivative[i] = Float(s * NumericDerivative.central(f, at: Double(x[i]))) }
                            }
                        }
                    })
        case .floatToFloat:
            let f = unsafeBitCast(address, to: F2F.self)
            let g: @Sendable (Double) -> Double = { Double(f(Float($0))) }
            return ({ x in withExtendedLifetime(owner) { Double(f(Float(x))) } },
                    { x, n, scale, shift, value, derivative in
                        withExtendedLifetime(owner) {
                            for i in 0..<n { value[i] = scale * f(x[i]) + shift }
                            if let derivative {
                                let s = Double(scale)
                                for i in 0..<n { derivative[i] = Float(s * NumericDerivative.central(g, at: Double(x[i]))) }
                            }
                        }
                    })
        case .doubleDoubleToDouble:
            let f = unsafeBitCast(address, to: DD2D.self)
            let b = bound.first ?? 0
            let g: @Sendable (Double) -> Double = { f($0, b) }
            return ({ x in withExtendedLifetime(owner) { f(x, b) } },
                    { x, n, scale, shift, value, derivative in
                        withExtendedLifetime(owner) {
                            let s = Double(scale), t = Double(shift)
                            for i in 0..<n { value[i] = Float(s * f(Double(x[i]), b) + t) }
                            if let derivative {
                                for i in 0..<n { derivative[i] = Float(s * NumericDerivative.central(g, at: Double(x[i]))) }
                            }
                        }
                    })
        }
    }

    private static func viaFFI(
        _ call: ForeignCallInterface, owner: SharedLibrary
    ) -> (@Sendable (Double) -> Double, ActivationBatchKernel) {
        let g: @Sendable (Double) -> Double = { call.call($0) }
        return ({ x in withExtendedLifetime(owner) { call.call(x) } },
                { x, n, scale, shift, value, derivative in
                    withExtendedLifetime(owner) {
                        let s = Double(scale), t = Double(shift)
                        for i in 0..<n { value[i] = Float(s * call.call(Double(x[i])) + t) }
                        if let derivative {
                            for i in 0..<n { derivative[i] = Float(s * NumericDerivative.central(g, at: Double(x[i]))) }
                        }
                    }
                })
    }
}
