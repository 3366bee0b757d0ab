import ArgumentParser
import BSNN
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Exit statuses, following BSD sysexits(3) where one fits.
enum ExitStatus: Int32 {
    case ok = 0
    /// Bad flag, bad value, unknown activation or subcommand (EX_USAGE).
    case usage = 64
    /// Input data or model file present but malformed, or of the wrong shape (EX_DATAERR).
    case data = 65
    /// An input file or folder that does not exist or cannot be opened (EX_NOINPUT).
    case noInput = 66
    /// A plugin or foreign function that cannot be loaded or is degenerate (EX_UNAVAILABLE).
    case plugin = 69
    /// NaN/∞ or divergence during training, or an internal error (EX_SOFTWARE).
    case numeric = 70
    /// Out of memory (EX_OSERR).
    case memory = 71
    /// Cannot write an output file (EX_IOERR).
    case io = 74
    /// Ctrl-C (128 + SIGINT); training saved a checkpoint first.
    case interrupted = 130
}

/// Errors raised by the command line itself (as opposed to the engine).
enum CLIError: Error {
    case usage(String)
    case missingInput(String)
    case data(String)
    case io(String)
    case interrupted(String)

    var status: ExitStatus {
        switch self {
        case .usage: return .usage
        case .missingInput: return .noInput
        case .data: return .data
        case .io: return .io
        case .interrupted: return .interrupted
        }
    }

    var message: String {
        switch self {
        case .usage(let m), .missingInput(let m), .data(let m), .io(let m), .interrupted(let m): return m
        }
    }
}

extension BSNNError {
    var exitStatus: ExitStatus {
        switch self {
        case .invalidArgument: return .usage
        case .shapeMismatch, .format: return .data
        case .io: return .io
        case .plugin: return .plugin
        case .numeric, .wrongState, .internal: return .numeric
        case .outOfMemory: return .memory
        case .cancelled: return .interrupted
        }
    }
}

/// Every failure ends as one line on stderr plus a distinct status; `--help` and
/// `--version` go to stdout with status 0.
func reportAndExit(_ error: Error) -> Never {
    let status: ExitStatus
    let line: String
    switch error {
    case let e as CLIError:
        status = e.status
        line = e.message
    case let e as BSNNError:
        status = e.exitStatus
        line = "\(e.kind): \(e.message)"
    case let e as CocoaError:
        // Foundation's own wording ("The operation could not be completed") says
        // nothing; name the file and the system's reason instead.
        status = .io
        let reason = (e.userInfo[NSUnderlyingErrorKey] as? NSError).map { String(cString: strerror(Int32($0.code))) } ?? "error \(e.code.rawValue)"
        line = "I/O error: \(e.filePath.map { "'\($0)': " } ?? "")\(reason)"
    default:
        let code = BSNN_CLI.exitCode(for: error)
        if code == .success {
            print(BSNN_CLI.fullMessage(for: error))
            exit(0)
        }
        status = .usage
        // ArgumentParser's message can span lines (usage hints); keep the first.
        let msg = BSNN_CLI.message(for: error)
        line = msg.split(separator: "\n").first.map(String.init) ?? msg
    }
    fflush(stdout)
    // Every process of a distributed run stops at the same step on Ctrl-C; rank 0 says so.
    if processRank > 0 && status == .interrupted { exit(status.rawValue) }
    fputs("bsnn\(processRank > 0 ? " (rank \(processRank))" : ""): error: \(line)\n", stderr)
    exit(status.rawValue)
}
