import ArgumentParser
import BSNN
import Foundation

/// Flags shared by the commands that read a saved model.
struct ModelArgument: ParsableArguments {
    @Argument(help: "A model saved by `bsnn train` (.safetensors; - reads it from standard input).") var model: String
    @Flag(help: "Allow a plugin/foreign activation recorded in the model to be loaded.") var allowPlugins = false
    @Flag(help: "Load a model file without a bsnn checksum (written by another tool or an older bsnn).") var unverified = false

    func load() throws -> MLP {
        let options = ModelFile.LoadOptions(allowPlugins: allowPlugins, allowUnverified: unverified)
        if model == "-" { return try ModelFile.load(bytes: try StandardInput.readAll(what: "model -"), name: "standard input", options: options) }
        try DataSpec.requireExisting(model, what: "model")
        return try ModelFile.load(model, options: options)
    }
}

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "eval", abstract: "Loss and accuracy of a saved model on a data set.")

    @OptionGroup var model: ModelArgument
    @Option(help: "fashion-mnist, an IDX folder, or a .csv file.") var data: String
    @OptionGroup var csv: CSVFlags
    @Option(help: "Split of IDX data.") var split: DataSpec.Split = .test
    @Option(help: "Use only the first N samples.") var limit: Int?
    @Flag(help: "Print {\"loss\", \"accuracy\", \"samples\"} as JSON, full precision.") var json = false

    func validate() throws { try DataSpec.requireOneStandardInput([("MODEL", model.model), ("--data", data)]) }

    func run() throws {
        let m = try model.load()
        let d = try DataSpec.load(data, split: split, limit: limit, scaledLike: m.configuration.featureScaler, csv: try csv.options())
        let e = try m.evaluate(d)
        if json {
            try JSONOutput.emit([JSONMember("loss", .number(e.loss)), JSONMember("accuracy", .number(e.accuracy)),
                                 JSONMember("samples", JSONOutput.int(e.count))])
        } else {
            print(String(format: "loss %.6f accuracy %.6f samples %d", e.loss, e.accuracy, e.count))
        }
    }
}

struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict", abstract: "Class predictions (and probabilities) for new samples, as CSV.",
        discussion: "Input: a CSV of feature rows (one extra column is taken as a label and ignored: --label-column says which) or an IDX image file (bytes scaled to [0, 1]).")

    @OptionGroup var model: ModelArgument
    @Option(help: "CSV or IDX file of samples (- reads either from standard input).") var input: String
    @Option(help: "Output CSV (- for standard output): index, predicted class, then one probability per class.") var out: String?
    @Flag(help: "Print the predictions as JSON on standard output (full-precision probabilities) instead of CSV.") var json = false
    @OptionGroup var csvFlags: CSVFlags

    func validate() throws {
        if json && out != nil { throw ValidationError("--json writes to standard output; give --json or --out, not both") }
        if !json && out == nil { throw ValidationError("missing --out FILE (or - for standard output, or --json)") }
        try DataSpec.requireOneStandardInput([("MODEL", model.model), ("--input", input)])
    }

    func run() throws {
        let m = try model.load()
        let k = m.configuration.outputs
        let (x, n) = try DataSpec.features(
            input, inputs: m.configuration.inputs, scaler: m.configuration.featureScaler, csv: csvFlags.options())
        let logits = try m.predict(x)
        var csv = CSVTable(header: ["index", "prediction"] + (0..<k).map { "p\($0)" })
        var rows: [JSONValue] = []
        for i in 0..<n {
            let row = logits[(i * k)..<((i + 1) * k)].map(Double.init)
            let mx = row.max() ?? 0
            let e = row.map { exp($0 - mx) }
            let z = e.reduce(0, +)
            let arg = row.indices.max(by: { row[$0] < row[$1] }) ?? 0
            if json {
                rows.append(JSONOutput.object([("index", JSONOutput.int(i)), ("prediction", JSONOutput.int(arg)),
                                               ("probabilities", JSONOutput.numbers(e.map { $0 / z }))]))
            } else {
                csv.add(["\(i)", "\(arg)"] + e.map { String(format: "%.6g", $0 / z) })
            }
        }
        if json {
            try JSONOutput.emit([JSONMember("predictions", .array(rows))])
            return
        }
        let path = out ?? "-"
        try csv.write(to: path)
        if path != "-" { note("wrote \(n) predictions to \(path)") }
    }
}

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Architecture, activation, GPN constants and size of a saved model.")

    @OptionGroup var model: ModelArgument
    @Flag(help: "Print JSON (keys in docs/CLI.md) instead of the aligned list.") var json = false

    func jsonMembers(_ m: MLP) throws -> [JSONMember] {
        let c = m.configuration
        let a = c.activation
        var source: [(String, JSONValue)]
        switch a.base.source {
        case .builtin: source = [("kind", .string("builtin"))]
        case .plugin(let path, let plugin): source = [("kind", .string("plugin")), ("library", .string(path)), ("name", .string(plugin))]
        case .foreign(let lib, let sym, let sig):
            source = [("kind", .string("foreign")), ("library", .string(lib)), ("symbol", .string(sym)), ("signature", .string(sig))]
        case .closure: source = [("kind", .string("closure"))]
        }
        var activation: [(String, JSONValue)] = [
            ("name", .string(a.base.name)), ("display_name", .string(a.displayName)), ("source", JSONOutput.object(source)),
            ("parameters", JSONOutput.object(a.base.parameters.map { ($0.name, .number($0.value)) })),
            ("gpn", .bool(a.isGPN)), ("root", a.gpnRoot.map { .string($0) } ?? .null),
            ("a", .number(a.scale)), ("b", .number(a.shift)),
        ]
        if a.isGPN, let k = try? GPNNormalizer.constants(for: a.base) {
            activation += [("mean", .number(k.moments.mean)), ("mean_square", .number(k.moments.meanSquare)),
                           ("derivative_mean_square", .number(k.moments.derivativeMeanSquare)),
                           ("b_plus", .number(k.bPlus)), ("b_minus", .number(k.bMinus))]
        }
        return [
            JSONMember("file", .string(model.model)),
            JSONMember("inputs", JSONOutput.int(c.inputs)), JSONMember("width", JSONOutput.int(c.width)),
            JSONMember("depth", JSONOutput.int(c.depth)), JSONMember("outputs", JSONOutput.int(c.outputs)),
            JSONMember("layers", JSONOutput.int(m.layerCount)),
            JSONMember("constraint", .string(c.constraint.rawValue)), JSONMember("bias", .bool(c.bias)),
            JSONMember("initialization", .string(c.initialization.rawValue)),
            JSONMember("norm", .string(c.normalization.rawValue)),
            JSONMember("norm_momentum", .number(c.normalizationMomentum)),
            JSONMember("norm_epsilon", .number(c.normalizationEpsilon)),
            JSONMember("activation", JSONOutput.object(activation)),
            JSONMember("feature_scaling", c.featureScaler.map { .string($0.method.rawValue) } ?? .null),
            JSONMember("residual", c.residual ? residualScaleJSON(c.residualScale) : .null),
            JSONMember("dropout", .number(c.dropout)),
            JSONMember("parameter_count", JSONOutput.int(m.parameterCount)),
        ]
    }

    /// A fixed α as a number, a learnable one as "learnable".
    func residualScaleJSON(_ r: ResidualScale) -> JSONValue {
        switch r {
        case .fixed(let a): return .number(a)
        case .learnable: return .string(ResidualScale.learnableName)
        }
    }

    func run() throws {
        let m = try model.load()
        let c = m.configuration
        let a = c.activation
        var lines: [(String, String)] = [
            ("file", model.model),
            ("inputs", "\(c.inputs)"), ("width", "\(c.width)"), ("depth", "\(c.depth)"), ("outputs", "\(c.outputs)"),
            ("layers", "\(m.layerCount) (input \(c.inputs)→\(c.width), \(c.depth) × \(c.width)→\(c.width), output \(c.width)→\(c.outputs))"),
            ("constraint", c.constraint.rawValue), ("bias", "\(c.bias)"), ("initialization", c.initialization.rawValue),
            ("norm", c.normalization == .none ? "none" : "\(c.normalization.rawValue) (momentum \(c.normalizationMomentum), epsilon \(c.normalizationEpsilon))"),
            ("activation", a.displayName),
        ]
        switch a.base.source {
        case .builtin: lines.append(("source", "builtin"))
        case .plugin(let path, let plugin): lines.append(("source", "plugin \(plugin) (\(path))"))
        case .foreign(let lib, let sym, let sig): lines.append(("source", "foreign \(lib):\(sym):\(sig)"))
        case .closure: lines.append(("source", "closure"))
        }
        if !a.base.parameters.isEmpty {
            lines.append(("parameters", a.base.parameters.map { "\($0.name)=\($0.value)" }.joined(separator: ", ")))
        }
        lines.append(("gpn", a.gpnRoot.map { "yes, root \($0)" } ?? "no"))
        lines.append(("a", "\(a.scale)"))
        lines.append(("b", "\(a.shift)"))
        if a.isGPN, let k = try? GPNNormalizer.constants(for: a.base) {
            lines.append(("E[φ]", "\(k.moments.mean)"))
            lines.append(("E[φ²]", "\(k.moments.meanSquare)"))
            lines.append(("E[φ'²]", "\(k.moments.derivativeMeanSquare)"))
            lines.append(("b+ / b-", "\(k.bPlus) / \(k.bMinus)"))
        }
        lines.append(("feature scaling", c.featureScaler.map { "\($0.method.rawValue) (recorded from the training data)" } ?? "none recorded"))
        lines.append(("residual", c.residual ? "yes, scale \(c.residualScale.defaultValueDescription)" : "no"))
        lines.append(("dropout", "\(c.dropout)"))
        lines.append(("parameters count", "\(m.parameterCount)"))
        if json {
            try JSONOutput.emit(try jsonMembers(m))
            return
        }
        let w = lines.map(\.0.count).max() ?? 0
        for (k, v) in lines { print(k.padding(toLength: w, withPad: " ", startingAt: 0) + "  " + v) }
    }
}
