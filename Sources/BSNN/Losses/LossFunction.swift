#if canImport(Glibc)
import Glibc
#endif

/// Training objectives. Every loss is the mean over the batch, and its gradient is
/// written with the 1/B factor folded in, so learning rates do not depend on batch size.
public enum LossFunction: String, Sendable, NamedOption {
    /// Softmax cross-entropy with integer class labels, via log-sum-exp.
    case crossEntropy = "cross_entropy"
    /// Mean over samples and outputs of (y − t)²; class labels become one-hot targets.
    case meanSquaredError = "mse"
    /// Per-output sigmoid cross-entropy, log(1 + e^{−|z|}) form; labels become one-hot.
    case binaryLogistic = "binary_logistic"
    /// Huber with δ = 1, mean over samples and outputs; labels become one-hot.
    case huber

    public static let optionName = "loss"

    /// Mean loss over `batch` rows of `outputs` logits and the number of rows whose arg-max
    /// equals the label (0 without labels). Writes ∂(mean loss)/∂logits into `gradient`
    /// when given. Supply `labels` or `targets` (batch × outputs). Labels must already be
    /// classes in 0..<outputs: checked where the data entered the engine (`Batch`,
    /// `Dataset`), not per loss evaluation.
    func evaluate(
        logits: UnsafePointer<Float>, batch: Int, outputs: Int,
        labels: UnsafePointer<Int32>?, targets: UnsafePointer<Float>?,
        gradient: UnsafeMutablePointer<Float>?
    ) throws(BSNNError) -> (loss: Double, correct: Int) {
        guard labels != nil || targets != nil else {
            throw BSNNError.invalidArgument("\(rawValue) loss: expected labels or targets, got neither")
        }
        if self == .crossEntropy && labels == nil {
            throw BSNNError.invalidArgument("cross_entropy loss: expected integer class labels, got float targets")
        }
        var total = 0.0
        var correct = 0
        let invB = 1.0 / Double(batch)
        for r in 0..<batch {
            let z = logits + r * outputs
            let label: Int? = labels.map { Int($0[r]) }
            var best = 0
            for j in 1..<max(outputs, 1) where z[j] > z[best] { best = j }
            if let c = label, best == c { correct += 1 }
            let grad = gradient.map { $0 + r * outputs }
            @inline(__always) func target(_ j: Int) -> Double {
                if let t = targets { return Double(t[r * outputs + j]) }
                return j == label ? 1 : 0
            }
            switch self {
            case .crossEntropy:
                let c = label ?? 0
                var m = -Double.infinity
                for j in 0..<outputs { m = max(m, Double(z[j])) }
                var sum = 0.0
                for j in 0..<outputs { sum += _exp(Double(z[j]) - m) }
                let logSum = m + _log(sum)
                total += logSum - Double(z[c])
                if let g = grad {
                    for j in 0..<outputs {
                        let p = _exp(Double(z[j]) - logSum)
                        g[j] = Float((p - (j == c ? 1 : 0)) * invB)
                    }
                }
            case .meanSquaredError:
                let scale = 1.0 / Double(outputs)
                for j in 0..<outputs {
                    let d = Double(z[j]) - target(j)
                    total += d * d * scale
                    grad?[j] = Float(2 * d * scale * invB)
                }
            case .binaryLogistic:
                for j in 0..<outputs {
                    let x = Double(z[j]), t = target(j)
                    // max(x,0) − x·t + log(1+e^{−|x|}) is exact and overflow-free.
                    total += max(x, 0) - x * t + log1p(_exp(-abs(x)))
                    let sigma = x >= 0 ? 1 / (1 + _exp(-x)) : _exp(x) / (1 + _exp(x))
                    grad?[j] = Float((sigma - t) * invB)
                }
            case .huber:
                let scale = 1.0 / Double(outputs)
                for j in 0..<outputs {
                    let d = Double(z[j]) - target(j)
                    if abs(d) <= 1 {
                        total += 0.5 * d * d * scale
                        grad?[j] = Float(d * scale * invB)
                    } else {
                        total += (abs(d) - 0.5) * scale
                        grad?[j] = Float((d > 0 ? 1 : -1) * scale * invB)
                    }
                }
            }
        }
        return (total * invB, correct)
    }
}
