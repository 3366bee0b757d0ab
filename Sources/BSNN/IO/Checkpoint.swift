/// Training checkpoints: a model file (see `ModelFile`) plus the optimizer state tensors
/// `optimizer.layers.{l}.weight.{k}` / `optimizer.layers.{l}.bias.{k}` and the trainer's
/// position (epoch, step within the epoch, global step), its configuration and the
/// shuffling generator's state in metadata `bsnn.training`. Written atomically (temp
/// file in the same directory, fsync, rename); resuming continues bit-identically.
public enum Checkpoint {
    static let trainingKey = "bsnn.training"

    public static func save(_ trainer: Trainer, to path: String) throws {
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
        let s = trainer.epochStartRNG.state
        let training: JSONValue = .object([
            JSONMember("epoch", .number(Double(trainer.epoch))),
            JSONMember("step_in_epoch", .number(Double(trainer.stepInEpoch))),
            JSONMember("global_step", .number(Double(trainer.globalStep))),
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
        ])
        file.metadata[trainingKey] = training.serialized()
        for (l, layer) in trainer.model.layers.enumerated() {
            for (k, st) in layer.weightState.enumerated() {
                try file.append(name: "optimizer.layers.\(l).weight.\(k)", shape: [layer.outputs, layer.inputs], values: try st.checkedArray(what: "optimizer state of layer \(l)"))
            }
            for (k, st) in layer.biasState.enumerated() {
                try file.append(name: "optimizer.layers.\(l).bias.\(k)", shape: [layer.outputs], values: try st.checkedArray(what: "optimizer state of layer \(l)"))
            }
        }
        try AtomicFile.write(file.serialized(), to: path)
    }

    /// Restores model, optimizer state and trainer position. `epochs` may be raised to
    /// train further than the original run planned.
    public static func load(_ path: String, options: ModelFile.LoadOptions = ModelFile.LoadOptions()) throws -> Trainer {
        try trainer(from: SafeTensorsFile.read(path: path), name: path, options: options)
    }

    /// The parsing half of `load`, separate so that the fuzzer can feed it bytes.
    static func trainer(from file: SafeTensorsFile, name path: String, options: ModelFile.LoadOptions) throws -> Trainer {
        let model = try ModelFile.model(from: file, name: path, expectedKind: "checkpoint", options: options)
        func fail(_ what: String) -> BSNNError { .format("\(path): training state: \(what)") }
        guard let text = file.metadata[trainingKey] else { throw fail("metadata \"\(trainingKey)\" missing") }
        let t = try JSONParser.parse(text, name: "\(path): training state")
        func int(_ k: String) throws -> Int {
            guard let v = t[k]?.intValue, v >= 0 else { throw fail("\"\(k)\" missing or not a non-negative integer") }
            return v
        }
        func dbl(_ j: JSONValue?, _ k: String) throws -> Double {
            guard let v = j?[k]?.stringValue.flatMap(Double.init) else { throw fail("\"\(k)\" missing or not a number string") }
            return v
        }
        guard let o = t["optimizer"], let kindName = o["kind"]?.stringValue else { throw fail("optimizer missing") }
        let schedule: LearningRateSchedule
        switch o["schedule"]?["kind"]?.stringValue {
        case "constant"?: schedule = .constant
        case "step"?:
            guard let every = o["schedule"]?["every"]?.intValue else { throw fail("step schedule needs \"every\"") }
            schedule = .step(every: every, factor: try dbl(o["schedule"], "factor"))
        case "cosine"?:
            guard let total = o["schedule"]?["total_steps"]?.intValue else { throw fail("cosine schedule needs \"total_steps\"") }
            schedule = .cosine(totalSteps: total, minimumFactor: try dbl(o["schedule"], "minimum_factor"))
        default: throw fail("unknown learning-rate schedule")
        }
        let optimizer = OptimizerConfiguration(
            kind: try OptimizerKind.named(kindName), learningRate: try dbl(o, "learning_rate"),
            momentum: try dbl(o, "momentum"), beta1: try dbl(o, "beta1"), beta2: try dbl(o, "beta2"),
            epsilon: try dbl(o, "epsilon"), weightDecay: try dbl(o, "weight_decay"), schedule: schedule)
        guard let seed = t["seed"]?.stringValue.flatMap(UInt64.init) else { throw fail("\"seed\" missing") }
        guard case .bool(let shuffle)? = t["shuffle"] else { throw fail("\"shuffle\" missing") }
        guard let mode = t["update_mode"]?.stringValue.flatMap(UpdateMode.init(rawValue:)) else { throw fail("\"update_mode\" missing or unknown") }
        let config = TrainingConfiguration(
            epochs: try int("epochs"), batchSize: try int("batch_size"),
            loss: try LossFunction.named(t["loss"]?.stringValue ?? ""), optimizer: optimizer, seed: seed,
            shuffle: shuffle, updateMode: mode)
        let trainer = try Trainer(model: model, configuration: config)
        guard let words = t["rng_state"]?.arrayValue?.compactMap({ $0.stringValue.flatMap(UInt64.init) }), words.count == 4 else {
            throw fail("\"rng_state\" must be 4 unsigned integers written as strings")
        }
        trainer.epochStartRNG = try RandomGenerator(state: (words[0], words[1], words[2], words[3]))
        trainer.epoch = try int("epoch")
        trainer.stepInEpoch = try int("step_in_epoch")
        trainer.globalStep = try int("global_step")
        let slots = optimizer.kind.stateSlots
        for (l, layer) in model.layers.enumerated() {
            let hasState = file["optimizer.layers.\(l).weight.0"] != nil
            guard hasState || trainer.globalStep == 0 || slots == 0 else {
                throw fail("optimizer state for layer \(l) missing")
            }
            guard hasState else { continue }
            layer.weightState = try (0..<slots).map { k in
                guard let st = file["optimizer.layers.\(l).weight.\(k)"], st.shape == [layer.outputs, layer.inputs] else {
                    throw fail("tensor optimizer.layers.\(l).weight.\(k) missing or mis-shaped")
                }
                return try FloatBuffer(st.values)
            }
            if layer.bias != nil {
                layer.biasState = try (0..<slots).map { k in
                    guard let st = file["optimizer.layers.\(l).bias.\(k)"], st.shape == [layer.outputs] else {
                        throw fail("tensor optimizer.layers.\(l).bias.\(k) missing or mis-shaped")
                    }
                    return try FloatBuffer(st.values)
                }
            }
        }
        return trainer
    }
}
