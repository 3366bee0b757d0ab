#if canImport(Glibc)
import Glibc
#endif

/// Multiplier applied to the base learning rate at optimizer step t (t starts at 0).
public enum LearningRateSchedule: Sendable, Equatable {
    case constant
    /// × factor every `every` steps.
    case step(every: Int, factor: Double)
    /// Half-cosine from 1 down to `minimumFactor` over `totalSteps`, then flat.
    case cosine(totalSteps: Int, minimumFactor: Double)

    public func factor(at step: Int) -> Double {
        switch self {
        case .constant:
            return 1
        case .step(let every, let factor):
            guard every > 0 else { return 1 }
            return pow(factor, Double(step / every))
        case .cosine(let total, let minimum):
            guard total > 0 else { return 1 }
            let progress = min(Double(step) / Double(total), 1)
            return minimum + (1 - minimum) * 0.5 * (1 + cos(Double.pi * progress))
        }
    }

    func validate() throws(BSNNError) {
        switch self {
        case .constant: return
        case .step(let every, let factor):
            guard every > 0, factor.isFinite, factor > 0 else {
                throw BSNNError.invalidArgument("step schedule: expected every > 0 and factor > 0, got \(every), \(factor)")
            }
        case .cosine(let total, let minimum):
            guard total > 0, minimum.isFinite, minimum >= 0, minimum <= 1 else {
                throw BSNNError.invalidArgument("cosine schedule: expected totalSteps > 0 and minimumFactor in [0, 1], got \(total), \(minimum)")
            }
        }
    }
}
