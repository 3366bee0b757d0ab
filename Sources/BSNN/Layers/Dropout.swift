/// Inverted dropout on a hidden activation: each unit is kept with probability 1 − p and
/// then scaled by 1/(1 − p), so the expected activation is the undropped one and
/// evaluation needs no rescaling. The mask is never stored: it multiplies the activation
/// and the stored derivative φ'(h) in the same pass, so the backward pass (which gates the
/// signal by that derivative) applies it without knowing dropout exists.
///
/// The random bits come from a generator of their own, owned by the trainer's
/// `TrainingState` and seeded from the training seed (`streamSeed`), so the shuffling
/// order does not depend on dropout and a checkpoint restores the stream exactly.
enum Dropout {
    /// The dropout generator's seed for a training seed: a fixed offset, so the stream
    /// differs from the shuffling generator's (xoshiro seeds through splitmix64).
    static func streamSeed(trainingSeed: UInt64) -> UInt64 { trainingSeed ^ 0xD809_0F7A_5EED_0001 }

    /// Keeps unit i when 32 random bits are below `threshold` (P = ⌊(1−p)·2³²⌋/2³²,
    /// within 2⁻³² of 1 − p) and multiplies value[i] (and derivative[i]) by 1/(1−p) or 0.
    /// `probability` is in (0, 1) (validated by `MLPConfiguration`).
    @inline(__always)
    static func apply(
        probability p: Double, rng: inout RandomGenerator, value v: UnsafeMutablePointer<Float>,
        derivative d: UnsafeMutablePointer<Float>?, count n: Int
    ) {
        let threshold = UInt64(((1 - p) * 4_294_967_296.0).rounded(.down))
        let scale = Float(1 / (1 - p))
        var g = rng
        defer { rng = g }
        var i = 0
        if let d {
            while i + 1 < n {
                let r = g.next()
                let k0: Float = r & 0xFFFF_FFFF < threshold ? scale : 0
                let k1: Float = r >> 32 < threshold ? scale : 0
                v[i] *= k0; d[i] *= k0
                v[i + 1] *= k1; d[i + 1] *= k1
                i += 2
            }
            if i < n {
                let k: Float = g.next() & 0xFFFF_FFFF < threshold ? scale : 0
                v[i] *= k; d[i] *= k
            }
        } else {
            while i + 1 < n {
                let r = g.next()
                v[i] *= r & 0xFFFF_FFFF < threshold ? scale : 0
                v[i + 1] *= r >> 32 < threshold ? scale : 0
                i += 2
            }
            if i < n { v[i] *= g.next() & 0xFFFF_FFFF < threshold ? scale : 0 }
        }
    }
}
