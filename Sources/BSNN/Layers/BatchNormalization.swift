/// Batch normalization kernels over a row-major `rows × columns` batch (one column per
/// unit): y = γ·(h−μ_B)/√(σ²_B+ε) + β with the batch's mean μ_B and biased variance σ²_B
/// (divided by the batch size) in training, the running statistics in evaluation. The
/// running variance is updated with the unbiased variance σ²_B·B/(B−1), PyTorch's
/// convention, so its evaluation output matches a PyTorch BatchNorm1d's.
/// Rows are the outer loop everywhere so the per-unit loops vectorize.
enum BatchNormalization {
    /// In place over `h`; also writes ĥ, μ_B, σ²_B and 1/√(σ²_B+ε). Needs rows ≥ 2 (the
    /// trainer rejects a batch of one: its ĥ is identically 0).
    @inline(__always)
    static func forwardTraining(
        _ h: UnsafeMutablePointer<Float>, rows: Int, columns n: Int, gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>,
        epsilon: Float, normalized xh: UnsafeMutablePointer<Float>, mean mu: UnsafeMutablePointer<Float>,
        variance v: UnsafeMutablePointer<Float>, inverseDeviation inv: UnsafeMutablePointer<Float>
    ) {
        let scale = 1 / Float(rows)
        mu.update(repeating: 0, count: n)
        v.update(repeating: 0, count: n)
        for r in 0..<rows {
            let row = h + r * n
            for j in 0..<n { mu[j] += row[j] }
        }
        for j in 0..<n { mu[j] *= scale }
        // Two passes (mean, then squared deviations): E[h²]−μ² cancels catastrophically
        // for units with a large mean.
        for r in 0..<rows {
            let row = h + r * n
            for j in 0..<n {
                let d = row[j] - mu[j]
                v[j] += d * d
            }
        }
        for j in 0..<n {
            v[j] *= scale
            inv[j] = 1 / (v[j] + epsilon).squareRoot()
        }
        for r in 0..<rows {
            let row = h + r * n, x = xh + r * n
            for j in 0..<n {
                let t = (row[j] - mu[j]) * inv[j]
                x[j] = t
                row[j] = gamma[j] * t + beta[j]
            }
        }
    }

    /// In place over `h` with the running statistics: y = (h − r_μ)·a + β with
    /// a = γ/√(r_σ²+ε) formed once per call into `scale` (columns floats).
    @inline(__always)
    static func forwardEvaluation(
        _ h: UnsafeMutablePointer<Float>, rows: Int, columns n: Int, gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>,
        epsilon: Float, runningMean rm: UnsafePointer<Float>, runningVariance rv: UnsafePointer<Float>,
        scale a: UnsafeMutablePointer<Float>
    ) {
        for j in 0..<n { a[j] = gamma[j] / (rv[j] + epsilon).squareRoot() }
        for r in 0..<rows {
            let row = h + r * n
            for j in 0..<n { row[j] = (row[j] - rm[j]) * a[j] + beta[j] }
        }
    }

    /// ∂E/∂y in `signal` → ∂E/∂h in place, through the batch statistics:
    /// ∂E/∂h = γ/σ·(∂E/∂y − mean_B(∂E/∂y) − ĥ·mean_B(∂E/∂y·ĥ)); ∂E/∂γ = Σ_B ∂E/∂y·ĥ and
    /// ∂E/∂β = Σ_B ∂E/∂y into `parameterGradient` (2·columns). `scratch`: 3·columns.
    @inline(__always)
    static func backward(
        _ signal: UnsafeMutablePointer<Float>, rows: Int, columns n: Int, gamma: UnsafePointer<Float>,
        normalized xh: UnsafePointer<Float>, inverseDeviation inv: UnsafePointer<Float>,
        parameterGradient pg: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>
    ) {
        let dGamma = pg, dBeta = pg + n
        dGamma.update(repeating: 0, count: n)
        dBeta.update(repeating: 0, count: n)
        for r in 0..<rows {
            let dy = signal + r * n, x = xh + r * n
            for j in 0..<n {
                dGamma[j] += dy[j] * x[j]
                dBeta[j] += dy[j]
            }
        }
        let k = scratch, meanDy = scratch + n, meanDyX = scratch + 2 * n
        let scale = 1 / Float(rows)
        for j in 0..<n {
            k[j] = gamma[j] * inv[j]
            meanDy[j] = dBeta[j] * scale
            meanDyX[j] = dGamma[j] * scale
        }
        for r in 0..<rows {
            let dy = signal + r * n, x = xh + r * n
            for j in 0..<n { dy[j] = k[j] * (dy[j] - meanDy[j] - x[j] * meanDyX[j]) }
        }
    }

    /// r_μ ← (1−m)·r_μ + m·μ_B, r_σ² ← (1−m)·r_σ² + m·σ²_B·B/(B−1).
    static func updateRunning(
        mean rm: UnsafeMutablePointer<Float>, variance rv: UnsafeMutablePointer<Float>, batchMean mu: UnsafePointer<Float>,
        batchVariance v: UnsafePointer<Float>, columns n: Int, rows: Int, momentum m: Float
    ) {
        let unbias = rows > 1 ? Float(rows) / Float(rows - 1) : 1
        let keep = 1 - m
        for j in 0..<n {
            rm[j] = keep * rm[j] + m * mu[j]
            rv[j] = keep * rv[j] + m * (v[j] * unbias)
        }
    }
}
