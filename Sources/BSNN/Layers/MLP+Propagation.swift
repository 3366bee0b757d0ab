/// What the backward pass hands to its visitor for one layer, after that layer's input
/// gradient has been computed (so the visitor may update the layer's weights in place).
/// Pointers are valid only during the visit.
struct LayerGradient {
    let index: Int
    let layer: DenseLayer
    /// outputs × inputs. Otherwise ∂E/∂W. For row-normalized layers it is G = diag(r)·∂E/∂W
    /// and ∂E/∂V is G − diag(rowProjection)·V, applied lazily by the consumer (the
    /// optimizer fuses it into its update pass; `parameterGradient()` spells it out).
    let weightGradient: UnsafeMutablePointer<Float>
    /// cᵢ = (gᵢ·vᵢ)·rᵢ² per row, for row-normalized layers; nil otherwise.
    let rowProjection: UnsafePointer<Float>?
    let biasGradient: UnsafeMutablePointer<Float>?
    /// ‖∂E/∂W‖²_F for the effective weight W (what the paper's Fig. 1 plots).
    let effectiveWeightGradientNormSquared: Double
    /// ∂E/∂h for the batch (B × outputs): the paper's y⁽ˡ⁾ rows.
    let outputGradient: UnsafePointer<Float>
    /// The layer's input for the batch (B × inputs): the paper's x⁽ˡ⁾ rows.
    let input: UnsafePointer<Float>
    let batch: Int

    /// ∂E/∂(stored parameter) as a new array (projection applied): for tests and tools.
    func parameterGradient() -> [Float] {
        let cols = layer.inputs
        var out = Array(UnsafeBufferPointer(start: weightGradient, count: layer.weight.count))
        if let c = rowProjection {
            let v = layer.weight.pointer
            for i in 0..<layer.outputs {
                for j in 0..<cols { out[i * cols + j] -= c[i] * v[i * cols + j] }
            }
        }
        return out
    }
}

extension MLP {
    /// Runs the batch forward; returns the logits buffer (B × outputs) of `ws`.
    /// `input` holds B × inputs floats.
    @discardableResult
    func forward(_ input: UnsafePointer<Float>, workspace ws: Workspace, storeDerivatives: Bool = true) throws
        -> UnsafeMutablePointer<Float>
    {
        let batch = ws.batch
        ws.xs[0].pointer.update(from: input, count: batch * configuration.inputs)
        let act = configuration.activation
        for (l, layer) in layers.enumerated() {
            let isOutput = l == layers.count - 1
            // Pre-activations go to a scratch buffer, not in place: with distinct input
            // and output the activation loop vectorizes (an in-place call fails LLVM's
            // runtime overlap check and falls back to the scalar loop, ~3× slower).
            let out = isOutput ? ws.logits.pointer : ws.dxA.pointer
            try BLAS.gemm(
                transposeA: false, transposeB: true, m: batch, n: layer.outputs, k: layer.inputs,
                a: ws.xs[l].pointer, lda: layer.inputs, b: layer.weight.pointer, ldb: layer.inputs,
                c: out, ldc: layer.outputs)
            Self.scaleColumnsAndAddBias(
                out, rows: batch, columns: layer.outputs, scale: layer.rowScale?.pointer,
                bias: layer.bias?.pointer)
            if !isOutput {
                act.apply(
                    out, count: batch * layer.outputs, value: ws.xs[l + 1].pointer,
                    derivative: storeDerivatives ? ws.ds[l].pointer : nil)
            }
        }
        return ws.logits.pointer
    }

    /// h[r, j] = h[r, j]·scale[j] + bias[j]; one pass, vectorizable.
    @inline(__always)
    static func scaleColumnsAndAddBias(
        _ h: UnsafeMutablePointer<Float>, rows: Int, columns: Int,
        scale: UnsafePointer<Float>?, bias: UnsafePointer<Float>?
    ) {
        switch (scale, bias) {
        case (nil, nil): return
        case (let s?, nil):
            for r in 0..<rows { let row = h + r * columns; for j in 0..<columns { row[j] *= s[j] } }
        case (nil, let b?):
            for r in 0..<rows { let row = h + r * columns; for j in 0..<columns { row[j] += b[j] } }
        case (let s?, let b?):
            for r in 0..<rows { let row = h + r * columns; for j in 0..<columns { row[j] = row[j] * s[j] + b[j] } }
        }
    }

