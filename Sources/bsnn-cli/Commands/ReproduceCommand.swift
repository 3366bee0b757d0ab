import ArgumentParser
import BSNN
import Foundation

struct ReproduceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reproduce",
        abstract: "Reproduce the paper's Table 1, Fig. 1–4 and Table 2 (with batch-norm and residual columns, mean ± sd over seeds); writes report.md.",
        discussion: """
            The default run fits in 10 minutes on 2 cores (report.md states the measured time): Fig. 1 at depth 200, \
            width 500; Fig. 3 at depth 50 over widths 100–1500, 3 seeds; Table 2 at depth 200, width 64, \
            600 steps of batch 64 (2 epochs over the first 19200 standardized Fashion-MNIST images), tested on 1000, \
            with the paper's optimizer (SGD momentum 0.5, lr 1e-4), each activation plain and GPN, without and with \
            batch normalization, and GPN with residual links (α = 1/√depth), 3 seeds each, 2 runs at a time \
            (--jobs; each run single-threaded, results bit-identical to --jobs 1). Every run is probed and tested \
            at --trace-points steps (Fig. 4 and the gradient-ratio trace). \
            --full is the paper's scale: width 500, all 60000 samples, 50 epochs, tested on all 10000, Fig. 3 at \
            depth 200: estimated from a measured width-500 step (0.61 s of CPU time), about 15 days on 2 cores (docs/CLI.md).
            """)

    @Option(help: "Output folder.") var out = "report"
    @Flag(help: "The paper's full settings (see above).") var full = false
    @Option(help: "Depth of the Fig. 1 probe.") var probeDepth = 200
    @Option(help: "Width of the Fig. 1 probe.") var probeWidth = 500
    @Option(help: "Hidden layers of the trained nets.") var depth: Int?
    @Option(help: "Width of the trained nets.") var width: Int?
    @Option(help: "Training samples (first N of the training split).") var trainSamples: Int?
    @Option(help: "Test samples (first N of the test split).") var testSamples: Int?
    @Option(help: "Epochs over the training samples.") var epochs: Int?
    @Option(help: "Learning rate.") var lr: Double?
    @Option(help: "Momentum.") var momentum: Double?
    @Option(help: "Minibatch size.") var batch = 64
    @Option(help: "Seeds per Table-2 cell and per Fig. 3 width (seeds 0, 1, …).") var seeds = 3
    @Option(help: ArgumentHelp("Comma-separated Table-2 columns: \(TrainabilityVariant.allCases.map(\.rawValue).joined(separator: ", ")).", valueName: "V,…"))
    var variants = TrainabilityVariant.defaults.map(\.rawValue).joined(separator: ",")
    @Option(help: "Test-accuracy and gradient-ratio measurements during each Table-2 run, besides the start and the end.") var tracePoints = 8
    @Option(help: "Fashion-MNIST folder.") var data = FashionMNIST.defaultDirectory
    @Option(help: "Comma-separated activations for Table 2.") var activations = "tanh,relu,leaky_relu,elu,selu,gelu"
    @Option(help: "Comma-separated activations for Fig. 1.") var probeActivations = "tanh,relu,selu,gelu"
    @Option(help: ArgumentHelp("Comma-separated widths of the Fig. 3 sweep.", valueName: "W1,W2,…")) var sweepWidths: String?
    @Option(help: "Depth of the Fig. 3 sweep.") var sweepDepth: Int?
    @Option(help: "Gaussian input samples of the Fig. 3 probes.") var sweepSamples = 200
    @Option(help: "Comma-separated activations for Fig. 3 (GPN versions).") var sweepActivations = "tanh,relu,selu,gelu"
    @Option(help: "Independent runs at a time (each with one OpenBLAS thread; the numbers do not depend on it).") var jobs = 2
    @Option(help: "OpenBLAS threads (only with --jobs 1).") var threads: Int?
    @Option(help: ArgumentHelp("Spread the independent runs of Fig. 3 and Table 2 over the processes mpirun started: mpi (each process runs --jobs at a time; rank 0 writes the report, with the numbers of a serial run).", valueName: "BACKEND")) var distributed: DistributedBackend?

    struct Settings {
        var depth, width, train, test, epochs: Int
        var lr, momentum: Double
        var sweepWidths: [Int]
        var sweepDepth: Int
    }

    static let defaultSettings = Settings(depth: 200, width: 64, train: 19_200, test: 1_000, epochs: 2, lr: 1e-4, momentum: 0.5,
                                          sweepWidths: [100, 200, 400, 800, 1500], sweepDepth: 50)
    static let fullSettings = Settings(depth: 200, width: 500, train: 60_000, test: 10_000, epochs: 50, lr: 1e-4, momentum: 0.5,
                                       sweepWidths: Array(stride(from: 100, through: 1500, by: 200)) + [1500], sweepDepth: 200)

    func settings() throws -> Settings {
        let base = full ? Self.fullSettings : Self.defaultSettings
        return Settings(depth: depth ?? base.depth, width: width ?? base.width, train: trainSamples ?? base.train,
                        test: testSamples ?? base.test, epochs: epochs ?? base.epochs, lr: lr ?? base.lr,
                        momentum: momentum ?? base.momentum,
                        sweepWidths: try sweepWidths.map(Self.parseWidths) ?? base.sweepWidths,
                        sweepDepth: sweepDepth ?? base.sweepDepth)
    }

    static func parseWidths(_ s: String) throws -> [Int] {
        let ws = s.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !ws.isEmpty, ws.allSatisfy({ ($0 ?? 0) >= 1 }) else {
            throw CLIError.usage("--sweep-widths '\(s)': expected comma-separated positive integers")
        }
        return ws.compactMap { $0 }
    }

    func run() throws {
        let s = try settings()
        for (n, v) in [("depth", s.depth), ("width", s.width), ("train-samples", s.train), ("test-samples", s.test),
                       ("epochs", s.epochs), ("probe-depth", probeDepth), ("probe-width", probeWidth), ("seeds", seeds),
                       ("jobs", jobs), ("sweep-depth", s.sweepDepth), ("sweep-samples", sweepSamples)] where v < (n == "depth" ? 0 : 1) {
            throw CLIError.usage("--\(n): expected >= 1, got \(v)")
        }
        guard tracePoints >= 0 else { throw CLIError.usage("--trace-points: expected >= 0, got \(tracePoints)") }
        if let t = threads, t != 1, jobs > 1 {
            throw CLIError.usage("--threads: expected 1 with --jobs \(jobs) (concurrent runs use one OpenBLAS thread each), got \(t)")
        }
        let columns = try TrainabilityVariant.parse(variants)
        let trainActs = activations.split(separator: ",").map(String.init)
        let probeActs = probeActivations.split(separator: ",").map(String.init)
        let sweepActs = sweepActivations.split(separator: ",").map(String.init)
        for a in trainActs + probeActs + sweepActs where !BuiltinActivation.names.contains(a) {
            throw CLIError.usage("unknown activation '\(a)'; expected one of: \(BuiltinActivation.names.joined(separator: ", "))")
        }
        try DataSpec.requireExisting(data, what: "Fashion-MNIST folder")
        let exchange = try distributed.map { _ in try MPIExchange() }
        try ProcessRole.become(rank: exchange?.rank ?? 0)
        try Output.makeDirectory(out)
        try BLAS.setThreadCount(jobs > 1 ? 1 : threads ?? BLAS.threadCount)
        let started = MonotonicClock.now(), startedCPU = ProcessCPUClock.now()
        var md = "# bsnn reproduction of Lu, Gould & Ajanthan (2023)\n\n"

        // Table 1
        print("== Table 1: GPN constants (paper vs bsnn) ==")
        let t1 = try GPNCommand.tableOne()
        print(t1.text())
        md += "## Table 1 — GPN constants\n\nThe paper's rounded (a, b) against bsnn's quadrature, with the root the paper used (b₋ for GELU, b₊ otherwise).\n\n" + t1.markdown()
        let moments = try GPNCommand.constantsTable(GPNCommand.paperTable.map { try BuiltinActivation.make($0.name) }, root: .paper)
        md += "\nMoments under x ~ N(0,1) and both roots:\n\n" + moments.markdown() + "\n"

        let t0 = MonotonicClock.now()
        md += try figureOne(probeActs)
        let probeSeconds = MonotonicClock.now() - t0
        let t3 = MonotonicClock.now()
        md += try figureThree(sweepActs, s, over: exchange)
        let sweepSeconds = MonotonicClock.now() - t3
        let t2 = MonotonicClock.now()
        md += try tableTwo(trainActs, columns, s, over: exchange)
        let trainSeconds = MonotonicClock.now() - t2

        let total = MonotonicClock.now() - started
        // The CPU time is what a loaded machine does not inflate: the budget of the default
        // run is stated in it (docs/CLI.md).
        let cpu = ProcessCPUClock.now() - startedCPU
        md += String(format: "---\nRun time: %.0f s in all (Fig. 1: %.0f s, Fig. 3: %.0f s, Table 2 and Fig. 4: %.0f s), %.0f s of CPU time (all threads%@), %d run(s) at a time%@, %d BLAS thread(s) each.\n",
                     total, probeSeconds, sweepSeconds, trainSeconds, cpu, exchange == nil ? "" : " of rank 0", jobs,
                     exchange.map { " on each of \($0.processCount) MPI processes" } ?? "", BLAS.threadCount)
        try Output.write(md, to: "\(out)/report.md")
        print(String(format: "wrote %@/report.md (%.0f s)", out as NSString, total))
        exchange?.close()
    }

    // MARK: Fig. 1–2

    func figureOne(_ probeActs: [String]) throws -> String {
        print("== Fig. 1: signal propagation, depth \(probeDepth), width \(probeWidth) ==")
        let probe = SyntheticProbe(width: probeWidth, depth: probeDepth)
        let weights = try probe.haarWeights()
        let acts = try probeActs.flatMap { name in
            try [false, true].map { gpn in try LayerActivation.builtin(name, gpn: gpn ? GPNRoot.paper(for: name) : nil) }
        }
        let results = try ConcurrentRuns.map(count: acts.count, jobs: jobs) { try probe.run(acts[$0], weights: weights) }
        var f1 = TextTable(["activation", "final ‖x‖/√d", "backward ratio", "gradient ratio", "verdict"])
        f1.numeric = [1, 2, 3]
        var figs = ""
        for (act, r) in zip(acts, results) {
            let v = SignalVerdict(r)
            f1.add([act.displayName, Fmt.num(v.finalForward), Fmt.num(v.backwardRatio), Fmt.num(v.gradientRatio), v.verdict])
            let file = "fig1-\(act.displayName).svg"
            var plot = SVGPlot(title: "\(act.displayName), width \(probeWidth), depth \(probeDepth)", xLabel: "layer", yLabel: "norm (log scale)", logY: true)
            func series(_ label: String, _ a: [Double]) -> SVGPlot.Series {
                .init(label: label, points: a.enumerated().map { (Double($0.offset), $0.element) })
            }
            plot.series = [series("‖x‖/√d", r.forwardNorms), series("‖y‖", r.backwardNorms), series("‖∂E/∂W‖_F", r.weightGradientNorms)]
            try plot.write(to: "\(out)/\(file)")
            figs += "![\(act.displayName)](\(file)) "
            if act.isGPN {
                let h = r.derivativeHistogram
                let hf = "fig2-\(act.displayName).svg"
                try Output.write(SVGPlot.histogram(title: "\(act.displayName): a·φ'(h) over all layers", xLabel: "a·φ'(h)",
                                                   lower: h.lowerBound, upper: h.upperBound, counts: h.counts), to: "\(out)/\(hf)")
                figs += "![\(act.displayName) a·φ'(h) histogram](\(hf))\n\n"
            }
        }
        print(f1.text())
        return """
            ## Fig. 1 — signal propagation at depth \(probeDepth), width \(probeWidth)

            Haar-orthogonal weights, no bias, 500 Gaussian inputs, Gaussian upstream gradient (the paper's §3.1). \
            *final ‖x‖/√d*: forward norm after the last layer (1 is preserved); *backward ratio*: ‖y‖ at the \
            bottom layer over ‖y‖ at the top (1 is preserved, ≫ 1 explodes, ≪ 1 vanishes); *gradient ratio*: \
            max/min over layers of the per-sample ‖∂E/∂W‖_F (1 is perfectly balanced). Fig. 2: the histograms \
            of a·φ'(h) over all layers of the GPN nets.


            """ + f1.markdown() + "\n" + figs + "\n"
    }

    // MARK: Fig. 3

    func figureThree(_ sweepActs: [String], _ s: Settings, over exchange: MPIExchange?) throws -> String {
        let widthList = s.sweepWidths.map(String.init).joined(separator: ", ")
        print("== Fig. 3: gradient-norm ratio vs width, depth \(s.sweepDepth), GPN activations, mean ± sd over \(seeds) seed(s) ==")
        let acts = try sweepActs.map { try LayerActivation.builtin($0, gpn: GPNRoot.paper(for: $0)) }
        let sweep = WidthSweep(widths: s.sweepWidths, seeds: seeds,
                               probe: SyntheticProbe(width: s.sweepWidths[0], depth: s.sweepDepth, samples: sweepSamples))
        let points = try sweep.run(acts, jobs: jobs, over: exchange)
        var t = TextTable(["width"] + acts.map(\.displayName))
        var csv = CSVTable(header: ["activation", "width", "seed", "gradient_norm_ratio", "batch_gradient_norm_ratio"])
        for (wi, w) in s.sweepWidths.enumerated() {
            t.add(["\(w)"] + points.map { SeedSpread($0[wi].ratios).text(digits: 4) })
        }
        var plot = SVGPlot(title: "gradient-norm ratio vs width, depth \(s.sweepDepth) (mean ± sd, \(seeds) seeds)", xLabel: "width",
                           yLabel: "max/min over layers of ‖∂E/∂W‖_F")
        for (act, ps) in zip(acts, points) {
            for p in ps {
                for (k, seed) in p.seeds.enumerated() {
                    csv.add([act.displayName, "\(p.width)", "\(seed)", Fmt.full(p.ratios[k]), Fmt.full(p.batchRatios[k])])
                }
            }
            let sums = ps.map { SampleSummary($0.ratios) }
            plot.series.append(.init(
                label: act.displayName, points: zip(ps, sums).map { (Double($0.width), $1.mean) },
                errorBars: seeds > 1 ? zip(ps, sums).map { (Double($0.width), $1.mean - $1.standardDeviation, $1.mean + $1.standardDeviation) } : []))
        }
        print(t.text())
        try plot.write(to: "\(out)/fig3-gradient-ratio-vs-width.svg")
        try csv.write(to: "\(out)/fig3-runs.csv")
        return """
            ## Fig. 3 — gradient-norm ratio against width

            The paper's Fig. 3 quantity: max/min over the \(s.sweepDepth) layers of the per-sample ‖∂E/∂W⁽ˡ⁾‖_F \
            (Prop. 1: ‖y⁽ˡ⁾‖·‖x⁽ˡ⁾‖), on the synthetic probe of Fig. 1 (Haar weights, \(sweepSamples) Gaussian \
            inputs, Gaussian upstream gradient), widths \(widthList), GPN activations, mean ± sample standard \
            deviation over seeds \(sweep.seeds > 0 ? (0..<seeds).map { "\(sweep.seed($0))" }.joined(separator: ", ") : "") \
            (every seed draws its own weights, inputs and upstream gradient; fig3-runs.csv has every run, also the \
            minibatch gradient's ratio). The theory predicts a ratio that approaches 1 as the width grows.


            """ + t.markdown() + "\n![Fig. 3](fig3-gradient-ratio-vs-width.svg)\n\n"
    }

    // MARK: Table 2, Fig. 4, training curves

    func tableTwo(_ trainActs: [String], _ columns: [TrainabilityVariant], _ s: Settings, over exchange: MPIExchange?) throws -> String {
        // Standardized with the training subset's statistics, so the input layer's
        // pre-activations are ~N(0, 1) as GPN assumes (the same scaler for the test split).
        let rawTrain = try FashionMNIST.load(directory: data, split: .train, limit: s.train, scaling: .none)
        let scaler = try FeatureScaler.fit(rawTrain, method: .standardize)
        let train = try scaler.apply(to: rawTrain)
        let test = try scaler.apply(to: try FashionMNIST.load(directory: data, split: .test, limit: s.test, scaling: .none))
        // The header states the run's size as loaded (a --train-samples beyond the split
        // is the whole split), so the docs can quote the step count from the run.
        let b = min(batch, train.count)
        let perEpoch = (train.count + b - 1) / max(b, 1)
        let (steps, overflow) = perEpoch.multipliedReportingOverflow(by: s.epochs)
        let setup = TrainabilitySetup(depth: s.depth, width: s.width, epochs: s.epochs, batch: batch, lr: s.lr, momentum: s.momentum,
                                      tracePoints: tracePoints)
        let alpha = s.depth > 0 ? 1 / Double(s.depth).squareRoot() : 1
        let seedList = (0..<UInt64(seeds)).map { $0 }
        print("== Table 2: trainability on Fashion-MNIST, depth \(s.depth), width \(s.width), \(train.count) samples × \(s.epochs) epoch(s)"
              + (overflow ? "" : " = \(steps) steps of batch \(b)")
              + ", tested on \(test.count), lr \(s.lr), momentum \(s.momentum); mean ± sd over seeds \(seedList.map(String.init).joined(separator: ", ")) ==")

        struct Job { var act: String; var variant: TrainabilityVariant; var seed: UInt64 }
        let jobList = trainActs.flatMap { a in columns.flatMap { v in seedList.map { Job(act: a, variant: v, seed: $0) } } }
        let results = try SpreadRuns.map(
            count: jobList.count, jobs: jobs, over: exchange, done: { n, all in note("Table 2: \(n)/\(all) runs done") },
            encode: { r, out in r.encode(into: &out) },
            decode: { i, v in try TrainabilityResult(activation: jobList[i].act, variant: jobList[i].variant, seed: jobList[i].seed, record: v) }
        ) { i in
            try TrainabilityRun.run(activation: jobList[i].act, variant: jobList[i].variant, seed: jobList[i].seed,
                                    setup: setup, train: train, test: test)
        }
        func runs(_ a: String, _ v: TrainabilityVariant) -> [TrainabilityResult] {
            results.filter { $0.activation == a && $0.variant == v }
        }
        let heads = columns.map(\.title)
        var acc = TextTable(["activation"] + heads), loss = TextTable(["activation"] + heads), ratio = TextTable(["activation"] + heads)
        for a in trainActs {
            acc.add([a] + columns.map { SeedSpread(runs(a, $0).map { $0.testAccuracy }).text(scale: 100) })
            loss.add([a] + columns.map { SeedSpread(runs(a, $0).map { $0.tailLoss }).text(digits: 4) })
            ratio.add([a] + columns.map { v in
                SeedSpread(runs(a, v).map { r in r.diverged ? nil : r.trace.last.map { v.residual ? $0.inputGradientRatio : $0.gradientRatio } }).text(digits: 3)
            })
        }
        print("test accuracy (%):")
        print(acc.text())
        print("train loss (mean over the last tenth of the steps):")
        print(loss.text())

        var perRun = TextTable(["activation", "variant", "seed", "test accuracy", "train loss", "final gradient ratio", "seconds"])
        var csv = CSVTable(header: ["activation", "variant", "seed", "test_accuracy", "train_loss", "seconds"])
        var traceCSV = CSVTable(header: ["activation", "variant", "seed", "step", "test_accuracy", "gradient_norm_ratio", "input_gradient_ratio"])
        for r in results {
            let name = r.variant.gpn ? "\(r.activation)-GPN" : r.activation
            perRun.add([name, r.variant.title, "\(r.seed)", r.testAccuracy.map(Fmt.pct) ?? "diverged", r.tailLoss.map { Fmt.num($0) } ?? "—",
                        r.trace.last.map { Fmt.num(r.variant.residual ? $0.inputGradientRatio : $0.gradientRatio) } ?? "—", String(format: "%.1f", r.seconds)])
            csv.add([r.activation, r.variant.rawValue, "\(r.seed)", r.testAccuracy.map(Fmt.full) ?? "nan", r.tailLoss.map(Fmt.full) ?? "nan", Fmt.full(r.seconds)])
            for p in r.trace {
                traceCSV.add([r.activation, r.variant.rawValue, "\(r.seed)", "\(p.step)", Fmt.full(p.testAccuracy), Fmt.full(p.gradientRatio), Fmt.full(p.inputGradientRatio)])
            }
        }
        try csv.write(to: "\(out)/table2-runs.csv")
        try traceCSV.write(to: "\(out)/table2-trace.csv")

        // Training loss per column, one curve per activation (seed means, band ± sd).
        var lossFigs = ""
        for v in columns {
            var plot = SVGPlot(title: "training loss, \(v.title), depth \(s.depth), width \(s.width) (mean over \(seeds) seeds, band ± sd)",
                               xLabel: "step", yLabel: "cross-entropy (window mean)")
            for a in trainActs {
                let rs = runs(a, v)
                let act = v.gpn ? "\(a)-GPN" : a
                let tails = rs.compactMap(\.tailLoss)
                // A net that never leaves the uniform prediction (loss ln K) draws a flat
                // line on top of the others; the legend says so instead. Within 1 % of
                // ln K on both sides: a loss far above it is a net that blew up, not chance.
                let uniform = log(Double(FashionMNIST.classCount))
                let chance = !tails.isEmpty && abs(tails.reduce(0, +) / Double(tails.count) - uniform) <= 0.01 * uniform
                let (pts, band) = Self.seedMean(rs.map(\.lossCurve))
                plot.series.append(.init(label: act, points: pts, band: seeds > 1 ? band : [],
                                         note: rs.allSatisfy(\.diverged) ? "diverged" : chance ? "stays at chance" : nil))
            }
            try plot.write(to: "\(out)/table2-loss-\(v.rawValue).svg")
            lossFigs += "![training loss, \(v.title)](table2-loss-\(v.rawValue).svg)\n"
        }
        // Fig. 4 (test accuracy during training) and the gradient-ratio trace, one plot
        // per activation with every column (seed means, error bars ± sd).
        var fig4 = "", traceFigs = ""
        for a in trainActs {
            var accPlot = SVGPlot(title: "\(a): test accuracy during training (mean ± sd, \(seeds) seeds)", xLabel: "step", yLabel: "test accuracy")
            var ratioPlot = SVGPlot(title: "\(a): gradient-norm ratio during training (mean ± sd, \(seeds) seeds)", xLabel: "step",
                                    yLabel: "max/min over layers (log scale)", logY: true)
            for v in columns {
                let rs = runs(a, v)
                let accs = Self.seedMean(rs.map { $0.trace.map { (Double($0.step), $0.testAccuracy) } })
                let ratios = Self.seedMean(rs.map { $0.trace.map { (Double($0.step), v.residual ? $0.inputGradientRatio : $0.gradientRatio) } })
                accPlot.series.append(.init(label: v.title, points: accs.mean, errorBars: seeds > 1 ? accs.band : []))
                ratioPlot.series.append(.init(label: v.residual ? "\(v.title) (‖∂E/∂x‖)" : v.title, points: ratios.mean,
                                              errorBars: seeds > 1 ? ratios.band : []))
            }
            try accPlot.write(to: "\(out)/fig4-\(a).svg")
            try ratioPlot.write(to: "\(out)/trace-\(a).svg")
            fig4 += "![Fig. 4, \(a)](fig4-\(a).svg) "
            traceFigs += "![gradient ratio during training, \(a)](trace-\(a).svg) "
        }
        let seedText = seedList.map(String.init).joined(separator: ", ")
        return """
            ## Table 2 — trainability on Fashion-MNIST

            Depth \(s.depth) (+ input and output layers), width \(s.width), row-normalized hidden weights \
            (Haar init), bias, cross-entropy; SGD with momentum \(s.momentum), learning rate \(s.lr), batch \(batch), \
            \(s.epochs) epoch(s) over the first \(train.count) training images (standardized with their own statistics); \
            accuracy on the first \(test.count) test images. Columns: *plain* and *GPN* activations, each without \
            and with batch normalization before φ (*+BN*: h = W·x + b → γ·ĥ + β → φ, batch statistics in training, \
            running ones in evaluation), and *+res*: residual links x⁽ˡ⁺¹⁾ = x⁽ˡ⁾ + α·φ(W x⁽ˡ⁾ + b) on the square \
            hidden layers with the fixed α = 1/√\(s.depth) = \(Fmt.num(alpha)) (the scale that keeps the forward \
            and backward signals bounded; the paper has no such column). Every cell: mean ± sample standard \
            deviation over seeds \(seedText) (the seed sets the initial weights and the batch order; every run \
            is listed below and in table2-runs.csv). The paper trains width 500 for 50 epochs with the same \
            optimizer (`bsnn reproduce --full`), so absolute accuracies here are lower; what carries over is which \
            nets train at all. Chance is 10 %.

            Test accuracy (%):


            """ + acc.markdown() + """

            Training loss (mean over the last tenth of the steps):


            """ + loss.markdown() + """

            Gradient-norm ratio at the end of training (the probe on the trained weights and the first training \
            batch, the loss's gradient at its labels: max/min over layers of the per-sample ‖∂E/∂W‖_F; for +res \
            the max/min of ‖∂E/∂x⁽ˡ⁾‖, because the residual layers' ∂E/∂W carries α and the input layer's does not):


            """ + ratio.markdown() + """

            \(lossFigs)
            ## Fig. 4 — test accuracy during training, with and without batch normalization

            Each run is tested (on the same \(test.count) images) and probed at the start, at \(tracePoints) evenly \
            spaced steps and at the end; training stops and resumes in between, which leaves the run bit-identical \
            to an uninterrupted one. Points: mean over the seeds; bars: ± one standard deviation. \
            table2-trace.csv has every measurement.

            \(fig4)

            ## Training curves: the gradient-norm ratio during training

            The same probe as the last table, at every trace point: the paper's claim is that without batch \
            normalization GPN nets keep a stable gradient magnitude throughout training.

            \(traceFigs)

            ### Every Table-2 run


            """ + perRun.markdown() + "\n"
    }

    /// Pointwise mean and ± sd band over seeds' curves (the k-th point of every curve
    /// that has one; a diverged run's curve may be shorter).
    static func seedMean(_ curves: [[(x: Double, y: Double)]]) -> (mean: [(x: Double, y: Double)], band: [(x: Double, low: Double, high: Double)]) {
        let n = curves.map(\.count).max() ?? 0
        var mean: [(x: Double, y: Double)] = [], band: [(x: Double, low: Double, high: Double)] = []
        for k in 0..<n {
            let pts = curves.compactMap { k < $0.count ? $0[k] : nil }
            guard let x = pts.first?.x else { continue }
            let sum = SampleSummary(pts.map(\.y))
            mean.append((x, sum.mean))
            if pts.count > 1 { band.append((x, sum.mean - sum.standardDeviation, sum.mean + sum.standardDeviation)) }
        }
        return (mean, band)
    }
}
