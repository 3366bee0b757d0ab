import ArgumentParser
import BSNN
import Foundation

/// Which GPN root: b₊, b₋, or the engine's default (the paper's Table-1 choice: b₋
/// for GELU, b₊ otherwise; `paper` is accepted as another name for it).
enum RootChoice: String, ExpressibleByArgument, CaseIterable {
    case plus = "b+", minus = "b-", `default`, paper

    /// nil: the engine's default root.
    var root: GPNRoot? {
        switch self {
        case .plus: return .nonNegativeMean
        case .minus: return .nonPositiveMean
        case .default, .paper: return nil
        }
    }
}

/// How an activation is named on the command line:
/// * builtin: `NAME[:k=v,…]`, e.g. `leaky_relu:slope=0.2`;
/// * plugin: `--plugin PATH:NAME[:k=v…]`;
/// * foreign C function: `--symbol LIB:SYMBOL:SIGNATURE[:v1,v2]`, e.g.
///   `libm.so.6:erf:double(double)`.
enum ActivationSpec {
    static func builtin(_ spec: String) throws -> Activation {
        let parts = spec.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        let params = try parameters(parts.dropFirst().joined(separator: ","), context: "activation '\(spec)'")
        // The engine owns the names: it matches them case-insensitively and suggests the
        // closest one for a typo.
        return try BuiltinActivation.make(parts[0], parameters: params)
    }

    static func plugin(_ spec: String) throws -> Activation {
        let parts = spec.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw CLIError.usage("--plugin '\(spec)': expected PATH:NAME[:k=v…]")
        }
        let params = try parameters(parts.dropFirst(2).joined(separator: ","), context: "--plugin '\(spec)'")
        let lib = try PluginLibrary.load(path: parts[0])
        return try lib.makeActivation(name: parts[1], parameters: params)
    }

    static func symbol(_ spec: String) throws -> Activation {
        let parts = spec.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3 || parts.count == 4, parts.prefix(3).allSatisfy({ !$0.isEmpty }) else {
            throw CLIError.usage("--symbol '\(spec)': expected LIB:SYMBOL:SIGNATURE[:v1,v2], e.g. libm.so.6:erf:double(double)")
        }
        var bound: [Double] = []
        if parts.count == 4 {
            for v in parts[3].split(separator: ",") {
                guard let d = Double(v.trimmingCharacters(in: .whitespaces)), d.isFinite else {
                    throw CLIError.usage("--symbol '\(spec)': bound value '\(v)' is not a finite number")
                }
                bound.append(d)
            }
        }
        return try ForeignActivation.make(library: parts[0], symbol: parts[1], signature: parts[2], boundParameters: bound)
    }

    static func parameters(_ text: String, context: String) throws -> [String: Double] {
        var out: [String: Double] = [:]
        for item in text.split(separator: ",") where !item.isEmpty {
            let kv = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard kv.count == 2, !kv[0].isEmpty, let v = Double(kv[1]), v.isFinite else {
                throw CLIError.usage("\(context): parameter '\(item)' is not of the form name=number")
            }
            out[kv[0]] = v
        }
        return out
    }
}

/// The activation flags shared by `probe` and `train`.
struct ActivationOptions: ParsableArguments {
    @Option(name: .long, help: "Builtin activation NAME[:k=v,…], any case (\(BuiltinActivation.names.joined(separator: ", "))).")
    var activation: String = "tanh"

    @Option(name: .long, help: ArgumentHelp("Plugin activation from a shared library (overrides --activation).", valueName: "PATH:NAME[:k=v…]"))
    var plugin: String?

    @Option(name: .long, help: ArgumentHelp("C function from a shared library via libffi (overrides --activation).", valueName: "LIB:SYMBOL:SIGNATURE[:v1,v2]"))
    var symbol: String?

    @Flag(name: .long, inversion: .prefixedNo,
          help: "Gaussian–Poincaré normalize the activation (a·φ+b); on by default, --no-gpn trains the plain function.")
    var gpn = MLPConfiguration.defaultGPN

    @Option(name: .long, help: "GPN root: b+ (non-negative mean), b- or default (b- for gelu, b+ otherwise, as the paper's Table 1).")
    var root: RootChoice = .default

    /// Whether any activation flag differs from its default (`train --resume` refuses
    /// one that disagrees with the checkpoint).
    var isGiven: Bool {
        activation != "tanh" || plugin != nil || symbol != nil || gpn != MLPConfiguration.defaultGPN || root != .default
    }

    func base() throws -> Activation {
        if plugin != nil && symbol != nil { throw CLIError.usage("give at most one of --plugin and --symbol") }
        if let p = plugin { return try ActivationSpec.plugin(p) }
        if let s = symbol { return try ActivationSpec.symbol(s) }
        return try ActivationSpec.builtin(activation)
    }

    func layerActivation() throws -> LayerActivation {
        let b = try base()
        return try LayerActivation.make(b, gpn: gpn, root: root.root)
    }
}
