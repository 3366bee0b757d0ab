import CBSNNPlugin

/// The `BSNN_PLUGIN_*` capability flags of a plugin activation (`include/bsnn_plugin.h`).
public struct PluginActivationFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// φ depends only on (x, params); required, because GPN constants come from samples.
    public static let pure = PluginActivationFlags(rawValue: UInt32(BSNN_PLUGIN_PURE))
    /// The plugin's functions may be called from several threads at once; without it
    /// the host serializes all calls into the library.
    public static let threadSafe = PluginActivationFlags(rawValue: UInt32(BSNN_PLUGIN_THREAD_SAFE))
    /// Informational: an analytic derivative is supplied.
    public static let hasDerivative = PluginActivationFlags(rawValue: UInt32(BSNN_PLUGIN_HAS_DERIVATIVE))
    /// Informational: a vectorized float forward is supplied.
    public static let hasVectorized = PluginActivationFlags(rawValue: UInt32(BSNN_PLUGIN_HAS_VECTORIZED))
}

/// What a plugin says about one of its activations, copied out of the plugin's
/// descriptor at load time (so it stays valid whatever the plugin does later).
public struct PluginActivationInfo: Sendable, Equatable {
    /// Unique within the plugin; saved models refer to the activation by it.
    public let name: String
    /// One line for listings; empty when the plugin gives none.
    public let description: String
    /// Parameter names in the order the plugin's functions read them.
    public let parameterNames: [String]
    /// Defaults, one per name; all finite.
    public let parameterDefaults: [Double]
    /// Points of non-differentiability, sorted; all finite.
    public let breakpoints: [Double]
    /// The flags as declared (unknown bits of newer minors dropped).
    public let flags: PluginActivationFlags
    public let hasAnalyticDerivative: Bool
    public let hasVectorizedForward: Bool
    public let hasVectorizedDerivative: Bool
}
