import ArgumentParser
import BSNN
import Foundation

struct ProbeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Per-layer signal propagation on the paper's synthetic experiment (Fig. 1–3).",
        discussion: """
            A width×width input layer plus depth−1 hidden layers, Haar weights, no bias, Gaussian inputs \
            and a Gaussian upstream gradient. Writes probe.csv, probe.svg (‖x‖/√d, ‖y‖ and per-sample \
            ‖∂E/∂W‖_F per layer, log scale) and derivative-histogram.svg (φ' over all layers, Fig. 2). \
            With --sweep-width: gradient-norm max/min ratio against width over --seeds seeds \
            (sweep.csv, sweep.svg; Fig. 3).
            """)

    @OptionGroup var act: ActivationOptions

    @Option(help: "Layer width.") var width = 500
    @Option(help: "Number of activated square layers.") var depth = 200
    @Option(help: "Gaussian input samples.") var samples = 500
    @Option(help: "Hidden-layer constraint.") var constraint: WeightConstraint = .none
    @Option(help: "Seed of the weights, inputs and upstream gradient.") var seed: UInt64 = 42
    @Option(help: "Output folder.") var out: String
    @Option(help: "Layers shown in the terminal table (first and last halves).") var rows = 12
    @Option(help: ArgumentHelp("Comma-separated widths for the Fig. 3 sweep.", valueName: "W1,W2,…")) var sweepWidth: String?
    @Option(help: "Seeds per width in the sweep.") var seeds = 3
    @Option(help: ArgumentHelp("Spread the --sweep-width probes over the processes mpirun started: mpi (rank 0 writes the files, with the numbers of a serial sweep).", valueName: "BACKEND")) var distributed: DistributedBackend?
    @Option(help: "Normalization before φ on every layer: batch (the probe samples' statistics), layer, or none (default).") var norm: Normalization?
    @Flag(help: "Residual links on the depth−1 square hidden layers: x + α·φ(W x). The verdict then reads the backward signal as ‖∂E/∂x‖ (‖∂E/∂h‖ carries α).") var residual = false
    @Option(help: ArgumentHelp("α of --residual (default: 1; 1/sqrt(depth) keeps the signals bounded).", valueName: "X")) var residualScale: Double?
    @Flag(help: "Print JSON (full-precision numbers; keys in docs/CLI.md) on standard output instead of the table; the files are written as usual.") var json = false

    func validate() throws {
        for (n, v) in [("width", width), ("depth", depth), ("samples", samples), ("seeds", seeds)] where v < 1 {
            throw ValidationError("--\(n): expected >= 1, got \(v)")
        }
        if residualScale != nil && !residual { throw ValidationError("--residual-scale: expected together with --residual") }
        if distributed != nil && sweepWidth == nil { throw ValidationError("--distributed: expected together with --sweep-width (one probe is one run)") }
        do { try residualScale.map { try ResidualScale.fixed($0).validate() } } catch let e as BSNNError {
            throw ValidationError("--residual-scale: \(e.message)")
        }
    }

    /// The probe's architecture options applied to `probe`.
    func shaped(_ probe: SyntheticProbe) -> SyntheticProbe {
        var p = probe
        p.normalization = norm ?? MLPConfiguration.defaultNormalization
        p.residual = residual
        p.residualScale = residualScale.map { .fixed($0) } ?? MLPConfiguration.defaultResidualScale
        return p
    }

    func run() throws {
        let layerAct = try act.layerActivation()
        let c = constraint
        try Output.makeDirectory(out)
        if let sw = sweepWidth {
            try sweep(widths: try parseWidths(sw), act: layerAct, constraint: c)
            return
        }
        let probe = shaped(SyntheticProbe(width: width, depth: depth, samples: samples, constraint: c, seed: seed))
        let r = try probe.run(layerAct, weights: try probe.haarWeights())
        try Self.writeOutputs(r, name: layerAct.displayName, depth: depth, width: width, out: out, rows: rows, json: json, residual: residual)
    }

    func parseWidths(_ s: String) throws -> [Int] {
        let ws = s.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !ws.isEmpty, ws.allSatisfy({ ($0 ?? 0) >= 1 }) else {
            throw CLIError.usage("--sweep-width '\(s)': expected comma-separated positive integers")
        }
        return ws.map { $0! }
    }

    static func writeOutputs(_ r: SignalProbeResult, name: String, depth: Int, width: Int, out: String, rows: Int, json: Bool = false, residual: Bool = false) throws {
        // With --json the table and notes are not printed: standard output is the object.
        func print(_ text: String, terminator: String = "\n") { if !json { Swift.print(text, terminator: terminator) } }
        // input_grad_norm: ‖∂E/∂x⁽ˡ⁾‖/√d for the input of layer l (none for layer 0, whose
        // input is the data; the last row is the upstream gradient).
        var csv = CSVTable(header: ["layer", "forward_norm", "backward_norm", "weight_grad_norm", "batch_weight_grad_norm", "input_grad_norm"])
        let n = r.forwardNorms.count
        for l in 0..<n {
            func at(_ a: [Double]) -> String { l < a.count ? Fmt.full(a[l]) : "" }
            let dx = l >= 1 && l - 1 < r.inputGradientNorms.count ? Fmt.full(r.inputGradientNorms[l - 1]) : ""
            csv.add(["\(l)", at(r.forwardNorms), at(r.backwardNorms), at(r.weightGradientNorms), at(r.batchWeightGradientNorms), dx])
        }
        try csv.write(to: "\(out)/probe.csv")

        var t = TextTable(["layer", "‖x‖/√d", "‖y‖", "‖∂E/∂W‖_F"])
        let shown = n <= rows ? Array(0..<n) : Array(0..<(rows / 2)) + Array((n - rows / 2)..<n)
        for (i, l) in shown.enumerated() {
            if i > 0 && shown[i - 1] != l - 1 { t.add(["…", "…", "…", "…"]) }
            func at(_ a: [Double]) -> String { l < a.count ? Fmt.num(a[l]) : "" }
            t.add(["\(l)", at(r.forwardNorms), at(r.backwardNorms), at(r.weightGradientNorms)])
        }
        let v = SignalVerdict(r, residual: residual)
        print("\(name), width \(width), depth \(depth)")
        print(t.text(), terminator: "")
        print("final forward norm \(Fmt.num(v.finalForward)), backward ratio (bottom/top\(residual ? " of ‖∂E/∂x‖" : "")) \(Fmt.num(v.backwardRatio)), gradient-norm ratio (max/min) \(Fmt.num(v.gradientRatio))")
        print("verdict: \(v.verdict)")

        var plot = SVGPlot(title: "\(name): signal norms, width \(width), depth \(depth)", xLabel: "layer", yLabel: "norm (log scale)", logY: true)
        func series(_ label: String, _ a: [Double]) -> SVGPlot.Series {
            .init(label: label, points: a.enumerated().map { (Double($0.offset), $0.element) })
        }
        plot.series = [series("‖x‖/√d", r.forwardNorms), series("‖y‖", r.backwardNorms), series("‖∂E/∂W‖_F", r.weightGradientNorms)]
        if residual { plot.series.append(.init(label: "‖∂E/∂x‖/√d", points: r.inputGradientNorms.enumerated().map { (Double($0.offset + 1), $0.element) })) }
        try plot.write(to: "\(out)/probe.svg")

        let h = r.derivativeHistogram
        try Output.write(SVGPlot.histogram(title: "\(name): histogram of a·φ'(h), all layers (a = 1 without GPN)", xLabel: "a·φ'(h)",
                                           lower: h.lowerBound, upper: h.upperBound, counts: h.counts),
                         to: "\(out)/derivative-histogram.svg")
        var hc = CSVTable(header: ["bin_low", "bin_high", "count"])
        for (i, c) in h.counts.enumerated() {
            hc.add([Fmt.full(h.lowerBound + Double(i) * h.binWidth), Fmt.full(h.lowerBound + Double(i + 1) * h.binWidth), "\(c)"])
        }
        try hc.write(to: "\(out)/derivative-histogram.csv")
        note("wrote \(out)/probe.csv, \(out)/probe.svg, \(out)/derivative-histogram.svg")
        if json {
            func column(_ a: [Double], _ l: Int) -> JSONValue { l < a.count ? .number(a[l]) : .null }
            try JSONOutput.emit([
                JSONMember("activation", .string(name)), JSONMember("width", JSONOutput.int(width)), JSONMember("depth", JSONOutput.int(depth)),
                JSONMember("final_forward_norm", .number(v.finalForward)), JSONMember("backward_ratio", .number(v.backwardRatio)),
                JSONMember("gradient_norm_ratio", .number(v.gradientRatio)),
                JSONMember("batch_gradient_norm_ratio", .number(r.batchGradientNormRatio)),
                JSONMember("verdict", .string(v.verdict)),
                JSONMember("layers", .array((0..<n).map { l in
                    JSONOutput.object([("layer", JSONOutput.int(l)), ("forward_norm", column(r.forwardNorms, l)),
                                       ("backward_norm", column(r.backwardNorms, l)), ("weight_gradient_norm", column(r.weightGradientNorms, l)),
                                       ("batch_weight_gradient_norm", column(r.batchWeightGradientNorms, l))])
                })),
                JSONMember("files", .array(["probe.csv", "probe.svg", "derivative-histogram.svg", "derivative-histogram.csv"].map { .string("\(out)/\($0)") })),
            ])
        }
    }

    func sweep(widths: [Int], act: LayerActivation, constraint: WeightConstraint) throws {
        func print(_ text: String, terminator: String = "\n") { if !json { Swift.print(text, terminator: terminator) } }
        var rowsJSON: [JSONValue] = []
        var raw = CSVTable(header: ["width", "seed", "gradient_norm_ratio", "batch_gradient_norm_ratio"])
        var summary = CSVTable(header: ["width", "mean", "min", "max", "std", "batch_mean", "batch_min", "batch_max", "batch_std"])
        var t = TextTable(["width", "mean ratio", "min", "max", "std", "batch mean", "batch std"])
        var mean: [(x: Double, y: Double)] = [], band: [(x: Double, low: Double, high: Double)] = []
        let sweep = WidthSweep(widths: widths, seeds: seeds,
                               probe: shaped(SyntheticProbe(width: width, depth: depth, samples: samples, constraint: constraint, seed: seed)))
        let exchange = try distributed.map { _ in try MPIExchange() }
        try ProcessRole.become(rank: exchange?.rank ?? 0)
        defer { exchange?.close() }
        for point in try sweep.run([act], jobs: 1, over: exchange)[0] {
            let w = point.width, ratios = point.ratios, batchRatios = point.batchRatios
            for k in 0..<seeds {
                raw.add(["\(w)", "\(point.seeds[k])", Fmt.full(ratios[k]), Fmt.full(batchRatios[k])])
            }
            let s = SampleSummary(ratios), b = SampleSummary(batchRatios)
            summary.add(["\(w)", Fmt.full(s.mean), Fmt.full(s.minimum), Fmt.full(s.maximum), Fmt.full(s.standardDeviation),
                         Fmt.full(b.mean), Fmt.full(b.minimum), Fmt.full(b.maximum), Fmt.full(b.standardDeviation)])
            t.add(["\(w)", Fmt.num(s.mean), Fmt.num(s.minimum), Fmt.num(s.maximum), Fmt.num(s.standardDeviation),
                   Fmt.num(b.mean), Fmt.num(b.standardDeviation)])
            rowsJSON.append(JSONOutput.object([
                ("width", JSONOutput.int(w)), ("ratios", JSONOutput.numbers(ratios)), ("mean", .number(s.mean)),
                ("min", .number(s.minimum)), ("max", .number(s.maximum)), ("std", .number(s.standardDeviation)),
                ("batch_ratios", JSONOutput.numbers(batchRatios)), ("batch_mean", .number(b.mean)), ("batch_min", .number(b.minimum)),
                ("batch_max", .number(b.maximum)), ("batch_std", .number(b.standardDeviation)),
            ]))
            mean.append((Double(w), s.mean))
            band.append((Double(w), s.minimum, s.maximum))
        }
        try raw.write(to: "\(out)/sweep-runs.csv")
        try summary.write(to: "\(out)/sweep.csv")
        print("\(act.displayName), depth \(depth): max/min per-sample (and minibatch) weight-gradient norm over \(seeds) seed(s); std is the sample standard deviation (n − 1)")
        print(t.text(), terminator: "")
        var plot = SVGPlot(title: "\(act.displayName): gradient-norm ratio vs width, depth \(depth)", xLabel: "width", yLabel: "max/min ‖∂E/∂W‖_F")
        plot.series = [.init(label: "mean (band: min–max)", points: mean, band: band)]
        try plot.write(to: "\(out)/sweep.svg")
        note("wrote \(out)/sweep.csv, \(out)/sweep-runs.csv, \(out)/sweep.svg")
        if json {
            try JSONOutput.emit([
                JSONMember("activation", .string(act.displayName)), JSONMember("depth", JSONOutput.int(depth)),
                JSONMember("seeds", JSONOutput.int(seeds)), JSONMember("widths", .array(rowsJSON)),
                JSONMember("files", .array(["sweep.csv", "sweep-runs.csv", "sweep.svg"].map { .string("\(out)/\($0)") })),
            ])
        }
    }
}
