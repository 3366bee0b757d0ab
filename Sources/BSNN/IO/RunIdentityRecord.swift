/// What a training run was started on, kept in its checkpoints so that a resume can
/// tell it is continuing the same run: the data (path, sample and feature counts, a
/// fingerprint of the first and last samples) and the settings that cannot change
/// mid-run, as the caller names them (the CLI's flags). Resuming on other data would
/// silently change the number of steps per epoch and the shuffling.
public struct RunIdentity: Sendable, Equatable {
    /// The data's location as the caller identifies it (the CLI: an absolute path).
    public var data: String
    public var samples: Int
    public var features: Int
    /// `RunIdentity.fingerprint(of:)` of the data.
    public var fingerprint: String
    /// Settings fixed for the run, name → value as text.
    public var settings: [String: String]

    public init(data: String, samples: Int, features: Int, fingerprint: String, settings: [String: String] = [:]) {
        self.data = data
        self.samples = samples
        self.features = features
        self.fingerprint = fingerprint
        self.settings = settings
    }

    /// The identity of `dataset` as found at `data`.
    public init(data: String, dataset: Dataset, settings: [String: String] = [:]) {
        self.init(data: data, samples: dataset.count, features: dataset.featureCount,
                  fingerprint: Self.fingerprint(of: dataset), settings: settings)
    }

    /// CRC-32 (hex) of the first and last samples' feature bits and labels (or targets):
    /// cheap at any size, and it changes when the file, its order, its scaling or its
    /// label column changes.
    public static func fingerprint(of d: Dataset) -> String {
        var crc = CRC32()
        func add(_ v: UInt32) { crc.update([UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 24)]) }
        for i in Set([0, d.count - 1]).sorted() where i >= 0 && i < d.count {
            for x in d.features[(i * d.featureCount)..<((i + 1) * d.featureCount)] { add(x.bitPattern) }
            if d.isClassification {
                add(UInt32(bitPattern: d.labels[i]))
            } else {
                for y in d.targets[(i * d.targetCount)..<((i + 1) * d.targetCount)] { add(y.bitPattern) }
            }
        }
        return CRC32.hex(crc.value)
    }

    /// One sentence per difference between this (recorded) identity and `current`, in a
    /// fixed order; empty when they describe the same run.
    public func differences(from current: RunIdentity) -> [String] {
        var out: [String] = []
        if data != current.data { out.append("data '\(current.data)' (the checkpoint's run used '\(data)')") }
        if samples != current.samples || features != current.features {
            out.append("\(current.samples) samples of \(current.features) features (the checkpoint's run had \(samples) of \(features))")
        }
        if fingerprint != current.fingerprint {
            out.append("data fingerprint \(current.fingerprint) of the first and last samples (the checkpoint's run had \(fingerprint))")
        }
        for key in Set(settings.keys).union(current.settings.keys).sorted() where settings[key] != current.settings[key] {
            out.append("\(key) \(current.settings[key] ?? "unset") (the checkpoint's run had \(settings[key] ?? "unset"))")
        }
        return out
    }
}

/// `bsnn.run_identity` in a checkpoint's metadata: `{"data": ..., "samples": N,
/// "features": N, "fingerprint": "hex", "settings": {"name": "value", ...}}`. Covered by
/// the file checksum like every metadata value; optional, so checkpoints written before
/// it existed still load (with no identity to check).
enum RunIdentityRecord {
    static let key = "bsnn.run_identity"
    static let fields = ["data", "samples", "features", "fingerprint", "settings"]

    static func write(_ identity: RunIdentity, into metadata: inout [String: String]) {
        let json: JSONValue = .object([
            JSONMember("data", .string(identity.data)),
            JSONMember("samples", .number(Double(identity.samples))),
            JSONMember("features", .number(Double(identity.features))),
            JSONMember("fingerprint", .string(identity.fingerprint)),
            JSONMember("settings", .object(identity.settings.keys.sorted().map { JSONMember($0, .string(identity.settings[$0] ?? "")) })),
        ])
        metadata[key] = json.serialized()
    }

    static func read(_ metadata: [String: String], file: String) throws(BSNNError) -> RunIdentity? {
        guard let text = metadata[key] else { return nil }
        let r = try MetadataRecord(text: text, file: file, key: key, required: fields)
        let count = 0...Int(Int32.max) * 1024
        guard let members = try r.raw("settings").objectValue else {
            throw r.fail("settings", "expected an object of strings")
        }
        var settings: [String: String] = [:]
        for m in members {
            guard let v = m.value.stringValue, settings[m.key] == nil else {
                throw r.fail("settings.\(m.key.prefix(40))", "expected one string value")
            }
            settings[m.key] = v
        }
        return RunIdentity(
            data: try r.string("data"), samples: try r.int("samples", in: count), features: try r.int("features", in: count),
            fingerprint: try r.string("fingerprint"), settings: settings)
    }
}

extension Checkpoint {
    /// `save(_:to:)` plus the run's identity, for `loadRun` to compare on resume.
    public static func save(_ trainer: Trainer, identity: RunIdentity?, to path: String) throws(BSNNError) {
        var file = try serialize(trainer)
        if let id = identity { RunIdentityRecord.write(id, into: &file.metadata) }
        try AtomicFile.write(try file.serialized(), to: path)
    }

    /// `load(_:options:)` plus the identity recorded with it (nil in checkpoints written
    /// without one).
    public static func loadRun(_ path: String, options: ModelFile.LoadOptions = ModelFile.LoadOptions()) throws(BSNNError)
        -> (trainer: Trainer, identity: RunIdentity?)
    {
        let file = try SafeTensorsFile.read(path: path)
        let trainer = try trainer(from: file, name: path, options: options)
        return (trainer, try RunIdentityRecord.read(file.metadata, file: path))
    }
}
