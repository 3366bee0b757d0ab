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
    /// run `jobs` at a time, spread over the processes of `exchange` when given.
    func run(_ acts: [LayerActivation], jobs: Int, over exchange: MPIExchange? = nil) throws -> [[Point]] {
        let cells = widths.flatMap { w in (0..<seeds).map { (w, $0) } }
        // Per cell and activation: the per-sample ratio and the minibatch one.
        let results: [[Double]] = try SpreadRuns.map(
            count: cells.count, jobs: jobs, over: exchange, encode: { r, out in out += r }, decode: { _, v in Array(v) }
        ) { i in
            var p = probe
            p.width = cells[i].0
            p.seed = seed(cells[i].1)
            let weights = try p.haarWeights()
            return try acts.flatMap { (a: LayerActivation) -> [Double] in
                let r = try p.run(a, weights: weights)
                return [r.gradientNormRatio, r.batchGradientNormRatio]
            }
        }
        return acts.indices.map { a in
            widths.enumerated().map { (wi, w) in
                let rs = (0..<seeds).map { results[wi * seeds + $0] }
                return Point(width: w, seeds: (0..<seeds).map(seed), ratios: rs.map { $0[2 * a] },
                             batchRatios: rs.map { $0[2 * a + 1] })
            }
        }
    }
}
