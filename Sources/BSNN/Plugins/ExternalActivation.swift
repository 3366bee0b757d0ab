/// Re-creates plugin and foreign-function activations recorded in model files, by the
/// path exactly as recorded (no search path). Used only when the caller allows plugins.
enum ExternalActivation {
    static func make(source: ActivationSource, name: String, parameters: [ActivationParameter]) throws(BSNNError) -> Activation {
        switch source {
        case .plugin(let path, let pluginName):
            let library = try PluginLibrary.load(path: path)
            guard library.name == pluginName else {
                throw BSNNError.plugin(
                    "plugin \(path): the model was trained with plugin \"\(pluginName)\", the library now says \"\(library.name)\"")
            }
            return try library.makeActivation(
                name: name, parameters: Dictionary(parameters.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a }))
        case .foreign(let lib, let symbol, let signature):
            // Bound arguments are recorded in order as arg1, arg2, ….
            return try ForeignActivation.make(
                library: lib, symbol: symbol, signature: signature, boundParameters: parameters.map(\.value))
        case .builtin, .closure:
            throw BSNNError.internal("ExternalActivation asked to make a \(source) activation")
        }
    }
}
