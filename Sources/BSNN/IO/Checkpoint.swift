/// Training checkpoints: a model file (see `ModelFile`) plus the trainer's
/// `TrainingState` — the optimizer slots as tensors `optimizer.layers.{l}.weight.{k}` /
/// `optimizer.layers.{l}.bias.{k}` (and `optimizer.layers.{l}.norm.{k}`, [2, width]: the
/// slots of γ then β, for a normalized layer; `optimizer.layers.{l}.residual_scale.{k}` for
/// learnable residual scales), the position (epoch, step within the epoch, global
/// step), the shuffling generator's state and, for a model with dropout, the dropout
/// generator's (`dropout_rng_state`, optional: a file without it has no dropout) — and its configuration, in metadata
/// `bsnn.training`. Written atomically (temp
/// file in the same directory, fsync, rename); resuming continues bit-identically.
public enum Checkpoint {
    static let trainingKey = "bsnn.training"
    /// A checkpoint's `bsnn.*` metadata keys: a model file's plus the training record and
    /// the optional run identity (RunIdentityRecord.swift).
    static let checkpointKeys = ModelFile.modelKeys + [(trainingKey, true), (RunIdentityRecord.key, false)]
    static let trainingFields = [
        "epoch", "step_in_epoch", "global_step", "rng_state", "epochs", "batch_size", "loss", "seed", "shuffle",
        "update_mode", "optimizer",
    ]
    /// Written only when set, so a checkpoint without them (0.1, or the options off) is
    /// byte-identical to before and loads with them off.
    static let optionalTrainingFields = ["clip_grad_norm", "early_stopping", "dropout_rng_state"]
    static let earlyStoppingFields = ["patience", "monitor", "min_delta"]
    static let optimizerFields = ["kind", "learning_rate", "momentum", "beta1", "beta2", "epsilon", "weight_decay", "schedule"]

    public static func save(_ trainer: Trainer, to path: String) throws(BSNNError) {
        try AtomicFile.write(try encode(trainer), to: path)
    }

    /// The exact bytes `save` writes, for copies made in memory (pickling in the bindings).
    public static func encode(_ trainer: Trainer) throws(BSNNError) -> [UInt8] {
        try serialize(trainer).serialized()
    }

    /// `load` from bytes: the same checksum, validation and `options`; `name` stands for
    /// the path in error messages.
    public static func decode(
        _ bytes: [UInt8], name: String = "checkpoint buffer", options: ModelFile.LoadOptions = ModelFile.LoadOptions()
    ) throws(BSNNError) -> Trainer {
        try trainer(from: try SafeTensorsFile(bytes: bytes, name: name), name: name, options: options)
    }

    static func serialize(_ trainer: Trainer) throws(BSNNError) -> SafeTensorsFile {
        var file = try ModelFile.serialize(trainer.model, kind: "checkpoint")
        let c = trainer.configuration
        let o = c.optimizer
        var schedule: [JSONMember] = []
        switch o.schedule {
        case .constant: schedule = [JSONMember("kind", .string("constant"))]
        case .step(let every, let factor):
            schedule = [JSONMember("kind", .string("step")), JSONMember("every", .number(Double(every))), JSONMember("factor", .string(String(factor)))]
        case .cosine(let total, let minimum):
            schedule = [JSONMember("kind", .string("cosine")), JSONMember("total_steps", .number(Double(total))), JSONMember("minimum_factor", .string(String(minimum)))]
        }
        let state = trainer.state
        let s = state.epochStartRNG.state
        var optional: [JSONMember] = []
        if let clip = c.clipGradientNorm { optional.append(JSONMember("clip_grad_norm", .string(String(clip)))) }
        if let e = c.earlyStopping {
            optional.append(JSONMember("early_stopping", .object([
                JSONMember("patience", .number(Double(e.patience))),
                JSONMember("monitor", .string(e.monitor.rawValue)),
                JSONMember("min_delta", .string(String(e.minDelta))),
            ])))
        }
        var members: [JSONMember] = [
            JSONMember("epoch", .number(Double(state.epoch))),
            JSONMember("step_in_epoch", .number(Double(state.stepInEpoch))),
            JSONMember("global_step", .number(Double(state.globalStep))),
            JSONMember("rng_state", .array([s.0, s.1, s.2, s.3].map { .string(String($0)) })),
            JSONMember("epochs", .number(Double(c.epochs))),
            JSONMember("batch_size", .number(Double(c.batchSize))),
            JSONMember("loss", .string(c.loss.rawValue)),
            JSONMember("seed", .string(String(c.seed))),
            JSONMember("shuffle", .bool(c.shuffle)),
            JSONMember("update_mode", .string(c.updateMode.rawValue)),
            JSONMember("optimizer", .object([
                JSONMember("kind", .string(o.kind.rawValue)),
                JSONMember("learning_rate", .string(String(o.learningRate))),
                JSONMember("momentum", .string(String(o.momentum))),
                JSONMember("beta1", .string(String(o.beta1))),
                JSONMember("beta2", .string(String(o.beta2))),
                JSONMember("epsilon", .string(String(o.epsilon))),
                JSONMember("weight_decay", .string(String(o.weightDecay))),
                JSONMember("schedule", .object(schedule)),
            ])),
        ] + optional
        if trainer.model.configuration.dropout > 0 {
            let d = state.dropoutRNG.state
            members.append(JSONMember("dropout_rng_state", .array([d.0, d.1, d.2, d.3].map { .string(String($0)) })))
        }
        file.metadata[trainingKey] = JSONValue.object(members).serialized()
        for (l, (layer, slots)) in zip(trainer.model.layers, state.optimizer.layers).enumerated() {
            for (k, st) in slots.weight.enumerated() {
                try file.append(name: "optimizer.layers.\(l).weight.\(k)", shape: [layer.outputs, layer.inputs], values: try st.checkedArray(what: "optimizer state of layer \(l)"))
            }
            for (k, st) in slots.bias.enumerated() {
                try file.append(name: "optimizer.layers.\(l).bias.\(k)", shape: [layer.outputs], values: try st.checkedArray(what: "optimizer state of layer \(l)"))
            }
            for (k, st) in slots.normalization.enumerated() {
                try file.append(name: "optimizer.layers.\(l).norm.\(k)", shape: [2, layer.outputs], values: try st.checkedArray(what: "optimizer state of layer \(l)"))
            }
            for (k, st) in slots.residualScale.enumerated() {
                try file.append(name: "optimizer.layers.\(l).residual_scale.\(k)", shape: [1], values: try st.checkedArray(what: "optimizer state of layer \(l)"))
            }
        }
        return file
    }

