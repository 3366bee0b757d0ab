/// Trains an `MLP` in place: minibatch steps with a fused per-layer optimizer update,
/// epochs over seeded-shuffled data, evaluation, progress/cancel, and divergence
/// handling.
///
/// Divergence: before any weight is touched in a step, the logits and the loss are
/// checked for NaN/Inf; each layer's gradient is checked before that layer is updated.
/// A non-finite loss (the usual sign of divergence: NaN inputs, an exploding learning
/// rate) therefore leaves the model exactly as it was after the last good step. A
/// non-finite *gradient* under a finite loss needs the backward signal to overflow
/// float within one pass; the step then stops at that layer with the layers above it
/// already updated, and the error says so.
///
/// Determinism: same model seed, data, configuration and BLAS thread count give
/// bit-identical weights; the shuffling generator's state is part of checkpoints.
///
/// Thread safety: one trainer per thread; the model must not be used elsewhere while
/// it trains. `step` and `fit` hold the model's `exclusiveChange`, so a second trainer
/// training the same model at the same time, `setWeights` during training, and `step`
/// or `fit` called from this trainer's own progress callback throw `.wrongState`.
public final class Trainer: @unchecked Sendable {
    public let model: MLP
    public private(set) var configuration: TrainingConfiguration
    /// Optimizer steps taken (drives Adam's bias correction and the schedule).
    public internal(set) var globalStep: Int = 0
    /// Next epoch to run and how many of its steps are already done (for resuming).
    public internal(set) var epoch: Int = 0
    public internal(set) var stepInEpoch: Int = 0
    /// Shuffling generator state at the start of `epoch` (the permutation is re-derived
    /// from it, so a resumed epoch visits batches in the same order).
    var epochStartRNG: RandomGenerator
    private var batchFeatures: FloatBuffer?
    private var batchLabels: [Int32] = []
    private var batchTargets: FloatBuffer?
    private var gradientStore: GradientStore?
    /// Reused across steps so a checked step allocates nothing in steady state.
    private var pendingGradients: [LayerGradient] = []
    /// Apply layer updates on a second thread as well: in `.fused` mode overlapped with
    /// the backward GEMMs of the layers below, in `.checked` mode every other layer of the
    /// update phase. Results are bit-identical either way (layers are independent).
    /// Default off: measured on the shared 2-core machines, with the other core busy, it
    /// gained 0–2 % with 1 BLAS thread and lost 5–13 % with 2 (benchmarks/RESULTS.md);
    /// it pays only when a core is otherwise idle during the backward pass.
    public var parallelUpdates = false
    /// True while `fit` runs, so its own progress callback cannot reconfigure it.
    private var fitting = false
    private var worker: UpdateWorker?
    private var gradientRing: GradientRing?
    static let ringSlots = 3

    private func updateWorker() throws -> UpdateWorker {
        if let w = worker { return w }
        let w = try UpdateWorker()
        worker = w
        return w
    }

    deinit { worker?.shutdown() }

    public init(model: MLP, configuration: TrainingConfiguration) throws {
        try configuration.validate()
        self.model = model
        self.configuration = configuration
        self.epochStartRNG = RandomGenerator(seed: configuration.seed)
    }

    /// Replaces hyper-parameters between calls (e.g. a new learning rate); the optimizer
    /// kind must stay the same once state exists.
    public func updateConfiguration(_ c: TrainingConfiguration) throws {
        guard !fitting else {
            throw BSNNError.wrongState("cannot change the training configuration while this trainer's fit is running (called re-entrantly from its progress callback); one change at a time per model")
        }
        try c.validate()
        if c.optimizer.kind != configuration.optimizer.kind && globalStep > 0 {
            throw BSNNError.wrongState(
                "optimizer: cannot switch from \(configuration.optimizer.kind.rawValue) to \(c.optimizer.kind.rawValue) after training started")
        }
        configuration = c
    }

    // MARK: One step

    /// One optimizer step on `count` samples given by pointer (features count × inputs;
    /// labels count, or targets count × outputs).
    @discardableResult
    public func step(
        features: UnsafePointer<Float>, labels: UnsafePointer<Int32>?, targets: UnsafePointer<Float>?, count: Int
    ) throws -> StepResult {
        try model.exclusiveChange("train (step)") {
            try stepHoldingModel(features: features, labels: labels, targets: targets, count: count)
        }
    }

