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
/// Unchecked Sendable: its mutable state (position, optimizer slots, batch buffers) is
/// touched only inside `step`/`fit`, which hold the model's `exclusiveChange`; a second
/// thread gets `.wrongState` before reading any of it.
public final class Trainer: @unchecked Sendable {
    public let model: MLP
    public private(set) var configuration: TrainingConfiguration
    /// Position, shuffling generator and optimizer slots: what a checkpoint saves.
    let state: TrainingState
    /// Optimizer steps taken (drives Adam's bias correction and the schedule).
    public var globalStep: Int { state.globalStep }
    /// Next epoch to run and how many of its steps are already done (for resuming).
    public var epoch: Int { state.epoch }
    public var stepInEpoch: Int { state.stepInEpoch }
    private var batchFeatures: FloatBuffer?
    private var batchLabels: [Int32] = []
    private var batchTargets: FloatBuffer?
    /// The global gradient norm (before clipping) of the last step, when clipping was on.
    public private(set) var lastGradientNorm: Double?
    /// Whether the last step clipped its gradients.
    public private(set) var lastStepClipped = false
    /// What early stopping did in the last fit: nil when that fit ran without early
    /// stopping or did not complete (cancelled, failed), or before any fit.
    public private(set) var earlyStoppingOutcome: EarlyStoppingOutcome?
    /// The best epoch's parameters, allocated on the first fit with early stopping.
    private var earlyStoppingSnapshot: ParameterSnapshot?
    /// The in-training signal statistics; nil while `configuration.monitorEvery` is 0.
    public private(set) var monitor: TrainingMonitor?
    /// True while `fit` runs, so its own progress callback cannot reconfigure it.
    private var fitting = false
    /// The collective of a data-parallel run (`setGradientExchange`); nil for one process.
    public private(set) var gradientExchange: GradientExchange?
    /// Its buckets, allocated on the first data-parallel step.
    private var buckets: GradientBuckets?
    /// Runs half of each large layer's update while OpenBLAS runs on ≥ 2 threads
    /// (`UpdateHelper`); started on the first such step, parked while idle.
    private(set) var updateHelper: UpdateHelper?
    /// Off: every update runs on the calling thread (tests compare the two).
    var allowsUpdateHelper = true

    /// The step's update constants, with the helper thread when OpenBLAS runs on ≥ 2
    /// threads. A helper that cannot start (no thread to be had) leaves this trainer to
    /// update on its own thread, which gives the same bits.
    private func parameterUpdate() -> ParameterUpdate {
        var update = ParameterUpdate(configuration.optimizer, step: globalStep)
        if allowsUpdateHelper && BLAS.threadCount >= 2 {
            if updateHelper?.belongsToThisProcess == false { updateHelper = nil }
            if updateHelper == nil {
                updateHelper = UpdateHelper()
                if updateHelper == nil { allowsUpdateHelper = false }
            }
            update.helper = updateHelper
        }
        return update
    }

    public init(model: MLP, configuration: TrainingConfiguration) throws(BSNNError) {
        try configuration.validate()
        try model.configuration.checkTrainingBatch(configuration.batchSize, what: "batch size")
        self.model = model
        self.configuration = configuration
        self.state = TrainingState(seed: configuration.seed)
        monitor = configuration.monitorEvery > 0 ? TrainingMonitor(every: configuration.monitorEvery, model: model) : nil
    }

    /// Replaces hyper-parameters between calls (e.g. a new learning rate); the optimizer
    /// kind must stay the same once state exists.
    public func updateConfiguration(_ c: TrainingConfiguration) throws(BSNNError) {
        guard !fitting else {
            throw BSNNError.wrongState("cannot change the training configuration while this trainer's fit is running (called re-entrantly from its progress callback); one change at a time per model")
        }
        try c.validate()
        try model.configuration.checkTrainingBatch(c.batchSize, what: "batch size")
        if c.optimizer.kind != configuration.optimizer.kind && globalStep > 0 {
            throw BSNNError.wrongState(
                "optimizer: cannot switch from \(configuration.optimizer.kind.rawValue) to \(c.optimizer.kind.rawValue) after training started")
        }
        if let e = gradientExchange {
            if c.monitorEvery > 0 { throw Self.monitorWithExchange }
            try Self.checkGlobalBatch(c.batchSize, processes: e.processCount)
        }
        configuration = c
        if c.monitorEvery != monitor?.every ?? 0 {
            monitor = c.monitorEvery > 0 ? TrainingMonitor(every: c.monitorEvery, model: model) : nil
        }
    }

