/// The optimizer's per-parameter slots (SGD: none; momentum and Nesterov: the velocity;
/// Adam: the first and second moments) for weights, biases and learnable residual
/// scales, one set per layer, in the layer order of the
/// model they were made for. Owned by the trainer's `TrainingState`, not by the model:
/// a model trained by two trainers one after the other does not carry one's velocity
/// into the other, and a checkpoint saves exactly what its trainer holds.
final class OptimizerState {
    struct Layer {
        /// `slots` buffers of the layer's weight count.
        let weight: [FloatBuffer]
        /// `slots` buffers of the layer's bias count; empty without biases.
        let bias: [FloatBuffer]
        /// `slots` buffers of 2·width (γ then β) for a normalized layer; empty otherwise.
        let normalization: [FloatBuffer]
        /// `slots` one-float buffers for a learnable residual scale α; empty otherwise.
        let residualScale: [FloatBuffer]

        /// Zeroed slots for one layer and its normalization, if any.
        init(zeroFor layer: DenseLayer, normalization norm: NormalizationLayer?, slots: Int) throws(BSNNError) {
            weight = try (0..<slots).map { (_) throws(BSNNError) in try FloatBuffer(count: layer.weight.count) }
            bias = try (0..<(layer.bias == nil ? 0 : slots)).map { (_) throws(BSNNError) in try FloatBuffer(count: layer.outputs) }
            normalization = try (0..<(norm == nil ? 0 : slots)).map { (_) throws(BSNNError) in try FloatBuffer(count: norm?.parameterCount ?? 0) }
            residualScale = try (0..<(layer.learnsResidualScale ? slots : 0)).map { (_) throws(BSNNError) in try FloatBuffer(count: 1) }
        }

        init(weight: [FloatBuffer], bias: [FloatBuffer], normalization: [FloatBuffer] = [], residualScale: [FloatBuffer] = []) {
            self.weight = weight
            self.bias = bias
            self.normalization = normalization
            self.residualScale = residualScale
        }

        @inline(__always)
        func weightSlot(_ k: Int) -> UnsafeMutablePointer<Float>? { k < weight.count ? weight[k].pointer : nil }
        @inline(__always)
        func biasSlot(_ k: Int) -> UnsafeMutablePointer<Float>? { k < bias.count ? bias[k].pointer : nil }
        @inline(__always)
        func normalizationSlot(_ k: Int) -> UnsafeMutablePointer<Float>? {
            k < normalization.count ? normalization[k].pointer : nil
        }
        @inline(__always)
        func residualScaleSlot(_ k: Int) -> UnsafeMutablePointer<Float>? {
            k < residualScale.count ? residualScale[k].pointer : nil
        }
    }

    /// Empty until the first step (so a checkpoint taken before it has no optimizer
    /// tensors, as the file format allows), then one entry per layer.
    private(set) var layers: [Layer] = []
    private(set) var slotCount = 0

    var isEmpty: Bool { layers.isEmpty }

    /// Zeroed slots for `kind` on every layer of `model`, unless they already exist for
    /// a kind with the same slot count (created once, before the first update).
    func prepare(for model: MLP, kind: OptimizerKind) throws(BSNNError) {
        let slots = kind.stateSlots
        if !layers.isEmpty && slotCount == slots { return }
        layers = try model.layers.indices.map { (l) throws(BSNNError) in
            try Layer(zeroFor: model.layers[l], normalization: model.normalization(l), slots: slots)
        }
        slotCount = slots
    }

    /// Installs slots read from a checkpoint (already shape-checked by the reader).
    func restore(_ restored: [Layer], slots: Int) {
        layers = restored
        slotCount = slots
    }
}
