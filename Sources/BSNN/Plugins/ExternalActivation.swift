/// Re-creates plugin and foreign-function activations recorded in model files.
enum ExternalActivation {
    static func make(source: ActivationSource, name: String, parameters: [ActivationParameter]) throws -> Activation {
        throw BSNNError.plugin("activation \"\(name)\" from \(source): this build has no plugin loader")
    }
}
