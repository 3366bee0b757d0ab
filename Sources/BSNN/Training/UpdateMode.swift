/// When the optimizer touches the weights within a step.
public enum UpdateMode: String, Sendable, NamedOption {
    public static let optionName = "update mode"
    /// Every layer's gradient is formed and checked for NaN/Inf before any weight
    /// changes, so a diverging step always leaves the model at its last good weights.
    /// Costs a second pass over the backward signals the workspace already holds (B ×
    /// width per layer) and no memory beyond the fused mode's (`CheckThenApply`); that
    /// pass reads each layer's weights once more (benchmarks/RESULTS.md has the time).
    case checked
    /// Each layer is updated during the backward pass while its gradient and weights are
    /// still in cache (fastest). A non-finite loss still stops the step before any
    /// update; a NaN/Inf that first appears in a lower layer's gradient (float overflow
    /// in the backward signal) leaves the layers above it updated, and the error says so.
    /// With `TrainingConfiguration.clipGradientNorm` on, steps run the `.checked` path:
    /// the global norm must be known before the first layer is updated.
    case fused
}
