import XCTest
@testable import BSNN

/// The update helper (OpenBLAS on ≥ 2 threads) moves half of each large layer's update
/// to a second thread: the same arithmetic per row and per element, so the model must be
/// bit-identical to the one-thread update, in both modes, for each constraint's update
/// path (row-normalized rows, plain elements, elements then orthogonal retraction).
final class UpdateHelperTests: XCTestCase {
    func train(
        mode: UpdateMode, kind: OptimizerKind, constraint: WeightConstraint, helper: Bool
    ) throws -> (parameters: [Float], jobs: Int) {
        // 300 × 300 weights: above `ParameterUpdate.splitMinimum`, so the square layers split.
        let model = try MLP(MLPConfiguration(
            inputs: 20, width: 300, depth: 3, outputs: 3, activation: try .builtin("tanh"),
            constraint: constraint, seed: 8))
        let trainer = try Trainer(model: model, configuration: TrainingConfiguration(
            batchSize: 16, optimizer: OptimizerConfiguration(kind: kind, learningRate: kind == .adam ? 0.003 : 0.02, momentum: 0.9),
            updateMode: mode))
        trainer.allowsUpdateHelper = helper
        for s in 0..<8 {
            try trainer.step(features: gaussianArray(16 * 20, seed: UInt64(s)), labels: (0..<16).map { Int32(($0 + s) % 3) })
        }
        let p = try (0..<model.layerCount).flatMap { try model.weights(layer: $0) + (model.bias(layer: $0) ?? []) }
        return (p, trainer.updateHelper?.jobsFinished ?? 0)
    }

    func testSplitUpdatesAreBitIdenticalToOneThreadUpdates() throws {
        let before = BLAS.threadCount
        defer { try? BLAS.setThreadCount(before) }
        try BLAS.setThreadCount(2)
        for constraint in [WeightConstraint.rowNormalized, .none, .orthogonal] {
            for kind in [OptimizerKind.momentum, .adam] {
                for mode in [UpdateMode.checked, .fused] {
                    let split = try train(mode: mode, kind: kind, constraint: constraint, helper: true)
                    let serial = try train(mode: mode, kind: kind, constraint: constraint, helper: false)
                    // 8 steps × the 3 square layers (the input and output layers are small).
                    XCTAssertEqual(split.jobs, 24, "\(constraint) \(kind) \(mode): the helper ran each square layer's half")
                    XCTAssertEqual(serial.jobs, 0)
                    XCTAssertTrue(split.parameters.allSatisfy(\.isFinite))
                    XCTAssertTrue(split.parameters == serial.parameters, "\(constraint) \(kind) \(mode): split and serial updates differ")
                }
            }
        }
    }

    func testOneThreadStartsNoHelper() throws {
        let before = BLAS.threadCount
        defer { try? BLAS.setThreadCount(before) }
        try BLAS.setThreadCount(1)
        let model = try MLP(MLPConfiguration(inputs: 20, width: 300, depth: 1, outputs: 3, activation: try .builtin("tanh"), seed: 1))
        let trainer = try Trainer(model: model, configuration: TrainingConfiguration(batchSize: 8))
        try trainer.step(features: gaussianArray(8 * 20, seed: 1), labels: [Int32](repeating: 1, count: 8))
        XCTAssertNil(trainer.updateHelper)
    }

    /// After an idle spell the helper parks (no CPU while nothing trains), the next step
    /// wakes it, and the result is still the serial update's; releasing the trainer joins
    /// the helper's thread (a hang here would time the suite out).
    func testAnIdleHelperParksAndTheNextStepWakesIt() throws {
        let before = BLAS.threadCount
        defer { try? BLAS.setThreadCount(before) }
        try BLAS.setThreadCount(2)
        func trainer(helper: Bool) throws -> Trainer {
            let model = try MLP(MLPConfiguration(inputs: 20, width: 300, depth: 1, outputs: 3, activation: try .builtin("tanh"), seed: 5))
            let t = try Trainer(model: model, configuration: TrainingConfiguration(batchSize: 8))
            t.allowsUpdateHelper = helper
            return t
        }
        let x = gaussianArray(8 * 20, seed: 2), y: [Int32] = [0, 1, 2, 0, 1, 2, 0, 1]
        var split: Trainer? = try trainer(helper: true)
        let serial = try trainer(helper: false)
        try split?.step(features: x, labels: y)
        try serial.step(features: x, labels: y)
        var parked = false
        for _ in 0..<200 where !parked {
            usleep(5_000)
            parked = split?.updateHelper?.isParked ?? false
        }
        XCTAssertTrue(parked, "an idle helper parks after \(UpdateHelper.parkAfterSeconds) s")
        try split?.step(features: x, labels: y)
        try serial.step(features: x, labels: y)
        XCTAssertEqual(split?.updateHelper?.jobsFinished, 2, "one square layer per step, both steps split")
        XCTAssertEqual(try split?.model.weights(layer: 1), try serial.model.weights(layer: 1))
        split = nil
    }

    /// The process's threads named `UpdateHelper.threadName` (/proc/self/task/*/comm).
    func helperThreads() throws -> Int {
        let dir = try XCTUnwrap(opendir("/proc/self/task"))
        defer { closedir(dir) }
        var n = 0
        while let e = readdir(dir) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
            guard name != "." && name != "..", let f = fopen("/proc/self/task/\(name)/comm", "r") else { continue }
            var buffer = [CChar](repeating: 0, count: 64)
            if fgets(&buffer, 64, f) != nil,
               String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self) == UpdateHelper.threadName + "\n"
            {
                n += 1
            }
            fclose(f)
        }
        return n
    }

    /// Releasing a trainer stops and joins its helper thread: none is left behind (the
    /// thread holds only the shared state, never the helper or the trainer).
    func testReleasingTheTrainerEndsItsHelperThread() throws {
        let before = BLAS.threadCount
        defer { try? BLAS.setThreadCount(before) }
        try BLAS.setThreadCount(2)
        let model = try MLP(MLPConfiguration(inputs: 20, width: 300, depth: 1, outputs: 3, activation: try .builtin("tanh"), seed: 5))
        let x = gaussianArray(8 * 20, seed: 2), y: [Int32] = [0, 1, 2, 0, 1, 2, 0, 1]
        let threads = try helperThreads()
        for _ in 0..<3 {
            var trainer: Trainer? = try Trainer(model: model, configuration: TrainingConfiguration(batchSize: 8))
            try trainer?.step(features: x, labels: y)
            XCTAssertNotNil(trainer?.updateHelper)
            XCTAssertEqual(try helperThreads(), threads + 1, "a stepping trainer has one helper thread")
            trainer = nil
            XCTAssertEqual(try helperThreads(), threads, "a released trainer's helper thread is gone")
        }
    }
}
