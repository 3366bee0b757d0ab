/// Signal statistics recorded during training: every `every` optimizer steps (global
/// steps 0, N, 2N, …) the trainer measures `LayerSignalStatistics` of every activated
/// layer (0...depth) on that step's batch, after its backward pass and before its update,
/// so a record equals `SignalProbe.run` on the same weights and batch (loss-gradient
/// upstream; same definitions, float rounding aside). Only steps that complete are
/// recorded.
///
/// Cost: nothing when off (the trainer holds no monitor and runs no extra code). A
/// monitored step reads every layer's input, output, gate and backward signal once
/// (O(batch·width) per layer) and takes ‖∂E/∂W‖_F from two batch × batch Gram matrices
/// (`MLP.effectiveWeightGradientNormSquared`); in `.fused` mode a monitored step runs
/// the `.checked` two-pass path (bit-identical weights), because the backward signals
/// must be measured before the first layer is updated. Storage: 7 doubles per layer per
/// record, reserved by `fit` for the records it will add; a step-by-step caller grows it
/// geometrically (or calls `removeAll`).
///
/// Collapse rule (`SignalCollapse`), checked on every record, in this order:
/// a non-finite norm or gate statistic; the max/min ratio of ‖∂E/∂W⁽ˡ⁾‖_F over the
/// layers above `collapseGradientRatio` (or a layer whose gradient is exactly 0); the
/// mean cosine similarity of the last hidden layer's outputs above
/// `collapseCosineSimilarity` (every input mapped to nearly one direction).
///
/// Thread safety: owned by one trainer and written only inside its `step`/`fit`; read it
/// between steps (or from that trainer's progress callback), not while another thread
/// trains.
public final class TrainingMonitor: @unchecked Sendable {
    /// Gradient ratio above which a record is a collapse: at 1e4 the optimizer's step on
    /// the lowest layer is four orders of magnitude smaller than on the highest, which
    /// no single learning rate serves (GPN nets stay within ~10 at depth 200).
    public static let collapseGradientRatio = 1e4
    /// Last-hidden-layer cosine similarity above which a record is a collapse: the
    /// classifier sees (nearly) one point whatever the input. Not lower: a depth-200
    /// tanh-GPN net already starts near 0.99 and trains from there (docs/MONITOR.md).
    public static let collapseCosineSimilarity = 0.999

    public let every: Int
    /// Activated layers per record (depth + 1).
    public let layerCount: Int
    let width: Int
    /// Global step of each record.
    public private(set) var steps: [Int] = []
    /// Collapse verdict of each record (nil: healthy).
    public private(set) var collapses: [SignalCollapse?] = []
    /// Record-major: record × quantity × layer.
    private var values: [Double] = []
    /// The record being measured (quantity × layer), appended when its step completes.
    private var pending: [Double]
    private var pendingValid = false
    /// Σ x̂ᵢ of the cosine similarity (width doubles).
    private var unitSum: [Double]

    init(every: Int, model: MLP) {
        self.every = every
        layerCount = model.depth + 1
        width = model.width
        pending = [Double](repeating: .nan, count: Self.quantityCount * (model.depth + 1))
        unitSum = [Double](repeating: 0, count: model.width)
    }

    public var count: Int { steps.count }
    static let quantityCount = SignalQuantity.allCases.count

    /// Record `index`'s statistics, one per layer.
    public func layers(record index: Int) throws(BSNNError) -> [LayerSignalStatistics] {
        let base = try offset(record: index)
        return values.withUnsafeBufferPointer { v in
            guard let p = v.baseAddress else { return [] }
            return (0..<layerCount).map { LayerSignalStatistics(values: p + base + $0, stride: layerCount) }
        }
    }

    /// One quantity of record `index`, per layer (depth + 1 values).
    public func values(_ q: SignalQuantity, record index: Int) throws(BSNNError) -> [Double] {
        let base = try offset(record: index) + q.rawValue * layerCount
        return Array(values[base..<(base + layerCount)])
    }

    /// Copies one quantity of record `index` into `out` (layerCount values).
    public func copyValues(_ q: SignalQuantity, record index: Int, into out: UnsafeMutableBufferPointer<Double>) throws(BSNNError) {
        let base = try offset(record: index) + q.rawValue * layerCount
        guard out.count >= layerCount else {
            throw BSNNError.shapeMismatch("monitor values: expected room for \(layerCount) layers, got \(out.count)")
        }
        for l in 0..<layerCount { out[l] = values[base + l] }
    }

    /// Record `index`'s collapse verdict (nil: healthy).
    public func collapse(record index: Int) throws(BSNNError) -> SignalCollapse? {
        _ = try offset(record: index)
        return collapses[index]
    }

    /// max/min of ‖∂E/∂W⁽ˡ⁾‖_F over the layers of record `index` (∞ if one is 0).
    public func gradientNormRatio(record index: Int) throws(BSNNError) -> Double {
        SignalProbeResult.ratio(try values(.weightGradientNorm, record: index))
    }

    /// The first record that is a collapse, if any.
    public var firstCollapse: (record: Int, collapse: SignalCollapse)? {
        for (i, c) in collapses.enumerated() { if let c { return (i, c) } }
        return nil
    }

    /// Drops all records, keeping the storage.
    public func removeAll() {
        steps.removeAll(keepingCapacity: true)
        collapses.removeAll(keepingCapacity: true)
        values.removeAll(keepingCapacity: true)
    }

