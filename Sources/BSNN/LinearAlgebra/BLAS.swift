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
    public static func count(_ n: Int, _ what: String) throws -> blasint {
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
    ) throws {
        cblas_sgemm(
            CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans,
            transposeB ? CblasTrans : CblasNoTrans,
            try count(m, "matrix product rows"), try count(n, "matrix product columns"),
            try count(k, "matrix product inner size"), alpha, a, try count(lda, "leading dimension"),
            b, try count(ldb, "leading dimension"), beta, c, try count(ldc, "leading dimension"))
    }

    /// The largest count one `dot` call is given; longer vectors are summed in pieces.
    static let maxVectorCount = Int(blasint.max)

    /// Number of threads OpenBLAS uses for each product (process-wide setting).
    public static var threadCount: Int {
        // The default must be applied before reading too: otherwise a first read reports
        // OpenBLAS's own count (all cores), and "save, set, restore" leaves that count in
        // place, so later products round differently from a fresh process.
        _ = defaultApplied
        return Int(openblas_get_num_threads())
    }

    /// The thread counts `setThreadCount` accepts: every door (C, Python, CLI) passes the
    /// caller's number through unchanged, so this is the one place the range is decided.
    public static let threadCountRange = 1...4096

    /// Sets the number of threads OpenBLAS uses for each product (process-wide).
    /// Overrides bsnn's default (see `applyDefaultThreadCount`).
    public static func setThreadCount(_ threads: Int) throws {
        guard threadCountRange.contains(threads) else {
            throw BSNNError.invalidArgument(
                "threads: expected \(threadCountRange.lowerBound)...\(threadCountRange.upperBound), got \(threads)")
        }
        _ = defaultApplied
        openblas_set_num_threads(Int32(threads))
    }

    /// bsnn's default: `BSNN_NUM_THREADS` if set, else `OPENBLAS_NUM_THREADS` /
    /// `OMP_NUM_THREADS` as OpenBLAS itself reads them, else 1 thread. One thread is the
    /// default because at batch 64 a second thread buys little (measured 1.0–1.3× on
    /// these 2-core machines) and 2-thread OpenBLAS collapses to 1–2 GFLOP/s when the
    /// other core is busy; `bsnn_blas_set_threads` / `--threads` opt in.
    private static let defaultApplied: Void = {
        if let v = getenv("BSNN_NUM_THREADS"), let n = Int32(String(cString: v)), n > 0 {
            openblas_set_num_threads(n)
        } else if getenv("OPENBLAS_NUM_THREADS") == nil && getenv("OMP_NUM_THREADS") == nil {
            openblas_set_num_threads(1)
        }
    }()

    /// Applies the default thread policy once per process; called when a model is made.
    public static func applyDefaultThreadCount() { _ = defaultApplied }

    /// Σ xᵢ² accumulated in double precision (OpenBLAS `dsdot`, vectorized): the
    /// per-layer norms of a 200-layer net span 1e-40…1e30, and float accumulation would
    /// underflow exactly where the diagnostics matter.
    @inline(__always)
    public static func sumOfSquares(_ x: UnsafePointer<Float>, count: Int) -> Double {
        var total = 0.0, start = 0
        while start < count {
            let n = min(count - start, maxVectorCount)
            total += cblas_dsdot(blasint(n), x + start, 1, x + start, 1)
            start += n
        }
        return total
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
}
