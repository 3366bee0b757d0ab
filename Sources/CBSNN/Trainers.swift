// Trainers: configuration translation, single steps, epochs with a C progress callback.
import BSNN
import CBSNNSupport

func trainingDefaults() -> bsnn_training_config {
    let t = TrainingConfiguration(), o = t.optimizer
    var c = bsnn_training_config()
    c.size = MemoryLayout<bsnn_training_config>.size
    c.batch_size = t.batchSize
    c.loss = BSNN_LOSS_CROSS_ENTROPY.code
    c.optimizer = optimizerCode(o.kind)
    c.learning_rate = o.learningRate
    c.momentum = o.momentum
    c.beta1 = o.beta1
    c.beta2 = o.beta2
    c.epsilon = o.epsilon
    c.weight_decay = o.weightDecay
    c.schedule = BSNN_SCHEDULE_CONSTANT.code
    c.schedule_steps = 0
    c.schedule_factor = 1
    c.seed = t.seed
    c.shuffle = t.shuffle ? 1 : 0
    c.update_mode = BSNN_UPDATE_CHECKED.code
    c.clip_grad_norm = t.clipGradientNorm ?? 0
    c.early_stopping_patience = t.earlyStopping?.patience ?? 0
    c.early_stopping_monitor = monitorCode(t.earlyStopping?.monitor ?? EarlyStopping.defaultMonitor)
    c.early_stopping_min_delta = t.earlyStopping?.minDelta ?? EarlyStopping.defaultMinDelta
    c.monitor_every = t.monitorEvery
    return c
}

func optimizerCode(_ kind: OptimizerKind) -> Int32 {
    switch kind {
    case .sgd: return BSNN_OPTIMIZER_SGD.code
    case .momentum: return BSNN_OPTIMIZER_MOMENTUM.code
    case .nesterov: return BSNN_OPTIMIZER_NESTEROV.code
    case .adam: return BSNN_OPTIMIZER_ADAM.code
    case .rmsprop: return BSNN_OPTIMIZER_RMSPROP.code
    case .adagrad: return BSNN_OPTIMIZER_ADAGRAD.code
    }
}

func monitorCode(_ m: EarlyStopping.Monitor) -> Int32 {
    switch m {
    case .validationLoss: return BSNN_MONITOR_VALIDATION_LOSS.code
    case .validationAccuracy: return BSNN_MONITOR_VALIDATION_ACCURACY.code
    }
}

/// The engine configuration for a C struct; `epochs` is set by fit, not by the struct.
/// sizeof(bsnn_training_config) in 0.1, the smallest size accepted.
let trainingConfigSize01 = structSize(through: \bsnn_training_config.update_mode)

