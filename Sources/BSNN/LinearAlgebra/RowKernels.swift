/// Reductions over one weight row (a few hundred floats, in L1), written with explicit
/// 8-wide SIMD accumulators: a plain Swift loop cannot be vectorized (the compiler may
/// not reassociate a float sum), and a BLAS call per row costs more than the arithmetic.
/// The summation order is fixed, so results are reproducible bit for bit.
enum RowKernels {
    @inline(__always)
    private static func load(_ p: UnsafePointer<Float>, _ i: Int) -> SIMD8<Float> {
        UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self)
    }

    /// Σ aᵢbᵢ.
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count n: Int) -> Float {
        var s0 = SIMD8<Float>(), s1 = SIMD8<Float>()
        var i = 0
        while i + 16 <= n {
            s0 += load(a, i) * load(b, i)
            s1 += load(a, i + 8) * load(b, i + 8)
            i += 16
        }
        var tail: Float = 0
        while i < n { tail += a[i] * b[i]; i += 1 }
        return (s0 + s1).sum() + tail
    }

    /// (Σ gᵢvᵢ, Σ gᵢ²) in one pass.
    @inline(__always)
    static func dotAndSquares(_ g: UnsafePointer<Float>, _ v: UnsafePointer<Float>, count n: Int) -> (Float, Float) {
        var d0 = SIMD8<Float>(), d1 = SIMD8<Float>(), q0 = SIMD8<Float>(), q1 = SIMD8<Float>()
        var i = 0
        while i + 16 <= n {
            let g0 = load(g, i), g1 = load(g, i + 8)
            d0 += g0 * load(v, i)
            d1 += g1 * load(v, i + 8)
            q0 += g0 * g0
            q1 += g1 * g1
            i += 16
        }
        var dt: Float = 0, qt: Float = 0
        while i < n { dt += g[i] * v[i]; qt += g[i] * g[i]; i += 1 }
        return ((d0 + d1).sum() + dt, (q0 + q1).sum() + qt)
    }
}
