import COpenBLAS
#if canImport(Glibc)
import Glibc
#endif

/// Row-major single-precision matrix products through OpenBLAS. All hot-path products
/// in bsnn go through here, so thread policy lives in one place.
public enum BLAS {
    /// `n` as a BLAS/LAPACK count (32-bit `blasint`); `.invalidArgument` naming `what`
    /// when it does not fit, where a plain conversion would trap.
    @inline(__always)
    public static func count(_ n: Int, _ what: String) throws(BSNNError) -> blasint {
        guard let v = blasint(exactly: n), v >= 0 else {
            throw BSNNError.invalidArgument("\(what): \(n) exceeds BLAS's 32-bit count limit \(blasint.max)")
        }
        return v
    }

    /// C = alpha·op(A)·op(B) + beta·C, row-major, with op = transpose when requested.
    /// A is m×k (k×m if transposed), B is k×n (n×k if transposed), C is m×n.
    @inline(__always)
    public static func gemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) throws(BSNNError) {
        cblas_sgemm(
            CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans,
            transposeB ? CblasTrans : CblasNoTrans,
            try count(m, "matrix product rows"), try count(n, "matrix product columns"),
            try count(k, "matrix product inner size"), alpha, a, try count(lda, "leading dimension"),
            b, try count(ldb, "leading dimension"), beta, c, try count(ldc, "leading dimension"))
    }

    /// The upper triangle of C = A·Aᵀ (A is n×k row-major, C n×n); the lower triangle
    /// of C is left as it was.
    @inline(__always)
    public static func gramUpper(n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, c: UnsafeMutablePointer<Float>, ldc: Int) throws(BSNNError) {
        cblas_ssyrk(
            CblasRowMajor, CblasUpper, CblasNoTrans, try count(n, "Gram matrix size"), try count(k, "Gram inner size"),
            1, a, try count(lda, "leading dimension"), 0, c, try count(ldc, "leading dimension"))
    }

    /// The largest count one `dot` call is given; longer vectors are summed in pieces.
    static let maxVectorCount = Int(blasint.max)

    /// Number of threads OpenBLAS uses for each product (process-wide setting, shared
    /// with everything else in the process that uses the same OpenBLAS). Reading never
    /// changes it; setting is an explicit request (`setThreadCount`: `bsnn_blas_set_threads`,
    /// `--threads`).
    public static var threadCount: Int {
        _ = environmentApplied
        return Int(openblas_get_num_threads())
    }

    /// The thread counts `setThreadCount` accepts: every door (C, Python, CLI) passes the
    /// caller's number through unchanged, so this is the one place the range is decided.
    public static let threadCountRange = 1...4096

    /// Sets the number of threads OpenBLAS uses for each product (process-wide).
    public static func setThreadCount(_ threads: Int) throws(BSNNError) {
        guard threadCountRange.contains(threads) else {
            throw BSNNError.invalidArgument(
                "threads: expected \(threadCountRange.lowerBound)...\(threadCountRange.upperBound), got \(threads)")
        }
        _ = environmentApplied
        openblas_set_num_threads(Int32(threads))
    }

    /// `BSNN_NUM_THREADS`, when set, is applied once per process before bsnn's first
    /// product or thread-count query: the environment asked for it. Otherwise bsnn leaves
    /// the count alone — a library must not change the products of a host that shares
    /// OpenBLAS — so it is OpenBLAS's own (`OPENBLAS_NUM_THREADS` / `OMP_NUM_THREADS`,
    /// else all cores) or whatever the host set.
    private static let environmentApplied: Void = {
        if let v = getenv("BSNN_NUM_THREADS"), let n = Int32(String(cString: v)), n > 0 {
            openblas_set_num_threads(n)
        }
    }()

    /// Applies `BSNN_NUM_THREADS` if set (once per process); called when a model is made.
    public static func applyDefaultThreadCount() { _ = environmentApplied }

    /// For programs that own their process (the CLI, the benchmark): the environment's
    /// count when one is set, else one thread. One thread because at batch 64 a second
    /// thread buys little and 2-thread OpenBLAS collapses when the other core is busy.
    public static func useProcessDefaultThreadCount() {
        _ = environmentApplied
        if getenv("BSNN_NUM_THREADS") == nil && getenv("OPENBLAS_NUM_THREADS") == nil
            && getenv("OMP_NUM_THREADS") == nil
        {
            openblas_set_num_threads(1)
        }
    }

    /// Whether this OpenBLAS was built to run products on several threads (pthreads or
    /// OpenMP), as OpenBLAS itself reports it.
    public static var isThreaded: Bool { openblas_get_parallel() != 0 }

    /// The kernel family OpenBLAS picked at load (e.g. "Cooperlake", "Haswell"). Different
    /// kernels round the same product differently, so benchmarks and pinned values name it.
    public static var coreName: String { openblas_get_corename().map { String(cString: $0) } ?? "unknown" }

    /// Σ xᵢ² accumulated in double precision: the per-layer norms of a 200-layer net span
    /// 1e-40…1e30, and a float product would underflow exactly where the diagnostics
    /// matter. Not `cblas_dsdot`: OpenBLAS's Haswell kernel forms its products in float,
    /// so squares below ~1e-45 vanished there. A float squared in double can neither
    /// underflow nor overflow, and four accumulators let the loop vectorize.
    @inline(__always)
    public static func sumOfSquares(_ x: UnsafePointer<Float>, count: Int) -> Double {
        var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
        var i = 0
        while i + 4 <= count {
            let a = Double(x[i]), b = Double(x[i + 1]), c = Double(x[i + 2]), d = Double(x[i + 3])
            s0 += a * a
            s1 += b * b
            s2 += c * c
            s3 += d * d
            i += 4
        }
        while i < count {
            let a = Double(x[i])
            s0 += a * a
            i += 1
        }
        return (s0 + s1) + (s2 + s3)
    }

    /// Σ xᵢ² in float (`sdot`, twice as wide as `dsdot`): for training-path checks where
    /// only finiteness and O(1) magnitudes matter, not the diagnostics' dynamic range.
    @inline(__always)
    public static func sumOfSquaresFast(_ x: UnsafePointer<Float>, count: Int) -> Double {
        var total = 0.0, start = 0
        while start < count {
            let n = min(count - start, maxVectorCount)
            total += Double(cblas_sdot(blasint(n), x + start, 1, x + start, 1))
            start += n
        }
        return total
    }

    /// Whether every element is finite.
    @inline(__always)
    public static func allFinite(_ x: UnsafePointer<Float>, count: Int) -> Bool {
        // x·0 is 0 for finite x and NaN for ±Inf/NaN, so one sum decides it branch-free.
        var acc: Float = 0
        for i in 0..<count { acc += x[i] * 0 }
        return acc == 0
    }

    /// x[i] *= factor.
    @inline(__always)
    static func scale(_ x: UnsafeMutablePointer<Float>, count: Int, by factor: Float) {
        for i in 0..<count { x[i] *= factor }
    }
}
