/// Mean, extremes and the sample standard deviation of repeated measurements (one per
/// seed in the probe's width sweep and in `reproduce`).
public struct SampleSummary: Sendable, Equatable {
    public var count: Int
    public var mean: Double
    public var minimum: Double
    public var maximum: Double
    /// √(Σ(xᵢ − mean)² / (n − 1)): the unbiased variance's root, since the values are
    /// a sample of seeds, not the whole population. NaN for a single value (unknown).
    public var standardDeviation: Double

    public init(_ values: [Double]) {
        count = values.count
        guard !values.isEmpty else {
            mean = .nan; minimum = .nan; maximum = .nan; standardDeviation = .nan
            return
        }
        let m = values.reduce(0, +) / Double(values.count)
        mean = m
        minimum = values.min() ?? .nan
        maximum = values.max() ?? .nan
        standardDeviation = values.count < 2
            ? .nan
            : (values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(values.count - 1)).squareRoot()
    }
}
