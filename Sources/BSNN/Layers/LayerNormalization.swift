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
            let mu = sum(row, count: n) * scale
            let s = 1 / (squaredDeviations(row, from: mu, count: n) * scale + epsilon).squareRoot()
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
            for j in 0..<n {
                dGamma[j] += dy[j] * x[j]
                dBeta[j] += dy[j]
            }
            let (sumG, sumGX) = scaledSums(gamma, dy, x, count: n)
            let meanG = sumG * scale, meanGX = sumGX * scale, s = inv[r]
            for j in 0..<n { dy[j] = (gamma[j] * dy[j] - meanG - x[j] * meanGX) * s }
        }
    }

    // Row reductions with 8-wide accumulators: a plain Swift loop keeps the float sum in
    // order and runs one dependent add per element (≈10 % of a depth-200 step).

    @inline(__always)
    private static func load(_ p: UnsafePointer<Float>, _ i: Int) -> SIMD8<Float> {
        UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self)
    }

    /// Σⱼ aⱼ.
    @inline(__always)
    static func sum(_ a: UnsafePointer<Float>, count n: Int) -> Float {
        var s0 = SIMD8<Float>(), s1 = SIMD8<Float>()
        var i = 0
        while i + 16 <= n {
            s0 += load(a, i)
            s1 += load(a, i + 8)
            i += 16
        }
        var s = (s0 + s1).sum()
        while i < n {
            s += a[i]
            i += 1
        }
        return s
    }

    /// Σⱼ (aⱼ − c)².
    @inline(__always)
    static func squaredDeviations(_ a: UnsafePointer<Float>, from c: Float, count n: Int) -> Float {
        let cv = SIMD8<Float>(repeating: c)
        var s0 = SIMD8<Float>(), s1 = SIMD8<Float>()
        var i = 0
        while i + 16 <= n {
            let d0 = load(a, i) - cv, d1 = load(a, i + 8) - cv
            s0 += d0 * d0
            s1 += d1 * d1
            i += 16
        }
        var s = (s0 + s1).sum()
        while i < n {
            let d = a[i] - c
            s += d * d
            i += 1
        }
        return s
    }

    /// (Σⱼ γⱼ·dyⱼ, Σⱼ γⱼ·dyⱼ·x̂ⱼ).
    @inline(__always)
    static func scaledSums(
        _ gamma: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>, count n: Int
    ) -> (Float, Float) {
        var g0 = SIMD8<Float>(), g1 = SIMD8<Float>(), t0 = SIMD8<Float>(), t1 = SIMD8<Float>()
        var i = 0
        while i + 16 <= n {
            let a = load(gamma, i) * load(dy, i), b = load(gamma, i + 8) * load(dy, i + 8)
            g0 += a
            g1 += b
            t0 += a * load(x, i)
            t1 += b * load(x, i + 8)
            i += 16
        }
        var g = (g0 + g1).sum(), t = (t0 + t1).sum()
        while i < n {
            let a = gamma[i] * dy[i]
            g += a
            t += a * x[i]
            i += 1
        }
        return (g, t)
    }
}
