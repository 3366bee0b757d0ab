#if canImport(Glibc)
import Glibc
#endif

/// A `dlopen` handle that is closed when the last reference goes away.
///
/// Activations made from a library keep it alive through `Activation.owner`, so the
/// code their function pointers point into can never be unmapped under them.
/// Unchecked Sendable: the path and handle are immutable after `dlopen`; `dlclose` runs
/// once, in deinit, when no activation can call into the library any more.
final class SharedLibrary: @unchecked Sendable {
    /// The path exactly as the caller gave it (`dlopen` semantics: a bare name such as
    /// `libm.so.6` is looked up by the dynamic loader, a name with a `/` is a file).
    let path: String
    private let handle: UnsafeMutableRawPointer

    /// Opens `path` with `RTLD_NOW | RTLD_LOCAL`: unresolved symbols fail here rather
    /// than at the first call, and the library's symbols cannot leak into others.
    init(path: String) throws(BSNNError) {
        guard !path.isEmpty else {
            throw BSNNError.invalidArgument("library path is empty; expected a shared library file or name")
        }
        // dlopen of a FIFO blocks forever and of a device reads it; a path (not a bare
        // name for the loader's search) must be a regular file.
        if path.contains("/") {
            do { try AtomicFile.requireRegularFile(path, role: "shared library file") } catch let e as BSNNError {
                throw BSNNError.plugin("cannot load '\(path)' as a shared library: \(e.message)")
            }
        }
        _ = dlerror()  // clear any stale message so the one reported is ours
        guard let h = dlopen(FilePathBytes.cString(path), RTLD_NOW | RTLD_LOCAL) else {
            throw BSNNError.plugin(
                "cannot load '\(path)' as a shared library: \(SharedLibrary.lastError())")
        }
        self.path = path
        self.handle = h
    }

    deinit { dlclose(handle) }

    /// Identifies the loaded image: dlopen returns the same handle for every open of
    /// one library while any of them is open.
    var imageKey: UInt { UInt(bitPattern: handle) }

    /// The address of `name`, or nil when the library does not define it.
    func symbol(_ name: String) -> UnsafeMutableRawPointer? {
        _ = dlerror()
        return dlsym(handle, name)
    }

    static func lastError() -> String {
        guard let e = dlerror() else { return "no reason given by the dynamic loader" }
        return String(cString: e)
    }
}
