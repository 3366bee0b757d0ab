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

    public init(
        epochs: Int = 1, batchSize: Int = 64, loss: LossFunction = .crossEntropy,
        optimizer: OptimizerConfiguration = OptimizerConfiguration(), seed: UInt64 = 0, shuffle: Bool = true,
        updateMode: UpdateMode = .checked
    ) {
        self.updateMode = updateMode
        self.epochs = epochs
        self.batchSize = batchSize
        self.loss = loss
        self.optimizer = optimizer
        self.seed = seed
        self.shuffle = shuffle
    }

    public func validate() throws {
        guard epochs >= 0 else { throw BSNNError.invalidArgument("epochs: expected >= 0, got \(epochs)") }
        guard batchSize > 0, batchSize <= 1 << 20 else {
            throw BSNNError.invalidArgument("batch size: expected 1...\(1 << 20), got \(batchSize)")
        }
        try optimizer.validate()
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
}
