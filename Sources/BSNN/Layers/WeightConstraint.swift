/// The constraint on the square hidden layers (the input and output layers are never
/// constrained, as in the paper).
public enum WeightConstraint: String, Sendable, CaseIterable {
    /// Plain weights, updated by the optimizer as they are.
    case none
    /// The paper's relaxation: the parameter is V and the layer uses
    /// W = diag(1/‖vᵢ‖)·V, so every row of W has unit norm; gradients flow through the
    /// normalization.
    case rowNormalized = "row_norm"
    /// Exactly orthogonal: after every update W is retracted onto the orthogonal group
    /// by QR (sign-corrected), in double precision.
    case orthogonal

    public static func named(_ name: String) throws -> WeightConstraint {
        guard let v = WeightConstraint(rawValue: name) else {
            throw BSNNError.invalidArgument(
                "constraint: expected one of \(allCases.map(\.rawValue).joined(separator: ", ")), got \"\(name)\"")
        }
        return v
    }
}
