/// The collective a data-parallel run needs from its transport (MPI in `libbsnn_mpi`, a
/// fake in tests): every process of the run calls the same methods in the same order
/// with buffers of the same sizes, and the transport sums them over the processes.
/// The engine knows nothing of the transport; `Trainer.setGradientExchange` installs one.
///
/// Per step a trainer with an exchange calls `start` once per bucket, from the output
/// layer down (bucket l holds layer l's gradients, started as soon as the backward pass
/// has formed them, so the transport can overlap the sum with the layers below), then
/// the step-totals bucket (index = layer count), then `agree` once, then `finish` for
/// every bucket in the same order. A process whose step failed before its backward
/// pass still makes every call, with zeros and its failure in `agree`, so no process
/// waits for a call that never comes.
///
/// Calls come from the training thread only. A thrown error ends the step on this
/// process; the transport is then expected to be unusable (the run should end).
public protocol GradientExchange: AnyObject {
    /// How many processes take part (≥ 1); the summed gradients are divided by it.
    var processCount: Int { get }
    /// This process's index in 0..<processCount (the one that owns slice `rank` of
    /// every global batch).
    var rank: Int { get }
    /// Starts summing the `count` floats at `buffer` over every process, in place. May
    /// return before the sum is done; the buffer must not be touched until `finish`.
    func start(bucket: Int, buffer: UnsafeMutablePointer<Float>, count: Int) throws(BSNNError)
    /// Waits until bucket `bucket` holds the sum over every process.
    func finish(bucket: Int) throws(BSNNError)
    /// The worst step status over every process (an all-reduce of the maximum).
    func agree(status: StepStatus) throws(BSNNError) -> StepStatus
    /// Whether every process holds the same value as process 0 (a broadcast of process
    /// 0's value and an all-reduce of the comparison): used for the model checksum.
    func allMatchRankZero(_ value: UInt64) throws(BSNNError) -> Bool
}

/// What a process reports to the others before anyone applies a data-parallel step;
/// ordered by severity, so the maximum over the processes decides for all of them.
public enum StepStatus: Int32, Sendable, Comparable {
    /// Gradients formed and finite.
    case ok = 0
    /// The logits, loss or a gradient is NaN/Inf on this process: every process skips
    /// the step and reports a numeric error (checked mode's guarantee across processes).
    case nonFinite = 1
    /// The step failed on this process for another reason (an error it reports itself);
    /// every other process skips the step and reports that a peer failed.
    case failed = 2

    public static func < (a: StepStatus, b: StepStatus) -> Bool { a.rawValue < b.rawValue }
}
