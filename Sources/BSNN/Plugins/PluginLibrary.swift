import CBSNNPlugin

/// A loaded activation plugin (`include/bsnn_plugin.h`).
///
/// Loading opens the library, calls its `bsnn_plugin_entry`, and validates and copies
/// the descriptor; `makeActivation` then instantiates one activation with parameter
/// values. Every `Activation` made here keeps this object, and so the library, alive;
/// the library is closed when the last of them is gone.
/// Unchecked Sendable: every stored property is immutable after loading; calls into the
/// plugin go through `lock` unless the plugin declares its activation thread-safe.
public final class PluginLibrary: @unchecked Sendable {
    /// The path exactly as given to `load(path:)` (recorded in `ActivationSource`).
    public let path: String
    /// The plugin's own name and free-form version string.
    public let name: String
    public let version: String
    /// The ABI the plugin was compiled against (major equals the host's).
    public let abiMajor: UInt32
    public let abiMinor: UInt32
    /// Everything the plugin declares, in the plugin's order.
    public var activations: [PluginActivationInfo] { entries.map(\.info) }

    /// The plugin ABI this bsnn implements.
    public static var hostABIVersion: (major: UInt32, minor: UInt32) {
        (PluginDescriptorReader.hostMajor, PluginDescriptorReader.hostMinor)
    }

    let entries: [PluginActivationEntry]
    let library: SharedLibrary
    /// Shared with every other load of the same image (`PluginLock.forImage`).
    let lock: PluginLock

    private init(path: String, library: SharedLibrary, result: PluginDescriptorReader.Result) {
        self.path = path
        self.library = library
        self.lock = PluginLock.forImage(library.imageKey)
        self.name = result.name
        self.version = result.version
        self.abiMajor = result.abiMajor
        self.abiMinor = result.abiMinor
        self.entries = result.entries
    }

    /// Loads the plugin at `path` (passed to `dlopen` unchanged: no search path).
    ///
    /// - Throws: `BSNNError.plugin` when the file is not a loadable shared library (with
    ///   the loader's reason), lacks `bsnn_plugin_entry`, whose entry returns NULL, or
    ///   whose descriptor breaks the ABI (major, sizes, NULL or duplicate names, NULL
    ///   function, inconsistent counts, non-finite defaults or breakpoints).
    public static func load(path: String) throws(BSNNError) -> PluginLibrary {
        let library = try SharedLibrary(path: path)
        guard let symbol = library.symbol(BSNN_PLUGIN_ENTRY_NAME) else {
            throw BSNNError.plugin(
                "'\(path)' is a shared library but has no entry point '\(BSNN_PLUGIN_ENTRY_NAME)' "
                    + "(\(SharedLibrary.lastError())); expected a bsnn plugin exporting it")
        }
        let entry = unsafeBitCast(symbol, to: bsnn_plugin_entry_fn.self)
        guard let descriptor = entry(PluginDescriptorReader.hostVersion) else {
            throw BSNNError.plugin(
                "plugin '\(path)': \(BSNN_PLUGIN_ENTRY_NAME)(\(PluginDescriptorReader.hostVersion)) returned NULL; "
                    + "the plugin declined this host (plugin ABI \(PluginDescriptorReader.hostMajor)."
                    + "\(PluginDescriptorReader.hostMinor))")
        }
        let result = try PluginDescriptorReader(path: path).read(UnsafeRawPointer(descriptor))
        return PluginLibrary(path: path, library: library, result: result)
    }

    /// The declaration of the activation called `name`, if the plugin has one.
    public func activation(named name: String) -> PluginActivationInfo? {
        entries.first(where: { $0.info.name == name })?.info
    }

    /// An `Activation` for the plugin's activation `name`, with `parameters` overriding
    /// the plugin's defaults (omitted ones keep their default).
    ///
    /// Before returning, evaluates φ (and any derivative and float forms) on
    /// `ActivationGridCheck`'s grid over [-14, 14].
    ///
    /// - Throws: `.invalidArgument` for an unknown activation or parameter name or a
    ///   non-finite value; `.plugin` when φ is not finite somewhere on the grid or its
    ///   derivative / float forms disagree with it (naming x).
    public func makeActivation(name: String, parameters: [String: Double] = [:]) throws(BSNNError) -> Activation {
        guard let entry = entries.first(where: { $0.info.name == name }) else {
            throw BSNNError.invalidArgument(
                "plugin '\(self.name)' ('\(path)') has no activation '\(name)'; it has: "
                    + entries.map { "'\($0.info.name)'" }.joined(separator: ", "))
        }
        let info = entry.info
        for (key, value) in parameters.sorted(by: { $0.key < $1.key }) {
            guard info.parameterNames.contains(key) else {
                let known = info.parameterNames.isEmpty
                    ? "it takes no parameters" : "its parameters are " + info.parameterNames.joined(separator: ", ")
                throw BSNNError.invalidArgument(
                    "activation '\(name)' of plugin '\(self.name)' has no parameter '\(key)'; \(known)")
            }
            guard value.isFinite else {
                throw BSNNError.invalidArgument(
                    "parameter '\(key)' of activation '\(name)' is \(value); expected a finite number")
            }
        }
        let values = zip(info.parameterNames, info.parameterDefaults).map { parameters[$0] ?? $1 }
        let state = PluginActivationState(library: self, entry: entry, values: values)

        try ActivationGridCheck.check(
            label: "activation '\(name)' of plugin '\(self.name)' ('\(path)')",
            breakpoints: info.breakpoints,
            function: state.value,
            derivative: entry.derivative == nil ? nil : { state.slope($0) },
            forwardF32: entry.forwardF32 == nil ? nil : { state.forwardBatch($0, $1, $2) },
            derivativeF32: entry.derivativeF32 == nil ? nil : { state.derivativeBatch($0, $1, $2) })

        let function: @Sendable (Double) -> Double = { state.value($0) }
        var derivative: (@Sendable (Double) -> Double)? = nil
        if entry.derivative != nil { derivative = { state.slope($0) } }
        let kernel: ActivationBatchKernel = { x, n, scale, shift, value, derivative in
            state.kernel(x, n, scale, shift, value, derivative)
        }
        return Activation(
            name: name,
            parameters: zip(info.parameterNames, values).map { ActivationParameter(name: $0, value: $1) },
            breakpoints: info.breakpoints,
            source: .plugin(path: path, plugin: self.name),
            function: function, derivative: derivative, batchKernel: kernel, owner: state)
    }
}