func trainingConfiguration(_ p: UnsafePointer<bsnn_training_config>?, epochs: Int) throws -> TrainingConfiguration {
    let c = try readConfig(
        p, defaults: trainingDefaults(), minimum: trainingConfigSize01, structName: "bsnn_training_config", argument: "config")
    let kind: OptimizerKind
    switch c.optimizer {
    case BSNN_OPTIMIZER_SGD.code: kind = .sgd
    case BSNN_OPTIMIZER_MOMENTUM.code: kind = .momentum
    case BSNN_OPTIMIZER_NESTEROV.code: kind = .nesterov
    case BSNN_OPTIMIZER_ADAM.code: kind = .adam
    case BSNN_OPTIMIZER_RMSPROP.code: kind = .rmsprop
    case BSNN_OPTIMIZER_ADAGRAD.code: kind = .adagrad
    default: throw invalid("config->optimizer: expected a bsnn_optimizer (0...5), got \(c.optimizer)")
    }
    let schedule: LearningRateSchedule
    let steps = try size(c.schedule_steps, "config->schedule_steps")
    switch c.schedule {
    case BSNN_SCHEDULE_CONSTANT.code: schedule = .constant
    case BSNN_SCHEDULE_STEP.code: schedule = .step(every: steps, factor: c.schedule_factor)
    case BSNN_SCHEDULE_COSINE.code: schedule = .cosine(totalSteps: steps, minimumFactor: c.schedule_factor)
    default: throw invalid("config->schedule: expected a bsnn_schedule (0...2), got \(c.schedule)")
    }
    let mode: UpdateMode
    switch c.update_mode {
    case BSNN_UPDATE_CHECKED.code: mode = .checked
    case BSNN_UPDATE_FUSED.code: mode = .fused
    default: throw invalid("config->update_mode: expected BSNN_UPDATE_CHECKED (0) or FUSED (1), got \(c.update_mode)")
    }
    let monitor: EarlyStopping.Monitor
    switch c.early_stopping_monitor {
    case BSNN_MONITOR_VALIDATION_LOSS.code: monitor = .validationLoss
    case BSNN_MONITOR_VALIDATION_ACCURACY.code: monitor = .validationAccuracy
    default:
        throw invalid(
            "config->early_stopping_monitor: expected BSNN_MONITOR_VALIDATION_LOSS (0) or VALIDATION_ACCURACY (1), got \(c.early_stopping_monitor)")
    }
    let patience = try size(c.early_stopping_patience, "config->early_stopping_patience")
    let optimizer = OptimizerConfiguration(
        kind: kind, learningRate: c.learning_rate, momentum: c.momentum, beta1: c.beta1, beta2: c.beta2,
        epsilon: c.epsilon, weightDecay: c.weight_decay, schedule: schedule)
    return TrainingConfiguration(
        epochs: epochs, batchSize: try size(c.batch_size, "config->batch_size"), loss: try lossFunction(c.loss, "config->loss"),
        optimizer: optimizer, seed: c.seed, shuffle: c.shuffle != 0, updateMode: mode,
        clipGradientNorm: c.clip_grad_norm == 0 ? nil : c.clip_grad_norm,
        earlyStopping: patience == 0
            ? nil : EarlyStopping(patience: patience, monitor: monitor, minDelta: c.early_stopping_min_delta),
        monitorEvery: try size(c.monitor_every, "config->monitor_every"))
}

@_cdecl("bsnn_training_config_init_defaults")
public func bsnn_training_config_init_defaults(_ config: UnsafeMutablePointer<bsnn_training_config>?, _ size: Int) -> Int32 {
    guarded("bsnn_training_config_init_defaults") {
        try initConfig(
            config, size, defaults: trainingDefaults(), minimum: trainingConfigSize01, structName: "bsnn_training_config")
    }
}

@_cdecl("bsnn_trainer_create")
public func bsnn_trainer_create(
    _ model: OpaquePointer?, _ config: UnsafePointer<bsnn_training_config>?, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    guarded("bsnn_trainer_create") {
        let o = try outPointer(out)
        let m = try Handles.lookup(model, ModelBox.self, "model").model
        publish(TrainerBox(try Trainer(model: m, configuration: try trainingConfiguration(config, epochs: 0))), o)
    }
}

@_cdecl("bsnn_trainer_free")
public func bsnn_trainer_free(_ trainer: OpaquePointer?) { Handles.release(trainer, TrainerBox.self) }

@_cdecl("bsnn_trainer_set_config")
public func bsnn_trainer_set_config(_ trainer: OpaquePointer?, _ config: UnsafePointer<bsnn_training_config>?) -> Int32 {
    guarded("bsnn_trainer_set_config") {
        let t = try Handles.lookup(trainer, TrainerBox.self, "trainer").trainer
        guard config != nil else { throw invalid("config: expected a bsnn_training_config, got NULL") }
        try t.updateConfiguration(try trainingConfiguration(config, epochs: t.configuration.epochs))
    }
}

@_cdecl("bsnn_trainer_model")
public func bsnn_trainer_model(_ trainer: OpaquePointer?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    guarded("bsnn_trainer_model") {
        let o = try outPointer(out)
        publish(ModelBox(try Handles.lookup(trainer, TrainerBox.self, "trainer").trainer.model), o)
    }
}

