/// How a model file describes its activation: enough to re-create φ (builtin name,
/// plugin path + names, or library + symbol + signature, with parameters) and the exact
/// (scale, shift) it was trained with, plus the GPN moments for verification.
public struct ActivationRecord: Sendable, Equatable {
    public var name: String
    public var parameters: [ActivationParameter]
    public var source: ActivationSource
    public var scale: Double
    public var shift: Double
    public var gpnRoot: String?
    public var moments: GaussianMoments?

    public init(_ activation: LayerActivation) {
        name = activation.base.name
        parameters = activation.base.parameters
        source = activation.base.source
        scale = activation.scale
        shift = activation.shift
        gpnRoot = activation.gpnRoot
        moments = activation.gpnRoot == nil ? nil : try? GPNNormalizer.moments(of: activation.base)
    }

    var json: JSONValue {
        var src: [JSONMember]
        switch source {
        case .builtin: src = [JSONMember("kind", .string("builtin"))]
        case .closure: src = [JSONMember("kind", .string("closure"))]
        case .plugin(let path, let plugin):
            src = [JSONMember("kind", .string("plugin")), JSONMember("path", .string(path)), JSONMember("plugin", .string(plugin))]
        case .foreign(let library, let symbol, let signature):
            src = [
                JSONMember("kind", .string("foreign")), JSONMember("library", .string(library)),
                JSONMember("symbol", .string(symbol)), JSONMember("signature", .string(signature)),
            ]
        }
        var members = [
            JSONMember("name", .string(name)),
            JSONMember("parameters", .object(parameters.map { JSONMember($0.name, .number($0.value)) })),
            JSONMember("source", .object(src)),
            // Scale and shift as exact decimal strings: they must survive bit for bit.
            JSONMember("scale", .string(String(scale))),
            JSONMember("shift", .string(String(shift))),
        ]
        if let r = gpnRoot { members.append(JSONMember("gpn_root", .string(r))) }
        if let m = moments {
            members.append(JSONMember("gpn_moments", .object([
                JSONMember("mean", .string(String(m.mean))),
                JSONMember("mean_square", .string(String(m.meanSquare))),
                JSONMember("derivative_mean_square", .string(String(m.derivativeMeanSquare))),
            ])))
        }
        return .object(members)
    }

    init(json: JSONValue, file: String) throws {
        func fail(_ what: String) -> BSNNError { .format("\(file): activation metadata: \(what)") }
        guard let n = json["name"]?.stringValue, !n.isEmpty else { throw fail("missing \"name\"") }
        name = n
        guard let ps = json["parameters"]?.objectValue else { throw fail("missing \"parameters\" object") }
        parameters = try ps.map { m in
            guard let v = m.value.numberValue, v.isFinite else { throw fail("parameter \"\(m.key)\" is not a finite number") }
            return ActivationParameter(name: m.key, value: v)
        }
        guard let src = json["source"], let kind = src["kind"]?.stringValue else { throw fail("missing \"source.kind\"") }
        switch kind {
        case "builtin": source = .builtin
        case "closure": source = .closure
        case "plugin":
            guard let p = src["path"]?.stringValue, let pl = src["plugin"]?.stringValue else {
                throw fail("plugin source needs \"path\" and \"plugin\"")
            }
            source = .plugin(path: p, plugin: pl)
        case "foreign":
            guard let l = src["library"]?.stringValue, let s = src["symbol"]?.stringValue,
                let g = src["signature"]?.stringValue
            else { throw fail("foreign source needs \"library\", \"symbol\" and \"signature\"") }
            source = .foreign(library: l, symbol: s, signature: g)
        default: throw fail("unknown source kind \"\(kind)\"")
        }
        guard let sc = json["scale"]?.stringValue.flatMap(Double.init), sc.isFinite,
            let sh = json["shift"]?.stringValue.flatMap(Double.init), sh.isFinite
        else { throw fail("\"scale\"/\"shift\" must be finite numbers written as strings") }
        scale = sc
        shift = sh
        gpnRoot = json["gpn_root"]?.stringValue
        if let r = gpnRoot, GPNRoot(rawValue: r) == nil { throw fail("unknown gpn_root \"\(r)\"") }
        if let m = json["gpn_moments"] {
            guard let a = m["mean"]?.stringValue.flatMap(Double.init),
                let b = m["mean_square"]?.stringValue.flatMap(Double.init),
                let c = m["derivative_mean_square"]?.stringValue.flatMap(Double.init)
            else { throw fail("gpn_moments must hold mean, mean_square, derivative_mean_square") }
            moments = GaussianMoments(mean: a, meanSquare: b, derivativeMeanSquare: c)
        } else {
            moments = nil
        }
    }

    /// Re-creates the activation. Builtins always; plugin and foreign functions only when
    /// `allowPlugins` (opening a model file never loads code implicitly). For GPN
    /// activations the constants are recomputed and must match the stored ones, so a
    /// plugin that changed since training is caught instead of silently mis-normalizing.
    public func resolve(allowPlugins: Bool) throws -> LayerActivation {
        let values = Dictionary(parameters.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
        let base: Activation
        switch source {
        case .builtin:
            base = try BuiltinActivation.make(name, parameters: values)
        case .closure:
            throw BSNNError.wrongState(
                "activation \"\(name)\" was a closure when the model was saved; it cannot be re-created from a file — build the model with the same closure and load the weights instead")
        case .plugin, .foreign:
            guard allowPlugins else {
                throw BSNNError.plugin(
                    "activation \"\(name)\" comes from \(source); loading it would run code from that library — allow plugins explicitly to load this model")
            }
            base = try ExternalActivation.make(source: source, name: name, parameters: parameters)
        }
        if let r = gpnRoot, let root = GPNRoot(rawValue: r) {
            let fresh = try GPNNormalizer.constants(for: base)
            let a = fresh.a, b = fresh.b(root)
            let tolerance = 1e-9
            guard abs(a - scale) <= tolerance * max(1, abs(scale)), abs(b - shift) <= tolerance * max(1, abs(shift)) else {
                throw BSNNError.plugin(
                    "activation \"\(name)\": GPN constants no longer match the saved model (saved a=\(scale), b=\(shift); now a=\(a), b=\(b)) — the function changed since training")
            }
        }
        return LayerActivation(base, scale: scale, shift: shift, gpnRoot: gpnRoot)
    }
}
