/// One minibatch as a door hands it to the engine (Swift arrays, a C caller's pointers,
/// a slice gathered from a data set), checked once here against the model: a positive
/// sample count, the feature count, every label a class of the model (or targets of the
/// model's output width), finite features. Everything downstream (forward pass, loss,
/// update) relies on these checks and repeats none of them.
///
/// The pointers are borrowed: a `Batch` is valid only while the buffers it was made from
/// are, so it lives for one call.
public struct Batch {
    public let features: UnsafePointer<Float>
    public let labels: UnsafePointer<Int32>?
    public let targets: UnsafePointer<Float>?
    public let count: Int

    /// A classification batch of `labels.count` samples. `featuresName` names the
    /// feature buffer's length in errors (a door's argument name, e.g. `features_count`).
    public init(
        features: UnsafeBufferPointer<Float>, labels: UnsafeBufferPointer<Int32>, for model: MLPConfiguration,
        featuresName: String = "features"
    ) throws(BSNNError) {
        let n = labels.count
        let (f, _) = try Self.checkFeatures(features, count: n, inputs: model.inputs, name: featuresName)
        guard let l0 = labels.baseAddress else { throw BSNNError.internal("labels: no buffer for \(n) samples") }
        try Self.checkLabels(labels, classes: model.outputs)
        self.features = f
        self.labels = l0
        self.targets = nil
        self.count = n
    }

    /// A batch of `count` samples with float targets (count × outputs).
    public init(
        features: UnsafeBufferPointer<Float>, targets: UnsafeBufferPointer<Float>, count: Int, for model: MLPConfiguration
    ) throws(BSNNError) {
        let (f, _) = try Self.checkFeatures(features, count: count, inputs: model.inputs, name: "features")
        let (expected, overflow) = count.multipliedReportingOverflow(by: model.outputs)
        guard !overflow, targets.count == expected, let t = targets.baseAddress else {
            throw BSNNError.shapeMismatch(
                "targets: expected \(count) × \(model.outputs) values, got \(targets.count)")
        }
        self.features = f
        self.labels = nil
        self.targets = t
        self.count = count
    }

    private static func checkFeatures(
        _ features: UnsafeBufferPointer<Float>, count n: Int, inputs: Int, name: String
    ) throws(BSNNError) -> (UnsafePointer<Float>, Int) {
        guard n > 0 else { throw BSNNError.invalidArgument("count: expected > 0 samples, got 0") }
        let (expected, overflow) = n.multipliedReportingOverflow(by: inputs)
        guard !overflow, features.count == expected else {
            throw BSNNError.shapeMismatch(
                "\(name): expected count × inputs = \(n) × \(inputs)\(overflow ? "" : " = \(expected)") values, got \(features.count)")
        }
        guard let f = features.baseAddress else { throw BSNNError.internal("features: no buffer for \(n) samples") }
        if !BLAS.allFinite(f, count: expected) {
            throw BSNNError.numeric("features: the batch contains NaN or Inf; training stopped before any update")
        }
        return (f, expected)
    }

    /// Every label a class in 0..<classes; the error names the first one that is not.
    static func checkLabels(_ labels: UnsafeBufferPointer<Int32>, classes: Int) throws(BSNNError) {
        for (i, c) in labels.enumerated() where c < 0 || Int(c) >= classes {
            throw BSNNError.invalidArgument("labels[\(i)]: expected a class in 0..<\(classes), got \(c)")
        }
    }
}