    private func stepHoldingModel(
        features: UnsafePointer<Float>, labels: UnsafePointer<Int32>?, targets: UnsafePointer<Float>?, count: Int
    ) throws -> StepResult {
        let c = model.configuration
        guard count > 0 else { throw BSNNError.invalidArgument("batch: expected > 0 samples, got \(count)") }
        if !BLAS.allFinite(features, count: count * c.inputs) {
            throw BSNNError.numeric("features: the batch contains NaN or Inf; training stopped before any update")
        }
        if let l = labels {
            for i in 0..<count where l[i] < 0 || Int(l[i]) >= c.outputs {
                throw BSNNError.invalidArgument("labels[\(i)]: expected a class in 0..<\(c.outputs), got \(l[i])")
            }
        }
        let ws = try model.workspace(batch: count)
        let logits = try model.forward(features, workspace: ws)
        if !BLAS.allFinite(logits, count: count * c.outputs) {
            throw BSNNError.numeric(
                "divergence at step \(globalStep): the logits are NaN/Inf; the model keeps the weights of the last good step")
        }
        let r = try configuration.loss.evaluate(
            logits: logits, batch: count, outputs: c.outputs, labels: labels, targets: targets,
            gradient: ws.dLogits.pointer)
        guard r.loss.isFinite else {
            throw BSNNError.numeric(
                "divergence at step \(globalStep): loss is \(r.loss); the model keeps the weights of the last good step")
        }
        let update = ParameterUpdate(configuration.optimizer, step: globalStep)
        let step = globalStep
        switch configuration.updateMode {
        case .fused where parallelUpdates:
            // Layer l's update runs on the worker while the backward pass computes layer
            // l−1; a ring of gradient buffers bounds how far the worker may lag.
            let worker = try updateWorker()
            if gradientRing == nil { gradientRing = try GradientRing(model: model, slots: Self.ringSlots) }
            guard let ring = gradientRing else { throw BSNNError.internal("gradient ring missing") }
            worker.begin(update)
            do {
                ring.worker = worker
                // One captured reference: the closure's context needs no heap box.
                try model.backward(workspace: ws, gradientStorage: { ring.slot(for: $0) }) { g in
                    guard g.effectiveWeightGradientNormSquared.isFinite else {
                        throw BSNNError.numeric(
                            "divergence at step \(step): the gradient of layer \(g.index) is NaN/Inf (fused update mode: layers above it were already updated in this step)")
                    }
                    worker.submit(g)
                }
            } catch {
                try? worker.drain()
                throw error
            }
            try worker.drain()
        case .fused:
            try model.backward(workspace: ws) { g in
                guard g.effectiveWeightGradientNormSquared.isFinite else {
                    throw BSNNError.numeric(
                        "divergence at step \(step): the gradient of layer \(g.index) is NaN/Inf (fused update mode: layers above it were already updated in this step)")
                }
                try update.apply(to: g)
            }
        case .checked:
            if gradientStore == nil { gradientStore = try GradientStore(model: model) }
            guard let store = gradientStore else { throw BSNNError.internal("gradient store missing") }
            pendingGradients.removeAll(keepingCapacity: true)
            var bad: Int? = nil
            try model.backward(
                workspace: ws, gradientStorage: { (store.weights[$0].pointer, store.biases[$0].pointer, store.projections[$0].pointer) }
            ) { g in
                if !g.effectiveWeightGradientNormSquared.isFinite
                    || (g.biasGradient.map { !BLAS.allFinite($0, count: g.layer.outputs) } ?? false)
                {
                    bad = bad ?? g.index
                }
                pendingGradients.append(g)
            }
            if let l = bad {
                throw BSNNError.numeric(
                    "divergence at step \(step): the gradient of layer \(l) is NaN/Inf; no weight was changed, the model keeps the weights of the last good step")
            }
            if parallelUpdates {
                // Every other layer on the worker, the rest here: the update phase is
                // memory-bound, and two cores stream more than one.
                let worker = try updateWorker()
                worker.begin(update)
                var failure: Error?
                for (i, g) in pendingGradients.enumerated() {
                    if i % 2 == 0 {
                        worker.submit(g)
                    } else if failure == nil {
                        do { try update.apply(to: g) } catch { failure = error }
                    }
                }
                try worker.drain()
                if let e = failure { throw e }
            } else {
                for g in pendingGradients { try update.apply(to: g) }
            }
            pendingGradients.removeAll(keepingCapacity: true)
        }
        globalStep += 1
        return StepResult(loss: r.loss, correct: r.correct, count: count)
    }

