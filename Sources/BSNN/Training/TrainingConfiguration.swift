/// How `Trainer.fit` iterates: epochs over seeded-shuffled minibatches.
public struct TrainingConfiguration: Sendable, Equatable {
    public var epochs: Int
    public var batchSize: Int
    public var loss: LossFunction
    public var optimizer: OptimizerConfiguration
    /// Seed of the shuffling generator (independent of the model's init seed).
    public var seed: UInt64
    public var shuffle: Bool
    /// Default `.checked`: a diverging step never changes the model.
    public var updateMode: UpdateMode
    /// Gradient-norm clipping: when the global L2 norm of all parameters' gradients (every
    /// layer's weight gradient as the optimizer sees it — ∂E/∂V for row-normalized layers —
    /// and every bias) exceeds c, all of them are scaled by exactly c/norm before the
    /// optimizer. nil or 0: off (the step is bit-identical to one without the option).
    /// With clipping on, `.fused` steps run the `.checked` two-pass path, because the norm
    /// must be known before any layer is updated.
    public var clipGradientNorm: Double?
    /// Stop `fit` when the validation metric stops improving and restore the best
    /// weights (see `EarlyStopping`); nil: off. Needs a validation set.
    public var earlyStopping: EarlyStopping?

    public init(
        epochs: Int = 1, batchSize: Int = 64, loss: LossFunction = .crossEntropy,
        optimizer: OptimizerConfiguration = OptimizerConfiguration(), seed: UInt64 = 0, shuffle: Bool = true,
        updateMode: UpdateMode = .checked, clipGradientNorm: Double? = nil, earlyStopping: EarlyStopping? = nil
    ) {
        self.clipGradientNorm = clipGradientNorm
        self.earlyStopping = earlyStopping
        self.updateMode = updateMode
        self.epochs = epochs
        self.batchSize = batchSize
        self.loss = loss
        self.optimizer = optimizer
        self.seed = seed
        self.shuffle = shuffle
    }

    public func validate() throws(BSNNError) {
        guard epochs >= 0 else { throw BSNNError.invalidArgument("epochs: expected >= 0, got \(epochs)") }
        guard batchSize > 0, batchSize <= 1 << 20 else {
            throw BSNNError.invalidArgument("batch size: expected 1...\(1 << 20), got \(batchSize)")
        }
        try optimizer.validate()
        if let c = clipGradientNorm, !(c.isFinite && c >= 0) {
            throw BSNNError.invalidArgument("clip gradient norm: expected a finite value >= 0 (0 = off), got \(c)")
        }
        try earlyStopping?.validate()
    }
}

/// What a progress callback sees. Returned `false` from the callback cancels training
/// after the current step; the model stays valid and `fit` throws `.cancelled`.
public struct TrainingProgress: Sendable {
    public enum Phase: Sendable { case step, epochEnd }
    public var phase: Phase
    /// 0-based epoch being run.
    public var epoch: Int
    public var epochs: Int
    /// Steps done in this epoch, and steps per epoch.
    public var stepInEpoch: Int
    public var stepsPerEpoch: Int
    /// Optimizer steps since the trainer was created (or since the checkpoint's start).
    public var globalStep: Int
    /// Loss/accuracy of the last batch (phase .step) or the epoch's running means (.epochEnd).
    public var loss: Double
    public var accuracy: Double
    public var samplesPerSecond: Double
    /// The step's global gradient norm before clipping (phase .step, clipping on); nil
    /// otherwise.
    public var gradientNorm: Double? = nil
    public var gradientClipped: Bool = false
    /// Held-out evaluation at the end of an epoch, when a validation set was given.
    public var validation: Evaluation?
}

/// Per-epoch record returned by `fit`.
public struct EpochRecord: Sendable, Equatable {
    public var epoch: Int
    public var trainLoss: Double
    public var trainAccuracy: Double
    public var validation: Evaluation?
    public var seconds: Double
}

/// Result of one optimizer step.
public struct StepResult: Sendable, Equatable {
    public var loss: Double
    public var correct: Int
    public var count: Int
    /// The global gradient norm before clipping, when clipping is on (nil otherwise: it is
    /// not measured), and whether this step clipped.
    public var gradientNorm: Double? = nil
    public var clipped: Bool = false
}
