#if canImport(Glibc)
import Glibc
#endif

/// Ctrl-C during training: the handler only sets a flag (the one thing that is
/// async-signal-safe); the training progress callback reads it and returns false, so
/// the engine stops after the current step with the model intact.
///
/// SIGUSR1 does the same. It is the signal for a run under mpirun, which ends the whole
/// job on Ctrl-C (SIGINT) but forwards SIGUSR1 to every process: `kill -USR1 <mpirun>`
/// stops every process at the same step, with rank 0's checkpoint.
enum Interrupt {
    nonisolated(unsafe) static var requested: sig_atomic_t = 0
    static let signals = [SIGINT, SIGUSR1]

    static func install() {
        for s in signals { signal(s) { _ in Interrupt.requested = 1 } }
    }

    /// Back to the default so a second Ctrl-C while saving still kills the process.
    static func uninstall() { for s in signals { signal(s, SIG_DFL) } }

    static var isRequested: Bool { requested != 0 }
}
