// Activations: builtin, plugin, foreign (libffi), C callback; GPN normalization,
// constants and evaluation over caller buffers.
import BSNN
import CBSNNSupport

/// A bsnn_gpn_root: plain, or normalized with a root (nil: the engine's default root).
enum GPNChoice {
    case plain
    case normalized(GPNRoot?)
}

func gpnChoice(_ raw: Int32, _ argument: String) throws -> GPNChoice {
    switch raw {
    case BSNN_GPN_NONE.code: return .plain
    case BSNN_GPN_B_PLUS.code: return .normalized(.nonNegativeMean)
    case BSNN_GPN_B_MINUS.code: return .normalized(.nonPositiveMean)
    case BSNN_GPN_DEFAULT.code: return .normalized(nil)
    default:
        throw invalid("\(argument): expected BSNN_GPN_NONE (0), BSNN_GPN_B_PLUS (1), BSNN_GPN_B_MINUS (2) or BSNN_GPN_DEFAULT (3), got \(raw)")
    }
}

func rootCode(_ root: String?) -> Int32 {
    switch root {
    case GPNRoot.nonNegativeMean.rawValue: return BSNN_GPN_B_PLUS.code
    case GPNRoot.nonPositiveMean.rawValue: return BSNN_GPN_B_MINUS.code
    default: return BSNN_GPN_NONE.code
    }
}

@_cdecl("bsnn_builtin_count")
public func bsnn_builtin_count() -> Int { StaticStrings.builtins.count }

@_cdecl("bsnn_builtin_name")
public func bsnn_builtin_name(_ index: Int) -> UnsafePointer<CChar>? {
    guard index >= 0, index < StaticStrings.builtins.count else { return nil }
    return StaticStrings.builtins[index]
}

@_cdecl("bsnn_activation_create_builtin")
public func bsnn_activation_create_builtin(
    _ name: UnsafePointer<CChar>?, _ paramNames: UnsafePointer<UnsafePointer<CChar>?>?,
    _ paramValues: UnsafePointer<Double>?, _ paramCount: Int, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    guarded("bsnn_activation_create_builtin") {
        let o = try outPointer(out)
        let n = try string(name, "name")
        let params = try names(paramNames, paramValues, paramCount)
        publish(ActivationBox(LayerActivation(try BuiltinActivation.make(n, parameters: params))), o)
    }
}

@_cdecl("bsnn_activation_create_plugin")
public func bsnn_activation_create_plugin(
    _ path: UnsafePointer<CChar>?, _ name: UnsafePointer<CChar>?,
    _ paramNames: UnsafePointer<UnsafePointer<CChar>?>?, _ paramValues: UnsafePointer<Double>?,
    _ paramCount: Int, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    guarded("bsnn_activation_create_plugin") {
        let o = try outPointer(out)
        let p = try pathArgument(path, "path")
        let n = try string(name, "name")
        let params = try names(paramNames, paramValues, paramCount)
        let plugin = try PluginLibrary.load(path: p)
        publish(ActivationBox(LayerActivation(try plugin.makeActivation(name: n, parameters: params))), o)
    }
}

@_cdecl("bsnn_activation_create_foreign")
public func bsnn_activation_create_foreign(
    _ library: UnsafePointer<CChar>?, _ symbol: UnsafePointer<CChar>?, _ signature: UnsafePointer<CChar>?,
    _ bound: UnsafePointer<Double>?, _ boundCount: Int, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    guarded("bsnn_activation_create_foreign") {
        let o = try outPointer(out)
        let lib = try pathArgument(library, "library")
        let sym = try string(symbol, "symbol")
        let sig = try string(signature, "signature")
        let n = try size(boundCount, "bound_count")
        let values = n == 0 ? [] : Array(try buffer(bound, n, "bound"))
        let activation = try ForeignActivation.make(library: lib, symbol: sym, signature: sig, boundParameters: values)
        publish(ActivationBox(LayerActivation(activation)), o)
    }
}

