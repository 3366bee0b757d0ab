/// One optimizer step's constants, resolved once per step so the per-element loops see
/// only floats. A `GradientSink` decides when it is applied to each layer; the slots it
/// reads and writes belong to the trainer's `OptimizerState`.
struct ParameterUpdate {
    let kind: OptimizerKind
    let learningRate: Float
    let momentum: Float
    let beta1: Float
    let beta2: Float
    let epsilon: Float
    /// 1 − η·λ, applied to the parameter before the gradient step.
    let decay: Float
    /// Adam bias corrections 1/(1−β₁ᵗ), 1/(1−β₂ᵗ) for this step (t ≥ 1).
    let correction1: Float
    let correction2: Float
    /// Multiplies every gradient before the rule sees it: c/‖∇‖ for a clipped step, else
    /// exactly 1 (x·1 = x in IEEE arithmetic, so an unclipped step is bit-identical to
    /// one without the factor). Folded into the update pass rather than a separate pass
    /// over the gradient, which would cost a model-sized read and write per step.
    var gradientScale: Float = 1
    /// Runs half of each large layer's weight update when set (the trainer's, with
    /// OpenBLAS on ≥ 2 threads). Rows, and elements, are updated by the same arithmetic
    /// either way, so the result does not depend on it.
    var helper: UpdateHelper? = nil
    /// Below this many weights a layer's update is not split: the hand-off would cost
    /// more than the half it moves.
    static let splitMinimum = 1 << 16

    init(_ c: OptimizerConfiguration, step: Int) {
        kind = c.kind
        let lr = c.learningRate * c.schedule.factor(at: step)
        learningRate = Float(lr)
        momentum = Float(c.momentum)
        beta1 = Float(c.beta1)
        beta2 = Float(c.beta2)
        epsilon = Float(c.epsilon)
        decay = Float(1 - lr * c.weightDecay)
        let t = Double(step + 1)
        correction1 = Float(1 / (1 - _exp(t * _log(c.beta1 > 0 ? c.beta1 : 1e-300))))
        correction2 = Float(1 / (1 - _exp(t * _log(c.beta2 > 0 ? c.beta2 : 1e-300))))
    }

    /// Updates `n` parameters `p` from gradient (g − c·p)·gradientScale with state slots `s1`, `s2`.
    /// For a row of a row-normalized layer `c` is its projection coefficient, so the
    /// gradient through the normalization is formed on the fly from the row before its
    /// update (one pass instead of a projection pass plus an update pass); elsewhere
    /// c = 0, which leaves finite gradients exactly as they are.
    @inline(__always)
    func apply(
        _ p: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, projection c: Float = 0,
        _ s1: UnsafeMutablePointer<Float>?, _ s2: UnsafeMutablePointer<Float>?, count n: Int
    ) {
        let lr = learningRate, mu = momentum, d = decay, k = gradientScale
        switch kind {
        case .sgd:
            for i in 0..<n {
                let gi = (g[i] - c * p[i]) * k
                p[i] = p[i] * d - lr * gi
            }
        case .momentum:
            guard let v = s1 else { return }
            for i in 0..<n {
                let gi = (g[i] - c * p[i]) * k
                let vi = mu * v[i] + gi
                v[i] = vi
                p[i] = p[i] * d - lr * vi
            }
        case .nesterov:
            guard let v = s1 else { return }
            for i in 0..<n {
                let gi = (g[i] - c * p[i]) * k
                let vi = mu * v[i] + gi
                v[i] = vi
                p[i] = p[i] * d - lr * (gi + mu * vi)
            }
        case .adam:
            guard let m = s1, let v = s2 else { return }
            let b1 = beta1, b2 = beta2, c1 = correction1, c2 = correction2, eps = epsilon
            let ob1 = 1 - b1, ob2 = 1 - b2
            for i in 0..<n {
                let gi = (g[i] - c * p[i]) * k
                let mi = b1 * m[i] + ob1 * gi
                let vi = b2 * v[i] + ob2 * gi * gi
                m[i] = mi
                v[i] = vi
                p[i] = p[i] * d - lr * (mi * c1) / (abs(vi * c2).squareRoot() + eps)  // abs: see AdaptiveRateKernels
            }
        case .rmsprop:
            guard let v = s1 else { return }
            applyRMSProp(p, g, projection: c, v, count: n)
        case .adagrad:
            guard let v = s1 else { return }
            applyAdaGrad(p, g, projection: c, v, count: n)
        }
    }

    /// Applies the step to one layer with its optimizer slots: bias, residual scale (when
    /// learnable), then weights (row by
    /// row for row-normalized layers so each row's new norm is taken while the row is in
    /// L1), then the constraint (row scales or orthogonal retraction).
    func apply(to gradient: LayerGradient, slots: OptimizerState.Layer) throws(BSNNError) {
        let layer = gradient.layer
        if let b = layer.bias, let bg = gradient.biasGradient {
            apply(b.pointer, bg, slots.biasSlot(0), slots.biasSlot(1), count: b.count)
        }
        if let n = gradient.normalization, let ng = gradient.normalizationGradient {
            apply(n.scaleShift.pointer, ng, slots.normalizationSlot(0), slots.normalizationSlot(1), count: n.parameterCount)
        }
        if let a = layer.residualScale, let ga = gradient.residualScaleGradient {
            withUnsafePointer(to: ga) { apply(a.pointer, $0, slots.residualScaleSlot(0), slots.residualScaleSlot(1), count: 1) }
        }
        let job = WeightUpdateRange(update: self, gradient: gradient, slots: (slots.weightSlot(0), slots.weightSlot(1)))
        if let helper, layer.weight.count >= Self.splitMinimum {
            helper.run(job, count: job.count, split: job.half)
        } else {
            job.run(0, job.count)
        }
        if !job.byRows && layer.constraint == .orthogonal { try layer.retractToOrthogonal() }
    }
}

/// One layer's weight update over a range: of rows for a row-normalized layer (each
/// row's cᵢ formed from the row before its update, while the row is in L1, and its new
/// inverse norm taken), else of elements. Disjoint ranges touch disjoint data, so two
/// threads can run two of them at once (`UpdateHelper`), with the same arithmetic per
/// row and per element as one call over everything.
struct WeightUpdateRange {
    let update: ParameterUpdate
    let gradient: LayerGradient
    let slots: (UnsafeMutablePointer<Float>?, UnsafeMutablePointer<Float>?)

    var byRows: Bool {
        gradient.layer.rowScale != nil && (gradient.rowProjection != nil || gradient.projectionDeferred)
    }
    /// The range's end: rows, or elements.
    var count: Int { byRows ? gradient.layer.outputs : gradient.layer.weight.count }
    /// Where a two-thread split cuts it: half the rows (a row boundary for elements too).
    var half: Int { gradient.layer.outputs / 2 * (byRows ? 1 : gradient.layer.inputs) }

    func run(_ first: Int, _ end: Int) {
        let layer = gradient.layer
        let w = layer.weight.pointer, g = gradient.weightGradient
        let (s1, s2) = slots
        if byRows, let r = layer.rowScale?.pointer {
            let cols = layer.inputs
            for i in first..<end {
                let o = i * cols
                let c = gradient.projection(row: i)
                update.apply(w + o, g + o, projection: c, s1.map { $0 + o }, s2.map { $0 + o }, count: cols)
                r[i] = DenseLayer.inverseRowNorm(w + o, count: cols)
            }
        } else {
            update.apply(w + first, g + first, s1.map { $0 + first }, s2.map { $0 + first }, count: end - first)
        }
    }
}
