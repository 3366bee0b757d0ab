// Translation helpers shared by every exported function: error → status + message,
// live-handle registry, and validation of C pointers, sizes and strings. Every check
// here runs before memory is touched, because a trap cannot be caught and would kill
// the host process.
import BSNN
import CBSNNSupport
import Glibc

// MARK: - Status codes

func statusCode(_ error: BSNNError) -> Int32 {
    switch error {
    case .invalidArgument: return 1
    case .shapeMismatch: return 2
    case .io: return 3
    case .format: return 4
    case .plugin: return 5
    case .numeric: return 6
    case .outOfMemory: return 7
    case .wrongState: return 8
    case .cancelled: return 9
    case .internal: return 10
    }
}

/// Capacity of the thread's message without its NUL (`CBSNN_ERROR_CAPACITY` − 1).
let lastErrorLimit = 2047

func setLastError(_ message: String) {
    var text = fitted(message, limit: lastErrorLimit)
    text.withUTF8 { cbsnn_set_error_bytes($0.baseAddress, $0.count) }
}

/// A message that fits `limit` bytes. Messages name the function first and end with
/// the reason; what makes them long is echoed input in between (a path, a signature),
/// so the middle is elided, never the ends, and the cut keeps UTF-8 characters whole.
func fitted(_ message: String, limit: Int) -> String {
    let bytes = Array(message.utf8)
    guard bytes.count > limit else { return message }
    let marker = Array(" […] ".utf8)
    let keep = limit - marker.count
    var head = keep * 3 / 8
    var tail = bytes.count - (keep - head)
    while head > 0, bytes[head] & 0xC0 == 0x80 { head -= 1 }
    while tail < bytes.count, bytes[tail] & 0xC0 == 0x80 { tail += 1 }
    return String(decoding: bytes[..<head] + marker + bytes[tail...], as: UTF8.self)
}

/// Runs `body`, turning every thrown error into a status code and the thread's message.
@inline(__always)
func guarded(_ function: String, _ body: () throws -> Void) -> Int32 {
    do {
        try body()
        return 0
    } catch let error as BSNNError {
        setLastError("\(function): \(error.message)")
        return statusCode(error)
    } catch {
        setLastError("\(function): internal error: \(error)")
        return 10
    }
}

func invalid(_ message: String) -> BSNNError { .invalidArgument(message) }

// MARK: - Handles

/// Objects behind the opaque handles. A handle is the address of one of these boxes; the
/// registry holds the strong reference, so looking a handle up never dereferences a
/// pointer the caller gave us, and a freed or garbage handle is simply not found.
protocol HandleBox: AnyObject { static var cName: String { get } }
final class ActivationBox: HandleBox {
    static let cName = "bsnn_activation"
    let value: LayerActivation
    init(_ v: LayerActivation) { value = v }
}
final class ModelBox: HandleBox {
    static let cName = "bsnn_model"
    let model: MLP
    init(_ m: MLP) { model = m }
}
final class TrainerBox: HandleBox {
    static let cName = "bsnn_trainer"
    let trainer: Trainer
    init(_ t: Trainer) { trainer = t }
}
final class DatasetBox: HandleBox {
    static let cName = "bsnn_dataset"
    let data: Dataset
    init(_ d: Dataset) { data = d }
}
final class ProbeBox: HandleBox {
    static let cName = "bsnn_probe"
    let result: SignalProbeResult
    init(_ r: SignalProbeResult) { result = r }
}
final class PluginBox: HandleBox {
    static let cName = "bsnn_plugin"
    let plugin: PluginLibrary
    init(_ p: PluginLibrary) { plugin = p }
}

struct LiveHandles: @unchecked Sendable { var objects: [UInt: HandleBox] = [:] }

/// The registry's lock is a pthread mutex rather than `Synchronization.Mutex`: TSan
/// intercepts pthread_mutex_lock, but Mutex locks inside the uninstrumented
/// libswiftSynchronization, so TSan saw no ordering between two critical sections and
/// reported a race on the registry (test_threads, about one run in ten).
final class HandleRegistry: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var state = LiveHandles()

    init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    func withLock<R>(_ body: (inout LiveHandles) throws -> R) rethrows -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&state)
    }
}

enum Handles {
    static let live = HandleRegistry()

    static func register(_ object: HandleBox) -> OpaquePointer {
        let address = Unmanaged.passUnretained(object as AnyObject).toOpaque()
        live.withLock { $0.objects[UInt(bitPattern: address)] = object }
        return OpaquePointer(address)
    }

    static func lookup<T: HandleBox>(_ handle: OpaquePointer?, _ type: T.Type, _ argument: String) throws -> T {
        guard let handle else { throw invalid("\(argument): expected a \(T.cName) handle, got NULL") }
        let key = UInt(bitPattern: UnsafeRawPointer(handle))
        guard let object = live.withLock({ $0.objects[key] }) else {
            throw invalid("\(argument): expected a live \(T.cName) handle, got \(hex(key)), which was freed or never created by bsnn")
        }
        guard let typed = object as? T else {
            throw invalid("\(argument): expected a \(T.cName) handle, got a \(Swift.type(of: object).cName) handle")
        }
        return typed
    }

