import Foundation
import XCTest
@testable import BSNN

/// N threads, one trainer each, summing through shared memory: the collective a
/// data-parallel run needs, without MPI (`libbsnn_mpi`'s own tests run under mpirun).
/// Every call is a barrier, so the order of calls must match across ranks or the test
/// hangs (each rank's calls are also recorded and compared).
final class ThreadCollective: @unchecked Sendable {
    let size: Int
    private let condition = NSCondition()
    private var arrived = 0, generation = 0
    private var pointers: [UnsafeMutablePointer<Float>?]
    private var counts: [Int]
    private var values: [Int64]
    var calls: [[String]]

    init(size: Int) {
        self.size = size
        pointers = Array(repeating: nil, count: size)
        counts = Array(repeating: 0, count: size)
        values = Array(repeating: 0, count: size)
        calls = Array(repeating: [], count: size)
    }

    func barrier() {
        condition.lock()
        let g = generation
        arrived += 1
        if arrived == size { arrived = 0; generation += 1; condition.broadcast() } else {
            while g == generation { condition.wait() }
        }
        condition.unlock()
    }

    func sum(rank: Int, _ p: UnsafeMutablePointer<Float>, count: Int) {
        condition.lock(); pointers[rank] = p; counts[rank] = count; calls[rank].append("sum \(count)"); condition.unlock()
        barrier()
        var total = [Float](repeating: 0, count: count)
        for r in 0..<size {
            precondition(counts[r] == count, "ranks disagree on a bucket size")
            // Rank order, so every rank forms the identical sum.
            if let q = pointers[r] { for i in 0..<count { total[i] += q[i] } }
        }
        barrier()
        p.update(from: total, count: count)
        barrier()
    }

    func reduce(rank: Int, _ v: Int64, _ op: ([Int64]) -> Int64) -> Int64 {
        condition.lock(); values[rank] = v; calls[rank].append("reduce"); condition.unlock()
        barrier()
        let r = op(values)
        barrier()
        return r
    }
}

final class ThreadExchange: GradientExchange {
    let collective: ThreadCollective
    let rank: Int
    var processCount: Int { collective.size }
    private var pending: [Int: (UnsafeMutablePointer<Float>, Int)] = [:]
    /// Rank whose next `agree` reports a failure, for tests of the skip protocol.
    var injectStatus: StepStatus?

    init(_ c: ThreadCollective, rank: Int) { collective = c; self.rank = rank }

    // Summed at `finish`: a real transport may finish any time in between.
    func start(bucket: Int, buffer: UnsafeMutablePointer<Float>, count: Int) throws(BSNNError) {
        pending[bucket] = (buffer, count)
    }
    func finish(bucket: Int) throws(BSNNError) {
        guard let (p, n) = pending.removeValue(forKey: bucket) else { throw BSNNError.internal("finish before start") }
        collective.sum(rank: rank, p, count: n)
    }
    func agree(status: StepStatus) throws(BSNNError) -> StepStatus {
        let s = injectStatus ?? status
        injectStatus = nil
        return StepStatus(rawValue: Int32(collective.reduce(rank: rank, Int64(s.rawValue)) { $0.max() ?? 0 })) ?? .failed
    }
    func allMatchRankZero(_ value: UInt64) throws(BSNNError) -> Bool {
        let first = collective.reduce(rank: rank, Int64(bitPattern: value)) { $0[0] }
        let same: Int64 = first == Int64(bitPattern: value) ? 1 : 0
        return collective.reduce(rank: rank, same) { $0.min() ?? 0 } == 1
    }
}

/// Results of threads, written under a lock.
final class RankResults<T>: @unchecked Sendable {
    var results: [Result<T, Error>?]
    init(_ n: Int) { results = Array(repeating: nil, count: n) }
}

/// Runs `body(rank)` on `n` threads at once and returns their results in rank order.
func onRanks<T>(_ n: Int, _ body: @escaping @Sendable (Int) throws -> T) throws -> [T] {
    let box = RankResults<T>(n)
    let lock = NSLock()
    let threads = (0..<n).map { r in
        Thread {
            let out = Result { try body(r) }
            lock.lock(); box.results[r] = out; lock.unlock()
        }
    }
    for t in threads { t.stackSize = 8 << 20; t.start() }
    let deadline = Date().addingTimeInterval(120)
    while true {
        lock.lock(); let done = box.results.allSatisfy { $0 != nil }; lock.unlock()
        if done { break }
        if Date() > deadline { throw BSNNError.internal("ranks did not finish within 120 s (a collective mismatch hangs)") }
        Thread.sleep(forTimeInterval: 0.005)
    }
    return try box.results.map { try XCTUnwrap($0).get() }
}

final class DataParallelTests: XCTestCase {
    let inputs = 6, width = 24, depth = 20, classes = 3

