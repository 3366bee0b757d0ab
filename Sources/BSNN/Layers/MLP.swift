#if canImport(Glibc)
import Glibc
#endif

/// A deep fully connected network (see `MLPConfiguration`; optionally normalized before
/// φ, see `Normalization`), float32, row-major, every
/// product through `cblas_sgemm`. Buffers for a batch size are allocated once and
/// reused; a training step in steady state allocates nothing.
///
/// Thread safety: `predict` and `evaluate` may run from several threads at once (each
/// call uses its own small `InferenceWorkspace`) while nothing changes the model. Calls that change the
/// model — a trainer's `step`/`fit`, `setWeights`, `setBias` — run one at a time per
/// model: one that starts while another is running, on any thread or re-entrantly from
/// a progress callback, throws `.wrongState` instead (`exclusiveChange`). Several
/// trainers may exist on one model; only one trains at a time. `predict` during
/// training from another thread is not detected and reads weights mid-update.
/// Unchecked Sendable: weights and cached workspaces change only under `changeLock` (the
/// rule above), which the compiler cannot see; inference reads use per-call buffers.
public final class MLP: @unchecked Sendable {
    public let configuration: MLPConfiguration
    /// 0 = input layer, 1...depth = hidden layers, depth+1 = output layer.
    let layers: [DenseLayer]
    /// One per activated layer (0...depth) when `configuration.normalization` is not
    /// `.none`; empty otherwise.
    let normalizations: [NormalizationLayer]
    /// Up to two cached workspaces: the training batch size and an epoch's last,
    /// partial batch, so neither is reallocated every epoch.
    /// Only touched under `exclusiveChange`, so two trainers cannot race on it.
    private var cachedWorkspaces: [Workspace] = []
    private let changeLock = ChangeLock()

    public convenience init(_ configuration: MLPConfiguration) throws(BSNNError) {
        try self.init(configuration, initializeWeights: true)
    }

    /// `initializeWeights: false` leaves zeros for a loader to fill (skips 200 QRs).
    init(_ configuration: MLPConfiguration, initializeWeights: Bool) throws(BSNNError) {
        try configuration.validate()
        BLAS.applyDefaultThreadCount()
        self.configuration = configuration
        let c = configuration
        var built: [DenseLayer] = []
        built.append(try DenseLayer(inputs: c.inputs, outputs: c.width, constraint: .none, bias: c.bias))
        for _ in 0..<c.depth {
            built.append(try DenseLayer(
                inputs: c.width, outputs: c.width, constraint: c.constraint, bias: c.bias,
                residualScale: c.residual ? c.residualScale : nil))
        }
        built.append(try DenseLayer(inputs: c.width, outputs: c.outputs, constraint: .none, bias: c.bias))
        layers = built
        normalizations = c.normalization == .none ? [] : try (0...c.depth).map { (_) throws(BSNNError) in
            try NormalizationLayer(
                kind: c.normalization, width: c.width, momentum: c.normalizationMomentum, epsilon: c.normalizationEpsilon)
        }
        guard initializeWeights else { return }
        var rng = RandomGenerator(seed: c.seed)
        for layer in layers {
            try c.initialization.fill(layer.weight.pointer, rows: layer.outputs, columns: layer.inputs, rng: &rng)
            try layer.refreshRowScale()
        }
    }

    public var depth: Int { configuration.depth }
    public var width: Int { configuration.width }
    public var layerCount: Int { layers.count }
    public var parameterCount: Int {
        layers.reduce(0) { $0 + $1.parameterCount } + normalizations.reduce(0) { $0 + $1.parameterCount }
    }

    /// The normalization of activated layer `index` (0...depth), nil for the output
    /// layer or a model without normalization.
    @inline(__always)
    func normalization(_ index: Int) -> NormalizationLayer? { index < normalizations.count ? normalizations[index] : nil }

    /// γ, β and (batch normalization) the running mean and variance of activated layer
    /// `index` (0...depth).
    ///
    /// - Throws: `.wrongState` for a model without normalization, `.invalidArgument` for
    ///   a layer index outside 0...depth.
    public func normalizationParameters(layer index: Int) throws(BSNNError)
        -> (gamma: [Float], beta: [Float], runningMean: [Float]?, runningVariance: [Float]?)
    {
        guard !normalizations.isEmpty else {
            throw BSNNError.wrongState("normalization of layer \(index): the model was created without normalization (norm none)")
        }
        guard index >= 0, index < normalizations.count else {
            throw BSNNError.invalidArgument("layer: expected a normalized layer in 0...\(depth), got \(index)")
        }
        let n = normalizations[index]
        return (
            Array(UnsafeBufferPointer(start: n.gamma, count: n.width)), Array(UnsafeBufferPointer(start: n.beta, count: n.width)),
            n.runningMean?.array, n.runningVariance?.array
        )
    }

