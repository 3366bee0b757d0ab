#if canImport(Glibc)
import Glibc
#endif

/// Running untrusted native code once in a forked child process, with a deadline that
/// holds whatever the child does (see `IsolatedValidation.swift` for what is run).
///
/// The guarantees, each of which a hostile fixture in `Tests/fixtures/broken_plugins`
/// exercises:
/// * The caller returns within the deadline plus the time to kill: the deadline covers
///   reading the reply *and* waiting for the child, so a child that closes its end of
///   the pipe (or all its descriptors) and keeps running is killed at the deadline.
/// * The child is the leader of its own process group and the whole group is killed
///   (SIGKILL) before the child is reaped, so processes a plugin forks do not outlive
///   the validation, and one of them holding the pipe open does not turn a crash of
///   the child into a time-out (the child's exit is watched, not only the pipe's EOF).
///   A process that leaves the group (`setsid`) escapes this.
/// * Crashes are reported by the child itself through the pipe (a signal handler writes
///   the signal number, then dies of the signal), so they are named correctly even in
///   a host that ignores SIGCHLD or reaps children itself, where the kernel's exit
///   status is not available to us.
/// * Host stdio buffers are flushed before `fork`, and the child leaves with `_exit`, so
///   output the host had buffered is not written twice (also when a plugin calls `exit`).
enum IsolatedChild {
    enum Outcome {
        /// The child's reply; `exitStatus` is nil when the kernel's status was not ours
        /// to read (SIGCHLD ignored, or the host reaped the child).
        case replied(String, exitStatus: Int32?)
        case crashed(signal: Int32)
        case timedOut
    }

    /// Forks, runs `work` in the child and sends back what it returns.
    ///
    /// - Throws: `.internal` when no pipe or child can be made.
    static func run(what: String, timeout: Double, work: () -> String) throws(BSNNError) -> Outcome {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else {
            throw BSNNError.internal("\(what): isolated validation could not create a pipe (errno \(errno))")
        }
        let (readEnd, writeEnd) = (fds[0], fds[1])
        // Close-on-exec: a process that another thread of the host forks and execs must
        // not inherit the write end, or our read would wait for that stranger to exit.
        _ = fcntl(readEnd, F_SETFD, FD_CLOEXEC)
        _ = fcntl(writeEnd, F_SETFD, FD_CLOEXEC)
        fflush(nil)
        let pid = fork()
        if pid < 0 {
            let e = errno
            close(readEnd); close(writeEnd)
            throw BSNNError.internal("\(what): isolated validation could not fork (errno \(e))")
        }
        if pid == 0 {
            close(readEnd)
            runChild(output: writeEnd, work: work)
        }
        // Both sides set the group, so it exists whichever runs first.
        _ = setpgid(pid, pid)
        close(writeEnd)
        defer { close(readEnd) }
        return collect(pid: pid, readEnd: readEnd, deadline: MonotonicClock.now() + timeout)
    }

    /// The reserved first byte of a crash report; never the start of UTF-8 text.
    static let crashMarker: UInt8 = 0xFF

