import CBSNNPlugin

/// What one plugin-backed `Activation` needs at call time: the function pointers, its
/// parameter values (stored once, handed to every call), and a reference to the library
/// so the code stays mapped while any closure can still call it.
/// Unchecked Sendable: the parameter values are written once in init and only read
/// afterwards; calls are serialized by `lock` when the plugin is not thread-safe.
final class PluginActivationState: @unchecked Sendable {
    let library: PluginLibrary
    let params: UnsafeMutablePointer<Double>
    let function: bsnn_plugin_scalar_fn
    let derivativeFn: bsnn_plugin_scalar_fn?
    let forwardF32: bsnn_plugin_batch_fn?
    let derivativeF32: bsnn_plugin_batch_fn?
    /// nil when the plugin declares its activation thread-safe.
    let lock: PluginLock?

    init(library: PluginLibrary, entry: PluginActivationEntry, values: [Double]) {
        self.library = library
        // Never NULL, even with no parameters, as the header promises plugin authors.
        params = .allocate(capacity: max(1, values.count))
        params.initialize(repeating: 0, count: max(1, values.count))
        for (i, v) in values.enumerated() { params[i] = v }
        function = entry.function
        derivativeFn = entry.derivative
        forwardF32 = entry.forwardF32
        derivativeF32 = entry.derivativeF32
        lock = entry.info.flags.contains(.threadSafe) ? nil : library.lock
    }

    deinit { params.deallocate() }

    @inline(__always) private func serialized<R>(_ body: () -> R) -> R {
        if let lock { return lock.withLock(body) }
        return body()
    }

    func value(_ x: Double) -> Double {
        serialized { function(x, params) }
    }

    /// Only called when the plugin has a derivative.
    func slope(_ x: Double) -> Double {
        serialized { derivativeFn.map { $0(x, params) } ?? NumericDerivative.central({ function($0, params) }, at: x) }
    }

    func forwardBatch(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        guard n > 0 else { return }
        serialized {
            if let forwardF32 { forwardF32(x, y, n, params) } else { scalarLoop(function, x, y, n, 1, 0) }
        }
    }

    func derivativeBatch(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        guard n > 0 else { return }
        serialized { derivativeUnlocked(x, y, n, 1) }
    }

    /// The `ActivationBatchKernel`: one lock acquisition per batch, not per element.
    func kernel(
        _ x: UnsafePointer<Float>, _ n: Int, _ scale: Float, _ shift: Float,
        _ value: UnsafeMutablePointer<Float>, _ derivative: UnsafeMutablePointer<Float>?
    ) {
        guard n > 0 else { return }
        serialized {
            if let forwardF32 {
                forwardF32(x, value, n, params)
                if scale != 1 || shift != 0 {
                    for i in 0..<n { value[i] = scale * value[i] + shift }
                }
            } else {
                scalarLoop(function, x, value, n, Double(scale), Double(shift))
            }
            if let derivative { derivativeUnlocked(x, derivative, n, scale) }
        }
    }

    @inline(__always) private func derivativeUnlocked(
        _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int, _ scale: Float
    ) {
        if let derivativeF32 {
            derivativeF32(x, y, n, params)
            if scale != 1 { for i in 0..<n { y[i] *= scale } }
        } else if let derivativeFn {
            scalarLoop(derivativeFn, x, y, n, Double(scale), 0)
        } else {
            let f = function, p = UnsafePointer(params), s = Double(scale)
            for i in 0..<n {
                y[i] = Float(s * NumericDerivative.central({ f($0, p) }, at: Double(x[i])))
            }
        }
    }

    @inline(__always) private func scalarLoop(
        _ f: bsnn_plugin_scalar_fn, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int,
        _ scale: Double, _ shift: Double
    ) {
        let p = UnsafePointer(params)
        for i in 0..<n { y[i] = Float(scale * f(Double(x[i]), p) + shift) }
    }
}
