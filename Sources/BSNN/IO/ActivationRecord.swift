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

    static let fields = ["name", "parameters", "source", "scale", "shift"]
    static let optionalFields = ["gpn_root", "gpn_moments"]

    /// Decodes the record stored under metadata `key`; every failure is `.format` naming
    /// the file and the key path (unknown members included).
    init(text: String, file: String, key: String) throws(BSNNError) {
        let r = try MetadataRecord(text: text, file: file, key: key, required: Self.fields, optional: Self.optionalFields)
        let n = try r.string("name")
        guard !n.isEmpty else { throw r.fail("name", "expected a non-empty string") }
        name = n
        guard let ps = try r.raw("parameters").objectValue else { throw r.fail("parameters", "expected an object of numbers") }
        parameters = try ps.map { (m) throws(BSNNError) in
            guard let v = m.value.numberValue, v.isFinite else { throw r.fail("parameters.\(m.key)", "expected a finite number") }
            return ActivationParameter(name: m.key, value: v)
        }
        let srcKind = try r.record("source", required: ["kind"], optional: ["path", "plugin", "library", "symbol", "signature"])
        switch try srcKind.string("kind") {
        case "builtin":
            _ = try r.record("source", required: ["kind"])
            source = .builtin
        case "plugin":
            let src = try r.record("source", required: ["kind", "path", "plugin"])
            source = .plugin(path: try src.string("path"), plugin: try src.string("plugin"))
        case "foreign":
            let src = try r.record("source", required: ["kind", "library", "symbol", "signature"])
            source = .foreign(library: try src.string("library"), symbol: try src.string("symbol"), signature: try src.string("signature"))
        case let other:
            // "closure" included: bsnn refuses to save closures, so no genuine file has one.
            throw srcKind.fail("kind", "expected builtin, plugin or foreign, got \"\(other.prefix(40))\"")
        }
        scale = try r.double("scale")
        shift = try r.double("shift")
        if r.has("gpn_root") {
            let root = try r.string("gpn_root")
            guard GPNRoot(rawValue: root) != nil else { throw r.fail("gpn_root", "unknown root \"\(root.prefix(40))\"") }
            gpnRoot = root
        } else {
            gpnRoot = nil
        }
        if r.has("gpn_moments") {
            let m = try r.record("gpn_moments", required: ["mean", "mean_square", "derivative_mean_square"])
            moments = GaussianMoments(
                mean: try m.double("mean"), meanSquare: try m.double("mean_square"),
                derivativeMeanSquare: try m.double("derivative_mean_square"))
        } else {
            moments = nil
        }
    }

    /// Re-creates the activation. Builtins always; plugin and foreign functions only when
    /// `allowPlugins` (opening a model file never loads code implicitly). For GPN
    /// activations the constants are recomputed and must match the stored ones, so a
    /// plugin that changed since training is caught instead of silently mis-normalizing.
    public func resolve(allowPlugins: Bool) throws(BSNNError) -> LayerActivation {
        try resolve(allowPlugins: allowPlugins, file: nil, key: "")
    }

    /// For a record read from `file`, a builtin that does not exist or whose parameters
    /// are out of range, or GPN constants that do not match the function, can only be a
    /// damaged or forged file: they are reported as `.format`. Plugin and foreign
    /// functions keep `.plugin`, since their library may legitimately have changed.
    func resolve(allowPlugins: Bool, file: String?, key: String) throws(BSNNError) -> LayerActivation {
        do {
            return try resolveUnchecked(allowPlugins: allowPlugins)
        } catch let e as BSNNError {
            guard let file = file, case .builtin = source else { throw e }
            switch e {
            case .format, .outOfMemory: throw e
            default: throw BSNNError.format("\(file): \(key) (\"\(name)\"): \(e.message)")
            }
        }
    }

    private func resolveUnchecked(allowPlugins: Bool) throws(BSNNError) -> LayerActivation {
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
