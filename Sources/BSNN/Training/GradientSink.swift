/// Where the backward pass hands each layer's gradient, and when the optimizer applies
/// it: the one place the two `UpdateMode`s differ. Both apply the same `ParameterUpdate`
/// to the same gradients in the same layer order, so without divergence they give
/// bit-identical models; they differ in what a non-finite gradient leaves behind.
protocol GradientSink {
    /// Storage that keeps every layer's gradient past its visit; nil: the workspace's
    /// scratch, overwritten by the next layer.
    var store: GradientStore? { get }
    /// Called once per layer, from the output layer down, right after the layer's input
    /// gradient is formed (so its weights may change now).
    mutating func receive(_ gradient: LayerGradient) throws
    /// Called after the backward pass reached the input layer.
    mutating func finish() throws
}

/// `.fused`: each layer is updated the moment its gradient is formed, while gradient and
/// weights are in cache. A non-finite gradient stops the step at that layer, with the
/// layers above it already updated.
struct ApplyNow: GradientSink {
    let update: ParameterUpdate
    let optimizer: OptimizerState
    let step: Int
    var store: GradientStore? { nil }

    func receive(_ g: LayerGradient) throws {
        guard g.effectiveWeightGradientNormSquared.isFinite else {
            throw BSNNError.numeric(
                "divergence at step \(step): the gradient of layer \(g.index) is NaN/Inf (fused update mode: layers above it were already updated in this step)")
        }
        try update.apply(to: g, slots: optimizer.layers[g.index])
    }

    func finish() throws {}
}

/// `.checked`: every layer's gradient is stored and checked; only when all are finite
/// are they applied, so a diverging step changes no weight.
struct StoreThenApply: GradientSink {
    let update: ParameterUpdate
    let optimizer: OptimizerState
    let step: Int
    let buffers: GradientStore
    private var firstBadLayer: Int? = nil

    init(update: ParameterUpdate, optimizer: OptimizerState, step: Int, buffers: GradientStore) {
        self.update = update
        self.optimizer = optimizer
        self.step = step
        self.buffers = buffers
        buffers.pending.removeAll(keepingCapacity: true)
    }

    var store: GradientStore? { buffers }

    mutating func receive(_ g: LayerGradient) throws {
        if !g.effectiveWeightGradientNormSquared.isFinite
            || (g.biasGradient.map { !BLAS.allFinite($0, count: g.layer.outputs) } ?? false)
        {
            firstBadLayer = firstBadLayer ?? g.index
        }
        buffers.pending.append(g)
    }

    func finish() throws {
        defer { buffers.pending.removeAll(keepingCapacity: true) }
        if let l = firstBadLayer {
            throw BSNNError.numeric(
                "divergence at step \(step): the gradient of layer \(l) is NaN/Inf; no weight was changed, the model keeps the weights of the last good step")
        }
        for g in buffers.pending { try update.apply(to: g, slots: optimizer.layers[g.index]) }
    }
}

/// Per-layer gradient buffers for `.checked` steps, allocated once per trainer; the
/// pending list keeps its capacity, so a checked step allocates nothing in steady state.
final class GradientStore {
    let weights: [FloatBuffer]
    let biases: [FloatBuffer]
    let projections: [FloatBuffer]
    var pending: [LayerGradient] = []

    init(model: MLP) throws {
        weights = try model.layers.map { try FloatBuffer(count: $0.weight.count) }
        biases = try model.layers.map { try FloatBuffer(count: $0.outputs) }
        projections = try model.layers.map { try FloatBuffer(count: $0.outputs) }
        pending.reserveCapacity(model.layers.count)
    }
}
