#if canImport(Glibc)
import Glibc
#endif

/// A second thread that applies layer updates while the backward pass goes on with the
/// next layer's GEMMs. The update is memory-bound (it streams V and the optimizer state)
/// and the GEMMs are compute-bound, so on a 2-core machine with 1 BLAS thread the two
/// overlap almost completely. Updates of different layers touch disjoint memory and do
/// not depend on each other, so results are bit-identical to the sequential order.
final class UpdateWorker: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    private var changed = pthread_cond_t()
    /// Work items are plain values (not closures), so a step allocates nothing.
    private var queue: [LayerGradient] = []
    private var update: ParameterUpdate?
    private var head = 0
    private var running = 0
    private var stopping = false
    private var firstError: Error?
    private var thread = pthread_t()

    init() throws {
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&changed, nil)
        let box = Unmanaged.passRetained(self)
        let rc = pthread_create(&thread, nil, { raw in
            guard let raw else { return nil }
            let worker = Unmanaged<UpdateWorker>.fromOpaque(raw).takeRetainedValue()
            worker.loop()
            return nil
        }, box.toOpaque())
        guard rc == 0 else {
            box.release()
            throw BSNNError.internal("could not start the update thread (pthread_create: \(rc))")
        }
    }

    /// Stops the thread after the queued work; called by the owner (the trainer's deinit).
    func shutdown() {
        pthread_mutex_lock(&mutex)
        stopping = true
        pthread_cond_broadcast(&changed)
        pthread_mutex_unlock(&mutex)
        pthread_join(thread, nil)
    }

    /// Sets the step's update rule; call before the first `submit` of a step.
    func begin(_ rule: ParameterUpdate) {
        pthread_mutex_lock(&mutex)
        update = rule
        pthread_mutex_unlock(&mutex)
    }

    func submit(_ work: LayerGradient) {
        pthread_mutex_lock(&mutex)
        queue.append(work)
        pthread_cond_broadcast(&changed)
        pthread_mutex_unlock(&mutex)
    }

    /// Blocks until at most `limit` updates are pending.
    func wait(untilPendingAtMost limit: Int) {
        pthread_mutex_lock(&mutex)
        while queue.count - head + running > limit { pthread_cond_wait(&changed, &mutex) }
        pthread_mutex_unlock(&mutex)
    }

    /// Waits for every submitted update and rethrows the first error one of them threw.
    func drain() throws {
        wait(untilPendingAtMost: 0)
        pthread_mutex_lock(&mutex)
        let error = firstError
        firstError = nil
        queue.removeAll(keepingCapacity: true)
        head = 0
        pthread_mutex_unlock(&mutex)
        if let e = error { throw e }
    }

    private func loop() {
        pthread_mutex_lock(&mutex)
        while true {
            while head == queue.count && !stopping { pthread_cond_wait(&changed, &mutex) }
            if head == queue.count && stopping { break }
            let work = queue[head]
            let rule = update
            head += 1
            running += 1
            pthread_mutex_unlock(&mutex)
            var failure: Error?
            do { try rule?.apply(to: work) } catch { failure = error }
            pthread_mutex_lock(&mutex)
            running -= 1
            if firstError == nil { firstError = failure }
            pthread_cond_broadcast(&changed)
        }
        pthread_mutex_unlock(&mutex)
    }
}
