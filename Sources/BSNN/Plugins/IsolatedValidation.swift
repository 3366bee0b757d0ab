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
    ///   out after N s" when the child dies or overruns `timeout` (it is killed); the
    ///   child's own error, of the same kind, when the plugin is merely invalid;
    ///   `.invalidArgument` for a non-positive or non-finite timeout; `.internal` when
    ///   no child can be started.
    public static func validateIsolated(
        path: String, name: String, parameters: [String: Double] = [:], timeout: Double = 10
    ) throws -> IsolatedValidationReport {
        guard timeout.isFinite, timeout > 0, timeout <= 86_400 else {
            throw BSNNError.invalidArgument("timeout: expected a number of seconds in (0, 86400], got \(timeout)")
        }
        let what = "plugin '\(path)', activation '\(name)'"
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else {
            throw BSNNError.internal("\(what): isolated validation could not create a pipe (errno \(errno))")
        }
        let (readEnd, writeEnd) = (fds[0], fds[1])
        // Close-on-exec: a process that another thread of the host forks and execs must
        // not inherit the write end, or our read would wait for that stranger to exit.
        // (pipe2 would close the small window here but is not visible to Swift's Glibc.)
        _ = fcntl(readEnd, F_SETFD, FD_CLOEXEC)
        _ = fcntl(writeEnd, F_SETFD, FD_CLOEXEC)
        let pid = fork()
        if pid < 0 {
            close(readEnd); close(writeEnd)
            throw BSNNError.internal("\(what): isolated validation could not fork (errno \(errno))")
        }
        if pid == 0 {
            close(readEnd)
            runChild(path: path, name: name, parameters: parameters, output: writeEnd)
        }
        close(writeEnd)
        defer { close(readEnd) }

        let (message, timedOut) = readAll(readEnd, deadline: monotonicSeconds() + timeout)
        if timedOut { kill(pid, SIGKILL) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        if timedOut {
            throw BSNNError.plugin("\(what): timed out after \(formatSeconds(timeout)) s during validation (the child process was killed)")
        }
        // WIFSIGNALED / WTERMSIG are macros Swift cannot import.
        let signal = status & 0x7F
        if signal != 0 && signal != 0x7F {
            throw BSNNError.plugin("\(what): crashed with \(signalName(signal)) during validation (in a child process; the host is unaffected)")
        }
        return try decode(message, what: what, activation: name)
    }

    /// Runs in the forked child; never returns.
    private static func runChild(path: String, name: String, parameters: [String: Double], output: Int32) -> Never {
        // Crashes must reach the parent as signals even when a sanitizer or the host
        // installed handlers, and must not leave core files behind.
        for s in [SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT] { signal(s, SIG_DFL) }
        var noCore = rlimit(rlim_cur: 0, rlim_max: 0)
        setrlimit(__rlimit_resource_t(RLIMIT_CORE.rawValue), &noCore)
        var reply: String
        do {
            let plugin = try PluginLibrary.load(path: path)
            let activation = try plugin.makeActivation(name: name, parameters: parameters)
            let m = try GPNNormalizer.moments(of: activation)
            reply = "ok\n" + [m.mean, m.meanSquare, m.derivativeMeanSquare].map { String($0.bitPattern, radix: 16) }.joined(separator: "\n")
                + "\n" + plugin.name
        } catch let e as BSNNError {
            reply = "error\n\(e.kind)\n\(e.message)"
        } catch {
            reply = "error\ninternal error\n\(error)"
        }
        let bytes = Array(reply.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { write(output, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            sent += n
        }
        // _exit: atexit handlers and stdio buffers belong to the parent.
        _exit(0)
    }

    private static func readAll(_ fd: Int32, deadline: Double) -> (String, timedOut: Bool) {
        var bytes = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let left = deadline - monotonicSeconds()
            if left <= 0 { return ("", true) }
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&p, 1, Int32(min(left * 1000, 3_600_000).rounded(.up)))
            if ready < 0 && errno == EINTR { continue }
            if ready <= 0 { continue }
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return (String(decoding: bytes, as: UTF8.self), false) }
            bytes += buffer[0..<n]
        }
    }

    private static func decode(_ message: String, what: String, activation: String) throws -> IsolatedValidationReport {
        let lines = message.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.first == "ok", lines.count >= 5 {
            let v = lines[1...3].compactMap { UInt64($0, radix: 16).map(Double.init(bitPattern:)) }
            if v.count == 3 {
                let m = GaussianMoments(mean: v[0], meanSquare: v[1], derivativeMeanSquare: v[2])
                return IsolatedValidationReport(
                    plugin: lines[4...].joined(separator: "\n"), activation: activation,
                    constants: try GPNConstants(moments: m, name: what))
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
        throw BSNNError.plugin("\(what): the validating child process exited without a result (it may have called exit)")
    }

    private static func monotonicSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }

    private static func formatSeconds(_ s: Double) -> String {
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
        default: return "signal \(s)"
        }
    }
}
