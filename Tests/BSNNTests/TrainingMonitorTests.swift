import XCTest
@testable import BSNN

/// The in-training monitor measures what the signal probe measures (same definitions, on
/// the same weights and batch), costs nothing and changes nothing when off, and reports
/// a collapse when a run's signals degenerate.
final class TrainingMonitorTests: XCTestCase {
    let inputs = 6, width = 16, depth = 8, outputs = 3, batch = 32

    func model(activation: String = "tanh", residual: Bool = false, seed: UInt64 = 5) throws -> MLP {
        try MLP(MLPConfiguration(
            inputs: inputs, width: width, depth: depth, outputs: outputs, activation: try .builtin(activation),
            seed: seed, residual: residual))
    }

    func features(seed: UInt64) -> [Float] { gaussianArray(batch * inputs, seed: seed) }
    func labels(_ s: Int) -> [Int32] { (0..<batch).map { Int32(($0 * 7 + s) % 3) } }

    func parameters(_ m: MLP) throws -> [Float] {
        try (0..<m.layerCount).flatMap { try m.weights(layer: $0) + (m.bias(layer: $0) ?? []) }
    }

    func assertClose(_ a: [Double], _ b: [Double], rel: Double, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, what, file: file, line: line)
        for (l, (x, y)) in zip(a, b).enumerated() {
            XCTAssertEqual(x, y, accuracy: rel * max(abs(y), 1e-300), "\(what) layer \(l)", file: file, line: line)
        }
    }

    /// A monitored step's record equals the probe of the weights before that step on its
    /// batch with the loss gradient upstream. Tolerance 1e-5 relative: the probe
    /// accumulates per-sample norms with `preciseNorms`, the monitor reads the same float
    /// buffers; only the order of double sums differs.
    func testRecordEqualsTheProbeOnTheSameWeightsAndBatch() throws {
        for (activation, residual) in [("tanh", false), ("selu", false), ("tanh", true)] {
            let m = try model(activation: activation, residual: residual)
            let trainer = try Trainer(model: m, configuration: TrainingConfiguration(
                optimizer: OptimizerConfiguration(kind: .momentum, learningRate: 0.05, momentum: 0.9), monitorEvery: 2))
            for s in 0..<5 {
                let x = features(seed: UInt64(10 + s)), y = labels(s)
                let probe = s % 2 == 0
                    ? try SignalProbe.run(model: m, input: x, upstream: .labels(y, loss: .crossEntropy)) : nil
                try trainer.step(features: x, labels: y)
                guard let p = probe else { continue }
                let monitor = try XCTUnwrap(trainer.monitor)
                let r = monitor.count - 1
                XCTAssertEqual(monitor.steps[r], s)
                let what = "\(activation)\(residual ? " residual" : "") step \(s)"
                assertClose(try monitor.values(.forwardNorm, record: r), Array(p.forwardNorms.dropFirst()), rel: 1e-5, "\(what) ‖x‖/√d")
                assertClose(try monitor.values(.backwardNorm, record: r), p.backwardNorms, rel: 1e-5, "\(what) ‖y‖")
                assertClose(try monitor.values(.weightGradientNorm, record: r), p.batchWeightGradientNorms, rel: 1e-4, "\(what) ‖∂E/∂W‖")
                XCTAssertEqual(try monitor.gradientNormRatio(record: r), p.batchGradientNormRatio,
                               accuracy: 1e-4 * p.batchGradientNormRatio, what)
                // The per-layer struct reads the same storage.
                let stats = try monitor.layers(record: r)
                XCTAssertEqual(stats.count, depth + 1)
                XCTAssertEqual(stats[3].backwardNorm, try monitor.values(.backwardNorm, record: r)[3])
                for st in stats {
                    XCTAssertTrue((0...1).contains(st.saturatedFraction), what)
                    XCTAssertTrue((-1...1).contains(st.cosineSimilarity), what)
                    XCTAssertGreaterThan(st.derivativeStandardDeviation, 0, what)
                }
            }
            XCTAssertEqual(trainer.monitor?.steps, [0, 2, 4])
        }
    }

    /// The gate statistics equal the probe's histogram mean: the histogram bins a·φ'(h)
    /// of all layers, so its bin-centre mean is the records' layer mean within half a bin.
    func testGateMeanAgreesWithTheProbesHistogram() throws {
        let m = try model()
        let x = features(seed: 3), y = labels(0)
        let p = try SignalProbe.run(model: m, input: x, upstream: .labels(y, loss: .crossEntropy), histogramBins: 400)
        let trainer = try Trainer(model: m, configuration: TrainingConfiguration(monitorEvery: 1))
        try trainer.step(features: x, labels: y)
        let means = try XCTUnwrap(trainer.monitor).values(.derivativeMean, record: 0)
        let h = p.derivativeHistogram
        var centred = 0.0
        for (i, c) in h.counts.enumerated() { centred += Double(c) * (h.lowerBound + (Double(i) + 0.5) * h.binWidth) }
        XCTAssertEqual(h.total, batch * width * (depth + 1), "every unit lies in the histogram's range")
        XCTAssertEqual(means.reduce(0, +) / Double(means.count), centred / Double(h.total), accuracy: h.binWidth / 2)
    }

    /// Off means no monitor; on, the weights are bit-identical to a run without it in both
    /// update modes (a monitored fused step runs the checked path, whose arithmetic is the
    /// same).
    func testMonitorChangesNoWeightAndIsAbsentWhenOff() throws {
        for mode in [UpdateMode.checked, .fused] {
            var runs: [[Float]] = []
            for every in [0, 3] {
                let m = try model()
                let trainer = try Trainer(model: m, configuration: TrainingConfiguration(
                    optimizer: OptimizerConfiguration(kind: .adam, learningRate: 0.01), updateMode: mode, monitorEvery: every))
                XCTAssertEqual(trainer.monitor == nil, every == 0)
                for s in 0..<10 { try trainer.step(features: features(seed: UInt64(s)), labels: labels(s)) }
                if every > 0 { XCTAssertEqual(trainer.monitor?.steps, [0, 3, 6, 9]) }
                runs.append(try parameters(m))
            }
            XCTAssertTrue(runs[0] == runs[1], "\(mode): monitoring changed the weights")
        }
    }

    /// `fit` records at global steps 0, N, 2N, … across epochs; a reconfiguration with a
    /// new interval starts a new monitor, and 0 removes it.
    func testFitRecordsEveryNStepsAndReconfigurationReplacesTheMonitor() throws {
        let n = 200
        let x = gaussianArray(n * inputs, seed: 1), y = (0..<n).map { Int32($0 % 3) }
        let data = try Dataset(features: x, labels: y, featureCount: inputs, classCount: outputs)
        var c = TrainingConfiguration(epochs: 2, batchSize: 20, monitorEvery: 4)
        let trainer = try Trainer(model: try model(), configuration: c)
        try trainer.fit(data)
        XCTAssertEqual(trainer.monitor?.steps, Array(stride(from: 0, to: 20, by: 4)))
        XCTAssertEqual(trainer.monitor?.collapses.compactMap { $0 }, [])
        c.monitorEvery = 5
        try trainer.updateConfiguration(c)
        XCTAssertEqual(trainer.monitor?.every, 5)
        XCTAssertEqual(trainer.monitor?.count, 0)
        c.monitorEvery = 0
        try trainer.updateConfiguration(c)
        XCTAssertNil(trainer.monitor)
        c.monitorEvery = -1
        XCTAssertThrowsError(try trainer.updateConfiguration(c)) { e in
            XCTAssertTrue(((e as? BSNNError)?.message ?? "").contains("monitor every: expected >= 0"))
        }
    }

    func testRecordIndexOutOfRangeIsAnError() throws {
        let trainer = try Trainer(model: try model(), configuration: TrainingConfiguration(monitorEvery: 1))
        let monitor = try XCTUnwrap(trainer.monitor)
        XCTAssertThrowsError(try monitor.values(.cosineSimilarity, record: 0)) { e in
            XCTAssertTrue(((e as? BSNNError)?.message ?? "").contains("monitor record: expected 0..<0, got 0"))
        }
        try trainer.step(features: features(seed: 1), labels: labels(1))
        XCTAssertThrowsError(try monitor.layers(record: -1))
        var small = [Double](repeating: 0, count: depth)
        XCTAssertThrowsError(try small.withUnsafeMutableBufferPointer { (p) throws(BSNNError) in
            try monitor.copyValues(.forwardNorm, record: 0, into: p)
        })
    }

    /// The closed form (‖Σ x̂ᵢ‖² − n)/(n(n−1)) equals the mean of the explicit pairwise
    /// cosines over the non-zero rows (a zero row is skipped, as it has no direction).
    func testCosineSimilarityClosedFormEqualsPairwiseMean() {
        let rows = 9, columns = 7
        var m = gaussianArray(rows * columns, seed: 8).map { $0 + 0.4 }
        for j in 0..<columns { m[4 * columns + j] = 0 }
        var pairs = 0.0, count = 0
        for i in 0..<rows where i != 4 {
            for k in 0..<rows where k != 4 && k != i {
                var dot = 0.0, ni = 0.0, nk = 0.0
                for j in 0..<columns {
                    let a = Double(m[i * columns + j]), b = Double(m[k * columns + j])
                    dot += a * b; ni += a * a; nk += b * b
                }
                pairs += dot / (ni * nk).squareRoot()
                count += 1
            }
        }
        var scratch = [Double](repeating: 0, count: columns)
        let closed = m.withUnsafeBufferPointer { p in
            scratch.withUnsafeMutableBufferPointer { s in
                LayerSignalStatistics.meanCosineSimilarity(p.baseAddress!, rows: rows, columns: columns, sum: s.baseAddress!)
            }
        }
        XCTAssertEqual(closed, pairs / Double(count), accuracy: 1e-6)
        // Identical rows: similarity 1; one non-zero row: undefined.
        let same: [Float] = [1, 2, -3, 1, 2, -3, 1, 2, -3, 1, 2, -3]
        var s3 = [Double](repeating: 0, count: 3)
        XCTAssertEqual(same.withUnsafeBufferPointer { p in s3.withUnsafeMutableBufferPointer { s in
            LayerSignalStatistics.meanCosineSimilarity(p.baseAddress!, rows: 4, columns: 3, sum: s.baseAddress!) } }, 1, accuracy: 1e-6)
        let single: [Float] = [1, 2, 3, 0, 0, 0]
        XCTAssertTrue(single.withUnsafeBufferPointer { p in s3.withUnsafeMutableBufferPointer { s in
            LayerSignalStatistics.meanCosineSimilarity(p.baseAddress!, rows: 2, columns: 3, sum: s.baseAddress!) } }.isNaN)
    }

    /// Mean, population standard deviation and the saturated fraction (|gate| < 0.01) of a
    /// hand-built gate buffer.
    func testGateMomentsAndSaturationOnAHandBuiltCase() {
        let gates: [Float] = [0, 0.005, -0.009, 0.01, 1, 2, -1, 3]
        let r = gates.withUnsafeBufferPointer { LayerSignalStatistics.derivativeMoments($0.baseAddress!, count: gates.count) }
        let mean = gates.map(Double.init).reduce(0, +) / 8
        let variance = gates.map { (Double($0) - mean) * (Double($0) - mean) }.reduce(0, +) / 8
        XCTAssertEqual(r.mean, mean, accuracy: 1e-12)
        XCTAssertEqual(r.std, variance.squareRoot(), accuracy: 1e-9)
        XCTAssertEqual(r.saturated, 3.0 / 8, "0, 0.005 and -0.009 are below 0.01; 0.01 is not")
    }

    /// A healthy run has no collapse record; a far too large learning rate drives the
    /// net into a degenerate state the rule reports (saturated layers whose gradients
    /// vanish relative to the others, or all inputs mapped to one direction), before or
    /// instead of the step guard's divergence error.
    func testCollapseIsDetectedAndAHealthyRunIsNot() throws {
        let healthy = try Trainer(model: try model(), configuration: TrainingConfiguration(
            optimizer: OptimizerConfiguration(kind: .momentum, learningRate: 0.01, momentum: 0.5), monitorEvery: 1))
        for s in 0..<20 { try healthy.step(features: features(seed: UInt64(s)), labels: labels(s)) }
        XCTAssertNil(healthy.monitor?.firstCollapse.map(\.collapse))
        for r in 0..<20 { XCTAssertLessThan(try XCTUnwrap(healthy.monitor).gradientNormRatio(record: r), 100) }

        let wild = try Trainer(model: try model(activation: "relu"), configuration: TrainingConfiguration(
            optimizer: OptimizerConfiguration(kind: .sgd, learningRate: 1e4), monitorEvery: 1))
        var stopped: BSNNError?
        for s in 0..<50 {
            do { try wild.step(features: features(seed: UInt64(s)), labels: labels(s)) } catch { stopped = error; break }
            if wild.monitor?.firstCollapse != nil { break }
        }
        let first = try XCTUnwrap(wild.monitor?.firstCollapse, "no collapse reported (stopped by: \(String(describing: stopped)))")
        XCTAssertTrue(first.collapse.message.hasPrefix("signal collapse: "), first.collapse.message)
        XCTAssertEqual(wild.monitor?.collapses[first.record], first.collapse)
    }

    /// The rule's three cases on hand-built records (quantity × layer).
    func testCollapseRuleOnHandBuiltRecords() {
        let n = 4, q = SignalQuantity.allCases.count
        func record(_ edit: (inout [Double]) -> Void) -> SignalCollapse? {
            var v = [Double](repeating: 0.5, count: q * n)
            edit(&v)
            return v.withUnsafeBufferPointer { SignalCollapse.judge($0.baseAddress!, layers: n) }
        }
        let g = SignalQuantity.weightGradientNorm.rawValue * n, c = SignalQuantity.cosineSimilarity.rawValue * n
        XCTAssertNil(record { _ in })
        XCTAssertEqual(record { $0[SignalQuantity.backwardNorm.rawValue * n + 2] = .nan }, .nonFinite(layer: 2))
        XCTAssertEqual(record { $0[g] = 1; $0[g + 3] = 0x1p-16 }, .gradientRatio(65536))
        XCTAssertEqual(record { $0[g + 1] = 0 }, .gradientRatio(.infinity))
        XCTAssertNil(record { $0[g] = 1; $0[g + 3] = 1e-3 })
        XCTAssertEqual(record { $0[c + n - 1] = 0.9995 }, .similarity(0.9995))
        XCTAssertNil(record { $0[c + n - 1] = 0.995 }, "a deep net at initialization may be this similar")
        XCTAssertNil(record { $0[c + 1] = 0.9995 }, "only the last hidden layer's similarity counts")
        XCTAssertNil(record { $0[c + n - 1] = .nan }, "a batch of one has no similarity; not a collapse")
    }
}
