/// How a step's backward pass hands each layer's gradient to the optimizer: the one
/// place the two `UpdateMode`s differ. Both apply the same `ParameterUpdate` to
/// bit-identical gradients, layer by layer from the output layer down, so without
/// divergence they give bit-identical models; they differ in what a non-finite gradient
/// leaves behind.
protocol GradientSink {
    /// Runs the backward pass of the batch whose forward pass and loss gradient are in
    /// `ws`, applying the update to every layer.
    func backpropagate(through model: MLP, workspace ws: MLP.Workspace) throws(BSNNError)
}

/// `.fused`: each layer is updated the moment its gradient is formed, while gradient and
/// weights are in cache. A non-finite gradient stops the step at that layer, with the
/// layers above it already updated.
struct ApplyNow: GradientSink {
    let update: ParameterUpdate
    let optimizer: OptimizerState
    let step: Int

    func backpropagate(through model: MLP, workspace ws: MLP.Workspace) throws(BSNNError) {
        try model.backward(workspace: ws, deferProjection: true) { (g) throws(BSNNError) in
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
///
/// With `clipGradientNorm` = c the first pass also measures the global norm ‖∇‖ of all
/// parameters' gradients (`MLP.backwardSignals(workspace:measureGradientNorm:…)`), and
/// when ‖∇‖ > c every layer's gradient is multiplied by exactly c/‖∇‖ as its update reads
/// it (`ParameterUpdate.gradientScale`). PyTorch's `clip_grad_norm_` adds 1e-6 to the
/// norm; this does not, so the applied gradient has norm c up to float rounding. The
/// norm before clipping is returned.
struct CheckThenApply: GradientSink {
    let update: ParameterUpdate
    let optimizer: OptimizerState
    let step: Int
    let clipGradientNorm: Double?
    /// Measures the signals of a monitored step between the two passes.
    var monitor: TrainingMonitor? = nil

    func backpropagate(through model: MLP, workspace ws: MLP.Workspace) throws(BSNNError) {
        _ = try backpropagateMeasuring(through: model, workspace: ws)
    }

    /// `backpropagate`, returning the global gradient norm before clipping (nil when
    /// clipping is off: then nothing is measured and the step is the plain checked one).
    func backpropagateMeasuring(through model: MLP, workspace ws: MLP.Workspace) throws(BSNNError) -> Double? {
        var normSquared = 0.0
        if let l = try model.backwardSignals(
            workspace: ws, measureGradientNorm: clipGradientNorm != nil, gradientNormSquared: &normSquared)
        {
            throw BSNNError.numeric(
                "divergence at step \(step): the gradient of layer \(l) is NaN/Inf; no weight was changed, the model keeps the weights of the last good step")
        }
        try monitor?.measureBackward(model: model, workspace: ws)
        guard let c = clipGradientNorm else {
            try model.backwardGradients(workspace: ws) { (g) throws(BSNNError) in
                try update.apply(to: g, slots: optimizer.layers[g.index])
            }
            return nil
        }
        let norm = normSquared.squareRoot()
        var scaled = update
        if norm > c { scaled.gradientScale = Float(c / norm) }
        try model.backwardGradients(workspace: ws) { (g) throws(BSNNError) in
            try scaled.apply(to: g, slots: optimizer.layers[g.index])
        }
        return norm
    }
}
