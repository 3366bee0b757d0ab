/// Layer normalization kernels over a row-major `rows × columns` batch: each sample
/// (row) is normalized over its units, y = γ·(h−μ)/√(σ²+ε) + β with the row's mean and
/// biased variance, identically in training and evaluation (no running statistics).
enum LayerNormalization {
    /// In place over `h`; writes 1/√(σ²+ε) per row into `inverseDeviation` (rows floats)
    /// and, for the backward pass, ĥ into `normalized` (nil in evaluation: the output is
    /// the same arithmetic either way, so `predict` matches the training forward pass).
    @inline(__always)
    static func forward(
        _ h: UnsafeMutablePointer<Float>, rows: Int, columns n: Int, gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>,
        epsilon: Float, normalized xh: UnsafeMutablePointer<Float>?, inverseDeviation inv: UnsafeMutablePointer<Float>
    ) {
        let scale = 1 / Float(n)
        for r in 0..<rows {
            let row = h + r * n
            var sum: Float = 0
            for j in 0..<n { sum += row[j] }
            let mu = sum * scale
            var squares: Float = 0
            for j in 0..<n {
                let d = row[j] - mu
                squares += d * d
            }
            let s = 1 / (squares * scale + epsilon).squareRoot()
            inv[r] = s
            if let xh {
                let x = xh + r * n
                for j in 0..<n {
                    let t = (row[j] - mu) * s
                    x[j] = t
                    row[j] = gamma[j] * t + beta[j]
                }
            } else {
                for j in 0..<n { row[j] = gamma[j] * ((row[j] - mu) * s) + beta[j] }
            }
        }
    }

    /// ∂E/∂y in `signal` → ∂E/∂h in place: with g = γ⊙∂E/∂y per row,
    /// ∂E/∂h = (g − mean(g) − ĥ·mean(g⊙ĥ))/σ; ∂E/∂γ = Σ_rows ∂E/∂y⊙ĥ and ∂E/∂β = Σ_rows ∂E/∂y
    /// into `parameterGradient` (2·columns).
    @inline(__always)
    static func backward(
        _ signal: UnsafeMutablePointer<Float>, rows: Int, columns n: Int, gamma: UnsafePointer<Float>,
        normalized xh: UnsafePointer<Float>, inverseDeviation inv: UnsafePointer<Float>,
        parameterGradient pg: UnsafeMutablePointer<Float>
    ) {
        let dGamma = pg, dBeta = pg + n
        dGamma.update(repeating: 0, count: n)
        dBeta.update(repeating: 0, count: n)
        let scale = 1 / Float(n)
        for r in 0..<rows {
            let dy = signal + r * n, x = xh + r * n
            var sumG: Float = 0, sumGX: Float = 0
            for j in 0..<n {
                dGamma[j] += dy[j] * x[j]
                dBeta[j] += dy[j]
                let g = gamma[j] * dy[j]
                sumG += g
                sumGX += g * x[j]
            }
            let meanG = sumG * scale, meanGX = sumGX * scale, s = inv[r]
            for j in 0..<n { dy[j] = (gamma[j] * dy[j] - meanG - x[j] * meanGX) * s }
        }
    }
}
