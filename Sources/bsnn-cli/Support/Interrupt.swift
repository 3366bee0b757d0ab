#if canImport(Glibc)
import Glibc
#endif

/// Ctrl-C during training: the handler only sets a flag (the one thing that is
/// async-signal-safe); the training progress callback reads it and returns false, so
/// the engine stops after the current step with the model intact.
enum Interrupt {
    nonisolated(unsafe) static var requested: sig_atomic_t = 0

    static func install() {
        signal(SIGINT) { _ in Interrupt.requested = 1 }
    }

    /// Back to the default so a second Ctrl-C while saving still kills the process.
    static func uninstall() { signal(SIGINT, SIG_DFL) }

    static var isRequested: Bool { requested != 0 }
}
