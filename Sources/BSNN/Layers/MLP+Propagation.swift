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
    /// cᵢ = (gᵢ·vᵢ)·rᵢ² per row, for row-normalized layers; nil otherwise, and nil when
    /// the consumer forms it row by row (`projectionDeferred`).
    let rowProjection: UnsafePointer<Float>?
    let biasGradient: UnsafeMutablePointer<Float>?
    /// The layer's normalization and ∂E/∂γ then ∂E/∂β (2·width); nil when it has none.
    let normalization: NormalizationLayer?
    let normalizationGradient: UnsafePointer<Float>?
    /// ∂E/∂α = Σ ∂E/∂x⁽ˡ⁺¹⁾·ψ̃ of a residual layer with a learnable α; nil otherwise.
    let residualScaleGradient: Float?
    /// ‖∂E/∂W‖²_F for the effective weight W (what the paper's Fig. 1 plots); 0 when a
    /// bound showed the gradient finite without measuring it (`backward(deferProjection:)`).
    let effectiveWeightGradientNormSquared: Double
    /// ∂E/∂h for the batch (B × outputs): the paper's y⁽ˡ⁾ rows.
    let outputGradient: UnsafePointer<Float>
    /// The layer's input for the batch (B × inputs): the paper's x⁽ˡ⁾ rows.
    let input: UnsafePointer<Float>
    let batch: Int
    /// ∂E/∂x⁽ˡ⁾ (B × inputs) for l > 0 in `backward` (for a residual layer it includes the
    /// identity path); nil for layer 0 and in the second pass of a checked step.
    var inputGradient: UnsafePointer<Float>? = nil
    /// True when a row-normalized layer's cᵢ were not formed: the consumer forms each
    /// one right before it updates that row (`ParameterUpdate.apply`), while the row is
    /// in L1, instead of a separate pass over G and V.
    var projectionDeferred = false

    /// ∂E/∂(stored parameter) as a new array (projection applied): for tests and tools.
    func parameterGradient() -> [Float] {
        let cols = layer.inputs
        var out = Array(UnsafeBufferPointer(start: weightGradient, count: layer.weight.count))
        if rowProjection != nil || projectionDeferred {
            let v = layer.weight.pointer
            for i in 0..<layer.outputs {
                let c = projection(row: i)
                for j in 0..<cols { out[i * cols + j] -= c * v[i * cols + j] }
            }
        }
        return out
    }

    /// cᵢ of row i (0 for a layer without row scales): the stored one, or formed now from
    /// the row (the same kernel and order as `MLP.rowProjection`, so the same bits).
    @inline(__always)
    func projection(row i: Int) -> Float {
        if let c = rowProjection { return c[i] }
        guard projectionDeferred, let r = layer.rowScale?.pointer else { return 0 }
        let cols = layer.inputs
        return RowKernels.dot(weightGradient + i * cols, layer.weight.pointer + i * cols, count: cols) * r[i] * r[i]
    }
}

extension MLP {
    /// Runs the batch forward; returns the logits buffer (B × outputs) of `ws`.
    /// `input` holds B × inputs floats. No dropout (evaluation mode).
    @discardableResult
    func forward(_ input: UnsafePointer<Float>, workspace ws: Workspace, storeDerivatives: Bool = true) throws(BSNNError)
        -> UnsafeMutablePointer<Float>
    {
        var none: RandomGenerator? = nil
        return try forward(input, workspace: ws, storeDerivatives: storeDerivatives, dropout: &none)
    }

