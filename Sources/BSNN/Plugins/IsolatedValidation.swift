import Glibc

/// Validating an untrusted plugin in a child process.
///
/// A plugin's function is native code running in our address space: if it dereferences
/// NULL or loops forever while the host evaluates it, no error handling can help — a
/// signal handler cannot safely resume a process whose state a crash left undefined.
/// The only protection is to run that first contact somewhere else. This forks a child
/// that loads the plugin, evaluates the activation on the validation grid and the GPN
/// quadrature nodes (exactly what `makeActivation` and normalization do), and reports
/// the moments through a pipe; the parent enforces the time limit.
///
/// What it does not protect: the later in-process use (`makeActivation`, training). A
/// plugin that passes here but crashes on other inputs, or only sometimes, still takes
/// the host down with it. Validation only answers "does it survive the inputs bsnn will
/// use to normalize it".
///
/// The process handling (deadline, process group, crash reports, SIGCHLD) is
/// `IsolatedChild`'s.
///
/// Caveat of `fork` in a multithreaded host: the child starts with one thread, and a
/// lock another thread held at the fork stays held there. glibc's malloc resets its
/// locks in the child; a lock of the Swift runtime or of the host may not, which would
/// make the child hang and be reported as a time-out (never a hang of the parent).
public struct IsolatedValidationReport: Sendable, Equatable {
    public let plugin: String
    public let activation: String
    public let constants: GPNConstants
}

extension PluginLibrary {
    /// Loads `path` in a forked child, makes activation `name` with `parameters`, and
    /// computes its GPN constants there.
    ///
    /// - Throws: `.plugin` with "crashed with SIGSEGV" (or the signal's name) or "timed
    ///   out after N s" when the child dies or overruns `timeout` (its process group is
    ///   killed), or "exited … without a result" when it leaves early (exit()); the
    ///   child's own error, of the same kind, when the plugin is merely invalid;
    ///   `.invalidArgument` for a non-positive or non-finite timeout; `.internal` when
    ///   no child can be started.
    public static func validateIsolated(
        path: String, name: String, parameters: [String: Double] = [:], timeout: Double = 10
    ) throws(BSNNError) -> IsolatedValidationReport {
        guard timeout.isFinite, timeout > 0, timeout <= 86_400 else {
            throw BSNNError.invalidArgument("timeout: expected a number of seconds in (0, 86400], got \(timeout)")
        }
        let what = "plugin '\(path)', activation '\(name)'"
        let outcome = try IsolatedChild.run(what: what, timeout: timeout) {
            childReply { () throws(BSNNError) in
                let plugin = try PluginLibrary.load(path: path)
                let activation = try plugin.makeActivation(name: name, parameters: parameters)
                return (try GPNNormalizer.moments(of: activation), plugin.name)
            }
        }
        let (moments, pluginName) = try interpret(outcome, what: what, timeout: timeout)
        return IsolatedValidationReport(
            plugin: pluginName, activation: name, constants: try GPNConstants(moments: moments, name: what))
    }

    /// The child's side: the moments as exact bit patterns, or the error's kind and text.
    static func childReply(_ body: () throws(BSNNError) -> (GaussianMoments, String)) -> String {
        do {
            let (m, label) = try body()
            return "ok\n" + [m.mean, m.meanSquare, m.derivativeMeanSquare].map { String($0.bitPattern, radix: 16) }.joined(separator: "\n")
                + "\n" + label
        } catch let e as BSNNError {
            return "error\n\(e.kind)\n\(e.message)"
        } catch {
            return "error\ninternal error\n\(error)"
        }
    }

    /// The parent's side: the moments and label, or the error the outcome stands for.
    static func interpret(
        _ outcome: IsolatedChild.Outcome, what: String, timeout: Double
    ) throws(BSNNError) -> (GaussianMoments, String) {
        switch outcome {
        case .timedOut:
            throw BSNNError.plugin("\(what): timed out after \(formatSeconds(timeout)) s during validation (the child process and its process group were killed)")
        case .crashed(let signal):
            throw BSNNError.plugin("\(what): crashed with \(signalName(signal)) during validation (in a child process; the host is unaffected)")
        case .replied(let message, let exitStatus):
            return try decode(message, what: what, exitStatus: exitStatus)
        }
    }