    func model(normalization: Normalization = .none) throws -> MLP {
        try MLP(MLPConfiguration(
            inputs: inputs, width: width, depth: depth, outputs: classes, activation: try .builtin("tanh"), seed: 9,
            normalization: normalization))
    }

    func data(_ count: Int) throws -> Dataset {
        let x = gaussianArray(count * inputs, seed: 3)
        let y = (0..<count).map { i in Int32((x[i * inputs] > 0 ? 1 : 0) + (x[i * inputs + 1] > 0.5 ? 1 : 0)) }
        return try Dataset(features: x, labels: y, featureCount: inputs, classCount: classes)
    }

    func parameters(_ m: MLP) -> [Float] { m.stateBuffers.flatMap { Array(UnsafeBufferPointer(start: $0.pointer, count: $0.count)) } }

    func configuration(batch: Int, mode: UpdateMode = .checked, clip: Double? = nil, optimizer: OptimizerKind = .momentum) -> TrainingConfiguration {
        TrainingConfiguration(
            epochs: 2, batchSize: batch, optimizer: OptimizerConfiguration(kind: optimizer, learningRate: optimizer == .adam ? 1e-3 : 0.05, momentum: 0.9),
            seed: 4, updateMode: mode, clipGradientNorm: clip)
    }

    /// ‖a − b‖ / ‖b‖.
    func relativeDifference(_ a: [Float], _ b: [Float]) -> Double {
        var d = 0.0, n = 0.0
        for (x, y) in zip(a, b) { d += Double(x - y) * Double(x - y); n += Double(y) * Double(y) }
        return (d / n).squareRoot()
    }

    /// N ranks, each with a slice of b of every global batch of N·b (the batch size of
    /// their configuration), give the model of one process with batch N·b: equal within 1e-5 relative after two epochs (the sums over ranks round
    /// differently from one batch's sums), and bit-identical on every rank. 201 samples:
    /// the last global batch splits unevenly, which the loss weighting must absorb.
    func testRanksTrainTheModelOfOneProcessWithTheGlobalBatch() throws {
        for (ranks, optimizer, clip, mode) in [
            (2, OptimizerKind.momentum, nil as Double?, UpdateMode.checked), (3, .adam, nil, .fused), (2, .momentum, 0.5, .checked),
        ] {
            let d = try data(201)
            let single = try model()
            let t = try Trainer(model: single, configuration: configuration(batch: 16 * ranks, clip: clip, optimizer: optimizer))
            let serial = try t.fit(d)
            let collective = ThreadCollective(size: ranks)
            let results = try onRanks(ranks) { r -> ([Float], [EpochRecord]) in
                let m = try self.model()
                let tr = try Trainer(model: m, configuration: self.configuration(batch: 16 * ranks, mode: mode, clip: clip, optimizer: optimizer))
                try tr.setGradientExchange(ThreadExchange(collective, rank: r))
                let records = try tr.fit(d)
                XCTAssertEqual(tr.globalStep, t.globalStep)
                return (self.parameters(m), records)
            }
            let what = "\(ranks) ranks, \(optimizer), clip \(clip.map { "\($0)" } ?? "off"), \(mode)"
            XCTAssertLessThan(relativeDifference(results[0].0, parameters(single)), 1e-5, what)
            XCTAssertGreaterThan(relativeDifference(results[0].0, try parameters(model())), 1e-3, "\(what): the model trained")
            for r in 1..<ranks { XCTAssertEqual(results[r].0, results[0].0, "\(what): rank \(r) differs from rank 0") }
            // Every rank reports the global batch's loss and accuracy.
            for r in 0..<ranks {
                for (a, b) in zip(results[r].1, serial) {
                    XCTAssertEqual(a.trainLoss, b.trainLoss, accuracy: 1e-4 * b.trainLoss, what)
                    XCTAssertEqual(a.trainAccuracy, b.trainAccuracy, accuracy: 1.5 / 201, what)
                }
            }
            XCTAssertEqual(Set(collective.calls.map { $0.count }).count, 1, "\(what): every rank made the same calls")
        }
    }

