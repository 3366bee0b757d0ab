import BSNN
import Foundation

/// `--json`: one JSON object on standard output, written by the engine's serializer, so
/// doubles are in Swift's shortest round-tripping form (parsing gives the same bits),
/// integral values print as integers and NaN/∞ (which JSON lacks) as null. Keys are
/// snake_case and stable (docs/CLI.md lists them); anything else the command would print
/// goes to standard error or is left out.
enum JSONOutput {
    static func emit(_ members: [JSONMember]) throws {
        try Output.write(JSONValue.object(members).serialized() + "\n", to: "-")
    }

    static func int(_ v: Int) -> JSONValue { .number(Double(v)) }
    static func numbers(_ a: [Double]) -> JSONValue { .array(a.map { .number($0) }) }
    static func object(_ pairs: [(String, JSONValue)]) -> JSONValue { .object(pairs.map { JSONMember($0.0, $0.1) }) }
}

/// Logs, notes and warnings: standard error, so that standard output holds only results
/// (a table, a CSV, a JSON object) and can be piped.
func note(_ text: String) {
    if processRank > 0 { return }
    fflush(stdout)
    fputs(text + "\n", stderr)
}

