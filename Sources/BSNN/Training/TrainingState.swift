/// Everything a trainer carries from one step to the next besides the model's
/// parameters: its position in the run, the shuffling and dropout generators and the optimizer slots.
/// A checkpoint is the model plus exactly this (see `Checkpoint`), which is why resuming
/// from one continues bit-identically.
final class TrainingState {
    /// Optimizer steps taken (drives Adam's bias correction and the schedule).
    var globalStep = 0
    /// Next epoch to run and how many of its steps are already done.
    var epoch = 0
    var stepInEpoch = 0
    /// Shuffling generator state at the start of `epoch` (the permutation is re-derived
    /// from it, so a resumed epoch visits batches in the same order).
    var epochStartRNG: RandomGenerator
    /// The dropout masks' generator (`Dropout`), advanced by every step of a model with
    /// dropout and untouched otherwise; seeded from the training seed, saved in checkpoints.
    var dropoutRNG: RandomGenerator
    let optimizer = OptimizerState()

    init(seed: UInt64) {
        epochStartRNG = RandomGenerator(seed: seed)
        dropoutRNG = RandomGenerator(seed: Dropout.streamSeed(trainingSeed: seed))
    }
}