    /// One process sees NaN (its batch, or a status it reports): every process skips the
    /// step with a numeric error, no weight changes anywhere, and the run can go on.
    func testANonFiniteStepOnOneRankIsSkippedOnEveryRank() throws {
        let collective = ThreadCollective(size: 2)
        let outcome = try onRanks(2) { r -> (changed: Bool, errors: [String], after: [Float]) in
            let m = try self.model()
            let tr = try Trainer(model: m, configuration: self.configuration(batch: 8))
            let ex = ThreadExchange(collective, rank: r)
            try tr.setGradientExchange(ex)
            let x = gaussianArray(8 * self.inputs, seed: UInt64(20 + r))
            let y = [Int32](repeating: 1, count: 8)
            try tr.step(features: x, labels: y)
            let before = self.parameters(m)
            var errors: [String] = []
            // A NaN output weight on rank 1 only (set after the start-up check) makes its
            // logits NaN; restored afterwards, so both ranks hold the same model again.
            let w = m.layers[m.layers.count - 1].weight.pointer
            let kept = w[0]
            if r == 1 { w[0] = .nan }
            do { try tr.step(features: x, labels: y) } catch { errors.append("\(error)") }
            if r == 1 { w[0] = kept; ex.injectStatus = .failed }
            do { try tr.step(features: x, labels: y) } catch { errors.append("\(error)") }
            let changed = self.parameters(m) != before
            try tr.step(features: x, labels: y)
            return (changed, errors, self.parameters(m))
        }
        for r in 0..<2 {
            XCTAssertFalse(outcome[r].changed, "rank \(r) changed weights in a skipped step")
            XCTAssertEqual(outcome[r].errors.count, 2, "rank \(r): \(outcome[r].errors)")
        }
        XCTAssertTrue(outcome[0].errors[0].contains("another process"), outcome[0].errors[0])
        XCTAssertTrue(outcome[1].errors[0].contains("NaN/Inf"), outcome[1].errors[0])
        XCTAssertTrue(outcome[0].errors[1].contains("another process of the data-parallel run failed"), outcome[0].errors[1])
        XCTAssertEqual(outcome[0].after, outcome[1].after, "the step after the skipped ones is applied on both")
    }

    /// Processes that start from different weights (another seed) are refused on every
    /// process before any step.
    func testProcessesWithDifferentModelsAreRefused() throws {
        let collective = ThreadCollective(size: 2)
        let errors = try onRanks(2) { r -> String? in
            let m = try MLP(MLPConfiguration(
                inputs: self.inputs, width: self.width, depth: 3, outputs: self.classes, activation: try .builtin("tanh"),
                seed: UInt64(r)))
            let tr = try Trainer(model: m, configuration: self.configuration(batch: 8))
            do { try tr.setGradientExchange(ThreadExchange(collective, rank: r)) } catch { return "\(error)" }
            return nil
        }
        for e in errors { XCTAssertTrue(e?.contains("differs from process 0") ?? false, e ?? "accepted") }
    }

    /// Processes that fit different data (here another sample count) are refused on every
    /// process before any step, instead of one waiting for a step the other never takes.
    func testProcessesWithDifferentDataAreRefused() throws {
        let collective = ThreadCollective(size: 2)
        let errors = try onRanks(2) { r -> String? in
            let tr = try Trainer(model: try self.model(), configuration: self.configuration(batch: 32))
            try tr.setGradientExchange(ThreadExchange(collective, rank: r))
            do { try tr.fit(try self.data(r == 0 ? 100 : 120)) } catch { return "\(error)" }
            return nil
        }
        for e in errors { XCTAssertTrue(e?.contains("data set differs from process 0's") ?? false, e ?? "accepted") }
    }

    /// The monitor needs one process's stored backward signals: refused with a reason.
    func testTheMonitorIsRefusedWithAnExchange() throws {
        let collective = ThreadCollective(size: 1)
        let tr = try Trainer(model: try model(), configuration: configuration(batch: 8))
        try tr.setGradientExchange(ThreadExchange(collective, rank: 0))
        var c = tr.configuration
        c.monitorEvery = 1
        XCTAssertThrowsError(try tr.updateConfiguration(c)) { XCTAssertTrue("\($0)".contains("monitor every"), "\($0)") }
    }

    /// A batch size that does not split evenly over the processes is refused.
    func testTheGlobalBatchMustSplitEvenly() throws {
        let collective = ThreadCollective(size: 3)
        let errors = try onRanks(3) { r -> String? in
            let tr = try Trainer(model: try self.model(), configuration: self.configuration(batch: 32))
            do { try tr.setGradientExchange(ThreadExchange(collective, rank: r)) } catch { return "\(error)" }
            return nil
        }
        for e in errors { XCTAssertTrue(e?.contains("not a multiple of 3 processes") ?? false, e ?? "accepted") }
    }

    /// One process with an exchange is the plain step: bit-identical weights (both modes).
    func testOneProcessIsThePlainStep() throws {
        for mode in [UpdateMode.checked, .fused] {
            let d = try data(100)
            let plain = try model(), viaExchange = try model()
            try Trainer(model: plain, configuration: configuration(batch: 16, mode: mode)).fit(d)
            let tr = try Trainer(model: viaExchange, configuration: configuration(batch: 16, mode: mode))
            try tr.setGradientExchange(ThreadExchange(ThreadCollective(size: 1), rank: 0))
            try tr.fit(d)
            XCTAssertEqual(parameters(viaExchange), parameters(plain), "\(mode)")
        }
    }
}