/// The C function pointer and user data of a callback activation. The pointer is an
/// integer so the closures are Sendable; the caller promised it outlives the activation.
struct CallbackTarget: @unchecked Sendable {
    let function: bsnn_scalar_fn
    let userData: UInt
    @inline(__always) func callAsFunction(_ x: Double) -> Double {
        function(x, UnsafeMutableRawPointer(bitPattern: userData))
    }
}

@_cdecl("bsnn_activation_create_callback")
public func bsnn_activation_create_callback(
    _ name: UnsafePointer<CChar>?, _ function: bsnn_scalar_fn?, _ derivative: bsnn_scalar_fn?,
    _ userData: UnsafeMutableRawPointer?, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    guarded("bsnn_activation_create_callback") {
        let o = try outPointer(out)
        let n = try string(name, "name")
        guard !n.isEmpty else { throw invalid("name: expected a non-empty name, got \"\"") }
        guard let function else { throw invalid("function: expected a C function pointer, got NULL") }
        let ud = UInt(bitPattern: userData)
        let f = CallbackTarget(function: function, userData: ud)
        let d = derivative.map { CallbackTarget(function: $0, userData: ud) }
        // A non-finite value would only surface later, deep inside training: check a grid.
        var x = -14.0
        while x <= 14.0 {
            let v = f(x)
            guard v.isFinite else { throw BSNNError.numeric("function: expected finite values on [-14, 14], got \(v) at x = \(x)") }
            if let d {
                let dv = d(x)
                guard dv.isFinite else { throw BSNNError.numeric("derivative: expected finite values on [-14, 14], got \(dv) at x = \(x)") }
            }
            x += 0.25
        }
        let activation = Activation(
            name: n, source: .closure, function: { f($0) }, derivative: d.map { dd in { @Sendable x in dd(x) } })
        publish(ActivationBox(LayerActivation(activation)), o)
    }
}

@_cdecl("bsnn_activation_normalize")
public func bsnn_activation_normalize(
    _ activation: OpaquePointer?, _ root: Int32, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    guarded("bsnn_activation_normalize") {
        let o = try outPointer(out)
        let a = try Handles.lookup(activation, ActivationBox.self, "activation")
        let result: LayerActivation
        switch try gpnChoice(root, "root") {
        case .plain: result = LayerActivation(a.value.base)
        case .normalized(let r): result = try LayerActivation.gpn(a.value.base, root: r)
        }
        publish(ActivationBox(result), o)
    }
}

@_cdecl("bsnn_activation_free")
public func bsnn_activation_free(_ activation: OpaquePointer?) {
    Handles.release(activation, ActivationBox.self)
}

@_cdecl("bsnn_activation_constants")
public func bsnn_activation_constants(_ activation: OpaquePointer?, _ out: UnsafeMutablePointer<bsnn_gpn_constants>?) -> Int32 {
    guarded("bsnn_activation_constants") {
        let o = try outPointer(out)
        let a = try Handles.lookup(activation, ActivationBox.self, "activation")
        let c = try GPNNormalizer.constants(for: a.value.base)
        o.pointee = bsnn_gpn_constants(
            a: c.a, b_plus: c.bPlus, b_minus: c.bMinus, mean: c.moments.mean,
            mean_square: c.moments.meanSquare, derivative_mean_square: c.moments.derivativeMeanSquare)
    }
}

@_cdecl("bsnn_activation_root")
public func bsnn_activation_root(_ activation: OpaquePointer?, _ out: UnsafeMutablePointer<Int32>?) -> Int32 {
    guarded("bsnn_activation_root") {
        let o = try outPointer(out)
        o.pointee = rootCode(try Handles.lookup(activation, ActivationBox.self, "activation").value.gpnRoot)
    }
}

@_cdecl("bsnn_activation_name")
public func bsnn_activation_name(
    _ activation: OpaquePointer?, _ buffer: UnsafeMutablePointer<CChar>?, _ capacity: Int,
    _ outLength: UnsafeMutablePointer<Int>?
) -> Int32 {
    guarded("bsnn_activation_name") {
        let a = try Handles.lookup(activation, ActivationBox.self, "activation")
        try copyString(a.value.base.name, buffer, capacity, outLength)
    }
}

