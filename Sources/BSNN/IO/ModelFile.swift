/// Models as safetensors files: tensors `layers.{l}.weight` ([outputs, inputs], the stored
/// parameter — V for row-normalized layers, whose applied weight is V with every row
/// scaled to unit norm), `layers.{l}.bias` and, for a learnable residual scale,
/// `layers.{l}.residual_scale` ([1], hidden layers 1...depth), plus `__metadata__` with the format
/// version, the architecture and the activation (see `ActivationRecord`). Layer 0 is the
/// input layer, 1...depth the hidden layers, depth+1 the output layer. A normalized
/// model also has `layers.{l}.norm.weight` (γ) and `layers.{l}.norm.bias` (β) for
/// l = 0...depth, and for batch normalization `layers.{l}.norm.running_mean` and
/// `layers.{l}.norm.running_var`, all [width]; its architecture records
/// `normalization`, `normalization_momentum` and `normalization_epsilon` (absent: none,
/// as in every file written before them). Written
/// atomically with a CRC-32 over the whole content (`SafeTensorsFile.canonicalChecksum`);
/// loading verifies it and validates every field before using it.
public enum ModelFile {
    public static let formatVersion = 1
    static let formatKey = "bsnn.format"
    static let versionKey = "bsnn.format_version"
    static let architectureKey = "bsnn.architecture"
    static let activationKey = "bsnn.activation"
    /// Stored feature-scaling statistics (optional; written by the data side of bsnn).
    static let featureScalingKey = "bsnn.feature_scaling"

    /// Every `bsnn.*` metadata key a model file may hold, and whether it must. Any other
    /// `bsnn.*` key is a format error (a misspelt key must not be ignored); keys outside
    /// the `bsnn.` namespace belong to other tools and are kept, covered by the checksum.
    static let modelKeys: [(key: String, required: Bool)] = [
        (formatKey, true), (versionKey, true), (architectureKey, true), (activationKey, true),
        (featureScalingKey, false),
    ]
    static let architectureFields = ["inputs", "width", "depth", "outputs", "bias", "constraint", "seed"]
    /// Absent in files of the first releases, which always initialized orthogonally.
    /// Absent in files of the first releases, which always initialized orthogonally;
    /// `residual`, `residual_scale` (a decimal string or "learnable") and `dropout` (a
    /// decimal string), like the `normalization*` fields, are written only when they differ from the defaults, so a plain
    /// model's file is the one 0.1 wrote, and a file without them is a plain model.
    static let optionalArchitectureFields = ["initialization", "normalization", "normalization_momentum", "normalization_epsilon", "residual", "residual_scale", "dropout"]

    /// Options for loading. Plugin and foreign activations are re-loaded only when
    /// `allowPlugins` is true. Files without a verified `bsnn.checksum` (written by
    /// another tool from scratch, or by bsnn 0.1) load only when `allowUnverified` is
    /// true; a checksum that is present is always verified.
    public struct LoadOptions: Sendable {
        public var allowPlugins: Bool
        public var allowUnverified: Bool
        public init(allowPlugins: Bool = false, allowUnverified: Bool = false) {
            self.allowPlugins = allowPlugins
            self.allowUnverified = allowUnverified
        }
    }

    public static func save(_ model: MLP, to path: String) throws(BSNNError) {
        try AtomicFile.write(try encode(model), to: path)
    }

    public static func load(_ path: String, options: LoadOptions = LoadOptions()) throws(BSNNError) -> MLP {
        let file = try SafeTensorsFile.read(path: path)
        return try model(from: file, name: path, expectedKind: "model", options: options)
    }

    /// The exact bytes `save` writes, for copies made in memory (pickling in the bindings).
    public static func encode(_ model: MLP) throws(BSNNError) -> [UInt8] {
        try serialize(model, kind: "model").serialized()
    }

    /// `load` from bytes: the same checksum, validation and `options`; `name` stands for
    /// the path in error messages.
    public static func decode(_ bytes: [UInt8], name: String = "model buffer", options: LoadOptions = LoadOptions()) throws(BSNNError) -> MLP {
        try model(from: try SafeTensorsFile(bytes: bytes, name: name), name: name, expectedKind: "model", options: options)
    }

