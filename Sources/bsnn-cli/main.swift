import ArgumentParser
import BSNN
#if canImport(Glibc)
import Glibc
#endif

/// `bsnn`: the command-line door to the engine. Each subcommand is a thin client of the
/// Swift API; errors end as one line on stderr with a documented exit status
/// (Support/ExitCodes.swift).
struct BSNN_CLI: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bsnn",
        abstract: "Bidirectionally self-normalizing deep networks (Lu, Gould & Ajanthan 2023).",
        discussion: """
            Exit status: 0 ok, 64 usage, 65 bad data/format, 66 missing input file, 69 plugin, \
            70 numeric failure/divergence, 71 out of memory, 74 I/O, 130 interrupted.
            """,
        version: "0.1.0",
        subcommands: [GPNCommand.self, ProbeCommand.self, TrainCommand.self, EvalCommand.self,
                      PredictCommand.self, InspectCommand.self, ReproduceCommand.self])
}

// Line-buffered even into a pipe or file, so long runs (reproduce, train) can be followed
// with tee/tail while they work.
setvbuf(stdout, nil, _IOLBF, 0)
// The CLI owns its process, so it may pick the thread count (the library never does).
BLAS.useProcessDefaultThreadCount()

// Before the parser: `bsnn` alone is a usage error (help on stderr, status 64, as git
// does), and a misspelt subcommand gets a suggestion instead of "unexpected argument".
let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.isEmpty {
    fputs(BSNN_CLI.helpMessage(), stderr)
    fputs("\n", stderr)
    exit(ExitStatus.usage.rawValue)
}
if let first = arguments.first, !first.hasPrefix("-") {
    let names = BSNN_CLI.configuration.subcommands.map { $0._commandName } + ["help"]
    if !names.contains(first) {
        let hint = NameSuggestion.closest(to: first, in: names).map { "; did you mean '\($0)'?" }
            ?? "; expected one of: \(names.dropLast().joined(separator: ", "))"
        reportAndExit(CLIError.usage("unknown command '\(first)'\(hint)"))
    }
}

do {
    var command = try BSNN_CLI.parseAsRoot(arguments)
    try command.run()
} catch {
    reportAndExit(error)
}
