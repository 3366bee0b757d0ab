#if canImport(Glibc)
import Glibc
#endif

/// A pthread mutex at a stable heap address (a `pthread_mutex_t` must not move, which a
/// Swift stored value may). pthread rather than `Synchronization.Mutex`, whose
/// uninstrumented lock made ThreadSanitizer report races it could not see ordered.
/// Unchecked Sendable: it is the synchronization; its storage is touched only by pthread calls.
final class PthreadMutex: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    @inline(__always) func withLock<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// With the lock held (inside `withLock`): releases it, sleeps until `condition` is
    /// signalled, and takes it again. The condition must be used with this mutex only.
    func wait(on condition: PthreadCondition) { pthread_cond_wait(condition.pointer, mutex) }
}
