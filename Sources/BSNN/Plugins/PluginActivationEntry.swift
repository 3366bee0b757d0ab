import CBSNNPlugin

/// One validated activation of a loaded plugin: the copied metadata plus the function
/// pointers, which stay valid while the owning `PluginLibrary` is alive.
struct PluginActivationEntry {
    let info: PluginActivationInfo
    let function: bsnn_plugin_scalar_fn
    let derivative: bsnn_plugin_scalar_fn?
    let forwardF32: bsnn_plugin_batch_fn?
    let derivativeF32: bsnn_plugin_batch_fn?
}
