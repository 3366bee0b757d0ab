#if canImport(Glibc)
import Glibc
#endif
import CBSNNPlugin

/// Reads and validates a plugin's descriptor under the version rule of
/// `include/bsnn_plugin.h`: the major must match, and of each struct the host reads
/// min(plugin size, host size) bytes into a zeroed host struct, so a plugin built
/// against an older or newer minor header is read correctly.
struct PluginDescriptorReader {
    /// The plugin ABI this host implements.
    static let hostMajor: UInt32 = BSNN_PLUGIN_ABI_MAJOR
    static let hostMinor: UInt32 = BSNN_PLUGIN_ABI_MINOR
    static var hostVersion: UInt32 { (hostMajor << 16) | hostMinor }

    /// ABI 1.0 sizes: anything smaller cannot hold the fields every host reads. These
    /// stay frozen when later minors append fields (the host sizes then grow).
    static let minimumDescriptorSize = 48
    static let minimumActivationSize = 96

    /// Caps against reading garbage when a plugin's counts are uninitialized memory.
    static let maximumActivations = 4096
    static let maximumParameters = 256
    static let maximumBreakpoints = 4096
    static let maximumStringLength = 4096

    let path: String

    struct Result {
        var name: String
        var version: String
        var abiMajor: UInt32
        var abiMinor: UInt32
        var entries: [PluginActivationEntry]
    }

    func read(_ raw: UnsafeRawPointer) throws(BSNNError) -> Result {
        // The three leading UInt32 fields exist in every ABI version, so they are safe
        // to read before anything is known about the plugin.
        let major = raw.load(fromByteOffset: 0, as: UInt32.self)
        let minor = raw.load(fromByteOffset: 4, as: UInt32.self)
        let size = Int(raw.load(fromByteOffset: 8, as: UInt32.self))
        guard major == Self.hostMajor else {
            throw BSNNError.plugin(
                "plugin '\(path)' was built for plugin ABI \(major).\(minor); this bsnn "
                    + "supports ABI major \(Self.hostMajor) (\(Self.hostMajor).0 to any "
                    + "\(Self.hostMajor).x), so it must be rebuilt against this bsnn_plugin.h")
        }
        guard size >= Self.minimumDescriptorSize else {
            throw BSNNError.plugin(
                "plugin '\(path)': descriptor struct_size is \(size) bytes; expected at "
                    + "least \(Self.minimumDescriptorSize) (sizeof(bsnn_plugin_descriptor) in ABI 1.0)")
        }
        var d = bsnn_plugin_descriptor()
        withUnsafeMutableBytes(of: &d) { dst in
            dst.copyMemory(from: UnsafeRawBufferPointer(start: raw, count: min(size, dst.count)))
        }
        guard let name = try string(d.name, field: "descriptor name", required: true),
            !name.isEmpty
        else {
            throw BSNNError.plugin("plugin '\(path)': descriptor name is empty; expected a non-empty plugin name")
        }
        let version = try string(d.version, field: "descriptor version", required: false) ?? ""
        let count = d.activation_count
        guard count >= 1, count <= Self.maximumActivations else {
            throw BSNNError.plugin(
                "plugin '\(path)' ('\(name)'): activation_count is \(count); expected 1 to \(Self.maximumActivations)")
        }
        guard let array = d.activations else {
            throw BSNNError.plugin(
                "plugin '\(path)' ('\(name)'): activations is NULL with activation_count \(count); expected an array")
        }
        let stride = Int(d.activation_struct_size)
        guard stride >= Self.minimumActivationSize else {
            throw BSNNError.plugin(
                "plugin '\(path)' ('\(name)'): activation_struct_size is \(stride) bytes; expected "
                    + "at least \(Self.minimumActivationSize) (sizeof(bsnn_plugin_activation) in ABI 1.0)")
        }
        var entries: [PluginActivationEntry] = []
        var seen = Set<String>()
        let base = UnsafeRawPointer(array)
        for i in 0..<count {
            let element = base + i * stride
            let entry = try readActivation(element, index: i, stride: stride, plugin: name)
            guard seen.insert(entry.info.name).inserted else {
                throw BSNNError.plugin(
                    "plugin '\(path)' ('\(name)'): duplicate activation name '\(entry.info.name)' "
                        + "(activation \(i)); expected names unique within a plugin")
            }
            entries.append(entry)
        }
        return Result(name: name, version: version, abiMajor: major, abiMinor: minor, entries: entries)
    }

