#if canImport(Glibc)
import Glibc
#endif

/// The lock that serializes calls into a plugin library whose activations do not set
/// `BSNN_PLUGIN_THREAD_SAFE`. One per loaded library *image*, because a plugin that is
/// not thread-safe may share state between its activations, and `dlopen` of the same
/// file again returns the same image (same handle, same globals): two `PluginLibrary`
/// loads of one plugin must share the lock (`forImage`).
/// Unchecked Sendable: its only state is the mutex.
final class PluginLock: @unchecked Sendable {
    private let mutex = PthreadMutex()

    @inline(__always) func withLock<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
        try mutex.withLock(body)
    }
}

extension PluginLock {
    /// The lock of the image behind a dlopen handle, shared by every load of it. Held
    /// weakly: when the last library object of an image goes, so does its lock (the
    /// handle is closed then, and a later dlopen may get a new image).
    static func forImage(_ key: UInt) -> PluginLock {
        registry.withLock { locks in
            locks = locks.filter { $0.value.lock != nil }
            if let existing = locks[key]?.lock { return existing }
            let lock = PluginLock()
            locks[key] = WeakLock(lock: lock)
            return lock
        }
    }

    private struct WeakLock { weak var lock: PluginLock? }

    private static let registry = ImageLockRegistry()

    /// Unchecked Sendable: `locks` is touched only under `mutex`.
    private final class ImageLockRegistry: @unchecked Sendable {
        private let mutex = PthreadMutex()
        private var locks: [UInt: WeakLock] = [:]
        func withLock<R>(_ body: (inout [UInt: WeakLock]) -> R) -> R {
            mutex.withLock { body(&locks) }
        }
    }
}