    // MARK: Data-parallel runs

    private static let monitorWithExchange = BSNNError.invalidArgument(
        "monitor every: the in-training monitor measures one process's backward signals, which a data-parallel step does not keep; set it to 0 with a gradient exchange")

    /// Makes this trainer one process of a data-parallel run (see `GradientExchange`):
    /// from now on every step sums its gradients with the other processes' before
    /// anything is applied, and `fit` trains on this process's slice (`batchSize /
    /// processCount` samples) of every global batch of `batchSize` samples, drawn from
    /// the same shuffled order on every process. The configuration, and so a checkpoint,
    /// does not depend on the process count: a run resumes on any count that divides
    /// the batch size. A collective call: every process makes it at the same point, with
    /// the same model, optimizer state and configuration, which it verifies (a checksum
    /// compared with process 0's); nil returns to single-process training.
    public func setGradientExchange(_ exchange: GradientExchange?) throws(BSNNError) {
        try model.exclusiveChange("set the gradient exchange") { () throws(BSNNError) in
            guard let exchange else { gradientExchange = nil; buckets = nil; return }
            guard exchange.processCount >= 1, (0..<exchange.processCount).contains(exchange.rank) else {
                throw BSNNError.invalidArgument(
                    "gradient exchange: expected rank in 0..<process count (≥ 1), got rank \(exchange.rank) of \(exchange.processCount)")
            }
            if configuration.monitorEvery > 0 { throw Self.monitorWithExchange }
            try Self.checkGlobalBatch(configuration.batchSize, processes: exchange.processCount)
            guard try exchange.allMatchRankZero(runChecksum()) else {
                throw BSNNError.invalidArgument(
                    "gradient exchange: this process's model, optimizer state or training configuration differs from process 0's (a data-parallel run starts every process from the same seed or checkpoint, with the same flags)")
            }
            gradientExchange = exchange
        }
    }

    /// The batch size of a data-parallel run is the global batch: it must split evenly.
    private static func checkGlobalBatch(_ batch: Int, processes: Int) throws(BSNNError) {
        guard batch % processes == 0 else {
            throw BSNNError.invalidArgument(
                "batch size: a data-parallel run's batch size is the global batch, split evenly over the processes; \(batch) is not a multiple of \(processes) processes")
        }
    }

    /// A hash of a data set's shape, features, labels and targets.
    private static func checksum(of data: BorrowedSamples) -> UInt64 {
        var h = RunHash()
        for v in [data.count, data.featureCount, data.classCount, data.targetCount] { h.mix(v) }
        h.mix(data.features)
        h.mix(data.targets)
        for l in data.labels { h.mix(UInt64(UInt32(bitPattern: l))) }
        return h.value
    }

    /// A hash of the parameters, the optimizer slots, the position and the training
    /// configuration: what must be equal on every process of a run.
    private func runChecksum() -> UInt64 {
        var h = RunHash()
        for b in model.stateBuffers { h.mix(b) }
        for layer in state.optimizer.layers {
            for b in layer.weight + layer.bias + layer.normalization + layer.residualScale { h.mix(b) }
        }
        for v in [globalStep, epoch, stepInEpoch] { h.mix(v) }
        h.mix("\(configuration)")
        return h.value
    }

    // MARK: One step

    /// One optimizer step on a validated batch.
    @discardableResult
    public func step(_ batch: Batch) throws(BSNNError) -> StepResult {
        try model.exclusiveChange("train (step)") { () throws(BSNNError) in try stepHoldingModel(batch) }
    }