    private static func runChild(output: Int32, work: () -> String) -> Never {
        _ = setpgid(0, 0)
        crashReportDescriptor = output
        installCrashReporters()
        var noCore = rlimit(rlim_cur: 0, rlim_max: 0)
        setrlimit(__rlimit_resource_t(RLIMIT_CORE.rawValue), &noCore)
        let bytes = Array(work().utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { write(output, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            sent += n
        }
        // _exit: atexit handlers and stdio buffers belong to the parent.
        _exit(0)
    }

    private static func installCrashReporters() {
        // Its own stack, so a plugin's stack overflow is reported too.
        let size = 1 << 16
        // Kept in a global: the kernel's reference is invisible to leak checkers, which
        // run in the child when a plugin calls exit().
        crashStack = malloc(size)
        if let stack = crashStack {
            var ss = stack_t()
            ss.ss_sp = stack
            ss.ss_size = size
            ss.ss_flags = 0
            _ = sigaltstack(&ss, nil)
        }
        for s in [SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP, SIGSYS] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = reportCrash
            action.sa_flags = Int32(SA_ONSTACK) | Int32(bitPattern: UInt32(SA_RESETHAND))
            sigemptyset(&action.sa_mask)
            _ = sigaction(s, &action, nil)
        }
    }

    /// Watches the pipe and the child until the child has exited (then drains the
    /// pipe) or the deadline passes; kills the child's group either way, then reaps.
    private static func collect(pid: pid_t, readEnd: Int32, deadline: Double) -> Outcome {
        var bytes = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        var eof = false
        var timedOut = false
        var exited = false
        // Short polls: the child's exit has no descriptor to wait on (pidfd is not
        // reachable from Swift's Glibc), and EOF alone is not the end.
        let slice = 0.01
        func readAvailable(waiting seconds: Double) {
            var p = pollfd(fd: readEnd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&p, 1, Int32((seconds * 1000).rounded(.up)))
            guard ready > 0 else { return }
            let n = buffer.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
            if n > 0 { bytes += buffer[0..<n] } else if n == 0 || errno != EINTR { eof = true }
        }
        while true {
            if childHasExited(pid) {
                exited = true
                // Whatever the child wrote is in the pipe now; a grandchild may still
                // hold the write end, so read what is there without waiting for EOF.
                while !eof {
                    let before = bytes.count
                    readAvailable(waiting: 0)
                    if bytes.count == before { break }
                }
                break
            }
            let left = deadline - MonotonicClock.now()
            if left <= 0 { timedOut = true; break }
            if eof {
                var none = pollfd(fd: -1, events: 0, revents: 0)
                _ = poll(&none, 1, Int32((min(left, slice) * 1000).rounded(.up)))
            } else {
                readAvailable(waiting: min(left, slice))
            }
        }
        // The group: the child if it is still running, and anything it forked. The
        // child is not reaped yet (WNOWAIT), or, if the kernel reaped it, any member
        // left keeps the group id reserved. The child itself is signalled directly only
        // while it is known to run: once reaped, its pid may name a stranger.
        _ = kill(-pid, SIGKILL)
        if !exited { _ = kill(pid, SIGKILL) }
        var status: Int32 = 0
        var reaped: pid_t
        repeat { reaped = waitpid(pid, &status, 0) } while reaped < 0 && errno == EINTR
        if bytes.count >= 2, bytes[0] == crashMarker { return .crashed(signal: Int32(bytes[1])) }
        // WIFSIGNALED / WTERMSIG are macros Swift cannot import.
        let signal = status & 0x7F
        if reaped == pid, signal != 0, signal != 0x7F, !(timedOut && signal == SIGKILL) {
            return .crashed(signal: signal)
        }
        if timedOut { return .timedOut }
        return .replied(String(decoding: bytes, as: UTF8.self), exitStatus: reaped == pid ? (status >> 8) & 0xFF : nil)
    }

    /// Whether the child has terminated, without reaping it (`WNOWAIT`), so its process
    /// group id cannot be reused before we kill the group. No child to wait for (the
    /// kernel reaped it because SIGCHLD is ignored, or the host did) also means it is gone.
    private static func childHasExited(_ pid: pid_t) -> Bool {
        var info = siginfo_t()
        while true {
            let r = waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT)
            if r < 0 && errno == EINTR { continue }
            if r < 0 { return true }
            // Linux leaves si_signo 0 when WNOHANG finds nothing.
            return info.si_signo == SIGCHLD
        }
    }
}

/// The pipe a crashing child reports on; set in the child before the handlers.
nonisolated(unsafe) private var crashReportDescriptor: Int32 = -1
/// The child's signal stack (see `installCrashReporters`).
nonisolated(unsafe) private var crashStack: UnsafeMutableRawPointer?

/// Async-signal-safe: two bytes from the stack, one `write`, then the default action
/// (SA_RESETHAND restored it; the re-raised signal is delivered when this returns).
private let reportCrash: @convention(c) (Int32) -> Void = { sig in
    var report: (UInt8, UInt8) = (0xFF, UInt8(truncatingIfNeeded: sig))
    _ = withUnsafeBytes(of: &report) { write(crashReportDescriptor, $0.baseAddress, 2) }
    raise(sig)
}
