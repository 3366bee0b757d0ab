import BSNN
import Foundation

/// Drives `Trainer.fit` for the CLI: progress display, periodic checkpoints, Ctrl-C,
/// a debug stop after N steps, and the training curve. The engine does the work; this
/// only decides when to stop and what to show.
struct TrainingRun {
    struct CurvePoint { var step: Int; var loss: Double; var accuracy: Double }

    var checkpointPath: String?
    var checkpointEvery: Int = 0
    var stopAfterSteps: Int?
    /// Recorded in every checkpoint written, for `train --resume` to compare.
    var identity: RunIdentity?
    var showProgress = true
    /// A distributed run's collective stop: given whether this process wants to stop
    /// after the current step, whether any process does (every process calls it after
    /// every step, so all of them stop at the same one). Nil for one process.
    var stopTogether: ((Bool) throws -> Bool)?

    private(set) var curve: [CurvePoint] = []
    private(set) var epochs: [EpochRecord] = []

    enum Outcome { case finished, stopped(reason: String) }

    mutating func run(_ trainer: Trainer, data: Dataset, validation: Dataset? = nil) throws -> Outcome {
        let batch = min(trainer.configuration.batchSize, data.count)
        let perEpoch = (data.count + batch - 1) / batch
        let total = perEpoch * trainer.configuration.epochs
        let bar = showProgress ? ProgressBar(totalSteps: total, startStep: trainer.globalStep) : nil
        var stopReason: String?
        var saveError: Error?
        var points: [CurvePoint] = []
        let every = checkpointEvery, ckpt = checkpointPath, stopAt = stopAfterSteps, id = identity, together = stopTogether
        var warnedCollapse = false
        Interrupt.requested = 0
        Interrupt.install()
        defer { Interrupt.uninstall() }
        do {
            epochs += try trainer.fit(data, epochs: trainer.configuration.epochs, validation: validation) { p in
                switch p.phase {
                case .step:
                    points.append(CurvePoint(step: p.globalStep, loss: p.loss, accuracy: p.accuracy))
                    bar?.update(step: p.globalStep, epoch: p.epoch, epochs: p.epochs, loss: p.loss,
                                accuracy: p.accuracy, samplesPerSecond: p.samplesPerSecond, gradientNorm: p.gradientNorm)
                    if !warnedCollapse, let m = trainer.monitor, let step = m.steps.last, let c = m.collapses.last ?? nil {
                        bar?.finishLine()
                        note("warning: step \(step): \(c.message)")
                        warnedCollapse = true
                    }
                    if every > 0, let path = ckpt, p.globalStep % every == 0 {
                        do { try Checkpoint.save(trainer, identity: id, to: path) } catch { saveError = error }
                    }
                case .epochEnd:
                    bar?.epochDone(epoch: p.epoch, epochs: p.epochs, trainLoss: p.loss, trainAccuracy: p.accuracy,
                                   validation: p.validation.map { ($0.loss, $0.accuracy) })
                }
                var reason: String?
                if saveError != nil { reason = "checkpoint not written" }
                if Interrupt.isRequested { reason = "interrupted" }
                if let n = stopAt, p.globalStep >= n { reason = "stopped after \(p.globalStep) steps (--stop-after-steps)" }
                if let together {
                    do {
                        if try together(reason != nil) && reason == nil { reason = "interrupted (on another process)" }
                    } catch { saveError = error; return false }
                }
                if let r = reason { stopReason = r; return false }
                return true
            }
            bar?.finishLine()
        } catch let e {
            bar?.finishLine()
            curve += points
            if let s = saveError { throw s }
            guard case .cancelled = e, let reason = stopReason else { throw e }
            return .stopped(reason: reason)
        }
        curve += points
        return .finished
    }

    /// Loss and accuracy against step, each averaged over windows so that a few
    /// hundred points are drawn however long the run.
    func curvePlot(title: String) -> SVGPlot {
        let w = max(1, curve.count / 200)
        var loss: [(x: Double, y: Double)] = [], acc: [(x: Double, y: Double)] = []
        var i = 0
        while i < curve.count {
            let chunk = curve[i..<min(i + w, curve.count)]
            let x = Double(chunk.last!.step)
            loss.append((x, chunk.map(\.loss).reduce(0, +) / Double(chunk.count)))
            acc.append((x, chunk.map(\.accuracy).reduce(0, +) / Double(chunk.count)))
            i += w
        }
        var plot = SVGPlot(title: title, xLabel: "step", yLabel: "loss / accuracy")
        plot.series = [.init(label: "train loss", points: loss), .init(label: "train accuracy", points: acc)]
        let val = epochs.compactMap { e -> (x: Double, y: Double)? in
            e.validation.map { (Double((e.epoch + 1) * max(curve.count / max(epochs.count, 1), 1)), $0.accuracy) }
        }
        if !val.isEmpty { plot.series.append(.init(label: "validation accuracy", points: val)) }
        return plot
    }
}
