/// A copy of everything that defines what a model computes, in buffers allocated once
/// (`MLP.makeParameterSnapshot`) and overwritten by `MLP.copyParameters(into:)`: early
/// stopping keeps the best epoch's model in one. Restoring it makes the model
/// bit-identical to the moment of the copy.
final class ParameterSnapshot {
    /// One buffer per entry of `MLP.stateBuffers`, in that order.
    let buffers: [FloatBuffer]

    fileprivate init(buffers: [FloatBuffer]) { self.buffers = buffers }
}

extension DenseLayer {
    /// Every buffer whose contents define what the layer computes: the stored weight,
    /// the bias, the row scales derived from V (copied rather than recomputed, so a
    /// restore is a plain copy) and the residual scale α. A layer that gains parameters
    /// or running statistics lists them here, and snapshots cover them.
    var stateBuffers: [FloatBuffer] { [weight] + [bias, rowScale, residualScale].compactMap { $0 } }
}

extension NormalizationLayer {
    /// γ and β, and batch normalization's running statistics (evaluation uses them).
    var stateBuffers: [FloatBuffer] { [scaleShift] + [runningMean, runningVariance].compactMap { $0 } }
}

extension MLP {
    /// Every layer's state buffers, then every normalization's.
    var stateBuffers: [FloatBuffer] { layers.flatMap(\.stateBuffers) + normalizations.flatMap(\.stateBuffers) }

    /// Buffers for `copyParameters(into:)`, one per state buffer of the model.
    func makeParameterSnapshot() throws(BSNNError) -> ParameterSnapshot {
        ParameterSnapshot(buffers: try stateBuffers.map { (buffer) throws(BSNNError) in
            try FloatBuffer(count: buffer.count, what: "early-stopping copy of the model's parameters")
        })
    }

    /// Copies every layer's state buffers into `snapshot` (made by this model).
    func copyParameters(into snapshot: ParameterSnapshot) throws(BSNNError) {
        try zipStateBuffers(snapshot) { live, copy in copy.pointer.update(from: live.pointer, count: live.count) }
    }

    /// Overwrites every layer's state buffers from `snapshot` (made by this model).
    func restoreParameters(from snapshot: ParameterSnapshot) throws(BSNNError) {
        try zipStateBuffers(snapshot) { live, copy in live.pointer.update(from: copy.pointer, count: live.count) }
    }

    private func zipStateBuffers(_ snapshot: ParameterSnapshot, _ body: (FloatBuffer, FloatBuffer) -> Void) throws(BSNNError) {
        let live = stateBuffers
        guard live.count == snapshot.buffers.count else {
            throw BSNNError.internal("parameter snapshot: made for a different model (\(snapshot.buffers.count) buffers, expected \(live.count))")
        }
        for (i, (l, copy)) in zip(live, snapshot.buffers).enumerated() {
            guard copy.count == l.count else {
                throw BSNNError.internal("parameter snapshot: made for a different model (buffer \(i))")
            }
            body(l, copy)
        }
    }
}
