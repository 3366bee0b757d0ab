import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// This process's rank in a `--distributed` run (0 otherwise): only rank 0 prints notes
/// and progress and writes files; the others report only their own errors.
nonisolated(unsafe) var processRank = 0

enum ProcessRole {
    /// Sets `processRank`; a process other than rank 0 sends its standard output to
    /// /dev/null (its results are rank 0's) and `Output.write` skips its files.
    static func become(rank: Int) throws {
        processRank = rank
        guard rank > 0 else { return }
        fflush(stdout)
        // Opened without O_CREAT or O_TRUNC: where /dev/null is missing this fails instead
        // of creating a file there.
        let fd = open("/dev/null", O_WRONLY)
        guard fd >= 0, dup2(fd, STDOUT_FILENO) >= 0 else {
            throw CLIError.io("rank \(rank): cannot send standard output to /dev/null: \(String(cString: strerror(errno)))")
        }
        close(fd)
    }
}
