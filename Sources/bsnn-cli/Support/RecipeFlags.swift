import ArgumentParser
import BSNN

/// `--recipe paper|deep`.
extension TrainingRecipe: ExpressibleByArgument {}

extension TrainingRecipe {
    /// `--help` of `--recipe`: every preset with its values (at the paper's depth 200 where
    /// they depend on the depth) and the precedence rule.
    static var flagHelp: ArgumentHelp {
        let presets = allCases.map { "\($0.rawValue): \($0.summary(depth: 200))" }.joined(separator: "; ")
        return ArgumentHelp(
            "Preset of the optimizer, clipping and residual links; a flag given explicitly (--optimizer, --lr, --momentum, --clip-grad-norm, --residual/--no-residual, --residual-scale) overrides its value. \(presets).",
            valueName: "NAME")
    }
}

/// The values `train` uses for the settings a recipe can set: the explicit flag, else the
/// recipe's value, else nil (the command's default applies).
struct RecipeResolvedFlags {
    var optimizer: OptimizerKind?
    var lr: Double?
    var momentum: Double?
    /// 0 = off, as `--clip-grad-norm 0`.
    var clipGradNorm: Double?
    var residual: Bool?
    var residualScale: ResidualScale?

    init(recipe: TrainingRecipe?, depth: Int, optimizer: OptimizerKind?, lr: Double?, momentum: Double?,
         clipGradNorm: Double?, residual: Bool?, residualScale: ResidualScale?) {
        let preset = recipe?.settings(depth: depth)
        self.optimizer = optimizer ?? preset?.optimizer
        self.lr = lr ?? preset?.learningRate
        self.momentum = momentum ?? preset?.momentum
        self.clipGradNorm = clipGradNorm ?? preset.map { $0.clipGradientNorm ?? 0 }
        self.residual = residual ?? preset?.residual
        // --no-residual also drops the recipe's α (there is nothing to scale).
        self.residualScale = residualScale ?? (self.residual == true ? preset?.residualScale : nil)
    }
}
