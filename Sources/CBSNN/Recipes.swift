// Recipes: the engine's TrainingRecipe presets written into the caller's config structs.
import BSNN
import CBSNNSupport

/// The caller's struct (checked like every config read) when it is large enough to hold
/// `field`, the last field a recipe writes.
func recipeTarget<T, F>(
    _ p: UnsafeMutablePointer<T>, defaults: T, minimum: Int, through field: KeyPath<T, F>, structName: String, argument: String
) throws -> T {
    let value = try readConfig(UnsafePointer(p), defaults: defaults, minimum: minimum, structName: structName, argument: argument)
    let given = UnsafeRawPointer(p).loadUnaligned(as: Int.self)
    let needed = structSize(through: field)
    guard given >= needed else {
        throw invalid("\(argument)->size: a recipe writes fields added in ABI 3; expected >= \(needed) bytes (sizeof(\(structName)) of bsnn.h 0.2), got \(given)")
    }
    return value
}

@_cdecl("bsnn_recipe_apply")
public func bsnn_recipe_apply(
    _ name: UnsafePointer<CChar>?, _ depth: Int, _ model: UnsafeMutablePointer<bsnn_model_config>?,
    _ training: UnsafeMutablePointer<bsnn_training_config>?
) -> Int32 {
    guarded("bsnn_recipe_apply") {
        let recipe = try TrainingRecipe.named(try string(name, "name"))
        let s = recipe.settings(depth: try size(depth, "depth"))
        // Both structs are checked before either is written.
        let m = try model.map {
            try recipeTarget($0, defaults: modelDefaults(), minimum: modelConfigSize01, through: \bsnn_model_config.residual_scale,
                             structName: "bsnn_model_config", argument: "model")
        }
        let t = try training.map {
            try recipeTarget($0, defaults: trainingDefaults(), minimum: trainingConfigSize01, through: \bsnn_training_config.clip_grad_norm,
                             structName: "bsnn_training_config", argument: "training")
        }
        if let p = model, var c = m {
            c.residual = s.residual ? 1 : 0
            c.residual_scale = residualScaleValue(s.residualScale)
            writeConfig(c, to: p, byteCount: c.size)
        }
        if let p = training, var c = t {
            c.optimizer = optimizerCode(s.optimizer)
            c.learning_rate = s.learningRate
            c.momentum = s.momentum
            c.clip_grad_norm = s.clipGradientNorm ?? 0
            writeConfig(c, to: p, byteCount: c.size)
        }
    }
}
