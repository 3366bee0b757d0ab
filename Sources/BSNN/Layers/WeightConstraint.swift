/// The constraint on the square hidden layers (the input and output layers are never
/// constrained, as in the paper).
public enum WeightConstraint: String, Sendable, NamedOption {
    /// Plain weights, updated by the optimizer as they are.
    case none
    /// The paper's relaxation: the parameter is V and the layer uses
    /// W = diag(1/‖vᵢ‖)·V, so every row of W has unit norm; gradients flow through the
    /// normalization.
    case rowNormalized = "row_norm"
    /// Exactly orthogonal: after every update W is retracted onto the orthogonal group
    /// by QR (sign-corrected), in double precision.
    case orthogonal

    public static let optionName = "constraint"
}
