import Foundation

/// Gaussian moments E[φ], E[φ²], E[φ'²] for x ~ N(0,1) by composite Simpson's rule with
/// closed-form φ and φ', written independently of the engine's quadrature so tests can
/// check that one against it. Range [-12, 12] (tail mass < 1e-32), split at kinks, step
/// 1/1024: the Simpson error is far below the 1e-7 the tests ask for.
enum ReferenceGaussianMoments {
    static func moments(
        _ phi: (Double) -> Double, _ dphi: (Double) -> Double, breakpoints: [Double] = []
    ) -> (mean: Double, second: Double, slopeSquared: Double) {
        let edges = [-12.0] + breakpoints.sorted() + [12.0]
        var m1 = 0.0, m2 = 0.0, d2 = 0.0
        for (a, b) in zip(edges, edges.dropFirst()) {
            let n = max(2, Int(((b - a) * 1024).rounded(.up)) / 2 * 2)
            let h = (b - a) / Double(n)
            for i in 0...n {
                // Evaluate just inside the segment so one-sided φ' is used at a kink.
                let x = i == 0 ? a.nextUp : (i == n ? b.nextDown : a + Double(i) * h)
                let w = (i == 0 || i == n ? 1.0 : (i % 2 == 1 ? 4.0 : 2.0)) * h / 3
                let g = exp(-x * x / 2) / (2 * Double.pi).squareRoot()
                let f = phi(x), d = dphi(x)
                m1 += w * g * f
                m2 += w * g * f * f
                d2 += w * g * d * d
            }
        }
        return (m1, m2, d2)
    }
}
