#if canImport(Glibc)
import Glibc
#endif

/// The lock that serializes calls into a plugin library whose activations do not set
/// `BSNN_PLUGIN_THREAD_SAFE`. One per loaded library, because a plugin that is not
/// thread-safe may share state between its activations.
final class PluginLock: @unchecked Sendable {
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

    @inline(__always) func withLock<R>(_ body: () throws -> R) rethrows -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }
}
