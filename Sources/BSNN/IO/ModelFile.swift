/// Models as safetensors files: tensors `layers.{l}.weight` ([outputs, inputs], the stored
/// parameter — V for row-normalized layers, whose applied weight is V with every row
/// scaled to unit norm) and `layers.{l}.bias`, plus `__metadata__` with the format
/// version, the architecture and the activation (see `ActivationRecord`). Layer 0 is the
/// input layer, 1...depth the hidden layers, depth+1 the output layer. Written
/// atomically with a CRC32 of the tensor bytes; loading validates everything.
public enum ModelFile {
    public static let formatVersion = 1
    static let formatKey = "bsnn.format"
    static let versionKey = "bsnn.format_version"
    static let architectureKey = "bsnn.architecture"
    static let activationKey = "bsnn.activation"

    /// Options for loading. Plugin and foreign activations are re-loaded only when
    /// `allowPlugins` is true.
    public struct LoadOptions: Sendable {
        public var allowPlugins: Bool
        public init(allowPlugins: Bool = false) { self.allowPlugins = allowPlugins }
    }

    public static func save(_ model: MLP, to path: String) throws {
        try AtomicFile.write(try serialize(model, kind: "model").serialized(), to: path)
    }

    public static func load(_ path: String, options: LoadOptions = LoadOptions()) throws -> MLP {
        let file = try SafeTensorsFile.read(path: path)
        return try model(from: file, name: path, expectedKind: "model", options: options)
    }

    static func serialize(_ model: MLP, kind: String) throws -> SafeTensorsFile {
        let c = model.configuration
        if case .closure = c.activation.base.source {
            throw BSNNError.wrongState(
                "activation \"\(c.activation.base.name)\" is a closure and cannot be saved in a model file; use a builtin, plugin or foreign activation")
        }
        let arch: JSONValue = .object([
            JSONMember("inputs", .number(Double(c.inputs))),
            JSONMember("width", .number(Double(c.width))),
            JSONMember("depth", .number(Double(c.depth))),
            JSONMember("outputs", .number(Double(c.outputs))),
            JSONMember("bias", .bool(c.bias)),
            JSONMember("constraint", .string(c.constraint.rawValue)),
            JSONMember("initialization", .string(c.initialization.rawValue)),
            JSONMember("seed", .string(String(c.seed))),
        ])
        var file = try SafeTensorsFile(metadata: [
            formatKey: kind,
            versionKey: String(formatVersion),
            architectureKey: arch.serialized(),
            activationKey: ActivationRecord(c.activation).json.serialized(),
        ])
        FeatureScalingRecord.write(c.featureScaler, into: &file.metadata)
        for (l, layer) in model.layers.enumerated() {
            try file.append(name: "layers.\(l).weight", shape: [layer.outputs, layer.inputs], values: layer.weight.array)
            if let b = layer.bias { try file.append(name: "layers.\(l).bias", shape: [layer.outputs], values: b.array) }
        }
        return file
    }

    static func model(from file: SafeTensorsFile, name: String, expectedKind: String, options: LoadOptions) throws -> MLP {
        func fail(_ what: String) -> BSNNError { .format("\(name): \(what)") }
        guard let kind = file.metadata[formatKey] else {
            throw fail("not a bsnn file (metadata \"\(formatKey)\" missing)")
        }
        guard kind == expectedKind || (expectedKind == "model" && kind == "checkpoint") else {
            throw fail("expected a bsnn \(expectedKind), found a \(kind)")
        }
        guard let v = file.metadata[versionKey].flatMap(Int.init) else { throw fail("metadata \"\(versionKey)\" missing or not an integer") }
        guard v == formatVersion else {
            throw fail("format version \(v) is not supported by this bsnn (reads version \(formatVersion))")
        }
        guard let archText = file.metadata[architectureKey] else { throw fail("metadata \"\(architectureKey)\" missing") }
        let arch = try JSONParser.parse(archText, name: "\(name): architecture")
        func int(_ key: String) throws -> Int {
            guard let x = arch[key]?.intValue else { throw fail("architecture.\(key) missing or not an integer") }
            return x
        }
        guard case .bool(let bias)? = arch["bias"] else { throw fail("architecture.bias missing or not a boolean") }
        guard let constraintName = arch["constraint"]?.stringValue else { throw fail("architecture.constraint missing") }
        let constraint = try WeightConstraint.named(constraintName)
        let initialization = try WeightInitialization.named(arch["initialization"]?.stringValue ?? "orthogonal")
        guard let seed = arch["seed"]?.stringValue.flatMap(UInt64.init) else { throw fail("architecture.seed missing") }
        guard let actText = file.metadata[activationKey] else { throw fail("metadata \"\(activationKey)\" missing") }
        let record = try ActivationRecord(json: try JSONParser.parse(actText, name: "\(name): activation"), file: name)
        let activation = try record.resolve(allowPlugins: options.allowPlugins)
        var config = MLPConfiguration(
            inputs: try int("inputs"), width: try int("width"), depth: try int("depth"), outputs: try int("outputs"),
            activation: activation, constraint: constraint, initialization: initialization, bias: bias, seed: seed)
        config.featureScaler = try FeatureScalingRecord.read(file.metadata, inputs: config.inputs, file: name)
        // Sizes come from the file: check them against the tensors before allocating.
        let expectedTensors = (config.depth + 2) * (bias ? 2 : 1)
        let weightTensors = file.tensors.filter { $0.name.hasPrefix("layers.") }.count
        guard weightTensors == expectedTensors else {
            throw fail("expected \(expectedTensors) layer tensors for depth \(config.depth), found \(weightTensors)")
        }
        var weights: [[Float]] = [], biases: [[Float]] = []
        for l in 0...(config.depth + 1) {
            let rows = l == config.depth + 1 ? config.outputs : config.width
            let cols = l == 0 ? config.inputs : config.width
            guard let w = file["layers.\(l).weight"] else { throw fail("tensor layers.\(l).weight missing") }
            guard w.shape == [rows, cols] else {
                throw fail("tensor layers.\(l).weight: expected shape [\(rows), \(cols)], got \(w.shape)")
            }
            weights.append(w.values)
            if bias {
                guard let b = file["layers.\(l).bias"] else { throw fail("tensor layers.\(l).bias missing") }
                guard b.shape == [rows] else { throw fail("tensor layers.\(l).bias: expected shape [\(rows)], got \(b.shape)") }
                biases.append(b.values)
            }
        }
        // Every size is now backed by bytes in the file, so allocating is safe.
        let model = try MLP(config, initializeWeights: false)
        for l in 0..<model.layerCount {
            try model.setWeights(layer: l, weights[l])
            if bias { try model.setBias(layer: l, biases[l]) }
        }
        return model
    }
}
