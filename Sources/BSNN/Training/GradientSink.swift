/// How a step's backward pass hands each layer's gradient to the optimizer: the one
/// place the two `UpdateMode`s differ. Both apply the same `ParameterUpdate` to
/// bit-identical gradients, layer by layer from the output layer down, so without
/// divergence they give bit-identical models; they differ in what a non-finite gradient
/// leaves behind.
protocol GradientSink {
    /// Runs the backward pass of the batch whose forward pass and loss gradient are in
    /// `ws`, applying the update to every layer.
    func backpropagate(through model: MLP, workspace ws: MLP.Workspace) throws
}

/// `.fused`: each layer is updated the moment its gradient is formed, while gradient and
/// weights are in cache. A non-finite gradient stops the step at that layer, with the
/// layers above it already updated.
struct ApplyNow: GradientSink {
    let update: ParameterUpdate
    let optimizer: OptimizerState
    let step: Int

    func backpropagate(through model: MLP, workspace ws: MLP.Workspace) throws {
        try model.backward(workspace: ws) { g in
            guard g.effectiveWeightGradientNormSquared.isFinite, g.residualScaleGradient?.isFinite ?? true else {
                throw BSNNError.numeric(
                    "divergence at step \(step): the gradient of layer \(g.index) is NaN/Inf (fused update mode: layers above it were already updated in this step)")
            }
            try update.apply(to: g, slots: optimizer.layers[g.index])
        }
    }
}

/// `.checked`: the backward signals of all layers are stored first (they fit in the
/// workspace, B × width per layer) and every layer's gradient is shown to be finite;
/// only then are the gradients formed again layer by layer from the stored signals and
/// applied, each while it is in cache. A diverging step changes no weight, and no
/// layer's full gradient is ever kept (a store of them would cost the size of the model).
struct CheckThenApply: GradientSink {
    let update: ParameterUpdate
    let optimizer: OptimizerState
    let step: Int

    func backpropagate(through model: MLP, workspace ws: MLP.Workspace) throws {
        if let l = try model.backwardSignals(workspace: ws) {
            throw BSNNError.numeric(
                "divergence at step \(step): the gradient of layer \(l) is NaN/Inf; no weight was changed, the model keeps the weights of the last good step")
        }
        try model.backwardGradients(workspace: ws) { g in try update.apply(to: g, slots: optimizer.layers[g.index]) }
    }
}