@_cdecl("bsnn_trainer_state_get")
public func bsnn_trainer_state_get(_ trainer: OpaquePointer?, _ out: UnsafeMutablePointer<bsnn_trainer_state>?) -> Int32 {
    guarded("bsnn_trainer_state_get") {
        let o = try outPointer(out)
        let t = try Handles.lookup(trainer, TrainerBox.self, "trainer").trainer
        o.pointee = bsnn_trainer_state(epoch: t.epoch, step_in_epoch: t.stepInEpoch, global_step: t.globalStep)
    }
}

@_cdecl("bsnn_trainer_last_gradient_norm")
public func bsnn_trainer_last_gradient_norm(
    _ trainer: OpaquePointer?, _ outNorm: UnsafeMutablePointer<Double>?, _ outClipped: UnsafeMutablePointer<Int32>?
) -> Int32 {
    guarded("bsnn_trainer_last_gradient_norm") {
        let t = try Handles.lookup(trainer, TrainerBox.self, "trainer").trainer
        outNorm?.pointee = t.lastGradientNorm ?? .nan
        outClipped?.pointee = t.lastStepClipped ? 1 : 0
    }
}

@_cdecl("bsnn_trainer_early_stopping_result")
public func bsnn_trainer_early_stopping_result(
    _ trainer: OpaquePointer?, _ outBestEpoch: UnsafeMutablePointer<Int>?, _ outBestValue: UnsafeMutablePointer<Double>?,
    _ outStopped: UnsafeMutablePointer<Int32>?
) -> Int32 {
    guarded("bsnn_trainer_early_stopping_result") {
        let t = try Handles.lookup(trainer, TrainerBox.self, "trainer").trainer
        guard let o = t.earlyStoppingOutcome else {
            throw BSNNError.wrongState(
                "early stopping result: the trainer's last fit ran without early stopping or did not complete (or no fit ran)")
        }
        outBestEpoch?.pointee = o.bestEpoch
        outBestValue?.pointee = o.bestValue
        outStopped?.pointee = o.stoppedEarly ? 1 : 0
    }
}

@_cdecl("bsnn_trainer_step")
public func bsnn_trainer_step(
    _ trainer: OpaquePointer?, _ features: UnsafePointer<Float>?, _ featuresCount: Int, _ labels: UnsafePointer<Int32>?,
    _ count: Int, _ out: UnsafeMutablePointer<bsnn_step_result>?
) -> Int32 {
    guarded("bsnn_trainer_step") {
        let t = try Handles.lookup(trainer, TrainerBox.self, "trainer").trainer
        let r = try t.step { () throws(BSNNError) in
            try Batch(
                features: try buffer(features, try size(featuresCount, "features_count"), "features"),
                labels: try buffer(labels, try size(count, "count"), "labels"), for: t.model.configuration,
                featuresName: "features_count")
        }
        out?.pointee = bsnn_step_result(loss: r.loss, correct: r.correct, count: r.count)
    }
}

/// Calls a C progress callback from the engine's progress closure.
func progressClosure(_ fn: bsnn_progress_fn?, _ userData: UnsafeMutableRawPointer?) -> ((TrainingProgress) -> Bool)? {
    guard let fn else { return nil }
    return { p in
        var info = bsnn_progress()
        info.size = MemoryLayout<bsnn_progress>.size
        info.phase = p.phase == .step ? BSNN_PHASE_STEP.code : BSNN_PHASE_EPOCH_END.code
        info.epoch = p.epoch
        info.epochs = p.epochs
        info.step_in_epoch = p.stepInEpoch
        info.steps_per_epoch = p.stepsPerEpoch
        info.global_step = p.globalStep
        info.loss = p.loss
        info.accuracy = p.accuracy
        info.samples_per_second = p.samplesPerSecond
        info.has_validation = p.validation == nil ? 0 : 1
        info.validation_loss = p.validation?.loss ?? .nan
        info.validation_accuracy = p.validation?.accuracy ?? .nan
        info.gradient_norm = p.gradientNorm ?? .nan
        info.gradient_clipped = p.gradientClipped ? 1 : 0
        return withUnsafePointer(to: &info) { fn($0, userData) } == 0
    }
}

