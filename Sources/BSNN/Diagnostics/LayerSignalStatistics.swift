/// What the training monitor records for one activated layer l (0...depth) at one step,
/// measured on the step's batch with the weights before that step's update. The norms
/// have the signal probe's definitions (`SignalProbeResult`), so a monitored step and a
/// probe of the same weights and batch agree up to float rounding.
public struct LayerSignalStatistics: Sendable, Equatable {
    /// Mean over samples of ‖x⁽ˡ⁺¹⁾‖₂/√width: the layer's output, the representation the
    /// next layer sees (`SignalProbeResult.forwardNorms[l + 1]`).
    public var forwardNorm: Double
    /// Mean over samples of ‖y⁽ˡ⁾‖₂, y⁽ˡ⁾ = ∂E/∂h⁽ˡ⁾ (`SignalProbeResult.backwardNorms[l]`).
    public var backwardNorm: Double
    /// ‖∂E/∂W⁽ˡ⁾‖_F of the minibatch gradient w.r.t. the effective weight
    /// (`SignalProbeResult.batchWeightGradientNorms[l]`).
    public var weightGradientNorm: Double
    /// Mean and standard deviation of a·φ'(h) over the batch and the layer's units (the
    /// gate the backward signal passes through; in a dropout step it includes the mask
    /// and 1/(1−p), so dropped units count as 0).
    public var derivativeMean: Double
    public var derivativeStandardDeviation: Double
    /// Fraction of the batch × width units with |a·φ'(h)| < `saturationThreshold`.
    public var saturatedFraction: Double
    /// Mean cosine similarity between the outputs x⁽ˡ⁺¹⁾ of different samples of the
    /// batch (the off-diagonal mean of the normalized Gram matrix); 1 means every input
    /// is mapped to the same direction. NaN with fewer than two non-zero rows.
    public var cosineSimilarity: Double

    /// A unit is saturated when its gate |a·φ'(h)| is below 1 % of the gate of a GPN
    /// activation at a typical input (E[(a·φ'(z))²] ≈ 1 for z ~ N(0, 1)): it passes
    /// less than a hundredth of the backward signal.
    public static let saturationThreshold = 0.01

    /// The values in `SignalQuantity` order.
    public init(values v: UnsafePointer<Double>, stride: Int) {
        forwardNorm = v[SignalQuantity.forwardNorm.rawValue * stride]
        backwardNorm = v[SignalQuantity.backwardNorm.rawValue * stride]
        weightGradientNorm = v[SignalQuantity.weightGradientNorm.rawValue * stride]
        derivativeMean = v[SignalQuantity.derivativeMean.rawValue * stride]
        derivativeStandardDeviation = v[SignalQuantity.derivativeStandardDeviation.rawValue * stride]
        saturatedFraction = v[SignalQuantity.saturatedFraction.rawValue * stride]
        cosineSimilarity = v[SignalQuantity.cosineSimilarity.rawValue * stride]
    }

    public func value(_ q: SignalQuantity) -> Double {
        switch q {
        case .forwardNorm: return forwardNorm
        case .backwardNorm: return backwardNorm
        case .weightGradientNorm: return weightGradientNorm
        case .derivativeMean: return derivativeMean
        case .derivativeStandardDeviation: return derivativeStandardDeviation
        case .saturatedFraction: return saturatedFraction
        case .cosineSimilarity: return cosineSimilarity
        }
    }

    /// (‖Σᵢ x̂ᵢ‖² − n)/(n(n−1)) over the n rows with a non-zero norm, x̂ᵢ = xᵢ/‖xᵢ‖: the
    /// mean of x̂ᵢ·x̂ⱼ over i ≠ j in O(rows·columns), without the rows × rows Gram matrix.
    /// `sum` is scratch of `columns` doubles.
    static func meanCosineSimilarity(
        _ m: UnsafePointer<Float>, rows: Int, columns: Int, sum: UnsafeMutablePointer<Double>
    ) -> Double {
        sum.update(repeating: 0, count: columns)
        var n = 0
        for r in 0..<rows {
            let row = m + r * columns
            let norm = BLAS.sumOfSquares(row, count: columns).squareRoot()
            guard norm > 0, norm.isFinite else { continue }
            n += 1
            let inverse = 1 / norm
            for j in 0..<columns { sum[j] += Double(row[j]) * inverse }
        }
        guard n >= 2 else { return .nan }
        var total = 0.0
        for j in 0..<columns { total += sum[j] * sum[j] }
        return (total - Double(n)) / (Double(n) * Double(n - 1))
    }

    /// Mean, standard deviation (population) and the fraction below
    /// `saturationThreshold` in absolute value of `count` gate values, in double.
    static func derivativeMoments(_ d: UnsafePointer<Float>, count: Int) -> (mean: Double, std: Double, saturated: Double) {
        guard count > 0 else { return (.nan, .nan, .nan) }
        var s = 0.0, s2 = 0.0, saturated = 0
        let threshold = Float(saturationThreshold)
        for i in 0..<count {
            let v = d[i]
            s += Double(v)
            s2 += Double(v) * Double(v)
            if abs(v) < threshold { saturated += 1 }
        }
        let n = Double(count), mean = s / n
        return (mean, max(s2 / n - mean * mean, 0).squareRoot(), Double(saturated) / n)
    }
}

/// The recorded quantities, in storage (and CSV column) order.
public enum SignalQuantity: Int, CaseIterable, Sendable {
    case forwardNorm, backwardNorm, weightGradientNorm, derivativeMean, derivativeStandardDeviation, saturatedFraction,
        cosineSimilarity

    /// Column name in monitor.csv and key of Python's `History.monitor`.
    public var name: String {
        switch self {
        case .forwardNorm: return "x_norm"
        case .backwardNorm: return "y_norm"
        case .weightGradientNorm: return "grad_norm"
        case .derivativeMean: return "deriv_mean"
        case .derivativeStandardDeviation: return "deriv_std"
        case .saturatedFraction: return "saturated"
        case .cosineSimilarity: return "cosine"
        }
    }
}
