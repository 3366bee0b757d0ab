/// When the optimizer touches the weights within a step.
public enum UpdateMode: String, Sendable, NamedOption {
    public static let optionName = "update mode"
    /// Every layer's gradient is formed and checked for NaN/Inf before any weight
    /// changes, so a diverging step always leaves the model at its last good weights.
    /// Costs one extra store and load of all weight gradients per step (at depth 200 a
    /// 200 MB round trip, ~15 % of a step).
    case checked
    /// Each layer is updated during the backward pass while its gradient and weights are
    /// still in cache (fastest). A non-finite loss still stops the step before any
    /// update; a NaN/Inf that first appears in a lower layer's gradient (float overflow
    /// in the backward signal) leaves the layers above it updated, and the error says so.
    case fused
}
