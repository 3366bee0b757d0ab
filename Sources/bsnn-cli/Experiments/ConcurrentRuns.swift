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
        let shared = ConcurrentRunsState<T>(count)
        let run = UncheckedSendable(body), report = UncheckedSendable(done)
        @Sendable func take() -> Int? {
            shared.lock.lock(); defer { shared.lock.unlock() }
            guard shared.next < count else { return nil }
            shared.next += 1
            return shared.next - 1
        }
        @Sendable func work() {
            while let i = take() {
                let r = Result { try run.value(i) }
                shared.lock.lock()
                shared.results[i] = r
                shared.finished += 1
                report.value?(shared.finished, count)
                shared.lock.unlock()
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
        return try shared.results.map { r in
            guard let r else { throw BSNNError.internal("concurrent runs: a run did not report its result") }
            return try r.get()
        }
    }
}

/// A closure handed to the worker threads: each run builds its own model, and the
/// progress note is called under the workers' lock, so sharing them is safe.
private struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// What the worker threads share; every access holds `lock`.
private final class ConcurrentRunsState<T>: @unchecked Sendable {
    let lock = NSLock()
    var results: [Result<T, Error>?]
    var next = 0, finished = 0
    init(_ count: Int) { results = .init(repeating: nil, count: count) }
}
