/// Which update rule, with its hyper-parameters. Conventions follow PyTorch so that a
/// learning rate tuned there means the same here.
public enum OptimizerKind: String, Sendable, NamedOption {
    /// p ← p − η·g
    case sgd
    /// Heavy ball: v ← μv + g; p ← p − η·v
    case momentum
    /// Nesterov: v ← μv + g; p ← p − η·(g + μv)
    case nesterov
    /// Adam (Kingma & Ba): bias-corrected moments, p ← p − η·m̂/(√v̂ + ε)
    case adam
    /// RMSProp (Hinton; PyTorch's non-centred form without momentum): v ← β₂v + (1−β₂)g²;
    /// p ← p − η·g/(√v + ε). Reuses Adam's `beta2` as the decay and `epsilon`.
    case rmsprop
    /// AdaGrad (Duchi et al.): v ← v + g²; p ← p − η·g/(√v + ε). Reuses `epsilon`.
    case adagrad

    public static let optionName = "optimizer"

    /// Number of state buffers per parameter.
    var stateSlots: Int {
        switch self {
        case .sgd: return 0
        case .momentum, .nesterov, .rmsprop, .adagrad: return 1
        case .adam: return 2
        }
    }
}

public struct OptimizerConfiguration: Sendable, Equatable {
    public var kind: OptimizerKind
    public var learningRate: Double
    /// μ for momentum/Nesterov (default 0.9; the paper uses 0.5).
    public var momentum: Double
    /// Adam's first-moment decay (default 0.9).
    public var beta1: Double
    /// The second-moment decay of Adam and RMSProp (default 0.999, Adam's; PyTorch's
    /// RMSProp default α is 0.99: pass 0.99 to match it).
    public var beta2: Double
    /// ε in the denominators of Adam, RMSProp and AdaGrad (default 1e-8; PyTorch's
    /// AdaGrad default is 1e-10).
    public var epsilon: Double
    /// Decoupled weight decay λ: p ← p − η·λ·p before the gradient step (AdamW style).
    public var weightDecay: Double
    public var schedule: LearningRateSchedule

    public init(
        kind: OptimizerKind = .momentum, learningRate: Double = 0.01, momentum: Double = 0.9,
        beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8, weightDecay: Double = 0,
        schedule: LearningRateSchedule = .constant
    ) {
        self.kind = kind
        self.learningRate = learningRate
        self.momentum = momentum
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.schedule = schedule
    }

    public func validate() throws(BSNNError) {
        guard learningRate.isFinite, learningRate > 0 else {
            throw BSNNError.invalidArgument("learning rate: expected a finite value > 0, got \(learningRate)")
        }
        guard momentum.isFinite, momentum >= 0, momentum < 1 else {
            throw BSNNError.invalidArgument("momentum: expected 0 <= momentum < 1, got \(momentum)")
        }
        guard beta1.isFinite, beta1 >= 0, beta1 < 1, beta2.isFinite, beta2 >= 0, beta2 < 1 else {
            throw BSNNError.invalidArgument("adam betas: expected each in [0, 1), got \(beta1), \(beta2)")
        }
        guard epsilon.isFinite, epsilon > 0 else {
            throw BSNNError.invalidArgument("epsilon: expected a finite value > 0, got \(epsilon)")
        }
        guard weightDecay.isFinite, weightDecay >= 0 else {
            throw BSNNError.invalidArgument("weight decay: expected a finite value >= 0, got \(weightDecay)")
        }
        try schedule.validate()
    }
}
