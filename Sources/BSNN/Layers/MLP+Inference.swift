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
    /// call allocates its own workspace.
    public func predict(
        _ features: UnsafePointer<Float>, count: Int, into output: UnsafeMutablePointer<Float>
    ) throws {
        guard count > 0 else { throw BSNNError.invalidArgument("count: expected > 0 samples, got \(count)") }
        let c = configuration
        let chunk = min(count, Self.inferenceChunk)
        let ws = try Workspace(model: self, batch: chunk)
        var start = 0
        while start < count {
            let n = min(chunk, count - start)
            let w = n == chunk ? ws : try Workspace(model: self, batch: n)
            let logits = try forward(features + start * c.inputs, workspace: w, storeDerivatives: false)
            (output + start * c.outputs).update(from: logits, count: n * c.outputs)
            start += n
        }
    }

    /// Logits for every sample of `features` (row-major, `inputs` columns).
    public func predict(_ features: [Float]) throws -> [Float] {
        let c = configuration
        guard features.count % c.inputs == 0, features.count > 0 else {
            throw BSNNError.shapeMismatch(
                "features: expected a positive multiple of \(c.inputs) values, got \(features.count)")
        }
        let n = features.count / c.inputs
        var out = try MemoryBudget.array(repeating: Float(0), count: try MemoryBudget.elementCount(n, c.outputs, what: "predictions"), what: "predictions")
        try features.withUnsafeBufferPointer { f in
            try out.withUnsafeMutableBufferPointer { o in
                guard let fb = f.baseAddress, let ob = o.baseAddress else { return }
                try predict(fb, count: n, into: ob)
            }
        }
        return out
    }

    /// Mean loss and accuracy over a data set, in chunks.
    public func evaluate(_ data: Dataset, loss: LossFunction = .crossEntropy) throws -> Evaluation {
        try checkCompatible(data)
        guard data.count > 0 else { throw BSNNError.invalidArgument("data set: expected samples, got none") }
        let c = configuration
        let chunk = min(data.count, Self.inferenceChunk)
        var total = 0.0, correct = 0
        try data.features.withUnsafeBufferPointer { f in
            try data.labels.withUnsafeBufferPointer { lab in
                try data.targets.withUnsafeBufferPointer { tar in
                    guard let fb = f.baseAddress else { return }
                    var ws = try Workspace(model: self, batch: chunk)
                    var start = 0
                    while start < data.count {
                        let n = min(chunk, data.count - start)
                        if n != ws.batch { ws = try Workspace(model: self, batch: n) }
                        let logits = try forward(fb + start * c.inputs, workspace: ws, storeDerivatives: false)
                        let r = try loss.evaluate(
                            logits: logits, batch: n, outputs: c.outputs,
                            labels: data.isClassification ? lab.baseAddress.map { $0 + start } : nil,
                            targets: data.isClassification ? nil : tar.baseAddress.map { $0 + start * c.outputs },
                            gradient: nil)
                        total += r.loss * Double(n)
                        correct += r.correct
                        start += n
                    }
                }
            }
        }
        let accuracy = data.isClassification ? Double(correct) / Double(data.count) : 0
        return Evaluation(loss: total / Double(data.count), accuracy: accuracy, count: data.count)
    }

    func checkCompatible(_ data: Dataset) throws {
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