    /// One optimizer step on the batch `makeBatch` checks and returns. The same as
    /// `step(_:)`, except in a data-parallel run: there a batch that fails its checks
    /// (a NaN feature, a label out of range) is reported to the other processes, which
    /// skip the step, instead of leaving them waiting for this process's gradients.
    @discardableResult
    public func step(validating makeBatch: () throws(BSNNError) -> Batch) throws(BSNNError) -> StepResult {
        try model.exclusiveChange("train (step)") { () throws(BSNNError) in
            guard let exchange = gradientExchange else { return try stepHoldingModel(try makeBatch()) }
            let batch: Batch
            do throws(BSNNError) { batch = try makeBatch() } catch {
                try joinFailedStep(error, exchange: exchange)
                throw error
            }
            return try stepHoldingModel(batch)
        }
    }

    /// Makes this process's calls of a data-parallel step that failed before its
    /// forward pass, reporting the failure, so the other processes skip the step.
    private func joinFailedStep(_ error: BSNNError, exchange: GradientExchange) throws(BSNNError) {
        let buckets = if let buckets { buckets } else { try GradientBuckets(model: model) }
        self.buckets = buckets
        try DataParallelStep.join(failure: error, exchange: exchange, buckets: buckets)
    }

    /// One optimizer step on `count` samples given by pointer (features count × inputs;
    /// labels count, or targets count × outputs); the pointers must cover those counts.
    @discardableResult
    public func step(
        features: UnsafePointer<Float>, labels: UnsafePointer<Int32>?, targets: UnsafePointer<Float>?, count: Int
    ) throws(BSNNError) -> StepResult {
        let c = model.configuration
        let (n, overflow) = max(count, 0).multipliedReportingOverflow(by: c.inputs)
        guard !overflow else { throw BSNNError.invalidArgument("count: \(count) samples × \(c.inputs) inputs overflows") }
        let f = UnsafeBufferPointer(start: features, count: n)
        if let l = labels {
            return try step(Batch(features: f, labels: UnsafeBufferPointer(start: l, count: max(count, 0)), for: c))
        }
        guard let t = targets else { throw BSNNError.invalidArgument("batch: expected labels or targets, got neither") }
        let (m, overflowT) = max(count, 0).multipliedReportingOverflow(by: c.outputs)
        guard !overflowT else { throw BSNNError.invalidArgument("count: \(count) samples × \(c.outputs) outputs overflows") }
        return try step(Batch(features: f, targets: UnsafeBufferPointer(start: t, count: m), count: count, for: c))
    }

    /// `globalCount`: the samples of the global batch this process's `batch` is a slice
    /// of, in a data-parallel run (nil: every process steps on as many as this one).
    private func stepHoldingModel(_ batch: Batch, globalCount: Int? = nil) throws(BSNNError) -> StepResult {
        let c = model.configuration
        let count = batch.count
        let clip = configuration.clipGradientNorm.flatMap { $0 > 0 ? $0 : nil }
        if let exchange = gradientExchange {
            let ws: MLP.Workspace
            do throws(BSNNError) {
                try c.checkTrainingBatch(count, what: "batch")
                ws = try model.workspace(batch: count)
                try ws.keepUnscaledOutputs(false, of: model)
            } catch {
                try joinFailedStep(error, exchange: exchange)
                throw error
            }
            return try dataParallelStep(batch, workspace: ws, exchange: exchange, clip: clip, globalCount: globalCount)
        }
        try c.checkTrainingBatch(count, what: "batch")
        let ws = try model.workspace(batch: count)
        try ws.keepUnscaledOutputs(clip != nil, of: model)
        let r = try forwardAndLoss(batch, workspace: ws)
        let monitored = monitor.map { $0.isDue(step: globalStep) } ?? false
        if monitored { monitor?.measureForward(model: model, workspace: ws) }
        let update = parameterUpdate()
        try state.optimizer.prepare(for: model, kind: configuration.optimizer.kind)
        // Concrete sinks, not an existential: a boxed sink would allocate every step.
        // Clipping needs the global norm before any layer is updated, which only the
        // two-pass sink has: with clipping on, a fused step runs the checked path; so
        // does a monitored one (its signals are measured before any update).
        var norm: Double?
        if configuration.updateMode == .fused && clip == nil && !monitored {
            try ApplyNow(update: update, optimizer: state.optimizer, step: globalStep).backpropagate(through: model, workspace: ws)
        } else {
            norm = try CheckThenApply(
                update: update, optimizer: state.optimizer, step: globalStep, clipGradientNorm: clip,
                monitor: monitored ? monitor : nil
            ).backpropagateMeasuring(through: model, workspace: ws)
        }
        // Only a step whose update succeeded moves the running statistics.
        model.commitNormalizationStatistics(workspace: ws)
        if monitored { monitor?.commit(step: globalStep) }
        state.globalStep += 1
        lastGradientNorm = norm
        // A norm is measured only with clipping on, so both are set or neither.
        if let n = norm, let c = clip { lastStepClipped = n > c } else { lastStepClipped = false }
        return StepResult(loss: r.loss, correct: r.correct, count: count, gradientNorm: norm, clipped: lastStepClipped)
    }

