#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// A second thread that updates the upper part of a layer's weights while the calling
/// thread updates the lower part: the update streams the weights and their optimizer
/// slots from memory, and a second core adds memory bandwidth. A trainer makes one when
/// OpenBLAS runs on two or more threads: between the step's products the OpenBLAS worker
/// only waits, so the helper takes that core's time.
///
/// Between jobs the helper waits yielding the core (`sched_yield`, so it never delays a
/// product running on that core) and parks on a condition variable after
/// `parkAfterSeconds` without work, so an idle trainer costs no CPU.
///
/// The job is a value (`WeightUpdateRange`), not a closure: storing a closure for the
/// other thread would allocate its context on every layer of every step.
///
/// This handle is what the trainer holds; the thread holds only the shared state, so
/// releasing the trainer releases the handle, whose deinit stops and joins the thread.
final class UpdateHelper {
    private let shared: UpdateHelperState
    private var thread = pthread_t()
    /// A forked child has no helper thread (fork copies only the calling thread): a
    /// trainer there starts a new helper instead of waiting on one that is not there.
    private let process = getpid()
    var belongsToThisProcess: Bool { getpid() == process }

    /// How long the helper waits for the next job before it parks: longer than the gap
    /// between two layers' updates, short enough that a stopped trainer idles at once.
    static let parkAfterSeconds = 0.005
    /// What `top -H`, gdb and /proc/PID/task/*/comm show for the thread.
    static let threadName = "bsnn-update"

    /// Nil when no thread can be started (the trainer then updates on its own thread).
    init?() {
        shared = UpdateHelperState()
        // The thread owns one reference to the shared state and releases it when it ends.
        let context = Unmanaged.passRetained(shared).toOpaque()
        let rc = pthread_create(&thread, nil, { context in
            UpdateHelper.nameThisThread()
            if let context { Unmanaged<UpdateHelperState>.fromOpaque(context).takeRetainedValue().serve() }
            return nil
        }, context)
        if rc != 0 {
            Unmanaged<UpdateHelperState>.fromOpaque(context).release()
            return nil
        }
    }

    /// pthread_setname_np is a GNU extension Swift does not import; its Linux
    /// implementation writes the same file.
    private static func nameThisThread() {
        let fd = open("/proc/thread-self/comm", O_WRONLY)
        guard fd >= 0 else { return }
        _ = threadName.withCString { write(fd, $0, strlen($0)) }
        close(fd)
    }

    deinit {
        if belongsToThisProcess {
            shared.stop()
            pthread_join(thread, nil)
        } else {
            // No thread here will ever release its reference: release it for it.
            Unmanaged.passUnretained(shared).release()
        }
    }

    /// Jobs the helper has finished, and whether it is parked (for tests).
    var jobsFinished: Int { shared.jobsFinished }
    var isParked: Bool { shared.isParked }

    /// Runs `job` over `0..<split` here and over `split..<count` on the helper, and
    /// returns when both are done. The two ranges must touch disjoint data.
    func run(_ job: WeightUpdateRange, count: Int, split: Int) { shared.run(job, count: count, split: split) }
}

/// What the owner and the helper thread share.
///
/// Unchecked Sendable: `job` and `jobRange` are written by the owning thread only before
/// it posts a job (a releasing increment of `posted`) and read by the helper only after
/// it acquires that increment; the owner reads them again only after acquiring `done`.
/// One owning thread at a time (a trainer is not used from two threads at once).
private final class UpdateHelperState: @unchecked Sendable {
    private let posted = Atomic<Int>(0)
    private let done = Atomic<Int>(0)
    private let sleeping = Atomic<Bool>(false)
    private let stopping = Atomic<Bool>(false)
    private let lock = PthreadMutex()
    private let wake = PthreadCondition()
    private var job: WeightUpdateRange?
    private var jobRange = (0, 0)

    var jobsFinished: Int { done.load(ordering: .acquiring) }
    var isParked: Bool { sleeping.load(ordering: .sequentiallyConsistent) }

    func stop() {
        stopping.store(true, ordering: .sequentiallyConsistent)
        lock.withLock { wake.signal() }
    }

    func run(_ job: WeightUpdateRange, count: Int, split: Int) {
        self.job = job
        jobRange = (split, count)
        let ticket = posted.add(1, ordering: .sequentiallyConsistent).newValue
        if sleeping.load(ordering: .sequentiallyConsistent) { lock.withLock { wake.signal() } }
        job.run(0, split)
        while done.load(ordering: .acquiring) != ticket { sched_yield() }
        self.job = nil
    }

    func serve() {
        var seen = 0
        while true {
            var since = 0.0
            var polls = 0
            while posted.load(ordering: .acquiring) == seen {
                if stopping.load(ordering: .relaxed) { return }
                sched_yield()
                polls += 1
                guard polls & 63 == 0 else { continue }
                let now = MonotonicClock.now()
                if since == 0 {
                    since = now
                } else if now - since > UpdateHelper.parkAfterSeconds {
                    park(seen: seen)
                    since = 0
                }
            }
            if stopping.load(ordering: .relaxed) { return }
            seen += 1
            let (a, b) = jobRange
            job?.run(a, b)
            done.store(seen, ordering: .releasing)
        }
    }

    /// Sleeps until a job after `seen` is posted or the owner stops the helper. The
    /// sequentially consistent flag and counter make a post either see `sleeping` (and
    /// signal under the mutex) or be seen by the re-check before the wait.
    private func park(seen: Int) {
        lock.withLock {
            sleeping.store(true, ordering: .sequentiallyConsistent)
            while posted.load(ordering: .sequentiallyConsistent) == seen && !stopping.load(ordering: .sequentiallyConsistent) {
                lock.wait(on: wake)
            }
            sleeping.store(false, ordering: .sequentiallyConsistent)
        }
    }
}
