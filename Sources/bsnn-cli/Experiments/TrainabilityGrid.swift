import BSNN
import Foundation

/// One column of `reproduce`'s Table 2: the paper's plain and GPN activations, each
/// without and with batch normalization before φ, and residual links (a column the
/// paper does not have) with the fixed α = 1/√depth that keeps both signals bounded
/// (see `ResidualScale`).
enum TrainabilityVariant: String, CaseIterable {
    case plain, plainBN = "plain-bn", gpn, gpnBN = "gpn-bn", plainResidual = "plain-res", gpnResidual = "gpn-res"

    /// The default columns: every BN pair of the paper plus GPN with residual links.
    static let defaults: [TrainabilityVariant] = [.plain, .plainBN, .gpn, .gpnBN, .gpnResidual]

    var gpn: Bool { [.gpn, .gpnBN, .gpnResidual].contains(self) }
    var normalization: Normalization { [.plainBN, .gpnBN].contains(self) ? .batch : .none }
    var residual: Bool { [.plainResidual, .gpnResidual].contains(self) }

    /// Column heading, e.g. "GPN+BN".
    var title: String {
        (gpn ? "GPN" : "plain") + (normalization == .batch ? "+BN" : "") + (residual ? "+res" : "")
    }

    static func parse(_ list: String) throws -> [TrainabilityVariant] {
        let names = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard !names.isEmpty else { throw CLIError.usage("--variants: expected a comma-separated list, got '\(list)'") }
        return try names.map { n in
            guard let v = TrainabilityVariant(rawValue: n) else {
                throw CLIError.usage("--variants: unknown variant '\(n)'; expected some of \(allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return v
        }
    }
}

/// The settings every Table-2 run shares.
struct TrainabilitySetup {
    var depth, width, epochs, batch: Int
    var lr, momentum: Double
    /// Trace points (test accuracy and the probe's gradient ratio) per run, besides the
    /// start and the end.
    var tracePoints: Int

    var residualScale: ResidualScale { .inverseSquareRootDepth(depth) }
}

/// One trained net of Table 2 and what was measured along the way.
struct TrainabilityResult {
    struct TracePoint { var step: Int; var testAccuracy: Double; var gradientRatio: Double; var inputGradientRatio: Double }

    var activation: String
    var variant: TrainabilityVariant
    var seed: UInt64
    /// nil: the run diverged (a step produced NaN/∞).
    var testAccuracy: Double?
    /// Mean training loss over the last tenth of the steps (nil when diverged).
    var tailLoss: Double?
    /// Training loss against step, averaged over windows (about 100 points).
    var lossCurve: [(x: Double, y: Double)]
    var trace: [TracePoint]
    var seconds: Double

    var diverged: Bool { testAccuracy == nil }

    /// Everything but the run's identity (activation, variant, seed), as doubles for
    /// `SpreadRuns`; `init(activation:variant:seed:record:)` reads them back exactly.
    func encode(into out: inout [Double]) {
        out.append(optional: testAccuracy)
        out.append(optional: tailLoss)
        out.append(seconds)
        out.append(Double(lossCurve.count))
        for p in lossCurve { out += [p.x, p.y] }
        out.append(Double(trace.count))
        for t in trace { out += [Double(t.step), t.testAccuracy, t.gradientRatio, t.inputGradientRatio] }
    }
}

extension TrainabilityResult {
    init(activation: String, variant: TrainabilityVariant, seed: UInt64, record: ArraySlice<Double>) throws {
        var r = DoubleReader(record)
        self.activation = activation
        self.variant = variant
        self.seed = seed
        testAccuracy = try r.optional()
        tailLoss = try r.optional()
        seconds = try r.next()
        lossCurve = try (0..<r.count()).map { _ in (x: try r.next(), y: try r.next()) }
        trace = try (0..<r.count()).map { _ in
            TracePoint(step: Int(try r.next()), testAccuracy: try r.next(), gradientRatio: try r.next(), inputGradientRatio: try r.next())
        }
    }
}

enum TrainabilityRun {
    /// Trains `activation` in `variant` from `seed` (model initialization and batch
    /// shuffling) and, at `setup.tracePoints` evenly spaced steps plus the start and the
    /// end, evaluates the test split and probes the current weights on the first
    /// training batch (`SignalProbe` with the loss's gradient at its labels). Training
    /// stops and resumes between trace points, which the trainer makes bit-identical to
    /// an uninterrupted run.
    static func run(activation name: String, variant: TrainabilityVariant, seed: UInt64, setup s: TrainabilitySetup,
                    train: Dataset, test: Dataset) throws -> TrainabilityResult {
        let started = MonotonicClock.now()
        let act = try LayerActivation.builtin(name, gpn: variant.gpn ? GPNRoot.paper(for: name) : nil)
        let model = try MLP(MLPConfiguration(
            inputs: train.featureCount, width: s.width, depth: s.depth, outputs: FashionMNIST.classCount, activation: act,
            seed: seed, normalization: variant.normalization, residual: variant.residual,
            residualScale: variant.residual ? s.residualScale : MLPConfiguration.defaultResidualScale))
        let trainer = try Trainer(model: model, configuration: TrainingConfiguration(
            epochs: s.epochs, batchSize: s.batch,
            optimizer: OptimizerConfiguration(kind: .momentum, learningRate: s.lr, momentum: s.momentum), seed: seed))
        let batch = min(s.batch, train.count)
        let probeInput = Array(train.features.prefix(batch * train.featureCount))
        let probeLabels = Array(train.labels.prefix(batch))
        let perEpoch = train.count / batch + (train.count % batch >= model.configuration.minimumTrainingBatch ? 1 : 0)
        let total = perEpoch * s.epochs
        // Interior stops only: the last point is taken after fit returns.
        let stops = Set((1...max(s.tracePoints, 1)).map { total * $0 / (s.tracePoints + 1) }.filter { $0 > 0 && $0 < total })

        var trace: [TrainabilityResult.TracePoint] = []
        func measure() throws(BSNNError) {
            let e = try model.evaluate(test)
            let p = try SignalProbe.run(model: model, input: probeInput, upstream: .labels(probeLabels, loss: .crossEntropy))
            trace.append(.init(step: trainer.globalStep, testAccuracy: e.accuracy, gradientRatio: p.gradientNormRatio,
                               inputGradientRatio: ratio(p.inputGradientNorms)))
        }
        var losses: [(step: Int, loss: Double)] = []
        var accuracy: Double? = nil, tail: Double? = nil
        do throws(BSNNError) {
            try measure()
            var finished = false
            while !finished {
                do throws(BSNNError) {
                    try trainer.fit(train) { p in
                        guard p.phase == .step else { return true }
                        losses.append((p.globalStep, p.loss))
                        return !stops.contains(p.globalStep)
                    }
                    finished = true
                } catch {
                    // A stop at a trace point (the progress callback returned false).
                    guard case .cancelled = error else { throw error }
                    try measure()
                }
            }
            try measure()
            accuracy = trace.last?.testAccuracy
            let t = losses.suffix(max(losses.count / 10, 1))
            tail = t.map(\.loss).reduce(0, +) / Double(max(t.count, 1))
        } catch {
            guard case .numeric = error else { throw error }
        }
        return TrainabilityResult(activation: name, variant: variant, seed: seed, testAccuracy: accuracy, tailLoss: tail,
                                  lossCurve: windowed(losses), trace: trace, seconds: MonotonicClock.now() - started)
    }

    /// max/min over layers (∞ when one vanished), as `SignalProbeResult.gradientNormRatio`.
    static func ratio(_ norms: [Double]) -> Double {
        guard let mx = norms.max(), let mn = norms.min() else { return .nan }
        return mn > 0 ? mx / mn : .infinity
    }

    /// Window means of the loss so that about 100 points are drawn however long the run.
    static func windowed(_ losses: [(step: Int, loss: Double)]) -> [(x: Double, y: Double)] {
        let w = max(1, losses.count / 100)
        return stride(from: 0, to: losses.count, by: w).compactMap { i in
            let chunk = losses[i..<min(i + w, losses.count)]
            guard let last = chunk.last else { return nil }
            return (Double(last.step), chunk.map(\.loss).reduce(0, +) / Double(chunk.count))
        }
    }
}
