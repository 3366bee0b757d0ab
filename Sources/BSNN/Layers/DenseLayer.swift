#if canImport(Glibc)
import Glibc
#endif

/// One fully connected layer `h = W·x + b` with row-major `outputs × inputs` storage.
/// For `.rowNormalized` the stored parameter is V and the effective weight is
/// W = diag(rowScale)·V with rowScale[i] = 1/‖vᵢ‖, kept current after every update, so
/// W itself is never materialised (it would cost a 200 MB pass per step at depth 200).
final class DenseLayer {
    let inputs: Int
    let outputs: Int
    let constraint: WeightConstraint
    let weight: FloatBuffer
    let bias: FloatBuffer?
    let rowScale: FloatBuffer?
    /// α of a residual layer (one float: x⁽ˡ⁺¹⁾ = x⁽ˡ⁾ + α·ψ); nil for a plain layer.
    let residualScale: FloatBuffer?
    /// Whether the optimizer trains `residualScale` (ReZero) rather than keeping it fixed.
    let learnsResidualScale: Bool

    init(
        inputs: Int, outputs: Int, constraint: WeightConstraint, bias: Bool, residualScale: ResidualScale? = nil
    ) throws(BSNNError) {
        self.inputs = inputs
        self.outputs = outputs
        self.constraint = constraint
        self.weight = try FloatBuffer(rows: outputs, columns: inputs, what: "weights of a \(outputs)×\(inputs) layer")
        self.bias = bias ? try FloatBuffer(count: outputs) : nil
        self.rowScale = constraint == .rowNormalized ? try FloatBuffer(count: outputs) : nil
        if let r = residualScale {
            let a = try FloatBuffer(count: 1)
            a.pointer[0] = Float(r.initialValue)
            self.residualScale = a
        } else {
            self.residualScale = nil
        }
        learnsResidualScale = residualScale?.isLearnable ?? false
    }

    var parameterCount: Int { inputs * outputs + (bias?.count ?? 0) + (learnsResidualScale ? 1 : 0) }

    /// α as the forward and backward passes use it (1 for a plain layer is never read).
    @inline(__always)
    var residualAlpha: Float { residualScale?.pointer[0] ?? 1 }

    /// 1/‖v‖ for one row of V. The single definition used after updates and on load, so
    /// a reloaded model's row scales are bit-identical to the trained one's (a double
    /// accumulation on load would differ in the last bit and break exact resumption).
    /// Returns +inf for a zero row, which callers treat as divergence.
    @inline(__always)
    static func inverseRowNorm(_ row: UnsafePointer<Float>, count: Int) -> Float {
        // In double: a row whose float sum of squares overflows (‖v‖ ≳ 1.8e19, reachable
        // by a huge learning rate) still has a float norm and inverse norm, so the layer
        // stays usable and its file loads; the float sum would give 1/∞ = 0. A norm that
        // is itself beyond float (or 0) has no usable inverse: 0 (or ∞), which callers
        // reject.
        let norm = BLAS.sumOfSquares(row, count: count).squareRoot()
        guard norm > 0 else { return .infinity }
        guard norm <= Double(Float.greatestFiniteMagnitude) else { return 0 }
        return Float(1 / norm)
    }

    /// Recomputes 1/‖vᵢ‖ for every row (row-normalized layers only).
    func refreshRowScale() throws(BSNNError) {
        guard let rs = rowScale else { return }
        for i in 0..<outputs {
            let s = Self.inverseRowNorm(weight.pointer + i * inputs, count: inputs)
            guard s.isFinite, s > 0 else {
                throw BSNNError.numeric("row \(i) of a row-normalized layer has a zero or non-finite norm; expected a finite, non-zero norm")
            }
            rs.pointer[i] = s
        }
    }

    /// Moves an exactly-orthogonal layer back onto the orthogonal group (QR retraction).
    func retractToOrthogonal() throws(BSNNError) {
        guard constraint == .orthogonal, inputs == outputs else { return }
        let n = inputs
        let m = try QRDecomposition.allocateDoubles(weight.count, what: "orthogonal retraction of a \(n)×\(n) layer")
        defer { free(m) }
        for i in 0..<(n * n) { m[i] = Double(weight.pointer[i]) }
        try QRDecomposition.orthonormalize(m, n: n)
        for i in 0..<(n * n) { weight.pointer[i] = Float(m[i]) }
    }

    /// The effective weight W as a new array (row-normalization applied).
    func effectiveWeight() throws(BSNNError) -> [Float] {
        var w = try weight.checkedArray(what: "effective weights of a \(outputs)×\(inputs) layer")
        if let rs = rowScale {
            for i in 0..<outputs {
                let s = rs.pointer[i]
                for j in 0..<inputs { w[i * inputs + j] *= s }
            }
        }
        return w
    }
}