    private static func decode(_ message: String, what: String, exitStatus: Int32?) throws(BSNNError) -> (GaussianMoments, String) {
        let lines = message.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.first == "ok", lines.count >= 5 {
            let v = lines[1...3].compactMap { UInt64($0, radix: 16).map(Double.init(bitPattern:)) }
            if v.count == 3 {
                let m = GaussianMoments(mean: v[0], meanSquare: v[1], derivativeMeanSquare: v[2])
                return (m, lines[4...].joined(separator: "\n"))
            }
        }
        if lines.first == "error", lines.count >= 3 {
            let text = lines[2...].joined(separator: "\n")
            switch lines[1] {
            case "invalid argument": throw BSNNError.invalidArgument(text)
            case "numeric failure": throw BSNNError.numeric(text)
            case "I/O error": throw BSNNError.io(text)
            case "out of memory": throw BSNNError.outOfMemory(text)
            default: throw BSNNError.plugin(text)
            }
        }
        let how = exitStatus.map { "with status \($0)" } ?? "(its exit status was reaped by the host, which ignores SIGCHLD or reaps children itself)"
        throw BSNNError.plugin("\(what): the validating child process exited \(how) without a result (the plugin called exit or closed its output)")
    }

    static func formatSeconds(_ s: Double) -> String {
        s == s.rounded() ? String(Int(s)) : String(s)
    }

    static func signalName(_ s: Int32) -> String {
        switch s {
        case SIGSEGV: return "SIGSEGV"
        case SIGBUS: return "SIGBUS"
        case SIGILL: return "SIGILL"
        case SIGFPE: return "SIGFPE"
        case SIGABRT: return "SIGABRT"
        case SIGKILL: return "SIGKILL"
        case SIGTERM: return "SIGTERM"
        case SIGTRAP: return "SIGTRAP"
        case SIGSYS: return "SIGSYS"
        default: return "signal \(s)"
        }
    }
}

extension ForeignActivation {
    /// The isolated counterpart of `make` for `library:symbol:signature`: opens the
    /// library, calls the function on the validation grid and the GPN quadrature nodes
    /// in a forked child, and returns its GPN constants (`plugin` is the library).
    ///
    /// `make` alone calls the function in the host: a symbol that is not a function of
    /// the declared signature (a data symbol such as `libc.so.6:environ`, or a function
    /// taking pointers) crashes the host there. Validating here first turns that into
    /// an error.
    ///
    /// - Throws: as `PluginLibrary.validateIsolated`, plus `make`'s errors (bad
    ///   signature, missing symbol, non-finite values) reported from the child.
    public static func validateIsolated(
        library: String, symbol: String, signature: String, boundParameters: [Double] = [], timeout: Double = 10
    ) throws(BSNNError) -> IsolatedValidationReport {
        guard timeout.isFinite, timeout > 0, timeout <= 86_400 else {
            throw BSNNError.invalidArgument("timeout: expected a number of seconds in (0, 86400], got \(timeout)")
        }
        // Signature errors need no child.
        _ = try ForeignSignature.parse(signature)
        let what = "foreign function '\(symbol)' in '\(library)' (\(signature))"
        let outcome = try IsolatedChild.run(what: what, timeout: timeout) {
            PluginLibrary.childReply { () throws(BSNNError) in
                let activation = try make(
                    library: library, symbol: symbol, signature: signature, boundParameters: boundParameters)
                return (try GPNNormalizer.moments(of: activation), library)
            }
        }
        let (moments, label) = try PluginLibrary.interpret(outcome, what: what, timeout: timeout)
        return IsolatedValidationReport(
            plugin: label, activation: symbol, constants: try GPNConstants(moments: moments, name: what))
    }
}
