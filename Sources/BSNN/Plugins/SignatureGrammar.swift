/// The C scalar types a foreign activation's signature may use.
public enum ForeignScalarType: String, Sendable, Equatable, CaseIterable {
    case double
    case float
}

/// The C signature of a foreign activation, parsed from text.
///
/// Grammar (whitespace allowed between tokens, none inside a type name):
///
///     signature := type '(' type (',' type)* ')'
///     type      := 'double' | 'float'
///
/// The first argument is x; the remaining arguments are bound, in order, to the
/// activation's bound parameters. `float` arguments and results are converted to and
/// from double at the call. Examples: `double(double)` (libm `tanh`),
/// `double(double, double)` (libm `pow` with the exponent bound), `float(float)`.
public struct ForeignSignature: Sendable, Equatable, CustomStringConvertible {
    public let returnType: ForeignScalarType
    /// At least one: x first, then the bound arguments.
    public let argumentTypes: [ForeignScalarType]

    public init(returnType: ForeignScalarType, argumentTypes: [ForeignScalarType]) throws(BSNNError) {
        guard !argumentTypes.isEmpty else {
            throw BSNNError.invalidArgument("a foreign signature needs at least one argument (x); got none")
        }
        self.returnType = returnType
        self.argumentTypes = argumentTypes
    }

    /// How many arguments after x must be bound.
    public var boundCount: Int { argumentTypes.count - 1 }

    /// Canonical spelling, e.g. `double(double,double)`; stored in `ActivationSource`.
    public var description: String {
        "\(returnType.rawValue)(" + argumentTypes.map(\.rawValue).joined(separator: ",") + ")"
    }

    /// Parses `text` by the grammar above.
    ///
    /// - Throws: `.invalidArgument` naming the 1-based character position and what was
    ///   expected there, e.g. "expected an argument type at position 8, found end of
    ///   signature".
    public static func parse(_ text: String) throws(BSNNError) -> ForeignSignature {
        var parser = SignatureParser(text: text)
        return try parser.parse()
    }
}

/// A hand-written recursive-descent parser: the grammar is tiny, and error messages
/// must point at the offending character.
private struct SignatureParser {
    let text: String
    let chars: [Character]
    var index = 0

    init(text: String) {
        self.text = text
        self.chars = Array(text)
    }

    mutating func parse() throws(BSNNError) -> ForeignSignature {
        let ret = try type(role: "a return type")
        try expect("(")
        var args = [try type(role: "an argument type")]
        while true {
            skipSpace()
            guard index < chars.count else { throw error("expected ',' or ')'") }
            if chars[index] == "," {
                index += 1
                args.append(try type(role: "an argument type"))
            } else if chars[index] == ")" {
                index += 1
                break
            } else {
                throw error("expected ',' or ')'")
            }
        }
        skipSpace()
        guard index == chars.count else { throw error("expected end of signature") }
        return try ForeignSignature(returnType: ret, argumentTypes: args)
    }

    mutating func skipSpace() {
        while index < chars.count, chars[index].isWhitespace { index += 1 }
    }

    mutating func type(role: String) throws(BSNNError) -> ForeignScalarType {
        skipSpace()
        let start = index
        while index < chars.count, chars[index].isLetter || chars[index].isNumber || chars[index] == "_" {
            index += 1
        }
        guard index > start else {
            index = start
            throw error("expected \(role) ('double' or 'float')")
        }
        let word = String(chars[start..<index])
        guard let t = ForeignScalarType(rawValue: word) else {
            index = start
            throw BSNNError.invalidArgument(
                "signature '\(text)': unsupported type '\(word)' at position \(start + 1); expected "
                    + "\(role) ('double' or 'float')")
        }
        return t
    }

    mutating func expect(_ c: Character) throws(BSNNError) {
        skipSpace()
        guard index < chars.count, chars[index] == c else { throw error("expected '\(c)'") }
        index += 1
    }

    func error(_ what: String) -> BSNNError {
        let found = index < chars.count ? "'\(chars[index])'" : "end of signature"
        return .invalidArgument("signature '\(text)': \(what) at position \(index + 1), found \(found)")
    }
}