    /// Replaces γ, β and (batch normalization) the running statistics of activated layer
    /// `index`; everything is checked (finite, variances ≥ 0) before anything changes.
    ///
    /// - Throws: as `normalizationParameters`, `.shapeMismatch`, `.numeric`, `.wrongState`
    ///   while a trainer changes the model.
    public func setNormalizationParameters(
        layer index: Int, gamma: [Float], beta: [Float], runningMean: [Float]? = nil, runningVariance: [Float]? = nil
    ) throws(BSNNError) {
        _ = try normalizationParameters(layer: index)
        let n = normalizations[index]
        try exclusiveChange("set the normalization of layer \(index)") { () throws(BSNNError) in
            try n.load(
                gamma: gamma, beta: beta, runningMean: runningMean ?? n.runningMean?.array,
                runningVariance: runningVariance ?? n.runningVariance?.array)
        }
    }

    // MARK: Parameters

    /// Shape (outputs, inputs) of layer `index`.
    public func weightShape(layer index: Int) throws(BSNNError) -> (outputs: Int, inputs: Int) {
        let l = try layer(index)
        return (l.outputs, l.inputs)
    }

    /// The stored weight parameter of a layer (V for row-normalized layers), row-major.
    public func weights(layer index: Int) throws(BSNNError) -> [Float] { try layer(index).weight.checkedArray(what: "weights of layer \(index)") }

    /// The weight the layer applies (row-normalization folded in), row-major.
    public func effectiveWeights(layer index: Int) throws(BSNNError) -> [Float] { try layer(index).effectiveWeight() }

    public func bias(layer index: Int) throws(BSNNError) -> [Float]? { try layer(index).bias?.checkedArray(what: "bias of layer \(index)") }

