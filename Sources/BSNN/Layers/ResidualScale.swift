/// The scale α of a residual link x⁽ˡ⁺¹⁾ = x⁽ˡ⁾ + α·ψ(W x⁽ˡ⁾ + b) on a square hidden layer.
///
/// Each block adds a branch of roughly unit second moment (GPN keeps E[ψ²] = 1), and the
/// backward signal gains a term α·Jᵀ per block, so with a fixed α the fluctuating parts
/// of both signals grow like 1 + l·α² across l blocks. α = 1 lets them grow with depth
/// (the probe at depth 200, width 500, tanh-GPN: the forward norm 81×, ‖∂E/∂x‖ 218×);
/// α = 1/√depth keeps ‖∂E/∂x⁽ˡ⁾‖ bounded (within 1.23× across the 200 layers). The mean
/// of ψ (GPN's shift b, the same in every branch) adds coherently, l·α·b after l blocks,
/// so with α = 1/√depth the forward norm still ends near √(2 + depth·b²), which grows
/// like √depth·b (measured 6.1 at depth 200 for tanh, b ≈ 0.39).
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
    public func validate() throws(BSNNError) {
        if case .fixed(let a) = self, !a.isFinite {
            throw BSNNError.invalidArgument("residual scale: expected a finite number (or learnable), got \(a)")
        }
    }
}