    /// Removes a handle of type `T`; anything else (NULL, freed, another type) is ignored,
    /// since `*_free` has no way to report an error.
    static func release<T: HandleBox>(_ handle: OpaquePointer?, _ type: T.Type) {
        guard let handle else { return }
        let key = UInt(bitPattern: UnsafeRawPointer(handle))
        let removed: HandleBox? = live.withLock { state in
            guard let o = state.objects[key], o is T else { return nil }
            return state.objects.removeValue(forKey: key)
        }
        // Deinit (which may unload a plugin or free 200 MB) runs outside the lock.
        _ = removed
    }
}

func hex(_ v: UInt) -> String { "0x" + String(v, radix: 16) }

/// Stores a new handle through `out` (checked non-NULL by the caller's `outPointer`).
func publish(_ object: HandleBox, _ out: UnsafeMutablePointer<OpaquePointer?>) {
    out.pointee = Handles.register(object)
}

// MARK: - Arguments

func outPointer<T>(_ p: UnsafeMutablePointer<T>?, _ argument: String = "out") throws -> UnsafeMutablePointer<T> {
    guard let p else { throw invalid("\(argument): expected a pointer to store the result, got NULL") }
    return p
}

func string(_ p: UnsafePointer<CChar>?, _ argument: String) throws -> String {
    guard let p else { throw invalid("\(argument): expected a NUL-terminated string, got NULL") }
    guard let s = String(validatingCString: p) else { throw invalid("\(argument): expected UTF-8 text, got invalid bytes") }
    return s
}

/// A `size_t` from C arrives as a Swift Int; values above Int.max come out negative.
func size(_ v: Int, _ argument: String) throws(BSNNError) -> Int {
    guard v >= 0 else { throw invalid("\(argument): expected a count <= \(Int.max), got \(UInt(bitPattern: v))") }
    return v
}

func product(_ a: Int, _ b: Int, _ argument: String) throws(BSNNError) -> Int {
    let (p, overflow) = a.multipliedReportingOverflow(by: b)
    guard !overflow else { throw invalid("\(argument): \(a) × \(b) overflows size_t") }
    return p
}

/// Checks a caller buffer of exactly `count` elements and returns it.
func buffer<T>(_ p: UnsafePointer<T>?, _ count: Int, _ argument: String) throws(BSNNError) -> UnsafeBufferPointer<T> {
    guard let p else { throw invalid("\(argument): expected a buffer of \(count) values, got NULL") }
    return UnsafeBufferPointer(start: p, count: count)
}

func mutableBuffer<T>(_ p: UnsafeMutablePointer<T>?, _ count: Int, _ argument: String) throws(BSNNError) -> UnsafeMutableBufferPointer<T> {
    guard let p else { throw invalid("\(argument): expected a buffer of \(count) values, got NULL") }
    return UnsafeMutableBufferPointer(start: p, count: count)
}

func expectCount(_ given: Int, _ expected: Int, _ argument: String, _ what: String) throws {
    guard given == expected else {
        throw BSNNError.shapeMismatch("\(argument): expected \(expected) (\(what)), got \(given)")
    }
}

/// Copies `text` as a NUL-terminated string; buffer NULL with capacity 0 only reports
/// the length.
func copyString(
    _ text: String, _ buffer: UnsafeMutablePointer<CChar>?, _ capacity: Int, _ outLength: UnsafeMutablePointer<Int>?
) throws {
    let bytes = Array(text.utf8)
    let cap = try size(capacity, "capacity")
    if buffer == nil && cap == 0 {
        outLength?.pointee = bytes.count
        return
    }
    guard let buffer else { throw invalid("buffer: expected a buffer of \(cap) bytes, got NULL") }
    guard cap >= bytes.count + 1 else {
        throw invalid("capacity: expected at least \(bytes.count + 1) bytes (length + NUL), got \(cap)")
    }
    bytes.withUnsafeBufferPointer { src in
        if let b = src.baseAddress { UnsafeMutableRawPointer(buffer).copyMemory(from: b, byteCount: bytes.count) }
    }
    buffer[bytes.count] = 0
    outLength?.pointee = bytes.count
}

func names(_ p: UnsafePointer<UnsafePointer<CChar>?>?, _ values: UnsafePointer<Double>?, _ count: Int) throws -> [String: Double] {
    let n = try size(count, "param_count")
    guard n > 0 else { return [:] }
    let ns = try buffer(p, n, "param_names")
    let vs = try buffer(values, n, "param_values")
    var result: [String: Double] = [:]
    for i in 0..<n {
        let name = try string(ns[i], "param_names[\(i)]")
        guard result[name] == nil else { throw invalid("param_names[\(i)]: expected distinct names, got '\(name)' twice") }
        result[name] = vs[i]
    }
    return result
}
