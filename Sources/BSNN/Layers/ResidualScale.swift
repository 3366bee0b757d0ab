/// The scale α of a residual link x⁽ˡ⁺¹⁾ = x⁽ˡ⁾ + α·ψ(W x⁽ˡ⁾ + b) on a square hidden layer.
///
/// Each block adds a branch of roughly unit norm (GPN keeps ψ's second moment at 1), so
/// with a fixed α the forward second moment grows like 1 + l·α² across l blocks (when
/// branches are roughly uncorrelated) and the backward signal grows by the same kind of
/// factor. α = 1 therefore lets ‖x‖ grow like √depth; α = 1/√depth keeps it within
/// about √2 of the input's at any depth (and the backward signal likewise bounded).
public enum ResidualScale: Sendable, Equatable {
    /// The same α on every residual layer, not trained.
    case fixed(Double)
    /// One α per residual layer, initialized to 0 (ReZero: every block starts as the
    /// identity) and trained by the optimizer like a bias.
    case learnable

    /// The name of `.learnable` in model files, the CLI and the bench.
    public static let learnableName = "learnable"

    /// A decimal number (fixed) or `learnableName`; nil for anything else. Finiteness is
    /// checked by `validate()`, so "nan" parses and is then refused with a clear message.
    public init?(text: String) {
        if text == Self.learnableName {
            self = .learnable
        } else if let a = Double(text) {
            self = .fixed(a)
        } else {
            return nil
        }
    }

    /// The value a residual layer starts from.
    var initialValue: Double {
        switch self {
        case .fixed(let a): return a
        case .learnable: return 0
        }
    }

    var isLearnable: Bool { self == .learnable }

    /// α = 1/√depth (1 for depth 0): the fixed scale that keeps the signals bounded at
    /// any depth (see the type's note).
    public static func inverseSquareRootDepth(_ depth: Int) -> ResidualScale {
        .fixed(depth > 0 ? 1 / Double(depth).squareRoot() : 1)
    }

    /// Rejects a non-finite fixed scale.
    public func validate() throws {
        if case .fixed(let a) = self, !a.isFinite {
            throw BSNNError.invalidArgument("residual scale: expected a finite number (or learnable), got \(a)")
        }
    }
}
