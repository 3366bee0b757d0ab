/// Loss and accuracy over a data set.
public struct Evaluation: Sendable, Equatable {
    public var loss: Double
    /// Fraction of arg-max predictions equal to the label (0 for regression data).
    public var accuracy: Double
    public var count: Int
}

extension MLP {
    /// Rows per internal chunk for prediction; keeps the workspace small and cache-hot.
    static let inferenceChunk = 256

    /// Writes `count × outputs` logits for `count × inputs` features into `output`.
    /// Safe to call from several threads at once while nothing trains the model: each
    /// call has its own `InferenceWorkspace` (2 × 256 rows × max(width, outputs) floats
    /// at most), not a training workspace. Evaluation mode: batch normalization uses the
    /// running statistics (training — `Trainer.step`/`fit`, `SignalProbe` — uses the
    /// batch's), so a sample's logits do not depend on the other samples given with it.
    public func predict(
        _ features: UnsafePointer<Float>, count: Int, into output: UnsafeMutablePointer<Float>
    ) throws(BSNNError) {
        guard count > 0 else { throw BSNNError.invalidArgument("count: expected > 0 samples, got \(count)") }
        let c = configuration
        let ws = try InferenceWorkspace(model: self, rows: min(count, Self.inferenceChunk))
        var start = 0
        while start < count {
            let n = min(ws.rows, count - start)
            try infer(features + start * c.inputs, rows: n, workspace: ws, logits: output + start * c.outputs)
            start += n
        }
    }

    /// Logits for every sample of `features` (row-major, `inputs` columns).
    public func predict(_ features: [Float]) throws(BSNNError) -> [Float] {
        let c = configuration
        guard features.count % c.inputs == 0, features.count > 0 else {
            throw BSNNError.shapeMismatch(
                "features: expected a positive multiple of \(c.inputs) values, got \(features.count)")
        }
        let n = features.count / c.inputs
        var out = try MemoryBudget.array(repeating: Float(0), count: try MemoryBudget.elementCount(n, c.outputs, what: "predictions"), what: "predictions")
        try features.withUnsafeBufferPointer { (f) throws(BSNNError) in
            try out.withUnsafeMutableBufferPointer { (o) throws(BSNNError) in
                guard let fb = f.baseAddress, let ob = o.baseAddress else { return }
                try predict(fb, count: n, into: ob)
            }
        }
        return out
    }

    /// Mean loss and accuracy over a data set, in chunks.
    public func evaluate(_ data: Dataset, loss: LossFunction = .crossEntropy) throws(BSNNError) -> Evaluation {
        try data.withSamples { (samples) throws(BSNNError) in try evaluate(samples, loss: loss) }
    }

    /// Mean loss and accuracy over samples read in place, in chunks through an
    /// `InferenceWorkspace` (the logits land in its pre-activation buffer).
    public func evaluate(_ data: BorrowedSamples, loss: LossFunction = .crossEntropy) throws(BSNNError) -> Evaluation {
        try checkCompatible(data)
        guard data.count > 0, let fb = data.features.baseAddress else {
            throw BSNNError.invalidArgument("data set: expected samples, got none")
        }
        let c = configuration
        let ws = try InferenceWorkspace(model: self, rows: min(data.count, Self.inferenceChunk))
        let logits = ws.preActivation.pointer
        var total = 0.0, correct = 0
        var start = 0
        while start < data.count {
            let n = min(ws.rows, data.count - start)
            try infer(fb + start * c.inputs, rows: n, workspace: ws, logits: logits)
            let r = try loss.evaluate(
                logits: logits, batch: n, outputs: c.outputs,
                labels: data.isClassification ? data.labels.baseAddress.map { $0 + start } : nil,
                targets: data.isClassification ? nil : data.targets.baseAddress.map { $0 + start * c.outputs },
                gradient: nil)
            total += r.loss * Double(n)
            correct += r.correct
            start += n
        }
        let accuracy = data.isClassification ? Double(correct) / Double(data.count) : 0
        return Evaluation(loss: total / Double(data.count), accuracy: accuracy, count: data.count)
    }

    /// The forward pass without derivatives for `rows` (≤ `ws.rows`) samples: each
    /// layer's product goes to `ws.preActivation`, its activation to `ws.activation`
    /// (over the input it came from, which is no longer needed), and the last layer's to
    /// `logits` (`rows × outputs`; may be `ws.preActivation`). The same products and
    /// kernels as the training forward pass, so the logits are the same. Never dropout.
    func infer(
        _ input: UnsafePointer<Float>, rows: Int, workspace ws: InferenceWorkspace, logits: UnsafeMutablePointer<Float>
    ) throws(BSNNError) {
        guard rows > 0, rows <= ws.rows else {
            throw BSNNError.internal("inference workspace of \(ws.rows) rows used for \(rows)")
        }
        let act = configuration.activation
        var x = input
        for (l, layer) in layers.enumerated() {
            let isOutput = l == layers.count - 1
            let h = isOutput ? logits : ws.preActivation.pointer
            try BLAS.gemm(
                transposeA: false, transposeB: true, m: rows, n: layer.outputs, k: layer.inputs,
                a: x, lda: layer.inputs, b: layer.weight.pointer, ldb: layer.inputs, c: h, ldc: layer.outputs)
            Self.scaleColumnsAndAddBias(
                h, rows: rows, columns: layer.outputs, scale: layer.rowScale?.pointer, bias: layer.bias?.pointer)
            if isOutput { continue }
            let count = rows * layer.outputs
            if let n = normalization(l) { n.forwardEvaluation(h, rows: rows, scratch: ws.normalizationScratch.pointer) }
            if layer.residualScale != nil, let branch = ws.branch {
                // x is `activation` here (layers 1...depth read the previous layer's).
                act.apply(h, count: count, value: branch.pointer, derivative: nil)
                Self.addScaled(x, alpha: layer.residualAlpha, branch.pointer, into: ws.activation.pointer, count: count)
            } else {
                act.apply(h, count: count, value: ws.activation.pointer, derivative: nil)
            }
            x = UnsafePointer(ws.activation.pointer)
        }
    }

    func checkCompatible(_ data: BorrowedSamples) throws(BSNNError) {
        let c = configuration
        guard data.featureCount == c.inputs else {
            throw BSNNError.shapeMismatch("data set: expected \(c.inputs) features per sample, got \(data.featureCount)")
        }
        if data.isClassification {
            guard data.classCount <= c.outputs else {
                throw BSNNError.shapeMismatch("data set: has \(data.classCount) classes but the model has \(c.outputs) outputs")
            }
        } else {
            guard data.targetCount == c.outputs else {
                throw BSNNError.shapeMismatch("data set: expected \(c.outputs) targets per sample, got \(data.targetCount)")
            }
        }
    }
}
