import ArgumentParser
import BSNN

/// The CSV parsing flags of `train`, `eval` and `predict`, mapped onto the engine's `CSVOptions`
/// (Data/CSVReader.swift), which owns the rules.
struct CSVFlags: ParsableArguments {
    // .unconditional: `--label-column -1` is a value, not an unknown flag.
    @Option(parsing: .unconditional, help: "CSV: index of the label column, 0-based; negative counts from the end (-1: last).")
    var labelColumn = 0

    @Option(help: "CSV: is the first row a header? auto: when none of its cells is a number.")
    var header: HeaderChoice = .auto

    @Option(help: ArgumentHelp("CSV: the one-character cell separator (tab: 'tab' or '\\t').", valueName: "CHAR"))
    var delimiter = ","

    func options() throws -> CSVOptions {
        let d: Character
        switch delimiter {
        case "tab", "\\t": d = "\t"
        default:
            guard delimiter.count == 1, let c = delimiter.first else {
                throw CLIError.usage("--delimiter: expected one character (or tab), got '\(delimiter)'")
            }
            d = c
        }
        return try CSVOptions(labelColumn: labelColumn, header: header.header, delimiter: d)
    }

    /// As recorded in a checkpoint's run identity.
    var settings: [String: String] {
        ["label_column": "\(labelColumn)", "header": header.rawValue, "delimiter": delimiter]
    }
}
