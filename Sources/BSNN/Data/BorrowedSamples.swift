/// Samples in memory that bsnn reads but does not own: the caller's arrays (C
/// `bsnn_trainer_fit_arrays`, Python `fit`) or a `Dataset`'s own storage. Training
/// gathers each minibatch from it through the shuffled indices and evaluation reads it
/// in chunks, so a data set handed over this way is never copied as a whole.
///
/// Lifetime: the memory must stay valid and unchanged for as long as a call that was
/// given the view runs (a progress callback must not write to it); no call keeps the
/// view after it returns.
public struct BorrowedSamples {
    /// `count × featureCount` floats, row-major.
    public let features: UnsafeBufferPointer<Float>
    /// `count` classes in `0..<classCount`; empty for regression samples.
    public let labels: UnsafeBufferPointer<Int32>
    /// `count × targetCount` floats; empty for classification samples.
    public let targets: UnsafeBufferPointer<Float>
    public let count: Int
    public let featureCount: Int
    public let classCount: Int
    public let targetCount: Int

    /// Classification samples; checks the counts, every label and that every feature is
    /// finite (the one place these rules live: `Dataset` checks its arrays through this
    /// initializer). `argumentPrefix` goes before the argument names in errors (e.g.
    /// "validation_" for a door's validation arrays).
    public init(
        features: UnsafeBufferPointer<Float>, labels: UnsafeBufferPointer<Int32>, featureCount: Int, classCount: Int,
        argumentPrefix p: String = ""
    ) throws(BSNNError) {
        guard featureCount > 0 else {
            throw BSNNError.invalidArgument("featureCount: expected > 0, got \(featureCount)")
        }
        guard classCount > 0 else {
            throw BSNNError.invalidArgument("classCount: expected > 0, got \(classCount)")
        }
        if labels.isEmpty, !features.isEmpty {
            throw BSNNError.invalidArgument(
                "\(p)count: expected one label per sample, got 0 labels for \(features.count) feature values")
        }
        // Overflow-checked: a huge featureCount from a caller must be an error, not a trap.
        let (expected, overflow) = labels.count.multipliedReportingOverflow(by: featureCount)
        guard !overflow, features.count == expected else {
            throw BSNNError.shapeMismatch(
                "\(p)features: expected \(labels.count) × \(featureCount) values for \(labels.count) labels, got \(features.count)")
        }
        if let bad = labels.firstIndex(where: { $0 < 0 || Int($0) >= classCount }) {
            throw BSNNError.invalidArgument(
                "\(p)labels[\(bad)]: expected a class in 0..<\(classCount), got \(labels[bad])")
        }
        try Self.checkFinite(features, rowLength: featureCount, name: "\(p)features")
        self.init(
            unchecked: features, labels: labels, targets: UnsafeBufferPointer(start: nil, count: 0),
            count: labels.count, featureCount: featureCount, classCount: classCount, targetCount: 0)
    }

    /// Regression samples with `targetCount` float targets each.
    public init(
        features: UnsafeBufferPointer<Float>, targets: UnsafeBufferPointer<Float>, featureCount: Int, targetCount: Int
    ) throws(BSNNError) {
        guard featureCount > 0, targetCount > 0 else {
            throw BSNNError.invalidArgument(
                "featureCount/targetCount: expected > 0, got \(featureCount)/\(targetCount)")
        }
        guard features.count % featureCount == 0 else {
            throw BSNNError.shapeMismatch(
                "features: \(features.count) values is not a multiple of featureCount \(featureCount)")
        }
        let n = features.count / featureCount
        let (expected, overflow) = n.multipliedReportingOverflow(by: targetCount)
        guard !overflow, targets.count == expected else {
            throw BSNNError.shapeMismatch("targets: expected \(n) × \(targetCount) values, got \(targets.count)")
        }
        try Self.checkFinite(features, rowLength: featureCount, name: "features")
        try Self.checkFinite(targets, rowLength: targetCount, name: "targets")
        self.init(
            unchecked: features, labels: UnsafeBufferPointer(start: nil, count: 0), targets: targets, count: n,
            featureCount: featureCount, classCount: 0, targetCount: targetCount)
    }

    /// Rejects NaN and ±Inf, naming the first sample that holds one. Checked here, once
    /// per data set, so that fit fails before its first step rather than in the middle of
    /// an epoch (a minibatch's own check, `Batch`, would stop it only after earlier
    /// batches had changed the weights), and every door gets the same message.
    private static func checkFinite(_ values: UnsafeBufferPointer<Float>, rowLength: Int, name: String) throws(BSNNError) {
        guard let base = values.baseAddress, !BLAS.allFinite(base, count: values.count) else { return }
        let bad = values.firstIndex(where: { !$0.isFinite }) ?? 0
        throw BSNNError.numeric("\(name): sample \(bad / rowLength) contains NaN or infinity (value \(bad % rowLength) is \(values[bad]))")
    }

    /// For storage already checked by one of the public initializers (a `Dataset`).
    init(
        unchecked features: UnsafeBufferPointer<Float>, labels: UnsafeBufferPointer<Int32>,
        targets: UnsafeBufferPointer<Float>, count: Int, featureCount: Int, classCount: Int, targetCount: Int
    ) {
        self.features = features
        self.labels = labels
        self.targets = targets
        self.count = count
        self.featureCount = featureCount
        self.classCount = classCount
        self.targetCount = targetCount
    }

    public var isClassification: Bool { targetCount == 0 }

    /// Copies the samples at `indices` (each in `0..<count`, the trainer's shuffled order)
    /// into a minibatch: `indices.count` rows of features, and labels or targets.
    func gather(
        _ indices: ArraySlice<Int>, features out: UnsafeMutablePointer<Float>, labels outLabels: UnsafeMutablePointer<Int32>?,
        targets outTargets: UnsafeMutablePointer<Float>?
    ) {
        guard let f = features.baseAddress else { return }
        for (row, i) in indices.enumerated() {
            (out + row * featureCount).update(from: f + i * featureCount, count: featureCount)
        }
        if let ol = outLabels, let l = labels.baseAddress {
            for (row, i) in indices.enumerated() { ol[row] = l[i] }
        }
        if let ot = outTargets, let t = targets.baseAddress {
            for (row, i) in indices.enumerated() {
                (ot + row * targetCount).update(from: t + i * targetCount, count: targetCount)
            }
        }
    }
}

extension Dataset {
    /// The data set's storage as `BorrowedSamples`, valid inside `body` only.
    func withSamples<R, E: Error>(_ body: (BorrowedSamples) throws(E) -> R) throws(E) -> R {
        try features.withUnsafeBufferPointer { (f) throws(E) in
            try labels.withUnsafeBufferPointer { (l) throws(E) in
                try targets.withUnsafeBufferPointer { (t) throws(E) in
                    try body(
                        BorrowedSamples(
                            unchecked: f, labels: l, targets: t, count: count, featureCount: featureCount,
                            classCount: classCount, targetCount: targetCount))
                }
            }
        }
    }
}

extension Optional where Wrapped == Dataset {
    /// `Dataset.withSamples` for an optional data set (nil stays nil).
    func withSamples<R, E: Error>(_ body: (BorrowedSamples?) throws(E) -> R) throws(E) -> R {
        switch self {
        case .some(let d): return try d.withSamples { (samples) throws(E) in try body(samples) }
        case .none: return try body(nil)
        }
    }
}
