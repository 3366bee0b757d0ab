import BSNN
import Foundation

/// "mean ± sd" of one measurement repeated over seeds, as `reproduce` prints every cell:
/// the sample standard deviation (n − 1), and how many seeds' runs diverged.
struct SeedSpread {
    var summary: SampleSummary
    /// Runs that produced no value (diverged).
    var missing: Int
    var total: Int

    /// `values`: one per seed, nil for a run that diverged.
    init(_ values: [Double?]) {
        summary = SampleSummary(values.compactMap { $0 })
        total = values.count
        missing = values.count - summary.count
    }

    /// e.g. "53.65 ± 1.20", "53.65 (1 seed)", "diverged", "53.65 ± 1.20 (1/3 diverged)";
    /// values multiplied by `scale` (100 for percentages).
    func text(scale: Double = 1, digits: Int = 2) -> String {
        guard summary.count > 0 else { return "diverged" }
        let f = { (v: Double) in String(format: "%.\(digits)f", v * scale) }
        var s = summary.count == 1 ? "\(f(summary.mean)) (1 seed)" : "\(f(summary.mean)) ± \(f(summary.standardDeviation))"
        if missing > 0 { s += " (\(missing)/\(total) diverged)" }
        return s
    }
}
