/// An in-memory data set: `count` samples of `featureCount` floats (row-major) with
/// either integer class labels (classification) or float targets (regression).
public struct Dataset: Sendable, Equatable {
    public private(set) var features: [Float]
    /// Class index per sample in `0..<classCount` (empty for regression data).
    public private(set) var labels: [Int32]
    /// `count × targetCount` regression targets (empty for classification data).
    public private(set) var targets: [Float]
    public let count: Int
    public let featureCount: Int
    public let classCount: Int
    public let targetCount: Int
    /// The per-feature map the features went through (`FeatureScaler.apply(to:)`), nil
    /// for features as given: what a model trained on this data records, and what a test
    /// set must be scaled with.
    public internal(set) var scaler: FeatureScaler? = nil

    /// Classification data. Validates sizes and label range (`BorrowedSamples`'s rules).
    public init(features: [Float], labels: [Int32], featureCount: Int, classCount: Int) throws(BSNNError) {
        _ = try features.withUnsafeBufferPointer { (f) throws(BSNNError) in
            try labels.withUnsafeBufferPointer { (l) throws(BSNNError) in
                try BorrowedSamples(features: f, labels: l, featureCount: featureCount, classCount: classCount)
            }
        }
        self.features = features
        self.labels = labels
        self.targets = []
        self.count = labels.count
        self.featureCount = featureCount
        self.classCount = classCount
        self.targetCount = 0
    }

    /// Regression data with `targetCount` float targets per sample.
    public init(features: [Float], targets: [Float], featureCount: Int, targetCount: Int) throws(BSNNError) {
        let n = try features.withUnsafeBufferPointer { (f) throws(BSNNError) in
            try targets.withUnsafeBufferPointer { (t) throws(BSNNError) in
                try BorrowedSamples(features: f, targets: t, featureCount: featureCount, targetCount: targetCount).count
            }
        }
        self.features = features
        self.labels = []
        self.targets = targets
        self.count = n
        self.featureCount = featureCount
        self.classCount = 0
        self.targetCount = targetCount
    }

    public var isClassification: Bool { targetCount == 0 }

    /// The samples at `indices` (in that order).
    public func subset(_ indices: [Int]) throws(BSNNError) -> Dataset {
        if let bad = indices.first(where: { $0 < 0 || $0 >= count }) {
            throw BSNNError.invalidArgument("subset index \(bad): expected 0..<\(count)")
        }
        var f = [Float]()
        try MemoryBudget.checkArray(
            of: Float.self, count: try MemoryBudget.elementCount(indices.count, featureCount, what: "subset features"),
            what: "subset features")
        f.reserveCapacity(indices.count * featureCount)
        for i in indices { f.append(contentsOf: features[i * featureCount..<(i + 1) * featureCount]) }
        var result: Dataset
        if isClassification {
            result = try Dataset(
                features: f, labels: indices.map { labels[$0] }, featureCount: featureCount,
                classCount: classCount)
        } else {
            var t = [Float]()
            try MemoryBudget.checkArray(
                of: Float.self, count: try MemoryBudget.elementCount(indices.count, targetCount, what: "subset targets"),
                what: "subset targets")
            t.reserveCapacity(indices.count * targetCount)
            for i in indices { t.append(contentsOf: targets[i * targetCount..<(i + 1) * targetCount]) }
            result = try Dataset(features: f, targets: t, featureCount: featureCount, targetCount: targetCount)
        }
        result.scaler = scaler
        return result
    }

    /// The first `n` samples (all of them if `n >= count`).
    public func prefix(_ n: Int) throws(BSNNError) -> Dataset { try subset(Array(0..<min(max(n, 0), count))) }

    /// Replaces the features in place (used by scaling); the shape must not change.
    mutating func withMutableFeatures<R, E: Error>(_ body: (inout [Float]) throws(E) -> R) throws(E) -> R {
        try body(&features)
    }
}
