/// Per-layer signal diagnostics (paper §3.1, Fig. 1–2): how the forward signal x⁽ˡ⁾,
/// the backward signal y⁽ˡ⁾ = ∂E/∂h⁽ˡ⁾ and the weight gradients ∂E/∂W⁽ˡ⁾ evolve with
/// depth. Norms are accumulated in double precision: at depth 200 they span dozens of
/// orders of magnitude, and a float sum of squares would underflow to 0.
public struct SignalProbeResult: Sendable {
    /// Mean over samples of ‖x⁽ˡ⁾‖₂/√dₗ for the input of every layer l = 0...depth and
    /// the output of the last activated layer (count depth + 2; the paper's x⁽¹⁾…x⁽ᴸ⁺¹⁾).
    public var forwardNorms: [Double]
    /// Mean over samples of ‖∂E/∂h⁽ˡ⁾‖₂ for every activated layer l = 0...depth. In a
    /// residual net the hidden layers' ∂E/∂h carries the factor α and layer 0's does not;
    /// `inputGradientNorms` is the signal along the residual stream.
    public var backwardNorms: [Double]
    /// Mean over samples of ‖∂E/∂x⁽ˡ⁾‖₂/√width for the inputs of layers l = 1...depth+1
    /// (count depth + 1; the last is the upstream gradient the probe starts from): the
    /// backward signal that residual links carry (∂E/∂x⁽ˡ⁾ = ∂E/∂x⁽ˡ⁺¹⁾ + α·(…)).
    public var inputGradientNorms: [Double]
    /// Mean over samples of the per-sample ‖∂E/∂W⁽ˡ⁾‖_F = ‖y⁽ˡ⁾‖·‖x⁽ˡ⁾‖ (the quantity of
    /// the paper's Prop. 1 / Thm. 2–3: a single sample's gradient is the rank-one y·xᵀ),
    /// for l = 0...depth.
    public var weightGradientNorms: [Double]
    /// ‖Σ_b ∂E_b/∂W⁽ˡ⁾‖_F, the minibatch gradient (w.r.t. the effective weight) that an
    /// optimizer sees; cross-sample correlations make it vary more with depth.
    public var batchWeightGradientNorms: [Double]
    /// Histogram of scale·φ'(h) over all activated layers, units and samples.
    public var derivativeHistogram: Histogram

    /// max/min of `weightGradientNorms` (∞ if some layer's gradient vanished to 0).
    public var gradientNormRatio: Double { Self.ratio(weightGradientNorms) }

    /// max/min of `batchWeightGradientNorms`: what the optimizer sees across layers.
    public var batchGradientNormRatio: Double { Self.ratio(batchWeightGradientNorms) }

    static func ratio(_ norms: [Double]) -> Double {
        guard let mx = norms.max(), let mn = norms.min() else { return .nan }
        return mn > 0 ? mx / mn : .infinity
    }
}

public struct Histogram: Sendable, Equatable {
    public var lowerBound: Double
    public var upperBound: Double
    public var counts: [Int]
    public var binWidth: Double { (upperBound - lowerBound) / Double(max(counts.count, 1)) }
    public var total: Int { counts.reduce(0, +) }
}

public enum SignalProbe {
    /// Where the backward pass starts.
    public enum Upstream: Sendable {
        /// ∂E/∂x⁽ᵈᵉᵖᵗʰ⁺¹⁾ drawn i.i.d. N(0,1) with this seed (the paper's synthetic setup);
        /// the output layer is skipped.
        case gaussian(seed: UInt64)
        /// A given ∂E/∂x⁽ᵈᵉᵖᵗʰ⁺¹⁾ (batch × width); the output layer is skipped.
        case given([Float])
        /// The gradient of `loss` at these labels, through the output layer.
        case labels([Int32], loss: LossFunction)
    }