@_cdecl("bsnn_activation_source")
public func bsnn_activation_source(_ activation: OpaquePointer?, _ out: UnsafeMutablePointer<Int32>?) -> Int32 {
    guarded("bsnn_activation_source") {
        let o = try outPointer(out)
        switch try Handles.lookup(activation, ActivationBox.self, "activation").value.base.source {
        case .builtin: o.pointee = BSNN_SOURCE_BUILTIN.code
        case .plugin: o.pointee = BSNN_SOURCE_PLUGIN.code
        case .foreign: o.pointee = BSNN_SOURCE_FOREIGN.code
        case .closure: o.pointee = BSNN_SOURCE_CALLBACK.code
        }
    }
}

@_cdecl("bsnn_activation_param_count")
public func bsnn_activation_param_count(_ activation: OpaquePointer?, _ out: UnsafeMutablePointer<Int>?) -> Int32 {
    guarded("bsnn_activation_param_count") {
        let o = try outPointer(out)
        o.pointee = try Handles.lookup(activation, ActivationBox.self, "activation").value.base.parameters.count
    }
}

@_cdecl("bsnn_activation_param")
public func bsnn_activation_param(
    _ activation: OpaquePointer?, _ index: Int, _ buffer: UnsafeMutablePointer<CChar>?, _ capacity: Int,
    _ outLength: UnsafeMutablePointer<Int>?, _ value: UnsafeMutablePointer<Double>?
) -> Int32 {
    guarded("bsnn_activation_param") {
        let params = try Handles.lookup(activation, ActivationBox.self, "activation").value.base.parameters
        guard index >= 0, index < params.count else {
            throw invalid("index: expected 0..<\(params.count), got \(UInt(bitPattern: index))")
        }
        try copyString(params[index].name, buffer, capacity, outLength)
        value?.pointee = params[index].value
    }
}

@_cdecl("bsnn_activation_evaluate")
public func bsnn_activation_evaluate(
    _ activation: OpaquePointer?, _ x: UnsafePointer<Float>?, _ count: Int, _ value: UnsafeMutablePointer<Float>?,
    _ derivative: UnsafeMutablePointer<Float>?
) -> Int32 {
    guarded("bsnn_activation_evaluate") {
        let a = try Handles.lookup(activation, ActivationBox.self, "activation").value
        let n = try size(count, "count")
        guard n > 0 else { throw invalid("count: expected > 0, got 0") }
        let xs = try buffer(x, n, "x")
        let vs = try mutableBuffer(value, n, "value")
        let ds = derivative.map { UnsafeMutableBufferPointer(start: $0, count: n) }
        a.base.evaluate(xs, scale: Float(a.scale), shift: Float(a.shift), value: vs, derivative: ds)
    }
}

@_cdecl("bsnn_foreign_validate_isolated")
public func bsnn_foreign_validate_isolated(
    _ library: UnsafePointer<CChar>?, _ symbol: UnsafePointer<CChar>?, _ signature: UnsafePointer<CChar>?,
    _ bound: UnsafePointer<Double>?, _ boundCount: Int, _ timeoutMs: UInt32,
    _ out: UnsafeMutablePointer<bsnn_gpn_constants>?
) -> Int32 {
    guarded("bsnn_foreign_validate_isolated") {
        guard timeoutMs >= 1, timeoutMs <= 86_400_000 else {
            throw invalid("timeout_ms: expected 1...86400000 milliseconds, got \(timeoutMs)")
        }
        let n = try size(boundCount, "bound_count")
        let values = n == 0 ? [] : Array(try buffer(bound, n, "bound"))
        let report = try ForeignActivation.validateIsolated(
            library: try string(library, "library"), symbol: try string(symbol, "symbol"),
            signature: try string(signature, "signature"), boundParameters: values,
            timeout: Double(timeoutMs) / 1000)
        let c = report.constants
        out?.pointee = bsnn_gpn_constants(
            a: c.a, b_plus: c.bPlus, b_minus: c.bMinus, mean: c.moments.mean,
            mean_square: c.moments.meanSquare, derivative_mean_square: c.moments.derivativeMeanSquare)
    }
}
