#if canImport(Glibc)
import Glibc
#endif

/// How a layer's weights are drawn at creation. Every scheme is driven by the model's
/// `RandomGenerator`, so the same seed gives the same weights on every machine.
public enum WeightInitialization: String, Sendable, NamedOption {
    /// Haar-uniform orthogonal (QR of a Gaussian matrix with sign correction); for
    /// non-square layers, the rows (or columns) of a larger orthogonal matrix.
    case orthogonal
    /// Gaussian with variance 2/(fan_in + fan_out) (Glorot & Bengio 2010).
    case xavier
    /// Gaussian with variance 2/fan_in (He et al. 2015).
    case he

    public static let optionName = "initialization"

    /// Fills a row-major `rows × columns` weight matrix.
    func fill(_ w: UnsafeMutablePointer<Float>, rows: Int, columns: Int, rng: inout RandomGenerator) throws(BSNNError) {
        switch self {
        case .xavier:
            rng.fillGaussian(
                UnsafeMutableBufferPointer(start: w, count: rows * columns),
                std: (2.0 / Double(rows + columns)).squareRoot())
        case .he:
            rng.fillGaussian(
                UnsafeMutableBufferPointer(start: w, count: rows * columns),
                std: (2.0 / Double(columns)).squareRoot())
        case .orthogonal:
            let n = max(rows, columns)
            let count = try MemoryBudget.elementCount(n, n, what: "orthogonal initialization of a \(rows)×\(columns) layer")
            let g = try QRDecomposition.allocateDoubles(count, what: "orthogonal initialization of a \(rows)×\(columns) layer")
            defer { free(g) }
            for i in 0..<count { g[i] = rng.nextGaussian() }
            try QRDecomposition.orthonormalize(g, n: n)
            // The top-left rows×columns block of a Haar n×n matrix has orthonormal rows
            // (rows ≤ columns) or orthonormal columns (rows ≥ columns).
            for i in 0..<rows {
                for j in 0..<columns { w[i * columns + j] = Float(g[i * n + j]) }
            }
        }
    }
}
