/// The per-coordinate adaptive-rate rules that keep one slot, the running square of the
/// gradient: RMSProp (an exponential average) and AdaGrad (a sum). Same contract as
/// `ParameterUpdate.apply`: gradient `(g − c·p)·gradientScale` (c: the row projection of a row-normalized
/// layer, else 0), decoupled decay first, slot `v` updated in place.
/// `abs(v).squareRoot()`: v ≥ 0 (or NaN) already, so abs changes no value, but it lets the
/// compiler prove the root's argument non-negative, drop libm's errno path and vectorize
/// the loop (without it every element takes a scalar sqrt and a branch).
extension ParameterUpdate {
    /// v ← β₂v + (1−β₂)g²; p ← p·(1−ηλ) − η·g/(√v + ε)
    @inline(__always)
    func applyRMSProp(
        _ p: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, projection c: Float,
        _ v: UnsafeMutablePointer<Float>, count n: Int
    ) {
        let lr = learningRate, d = decay, b2 = beta2, ob2 = 1 - beta2, eps = epsilon, k = gradientScale
        for i in 0..<n {
            let gi = (g[i] - c * p[i]) * k
            let vi = b2 * v[i] + ob2 * gi * gi
            v[i] = vi
            p[i] = p[i] * d - lr * gi / (abs(vi).squareRoot() + eps)
        }
    }

    /// v ← v + g²; p ← p·(1−ηλ) − η·g/(√v + ε)
    @inline(__always)
    func applyAdaGrad(
        _ p: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, projection c: Float,
        _ v: UnsafeMutablePointer<Float>, count n: Int
    ) {
        let lr = learningRate, d = decay, eps = epsilon, k = gradientScale
        for i in 0..<n {
            let gi = (g[i] - c * p[i]) * k
            let vi = v[i] + gi * gi
            v[i] = vi
            p[i] = p[i] * d - lr * gi / (abs(vi).squareRoot() + eps)
        }
    }
}
