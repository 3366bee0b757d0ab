extension MLP {
    /// What a forward pass without derivatives needs: two `rows × max(width, outputs)`
    /// buffers used in turn (pre-activation, then the activation written back over the
    /// layer's input), instead of the training workspace's input and derivative for
    /// every layer. At the paper's size (500→500×200→10, 256 rows) that is 1 MB rather
    /// than ~200 MB. The first layer reads the caller's features in place.
    ///
    /// One per call (`predict`, `evaluate`), so concurrent predictions share nothing
    /// mutable and N of them cost N of these, never a training workspace each.
    final class InferenceWorkspace {
        let rows: Int
        /// The pre-activation h of the layer being computed; the logits of the last one.
        let preActivation: FloatBuffer
        /// The activation φ(h), i.e. the next layer's input.
        let activation: FloatBuffer
        /// Evaluation-mode normalization coefficients: max(rows, width) floats, or none.
        let normalizationScratch: FloatBuffer
        /// ψ of a residual layer before it is added to the layer's input (which is
        /// `activation`); nil for a model without residual links.
        let branch: FloatBuffer?

        init(model: MLP, rows: Int) throws(BSNNError) {
            let c = model.configuration
            self.rows = rows
            let columns = max(c.width, c.outputs)
            preActivation = try FloatBuffer(rows: rows, columns: columns, what: "inference pre-activations for \(rows) rows")
            activation = try FloatBuffer(rows: rows, columns: columns, what: "inference activations for \(rows) rows")
            normalizationScratch = try FloatBuffer(
                count: c.normalization == .none ? 0 : max(rows, c.width), what: "inference normalization scratch")
            branch = c.residual && c.depth > 0
                ? try FloatBuffer(rows: rows, columns: c.width, what: "inference residual branches for \(rows) rows") : nil
        }

        /// Floats held, for the memory bound tests and callers that size a pool.
        var floatCount: Int { preActivation.count + activation.count + normalizationScratch.count + (branch?.count ?? 0) }
    }
}
