/// Named presets of the settings that decide whether a deep GPN net trains: the
/// optimizer, gradient clipping and the residual links. Every door (Swift, C
/// `bsnn_recipe_apply`, Python `recipe=`, CLI `--recipe`) takes its values from
/// `settings(depth:)`, and a setting the caller gives explicitly wins over the preset's.
/// What each preset achieves on Fashion-MNIST is measured in docs/RECIPES.md.
public enum TrainingRecipe: String, Sendable, NamedOption {
    /// The paper's optimizer: SGD with momentum 0.5 at learning rate 1e-4, no clipping,
    /// no residual links. At depth 200 it crawls (the measurement: 76.0 % test
    /// accuracy after one epoch, 83.3 % after five).
    case paper
    /// For deep nets: residual links with α = 1/√depth (the signals stay bounded at any
    /// depth, and each sample keeps its own path to the output, so the representations
    /// cannot all collapse to one point as in the Adam-1e-4 runs of the plain net), and
    /// Adam at 1e-3, the rate that trains a shallow net. No clipping: Adam's step does
    /// not grow with the gradient's norm, and clipping would cost a second pass.
    case deep

    public static let optionName = "recipe"

    /// What a recipe sets. Everything else (batch size, seed, normalization, dropout,
    /// the optimizer's β/ε, …) keeps its default.
    public struct Settings: Sendable, Equatable {
        public var optimizer: OptimizerKind
        public var learningRate: Double
        /// μ of momentum/Nesterov; kept at the default for the other optimizers.
        public var momentum: Double
        /// nil: no clipping.
        public var clipGradientNorm: Double?
        public var residual: Bool
        /// α of the residual links (the default when `residual` is false).
        public var residualScale: ResidualScale
    }

    /// The preset's values for a net with `depth` square hidden layers.
    public func settings(depth: Int) -> Settings {
        let defaults = OptimizerConfiguration()
        switch self {
        case .paper:
            return Settings(optimizer: .momentum, learningRate: 1e-4, momentum: 0.5, clipGradientNorm: nil,
                            residual: false, residualScale: MLPConfiguration.defaultResidualScale)
        case .deep:
            return Settings(optimizer: .adam, learningRate: 1e-3, momentum: defaults.momentum, clipGradientNorm: nil,
                            residual: true, residualScale: .inverseSquareRootDepth(depth))
        }
    }

    /// Sets the preset's architecture parts (the residual links) on `model`, for its depth.
    public func apply(to model: inout MLPConfiguration) {
        let s = settings(depth: model.depth)
        model.residual = s.residual
        model.residualScale = s.residualScale
    }

    /// Sets the preset's optimizer and clipping on `training`, for a net of `depth`.
    public func apply(to training: inout TrainingConfiguration, depth: Int) {
        let s = settings(depth: depth)
        training.optimizer.kind = s.optimizer
        training.optimizer.learningRate = s.learningRate
        training.optimizer.momentum = s.momentum
        training.clipGradientNorm = s.clipGradientNorm
    }

    /// One line naming the preset's values at `depth`, e.g. for `--help`.
    public func summary(depth: Int) -> String {
        let s = settings(depth: depth)
        var parts = ["\(s.optimizer.rawValue) lr \(s.learningRate)"]
        if s.optimizer == .momentum || s.optimizer == .nesterov { parts.append("momentum \(s.momentum)") }
        parts.append(s.clipGradientNorm.map { "clip-grad-norm \($0)" } ?? "no clipping")
        switch (s.residual, s.residualScale) {
        case (false, _): parts.append("no residual links")
        case (true, .learnable): parts.append("residual links, learnable α")
        case (true, .fixed(let a)) where s.residualScale == .inverseSquareRootDepth(depth):
            parts.append("residual links, α = 1/sqrt(depth) (\(a) at depth \(depth))")
        case (true, .fixed(let a)): parts.append("residual links, α \(a)")
        }
        return parts.joined(separator: ", ")
    }
}