    /// One step on arrays.
    @discardableResult
    public func step(features: [Float], labels: [Int32]) throws -> StepResult {
        let c = model.configuration
        guard features.count == labels.count * c.inputs else {
            throw BSNNError.shapeMismatch(
                "features: expected \(labels.count) × \(c.inputs) = \(labels.count * c.inputs) values, got \(features.count)")
        }
        return try features.withUnsafeBufferPointer { f in
            try labels.withUnsafeBufferPointer { l in
                guard let fb = f.baseAddress, let lb = l.baseAddress else {
                    throw BSNNError.invalidArgument("batch: expected > 0 samples, got 0")
                }
                return try step(features: fb, labels: lb, targets: nil, count: labels.count)
            }
        }
    }

    // MARK: Epochs

    /// `epochs` means the same in every door: the total number of epochs the trainer
    /// has completed when fit returns (counting those done before, e.g. restored from a
    /// checkpoint), not a number of further epochs. A run interrupted part-way through
    /// an epoch therefore resumes to the same end. Asking for no more than are already
    /// completed is a `.wrongState` error rather than a silent no-op.
    @discardableResult
    public func fit(
        _ data: Dataset, epochs: Int, validation: Dataset? = nil,
        progress: ((TrainingProgress) -> Bool)? = nil
    ) throws -> [EpochRecord] {
        try data.withSamples { d in
            try validation.withSamples { v in try fit(d, epochs: epochs, validation: v, progress: progress) }
        }
    }

    /// `fit(_:epochs:validation:progress:)` reading the samples in place: each minibatch
    /// is gathered from `data` through the shuffled indices, so the data set is never
    /// copied. Results are bit-identical to fitting a `Dataset` of the same samples. The
    /// memory must stay valid and unchanged until this returns (see `BorrowedSamples`).
    @discardableResult
    public func fit(
        _ data: BorrowedSamples, epochs: Int, validation: BorrowedSamples? = nil,
        progress: ((TrainingProgress) -> Bool)? = nil
    ) throws -> [EpochRecord] {
        try checkTrainingData(data, validation: validation)
        guard epochs > epoch else {
            throw BSNNError.wrongState(
                "epochs: expected more than the \(epoch) already completed (epochs is the total to reach, not a number of further epochs), got \(epochs)")
        }
        var c = configuration
        c.epochs = epochs
        try updateConfiguration(c)
        return try fit(data, validation: validation, progress: progress)
    }

    private func checkTrainingData(_ data: BorrowedSamples, validation: BorrowedSamples?) throws {
        try model.checkCompatible(data)
        if let v = validation { try model.checkCompatible(v) }
        guard data.count > 0 else { throw BSNNError.invalidArgument("training data: expected count > 0 samples, got none") }
    }

    /// Runs `configuration.epochs` epochs (continuing from `epoch`/`stepInEpoch` when
    /// resumed from a checkpoint). `progress` is called after every step and every epoch;
    /// returning false cancels after that step (throws `.cancelled`, model valid).
    @discardableResult
    public func fit(
        _ data: Dataset, validation: Dataset? = nil,
        progress: ((TrainingProgress) -> Bool)? = nil
    ) throws -> [EpochRecord] {
        try data.withSamples { d in try validation.withSamples { v in try fit(d, validation: v, progress: progress) } }
    }

    /// `fit(_:validation:progress:)` reading the samples in place (see `BorrowedSamples`).
    /// The model's training workspaces are released when it returns, however it ends.
    @discardableResult
    public func fit(
        _ data: BorrowedSamples, validation: BorrowedSamples? = nil,
        progress: ((TrainingProgress) -> Bool)? = nil
    ) throws -> [EpochRecord] {
        try model.exclusiveChange("train (fit)") {
            fitting = true
            defer {
                fitting = false
                model.releaseWorkspaceHoldingModel()
            }
            return try fitHoldingModel(data, validation: validation, progress: progress)
        }
    }

