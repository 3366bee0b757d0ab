import BSNN
import Foundation

/// Fixed-width text tables for the terminal and GitHub-style tables for report.md.
struct TextTable {
    var header: [String]
    var rows: [[String]] = []
    /// Columns right-aligned (numbers); the rest left-aligned.
    var numeric: Set<Int> = []

    init(_ header: [String], numeric: Set<Int>? = nil) {
        self.header = header
        self.numeric = numeric ?? Set(1..<max(header.count, 1))
    }

    mutating func add(_ row: [String]) { rows.append(row) }

    func text() -> String {
        var w = header.map(\.count)
        for r in rows { for (i, c) in r.enumerated() where i < w.count { w[i] = max(w[i], c.count) } }
        func line(_ r: [String]) -> String {
            var s = r.enumerated().map { i, c in
                let pad = String(repeating: " ", count: max(w[i] - c.count, 0))
                return numeric.contains(i) ? pad + c : c + pad
            }.joined(separator: "  ")
            // A left-aligned last column would leave trailing blanks in every quoted output.
            while s.last == " " { s.removeLast() }
            return s
        }
        var out = [line(header), w.map { String(repeating: "-", count: $0) }.joined(separator: "  ")]
        out += rows.map(line)
        return out.joined(separator: "\n") + "\n"
    }

    func markdown() -> String {
        // A literal | (as in |Δa|) would split a markdown cell.
        func cell(_ c: String) -> String { c.replacingOccurrences(of: "|", with: "\\|") }
        var out = "| " + header.map(cell).joined(separator: " | ") + " |\n"
        out += "|" + header.indices.map { numeric.contains($0) ? "---:|" : "---|" }.joined() + "\n"
        for r in rows { out += "| " + r.map(cell).joined(separator: " | ") + " |\n" }
        return out
    }
}

/// Plain CSV with a header row; numbers at full precision so they round-trip.
struct CSVTable {
    var header: [String]
    var rows: [[String]] = []
    mutating func add(_ row: [String]) { rows.append(row) }
    func text() -> String { ([header] + rows).map { $0.joined(separator: ",") }.joined(separator: "\n") + "\n" }
    func write(to path: String) throws { try Output.write(text(), to: path) }
}

enum Fmt {
    /// Short human form: fixed for ordinary magnitudes, scientific for tiny/huge ones.
    static func num(_ v: Double, _ digits: Int = 4) -> String {
        if v.isNaN { return "nan" }
        if v.isInfinite { return v > 0 ? "inf" : "-inf" }
        if v == 0 { return "0" }
        let a = abs(v)
        return a >= 1e-3 && a < 1e5 ? String(format: "%.\(digits)f", v) : String(format: "%.\(max(digits - 1, 1))e", v)
    }
    static func full(_ v: Double) -> String { v.isFinite ? "\(v)" : (v.isNaN ? "nan" : (v > 0 ? "inf" : "-inf")) }
    static func pct(_ v: Double) -> String { String(format: "%.2f%%", v * 100) }
    static func secs(_ s: Double) -> String {
        if !s.isFinite { return "--:--" }
        let t = Int(s.rounded())
        return t >= 3600 ? String(format: "%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60) : String(format: "%02d:%02d", t / 60, t % 60)
    }
}

enum Output {
    /// `-` is standard output; anything else goes through the engine's writer, which
    /// follows symlinks and writes FIFOs and devices in place (see `AtomicFile.write`).
    static func write(_ text: String, to path: String) throws {
        // Rank 0 of a distributed run writes every file; the others compute the same.
        if processRank > 0 { return }
        if path == "-" {
            fflush(stdout)
            do { try AtomicFile.writeAll(Array(text.utf8), fd: STDOUT_FILENO, what: "standard output") } catch let e {
                throw CLIError.io(e.message)
            }
            return
        }
        do { try AtomicFile.write(Array(text.utf8), to: path) } catch let e {
            throw CLIError.io(e.message)
        }
    }

    static func makeDirectory(_ path: String) throws {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir) {
            guard isDir.boolValue else { throw CLIError.io("output folder '\(path)' exists and is not a folder") }
            return
        }
        // mkdir -p by hand: Foundation's error text would be "The operation could not be
        // completed"; errno names the reason (permission, a file in the way, …).
        var prefix = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            prefix += "/" + part
            if mkdir(prefix, 0o777) != 0 && errno != EEXIST {
                throw CLIError.io("cannot create output folder '\(path)': \(String(cString: strerror(errno)))")
            }
        }
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue else {
            throw CLIError.io("cannot create output folder '\(path)': a part of it is not a folder")
        }
    }
}
