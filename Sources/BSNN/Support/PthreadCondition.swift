#if canImport(Glibc)
import Glibc
#endif

/// A pthread condition variable at a stable heap address (as `PthreadMutex`), used with
/// one `PthreadMutex` (`PthreadMutex.wait(on:)`).
/// Unchecked Sendable: it is the synchronization; its storage is touched only by pthread calls.
final class PthreadCondition: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<pthread_cond_t>

    init() {
        pointer = .allocate(capacity: 1)
        pointer.initialize(to: pthread_cond_t())
        pthread_cond_init(pointer, nil)
    }

    deinit {
        pthread_cond_destroy(pointer)
        pointer.deallocate()
    }

    /// Wakes one waiter. Call it with the mutex held, so that a waiter between its check
    /// and its wait cannot miss the signal.
    func signal() { pthread_cond_signal(pointer) }
}
