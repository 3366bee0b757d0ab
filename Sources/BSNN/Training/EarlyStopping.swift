/// Early stopping inside `Trainer.fit`: after every epoch the validation metric is
/// compared with the best so far; an epoch improves on it when the loss falls below
/// best − minDelta (or the accuracy rises above best + minDelta). Every improvement copies
/// the model's parameters into buffers the size of the model, allocated by the first fit
/// with early stopping and kept by the trainer for later ones; after `patience` epochs in
/// a row without improvement fit stops, and whenever it returns normally (stopped or all
/// epochs run) the best epoch's parameters are restored, bit-identical to that epoch's
/// end. A cancelled or failed fit restores nothing (the model holds the weights after
/// the last step, as without early stopping). Optimizer slots are not restored.
///
/// Resume: the tracking lives only inside one fit call and is not in checkpoints; a
/// fit resumed from a checkpoint (or called again) starts with no best and a fresh
/// patience counter from the epoch it resumes at. Training itself still resumes
/// bit-identically.
public struct EarlyStopping: Sendable, Equatable {
    public enum Monitor: String, Sendable, NamedOption {
        public static let optionName = "early stopping monitor"
        /// Lower is better.
        case validationLoss = "loss"
        /// Higher is better.
        case validationAccuracy = "accuracy"
    }

    public static let defaultMonitor: Monitor = .validationLoss
    public static let defaultMinDelta = 0.0

    /// Epochs in a row without improvement after which fit stops (≥ 1).
    public var patience: Int
    public var monitor: Monitor
    /// The least change that counts as an improvement (≥ 0).
    public var minDelta: Double

    public init(patience: Int, monitor: Monitor = defaultMonitor, minDelta: Double = defaultMinDelta) {
        self.patience = patience
        self.monitor = monitor
        self.minDelta = minDelta
    }

    public func validate() throws(BSNNError) {
        guard patience >= 1 else { throw BSNNError.invalidArgument("early stopping patience: expected >= 1 epochs, got \(patience)") }
        guard minDelta.isFinite, minDelta >= 0 else {
            throw BSNNError.invalidArgument("early stopping min delta: expected a finite value >= 0, got \(minDelta)")
        }
    }

    func value(of e: Evaluation) -> Double { monitor == .validationLoss ? e.loss : e.accuracy }

    func improves(_ value: Double, on best: Double) -> Bool {
        monitor == .validationLoss ? value < best - minDelta : value > best + minDelta
    }
}

/// What early stopping did in the last fit: the best epoch (0-based) and its metric,
/// and whether fit stopped before its last epoch.
public struct EarlyStoppingOutcome: Sendable, Equatable {
    public var bestEpoch: Int
    public var bestValue: Double
    public var stoppedEarly: Bool
}

/// The running state of early stopping during one fit.
struct EarlyStoppingTracker {
    let rule: EarlyStopping
    let snapshot: ParameterSnapshot
    private(set) var best: (epoch: Int, value: Double)?
    private var epochsWithoutImprovement = 0

    init(rule: EarlyStopping, snapshot: ParameterSnapshot) {
        self.rule = rule
        self.snapshot = snapshot
    }

    /// Records epoch `epoch`'s validation result, copying the model on an improvement;
    /// returns whether fit should stop now. A NaN metric never improves.
    mutating func observe(_ e: Evaluation, epoch: Int, model: MLP) throws(BSNNError) -> Bool {
        let v = rule.value(of: e)
        if v.isFinite, best.map({ rule.improves(v, on: $0.value) }) ?? true {
            try model.copyParameters(into: snapshot)
            best = (epoch, v)
            epochsWithoutImprovement = 0
            return false
        }
        epochsWithoutImprovement += 1
        return epochsWithoutImprovement >= rule.patience
    }
}