    static func serialize(_ model: MLP, kind: String) throws(BSNNError) -> SafeTensorsFile {
        let c = model.configuration
        if case .closure = c.activation.base.source {
            throw BSNNError.wrongState(
                "activation \"\(c.activation.base.name)\" is a closure and cannot be saved in a model file; use a builtin, plugin or foreign activation")
        }
        // Written only for a normalized model, so a model without keeps 0.1's bytes.
        let normalizationMembers: [JSONMember] = c.normalization == .none ? [] : [
            JSONMember("normalization", .string(c.normalization.rawValue)),
            JSONMember("normalization_momentum", .string(String(c.normalizationMomentum))),
            JSONMember("normalization_epsilon", .string(String(c.normalizationEpsilon))),
        ]
        var members = [
            JSONMember("inputs", .number(Double(c.inputs))),
            JSONMember("width", .number(Double(c.width))),
            JSONMember("depth", .number(Double(c.depth))),
            JSONMember("outputs", .number(Double(c.outputs))),
            JSONMember("bias", .bool(c.bias)),
            JSONMember("constraint", .string(c.constraint.rawValue)),
            JSONMember("initialization", .string(c.initialization.rawValue)),
            JSONMember("seed", .string(String(c.seed))),
        ] + normalizationMembers
        if c.residual {
            members.append(JSONMember("residual", .bool(true)))
            switch c.residualScale {
            case .fixed(let a): members.append(JSONMember("residual_scale", .string(String(a))))
            case .learnable: members.append(JSONMember("residual_scale", .string(ResidualScale.learnableName)))
            }
        }
        if c.dropout != MLPConfiguration.defaultDropout {
            members.append(JSONMember("dropout", .string(String(c.dropout))))
        }
        let arch: JSONValue = .object(members)
        var file = try SafeTensorsFile(metadata: [
            formatKey: kind,
            versionKey: String(formatVersion),
            architectureKey: arch.serialized(),
            activationKey: ActivationRecord(c.activation).json.serialized(),
        ])
        FeatureScalingRecord.write(c.featureScaler, into: &file.metadata)
        for (l, layer) in model.layers.enumerated() {
            try file.append(name: "layers.\(l).weight", shape: [layer.outputs, layer.inputs], values: try layer.weight.checkedArray(what: "layers.\(l).weight"))
            if let b = layer.bias { try file.append(name: "layers.\(l).bias", shape: [layer.outputs], values: try b.checkedArray(what: "layers.\(l).bias")) }
            if layer.learnsResidualScale, let a = layer.residualScale {
                try file.append(name: "layers.\(l).residual_scale", shape: [1], values: try a.checkedArray(what: "layers.\(l).residual_scale"))
            }
        }
        for l in model.normalizations.indices {
            let p = try model.normalizationParameters(layer: l)
            let w = model.width
            try file.append(name: "layers.\(l).norm.weight", shape: [w], values: p.gamma)
            try file.append(name: "layers.\(l).norm.bias", shape: [w], values: p.beta)
            if let m = p.runningMean, let v = p.runningVariance {
                try file.append(name: "layers.\(l).norm.running_mean", shape: [w], values: m)
                try file.append(name: "layers.\(l).norm.running_var", shape: [w], values: v)
            }
        }
        return file
    }

    /// Refuses `file` unless its checksum verified or the caller opted out, and checks the
    /// `bsnn.*` metadata keys against `known`.
    static func checkEnvelope(
        _ file: SafeTensorsFile, name: String, known: [(key: String, required: Bool)], options: LoadOptions
    ) throws(BSNNError) {
        func fail(_ what: String) -> BSNNError { .format("\(name): \(what)") }
        guard file.hasVerifiedChecksum || options.allowUnverified else {
            throw fail(
                "metadata \"\(SafeTensorsFile.checksumKey)\" missing, so nothing proves the file is intact (it was written by another tool or an older bsnn); load it with the unverified option (Swift LoadOptions.allowUnverified, C BSNN_LOAD_UNVERIFIED, Python unverified=True, CLI --unverified) if you trust it, then save it again to add the checksum")
        }
        for key in file.metadata.keys.sorted() where key.hasPrefix("bsnn.") && !known.contains(where: { $0.key == key }) {
            throw fail("unknown metadata key \"\(key)\" (this bsnn knows \(known.map(\.key).joined(separator: ", ")))")
        }
        for k in known where k.required && file.metadata[k.key] == nil {
            throw fail("metadata \"\(k.key)\" missing")
        }
    }