    /// Restores model, optimizer state and trainer position. `epochs` may be raised to
    /// train further than the original run planned.
    public static func load(_ path: String, options: ModelFile.LoadOptions = ModelFile.LoadOptions()) throws(BSNNError) -> Trainer {
        try trainer(from: SafeTensorsFile.read(path: path), name: path, options: options)
    }

    /// The parsing half of `load`, separate so that the fuzzer can feed it bytes.
    package static func trainer(from file: SafeTensorsFile, name path: String, options: ModelFile.LoadOptions) throws(BSNNError) -> Trainer {
        let model = try ModelFile.model(from: file, name: path, expectedKind: "checkpoint", options: options)
        func fail(_ what: String) -> BSNNError { .format("\(path): \(trainingKey): \(what)") }
        let t = try MetadataRecord(
            text: file.metadata[trainingKey] ?? "", file: path, key: trainingKey, required: trainingFields,
            optional: optionalTrainingFields)
        let o = try t.record("optimizer", required: optimizerFields)
        let s = try o.record("schedule", required: ["kind"], optional: ["every", "factor", "total_steps", "minimum_factor"])
        let counter = 0...Int(Int32.max) * 1024
        let schedule: LearningRateSchedule
        switch try s.string("kind") {
        case "constant":
            _ = try o.record("schedule", required: ["kind"])
            schedule = .constant
        case "step":
            let r = try o.record("schedule", required: ["kind", "every", "factor"])
            schedule = .step(every: try r.int("every", in: counter), factor: try r.double("factor"))
        case "cosine":
            let r = try o.record("schedule", required: ["kind", "total_steps", "minimum_factor"])
            schedule = .cosine(totalSteps: try r.int("total_steps", in: counter), minimumFactor: try r.double("minimum_factor"))
        case let other:
            throw s.fail("kind", "expected constant, step or cosine, got \"\(other.prefix(40))\"")
        }
        let optimizer = OptimizerConfiguration(
            kind: try o.validated("kind") { () throws(BSNNError) in try OptimizerKind.named(try o.string("kind")) },
            learningRate: try o.double("learning_rate"), momentum: try o.double("momentum"),
            beta1: try o.double("beta1"), beta2: try o.double("beta2"), epsilon: try o.double("epsilon"),
            weightDecay: try o.double("weight_decay"), schedule: schedule)
        try o.validated("") { () throws(BSNNError) in try optimizer.validate() }
        var earlyStopping: EarlyStopping?
        if t.has("early_stopping") {
            let e = try t.record("early_stopping", required: earlyStoppingFields)
            earlyStopping = EarlyStopping(
                patience: try e.int("patience", in: counter),
                monitor: try e.validated("monitor") { () throws(BSNNError) in try EarlyStopping.Monitor.named(try e.string("monitor")) },
                minDelta: try e.double("min_delta"))
        }
        let config = TrainingConfiguration(
            epochs: try t.int("epochs", in: counter), batchSize: try t.int("batch_size", in: counter),
            loss: try t.validated("loss") { () throws(BSNNError) in try LossFunction.named(try t.string("loss")) }, optimizer: optimizer,
            seed: try t.uint64("seed"), shuffle: try t.bool("shuffle"),
            updateMode: try t.validated("update_mode") { () throws(BSNNError) in try UpdateMode.named(try t.string("update_mode")) },
            clipGradientNorm: t.has("clip_grad_norm") ? try t.double("clip_grad_norm") : nil, earlyStopping: earlyStopping)
        try t.validated("") { () throws(BSNNError) in try config.validate() }
        func generator(_ key: String) throws(BSNNError) -> RandomGenerator {
            guard let words = try t.raw(key).arrayValue, words.count == 4 else {
                throw t.fail(key, "expected an array of 4 unsigned integers written as strings")
            }
            var state = [UInt64]()
            for w in words {
                guard let u = w.stringValue.flatMap(MetadataRecord.decimalUInt64) else {
                    throw t.fail(key, "expected an array of 4 unsigned integers written as strings, got \(w.serialized().prefix(40))")
                }
                state.append(u)
            }
            return try t.validated(key) { () throws(BSNNError) in try RandomGenerator(state: (state[0], state[1], state[2], state[3])) }
        }
        let rng = try generator("rng_state")
        let dropoutRNG = t.has("dropout_rng_state") ? try generator("dropout_rng_state") : nil
        let epoch = try t.int("epoch", in: counter), stepInEpoch = try t.int("step_in_epoch", in: counter)
        let globalStep = try t.int("global_step", in: counter)

        // The optimizer tensors: for every layer either all slots or (before the first
        // step, or for a stateless optimizer) none, and nothing else.
        let slots = optimizer.kind.stateSlots
        var expected = Set<String>()
        for (l, layer) in model.layers.enumerated() {
            for k in 0..<slots {
                expected.insert("optimizer.layers.\(l).weight.\(k)")
                if layer.bias != nil { expected.insert("optimizer.layers.\(l).bias.\(k)") }
                if model.normalization(l) != nil { expected.insert("optimizer.layers.\(l).norm.\(k)") }
                if layer.learnsResidualScale { expected.insert("optimizer.layers.\(l).residual_scale.\(k)") }
            }
        }
        for tensor in file.tensors where tensor.name.hasPrefix("optimizer.") && !expected.contains(tensor.name) {
            throw fail("unexpected tensor \"\(tensor.name.prefix(80))\" (a \(optimizer.kind.rawValue) optimizer keeps \(slots) state tensor(s) per parameter)")
        }
        var restored = [OptimizerState.Layer?]()
        for (l, layer) in model.layers.enumerated() {
            let hasState = file["optimizer.layers.\(l).weight.0"] != nil
            guard hasState || globalStep == 0 || slots == 0 else {
                throw fail("optimizer state for layer \(l) missing (tensor optimizer.layers.\(l).weight.0)")
            }
            guard hasState else {
                restored.append(nil)
                continue
            }
            restored.append(OptimizerState.Layer(
                weight: try (0..<slots).map { (k) throws(BSNNError) in
                    let n = "optimizer.layers.\(l).weight.\(k)"
                    guard let st = file[n] else { throw fail("tensor \(n) missing") }
                    guard st.shape == [layer.outputs, layer.inputs] else {
                        throw fail("tensor \(n): expected shape [\(layer.outputs), \(layer.inputs)], got \(st.shape)")
                    }
                    return try FloatBuffer(st.values)
                },
                bias: try (0..<(layer.bias != nil ? slots : 0)).map { (k) throws(BSNNError) in
                    let n = "optimizer.layers.\(l).bias.\(k)"
                    guard let st = file[n] else { throw fail("tensor \(n) missing") }
                    guard st.shape == [layer.outputs] else { throw fail("tensor \(n): expected shape [\(layer.outputs)], got \(st.shape)") }
                    return try FloatBuffer(st.values)
                },
                normalization: try (0..<(model.normalization(l) != nil ? slots : 0)).map { (k) throws(BSNNError) in
                    let n = "optimizer.layers.\(l).norm.\(k)"
                    guard let st = file[n] else { throw fail("tensor \(n) missing") }
                    guard st.shape == [2, layer.outputs] else {
                        throw fail("tensor \(n): expected shape [2, \(layer.outputs)], got \(st.shape)")
                    }
                    return try FloatBuffer(st.values)
                },
                residualScale: try (0..<(layer.learnsResidualScale ? slots : 0)).map { (k) throws(BSNNError) in
                    let n = "optimizer.layers.\(l).residual_scale.\(k)"
                    guard let st = file[n] else { throw fail("tensor \(n) missing") }
                    guard st.shape == [1] else { throw fail("tensor \(n): expected shape [1], got \(st.shape)") }
                    return try FloatBuffer(st.values)
                }))
        }
        // Before the first step a fused step that diverged part-way may have left slots
        // on the upper layers only; the others start from zero, as they would have.
        let anyState = restored.contains { $0 != nil }
        let slotsPerLayer = try zip(model.layers.indices, restored).map { (l, r) throws(BSNNError) in
            if let r { r } else { try OptimizerState.Layer(zeroFor: model.layers[l], normalization: model.normalization(l), slots: slots) }
        }
        // Everything is validated; only now is the trainer built and its state committed.
        let trainer = try t.validated("") { () throws(BSNNError) in try Trainer(model: model, configuration: config) }
        let position = trainer.state
        position.epochStartRNG = rng
        position.epoch = epoch
        position.stepInEpoch = stepInEpoch
        position.globalStep = globalStep
        if let d = dropoutRNG { position.dropoutRNG = d }
        if anyState { position.optimizer.restore(slotsPerLayer, slots: slots) }
        return trainer
    }
}
