#if canImport(Glibc)
import Glibc
#endif

/// The normalization applied to every activated layer's pre-activation, between the
/// bias and φ: h = W·x + b → γ·ĥ + β → φ. The output layer is never normalized.
public enum Normalization: String, Sendable, NamedOption {
    /// No normalization (bsnn 0.1's network).
    case none
    /// Batch normalization: ĥ per unit over the batch's samples in training, over the
    /// running mean and variance in evaluation (`predict`, `evaluate`).
    case batch
    /// Layer normalization: ĥ per sample over the layer's units, the same in training
    /// and evaluation; no running statistics.
    case layer

    public static let optionName = "norm"
}

/// One activated layer's normalization parameters: γ and β (stored contiguously,
/// γ then β, so the optimizer updates them in one pass like a bias) and, for batch
/// normalization, the running mean and variance used in evaluation.
final class NormalizationLayer {
    let kind: Normalization
    let width: Int
    /// 2·width floats: γ (initialized to 1), then β (initialized to 0).
    let scaleShift: FloatBuffer
    /// Batch normalization only (initialized to 0 and 1, PyTorch's convention).
    let runningMean: FloatBuffer?
    let runningVariance: FloatBuffer?
    let momentum: Float
    let epsilon: Float

    init(kind: Normalization, width: Int, momentum: Double, epsilon: Double) throws(BSNNError) {
        self.kind = kind
        self.width = width
        self.momentum = Float(momentum)
        self.epsilon = Float(epsilon)
        scaleShift = try FloatBuffer(count: 2 * width, what: "normalization scale and shift")
        scaleShift.pointer.update(repeating: 1, count: width)
        if kind == .batch {
            let mean = try FloatBuffer(count: width, what: "batch normalization running mean")
            let variance = try FloatBuffer(count: width, what: "batch normalization running variance")
            variance.fill(1)
            runningMean = mean
            runningVariance = variance
        } else {
            runningMean = nil
            runningVariance = nil
        }
    }

    var gamma: UnsafeMutablePointer<Float> { scaleShift.pointer }
    var beta: UnsafeMutablePointer<Float> { scaleShift.pointer + width }
    var parameterCount: Int { 2 * width }

    /// Training mode, in place over `rows × width` pre-activations `h`: normalizes with
    /// the statistics of what it is given and keeps what the backward pass and
    /// `commitRunningStatistics` need in `ws`.
    @inline(__always)
    func forwardTraining(_ h: UnsafeMutablePointer<Float>, rows: Int, workspace ws: NormalizationWorkspace) {
        switch kind {
        case .none: return
        case .batch:
            BatchNormalization.forwardTraining(
                h, rows: rows, columns: width, gamma: gamma, beta: beta, epsilon: epsilon, normalized: ws.normalized.pointer,
                mean: ws.mean.pointer, variance: ws.variance.pointer, inverseDeviation: ws.inverseDeviation.pointer)
        case .layer:
            LayerNormalization.forward(
                h, rows: rows, columns: width, gamma: gamma, beta: beta, epsilon: epsilon, normalized: ws.normalized.pointer,
                inverseDeviation: ws.inverseDeviation.pointer)
        }
    }

    /// Evaluation mode, in place: batch normalization with the running statistics (one
    /// affine map per unit, its coefficients in `scratch`, ≥ width floats), layer
    /// normalization exactly as in training (`scratch` ≥ rows floats).
    @inline(__always)
    func forwardEvaluation(_ h: UnsafeMutablePointer<Float>, rows: Int, scratch: UnsafeMutablePointer<Float>) {
        switch kind {
        case .none: return
        case .batch:
            guard let m = runningMean, let v = runningVariance else { return }
            BatchNormalization.forwardEvaluation(
                h, rows: rows, columns: width, gamma: gamma, beta: beta, epsilon: epsilon,
                runningMean: m.pointer, runningVariance: v.pointer, scale: scratch)
        case .layer:
            LayerNormalization.forward(
                h, rows: rows, columns: width, gamma: gamma, beta: beta, epsilon: epsilon, normalized: nil,
                inverseDeviation: scratch)
        }
    }

    /// Turns ∂E/∂(γ·ĥ+β) in `signal` into ∂E/∂h in place, through the statistics, and
    /// writes ∂E/∂γ, ∂E/∂β into `ws.gradient` (γ part, then β part).
    @inline(__always)
    func backward(_ signal: UnsafeMutablePointer<Float>, rows: Int, workspace ws: NormalizationWorkspace) {
        switch kind {
        case .none: return
        case .batch:
            BatchNormalization.backward(
                signal, rows: rows, columns: width, gamma: gamma, normalized: ws.normalized.pointer,
                inverseDeviation: ws.inverseDeviation.pointer, parameterGradient: ws.gradient.pointer,
                scratch: ws.scratch.pointer)
        case .layer:
            LayerNormalization.backward(
                signal, rows: rows, columns: width, gamma: gamma, normalized: ws.normalized.pointer,
                inverseDeviation: ws.inverseDeviation.pointer, parameterGradient: ws.gradient.pointer)
        }
    }