    package static func model(from file: SafeTensorsFile, name: String, expectedKind: String, options: LoadOptions) throws(BSNNError) -> MLP {
        func fail(_ what: String) -> BSNNError { .format("\(name): \(what)") }
        guard let kind = file.metadata[formatKey] else {
            throw fail("not a bsnn file (metadata \"\(formatKey)\" missing)")
        }
        guard kind == "model" || kind == "checkpoint" else {
            throw fail("metadata \"\(formatKey)\": expected \"model\" or \"checkpoint\", got \"\(kind.prefix(40))\"")
        }
        guard kind == expectedKind || expectedKind == "model" else {
            throw fail("expected a bsnn \(expectedKind), found a \(kind)")
        }
        let known = kind == "checkpoint" ? Checkpoint.checkpointKeys : modelKeys
        try checkEnvelope(file, name: name, known: known, options: options)
        guard let versionText = file.metadata[versionKey], let v = MetadataRecord.decimalUInt64(versionText) else {
            throw fail("metadata \"\(versionKey)\": expected a decimal integer")
        }
        guard v == formatVersion else {
            throw fail("metadata \"\(versionKey)\": format version \(v) is not supported by this bsnn (reads version \(formatVersion))")
        }
        let arch = try MetadataRecord(
            text: file.metadata[architectureKey] ?? "", file: name, key: architectureKey, required: architectureFields,
            optional: optionalArchitectureFields)
        // Ranges are checked again by MLPConfiguration.validate(); these bounds only keep
        // the arithmetic below (depth + 2, products of sizes) from overflowing first.
        let sizeRange = 1...(1 << 30)
        let inputs = try arch.int("inputs", in: sizeRange), width = try arch.int("width", in: sizeRange)
        let depth = try arch.int("depth", in: 0...(1 << 30)), outputs = try arch.int("outputs", in: sizeRange)
        let bias = try arch.bool("bias")
        let constraint = try arch.validated("constraint") { () throws(BSNNError) in try WeightConstraint.named(try arch.string("constraint")) }
        let initialization = try arch.validated("initialization") { () throws(BSNNError) in
            try WeightInitialization.named(arch.has("initialization") ? try arch.string("initialization") : "orthogonal")
        }
        let seed = try arch.uint64("seed")
        let normalization = try arch.validated("normalization") { () throws(BSNNError) in
            try Normalization.named(arch.has("normalization") ? try arch.string("normalization") : "none")
        }
        let momentum = arch.has("normalization_momentum")
            ? try arch.double("normalization_momentum") : MLPConfiguration.defaultNormalizationMomentum
        let epsilon = arch.has("normalization_epsilon")
            ? try arch.double("normalization_epsilon") : MLPConfiguration.defaultNormalizationEpsilon
        let residual = arch.has("residual") ? try arch.bool("residual") : MLPConfiguration.defaultResidual
        var residualScale = MLPConfiguration.defaultResidualScale
        if arch.has("residual_scale") {
            let text = try arch.string("residual_scale")
            if text == ResidualScale.learnableName {
                residualScale = .learnable
            } else {
                guard let a = MetadataRecord.decimalDouble(text) else {
                    throw arch.fail("residual_scale", "expected a finite number written as a decimal string or \"\(ResidualScale.learnableName)\", got \"\(text.prefix(40))\"")
                }
                residualScale = .fixed(a)
            }
        }
        let dropout = arch.has("dropout") ? try arch.double("dropout") : MLPConfiguration.defaultDropout
        let record = try ActivationRecord(text: file.metadata[activationKey] ?? "", file: name, key: activationKey)
        let activation = try record.resolve(allowPlugins: options.allowPlugins, file: name, key: activationKey)
        var config = MLPConfiguration(
            inputs: inputs, width: width, depth: depth, outputs: outputs,
            activation: activation, constraint: constraint, initialization: initialization, bias: bias, seed: seed,
            normalization: normalization, normalizationMomentum: momentum, normalizationEpsilon: epsilon,
            residual: residual, residualScale: residualScale, dropout: dropout)
        try arch.validated("") { () throws(BSNNError) in try config.validate() }
        config.featureScaler = try FeatureScalingRecord.read(file.metadata, inputs: config.inputs, file: name)

        // Sizes come from the file: check them against the tensors before allocating.
        // Every tensor must be one the architecture (or, in a checkpoint, the optimizer)
        // accounts for; anything else is a mislabelled or injected tensor.
        let normalizationNames = normalization == .none ? [] : normalization == .batch
            ? ["weight", "bias", "running_mean", "running_var"] : ["weight", "bias"]
        let learnsAlpha = residual && residualScale.isLearnable
        let expectedCount = (depth + 2) * (bias ? 2 : 1) + (depth + 1) * normalizationNames.count + (learnsAlpha ? depth : 0)
        let layerTensors = file.tensors.filter { $0.name.hasPrefix("layers.") }.count
        let normalizationNote = normalization == .none ? "" : ", norm \(normalization.rawValue)"
        let described = "depth \(depth)\(bias ? " with biases" : " without biases")\(normalizationNote)\(learnsAlpha ? " and learnable residual scales" : "")"
        guard layerTensors == expectedCount else {
            throw fail("\(architectureKey): \(described) needs \(expectedCount) layer tensors, the file has \(layerTensors)")
        }
        var expected = Set<String>()
        for l in 0...(depth + 1) {
            expected.insert("layers.\(l).weight")
            if bias { expected.insert("layers.\(l).bias") }
            if l <= depth { for n in normalizationNames { expected.insert("layers.\(l).norm.\(n)") } }
            if learnsAlpha && config.isResidual(layer: l) { expected.insert("layers.\(l).residual_scale") }
        }
        for t in file.tensors where !expected.contains(t.name) {
            guard kind == "checkpoint", t.name.hasPrefix("optimizer.") else {
                throw fail("unexpected tensor \"\(t.name.prefix(80))\" (\(architectureKey): \(described) has layers.0...\(depth + 1) only)")
            }
        }
        var weights: [[Float]] = [], biases: [[Float]] = [], alphas: [Int: Float] = [:]
        for l in 0...(depth + 1) {
            let rows = l == depth + 1 ? outputs : width
            let cols = l == 0 ? inputs : width
            guard let w = file["layers.\(l).weight"] else { throw fail("tensor layers.\(l).weight missing (\(architectureKey): depth \(depth))") }
            guard w.shape == [rows, cols] else {
                throw fail("tensor layers.\(l).weight: expected shape [\(rows), \(cols)] (from \(architectureKey)), got \(w.shape)")
            }
            weights.append(w.values)
            if bias {
                guard let b = file["layers.\(l).bias"] else { throw fail("tensor layers.\(l).bias missing (\(architectureKey): bias true)") }
                guard b.shape == [rows] else { throw fail("tensor layers.\(l).bias: expected shape [\(rows)] (from \(architectureKey)), got \(b.shape)") }
                biases.append(b.values)
            }
            if learnsAlpha && config.isResidual(layer: l) {
                let n = "layers.\(l).residual_scale"
                guard let a = file[n] else { throw fail("tensor \(n) missing (\(architectureKey): residual_scale learnable)") }
                guard a.shape == [1], let value = a.values.first else { throw fail("tensor \(n): expected shape [1], got \(a.shape)") }
                alphas[l] = value
            }
        }
        var normalizationValues: [[String: [Float]]] = []
        for l in 0...depth where !normalizationNames.isEmpty {
            var values: [String: [Float]] = [:]
            for n in normalizationNames {
                let key = "layers.\(l).norm.\(n)"
                guard let t = file[key] else { throw fail("tensor \(key) missing (\(architectureKey): normalization \(normalization.rawValue))") }
                guard t.shape == [width] else { throw fail("tensor \(key): expected shape [\(width)] (from \(architectureKey)), got \(t.shape)") }
                values[n] = t.values
            }
            normalizationValues.append(values)
        }
        // Every size is now backed by bytes in the file, so allocating is safe.
        let model = try MLP(config, initializeWeights: false)
        for l in 0..<model.layerCount {
            do {
                try model.setWeights(layer: l, weights[l])
                if bias { try model.setBias(layer: l, biases[l]) }
                if let a = alphas[l] { try model.setResidualScale(layer: l, a) }
            } catch let e as BSNNError {
                if case .outOfMemory = e { throw e }
                throw fail("tensor layers.\(l): \(e.message)")
            }
        }
        for (l, values) in normalizationValues.enumerated() {
            do {
                try model.setNormalizationParameters(
                    layer: l, gamma: values["weight"] ?? [], beta: values["bias"] ?? [],
                    runningMean: values["running_mean"], runningVariance: values["running_var"])
            } catch let e as BSNNError {
                if case .outOfMemory = e { throw e }
                throw fail("tensor layers.\(l).norm: \(e.message)")
            }
        }
        return model
    }
}