    private func offset(record index: Int) throws(BSNNError) -> Int {
        guard index >= 0, index < steps.count else {
            throw BSNNError.invalidArgument("monitor record: expected 0..<\(steps.count), got \(index)")
        }
        return index * Self.quantityCount * layerCount
    }

    // MARK: Recording (called by the trainer)

    func isDue(step: Int) -> Bool { step % every == 0 }

    /// Room for `records` more records without reallocation.
    func reserve(records: Int) {
        steps.reserveCapacity(steps.count + records)
        collapses.reserveCapacity(collapses.count + records)
        values.reserveCapacity(values.count + records * Self.quantityCount * layerCount)
    }

    /// After the forward pass: outputs and gates (ws.ds still holds a·φ'(h)).
    func measureForward(model: MLP, workspace ws: MLP.Workspace) {
        let b = ws.batch, w = width, n = layerCount
        pending.withUnsafeMutableBufferPointer { pb in
            unitSum.withUnsafeMutableBufferPointer { sb in
                guard let p = pb.baseAddress, let s = sb.baseAddress else { return }
                for l in 0..<n {
                    let x = UnsafePointer(ws.xs[l + 1].pointer)
                    p[SignalQuantity.forwardNorm.rawValue * n + l] = SignalProbe.meanRowNorm(x, rows: b, columns: w, normalize: true)
                    p[SignalQuantity.cosineSimilarity.rawValue * n + l] =
                        LayerSignalStatistics.meanCosineSimilarity(x, rows: b, columns: w, sum: s)
                    let m = LayerSignalStatistics.derivativeMoments(ws.ds[l].pointer, count: b * w)
                    p[SignalQuantity.derivativeMean.rawValue * n + l] = m.mean
                    p[SignalQuantity.derivativeStandardDeviation.rawValue * n + l] = m.std
                    p[SignalQuantity.saturatedFraction.rawValue * n + l] = m.saturated
                }
            }
        }
        pendingValid = false
    }

    /// After the checked step's signal pass (ws.ds[l] = ∂E/∂h⁽ˡ⁾), before any update.
    func measureBackward(model: MLP, workspace ws: MLP.Workspace) throws(BSNNError) {
        let b = ws.batch, w = width, n = layerCount
        for l in 0..<n {
            let y = UnsafePointer(ws.ds[l].pointer)
            pending[SignalQuantity.backwardNorm.rawValue * n + l] = SignalProbe.meanRowNorm(y, rows: b, columns: w, normalize: false)
            pending[SignalQuantity.weightGradientNorm.rawValue * n + l] =
                try model.effectiveWeightGradientNormSquared(of: l, signal: y, workspace: ws).squareRoot()
        }
        pendingValid = true
    }

    /// The step completed: appends the pending record; returns its collapse verdict.
    @discardableResult
    func commit(step: Int) -> SignalCollapse? {
        guard pendingValid else { return nil }
        pendingValid = false
        steps.append(step)
        values.append(contentsOf: pending)
        let verdict = pending.withUnsafeBufferPointer { p in
            p.baseAddress.flatMap { SignalCollapse.judge($0, layers: layerCount) }
        }
        collapses.append(verdict)
        return verdict
    }
}

/// Why a monitor record counts as a collapse (see `TrainingMonitor`'s rule).
public enum SignalCollapse: Sendable, Equatable {
    /// A norm or gate statistic of this layer is NaN/Inf.
    case nonFinite(layer: Int)
    /// max/min of ‖∂E/∂W⁽ˡ⁾‖_F over the layers exceeds `collapseGradientRatio`.
    case gradientRatio(Double)
    /// The last hidden layer's mean cosine similarity exceeds `collapseCosineSimilarity`.
    case similarity(Double)

    public var message: String {
        switch self {
        case .nonFinite(let l):
            return "signal collapse: a norm or gate statistic of layer \(l) is NaN/Inf"
        case .gradientRatio(let r):
            return "signal collapse: the weight-gradient norm ratio max/min over layers is \(r) (> \(TrainingMonitor.collapseGradientRatio)): the layers' gradients vanish or explode relative to each other"
        case .similarity(let s):
            return "signal collapse: the mean cosine similarity between samples at the last hidden layer is \(s) (> \(TrainingMonitor.collapseCosineSimilarity)): all inputs map to nearly the same representation"
        }
    }

    /// `v` is one record, quantity × layer.
    static func judge(_ v: UnsafePointer<Double>, layers n: Int) -> SignalCollapse? {
        // The quantities before `saturatedFraction` (the cosine may be NaN for a batch of one).
        for q in 0..<SignalQuantity.saturatedFraction.rawValue {
            for l in 0..<n where !v[q * n + l].isFinite { return .nonFinite(layer: l) }
        }
        let g = v + SignalQuantity.weightGradientNorm.rawValue * n
        var mx = 0.0, mn = Double.infinity
        for l in 0..<n { mx = max(mx, g[l]); mn = min(mn, g[l]) }
        let ratio = mn > 0 ? mx / mn : .infinity
        if ratio > TrainingMonitor.collapseGradientRatio { return .gradientRatio(ratio) }
        let s = v[SignalQuantity.cosineSimilarity.rawValue * n + n - 1]
        if s > TrainingMonitor.collapseCosineSimilarity { return .similarity(s) }
        return nil
    }
}

extension Trainer {
    /// The monitor, or a wrong-state error naming the setting that turns it on.
    public func requireMonitor() throws(BSNNError) -> TrainingMonitor {
        guard let m = monitor else {
            throw BSNNError.wrongState("training monitor: off (set monitorEvery / monitor_every to N >= 1 steps)")
        }
        return m
    }
}
