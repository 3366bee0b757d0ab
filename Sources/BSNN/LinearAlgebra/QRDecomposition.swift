import COpenBLAS

/// Orthonormalization by Householder QR (LAPACK `dgeqrf` + `dorgqr` from OpenBLAS),
/// in double precision, with the sign correction Q·diag(sign(diag R)) that makes the
/// result unique: applied to a Gaussian matrix it gives a Haar-distributed orthogonal
/// matrix (Mezzadri 2007); applied to a nearly orthogonal matrix it is a retraction
/// that moves it as little as QR can.
enum QRDecomposition {
    /// Replaces the n×n row-major `matrix` by the orthogonal factor Q of its QR
    /// decomposition, sign-corrected. Throws `.numeric` if LAPACK reports a failure.
    static func orthonormalize(_ matrix: inout [Double], n: Int) throws {
        guard n > 0, matrix.count == n * n else {
            throw BSNNError.shapeMismatch("orthonormalize: expected \(n)×\(n) values, got \(matrix.count)")
        }
        // LAPACK is column-major: the row-major buffer is the transpose, so factor Aᵀ and
        // transpose back; Q of Aᵀ is as Haar-distributed as Q of A.
        var a = matrix
        var tau = [Double](repeating: 0, count: n)
        var m32 = Int32(n), n32 = Int32(n), k32 = Int32(n), lda = Int32(n), info: Int32 = 0
        var lwork: Int32 = -1
        var query = 0.0
        dgeqrf_(&m32, &n32, &a, &lda, &tau, &query, &lwork, &info)
        lwork = Int32(max(query, Double(n)))
        var work = [Double](repeating: 0, count: Int(lwork))
        dgeqrf_(&m32, &n32, &a, &lda, &tau, &work, &lwork, &info)
        guard info == 0 else { throw BSNNError.numeric("QR factorisation failed (dgeqrf info \(info))") }
        var signs = [Double](repeating: 1, count: n)
        for j in 0..<n { signs[j] = a[j * n + j] < 0 ? -1 : 1 }
        lwork = -1
        dorgqr_(&m32, &n32, &k32, &a, &lda, &tau, &query, &lwork, &info)
        lwork = Int32(max(query, Double(n)))
        if work.count < Int(lwork) { work = [Double](repeating: 0, count: Int(lwork)) }
        dorgqr_(&m32, &n32, &k32, &a, &lda, &tau, &work, &lwork, &info)
        guard info == 0 else { throw BSNNError.numeric("QR factorisation failed (dorgqr info \(info))") }
        // Row i of the row-major result is column i of the sign-corrected Q, i.e. the
        // result is Qᵀ: orthogonal, and ≈ the input when the input was nearly orthogonal.
        for i in 0..<n {
            let s = signs[i]
            for j in 0..<n { matrix[i * n + j] = a[i * n + j] * s }
        }
    }
}