    /// Replaces a layer's stored weight parameter (V for row-normalized layers).
    /// Validates everything (finite values, every row's norm of a row-normalized layer)
    /// before changing anything: a failing call leaves the layer bit-identical.
    ///
    /// - Throws: `.wrongState` while a trainer changes the model (see `exclusiveChange`).
    public func setWeights(layer index: Int, _ values: [Float]) throws(BSNNError) {
        let l = try layer(index)
        guard values.count == l.weight.count else {
            throw BSNNError.shapeMismatch(
                "weights of layer \(index): expected \(l.outputs)×\(l.inputs) = \(l.weight.count) values, got \(values.count)")
        }
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw BSNNError.numeric("weights of layer \(index): value \(bad) is \(values[bad]); expected finite")
        }
        let scales: [Float]? = try l.rowScale.map { (_) throws(BSNNError) in
            try values.withUnsafeBufferPointer { (src) throws(BSNNError) -> [Float] in
                guard let p = src.baseAddress else { return [] }
                return try (0..<l.outputs).map { (i) throws(BSNNError) in
                    let s = DenseLayer.inverseRowNorm(p + i * l.inputs, count: l.inputs)
                    guard s.isFinite, s > 0 else {
                        throw BSNNError.numeric(
                            "weights of layer \(index): row \(i) has a zero or overflowing norm; expected a finite, non-zero norm (the layer is row-normalized; nothing was changed)")
                    }
                    return s
                }
            }
        }
        try exclusiveChange("set the weights of layer \(index)") {
            values.withUnsafeBufferPointer { src in
                if let p = src.baseAddress { l.weight.pointer.update(from: p, count: values.count) }
            }
            if let rs = l.rowScale, let scales {
                scales.withUnsafeBufferPointer { src in
                    if let p = src.baseAddress { rs.pointer.update(from: p, count: scales.count) }
                }
            }
        }
    }

    public func setBias(layer index: Int, _ values: [Float]) throws(BSNNError) {
        let l = try layer(index)
        guard let b = l.bias else {
            throw BSNNError.wrongState("bias of layer \(index): the model was created without biases")
        }
        guard values.count == b.count else {
            throw BSNNError.shapeMismatch("bias of layer \(index): expected \(b.count) values, got \(values.count)")
        }
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw BSNNError.numeric("bias of layer \(index): value \(bad) is \(values[bad]); expected finite")
        }
        try exclusiveChange("set the bias of layer \(index)") {
            values.withUnsafeBufferPointer { src in
                if let p = src.baseAddress { b.pointer.update(from: p, count: values.count) }
            }
        }
    }

    /// α of a residual layer (1...depth of a model with `residual`); nil for other layers.
    public func residualScale(layer index: Int) throws(BSNNError) -> Float? { try layer(index).residualScale?.pointer[0] }

    /// Replaces α of a residual layer (finite). Fixed scales can be set as well: the
    /// configuration's value is only where they start.
    ///
    /// - Throws: `.wrongState` for a layer without a residual link or while a trainer
    ///   changes the model.
    public func setResidualScale(layer index: Int, _ value: Float) throws(BSNNError) {
        let l = try layer(index)
        guard let a = l.residualScale else {
            throw BSNNError.wrongState("residual scale of layer \(index): the layer has no residual link (residual links are on layers 1...depth of a model created with residual)")
        }
        guard value.isFinite else { throw BSNNError.numeric("residual scale of layer \(index): expected finite, got \(value)") }
        try exclusiveChange("set the residual scale of layer \(index)") { a.pointer[0] = value }
    }

    func layer(_ index: Int) throws(BSNNError) -> DenseLayer {
        guard index >= 0, index < layers.count else {
            throw BSNNError.invalidArgument("layer: expected 0..<\(layers.count), got \(index)")
        }
        return layers[index]
    }

    // MARK: Workspaces

    /// Per-batch-size buffers: the input of every layer, the activation derivative of
    /// every activated layer (reused for the backward signal), logits and scratch.
    final class Workspace {
        let batch: Int
        /// xs[l] is the input of layer l (B × layers[l].inputs); xs[0] is the batch copy.
        let xs: [FloatBuffer]
        /// ds[l] = scale·φ'(h⁽ˡ⁾) for l in 0...depth (B × width), times the dropout mask
        /// and 1/(1−p) in a dropout step, overwritten by ∂E/∂h⁽ˡ⁾.
        let ds: [FloatBuffer]
        let logits: FloatBuffer
        let dLogits: FloatBuffer
        let dxA: FloatBuffer
        let dxB: FloatBuffer
        let gradient: FloatBuffer
        let biasGradient: FloatBuffer
        /// ∂E/∂h·diag(r) for row-normalized layers (B × width).
        let scaledSignal: FloatBuffer
        /// Row-projection coefficients of the layer being visited (width).
        let projection: FloatBuffer
        /// One per normalized layer (0...depth); empty without normalization.
        let normalization: [NormalizationWorkspace]
        /// X·Vᵀ of every row-normalized layer (B × width, before the row scale and bias),
        /// kept by the forward pass only while gradient clipping needs it (the projection
        /// term of the norm, see `parameterGradientNormSquared`); nil otherwise.
        private(set) var unscaledOutputs: [FloatBuffer?]?
        /// Per-row dot products gᵢ·vᵢ of the layer whose norm is being taken, in double
        /// (width entries while `unscaledOutputs` is kept, else empty).
        var radialDots: [Double] = []

        /// Starts (allocating once) or stops keeping `unscaledOutputs`.
        func keepUnscaledOutputs(_ keep: Bool, of model: MLP) throws(BSNNError) {
            guard keep else { unscaledOutputs = nil; radialDots = []; return }
            guard unscaledOutputs == nil, model.layers.contains(where: { $0.rowScale != nil }) else { return }
            radialDots = [Double](repeating: 0, count: model.layers.map(\.outputs).max() ?? 0)
            unscaledOutputs = try model.layers.map { (layer) throws(BSNNError) in
                try layer.rowScale.map { (_) throws(BSNNError) in
                    try FloatBuffer(rows: batch, columns: layer.outputs, what: "unscaled layer outputs for batch \(batch)")
                }
            }
        }
        /// branches[l] = the dropped-out activation ψ̃ of a residual layer whose α is
        /// learnable (B × width; ∂E/∂α = Σ ∂E/∂x⁽ˡ⁺¹⁾·ψ̃ needs it); nil for other layers.
        let branches: [FloatBuffer?]
        /// ∂E/∂α per layer, formed by the backward signal sweep (0 where α is not learnable).
        let residualScaleGradients: FloatBuffer

        init(model: MLP, batch: Int) throws(BSNNError) {
            self.batch = batch
            let c = model.configuration
            normalization = try model.normalizations.map { (norm) throws(BSNNError) in try NormalizationWorkspace(kind: norm.kind, rows: batch, width: c.width) }
            xs = try model.layers.map { (layer) throws(BSNNError) in try FloatBuffer(rows: batch, columns: layer.inputs, what: "layer inputs for batch \(batch)") }
            ds = try (0...c.depth).map { (_) throws(BSNNError) in try FloatBuffer(rows: batch, columns: c.width, what: "activation derivatives for batch \(batch)") }
            logits = try FloatBuffer(rows: batch, columns: c.outputs, what: "logits for batch \(batch)")
            dLogits = try FloatBuffer(rows: batch, columns: c.outputs, what: "logit gradients for batch \(batch)")
            let widest = max(c.width, c.inputs)
            dxA = try FloatBuffer(rows: batch, columns: widest, what: "backward signal for batch \(batch)")
            dxB = try FloatBuffer(rows: batch, columns: widest, what: "backward signal for batch \(batch)")
            let maxWeights = model.layers.map { $0.inputs * $0.outputs }.max() ?? 1
            gradient = try FloatBuffer(count: maxWeights)
            biasGradient = try FloatBuffer(count: max(c.width, c.outputs))
            scaledSignal = try FloatBuffer(rows: batch, columns: c.width, what: "scaled backward signal for batch \(batch)")
            projection = try FloatBuffer(count: max(c.width, c.outputs))
            branches = try model.layers.map { (layer) throws(BSNNError) in
                layer.learnsResidualScale ? try FloatBuffer(rows: batch, columns: c.width, what: "residual branches for batch \(batch)") : nil
            }
            residualScaleGradients = try FloatBuffer(count: model.layers.count)
        }
    }

    /// Runs `body` as the model's only change in progress; `what` names the refused
    /// call in the error. The check is a try-lock, so it costs one atomic pair per call.
    ///
    /// - Throws: `.wrongState` when another change (a trainer's step or fit, setWeights,
    ///   setBias) is running, including the caller's own fit (re-entrancy from a
    ///   progress callback).
    public func exclusiveChange<R>(_ what: String, _ body: () throws(BSNNError) -> R) throws(BSNNError) -> R {
        guard changeLock.tryAcquire() else {
            throw BSNNError.wrongState(
                "cannot \(what) while the model is being trained or changed (by another thread, or re-entrantly from a progress callback); one change at a time per model")
        }
        defer { changeLock.release() }
        return try body()
    }

    /// Whether a change (training, setWeights, setBias) is running right now.
    public var isBeingChanged: Bool { changeLock.isHeld }

    /// Only called from inside `exclusiveChange` (the trainer's step).
    func workspace(batch: Int) throws(BSNNError) -> Workspace {
        if let w = cachedWorkspaces.first(where: { $0.batch == batch }) { return w }
        let w = try Workspace(model: self, batch: batch)
        cachedWorkspaces = Array(cachedWorkspaces.suffix(1)) + [w]
        return w
    }

    /// Returns the training workspaces' memory (every layer's input and activation
    /// derivative for the batch size, ≈ 2·(depth+2)·batch·width floats). `Trainer.fit` does this
    /// by itself when it returns; a loop of single `step`s keeps them (so steady-state
    /// steps allocate nothing) until this is called. The next step allocates them again.
    ///
    /// - Throws: `.wrongState` while a change (a trainer's step or fit) is using them.
    public func releaseWorkspace() throws(BSNNError) {
        try exclusiveChange("release the training workspace") { releaseWorkspaceHoldingModel() }
    }

    /// `releaseWorkspace` for a caller already inside `exclusiveChange` (the end of fit).
    func releaseWorkspaceHoldingModel() { cachedWorkspaces = [] }

    /// Floats held by cached training workspaces (0 after `releaseWorkspace`).
    var cachedWorkspaceFloats: Int {
        cachedWorkspaces.reduce(0) { total, w in
            total + w.xs.reduce(0) { $0 + $1.count } + w.ds.reduce(0) { $0 + $1.count } + w.gradient.count
                + w.normalization.reduce(0) { $0 + $1.floatCount }
                + (w.unscaledOutputs ?? []).reduce(0) { $0 + ($1?.count ?? 0) }
                + w.branches.reduce(0) { $0 + ($1?.count ?? 0) }
        }
    }
}

/// A flag taken with try-lock semantics (pthread, so TSan sees the ordering).
/// Unchecked Sendable: `held` is read and written only under `mutex`.
final class ChangeLock: @unchecked Sendable {
    private let mutex = PthreadMutex()
    private var held = false

    func tryAcquire() -> Bool {
        mutex.withLock {
            if held { return false }
            held = true
            return true
        }
    }

    func release() { mutex.withLock { held = false } }

    var isHeld: Bool { mutex.withLock { held } }
}
