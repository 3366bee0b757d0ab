/// One buffer per layer that holds everything the optimizer reads of that layer's
/// gradient, laid out so one collective sums all of it: G = ∂E/∂V as the backward pass
/// forms it (outputs × inputs, at offset 0, before the row projection), then the bias
/// gradient, the normalization's ∂E/∂γ and ∂E/∂β, and ∂E/∂α of a learnable residual
/// scale. Every entry is linear in the batch's loss gradient, so the sum over processes
/// of each process's bucket is the bucket of the whole global batch. The row
/// projection cᵢ = (gᵢ·vᵢ)·rᵢ² is linear in G too: the update forms it from the summed G
/// (`LayerGradient.projectionDeferred`), so it need not cross the network.
///
/// After the layer buckets comes one step-totals bucket: the loss summed over this
/// process's samples (as a float and its rounding remainder), the samples it classified
/// correctly and its sample count (exact in float up to 2²⁴ samples per step), so that
/// every process reports the global batch's loss and accuracy.
///
/// Allocated once per model (the size of the model's parameters), on the first
/// data-parallel step.
final class GradientBuckets {
    struct Layout {
        let bias: Int?
        let normalization: Int?
        let residualScale: Int?
        let count: Int
    }

    let layouts: [Layout]
    let buffers: [FloatBuffer]
    let totals: FloatBuffer
    /// Buckets started in the current step (the ones `finish` must wait for).
    private(set) var started = 0

    static let totalsCount = 4

    init(model: MLP) throws(BSNNError) {
        var layouts: [Layout] = []
        for (l, layer) in model.layers.enumerated() {
            var n = layer.weight.count
            func take(_ k: Int) -> Int { defer { n += k }; return n }
            let bias = layer.bias == nil ? nil : take(layer.outputs)
            let normalization = model.normalization(l) == nil ? nil : take(2 * layer.outputs)
            let residual = layer.learnsResidualScale ? take(1) : nil
            layouts.append(Layout(bias: bias, normalization: normalization, residualScale: residual, count: n))
        }
        self.layouts = layouts
        buffers = try layouts.map { (layout) throws(BSNNError) in
            try FloatBuffer(count: layout.count, what: "data-parallel gradient bucket")
        }
        totals = try FloatBuffer(count: Self.totalsCount, what: "data-parallel step totals")
    }

    /// Copies layer `g.index`'s gradient into its bucket.
    func store(_ g: LayerGradient) {
        let layout = layouts[g.index], b = buffers[g.index].pointer, layer = g.layer
        b.update(from: g.weightGradient, count: layer.weight.count)
        if let o = layout.bias, let bg = g.biasGradient { (b + o).update(from: bg, count: layer.outputs) }
        if let o = layout.normalization, let ng = g.normalizationGradient { (b + o).update(from: ng, count: 2 * layer.outputs) }
        if let o = layout.residualScale, let ga = g.residualScaleGradient { b[o] = ga }
    }

    /// Zeros bucket `l`: the contribution of a process whose step failed.
    func clear(_ l: Int) { buffers[l].pointer.update(repeating: 0, count: layouts[l].count) }

    func beginStep() { started = 0 }

    /// Starts the next bucket in order (layer buckets from the top, then the totals).
    func startNext(_ exchange: GradientExchange) throws(BSNNError) {
        let i = layouts.count - 1 - started
        if i >= 0 {
            try exchange.start(bucket: i, buffer: buffers[i].pointer, count: layouts[i].count)
        } else {
            try exchange.start(bucket: layouts.count, buffer: totals.pointer, count: Self.totalsCount)
        }
        started += 1
    }

    /// Every bucket not yet started (layers as zeros, then the totals as they are), so
    /// this process makes the same calls as the others whatever happened to its step.
    func startRemaining(_ exchange: GradientExchange) throws(BSNNError) {
        while started < layouts.count + 1 {
            let i = layouts.count - 1 - started
            if i >= 0 { clear(i) }
            try startNext(exchange)
        }
    }

    /// Waits for every started bucket, in the order they were started.
    func finishStarted(_ exchange: GradientExchange) throws(BSNNError) {
        for k in 0..<started {
            let i = layouts.count - 1 - k
            try exchange.finish(bucket: i >= 0 ? i : layouts.count)
        }
        started = 0
    }

    /// Whether every summed layer bucket is finite: a NaN/Inf on any process (or a sum
    /// that overflowed) shows here identically on every process.
    func allFinite() -> Int? {
        for l in stride(from: layouts.count - 1, through: 0, by: -1)
        where !BLAS.allFinite(buffers[l].pointer, count: layouts[l].count) {
            return l
        }
        return nil
    }

    /// The squared global norm of the summed gradients as the optimizer sees them
    /// (∂E/∂V = G − c·V per row for row-normalized layers), times `scale`²: what
    /// gradient clipping compares with its bound.
    func normSquared(model: MLP, workspace ws: MLP.Workspace, scale: Double) -> Double {
        var total = 0.0
        for (l, layer) in model.layers.enumerated() {
            let b = buffers[l].pointer, g = layerGradient(l, model: model, workspace: ws)
            if g.projectionDeferred {
                let v = layer.weight.pointer, cols = layer.inputs
                for i in 0..<layer.outputs {
                    let c = g.projection(row: i), gi = b + i * cols, vi = v + i * cols
                    var s = 0.0
                    for j in 0..<cols { let d = Double(gi[j] - c * vi[j]); s += d * d }
                    total += s
                }
            } else {
                total += BLAS.sumOfSquares(b, count: layer.weight.count)
            }
            // Bias, γ/β and α follow G in the bucket.
            total += BLAS.sumOfSquares(b + layer.weight.count, count: layouts[l].count - layer.weight.count)
        }
        return total * scale * scale
    }

    /// Layer `l`'s summed gradient as the optimizer's input, pointing into its bucket.
    func layerGradient(_ l: Int, model: MLP, workspace ws: MLP.Workspace) -> LayerGradient {
        let layout = layouts[l], b = buffers[l].pointer, layer = model.layers[l]
        return LayerGradient(
            index: l, layer: layer, weightGradient: b, rowProjection: nil,
            biasGradient: layout.bias.map { b + $0 }, normalization: model.normalization(l),
            normalizationGradient: layout.normalization.map { UnsafePointer(b + $0) },
            residualScaleGradient: layout.residualScale.map { b[$0] },
            effectiveWeightGradientNormSquared: .nan, outputGradient: UnsafePointer(ws.dLogits.pointer),
            input: UnsafePointer(ws.xs[l].pointer), batch: ws.batch, projectionDeferred: layer.rowScale != nil)
    }
}
