import COpenBLAS
#if canImport(Glibc)
import Glibc
#endif

/// Orthonormalization by Householder QR (LAPACK `dgeqrf` + `dorgqr` from OpenBLAS),
/// in double precision, with the sign correction Q·diag(sign(diag R)) that makes the
/// result unique: applied to a Gaussian matrix it gives a Haar-distributed orthogonal
/// matrix (Mezzadri 2007); applied to a nearly orthogonal matrix it is a retraction
/// that moves it as little as QR can.
enum QRDecomposition {
    /// `count` zeroed doubles from the checked allocator, released with `free`.
    static func allocateDoubles(_ count: Int, what: String) throws(BSNNError) -> UnsafeMutablePointer<Double> {
        let bytes = try MemoryBudget.byteCount(count, elementSize: MemoryLayout<Double>.stride, what: what)
        return try MemoryBudget.allocate(bytes: bytes, alignment: 64, what: what)
            .bindMemory(to: Double.self, capacity: max(count, 1))
    }

    /// Replaces the n×n row-major `matrix` by the orthogonal factor Q of its QR
    /// decomposition, sign-corrected. Throws `.numeric` if LAPACK reports a failure and
    /// `.outOfMemory` if its scratch space cannot be allocated.
    static func orthonormalize(_ matrix: UnsafeMutablePointer<Double>, n: Int) throws(BSNNError) {
        guard n > 0 else {
            throw BSNNError.shapeMismatch("orthonormalize: expected a positive size, got \(n)")
        }
        var m32 = try BLAS.count(n, "QR size"), n32 = m32, k32 = m32, lda = m32, info: Int32 = 0
        let values = try MemoryBudget.elementCount(n, n, what: "QR of a \(n)×\(n) matrix")
        // LAPACK is column-major: the row-major buffer is the transpose, so factor Aᵀ and
        // transpose back; Q of Aᵀ is as Haar-distributed as Q of A.
        let a = try allocateDoubles(values, what: "QR of a \(n)×\(n) matrix")
        defer { free(a) }
        a.update(from: matrix, count: values)
        let tau = try allocateDoubles(n, what: "QR reflectors")
        defer { free(tau) }
        var lwork: Int32 = -1
        var query = 0.0
        dgeqrf_(&m32, &n32, a, &lda, tau, &query, &lwork, &info)
        var workCount = try workspaceSize(query, n: n)
        var work = try allocateDoubles(workCount, what: "QR workspace")
        defer { free(work) }
        lwork = try BLAS.count(workCount, "QR workspace size")
        dgeqrf_(&m32, &n32, a, &lda, tau, work, &lwork, &info)
        guard info == 0 else { throw BSNNError.numeric("QR factorisation failed (dgeqrf info \(info))") }
        let signs = try allocateDoubles(n, what: "QR signs")
        defer { free(signs) }
        for j in 0..<n { signs[j] = a[j * n + j] < 0 ? -1 : 1 }
        lwork = -1
        dorgqr_(&m32, &n32, &k32, a, &lda, tau, &query, &lwork, &info)
        let needed = try workspaceSize(query, n: n)
        if needed > workCount {
            let bigger = try allocateDoubles(needed, what: "QR workspace")
            free(work)
            work = bigger
            workCount = needed
        }
        lwork = try BLAS.count(workCount, "QR workspace size")
        dorgqr_(&m32, &n32, &k32, a, &lda, tau, work, &lwork, &info)
        guard info == 0 else { throw BSNNError.numeric("QR factorisation failed (dorgqr info \(info))") }
        // Row i of the row-major result is column i of the sign-corrected Q, i.e. the
        // result is Qᵀ: orthogonal, and ≈ the input when the input was nearly orthogonal.
        for i in 0..<n {
            let s = signs[i]
            for j in 0..<n { matrix[i * n + j] = a[i * n + j] * s }
        }
    }

    /// LAPACK's workspace query answer as a count (at least n), rejected if not finite.
    private static func workspaceSize(_ query: Double, n: Int) throws(BSNNError) -> Int {
        guard query.isFinite, query < Double(Int32.max) else {
            throw BSNNError.outOfMemory("QR workspace: LAPACK asked for \(query) doubles, beyond its 32-bit sizes")
        }
        return max(Int(query), n)
    }
}
