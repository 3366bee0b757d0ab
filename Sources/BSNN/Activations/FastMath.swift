// Branch-free float approximations for the activation batch kernels.
//
// glibc's scalar `expf`/`tanhf` cost ~15 ns per element and block auto-vectorization
// (see docs/TOOLCHAIN.md); everything here is straight-line arithmetic, integer bit
// tricks and selects, so loops calling these `@inline(__always)` helpers vectorize.
// Accuracy is stated per function and checked against the double-precision closures
// in `ActivationTests`. Vectorization needs whole-module optimization (SwiftPM's
// release default) so these inline into BuiltinKernels' loops across files; measured
// with -O -wmo on a shared 2-core EPYC: tanh 2.8 ns/elem vs glibc tanhf ~45 ns, relu
// 0.13 ns (noisy machine; ~2× faster again with -target-cpu haswell).

/// e^x, Cephes-style: n = round(x·log₂e) with the 1.5·2²³ magic-number trick,
/// r = x − n·ln2 (Cody–Waite split), degree-6 polynomial for e^r, 2ⁿ built from the
/// exponent bits. Relative error ≤ ~2 ulp for x ∈ [-87, 88]; inputs outside are
/// clamped there (so results saturate at ~1.6e-38 and ~1.65e38 instead of 0 / +inf,
/// which keeps the callers' divisions finite). NaN propagates.
@inline(__always)
func fastExpf(_ x: Float) -> Float {
    var x = x < -87 ? -87 : x
    x = x > 88 ? 88 : x
    let magic: Float = 12_582_912  // 1.5·2²³: adding it rounds to an integer in the low mantissa bits
    let t = x * 1.442_695_04 + magic
    let n = t - magic
    let nBits = Int32(bitPattern: t.bitPattern) &- 0x4B40_0000
    let r = x - n * 0.693_359_375 - n * -2.121_944_4e-4
    let r2 = r * r
    var p: Float = 1.987_569_15e-4
    p = p * r + 1.398_199_95e-3
    p = p * r + 8.333_451_9e-3
    p = p * r + 4.166_579_59e-2
    p = p * r + 1.666_666_55e-1
    p = p * r + 5.000_000_12e-1
    let er = p * r2 + r + 1
    let twoN = Float(bitPattern: UInt32(bitPattern: (nBits &+ 127) &<< 23))
    return er * twoN
}

/// log(1+u) for u ∈ [0, 1] as 2·atanh(s), s = u/(2+u) ∈ [0, 1/3], by its odd series to
/// s¹⁵ (truncation < 3e-9 relative). Relative error ~1 ulp, also for tiny u, where
/// log(1+u) computed as written would lose all digits.
@inline(__always)
func fastLog1pUnitf(_ u: Float) -> Float {
    let s = u / (2 + u)
    let s2 = s * s
    var p: Float = 1.0 / 15
    p = p * s2 + 1.0 / 13
    p = p * s2 + 1.0 / 11
    p = p * s2 + 1.0 / 9
    p = p * s2 + 1.0 / 7
    p = p * s2 + 1.0 / 5
    p = p * s2 + 1.0 / 3
    p = p * s2 + 1
    return 2 * s * p
}

/// erfc(z) for z ≥ 0 (Numerical Recipes' Chebyshev fit `erfcc`): fractional error
/// < 1.2e-7 in exact arithmetic, a few float ulps more here. One `fastExpf`.
@inline(__always)
func fastErfcNonNegativef(_ z: Float) -> Float {
    let t = 1 / (1 + 0.5 * z)
    var p: Float = 0.170_872_77
    p = p * t - 0.822_152_23
    p = p * t + 1.488_515_87
    p = p * t - 1.135_203_98
    p = p * t + 0.278_868_07
    p = p * t - 0.186_288_06
    p = p * t + 0.096_784_18
    p = p * t + 0.374_091_96
    p = p * t + 1.000_023_68
    p = p * t - 1.265_512_23
    return t * fastExpf(-z * z + p)
}

/// Runs a pointwise activation over float buffers in the `ActivationBatchKernel` shape.
/// Two separate loops (with and without derivative) so each is a straight-line body
/// the optimizer can inline the closure into and vectorize.
@inline(__always)
func runPointwiseKernel(
    _ x: UnsafePointer<Float>, _ count: Int, _ scale: Float, _ shift: Float,
    _ value: UnsafeMutablePointer<Float>, _ derivative: UnsafeMutablePointer<Float>?,
    value f: (Float) -> Float,
    valueAndDerivative fd: (Float) -> (value: Float, derivative: Float)
) {
    if let d = derivative {
        for i in 0..<count {
            let r = fd(x[i])
            value[i] = scale * r.value + shift
            d[i] = scale * r.derivative
        }
    } else {
        for i in 0..<count {
            value[i] = scale * f(x[i]) + shift
        }
    }
}