    /// Probes `model` on a batch of `batch × inputs` features. Weights are not changed.
    public static func run(
        model: MLP, input: [Float], upstream: Upstream, histogramBins: Int = 60
    ) throws(BSNNError) -> SignalProbeResult {
        let c = model.configuration
        guard !input.isEmpty, input.count % c.inputs == 0 else {
            throw BSNNError.shapeMismatch("probe input: expected a positive multiple of \(c.inputs) values, got \(input.count)")
        }
        guard histogramBins > 0, histogramBins <= 100_000 else {
            throw BSNNError.invalidArgument("histogram bins: expected 1...100000, got \(histogramBins)")
        }
        if let bad = input.firstIndex(where: { !$0.isFinite }) {
            throw BSNNError.numeric("probe input: value \(bad) is \(input[bad]); expected finite")
        }
        let batch = input.count / c.inputs
        // The probe runs the training-mode forward pass (batch statistics).
        try c.checkTrainingBatch(batch, what: "probe input")
        let ws = try MLP.Workspace(model: model, batch: batch)
        try input.withUnsafeBufferPointer { (p) throws(BSNNError) in
            if let b = p.baseAddress { try model.forward(b, workspace: ws) }
        }
        var forward: [Double] = []
        for l in 0..<model.layers.count {
            forward.append(meanRowNorm(ws.xs[l].pointer, rows: batch, columns: model.layers[l].inputs, normalize: true))
        }
        let histogram = derivativeHistogram(ws.ds.map { UnsafePointer($0.pointer) }, count: batch * c.width, bins: histogramBins)

        var top: [Float]? = nil
        switch upstream {
        case .gaussian(let seed):
            var rng = RandomGenerator(seed: seed)
            var g = try MemoryBudget.array(repeating: Float(0), count: try MemoryBudget.elementCount(batch, c.width, what: "probe upstream gradient"), what: "probe upstream gradient")
            g.withUnsafeMutableBufferPointer { rng.fillGaussian($0) }
            top = g
        case .given(let g):
            guard g.count == batch * c.width else {
                throw BSNNError.shapeMismatch("probe upstream gradient: expected \(batch) × \(c.width) values, got \(g.count)")
            }
            top = g
        case .labels(let labels, let loss):
            guard labels.count == batch else {
                throw BSNNError.shapeMismatch("probe labels: expected \(batch), got \(labels.count)")
            }
            _ = try labels.withUnsafeBufferPointer { (lb) throws(BSNNError) in
                try Batch.checkLabels(lb, classes: c.outputs)
                return try loss.evaluate(
                    logits: ws.logits.pointer, batch: batch, outputs: c.outputs, labels: lb.baseAddress,
                    targets: nil, gradient: ws.dLogits.pointer)
            }
        }
        var backward = [Double](repeating: 0, count: c.depth + 1)
        var gradients = [Double](repeating: 0, count: c.depth + 1)
        var batchGradients = [Double](repeating: 0, count: c.depth + 1)
        var inputGradients = [Double](repeating: 0, count: c.depth + 1)
        let visit: (LayerGradient) -> Void = { g in
            if g.index == c.depth + 1, let dx = g.inputGradient {
                inputGradients[c.depth] = meanRowNorm(dx, rows: batch, columns: c.width, normalize: true)
            }
            guard g.index <= c.depth else { return }
            if g.index > 0, let dx = g.inputGradient {
                inputGradients[g.index - 1] = meanRowNorm(dx, rows: batch, columns: c.width, normalize: true)
            }
            let out = g.layer.outputs, inp = g.layer.inputs
            backward[g.index] = meanRowNorm(g.outputGradient, rows: batch, columns: out, normalize: false)
            var perSample = 0.0
            for b in 0..<batch {
                perSample += (BLAS.sumOfSquares(g.outputGradient + b * out, count: out)
                    * BLAS.sumOfSquares(g.input + b * inp, count: inp)).squareRoot()
            }
            gradients[g.index] = perSample / Double(batch)
            batchGradients[g.index] = g.effectiveWeightGradientNormSquared.squareRoot()
        }
        if let t = top {
            inputGradients[c.depth] = t.withUnsafeBufferPointer { p in
                p.baseAddress.map { meanRowNorm($0, rows: batch, columns: c.width, normalize: true) } ?? 0
            }
            try t.withUnsafeBufferPointer { (p) throws(BSNNError) in
                if let b = p.baseAddress { try model.backward(workspace: ws, topGradient: b, preciseNorms: true, visit: visit) }
            }
        } else {
            try model.backward(workspace: ws, preciseNorms: true, visit: visit)
        }
        return SignalProbeResult(
            forwardNorms: forward, backwardNorms: backward, inputGradientNorms: inputGradients, weightGradientNorms: gradients,
            batchWeightGradientNorms: batchGradients, derivativeHistogram: histogram)
    }

    static func meanRowNorm(_ m: UnsafePointer<Float>, rows: Int, columns: Int, normalize: Bool) -> Double {
        var total = 0.0
        for r in 0..<rows { total += BLAS.sumOfSquares(m + r * columns, count: columns).squareRoot() }
        let mean = total / Double(rows)
        return normalize ? mean / Double(columns).squareRoot() : mean
    }

    static func derivativeHistogram(_ buffers: [UnsafePointer<Float>], count: Int, bins: Int) -> Histogram {
        var lo = Double.infinity, hi = -Double.infinity
        for b in buffers {
            for i in 0..<count where b[i].isFinite {
                lo = min(lo, Double(b[i]))
                hi = max(hi, Double(b[i]))
            }
        }
        if !lo.isFinite || !hi.isFinite { lo = 0; hi = 1 }
        if hi - lo < 1e-6 { lo -= 0.5; hi += 0.5 }
        var counts = [Int](repeating: 0, count: bins)
        let scale = Double(bins) / (hi - lo)
        for b in buffers {
            for i in 0..<count where b[i].isFinite {
                let k = Int((Double(b[i]) - lo) * scale)
                counts[min(max(k, 0), bins - 1)] += 1
            }
        }
        return Histogram(lowerBound: lo, upperBound: hi, counts: counts)
    }
}
