#if canImport(Glibc)
import Glibc
#endif

/// Measures what an activation costs per element on the training path (its batch
/// kernel, value only), so direct and libffi dispatch can be compared on one machine.
public enum ForeignCallTiming {
    /// Evaluates `activation` `evaluations` times over a 4096-element buffer spanning
    /// [-4, 4] and returns wall-clock nanoseconds per element (`CLOCK_MONOTONIC`).
    public static func nanosecondsPerElement(_ activation: Activation, evaluations: Int) -> Double {
        let n = 4096
        let xs = (0..<n).map { Float(-4 + 8 * Double($0) / Double(n - 1)) }
        var ys = [Float](repeating: 0, count: n)
        let rounds = max(1, evaluations / n)
        var start = timespec(), end = timespec()
        xs.withUnsafeBufferPointer { xb in
            ys.withUnsafeMutableBufferPointer { yb in
                clock_gettime(CLOCK_MONOTONIC, &start)
                for _ in 0..<rounds { activation.evaluate(xb, value: yb, derivative: nil) }
                clock_gettime(CLOCK_MONOTONIC, &end)
            }
        }
        let seconds = Double(end.tv_sec - start.tv_sec) + Double(end.tv_nsec - start.tv_nsec) * 1e-9
        return seconds * 1e9 / Double(rounds * n)
    }
}
