#if canImport(Glibc)
import Glibc
#endif

/// CPU seconds of all this process's threads: on a shared machine it leaves out the time
/// spent waiting for a core, which the wall time (`MonotonicClock`) does not.
enum ProcessCPUClock {
    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }
}