func fit(_ t: Trainer, _ data: Dataset, _ validation: Dataset?, _ epochs: Int, _ fn: bsnn_progress_fn?, _ userData: UnsafeMutableRawPointer?) throws {
    try t.fit(data, epochs: try epochCount(epochs), validation: validation, progress: progressClosure(fn, userData))
}

func fit(_ t: Trainer, _ data: BorrowedSamples, _ validation: BorrowedSamples?, _ epochs: Int, _ fn: bsnn_progress_fn?, _ userData: UnsafeMutableRawPointer?) throws {
    try t.fit(data, epochs: try epochCount(epochs), validation: validation, progress: progressClosure(fn, userData))
}

private func epochCount(_ epochs: Int) throws -> Int {
    let n = try size(epochs, "epochs")
    guard n > 0 else { throw invalid("epochs: expected > 0, got 0") }
    return n
}

@_cdecl("bsnn_trainer_fit")
public func bsnn_trainer_fit(
    _ trainer: OpaquePointer?, _ data: OpaquePointer?, _ validation: OpaquePointer?, _ epochs: Int,
    _ progress: bsnn_progress_fn?, _ userData: UnsafeMutableRawPointer?
) -> Int32 {
    guarded("bsnn_trainer_fit") {
        let t = try Handles.lookup(trainer, TrainerBox.self, "trainer").trainer
        let d = try Handles.lookup(data, DatasetBox.self, "data").data
        let v = try validation.map { try Handles.lookup($0, DatasetBox.self, "validation").data }
        try fit(t, d, v, epochs, progress, userData)
    }
}

@_cdecl("bsnn_trainer_fit_arrays")
public func bsnn_trainer_fit_arrays(
    _ trainer: OpaquePointer?, _ features: UnsafePointer<Float>?, _ featuresCount: Int, _ labels: UnsafePointer<Int32>?,
    _ count: Int, _ validationFeatures: UnsafePointer<Float>?, _ validationFeaturesCount: Int,
    _ validationLabels: UnsafePointer<Int32>?, _ validationCount: Int, _ epochs: Int, _ progress: bsnn_progress_fn?,
    _ userData: UnsafeMutableRawPointer?
) -> Int32 {
    guarded("bsnn_trainer_fit_arrays") {
        let t = try Handles.lookup(trainer, TrainerBox.self, "trainer").trainer
        let c = t.model.configuration
        func samples(_ f: UnsafePointer<Float>?, _ fc: Int, _ l: UnsafePointer<Int32>?, _ n: Int, _ prefix: String) throws -> BorrowedSamples {
            try BorrowedSamples(
                features: try buffer(f, try size(fc, "\(prefix)features_count"), "\(prefix)features"),
                labels: try buffer(l, try size(n, "\(prefix)count"), "\(prefix)labels"), featureCount: c.inputs,
                classCount: c.outputs, argumentPrefix: prefix)
        }
        let data = try samples(features, featuresCount, labels, count, "")
        let noValidation = validationFeatures == nil && validationLabels == nil
        let validation = noValidation
            ? nil : try samples(validationFeatures, validationFeaturesCount, validationLabels, validationCount, "validation_")
        try fit(t, data, validation, epochs, progress, userData)
    }
}

/// The caller's `count` samples (`features_count` = count × inputs floats, `count` labels),
/// validated against the model before any memory is read.
private func labeledBatch(
    _ model: MLP, _ features: UnsafePointer<Float>?, _ featuresCount: Int, _ labels: UnsafePointer<Int32>?, _ count: Int
) throws -> (UnsafeBufferPointer<Float>, UnsafeBufferPointer<Int32>, Int) {
    let inputs = model.configuration.inputs
    let n = try size(count, "count")
    guard n > 0 else { throw invalid("count: expected > 0 samples, got 0") }
    let inCount = try product(n, inputs, "count × inputs")
    try expectCount(try size(featuresCount, "features_count"), inCount, "features_count", "count × inputs = \(n) × \(inputs)")
    return (try buffer(features, inCount, "features"), try buffer(labels, n, "labels"), n)
}