    /// The forward pass of a step and the loss gradient into `ws.dLogits`, after which
    /// the logits and the loss are known finite; no weight has changed yet.
    private func forwardAndLoss(_ batch: Batch, workspace ws: MLP.Workspace) throws(BSNNError) -> (loss: Double, correct: Int) {
        let c = model.configuration
        let count = batch.count
        var dropout: RandomGenerator? = state.dropoutRNG
        let logits = try model.forward(batch.features, workspace: ws, dropout: &dropout)
        // The masks of a step that then diverges are drawn too: a retried step draws new ones.
        if let d = dropout { state.dropoutRNG = d }
        if !BLAS.allFinite(logits, count: count * c.outputs) {
            throw BSNNError.numeric(
                "divergence at step \(globalStep): the logits are NaN/Inf; the model keeps the weights of the last good step")
        }
        let r = try configuration.loss.evaluate(
            logits: logits, batch: count, outputs: c.outputs, labels: batch.labels, targets: batch.targets,
            gradient: ws.dLogits.pointer)
        guard r.loss.isFinite else {
            throw BSNNError.numeric(
                "divergence at step \(globalStep): loss is \(r.loss); the model keeps the weights of the last good step")
        }
        return r
    }

    private func dataParallelStep(
        _ batch: Batch, workspace ws: MLP.Workspace, exchange: GradientExchange, clip: Double?, globalCount: Int?
    ) throws(BSNNError) -> StepResult {
        let buckets: GradientBuckets
        do throws(BSNNError) {
            buckets = if let b = self.buckets { b } else { try GradientBuckets(model: model) }
            try state.optimizer.prepare(for: model, kind: configuration.optimizer.kind)
        } catch {
            // Without buckets this process cannot take part; its peers find out from the
            // transport when it exits.
            if let b = self.buckets { try DataParallelStep.join(failure: error, exchange: exchange, buckets: b) }
            throw error
        }
        self.buckets = buckets
        let sink = DataParallelStep(
            update: parameterUpdate(), optimizer: state.optimizer,
            step: globalStep, clipGradientNorm: clip, exchange: exchange, buckets: buckets)
        let outcome = try sink.run(
            model: model, workspace: ws, localCount: batch.count,
            globalCount: globalCount ?? batch.count * exchange.processCount
        ) { () throws(BSNNError) in try forwardAndLoss(batch, workspace: ws) }
        // Each process's own batch statistics (like PyTorch DDP without SyncBatchNorm).
        model.commitNormalizationStatistics(workspace: ws)
        state.globalStep += 1
        lastGradientNorm = outcome.gradientNorm
        if let n = outcome.gradientNorm, let c = clip { lastStepClipped = n > c } else { lastStepClipped = false }
        return StepResult(
            loss: outcome.loss, correct: outcome.correct, count: outcome.count, gradientNorm: outcome.gradientNorm,
            clipped: lastStepClipped)
    }