    /// Backpropagates `ws.dLogits` (∂E/∂logits, B × outputs) through the network, from the
    /// output layer down, calling `visit` once per layer right after that layer's input
    /// gradient is formed, so the visitor may update the layer in place.
    /// `topGradient`: start instead from a given ∂E/∂x⁽ᵈᵉᵖᵗʰ⁺¹⁾ (B × width, the input of
    /// the output layer), skipping the output layer — the paper's synthetic probe.
    /// `gradientStore`: where to write every layer's weight and bias gradients so they
    /// outlive the visit (default: one shared scratch, reused layer after layer — only
    /// valid during the visit).
    func backward(
        workspace ws: Workspace, topGradient: UnsafePointer<Float>? = nil,
        gradientStore: GradientStore? = nil,
        preciseNorms: Bool = false,
        visit: (LayerGradient) throws -> Void
    ) throws {
        let batch = ws.batch
        var upstream = ws.dLogits.pointer  // ∂E/∂h of the current layer, B × outputs
        var dxFree = ws.dxA
        var top = layers.count - 1
        if let t = topGradient {
            ws.dxB.pointer.update(from: t, count: batch * configuration.width)
            upstream = ws.dxB.pointer
            top -= 1
        }
        for l in stride(from: top, through: 0, by: -1) {
            let layer = layers[l]
            let (g, bg, proj) = gradientStore.map { ($0.weights[l].pointer, $0.biases[l].pointer, $0.projections[l].pointer) }
                ?? (ws.gradient.pointer, ws.biasGradient.pointer, ws.projection.pointer)
            let out = layer.outputs, inp = layer.inputs
            if l < layers.count - 1 {
                // ∂E/∂h = ∂E/∂x⁽ˡ⁺¹⁾ ⊙ a·φ'(h), into the derivative buffer; the bias
                // gradient and the row-norm column scaling ride along in the same pass.
                let d = ws.ds[l].pointer
                Self.gateBackwardSignal(
                    upstream, derivative: d, rows: batch, columns: out,
                    biasGradient: layer.bias == nil ? nil : bg)
                upstream = d
            } else if layer.bias != nil {
                Self.columnSums(upstream, rows: batch, columns: out, into: bg)
            }
            // For row-normalized layers, s = ∂E/∂h·diag(r) is the signal through V.
            var through: UnsafePointer<Float> = UnsafePointer(upstream)
            if let rs = layer.rowScale {
                Self.scaleColumns(upstream, rows: batch, columns: out, scale: rs.pointer, into: ws.scaledSignal.pointer)
                through = UnsafePointer(ws.scaledSignal.pointer)
            }
            let dx = dxFree.pointer
            if l > 0 {
                // ∂E/∂x⁽ˡ⁾ = s · V   (B×out · out×in), uses the weights before any update.
                try BLAS.gemm(
                    transposeA: false, transposeB: false, m: batch, n: inp, k: out,
                    a: through, lda: out, b: layer.weight.pointer, ldb: inp, c: dx, ldc: inp)
            }
            // ∂E/∂V (unprojected) = sᵀ · x⁽ˡ⁾   (out×B · B×in).
            try BLAS.gemm(
                transposeA: true, transposeB: false, m: out, n: inp, k: batch,
                a: through, lda: out, b: ws.xs[l].pointer, ldb: inp, c: g, ldc: inp)
            let normSquared: Double
            if let rs = layer.rowScale {
                normSquared = Self.rowProjection(
                    g, weight: layer.weight.pointer, rowScale: rs.pointer, rows: out, columns: inp,
                    precise: preciseNorms, into: proj)
            } else {
                let fast = preciseNorms ? Double.nan : BLAS.sumOfSquaresFast(g, count: out * inp)
                normSquared = fast.isFinite ? fast : BLAS.sumOfSquares(g, count: out * inp)
            }
            try visit(
                LayerGradient(
                    index: l, layer: layer, weightGradient: g, rowProjection: layer.rowScale == nil ? nil : UnsafePointer(proj),
                    biasGradient: layer.bias == nil ? nil : bg,
                    effectiveWeightGradientNormSquared: normSquared, outputGradient: UnsafePointer(upstream),
                    input: UnsafePointer(ws.xs[l].pointer), batch: batch))
            if l > 0 {
                upstream = dx
                dxFree = dxFree === ws.dxA ? ws.dxB : ws.dxA
            }
        }
    }

    /// d[r,j] = up[r,j]·d[r,j]; optionally biasGradient[j] = Σ_r d[r,j].
    @inline(__always)
    static func gateBackwardSignal(
        _ up: UnsafePointer<Float>, derivative d: UnsafeMutablePointer<Float>, rows: Int, columns: Int,
        biasGradient: UnsafeMutablePointer<Float>?
    ) {
        for i in 0..<(rows * columns) { d[i] *= up[i] }
        if let bg = biasGradient { columnSums(d, rows: rows, columns: columns, into: bg) }
    }

    @inline(__always)
    static func columnSums(_ m: UnsafePointer<Float>, rows: Int, columns: Int, into out: UnsafeMutablePointer<Float>) {
        out.update(repeating: 0, count: columns)
        for r in 0..<rows {
            let row = m + r * columns
            for j in 0..<columns { out[j] += row[j] }
        }
    }

    @inline(__always)
    static func scaleColumns(
        _ m: UnsafePointer<Float>, rows: Int, columns: Int, scale: UnsafePointer<Float>,
        into out: UnsafeMutablePointer<Float>
    ) {
        for r in 0..<rows {
            let src = m + r * columns, dst = out + r * columns
            for j in 0..<columns { dst[j] = src[j] * scale[j] }
        }
    }

    /// For G = diag(r)·∂E/∂W (what the GEMM produced from the scaled signal), the
    /// projection coefficients cᵢ = (gᵢ·vᵢ)·rᵢ², so that ∂E/∂vᵢ = gᵢ − cᵢ·vᵢ (the gradient
    /// through the normalization has no component along vᵢ). Returns ‖∂E/∂W‖²_F =
    /// Σᵢ ‖gᵢ‖²/rᵢ². One pass over G and V; `precise` accumulates the norm in double
    /// (diagnostics) instead of float (training checks).
    @inline(__always)
    static func rowProjection(
        _ g: UnsafePointer<Float>, weight v: UnsafePointer<Float>, rowScale r: UnsafePointer<Float>,
        rows: Int, columns: Int, precise: Bool, into c: UnsafeMutablePointer<Float>
    ) -> Double {
        var total = 0.0
        for i in 0..<rows {
            let gi = g + i * columns, vi = v + i * columns
            let (dot, squares) = RowKernels.dotAndSquares(gi, vi, count: columns)
            // A float sum of squares overflows for |g| ≳ 1e18 although g is finite; the
            // divergence check must see the true value, so redo such a row in double.
            let n2 = precise || !squares.isFinite ? BLAS.sumOfSquares(gi, count: columns) : Double(squares)
            let ri = Double(r[i])
            total += n2 / (ri * ri)
            c[i] = dot * r[i] * r[i]
        }
        return total
    }
}
