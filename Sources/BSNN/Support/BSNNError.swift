/// The one error type the engine throws. Each case carries a sentence that names the
/// argument, what was expected and what was found; the C layer maps the case to a
/// `bsnn_status` code one to one, so the cases only ever get appended.
public enum BSNNError: Error, Equatable, CustomStringConvertible, Sendable {
    case invalidArgument(String)
    case shapeMismatch(String)
    case io(String)
    case format(String)
    case plugin(String)
    case numeric(String)
    case outOfMemory(String)
    case wrongState(String)
    case cancelled(String)
    case `internal`(String)

    public var message: String {
        switch self {
        case .invalidArgument(let m), .shapeMismatch(let m), .io(let m), .format(let m),
            .plugin(let m), .numeric(let m), .outOfMemory(let m), .wrongState(let m),
            .cancelled(let m), .internal(let m):
            return m
        }
    }

    /// A short kind name, also used by the CLI and tests.
    public var kind: String {
        switch self {
        case .invalidArgument: return "invalid argument"
        case .shapeMismatch: return "shape mismatch"
        case .io: return "I/O error"
        case .format: return "bad file format"
        case .plugin: return "plugin error"
        case .numeric: return "numeric failure"
        case .outOfMemory: return "out of memory"
        case .wrongState: return "wrong state"
        case .cancelled: return "cancelled"
        case .internal: return "internal error"
        }
    }

    public var description: String { "\(kind): \(message)" }
}
