/// E[φ], E[φ²] and E[φ'²] for x ~ N(0,1).
public struct GaussianMoments: Sendable, Equatable {
    public let mean: Double
    public let meanSquare: Double
    public let derivativeMeanSquare: Double

    public init(mean: Double, meanSquare: Double, derivativeMeanSquare: Double) {
        self.mean = mean
        self.meanSquare = meanSquare
        self.derivativeMeanSquare = derivativeMeanSquare
    }

    /// E[φ²] − E[φ]² (not clamped: it can be a rounding error below 0 only for
    /// near-constant φ, which `GPNNormalizer` rejects).
    public var variance: Double { meanSquare - mean * mean }
}

/// Which root c of Var[φ] + (E[φ]+c)² = E[φ'²] sets the GPN shift b = a·c.
public enum GPNRoot: String, Sendable {
    /// c₊: a·φ+b has a non-negative mean. The paper's choice for tanh, ReLU,
    /// LeakyReLU, ELU and SELU.
    case nonNegativeMean = "b+"
    /// c₋: a·φ+b has a non-positive mean. The paper's choice for GELU.
    case nonPositiveMean = "b-"
}

/// The constants that make a·φ(x)+b Gaussian–Poincaré normalized:
/// E[(aφ+b)²] = E[(aφ')²] = 1 for x ~ N(0,1).
public struct GPNConstants: Sendable, Equatable {
    /// E[φ'²]^(-1/2).
    public let a: Double
    public let bPlus: Double
    public let bMinus: Double
    public let moments: GaussianMoments

    /// Solves for a and both b from the moments. `name` only labels error messages.
    /// - Throws: `BSNNError.numeric` if a moment is non-finite, E[φ'²] is not positive,
    ///   or Var[φ] exceeds E[φ'²] by more than rounding (1e-9 relative), which the
    ///   Gaussian–Poincaré inequality rules out for a correct derivative.
    public init(moments m: GaussianMoments, name: String = "activation") throws(BSNNError) {
        guard m.mean.isFinite, m.meanSquare.isFinite, m.derivativeMeanSquare.isFinite else {
            throw BSNNError.numeric(
                "GPN constants of '\(name)' need finite moments, got E[φ] = \(m.mean), "
                    + "E[φ²] = \(m.meanSquare), E[φ'²] = \(m.derivativeMeanSquare)")
        }
        guard m.derivativeMeanSquare > 0 else {
            throw BSNNError.numeric(
                "GPN constants of '\(name)' need E[φ'²] > 0, got \(m.derivativeMeanSquare)")
        }
        var radicand = m.derivativeMeanSquare - m.variance
        if radicand < 0 {
            // Equality Var = E[φ'²] holds for affine φ, so rounding can land just below 0.
            guard radicand >= -1e-9 * m.derivativeMeanSquare else {
                throw BSNNError.numeric(
                    "'\(name)' has Var[φ] = \(m.variance) > E[φ'²] = \(m.derivativeMeanSquare), "
                        + "impossible for a correct derivative (Gaussian–Poincaré inequality); "
                        + "check the derivative and that every kink or jump is a declared breakpoint")
            }
            radicand = 0
        }
        let root = radicand.squareRoot()
        a = 1 / m.derivativeMeanSquare.squareRoot()
        bPlus = a * (-m.mean + root)
        bMinus = a * (-m.mean - root)
        moments = m
    }

    public func b(_ root: GPNRoot) -> Double {
        switch root {
        case .nonNegativeMean: return bPlus
        case .nonPositiveMean: return bMinus
        }
    }
}

extension GPNRoot {
    /// bsnn's default root, used by every door (Swift, C, Python, CLI) when the caller
    /// names none: the paper's Table-1 choice, b₋ for a function named "gelu" and b₊ for
    /// every other. With b₊, GELU-GPN's forward norm map x ↦ E[φ(√q z)²] has slope > 1 at
    /// q = 1 and a deep net explodes; b₋ makes the fixed point attracting, so the default
    /// is also what `bsnn reproduce` needs to match the paper.
    public static func `default`(for activationName: String) -> GPNRoot {
        activationName == "gelu" ? .nonPositiveMean : .nonNegativeMean
    }

    /// The paper's Table-1 root, which is the default (kept as the name the
    /// reproductions use).
    public static func paper(for activationName: String) -> GPNRoot { .default(for: activationName) }
}
