// Activation plugins (include/bsnn_plugin.h): load, list activations and parameters.
import BSNN
import CBSNNSupport

@_cdecl("bsnn_plugin_load")
public func bsnn_plugin_load(_ path: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    guarded("bsnn_plugin_load") {
        let o = try outPointer(out)
        publish(PluginBox(try PluginLibrary.load(path: try pathArgument(path, "path"))), o)
    }
}

@_cdecl("bsnn_plugin_free")
public func bsnn_plugin_free(_ plugin: OpaquePointer?) { Handles.release(plugin, PluginBox.self) }

@_cdecl("bsnn_plugin_name")
public func bsnn_plugin_name(
    _ plugin: OpaquePointer?, _ buffer: UnsafeMutablePointer<CChar>?, _ capacity: Int, _ outLength: UnsafeMutablePointer<Int>?
) -> Int32 {
    guarded("bsnn_plugin_name") {
        try copyString(try Handles.lookup(plugin, PluginBox.self, "plugin").plugin.name, buffer, capacity, outLength)
    }
}

@_cdecl("bsnn_plugin_activation_count")
public func bsnn_plugin_activation_count(_ plugin: OpaquePointer?, _ out: UnsafeMutablePointer<Int>?) -> Int32 {
    guarded("bsnn_plugin_activation_count") {
        let o = try outPointer(out)
        o.pointee = try Handles.lookup(plugin, PluginBox.self, "plugin").plugin.activations.count
    }
}

func pluginActivation(_ plugin: OpaquePointer?, _ index: Int) throws -> PluginActivationInfo {
    let list = try Handles.lookup(plugin, PluginBox.self, "plugin").plugin.activations
    guard index >= 0, index < list.count else {
        throw invalid("index: expected 0..<\(list.count) (the plugin's activations), got \(UInt(bitPattern: index))")
    }
    return list[index]
}

@_cdecl("bsnn_plugin_activation_name")
public func bsnn_plugin_activation_name(
    _ plugin: OpaquePointer?, _ index: Int, _ buffer: UnsafeMutablePointer<CChar>?, _ capacity: Int,
    _ outLength: UnsafeMutablePointer<Int>?
) -> Int32 {
    guarded("bsnn_plugin_activation_name") {
        try copyString(try pluginActivation(plugin, index).name, buffer, capacity, outLength)
    }
}

@_cdecl("bsnn_plugin_param_count")
public func bsnn_plugin_param_count(_ plugin: OpaquePointer?, _ index: Int, _ out: UnsafeMutablePointer<Int>?) -> Int32 {
    guarded("bsnn_plugin_param_count") {
        let o = try outPointer(out)
        o.pointee = try pluginActivation(plugin, index).parameterNames.count
    }
}

@_cdecl("bsnn_plugin_param")
public func bsnn_plugin_param(
    _ plugin: OpaquePointer?, _ index: Int, _ param: Int, _ buffer: UnsafeMutablePointer<CChar>?, _ capacity: Int,
    _ outLength: UnsafeMutablePointer<Int>?, _ defaultValue: UnsafeMutablePointer<Double>?
) -> Int32 {
    guarded("bsnn_plugin_param") {
        let info = try pluginActivation(plugin, index)
        guard param >= 0, param < info.parameterNames.count, param < info.parameterDefaults.count else {
            throw invalid("param: expected 0..<\(info.parameterNames.count) (parameters of '\(info.name)'), got \(UInt(bitPattern: param))")
        }
        try copyString(info.parameterNames[param], buffer, capacity, outLength)
        defaultValue?.pointee = info.parameterDefaults[param]
    }
}

@_cdecl("bsnn_plugin_create_activation")
public func bsnn_plugin_create_activation(
    _ plugin: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ paramNames: UnsafePointer<UnsafePointer<CChar>?>?,
    _ paramValues: UnsafePointer<Double>?, _ paramCount: Int, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    guarded("bsnn_plugin_create_activation") {
        let o = try outPointer(out)
        let p = try Handles.lookup(plugin, PluginBox.self, "plugin").plugin
        let n = try string(name, "name")
        let params = try names(paramNames, paramValues, paramCount)
        publish(ActivationBox(LayerActivation(try p.makeActivation(name: n, parameters: params))), o)
    }
}

@_cdecl("bsnn_plugin_validate_isolated")
public func bsnn_plugin_validate_isolated(
    _ path: UnsafePointer<CChar>?, _ name: UnsafePointer<CChar>?,
    _ paramNames: UnsafePointer<UnsafePointer<CChar>?>?, _ paramValues: UnsafePointer<Double>?,
    _ paramCount: Int, _ timeoutMs: UInt32,
    _ out: UnsafeMutablePointer<bsnn_gpn_constants>?
) -> Int32 {
    guarded("bsnn_plugin_validate_isolated") {
        guard timeoutMs >= 1, timeoutMs <= 86_400_000 else {
            throw invalid("timeout_ms: expected 1...86400000 milliseconds, got \(timeoutMs)")
        }
        let report = try PluginLibrary.validateIsolated(
            path: try pathArgument(path, "path"), name: try string(name, "name"),
            parameters: try names(paramNames, paramValues, paramCount), timeout: Double(timeoutMs) / 1000)
        let c = report.constants
        out?.pointee = bsnn_gpn_constants(
            a: c.a, b_plus: c.bPlus, b_minus: c.bMinus, mean: c.moments.mean,
            mean_square: c.moments.meanSquare, derivative_mean_square: c.moments.derivativeMeanSquare)
    }
}
