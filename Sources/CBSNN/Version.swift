// Version, feature and status-text getters: never fail, never touch the stored error.
import BSNN
import CBSNNSupport

/// Static C strings, created once and never freed (the library may be asked for them
/// at any time, from any thread).
enum StaticStrings {
    static func make(_ s: String) -> UnsafePointer<CChar> {
        let bytes = Array(s.utf8CString)
        let p = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count)
        p.initialize(from: bytes, count: bytes.count)
        return UnsafePointer(p)
    }
    static let version = make("\(BSNN_VERSION_MAJOR).\(BSNN_VERSION_MINOR).\(BSNN_VERSION_PATCH)")
    static let statuses: [UnsafePointer<CChar>] = [
        "ok", "invalid argument", "shape mismatch", "I/O error", "bad file format", "plugin error",
        "numeric failure", "out of memory", "wrong state", "cancelled", "internal error",
    ].map(make)
    static let unknownStatus = make("unknown status")
    static let builtins: [UnsafePointer<CChar>] = BuiltinActivation.names.map(make)
}

@_cdecl("bsnn_version")
public func bsnn_version() -> UnsafePointer<CChar> { StaticStrings.version }

@_cdecl("bsnn_version_number")
public func bsnn_version_number() -> UInt32 {
    UInt32(BSNN_VERSION_MAJOR * 10000 + BSNN_VERSION_MINOR * 100 + BSNN_VERSION_PATCH)
}

@_cdecl("bsnn_abi_version")
public func bsnn_abi_version() -> UInt32 { UInt32(BSNN_ABI_VERSION) }

@_cdecl("bsnn_features")
public func bsnn_features() -> UInt32 {
    // Plugins and libffi are always compiled in; threading is what OpenBLAS reports.
    BSNN_FEATURE_PLUGINS | BSNN_FEATURE_FFI | (BLAS.isThreaded ? BSNN_FEATURE_THREADED_BLAS : 0)
}

@_cdecl("bsnn_status_string")
public func bsnn_status_string(_ status: Int32) -> UnsafePointer<CChar> {
    guard status >= 0, Int(status) < StaticStrings.statuses.count else { return StaticStrings.unknownStatus }
    return StaticStrings.statuses[Int(status)]
}

@_cdecl("bsnn_blas_set_threads")
public func bsnn_blas_set_threads(_ threads: Int) -> Int32 {
    guarded("bsnn_blas_set_threads") {
        try BLAS.setThreadCount(threads)
    }
}

@_cdecl("bsnn_blas_threads")
public func bsnn_blas_threads() -> Int { BLAS.threadCount }
