/// How input features are rescaled before training.
public enum FeatureScaling: String, Sendable, CaseIterable {
    /// Values as stored.
    case none
    /// Into [0, 1]: byte data (IDX ubyte images) is divided by 255; other data is min-max
    /// scaled per feature with the training set's minimum and maximum.
    case unitInterval
    /// Per feature to mean 0 and standard deviation 1 (training-set statistics).
    case standardize
}

/// A per-feature affine map `x' = (x − offset) × scale`, fitted once on the training set
/// and applied unchanged to validation and test sets, so that all of them see the same
/// transformation (fitting on the test set would leak its statistics).
public struct FeatureScaler: Sendable, Equatable {
    public let method: FeatureScaling
    public let offsets: [Float]
    public let scales: [Float]
    public var featureCount: Int { offsets.count }

    public init(method: FeatureScaling, offsets: [Float], scales: [Float]) throws(BSNNError) {
        guard offsets.count == scales.count, !offsets.isEmpty else {
            throw BSNNError.shapeMismatch("FeatureScaler: expected equal non-empty offsets and scales, got \(offsets.count) and \(scales.count)")
        }
        if let bad = offsets.indices.first(where: { !offsets[$0].isFinite || !scales[$0].isFinite || scales[$0] == 0 }) {
            throw BSNNError.invalidArgument(
                "FeatureScaler: expected finite offsets and finite non-zero scales, got offset \(offsets[bad]) and scale \(scales[bad]) for feature \(bad)")
        }
        self.method = method
        self.offsets = offsets
        self.scales = scales
    }

    /// The fixed map x / 255 used for byte images.
    public static func byteRange(featureCount: Int) throws(BSNNError) -> FeatureScaler {
        guard featureCount > 0 else { throw BSNNError.invalidArgument("featureCount: expected > 0, got \(featureCount)") }
        return try FeatureScaler(
            method: .unitInterval, offsets: [Float](repeating: 0, count: featureCount),
            scales: [Float](repeating: 1 / 255, count: featureCount))
    }

    public static func fit(_ data: Dataset, method: FeatureScaling) throws(BSNNError) -> FeatureScaler {
        try fit(features: data.features, featureCount: data.featureCount, method: method)
    }

    /// Fits on row-major `features`. Constant features get scale 1 (they become 0 after
    /// subtracting the offset) instead of a division by zero.
    public static func fit(features: [Float], featureCount: Int, method: FeatureScaling) throws(BSNNError) -> FeatureScaler {
        guard featureCount > 0 else { throw BSNNError.invalidArgument("featureCount: expected > 0, got \(featureCount)") }
        guard features.count % featureCount == 0 else {
            throw BSNNError.shapeMismatch("features: \(features.count) values is not a multiple of featureCount \(featureCount)")
        }
        let n = features.count / featureCount
        var offsets = [Float](repeating: 0, count: featureCount)
        var scales = [Float](repeating: 1, count: featureCount)
        if n == 0 || method == .none {
            return try FeatureScaler(method: method, offsets: offsets, scales: scales)
        }
        features.withUnsafeBufferPointer { x in
            switch method {
            case .none: break
            case .unitInterval:
                var lo = Array(x[0..<featureCount])
                var hi = lo
                for i in 1..<max(n, 1) {
                    let row = i * featureCount
                    for j in 0..<featureCount {
                        let v = x[row + j]
                        if v < lo[j] { lo[j] = v }
                        if v > hi[j] { hi[j] = v }
                    }
                }
                for j in 0..<featureCount {
                    offsets[j] = lo[j]
                    let range = Double(hi[j]) - Double(lo[j])
                    scales[j] = range > 0 && range.isFinite ? Float(1 / range) : 1
                }
            case .standardize:
                // Two passes in Double: the one-pass formula loses all precision for
                // features with a large mean and a small spread.
                var mean = [Double](repeating: 0, count: featureCount)
                for i in 0..<n {
                    for j in 0..<featureCount { mean[j] += Double(x[i * featureCount + j]) }
                }
                for j in 0..<featureCount { mean[j] /= Double(n) }
                var variance = [Double](repeating: 0, count: featureCount)
                for i in 0..<n {
                    for j in 0..<featureCount {
                        let d = Double(x[i * featureCount + j]) - mean[j]
                        variance[j] += d * d
                    }
                }
                for j in 0..<featureCount {
                    offsets[j] = Float(mean[j])
                    let sd = (variance[j] / Double(n)).squareRoot()
                    scales[j] = sd > 0 && sd.isFinite ? Float(1 / sd) : 1
                }
            }
        }
        return try FeatureScaler(method: method, offsets: offsets, scales: scales)
    }

    public func apply(to features: inout [Float]) throws(BSNNError) {
        try features.withUnsafeMutableBufferPointer { (buffer) throws(BSNNError) in try apply(to: buffer) }
    }

    /// A copy of `data` with its features mapped; it records this scaler. `data` must be
    /// unscaled: a map on top of another could not be replayed from one record, which is
    /// what a model file keeps. A `.none` scaler returns `data` as it is.
    public func apply(to data: Dataset) throws(BSNNError) -> Dataset {
        guard data.featureCount == featureCount else {
            throw BSNNError.shapeMismatch("data set: expected \(featureCount) features (as fitted), got \(data.featureCount)")
        }
        if method == .none { return data }
        if let s = data.scaler {
            throw BSNNError.wrongState("data set: already scaled (\(s.method.rawValue)); load it unscaled to apply another scaling")
        }
        // Writing to the copy duplicates the features while `data` still shares them.
        try MemoryBudget.checkArray(of: Float.self, count: data.features.count, what: "scaled features")
        var copy = data
        try copy.withMutableFeatures { (features) throws(BSNNError) in try apply(to: &features) }
        copy.scaler = self
        return copy
    }

    /// Maps `count` floats (a multiple of `featureCount`) in place.
    public func apply(to features: UnsafeMutableBufferPointer<Float>) throws(BSNNError) {
        let m = featureCount
        guard features.count > 0, features.count % m == 0 else {
            throw BSNNError.shapeMismatch(
                "features: expected a positive multiple of the scaler's featureCount \(m) values, got \(features.count)")
        }
        offsets.withUnsafeBufferPointer { o in
            scales.withUnsafeBufferPointer { s in
                var i = 0
                while i < features.count {
                    for j in 0..<m { features[i + j] = (features[i + j] - o[j]) * s[j] }
                    i += m
                }
            }
        }
    }
}
