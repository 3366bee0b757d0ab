#if canImport(Glibc)
import Glibc
#endif
import Foundation
import BSNN

/// Training progress on stderr (stdout is for results): one self-overwriting line when
/// stderr is a terminal, plain lines (at most ~20 per run, plus one per epoch end) when
/// it is a pipe or file, so logs stay readable and tests can parse them.
final class ProgressBar {
    let interactive: Bool
    let totalSteps: Int
    private var started = MonotonicClock.now()
    private var startStep: Int
    private var lastDraw = 0.0
    private var smoothedRate = 0.0
    private var lastPlainStep = -1
    private var epochStarted = MonotonicClock.now()

    init(totalSteps: Int, startStep: Int, forceInteractive: Bool? = nil) {
        self.totalSteps = max(totalSteps, 1)
        self.startStep = startStep
        interactive = forceInteractive ?? (isatty(STDERR_FILENO) == 1)
    }

    /// `gradientNorm`: the step's global gradient norm before clipping (clipping on).
    func update(
        step: Int, epoch: Int, epochs: Int, loss: Double, accuracy: Double, samplesPerSecond: Double, gradientNorm: Double? = nil
    ) {
        let norm = gradientNorm.map { String(format: " grad norm %.4g", $0) } ?? ""
        smoothedRate = smoothedRate == 0 ? samplesPerSecond : 0.9 * smoothedRate + 0.1 * samplesPerSecond
        let now = MonotonicClock.now()
        let done = step - startStep
        let eta = done > 0 ? (now - started) / Double(done) * Double(totalSteps - step) : .infinity
        if interactive {
            guard now - lastDraw > 0.1 || step == totalSteps else { return }
            lastDraw = now
            let frac = Double(step) / Double(totalSteps)
            let cells = 24, filled = Int(frac * Double(cells))
            let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: cells - filled)
            let line = String(format: "\r[%@] %d/%d ep %d/%d loss %.4f acc %5.1f%%%@ %.0f samples/s ETA %@\u{1B}[K",
                bar, step, totalSteps, epoch + 1, epochs, loss, accuracy * 100, norm, smoothedRate, Fmt.secs(eta))
            fputs(line, stderr)
        } else {
            let every = max(totalSteps / 20, 1)
            guard step % every == 0 || step == totalSteps, step != lastPlainStep else { return }
            lastPlainStep = step
            note(String(format: "step %d/%d epoch %d/%d loss %.4f accuracy %.4f%@ samples/s %.0f eta %@",
                step, totalSteps, epoch + 1, epochs, loss, accuracy, norm, smoothedRate, Fmt.secs(eta)))
        }
    }

    /// Ends the live line before anything else is printed.
    func finishLine() {
        if interactive && lastDraw > 0 { fputs("\n", stderr); lastDraw = 0 }
    }

    func epochDone(epoch: Int, epochs: Int, trainLoss: Double, trainAccuracy: Double, validation: (loss: Double, accuracy: Double)?) {
        finishLine()
        let now = MonotonicClock.now()
        let seconds = now - epochStarted
        epochStarted = now
        var s = String(format: "epoch %d/%d train loss %.4f accuracy %.4f", epoch + 1, epochs, trainLoss, trainAccuracy)
        if let v = validation { s += String(format: " validation loss %.4f accuracy %.4f", v.loss, v.accuracy) }
        s += " (\(Fmt.secs(seconds)))"
        note(s)
    }
}