    /// One step on arrays.
    @discardableResult
    public func step(features: [Float], labels: [Int32]) throws(BSNNError) -> StepResult {
        try features.withUnsafeBufferPointer { (f) throws(BSNNError) in
            try labels.withUnsafeBufferPointer { (l) throws(BSNNError) in try step(Batch(features: f, labels: l, for: model.configuration)) }
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
    ) throws(BSNNError) -> [EpochRecord] {
        try data.withSamples { (d) throws(BSNNError) in
            try validation.withSamples { (v) throws(BSNNError) in try fit(d, epochs: epochs, validation: v, progress: progress) }
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
    ) throws(BSNNError) -> [EpochRecord] {
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

    private func checkTrainingData(_ data: BorrowedSamples, validation: BorrowedSamples?) throws(BSNNError) {
        if configuration.earlyStopping != nil && validation == nil {
            throw BSNNError.invalidArgument(
                "early stopping: expected a validation set (it monitors the validation loss or accuracy), got none")
        }
        try model.checkCompatible(data)
        if let v = validation { try model.checkCompatible(v) }
        guard data.count > 0 else { throw BSNNError.invalidArgument("training data: expected count > 0 samples, got none") }
    }

    /// Runs `configuration.epochs` epochs (continuing from `epoch`/`stepInEpoch` when
    /// resumed from a checkpoint). `progress` is called after every step and every epoch;
    /// returning false cancels after that step (throws `.cancelled`, model valid). With
    /// `configuration.earlyStopping` it may return sooner and leaves the best epoch's
    /// parameters in the model (`earlyStoppingOutcome`, see `EarlyStopping`).
    @discardableResult
    public func fit(
        _ data: Dataset, validation: Dataset? = nil,
        progress: ((TrainingProgress) -> Bool)? = nil
    ) throws(BSNNError) -> [EpochRecord] {
        try data.withSamples { (d) throws(BSNNError) in try validation.withSamples { (v) throws(BSNNError) in try fit(d, validation: v, progress: progress) } }
    }

    /// `fit(_:validation:progress:)` reading the samples in place (see `BorrowedSamples`).
    /// The model's training workspaces are released when it returns, however it ends.
    @discardableResult
    public func fit(
        _ data: BorrowedSamples, validation: BorrowedSamples? = nil,
        progress: ((TrainingProgress) -> Bool)? = nil
    ) throws(BSNNError) -> [EpochRecord] {
        try model.exclusiveChange("train (fit)") { () throws(BSNNError) in
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
    ) throws(BSNNError) -> [EpochRecord] {
        try checkTrainingData(data, validation: validation)
        // Every process steps through the same global batches of the same data; other
        // data (another count) would leave one process waiting for a step that never comes.
        if let e = gradientExchange, try !e.allMatchRankZero(Self.checksum(of: data)) {
            throw BSNNError.invalidArgument(
                "training data: this process's data set differs from process 0's (in a data-parallel fit every process passes the same, whole data set and trains on its slice of each global batch)")
        }
        earlyStoppingOutcome = nil
        let c = model.configuration
        // A data-parallel run steps through global batches of batchSize samples in the
        // same shuffled order on every process; each process takes its slice of every
        // one (`processSlice`).
        let processes = gradientExchange?.processCount ?? 1
        let batch = min(configuration.batchSize, data.count)
        try c.checkTrainingBatch(batch / processes, what: processes > 1 ? "training data (per process)" : "training data")
        // Batch normalization cannot step on a last partial batch of one sample: that
        // batch is skipped, so each epoch leaves out one sample (a different one in
        // every shuffled epoch). Data-parallel: every process's slice must be that big.
        let remainder = data.count % batch
        let smallestSlice = remainder / processes
        let stepsPerEpoch = data.count / batch + (smallestSlice >= max(c.minimumTrainingBatch, 1) ? 1 : 0)
        let local = (batch + processes - 1) / processes
        if batchFeatures?.count != local * c.inputs { batchFeatures = try FloatBuffer(count: local * c.inputs) }
        if !data.isClassification, batchTargets?.count != local * c.outputs {
            batchTargets = try FloatBuffer(count: local * c.outputs)
        }
        if batchLabels.count != local { batchLabels = [Int32](repeating: 0, count: local) }
        if let m = monitor {
            let steps = (configuration.epochs - epoch) * stepsPerEpoch - stepInEpoch
            m.reserve(records: steps / m.every + 1)
        }
        var records: [EpochRecord] = []
        var tracker: EarlyStoppingTracker?
        if let rule = configuration.earlyStopping {
            let snapshot = if let earlyStoppingSnapshot { earlyStoppingSnapshot } else { try model.makeParameterSnapshot() }
            earlyStoppingSnapshot = snapshot
            tracker = EarlyStoppingTracker(rule: rule, snapshot: snapshot)
        }
        var stopped = false
        while epoch < configuration.epochs && !stopped {
            var rng = state.epochStartRNG
            var order = Array(0..<data.count)
            if configuration.shuffle { rng.shuffle(&order) }
            let started = MonotonicClock.now()
            var lossSum = 0.0, correct = 0, seen = 0
            while stepInEpoch < stepsPerEpoch {
                let s = stepInEpoch * batch
                let n = min(batch, data.count - s)
                let t0 = MonotonicClock.now()
                let slice = Self.processSlice(s..<(s + n), rank: gradientExchange?.rank ?? 0, of: processes)
                let result = try stepOnGathered(data, order[slice], globalCount: n)
                state.stepInEpoch += 1
                lossSum += result.loss * Double(n)
                correct += result.correct
                seen += n
                if let p = progress {
                    let info = TrainingProgress(
                        phase: .step, epoch: epoch, epochs: configuration.epochs, stepInEpoch: stepInEpoch,
                        stepsPerEpoch: stepsPerEpoch, globalStep: globalStep, loss: result.loss,
                        accuracy: Double(result.correct) / Double(n),
                        samplesPerSecond: Double(n) / max(MonotonicClock.now() - t0, 1e-9),
                        gradientNorm: result.gradientNorm, gradientClipped: result.clipped, validation: nil)
                    if !p(info) {
                        throw BSNNError.cancelled(
                            "training cancelled by the progress callback at epoch \(epoch), step \(stepInEpoch); the model holds the weights after that step")
                    }
                }
            }
            let val = try validation.map { (data) throws(BSNNError) in try model.evaluate(data, loss: configuration.loss) }
            let seconds = MonotonicClock.now() - started
            let record = EpochRecord(
                epoch: epoch, trainLoss: seen > 0 ? lossSum / Double(seen) : .nan,
                trainAccuracy: seen > 0 ? Double(correct) / Double(seen) : 0, validation: val, seconds: seconds)
            records.append(record)
            state.epoch += 1
            state.stepInEpoch = 0
            state.epochStartRNG = rng
            if let v = val, var t = tracker {
                stopped = try t.observe(v, epoch: record.epoch, model: model)
                tracker = t
            }
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
        if let t = tracker, let best = t.best {
            if best.epoch != records.last?.epoch { try model.restoreParameters(from: t.snapshot) }
            earlyStoppingOutcome = EarlyStoppingOutcome(bestEpoch: best.epoch, bestValue: best.value, stoppedEarly: stopped)
        }
        return records
    }

    /// One step on the samples at `indices`, gathered from `data` into the batch buffers
    /// and checked as a `Batch` like any other door's data.
    private func stepOnGathered(
        _ data: BorrowedSamples, _ indices: ArraySlice<Int>, globalCount: Int
    ) throws(BSNNError) -> StepResult {
        let c = model.configuration
        let n = indices.count
        guard let bf = batchFeatures else { throw BSNNError.internal("batch buffer missing") }
        let features = UnsafeBufferPointer(start: bf.pointer, count: n * c.inputs)
        if data.isClassification {
            batchLabels.withUnsafeMutableBufferPointer { lb in
                data.gather(indices, features: bf.pointer, labels: lb.baseAddress, targets: nil)
            }
            return try batchLabels.withUnsafeBufferPointer { (lb) throws(BSNNError) in
                try stepHoldingModel(
                    Batch(features: features, labels: UnsafeBufferPointer(rebasing: lb[0..<n]), for: c), globalCount: globalCount)
            }
        }
        guard let bt = batchTargets else { throw BSNNError.internal("target buffer missing") }
        data.gather(indices, features: bf.pointer, labels: nil, targets: bt.pointer)
        return try stepHoldingModel(
            Batch(features: features, targets: UnsafeBufferPointer(start: bt.pointer, count: n * c.outputs), count: n, for: c),
            globalCount: globalCount)
    }

    /// Process `rank`'s part of the global batch `range`: consecutive slices whose sizes
    /// differ by at most one, in rank order, so the processes together cover it once.
    static func processSlice(_ range: Range<Int>, rank: Int, of processes: Int) -> Range<Int> {
        let n = range.count
        return (range.lowerBound + rank * n / processes)..<(range.lowerBound + (rank + 1) * n / processes)
    }
}
