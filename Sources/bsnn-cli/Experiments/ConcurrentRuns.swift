import BSNN
import Foundation

/// Independent experiment runs on `jobs` threads at once. Each run builds its own model
/// and trainer and calls OpenBLAS with one BLAS thread (the caller sets it), so a run
/// computes exactly what it computes alone: results are bit-identical to `jobs = 1`
/// (tests/cli/test_reproduce.py compares them), only the wall time changes. The results
/// come back in index order, whatever order the runs finish in.
enum ConcurrentRuns {
    /// Calls `body(i)` for i in 0..<count, at most `jobs` at a time; rethrows the first
    /// error (by index) after every started run has finished. `done` is called after
    /// each run (under a lock, in completion order) for a progress note.
    static func map<T>(count: Int, jobs: Int, done: ((Int, Int) -> Void)? = nil, _ body: @escaping (Int) throws -> T) throws -> [T] {
        guard count > 0 else { return [] }
        let lock = NSLock()
        var results = [Result<T, Error>?](repeating: nil, count: count)
        var next = 0, finished = 0
        func take() -> Int? {
            lock.lock(); defer { lock.unlock() }
            guard next < count else { return nil }
            next += 1
            return next - 1
        }
        func work() {
            while let i = take() {
                let r = Result { try body(i) }
                lock.lock()
                results[i] = r
                finished += 1
                done?(finished, count)
                lock.unlock()
            }
        }
        let workers = max(1, min(jobs, count))
        if workers == 1 {
            work()
        } else {
            let group = DispatchGroup()
            for _ in 0..<workers {
                group.enter()
                // A thread of its own (not a dispatch queue's): the engine's layer loops
                // are not deep, but 8 MiB matches the main thread's stack, so a run
                // behaves the same on either.
                let t = Thread { work(); group.leave() }
                t.stackSize = 8 << 20
                t.start()
            }
            group.wait()
        }
        return try results.map { r in
            guard let r else { throw BSNNError.internal("concurrent runs: a run did not report its result") }
            return try r.get()
        }
    }
}
