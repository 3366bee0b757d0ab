import BSNN
import Foundation

/// The paper's Fig. 3: the gradient-norm ratio max/min over layers of the per-sample
/// ‖∂E/∂W⁽ˡ⁾‖_F (Prop. 1's quantity) on the synthetic probe, against width, over seeds.
/// Seed k at every width is `probe.seed + 1000·k`; the activations compared at one
/// (width, seed) share its Haar draw, which is also what makes them comparable.
struct WidthSweep {
    struct Point {
        var width: Int
        var seeds: [UInt64]
        /// Per seed: the per-sample ratio (the paper's) and the minibatch one.
        var ratios: [Double]
        var batchRatios: [Double]
    }

    var widths: [Int]
    var seeds: Int
    /// Depth, samples, constraint, base seed and architecture; its width is replaced.
    var probe: SyntheticProbe

    func seed(_ k: Int) -> UInt64 { probe.seed &+ UInt64(k) &* 1000 }

    /// One list of points (in `widths` order) per activation, the (width, seed) probes
    /// run `jobs` at a time.
    func run(_ acts: [LayerActivation], jobs: Int) throws -> [[Point]] {
        let cells = widths.flatMap { w in (0..<seeds).map { (w, $0) } }
        let results: [[SignalProbeResult]] = try ConcurrentRuns.map(count: cells.count, jobs: jobs) { i in
            var p = probe
            p.width = cells[i].0
            p.seed = seed(cells[i].1)
            let weights = try p.haarWeights()
            return try acts.map { try p.run($0, weights: weights) }
        }
        return acts.indices.map { a in
            widths.enumerated().map { (wi, w) in
                let rs = (0..<seeds).map { results[wi * seeds + $0][a] }
                return Point(width: w, seeds: (0..<seeds).map(seed), ratios: rs.map(\.gradientNormRatio),
                             batchRatios: rs.map(\.batchGradientNormRatio))
            }
        }
    }
}