    /// After a successful step: r ← (1−m)·r + m·batch for the mean and the unbiased
    /// variance (PyTorch's convention). Nothing for layer normalization.
    func commitRunningStatistics(_ ws: NormalizationWorkspace, rows: Int) {
        guard let m = runningMean, let v = runningVariance else { return }
        BatchNormalization.updateRunning(
            mean: m.pointer, variance: v.pointer, batchMean: ws.mean.pointer, batchVariance: ws.variance.pointer,
            columns: width, rows: rows, momentum: momentum)
    }

    /// Replaces γ, β and the running statistics after checking them all (a loader's call).
    func load(gamma g: [Float], beta b: [Float], runningMean rm: [Float]?, runningVariance rv: [Float]?) throws(BSNNError) {
        for (name, values) in [("gamma", g), ("beta", b)] {
            guard values.count == width else {
                throw BSNNError.shapeMismatch("normalization \(name): expected \(width) values, got \(values.count)")
            }
            if let bad = values.firstIndex(where: { !$0.isFinite }) {
                throw BSNNError.numeric("normalization \(name): value \(bad) is \(values[bad]); expected finite")
            }
        }
        if kind == .batch {
            guard let rm, let rv, rm.count == width, rv.count == width else {
                throw BSNNError.shapeMismatch("normalization running statistics: expected \(width) means and variances")
            }
            if let bad = rm.firstIndex(where: { !$0.isFinite }) {
                throw BSNNError.numeric("normalization running mean: value \(bad) is \(rm[bad]); expected finite")
            }
            if let bad = rv.firstIndex(where: { !($0.isFinite && $0 >= 0) }) {
                throw BSNNError.numeric("normalization running variance: value \(bad) is \(rv[bad]); expected finite and >= 0")
            }
        }
        g.withUnsafeBufferPointer { if let p = $0.baseAddress { gamma.update(from: p, count: width) } }
        b.withUnsafeBufferPointer { if let p = $0.baseAddress { beta.update(from: p, count: width) } }
        if let m = runningMean, let rm { rm.withUnsafeBufferPointer { if let p = $0.baseAddress { m.pointer.update(from: p, count: width) } } }
        if let v = runningVariance, let rv { rv.withUnsafeBufferPointer { if let p = $0.baseAddress { v.pointer.update(from: p, count: width) } } }
    }
}

/// Per-layer, per-batch-size buffers of a normalized layer in a training workspace.
final class NormalizationWorkspace {
    /// ĥ (rows × width), kept for the backward pass.
    let normalized: FloatBuffer
    /// Batch normalization: the batch mean and biased variance per unit (width).
    let mean: FloatBuffer
    let variance: FloatBuffer
    /// 1/√(σ²+ε): per unit (batch) or per sample (layer); max(rows, width) floats.
    let inverseDeviation: FloatBuffer
    /// ∂E/∂γ then ∂E/∂β (2·width), formed by the backward pass and kept until applied.
    let gradient: FloatBuffer
    /// Per-unit coefficients of the batch normalization backward pass (3·width).
    let scratch: FloatBuffer

    init(kind: Normalization, rows: Int, width: Int) throws(BSNNError) {
        normalized = try FloatBuffer(rows: rows, columns: width, what: "normalized pre-activations for batch \(rows)")
        let statistics = kind == .batch ? width : 0
        mean = try FloatBuffer(count: statistics, what: "batch means")
        variance = try FloatBuffer(count: statistics, what: "batch variances")
        inverseDeviation = try FloatBuffer(count: max(rows, width), what: "normalization deviations")
        gradient = try FloatBuffer(count: 2 * width, what: "normalization gradients")
        scratch = try FloatBuffer(count: kind == .batch ? 3 * width : 0, what: "normalization scratch")
    }

    var floatCount: Int {
        normalized.count + mean.count + variance.count + inverseDeviation.count + gradient.count + scratch.count
    }
}

extension MLPConfiguration {
    /// The fewest samples a training step (or a training-mode probe) may have: batch
    /// normalization needs two, since one sample's batch variance is 0 and its ĥ is 0.
    public var minimumTrainingBatch: Int { normalization == .batch ? 2 : 1 }

    /// Rejects a training batch of `count` samples that batch normalization cannot use;
    /// `what` names the door's field in the message (e.g. "batch size", "count").
    public func checkTrainingBatch(_ count: Int, what: String) throws(BSNNError) {
        guard count >= minimumTrainingBatch else {
            throw BSNNError.invalidArgument(
                "\(what): batch normalization (norm batch) needs at least \(minimumTrainingBatch) samples per training step (one sample's batch variance is 0), got \(count)")
        }
    }
}
