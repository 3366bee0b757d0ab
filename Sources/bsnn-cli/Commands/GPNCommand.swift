import ArgumentParser
import BSNN

struct GPNCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gpn",
        abstract: "Gaussian–Poincaré normalization constants of activations.",
        discussion: """
            Prints E[φ], E[φ²], E[φ'²] under x ~ N(0,1), a = E[φ'²]^(-1/2), both roots b+ (mean of a·φ+b \
            non-negative) and b-, and the chosen (a, b). With no activation, prints the paper's Table 1 \
            next to bsnn's values.
            """)

    @Argument(help: "Builtin activations, NAME[:k=v,…].")
    var activations: [String] = []

    @Option(name: .long, help: "Root to choose: b+, b- or default (b- for gelu, b+ otherwise).")
    var root: RootChoice = .default

    @Option(name: .long, parsing: .singleValue, help: ArgumentHelp("Plugin activation (repeatable).", valueName: "PATH:NAME[:k=v…]"))
    var plugin: [String] = []

    @Option(name: .long, parsing: .singleValue, help: ArgumentHelp("C function via libffi (repeatable).", valueName: "LIB:SYMBOL:SIGNATURE[:v1,v2]"))
    var symbol: [String] = []

    /// The paper's Table 1 (a, b), with the root it used.
    static let paperTable: [(name: String, a: Double, b: Double)] = [
        ("tanh", 1.4674, 0.3885), ("relu", 1.4142, 0), ("leaky_relu", 1.4141, 0),
        ("elu", 1.2234, 0.0742), ("selu", 0.9660, 0.2585), ("gelu", 1.4915, -0.9097),
    ]

    @Flag(help: "Print JSON (full-precision numbers; keys in docs/CLI.md) instead of the table.")
    var json = false

    func run() throws {
        var acts: [(label: String, act: Activation)] = []
        for a in activations { acts.append((a, try ActivationSpec.builtin(a))) }
        for p in plugin { acts.append((p, try ActivationSpec.plugin(p))) }
        for s in symbol { acts.append((s, try ActivationSpec.symbol(s))) }
        if json {
            try JSONOutput.emit([JSONMember("activations", .array(try Self.jsonRows(acts.map(\.act), root: root)))])
            return
        }
        if acts.isEmpty {
            print(try Self.tableOne().text(), terminator: "")
            return
        }
        print(try Self.constantsTable(acts.map(\.act), root: root).text(), terminator: "")
    }

    /// One object per activation with every constant unrounded; with no activation
    /// given, Table 1's six with the paper's rounded (a, b) and root next to them.
    static func jsonRows(_ given: [Activation], root: RootChoice) throws -> [JSONValue] {
        let table = given.isEmpty
        let acts = table ? try paperTable.map { try BuiltinActivation.make($0.name) } : given
        return try acts.enumerated().map { i, act in
            let c = try GPNNormalizer.constants(for: act)
            let r = table ? GPNRoot.paper(for: act.name) : (root.root ?? GPNRoot.default(for: act.name))
            var m: [(String, JSONValue)] = [
                ("activation", .string(act.name)),
                ("parameters", JSONOutput.object(act.parameters.map { ($0.name, .number($0.value)) })),
                ("mean", .number(c.moments.mean)), ("mean_square", .number(c.moments.meanSquare)),
                ("derivative_mean_square", .number(c.moments.derivativeMeanSquare)),
                ("a", .number(c.a)), ("b_plus", .number(c.bPlus)), ("b_minus", .number(c.bMinus)),
                ("root", .string(r.rawValue)), ("b", .number(c.b(r))),
            ]
            if table { m += [("paper_a", .number(paperTable[i].a)), ("paper_b", .number(paperTable[i].b))] }
            return JSONOutput.object(m)
        }
    }

    /// Quadrature leaves ±1e-16 where the exact value is 0; show 0.
    static func clean(_ v: Double) -> Double { abs(v) < 1e-12 ? 0 : v }

    static func constantsTable(_ acts: [Activation], root: RootChoice) throws -> TextTable {
        var t = TextTable(["activation", "E[φ]", "E[φ²]", "E[φ'²]", "a", "b+", "b-", "root", "b"])
        t.numeric.remove(7)
        for act in acts {
            let c = try GPNNormalizer.constants(for: act)
            let r = root.root ?? GPNRoot.default(for: act.name)
            t.add([act.name, Fmt.num(clean(c.moments.mean), 6), Fmt.num(c.moments.meanSquare, 6),
                   Fmt.num(c.moments.derivativeMeanSquare, 6), Fmt.num(c.a, 6), Fmt.num(clean(c.bPlus), 6),
                   Fmt.num(clean(c.bMinus), 6), r.rawValue, Fmt.num(clean(c.b(r)), 6)])
        }
        return t
    }

    /// Table 1 side by side: the paper's rounded constants against bsnn's quadrature.
    static func tableOne() throws -> TextTable {
        var t = TextTable(["activation", "paper a", "paper b", "bsnn a", "bsnn b", "root", "|Δa|", "|Δb|"])
        t.numeric.remove(5)
        for row in paperTable {
            let c = try GPNNormalizer.constants(for: try BuiltinActivation.make(row.name))
            let r = GPNRoot.paper(for: row.name)
            let b = clean(c.b(r))
            t.add([row.name, String(format: "%.4f", row.a), String(format: "%.4f", row.b),
                   String(format: "%.4f", c.a), String(format: "%.4f", b), r.rawValue,
                   String(format: "%.1e", abs(c.a - row.a)), String(format: "%.1e", abs(b - row.b))])
        }
        return t
    }
}
