/// Strict reader for the JSON records bsnn keeps in safetensors metadata (architecture,
/// activation, training state). Every member must be known to the record: an unknown or
/// misspelt key is a format error rather than a silently ignored field (a renamed
/// `gpn_root` once turned a GPN activation into a plain one). Every failure is
/// `BSNNError.format` naming the file and the dotted key path.
struct MetadataRecord {
    let value: JSONValue
    let members: [JSONMember]
    /// "file: bsnn.architecture" style prefix plus the dotted path of this record.
    let file: String
    let path: String

    /// Parses `text` (the metadata value stored under `key`) and checks its member names
    /// against `required` and `optional`.
    init(text: String, file: String, key: String, required: [String], optional: [String] = []) throws(BSNNError) {
        let parsed: JSONValue
        do {
            parsed = try JSONParser.parse(text, name: "\(file): metadata \"\(key)\"")
        } catch let e as BSNNError {
            throw BSNNError.format(e.message)
        }
        try self.init(value: parsed, file: file, path: key, required: required, optional: optional)
    }

    init(value: JSONValue, file: String, path: String, required: [String], optional: [String] = []) throws(BSNNError) {
        guard let members = value.objectValue else {
            throw BSNNError.format("\(file): \(path): expected a JSON object, got \(value.kindName)")
        }
        for m in members where !required.contains(m.key) && !optional.contains(m.key) {
            let known = (required + optional).joined(separator: ", ")
            throw BSNNError.format("\(file): \(path): unknown key \"\(m.key)\" (expected \(known))")
        }
        for k in required where !members.contains(where: { $0.key == k }) {
            throw BSNNError.format("\(file): \(path).\(k): missing")
        }
        self.value = value
        self.members = members
        self.file = file
        self.path = path
    }

    func fail(_ key: String, _ what: String) -> BSNNError {
        .format("\(file): \(path).\(key): \(what)")
    }

    func has(_ key: String) -> Bool { value[key] != nil }

    func raw(_ key: String) throws(BSNNError) -> JSONValue {
        guard let v = value[key] else { throw fail(key, "missing") }
        return v
    }

    func int(_ key: String, in range: ClosedRange<Int>) throws(BSNNError) -> Int {
        let v = try raw(key)
        guard let i = v.intValue else { throw fail(key, "expected an integer, got \(v.serialized().prefix(40))") }
        guard range.contains(i) else { throw fail(key, "expected \(range.lowerBound)...\(range.upperBound), got \(i)") }
        return i
    }

    func string(_ key: String) throws(BSNNError) -> String {
        let v = try raw(key)
        guard let s = v.stringValue else { throw fail(key, "expected a string, got \(v.kindName)") }
        return s
    }

    func bool(_ key: String) throws(BSNNError) -> Bool {
        let v = try raw(key)
        guard case .bool(let b) = v else { throw fail(key, "expected true or false, got \(v.kindName)") }
        return b
    }

    /// Unsigned 64-bit values are stored as decimal strings (JSON numbers lose bits).
    func uint64(_ key: String) throws(BSNNError) -> UInt64 {
        let s = try string(key)
        guard let u = Self.decimalUInt64(s) else { throw fail(key, "expected an unsigned integer written as a decimal string, got \"\(s.prefix(40))\"") }
        return u
    }

    /// Doubles are stored as their shortest round-tripping decimal strings.
    func double(_ key: String) throws(BSNNError) -> Double {
        let s = try string(key)
        guard let d = Self.decimalDouble(s) else { throw fail(key, "expected a finite number written as a decimal string, got \"\(s.prefix(40))\"") }
        return d
    }

    func record(_ key: String, required: [String], optional: [String] = []) throws(BSNNError) -> MetadataRecord {
        try MetadataRecord(value: raw(key), file: file, path: "\(path).\(key)", required: required, optional: optional)
    }

    /// Only plain decimal digits: `UInt64("+5")` would accept a sign, which bsnn never writes.
    static func decimalUInt64(_ s: String) -> UInt64? {
        guard !s.isEmpty, s.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return UInt64(s)
    }

    /// Finite decimal numbers only: Swift's parser also takes "nan", "inf" and hex floats.
    static func decimalDouble(_ s: String) -> Double? {
        guard !s.isEmpty, s.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2E || $0 == 0x2D || $0 == 0x2B || $0 == 0x65 || $0 == 0x45 }),
            let d = Double(s), d.isFinite
        else { return nil }
        return d
    }

    /// Runs an engine validation on decoded values and reports its complaint as a format
    /// error of this record, so that a file's bad value never surfaces as a caller's
    /// INVALID_ARGUMENT (the rule itself stays in the engine's `validate()`).
    func validated<T>(_ what: String, _ body: () throws(BSNNError) -> T) throws(BSNNError) -> T {
        do {
            return try body()
        } catch let e as BSNNError {
            if case .format = e { throw e }
            throw BSNNError.format("\(file): \(path)\(what.isEmpty ? "" : ".\(what)"): \(e.message)")
        }
    }
}