    /// The forward pass; with a generator in `dropout` (a training step) and a model
    /// whose `dropout` is positive, every hidden activation is dropped out (`Dropout`)
    /// with bits drawn from it. Residual layers write ψ̃ to a branch buffer (the stored
    /// one when α is learnable, scratch otherwise) and add α·ψ̃ to their input.
    @discardableResult
    func forward(
        _ input: UnsafePointer<Float>, workspace ws: Workspace, storeDerivatives: Bool = true,
        dropout rng: inout RandomGenerator?
    ) throws(BSNNError) -> UnsafeMutablePointer<Float> {
        let batch = ws.batch
        ws.xs[0].pointer.update(from: input, count: batch * configuration.inputs)
        let act = configuration.activation
        let p = configuration.dropout
        var generator = p > 0 ? rng : nil
        defer { if generator != nil { rng = generator } }
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
            if let kept = ws.unscaledOutputs?[l] { kept.pointer.update(from: out, count: batch * layer.outputs) }
            Self.scaleColumnsAndAddBias(
                out, rows: batch, columns: layer.outputs, scale: layer.rowScale?.pointer,
                bias: layer.bias?.pointer)
            if isOutput { continue }
            let count = batch * layer.outputs
            let next = ws.xs[l + 1].pointer
            // dxB is free during the forward pass: the scratch branch of a fixed α.
            let branch = layer.residualScale == nil ? next : (ws.branches[l]?.pointer ?? ws.dxB.pointer)
            let derivative = storeDerivatives ? ws.ds[l].pointer : nil
            if let n = normalization(l) { n.forwardTraining(out, rows: batch, workspace: ws.normalization[l]) }
            act.apply(out, count: count, value: branch, derivative: derivative)
            if var g = generator {
                Dropout.apply(probability: p, rng: &g, value: branch, derivative: derivative, count: count)
                generator = g
            }
            if layer.residualScale != nil {
                Self.addScaled(ws.xs[l].pointer, alpha: layer.residualAlpha, branch, into: next, count: count)
            }
        }
        return ws.logits.pointer
    }

    /// out[i] = x[i] + α·branch[i]: the residual add (α = 0 leaves x bit for bit).
    @inline(__always)
    static func addScaled(
        _ x: UnsafePointer<Float>, alpha a: Float, _ branch: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>,
        count n: Int
    ) {
        for i in 0..<n { out[i] = x[i] + a * branch[i] }
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
    /// gradient is formed, so the visitor may update the layer in place. The gradients
    /// live in one shared scratch, valid only during the visit.
    /// `topGradient`: start instead from a given ∂E/∂x⁽ᵈᵉᵖᵗʰ⁺¹⁾ (B × width, the input of
    /// the output layer), skipping the output layer — the paper's synthetic probe.
    ///
    /// `deferProjection` (the optimizer's sinks): a layer whose gradient a bound shows
    /// finite (`weightGradientBound`) gets only the GEMM, with norm 0 and its cᵢ left to
    /// the consumer (`LayerGradient.projectionDeferred`), which saves a pass over G and V
    /// per layer; a layer past the bound is measured as without it.
    func backward(
        workspace ws: Workspace, topGradient: UnsafePointer<Float>? = nil, preciseNorms: Bool = false,
        deferProjection: Bool = false, visit: (LayerGradient) throws(BSNNError) -> Void
    ) throws(BSNNError) {
        let batch = ws.batch
        var upstream = ws.dLogits.pointer  // ∂E/∂h of the current layer, B × outputs
        var dxFree = ws.dxA
        var top = layers.count - 1
        if let t = topGradient {
            ws.dxB.pointer.update(from: t, count: batch * configuration.width)
            upstream = ws.dxB.pointer
            top -= 1
        }
        let g = ws.gradient.pointer, bg = ws.biasGradient.pointer, proj = ws.projection.pointer
        for l in stride(from: top, through: 0, by: -1) {
            let layer = layers[l]
            let dx = dxFree.pointer
            let step = try propagate(through: l, upstream: upstream, workspace: ws, biasGradient: bg, into: dx)
            upstream = step.signal
            let through = step.through
            let deferred = deferProjection && weightGradientBound(of: l, through: through, workspace: ws) == .finite
            var normSquared = 0.0
            if deferred {
                try unprojectedWeightGradient(of: l, through: through, workspace: ws, into: g)
            } else {
                normSquared = try weightGradient(of: l, through: through, workspace: ws, into: g, projection: proj, precise: preciseNorms)
            }
            try visit(
                LayerGradient(
                    index: l, layer: layer, weightGradient: g,
                    rowProjection: layer.rowScale == nil || deferred ? nil : UnsafePointer(proj),
                    biasGradient: layer.bias == nil ? nil : bg, normalization: normalization(l),
                    normalizationGradient: normalizationGradient(of: l, workspace: ws),
                    residualScaleGradient: layer.learnsResidualScale ? ws.residualScaleGradients.pointer[l] : nil,
                    effectiveWeightGradientNormSquared: normSquared, outputGradient: UnsafePointer(upstream),
                    input: UnsafePointer(ws.xs[l].pointer), batch: batch, inputGradient: l > 0 ? UnsafePointer(dx) : nil,
                    projectionDeferred: deferred && layer.rowScale != nil))
            if l > 0 {
                upstream = dx
                dxFree = dxFree === ws.dxA ? ws.dxB : ws.dxA
            }
        }
    }

    /// The first pass of a checked step: the backward signal of every layer, from the
    /// output layer down, with nothing updated. Afterwards ∂E/∂h⁽ˡ⁾ is in `ws.ds[l]` for
    /// every hidden layer (∂E/∂logits stays in `ws.dLogits`), which is all that
    /// `backwardGradients` needs; no layer's weight gradient is kept.
    /// Returns the first layer (from the top) whose bias or weight gradient is not
    /// finite, or nil. A weight gradient sᵀx is finite when ‖s‖_F·‖x‖_F is well below
    /// the float range; only a layer past that bound has its gradient formed (in
    /// scratch) and checked as the fused step checks it.
    func backwardSignals(workspace ws: Workspace) throws(BSNNError) -> Int? {
        var unused = 0.0
        return try backwardSignals(workspace: ws, measureGradientNorm: false, gradientNormSquared: &unused)
    }

    /// `backwardSignals(workspace:)` that, with `measureGradientNorm`, also sums into
    /// `gradientNormSquared` the squared L2 norm of every parameter's gradient as the
    /// optimizer sees it (∂E/∂V with the row projection for row-normalized layers, every
    /// bias, the normalizations' γ and β, and learnable residual scales): the global norm
    /// that gradient clipping needs before any update.
    /// Without it the arithmetic is exactly the plain first pass's.
    func backwardSignals(
        workspace ws: Workspace, measureGradientNorm: Bool, gradientNormSquared: inout Double
    ) throws(BSNNError) -> Int? {
        var upstream = ws.dLogits.pointer
        var dxFree = ws.dxA
        for l in stride(from: layers.count - 1, through: 0, by: -1) {
            let layer = layers[l]
            let bg = ws.biasGradient.pointer, dx = dxFree.pointer
            let step = try propagate(through: l, upstream: upstream, workspace: ws, biasGradient: bg, into: dx)
            upstream = step.signal
            let through = step.through
            if layer.bias != nil && !BLAS.allFinite(bg, count: layer.outputs) { return l }
            if let ng = normalizationGradient(of: l, workspace: ws), !BLAS.allFinite(ng, count: 2 * layer.outputs) { return l }
            if layer.learnsResidualScale && !ws.residualScaleGradients.pointer[l].isFinite { return l }
            if try !weightGradientIsFinite(of: l, through: through, workspace: ws) { return l }
            if measureGradientNorm {
                if layer.bias != nil { gradientNormSquared += BLAS.sumOfSquares(bg, count: layer.outputs) }
                if let ng = normalizationGradient(of: l, workspace: ws) {
                    gradientNormSquared += BLAS.sumOfSquares(ng, count: 2 * layer.outputs)
                }
                if layer.learnsResidualScale {
                    let ga = Double(ws.residualScaleGradients.pointer[l])
                    gradientNormSquared += ga * ga
                }
                gradientNormSquared += try parameterGradientNormSquared(of: l, through: through, workspace: ws)
            }
            if l > 0 {
                upstream = dx
                dxFree = dxFree === ws.dxA ? ws.dxB : ws.dxA
            }
        }
        return nil
    }

    /// The second pass of a checked step: forms each layer's gradient from the signals
    /// `backwardSignals` left in `ws` and visits it, from the output layer down, so the
    /// visitor may update the layer in place (its input gradient is no longer needed).
    /// The arithmetic is the one `backward` does, so the gradients are bit-identical.
    func backwardGradients(workspace ws: Workspace, visit: (LayerGradient) throws(BSNNError) -> Void) throws(BSNNError) {
        for l in stride(from: layers.count - 1, through: 0, by: -1) {
            let upstream = l == layers.count - 1 ? ws.dLogits.pointer : ws.ds[l].pointer
            let layer = layers[l]
            let bg = ws.biasGradient.pointer
            if layer.bias != nil { Self.columnSums(upstream, rows: ws.batch, columns: layer.outputs, into: bg) }
            let through = throughSignal(of: l, upstream: upstream, workspace: ws)
            let g = ws.gradient.pointer
            // The first pass showed every gradient finite: only the GEMM here, the cᵢ
            // formed row by row by the update (as a fused step does).
            try unprojectedWeightGradient(of: l, through: through, workspace: ws, into: g)
            try visit(
                LayerGradient(
                    index: l, layer: layer, weightGradient: g, rowProjection: nil,
                    biasGradient: layer.bias == nil ? nil : bg, normalization: normalization(l),
                    normalizationGradient: normalizationGradient(of: l, workspace: ws),
                    residualScaleGradient: layer.learnsResidualScale ? ws.residualScaleGradients.pointer[l] : nil,
                    effectiveWeightGradientNormSquared: 0, outputGradient: UnsafePointer(upstream),
                    input: UnsafePointer(ws.xs[l].pointer), batch: ws.batch, projectionDeferred: layer.rowScale != nil))
        }
    }

    /// One layer of a backward sweep, shared by `backward` and `backwardSignals` so both
    /// do the same arithmetic: layer l's signal ∂E/∂h (bias gradient into `bg`), the
    /// signal through the stored parameter, and for l > 0 ∂E/∂x⁽ˡ⁾ = s·V into `dx`
    /// (B×out · out×in, with the weights before any update). A residual layer adds the
    /// identity path, ∂E/∂x⁽ˡ⁾ = ∂E/∂x⁽ˡ⁺¹⁾ + s·V, and for a learnable α forms
    /// ∂E/∂α = Σ ∂E/∂x⁽ˡ⁺¹⁾·ψ̃ into `ws.residualScaleGradients`.
    @inline(__always)
    private func propagate(
        through l: Int, upstream: UnsafeMutablePointer<Float>, workspace ws: Workspace,
        biasGradient bg: UnsafeMutablePointer<Float>, into dx: UnsafeMutablePointer<Float>
    ) throws(BSNNError) -> (signal: UnsafeMutablePointer<Float>, through: UnsafePointer<Float>) {
        let layer = layers[l]
        if let b = ws.branches[l] {
            ws.residualScaleGradients.pointer[l] = RowKernels.dot(upstream, b.pointer, count: ws.batch * layer.outputs)
        }
        let s = signal(of: l, upstream: upstream, workspace: ws, biasGradient: bg)
        let through = throughSignal(of: l, upstream: s, workspace: ws)
        if l > 0 {
            let residual = layer.residualScale != nil
            if residual { dx.update(from: upstream, count: ws.batch * layer.inputs) }
            try BLAS.gemm(
                transposeA: false, transposeB: false, m: ws.batch, n: layer.inputs, k: layer.outputs,
                a: through, lda: layer.outputs, b: layer.weight.pointer, ldb: layer.inputs,
                beta: residual ? 1 : 0, c: dx, ldc: layer.inputs)
        }
        return (signal: s, through: through)
    }

    /// ∂E/∂h of layer l from the signal above it: for a hidden layer ∂E/∂x⁽ˡ⁺¹⁾ ⊙ a·φ'(h),
    /// in place in `ws.ds[l]`; for the output layer ∂E/∂logits itself. The bias
    /// gradient rides along in the same pass.
    @inline(__always)
    private func signal(
        of l: Int, upstream: UnsafeMutablePointer<Float>, workspace ws: Workspace, biasGradient bg: UnsafeMutablePointer<Float>
    ) -> UnsafeMutablePointer<Float> {
        let layer = layers[l]
        if l < layers.count - 1, let n = normalization(l) {
            // ∂E/∂(γ·ĥ+β) first, then through the normalization to ∂E/∂h; the bias
            // gradient is the column sum of the latter.
            let d = ws.ds[l].pointer
            Self.gateBackwardSignal(upstream, derivative: d, rows: ws.batch, columns: layer.outputs, biasGradient: nil)
            n.backward(d, rows: ws.batch, workspace: ws.normalization[l])
            if layer.bias != nil { Self.columnSums(d, rows: ws.batch, columns: layer.outputs, into: bg) }
            return d
        }
        if l < layers.count - 1 {
            let d = ws.ds[l].pointer
            if layer.residualScale != nil {
                Self.gateBackwardSignal(
                    upstream, scale: layer.residualAlpha, derivative: d, rows: ws.batch, columns: layer.outputs,
                    biasGradient: layer.bias == nil ? nil : bg)
            } else {
                Self.gateBackwardSignal(
                    upstream, derivative: d, rows: ws.batch, columns: layer.outputs, biasGradient: layer.bias == nil ? nil : bg)
            }
            return d
        }
        if layer.bias != nil { Self.columnSums(upstream, rows: ws.batch, columns: layer.outputs, into: bg) }
        return upstream
    }

    /// ∂E/∂γ, ∂E/∂β of layer l as its backward step left them in `ws`; nil without
    /// normalization (and for the output layer).
    @inline(__always)
    private func normalizationGradient(of l: Int, workspace ws: Workspace) -> UnsafePointer<Float>? {
        l < ws.normalization.count ? UnsafePointer(ws.normalization[l].gradient.pointer) : nil
    }

    /// Commits the batch statistics of the step whose forward pass is in `ws` to every
    /// batch-normalized layer's running statistics (after the step's update succeeded).
    func commitNormalizationStatistics(workspace ws: Workspace) {
        for (n, nws) in zip(normalizations, ws.normalization) { n.commitRunningStatistics(nws, rows: ws.batch) }
    }

    /// The signal through the stored parameter: ∂E/∂h·diag(r) for row-normalized layers
    /// (into `ws.scaledSignal`), ∂E/∂h itself otherwise.
    @inline(__always)
    private func throughSignal(of l: Int, upstream: UnsafeMutablePointer<Float>, workspace ws: Workspace) -> UnsafePointer<Float> {
        guard let rs = layers[l].rowScale else { return UnsafePointer(upstream) }
        Self.scaleColumns(upstream, rows: ws.batch, columns: layers[l].outputs, scale: rs.pointer, into: ws.scaledSignal.pointer)
        return UnsafePointer(ws.scaledSignal.pointer)
    }

    /// ∂E/∂V (unprojected) = sᵀ·x⁽ˡ⁾ into `g`, the row-projection coefficients into
    /// `proj` for row-normalized layers; returns ‖∂E/∂W‖²_F.
    @inline(__always)
    func weightGradient(
        of l: Int, through: UnsafePointer<Float>, workspace ws: Workspace, into g: UnsafeMutablePointer<Float>,
        projection proj: UnsafeMutablePointer<Float>, precise: Bool
    ) throws(BSNNError) -> Double {
        let layer = layers[l]
        let out = layer.outputs, inp = layer.inputs
        try unprojectedWeightGradient(of: l, through: through, workspace: ws, into: g)
        if let rs = layer.rowScale {
            return Self.rowProjection(
                g, weight: layer.weight.pointer, rowScale: rs.pointer, rows: out, columns: inp, precise: precise, into: proj)
        }
        let fast = precise ? Double.nan : BLAS.sumOfSquaresFast(g, count: out * inp)
        return fast.isFinite ? fast : BLAS.sumOfSquares(g, count: out * inp)
    }

    /// Whether layer l's weight gradient (as `weightGradient` forms it) has a finite norm,
    /// decided from a bound where the bound suffices: by Cauchy–Schwarz every entry of
    /// sᵀx is at most ‖s‖_F·‖x‖_F. A zero row scale makes the norm 0/0, as in the fused
    /// check. Past the bound (or with a non-finite sum) the gradient is formed in scratch
    /// and its norm taken.
    private func weightGradientIsFinite(of l: Int, through: UnsafePointer<Float>, workspace ws: Workspace) throws(BSNNError) -> Bool {
        switch weightGradientBound(of: l, through: through, workspace: ws) {
        case .finite: return true
        case .notFinite: return false
        case .undecided:
            let norm = try weightGradient(
                of: l, through: through, workspace: ws, into: ws.gradient.pointer, projection: ws.projection.pointer, precise: false)
            return norm.isFinite
        }
    }

    enum GradientBound { case finite, notFinite, undecided }

    /// What Cauchy–Schwarz says of layer l's weight gradient sᵀx without forming it:
    /// every entry is at most ‖s‖_F·‖x‖_F, so well below the float range it is finite; a
    /// zero row scale makes the norm 0/0 (as the fused check sees it).
    func weightGradientBound(of l: Int, through: UnsafePointer<Float>, workspace ws: Workspace) -> GradientBound {
        let layer = layers[l]
        if let rs = layer.rowScale, (0..<layer.outputs).contains(where: { rs.pointer[$0] == 0 }) { return .notFinite }
        let s2 = RowKernels.dot(through, through, count: ws.batch * layer.outputs)
        let x = ws.xs[l].pointer
        let x2 = RowKernels.dot(x, x, count: ws.batch * layer.inputs)
        // A quarter of the float range leaves room for rounding in the sums.
        if s2.isFinite && x2.isFinite && (Double(s2) * Double(x2)).squareRoot() < Double(Float.greatestFiniteMagnitude) / 4 {
            return .finite
        }
        return .undecided
    }

    /// ∂E/∂V (unprojected) = sᵀ·x⁽ˡ⁾ into `g`: the GEMM alone, without the projection
    /// and norm `weightGradient` adds (for a gradient known finite).
    @inline(__always)
    func unprojectedWeightGradient(
        of l: Int, through: UnsafePointer<Float>, workspace ws: Workspace, into g: UnsafeMutablePointer<Float>
    ) throws(BSNNError) {
        let layer = layers[l]
        try BLAS.gemm(
            transposeA: true, transposeB: false, m: layer.outputs, n: layer.inputs, k: ws.batch,
            a: through, lda: layer.outputs, b: ws.xs[l].pointer, ldb: layer.inputs, c: g, ldc: layer.inputs)
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

    /// d[r,j] = up[r,j]·α·d[r,j] (a residual layer's branch is scaled by α);
    /// optionally biasGradient[j] = Σ_r d[r,j].
    @inline(__always)
    static func gateBackwardSignal(
        _ up: UnsafePointer<Float>, scale a: Float, derivative d: UnsafeMutablePointer<Float>, rows: Int, columns: Int,
        biasGradient: UnsafeMutablePointer<Float>?
    ) {
        for i in 0..<(rows * columns) { d[i] *= up[i] * a }
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
