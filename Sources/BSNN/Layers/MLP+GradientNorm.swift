extension MLP {
    /// ‖∂E/∂(stored weight)‖²_F of layer l from its signal through the stored parameter
    /// S (B × out, `through`) and its input X (B × in), in double; the scratch
    /// `ws.gradient` and `ws.projection` are overwritten, nothing else.
    ///
    /// Row-normalized layers: the GEMM gives G = S̃ᵀX with S̃ = S·diag(r), and the optimizer
    /// applies ∂E/∂vᵢ = gᵢ − cᵢ·vᵢ (cᵢ = (gᵢ·vᵢ)·rᵢ², see `rowProjection`); that vector is
    /// formed element by element exactly as `ParameterUpdate.apply` forms it and squared.
    /// (In closed form ‖∂E/∂vᵢ‖² = ‖gᵢ‖² − rᵢ²(gᵢ·vᵢ)², since ‖vᵢ‖ = 1/rᵢ; the closed form
    /// cancels badly when gᵢ is nearly parallel to vᵢ, the explicit one does not.)
    ///
    /// Other layers: ‖SᵀX‖²_F = Σ_{b,b'} (SSᵀ)[b,b']·(XXᵀ)[b,b'] = ⟨SSᵀ, XXᵀ⟩_F, two B × B
    /// Gram matrices costing B²·(in + out) multiply-adds instead of the B·in·out of forming
    /// the gradient; used when that is cheaper (B·(in + out) < in·out, e.g. batch 64 at
    /// width 500: 8× cheaper). Then B ≤ in·out/(in + out), so both Grams (2B² ≤ in·out
    /// floats) fit in `ws.gradient`. A Gram product that overflows float falls back to
    /// the explicit gradient.
    func parameterGradientNormSquared(of l: Int, through: UnsafePointer<Float>, workspace ws: Workspace) throws -> Double {
        let layer = layers[l]
        let out = layer.outputs, inp = layer.inputs, b = ws.batch
        let g = ws.gradient.pointer, proj = ws.projection.pointer
        if layer.rowScale == nil, b * (inp + out) < inp * out {
            let signalGram = g, inputGram = g + b * b
            let x = ws.xs[l].pointer
            try BLAS.gemm(
                transposeA: false, transposeB: true, m: b, n: b, k: out, a: through, lda: out, b: through, ldb: out,
                c: signalGram, ldc: b)
            try BLAS.gemm(
                transposeA: false, transposeB: true, m: b, n: b, k: inp, a: x, lda: inp, b: x, ldb: inp, c: inputGram, ldc: b)
            var total = 0.0
            for i in 0..<(b * b) { total += Double(signalGram[i]) * Double(inputGram[i]) }
            // Rounding can leave a tiny negative sum for a gradient that is almost zero.
            if total.isFinite { return max(total, 0) }
        }
        _ = try weightGradient(of: l, through: through, workspace: ws, into: g, projection: proj, precise: false)
        guard layer.rowScale != nil else { return BLAS.sumOfSquares(g, count: out * inp) }
        let v = layer.weight.pointer
        var total = 0.0
        for i in 0..<out {
            let c = proj[i], gi = g + i * inp, vi = v + i * inp
            for j in 0..<inp {
                let d = Double(gi[j] - c * vi[j])
                total += d * d
            }
        }
        return total
    }
}