    private func readActivation(
        _ raw: UnsafeRawPointer, index i: Int, stride: Int, plugin: String
    ) throws(BSNNError) -> PluginActivationEntry {
        let at = "plugin '\(path)' ('\(plugin)'), activation \(i)"
        let size = Int(raw.load(as: UInt32.self))
        guard size == stride else {
            throw BSNNError.plugin(
                "\(at): struct_size is \(size); expected \(stride) (the descriptor's activation_struct_size)")
        }
        var a = bsnn_plugin_activation()
        withUnsafeMutableBytes(of: &a) { dst in
            dst.copyMemory(from: UnsafeRawBufferPointer(start: raw, count: min(size, dst.count)))
        }
        guard let name = try string(a.name, field: "\(at) name", required: true), !name.isEmpty else {
            throw BSNNError.plugin("\(at): name is empty; expected a non-empty activation name")
        }
        let here = "plugin '\(path)' ('\(plugin)'), activation '\(name)'"
        let description = try string(a.description, field: "\(here) description", required: false) ?? ""
        guard let function = a.function else {
            throw BSNNError.plugin("\(here): function is NULL; expected a pointer to φ(x, params)")
        }
        let flags = PluginActivationFlags(rawValue: a.flags)
            .intersection([.pure, .threadSafe, .hasDerivative, .hasVectorized])
        guard flags.contains(.pure) else {
            throw BSNNError.plugin(
                "\(here): flags 0x\(String(a.flags, radix: 16)) lack BSNN_PLUGIN_PURE; bsnn needs φ "
                    + "to depend only on (x, params) to normalize it")
        }
        if flags.contains(.hasDerivative) && a.derivative == nil {
            throw BSNNError.plugin("\(here): flags set BSNN_PLUGIN_HAS_DERIVATIVE but derivative is NULL")
        }
        if flags.contains(.hasVectorized) && a.forward_f32 == nil {
            throw BSNNError.plugin("\(here): flags set BSNN_PLUGIN_HAS_VECTORIZED but forward_f32 is NULL")
        }

        let paramCount = a.param_count
        guard paramCount <= Self.maximumParameters else {
            throw BSNNError.plugin("\(here): param_count is \(paramCount); expected at most \(Self.maximumParameters)")
        }
        var names: [String] = []
        var defaults: [Double] = []
        if paramCount > 0 {
            guard let pn = a.param_names, let pd = a.param_defaults else {
                throw BSNNError.plugin(
                    "\(here): param_count is \(paramCount) but param_names or param_defaults is NULL; "
                        + "expected both arrays with \(paramCount) entries")
            }
            for k in 0..<paramCount {
                guard let n = try string(pn[k], field: "\(here) param_names[\(k)]", required: true), !n.isEmpty
                else { throw BSNNError.plugin("\(here): param_names[\(k)] is empty; expected a name") }
                guard !names.contains(n) else {
                    throw BSNNError.plugin("\(here): duplicate parameter name '\(n)' at param_names[\(k)]")
                }
                let v = pd[k]
                guard v.isFinite else {
                    throw BSNNError.plugin("\(here): default of parameter '\(n)' is \(v); expected a finite number")
                }
                names.append(n)
                defaults.append(v)
            }
        }

        let bpCount = a.breakpoint_count
        guard bpCount <= Self.maximumBreakpoints else {
            throw BSNNError.plugin("\(here): breakpoint_count is \(bpCount); expected at most \(Self.maximumBreakpoints)")
        }
        var breakpoints: [Double] = []
        if bpCount > 0 {
            guard let bp = a.breakpoints else {
                throw BSNNError.plugin(
                    "\(here): breakpoint_count is \(bpCount) but breakpoints is NULL; expected \(bpCount) numbers")
            }
            for k in 0..<bpCount {
                guard bp[k].isFinite else {
                    throw BSNNError.plugin("\(here): breakpoints[\(k)] is \(bp[k]); expected a finite number")
                }
                breakpoints.append(bp[k])
            }
        }
        let info = PluginActivationInfo(
            name: name, description: description, parameterNames: names, parameterDefaults: defaults,
            breakpoints: breakpoints.sorted(), flags: flags,
            hasAnalyticDerivative: a.derivative != nil, hasVectorizedForward: a.forward_f32 != nil,
            hasVectorizedDerivative: a.derivative_f32 != nil)
        return PluginActivationEntry(
            info: info, function: function, derivative: a.derivative, forwardF32: a.forward_f32,
            derivativeF32: a.derivative_f32)
    }

    /// A NUL-terminated UTF-8 string from the plugin, bounded so that a missing
    /// terminator cannot make the host read without end.
    private func string(_ p: UnsafePointer<CChar>?, field: String, required: Bool) throws(BSNNError) -> String? {
        guard let p else {
            if required { throw BSNNError.plugin("\(field) is NULL; expected a NUL-terminated string") }
            return nil
        }
        let n = strnlen(p, Self.maximumStringLength + 1)
        guard n <= Self.maximumStringLength else {
            throw BSNNError.plugin("\(field) is longer than \(Self.maximumStringLength) bytes; expected a short string")
        }
        let bytes = UnsafeRawPointer(p).withMemoryRebound(to: UInt8.self, capacity: n) {
            UnsafeBufferPointer(start: $0, count: n)
        }
        guard let s = String(validating: bytes, as: UTF8.self) else {
            throw BSNNError.plugin("\(field) is not valid UTF-8")
        }
        return s
    }
}