    private func fitHoldingModel(
        _ data: BorrowedSamples, validation: BorrowedSamples?, progress: ((TrainingProgress) -> Bool)?
    ) throws -> [EpochRecord] {
        try checkTrainingData(data, validation: validation)
        let c = model.configuration
        let batch = min(configuration.batchSize, data.count)
        let stepsPerEpoch = (data.count + batch - 1) / batch
        if batchFeatures?.count != batch * c.inputs { batchFeatures = try FloatBuffer(count: batch * c.inputs) }
        if !data.isClassification, batchTargets?.count != batch * c.outputs {
            batchTargets = try FloatBuffer(count: batch * c.outputs)
        }
        if batchLabels.count != batch { batchLabels = [Int32](repeating: 0, count: batch) }
        guard let bf = batchFeatures else { throw BSNNError.internal("batch buffer missing") }
        var records: [EpochRecord] = []
        while epoch < configuration.epochs {
            var rng = epochStartRNG
            var order = Array(0..<data.count)
            if configuration.shuffle { rng.shuffle(&order) }
            let started = MonotonicClock.now()
            var lossSum = 0.0, correct = 0, seen = 0
            while stepInEpoch < stepsPerEpoch {
                let s = stepInEpoch * batch
                let n = min(batch, data.count - s)
                let t0 = MonotonicClock.now()
                let result = try stepOnGathered(data, order[s..<(s + n)], into: bf)
                stepInEpoch += 1
                lossSum += result.loss * Double(n)
                correct += result.correct
                seen += n
                if let p = progress {
                    let info = TrainingProgress(
                        phase: .step, epoch: epoch, epochs: configuration.epochs, stepInEpoch: stepInEpoch,
                        stepsPerEpoch: stepsPerEpoch, globalStep: globalStep, loss: result.loss,
                        accuracy: Double(result.correct) / Double(n),
                        samplesPerSecond: Double(n) / max(MonotonicClock.now() - t0, 1e-9), validation: nil)
                    if !p(info) {
                        throw BSNNError.cancelled(
                            "training cancelled by the progress callback at epoch \(epoch), step \(stepInEpoch); the model holds the weights after that step")
                    }
                }
            }
            let val = try validation.map { try model.evaluate($0, loss: configuration.loss) }
            let seconds = MonotonicClock.now() - started
            let record = EpochRecord(
                epoch: epoch, trainLoss: seen > 0 ? lossSum / Double(seen) : .nan,
                trainAccuracy: seen > 0 ? Double(correct) / Double(seen) : 0, validation: val, seconds: seconds)
            records.append(record)
            epoch += 1
            stepInEpoch = 0
            epochStartRNG = rng
            if let p = progress {
                let info = TrainingProgress(
                    phase: .epochEnd, epoch: record.epoch, epochs: configuration.epochs, stepInEpoch: stepsPerEpoch,
                    stepsPerEpoch: stepsPerEpoch, globalStep: globalStep, loss: record.trainLoss,
                    accuracy: record.trainAccuracy, samplesPerSecond: Double(seen) / max(seconds, 1e-9),
                    validation: val)
                if !p(info) {
                    throw BSNNError.cancelled("training cancelled by the progress callback after epoch \(record.epoch)")
                }
            }
        }
        return records
    }

    /// One step on the samples at `indices`, gathered from `data` into the batch buffers.
    private func stepOnGathered(_ data: BorrowedSamples, _ indices: ArraySlice<Int>, into bf: FloatBuffer) throws -> StepResult {
        let n = indices.count
        if data.isClassification {
            batchLabels.withUnsafeMutableBufferPointer { lb in
                data.gather(indices, features: bf.pointer, labels: lb.baseAddress, targets: nil)
            }
            return try batchLabels.withUnsafeBufferPointer { lb in
                try stepHoldingModel(features: bf.pointer, labels: lb.baseAddress, targets: nil, count: n)
            }
        }
        guard let bt = batchTargets else { throw BSNNError.internal("target buffer missing") }
        data.gather(indices, features: bf.pointer, labels: nil, targets: bt.pointer)
        return try stepHoldingModel(features: bf.pointer, labels: nil, targets: bt.pointer, count: n)
    }
}
