import COpenBLAS

/// Row-major single-precision matrix products through OpenBLAS. All hot-path products
/// in bsnn go through here, so thread policy lives in one place.
public enum BLAS {
    /// C = alpha·op(A)·op(B) + beta·C, row-major, with op = transpose when requested.
    /// A is m×k (k×m if transposed), B is k×n (n×k if transposed), C is m×n.
    @inline(__always)
    public static func gemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        cblas_sgemm(
            CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans,
            transposeB ? CblasTrans : CblasNoTrans,
            blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb),
            beta, c, blasint(ldc))
    }

    /// Number of threads OpenBLAS uses for each product (process-wide setting).
    public static var threadCount: Int {
        get { Int(openblas_get_num_threads()) }
        set { openblas_set_num_threads(Int32(max(1, newValue))) }
    }

    /// Σ xᵢ² in double precision: the per-layer norms of a 200-layer net span 1e-40…1e30,
    /// and float accumulation would underflow exactly where the diagnostics matter.
    @inline(__always)
    public static func sumOfSquares(_ x: UnsafePointer<Float>, count: Int) -> Double {
        var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
        var i = 0
        while i + 4 <= count {
            let a = Double(x[i]), b = Double(x[i + 1]), c = Double(x[i + 2]), d = Double(x[i + 3])
            s0 += a * a; s1 += b * b; s2 += c * c; s3 += d * d
            i += 4
        }
        while i < count { let a = Double(x[i]); s0 += a * a; i += 1 }
        return (s0 + s1) + (s2 + s3)
    }

    /// Whether every element is finite.
    @inline(__always)
    public static func allFinite(_ x: UnsafePointer<Float>, count: Int) -> Bool {
        // x·0 is 0 for finite x and NaN for ±Inf/NaN, so one sum decides it branch-free.
        var acc: Float = 0
        for i in 0..<count { acc += x[i] * 0 }
        return acc == 0
    }
}
