/// A JSON value. Objects keep their members in order so that serialization is
/// deterministic and files written by bsnn are byte-for-byte reproducible.
package enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([JSONMember])

    package subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first(where: { $0.key == key })?.value
    }

    package var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }
    package var numberValue: Double? { if case .number(let d) = self { return d } else { return nil } }
    package var arrayValue: [JSONValue]? { if case .array(let a) = self { return a } else { return nil } }
    package var objectValue: [JSONMember]? { if case .object(let o) = self { return o } else { return nil } }

    /// The number as an `Int` when it is integral and exactly representable.
    package var intValue: Int? {
        guard case .number(let d) = self, d.rounded(.towardZero) == d,
            d >= -9_007_199_254_740_992, d <= 9_007_199_254_740_992
        else { return nil }
        return Int(d)
    }

    /// A name for error messages ("a string", "an object", …).
    package var kindName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}

package struct JSONMember: Sendable, Equatable {
    package var key: String
    package var value: JSONValue
    package init(_ key: String, _ value: JSONValue) {
        self.key = key
        self.value = value
    }
}

// MARK: - Parsing

/// A strict RFC 8259 parser: no comments, no trailing commas, no NaN/Infinity, no
/// duplicate object keys (they make "which value wins" implementation-defined, which an
/// attacker can use to show two readers different tensors), valid UTF-8 only.
package struct JSONParser {
    package static let defaultMaxDepth = 64

    private let bytes: [UInt8]
    private let name: String
    private let maxDepth: Int
    private var pos = 0

    /// Parses exactly one value surrounded by optional whitespace. `name` is used in error
    /// messages (a file name or "header of x.safetensors").
    package static func parse(_ bytes: [UInt8], name: String = "JSON", maxDepth: Int = defaultMaxDepth) throws(BSNNError) -> JSONValue {
        var p = JSONParser(bytes: bytes, name: name, maxDepth: maxDepth)
        p.skipWhitespace()
        let v = try p.parseValue(depth: 0)
        p.skipWhitespace()
        if p.pos != bytes.count {
            throw p.error("expected end of input, got \(p.describeCurrent())")
        }
        return v
    }

    package static func parse(_ text: String, name: String = "JSON", maxDepth: Int = defaultMaxDepth) throws(BSNNError) -> JSONValue {
        try parse(Array(text.utf8), name: name, maxDepth: maxDepth)
    }

    private init(bytes: [UInt8], name: String, maxDepth: Int) {
        self.bytes = bytes
        self.name = name
        self.maxDepth = maxDepth
    }

    private func error(_ what: String) -> BSNNError {
        .format("\(name): invalid JSON at byte offset \(pos): \(what)")
    }

    private func describeCurrent() -> String {
        guard pos < bytes.count else { return "end of input" }
        let b = bytes[pos]
        if b >= 0x21 && b < 0x7F { return "'\(Character(Unicode.Scalar(b)))'" }
        return "byte 0x" + String(b, radix: 16)
    }

    private mutating func skipWhitespace() {
        while pos < bytes.count {
            switch bytes[pos] {
            case 0x20, 0x09, 0x0A, 0x0D: pos += 1
            default: return
            }
        }
    }

    private mutating func expectLiteral(_ literal: String) throws(BSNNError) {
        for b in literal.utf8 {
            guard pos < bytes.count, bytes[pos] == b else { throw error("expected '\(literal)', got \(describeCurrent())") }
            pos += 1
        }
    }

    private mutating func parseValue(depth: Int) throws(BSNNError) -> JSONValue {
        guard pos < bytes.count else { throw error("expected a value, got end of input") }
        switch bytes[pos] {
        case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw error("expected a value, got \(describeCurrent())")
        }
    }

    private mutating func parseObject(depth: Int) throws(BSNNError) -> JSONValue {
        guard depth <= maxDepth else { throw error("nesting deeper than \(maxDepth) levels") }
        pos += 1
        var members = [JSONMember]()
        var seen = Set<String>()
        skipWhitespace()
        if pos < bytes.count, bytes[pos] == UInt8(ascii: "}") {
            pos += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard pos < bytes.count, bytes[pos] == UInt8(ascii: "\"") else {
                throw error("expected a string key, got \(describeCurrent())")
            }
            let keyStart = pos
            let key = try parseString()
            guard seen.insert(key).inserted else {
                pos = keyStart
                throw error("duplicate key \"\(key)\"")
            }
            skipWhitespace()
            guard pos < bytes.count, bytes[pos] == UInt8(ascii: ":") else {
                throw error("expected ':', got \(describeCurrent())")
            }
            pos += 1
            skipWhitespace()
            members.append(JSONMember(key, try parseValue(depth: depth)))
            skipWhitespace()
            guard pos < bytes.count else { throw error("expected ',' or '}', got end of input") }
            if bytes[pos] == UInt8(ascii: ",") { pos += 1; continue }
            if bytes[pos] == UInt8(ascii: "}") { pos += 1; return .object(members) }
            throw error("expected ',' or '}', got \(describeCurrent())")
        }
    }

    private mutating func parseArray(depth: Int) throws(BSNNError) -> JSONValue {
        guard depth <= maxDepth else { throw error("nesting deeper than \(maxDepth) levels") }
        pos += 1
        var elements = [JSONValue]()
        skipWhitespace()
        if pos < bytes.count, bytes[pos] == UInt8(ascii: "]") {
            pos += 1
            return .array(elements)
        }
        while true {
            skipWhitespace()
            elements.append(try parseValue(depth: depth))
            skipWhitespace()
            guard pos < bytes.count else { throw error("expected ',' or ']', got end of input") }
            if bytes[pos] == UInt8(ascii: ",") { pos += 1; continue }
            if bytes[pos] == UInt8(ascii: "]") { pos += 1; return .array(elements) }
            throw error("expected ',' or ']', got \(describeCurrent())")
        }
    }

    private mutating func parseHex4() throws(BSNNError) -> UInt32 {
        var v: UInt32 = 0
        for _ in 0..<4 {
            guard pos < bytes.count else { throw error("expected 4 hex digits after \\u, got end of input") }
            let b = bytes[pos]
            let d: UInt32
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(b - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(b - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(b - UInt8(ascii: "A") + 10)
            default: throw error("expected a hex digit in \\u escape, got \(describeCurrent())")
            }
            v = v << 4 | d
            pos += 1
        }
        return v
    }

    private mutating func parseString() throws(BSNNError) -> String {
        let start = pos
        pos += 1  // opening quote
        var out = [UInt8]()
        while true {
            guard pos < bytes.count else {
                pos = start
                throw error("unterminated string")
            }
            let b = bytes[pos]
            if b == UInt8(ascii: "\"") {
                pos += 1
                break
            }
            if b < 0x20 { throw error("unescaped control character 0x\(String(b, radix: 16)) in string") }
            if b != UInt8(ascii: "\\") {
                out.append(b)
                pos += 1
                continue
            }
            pos += 1
            guard pos < bytes.count else { throw error("unterminated escape sequence") }
            let e = bytes[pos]
            pos += 1
            switch e {
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "/"): out.append(0x2F)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try parseHex4()
                if scalar >= 0xD800 && scalar <= 0xDBFF {
                    // A high surrogate is only meaningful followed by an escaped low one.
                    guard pos + 1 < bytes.count, bytes[pos] == UInt8(ascii: "\\"), bytes[pos + 1] == UInt8(ascii: "u") else {
                        throw error("high surrogate \\u\(String(scalar, radix: 16)) not followed by a low surrogate")
                    }
                    pos += 2
                    let low = try parseHex4()
                    guard low >= 0xDC00 && low <= 0xDFFF else {
                        throw error("high surrogate followed by \\u\(String(low, radix: 16)), expected a low surrogate dc00…dfff")
                    }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if scalar >= 0xDC00 && scalar <= 0xDFFF {
                    throw error("unpaired low surrogate \\u\(String(scalar, radix: 16))")
                }
                guard let u = Unicode.Scalar(scalar) else { throw error("invalid code point \(scalar)") }
                out.append(contentsOf: Array(String(Character(u)).utf8))
            default:
                pos -= 1
                throw error("invalid escape '\\\(describeCurrent())'")
            }
        }
        guard let s = String(validating: out, as: UTF8.self) else {
            let end = pos
            pos = start
            throw error("string (ending at byte \(end)) is not valid UTF-8")
        }
        return s
    }

    private mutating func parseNumber() throws(BSNNError) -> Double {
        let start = pos
        func digits() -> Int {
            let s = pos
            while pos < bytes.count, bytes[pos] >= UInt8(ascii: "0"), bytes[pos] <= UInt8(ascii: "9") { pos += 1 }
            return pos - s
        }
        if bytes[pos] == UInt8(ascii: "-") { pos += 1 }
        guard pos < bytes.count, bytes[pos] >= UInt8(ascii: "0"), bytes[pos] <= UInt8(ascii: "9") else {
            throw error("expected a digit, got \(describeCurrent())")
        }
        if bytes[pos] == UInt8(ascii: "0") {
            pos += 1
            if pos < bytes.count, bytes[pos] >= UInt8(ascii: "0"), bytes[pos] <= UInt8(ascii: "9") {
                throw error("leading zeros are not allowed in numbers")
            }
        } else {
            _ = digits()
        }
        if pos < bytes.count, bytes[pos] == UInt8(ascii: ".") {
            pos += 1
            guard digits() > 0 else { throw error("expected a digit after '.', got \(describeCurrent())") }
        }
        if pos < bytes.count, bytes[pos] == UInt8(ascii: "e") || bytes[pos] == UInt8(ascii: "E") {
            pos += 1
            if pos < bytes.count, bytes[pos] == UInt8(ascii: "+") || bytes[pos] == UInt8(ascii: "-") { pos += 1 }
            guard digits() > 0 else { throw error("expected a digit in the exponent, got \(describeCurrent())") }
        }
        // The grammar was checked above, so Swift's locale-independent parser sees only
        // plain JSON numbers; it rounds correctly (like strtod in the C locale).
        let text = String(decoding: bytes[start..<pos], as: UTF8.self)
        guard let d = Double(text), d.isFinite else {
            let end = pos
            pos = start
            throw error("number \(text.prefix(40)) (ending at byte \(end)) is out of the range of a double")
        }
        return d
    }
}

// MARK: - Serialization

extension JSONValue {
    /// Compact JSON text. Members are written in their stored order, or sorted by key
    /// (bytewise UTF-8) when `sortedKeys` is set. Non-finite numbers, which JSON cannot
    /// represent, are written as `null`.
    package func serialized(sortedKeys: Bool = false) -> String {
        var out = ""
        write(to: &out, sortedKeys: sortedKeys)
        return out
    }

    private func write(to out: inout String, sortedKeys: Bool) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let d): out += JSONValue.format(d)
        case .string(let s): JSONValue.writeString(s, to: &out)
        case .array(let a):
            out += "["
            for (i, v) in a.enumerated() {
                if i > 0 { out += "," }
                v.write(to: &out, sortedKeys: sortedKeys)
            }
            out += "]"
        case .object(let members):
            let ordered = sortedKeys ? members.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) } : members
            out += "{"
            for (i, m) in ordered.enumerated() {
                if i > 0 { out += "," }
                JSONValue.writeString(m.key, to: &out)
                out += ":"
                m.value.write(to: &out, sortedKeys: sortedKeys)
            }
            out += "}"
        }
    }

    static func format(_ d: Double) -> String {
        guard d.isFinite else { return "null" }
        // Integers print without ".0" so that shapes and offsets look like integers to
        // other readers (serde rejects 3.0 where it expects a u64).
        if d.rounded(.towardZero) == d, abs(d) < 9_007_199_254_740_992 {
            return d == 0 && d.sign == .minus ? "-0" : String(Int64(d))
        }
        // Swift's description is the shortest round-tripping form and is valid JSON
        // ("1e-05", "1.5e+300").
        return d.description
    }

    static func writeString(_ s: String, to out: inout String) {
        out += "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if u.value < 0x20 {
                    let h = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - h.count) + h
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        out += "\""
    }
}
