extension MLP {
    /// ‖∂E/∂(stored weight)‖²_F of layer l — the gradient the optimizer applies — from
    /// its signal through the stored parameter S (B × out, `through`) and its input X
    /// (B × in), in double. The scratch `ws.gradient` and `ws.projection` are
    /// overwritten, nothing else.
    ///
    /// Unconstrained (and orthogonal) layers: ‖SᵀX‖²_F = Σ_{b,b'} (SSᵀ)[b,b']·(XXᵀ)[b,b']
    /// = ⟨SSᵀ, XXᵀ⟩_F, two symmetric B × B Gram matrices (`syrk`, B²·(in + out)/2
    /// multiply-adds instead of the B·in·out of forming the gradient), used when that is
    /// cheaper: B·(in + out) < in·out, e.g. batch 64 at width 500 (16× fewer). Then
    /// B ≤ in·out/(in + out), so both Grams (2B² ≤ in·out floats) fit in `ws.gradient`.
    ///
    /// Row-normalized layers: S = ∂E/∂h·diag(r), G = SᵀX, and the optimizer applies
    /// ∂E/∂vᵢ = gᵢ − cᵢ·vᵢ with cᵢ = (gᵢ·vᵢ)·rᵢ² (`rowProjection`). Since ‖vᵢ‖ = 1/rᵢ,
    /// ‖∂E/∂vᵢ‖² = ‖gᵢ‖² − 2cᵢ(gᵢ·vᵢ) + cᵢ²/rᵢ² = ‖gᵢ‖² − rᵢ²(gᵢ·vᵢ)², and
    /// gᵢ·vᵢ = Σ_b S[b,i]·(x_b·vᵢ) = Σ_b S[b,i]·U[b,i] with U = X·Vᵀ, which the forward
    /// pass kept (`Workspace.unscaledOutputs`). So ‖∂E/∂V‖² = ⟨SSᵀ, XXᵀ⟩ − Σᵢ rᵢ²(Σ_b S[b,i]U[b,i])²,
    /// again without forming G. The subtraction cancels when the gradient is almost
    /// radial (gᵢ ∥ vᵢ); the result is then small against ‖G‖ and clipping rarely acts
    /// on it, and a negative rounding residue is clamped to 0.
    ///
    /// Otherwise (Gram not cheaper, no kept U, or a Gram that overflows float) the
    /// gradient is formed in scratch, projected element by element as
    /// `ParameterUpdate.apply` does, and squared.
    func parameterGradientNormSquared(of l: Int, through: UnsafePointer<Float>, workspace ws: Workspace) throws(BSNNError) -> Double {
        let layer = layers[l]
        let out = layer.outputs, inp = layer.inputs, b = ws.batch
        let g = ws.gradient.pointer, proj = ws.projection.pointer
        let unscaled = ws.unscaledOutputs?[l] ?? nil
        if b * (inp + out) < inp * out, layer.rowScale == nil || unscaled != nil {
            let signalGram = g, inputGram = g + b * b
            try BLAS.gramUpper(n: b, k: out, a: through, lda: out, c: signalGram, ldc: b)
            try BLAS.gramUpper(n: b, k: inp, a: ws.xs[l].pointer, lda: inp, c: inputGram, ldc: b)
            var total = 0.0
            for i in 0..<b {
                let s = signalGram + i * b, x = inputGram + i * b
                total += Double(s[i]) * Double(x[i])
                var upper = 0.0
                for j in (i + 1)..<b { upper += Double(s[j]) * Double(x[j]) }
                total += 2 * upper
            }
            if let rs = layer.rowScale, let u = unscaled {
                // Row by row over the batch (contiguous, vectorizable), dots in double.
                ws.radialDots.withUnsafeMutableBufferPointer { dots in
                    guard let d = dots.baseAddress, dots.count >= out else { total = .nan; return }
                    d.update(repeating: 0, count: out)
                    for r in 0..<b {
                        let s = through + r * out, x = u.pointer + r * out
                        for i in 0..<out { d[i] += Double(s[i]) * Double(x[i]) }
                    }
                    for i in 0..<out {
                        let ri = Double(rs.pointer[i])
                        total -= ri * ri * d[i] * d[i]
                    }
                }
            }
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
