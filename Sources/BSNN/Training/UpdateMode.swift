/// When the optimizer touches the weights within a step.
public enum UpdateMode: String, Sendable, NamedOption {
    public static let optionName = "update mode"
    /// Every layer's gradient is formed and checked for NaN/Inf before any weight
    /// changes, so a diverging step always leaves the model at its last good weights.
    /// Costs one extra store and load of all weight gradients per step (at depth 200 a
    /// 200 MB round trip, ~15 % of a step).
    case checked
    /// Each layer is updated during the backward pass while its gradient and weights are
    /// still in cache (fastest). A non-finite loss still stops the step before any
    /// update; a NaN/Inf that first appears in a lower layer's gradient (float overflow
    /// in the backward signal) leaves the layers above it updated, and the error says so.
    case fused
}

/// Per-layer gradient buffers for `.checked` steps, allocated once per model.
final class GradientStore {
    let weights: [FloatBuffer]
    let biases: [FloatBuffer]
    let projections: [FloatBuffer]
    init(model: MLP) throws {
        weights = try model.layers.map { try FloatBuffer(count: $0.weight.count) }
        biases = try model.layers.map { try FloatBuffer(count: $0.outputs) }
        projections = try model.layers.map { try FloatBuffer(count: $0.outputs) }
    }
}

/// A few gradient buffers reused round-robin by overlapped fused steps (layer l uses
/// slot l mod slots), each big enough for the largest layer.
final class GradientRing {
    let weights: [FloatBuffer]
    let biases: [FloatBuffer]
    let projections: [FloatBuffer]
    /// The worker consuming the slots; `slot(for:)` waits until the slot is free.
    var worker: UpdateWorker?
    init(model: MLP, slots: Int) throws {
        let w = model.layers.map { $0.weight.count }.max() ?? 1
        let o = model.layers.map { $0.outputs }.max() ?? 1
        weights = try (0..<slots).map { _ in try FloatBuffer(count: w) }
        biases = try (0..<slots).map { _ in try FloatBuffer(count: o) }
        projections = try (0..<slots).map { _ in try FloatBuffer(count: o) }
    }

    func slot(for layer: Int) -> (weights: UnsafeMutablePointer<Float>, bias: UnsafeMutablePointer<Float>, projection: UnsafeMutablePointer<Float>) {
        let k = layer % weights.count
        // Layer l reuses the slot of layer l + slots: wait until at most slots − 1 later
        // submitted updates are pending, i.e. layer l + slots's update is done (FIFO).
        worker?.wait(untilPendingAtMost: weights.count - 1)
        return (weights[k].pointer, biases[k].pointer, projections[k].pointer)
    }
}
