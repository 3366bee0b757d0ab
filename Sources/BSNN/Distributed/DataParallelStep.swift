/// One optimizer step of a data-parallel run, the `GradientSink` of a trainer with a
/// `GradientExchange`: this process's slice of the global batch is propagated
/// forward and backward, each layer's gradient is copied into its bucket and its sum
/// over the processes started the moment the backward pass has formed it (so the sum
/// of layer l overlaps the backward pass of the layers below), the processes agree on
/// the step's status, and only when every sum is in and finite does any process touch
/// a weight. Every process then applies the same update to the same summed gradient
/// (divided by the process count), so the processes hold bit-identical models.
///
/// Both update modes run this path: the buckets hold every layer's gradient anyway,
/// so the step has checked mode's guarantee (a NaN/Inf anywhere, on any process,
/// changes no weight on any process) at no extra cost in fused mode.
struct DataParallelStep {
    let update: ParameterUpdate
    let optimizer: OptimizerState
    let step: Int
    let clipGradientNorm: Double?
    let exchange: GradientExchange
    let buckets: GradientBuckets

    struct Outcome {
        let loss: Double
        let correct: Int
        let count: Int
        let gradientNorm: Double?
    }

    /// `localStep` runs this process's forward pass and loss into `ws.dLogits` (its
    /// errors are reported to the other processes, which skip the step too) and returns
    /// the local loss (mean over its samples) and correct count. `globalCount` is the
    /// global batch's sample count; this process's loss gradient is weighted by its
    /// share of it, so the sum over processes is the global batch's mean gradient.
    func run(
        model: MLP, workspace ws: MLP.Workspace, localCount: Int, globalCount: Int,
        localStep: () throws(BSNNError) -> (loss: Double, correct: Int)
    ) throws(BSNNError) -> Outcome {
        let n = exchange.processCount
        buckets.beginStep()
        var failure: BSNNError?
        var status = StepStatus.ok
        let totals = buckets.totals.pointer
        do throws(BSNNError) {
            let r = try localStep()
            let weight = Float(localCount * n) / Float(globalCount)
            if weight != 1 { BLAS.scale(ws.dLogits.pointer, count: localCount * model.configuration.outputs, by: weight) }
            // The loss sum as two floats (high part and rounding remainder), so the float
            // collective carries ~48 bits of it rather than 24.
            let lossSum = r.loss * Double(localCount)
            totals[0] = Float(lossSum)
            totals[1] = Float(lossSum - Double(totals[0]))
            totals[2] = Float(r.correct)
            totals[3] = Float(localCount)
            // Only G crosses: the bound check replaces the norm pass, and the projection is
            // formed from the summed G by the update.
            try model.backward(workspace: ws, deferProjection: true) { (g) throws(BSNNError) in
                buckets.store(g)
                try buckets.startNext(exchange)
            }
        } catch {
            failure = error
            status = Self.status(of: error)
            totals.update(repeating: 0, count: GradientBuckets.totalsCount)
        }
        try buckets.startRemaining(exchange)
        let agreed = try exchange.agree(status: status)
        try buckets.finishStarted(exchange)
        if let f = failure { throw f }
        switch agreed {
        case .ok: break
        case .nonFinite:
            throw BSNNError.numeric(
                "divergence at step \(step) on another process of the data-parallel run (its logits, loss or gradient is NaN/Inf); no process changed a weight, every one keeps the weights of the last good step")
        case .failed:
            throw BSNNError.wrongState(
                "step \(step): another process of the data-parallel run failed; no process changed a weight")
        }
        if let l = buckets.allFinite() {
            throw BSNNError.numeric(
                "divergence at step \(step): the summed gradient of layer \(l) is NaN/Inf; no process changed a weight, every one keeps the weights of the last good step")
        }
        var scaled = update
        let mean = 1 / Double(n)
        var norm: Double?
        if let c = clipGradientNorm {
            let measured = buckets.normSquared(model: model, workspace: ws, scale: mean).squareRoot()
            norm = measured
            scaled.gradientScale = Float(measured > c ? mean * (c / measured) : mean)
        } else {
            scaled.gradientScale = Float(mean)
        }
        for l in stride(from: model.layers.count - 1, through: 0, by: -1) {
            try scaled.apply(to: buckets.layerGradient(l, model: model, workspace: ws), slots: optimizer.layers[l])
        }
        let count = Int(totals[3])
        return Outcome(
            loss: count > 0 ? (Double(totals[0]) + Double(totals[1])) / Double(count) : .nan, correct: Int(totals[2]),
            count: count,
            gradientNorm: norm)
    }

    static func status(of error: BSNNError) -> StepStatus {
        if case .numeric = error { return .nonFinite }
        return .failed
    }

    /// The calls of a step that failed on this process before its backward pass (a
    /// batch that failed its checks, a workspace that could not be allocated): zeros
    /// for every bucket and the failure's status, so the other processes skip the step.
    static func join(failure: BSNNError, exchange: GradientExchange, buckets: GradientBuckets) throws(BSNNError) {
        buckets.beginStep()
        buckets.totals.pointer.update(repeating: 0, count: GradientBuckets.totalsCount)
        try buckets.startRemaining(exchange)
        _ = try exchange.agree(status: status(of: failure))
        try buckets.finishStarted(exchange)
    }
}
