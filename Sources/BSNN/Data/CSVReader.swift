/// Options for `CSVReader`.
public struct CSVOptions: Sendable {
    public enum Header: Sendable {
        /// The first row is a header when every one of its cells is non-numeric; a row
        /// with only some non-numeric cells (a typo, a Unicode minus) is data, and its bad
        /// cell is reported instead of the row being dropped.
        case auto
        case present
        case absent
    }

    public enum Task: Sendable {
        /// Integer labels ≥ 0; `classCount` defaults to the largest label + 1.
        case classification(classCount: Int? = nil)
        /// One float target per row.
        case regression
    }

    /// Index of the label column; negative counts from the end (-1 = last column).
    public var labelColumn: Int
    public var header: Header
    public var delimiter: UInt8
    public var task: Task

    public init(labelColumn: Int = 0, header: Header = .auto, delimiter: Character = ",", task: Task = .classification()) throws(BSNNError) {
        guard let d = delimiter.asciiValue, d != UInt8(ascii: "\n"), d != UInt8(ascii: "\r"), d != UInt8(ascii: "\"") else {
            throw BSNNError.invalidArgument("delimiter: expected one ASCII character other than a newline or quote, got \(delimiter.debugDescription)")
        }
        self.labelColumn = labelColumn
        self.header = header
        self.delimiter = d
        self.task = task
    }
}

/// Reads numeric CSV files: one label (or regression target) column plus feature columns.
/// Cells may be surrounded by spaces or double quotes; quoted cells cannot contain the
/// delimiter. Numbers are parsed by Swift's locale-independent parser, so "1.5" means the
/// same under every LC_NUMERIC.
public enum CSVReader {
    /// Inferred class counts above this are treated as a mistaken label column.
    public static let maxInferredClassCount = 1 << 20

    public static func read(path: String, options: CSVOptions? = nil) throws(BSNNError) -> Dataset {
        try read(bytes: AtomicFile.read(path), name: path, options: options)
    }

    public static func read(bytes: [UInt8], name: String, options: CSVOptions? = nil) throws(BSNNError) -> Dataset {
        let options = if let options { options } else { try CSVOptions() }
        let rows = try checkedSplitRows(bytes, delimiter: options.delimiter, name: name)
        guard let first = rows.first else {
            throw BSNNError.format("\(name): expected at least one data row, got an empty file")
        }
        let columns = first.cells.count
        guard columns >= 2 else {
            throw BSNNError.format("\(name) line \(first.line): expected at least 2 columns (label and features), got \(columns)")
        }
        let labelIndex = options.labelColumn < 0 ? columns + options.labelColumn : options.labelColumn
        guard labelIndex >= 0, labelIndex < columns else {
            throw BSNNError.invalidArgument("labelColumn: expected -\(columns)..<\(columns) for \(name) with \(columns) columns, got \(options.labelColumn)")
        }
        let dataRows = try dataRows(rows, header: options.header, name: name)

        let featureCount = columns - 1
        var features = [Float]()
        try MemoryBudget.checkArray(
            of: Float.self, count: try MemoryBudget.elementCount(dataRows.count, featureCount, what: "\(name): features"),
            what: "\(name): features")
        features.reserveCapacity(dataRows.count * featureCount)
        var labelValues = [Float]()
        labelValues.reserveCapacity(dataRows.count)
        for row in dataRows {
            guard row.cells.count == columns else {
                throw BSNNError.format("\(name) line \(row.line): expected \(columns) columns (as in line \(first.line)), got \(row.cells.count)")
            }
            for (c, cell) in row.cells.enumerated() {
                let v = try finiteNumber(cell, name: name, line: row.line, column: c)
                if c == labelIndex { labelValues.append(v) } else { features.append(v) }
            }
        }

        switch options.task {
        case .regression:
            return try Dataset(features: features, targets: labelValues, featureCount: featureCount, targetCount: 1)
        case .classification(let given):
            var labels = [Int32]()
            labels.reserveCapacity(labelValues.count)
            var maxLabel: Int32 = 0
            for (k, v) in labelValues.enumerated() {
                let row = dataRows[dataRows.startIndex + k]
                guard v >= 0, v.rounded() == v, v < Float(maxInferredClassCount) else {
                    throw BSNNError.format(
                        "\(name) line \(row.line), column \(labelIndex + 1): expected a class label (an integer in 0..<\(maxInferredClassCount)), got \(row.cells[labelIndex])")
                }
                let l = Int32(v)
                maxLabel = max(maxLabel, l)
                labels.append(l)
            }
            let classCount = given ?? Int(maxLabel) + 1
            if let bad = labels.firstIndex(where: { Int($0) >= classCount }) {
                let row = dataRows[dataRows.startIndex + bad]
                throw BSNNError.format(
                    "\(name) line \(row.line), column \(labelIndex + 1): expected a class in 0..<\(classCount), got \(labels[bad])")
            }
            return try Dataset(features: features, labels: labels, featureCount: featureCount, classCount: classCount)
        }
    }

    /// Feature rows for prediction: rows of `featureCount` cells are all features; rows of
    /// `featureCount + 1` cells carry a label in `options.labelColumn`, which is skipped
    /// (so the file a model was trained on can be predicted as it is). The header, the
    /// delimiter and the number rules are those of `read`.
    public static func readFeatures(
        bytes: [UInt8], name: String, featureCount: Int, options: CSVOptions? = nil
    ) throws(BSNNError) -> (features: [Float], count: Int) {
        let options = if let options { options } else { try CSVOptions() }
        let rows = try checkedSplitRows(bytes, delimiter: options.delimiter, name: name)
        guard let first = rows.first else {
            throw BSNNError.format("\(name): expected at least one data row, got an empty file")
        }
        let columns = first.cells.count
        guard columns == featureCount || columns == featureCount + 1 else {
            throw BSNNError.format(
                "\(name) line \(first.line): expected \(featureCount) feature columns (or a label plus \(featureCount)), got \(columns)")
        }
        var skipped = -1
        if columns == featureCount + 1 {
            skipped = options.labelColumn < 0 ? columns + options.labelColumn : options.labelColumn
            guard skipped >= 0, skipped < columns else {
                throw BSNNError.invalidArgument("labelColumn: expected -\(columns)..<\(columns) for \(name) with \(columns) columns, got \(options.labelColumn)")
            }
        }
        let dataRows = try dataRows(rows, header: options.header, name: name)
        var features = [Float]()
        try MemoryBudget.checkArray(
            of: Float.self, count: try MemoryBudget.elementCount(dataRows.count, featureCount, what: "\(name): features"),
            what: "\(name): features")
        features.reserveCapacity(dataRows.count * featureCount)
        for row in dataRows {
            guard row.cells.count == columns else {
                throw BSNNError.format("\(name) line \(row.line): expected \(columns) columns (as in line \(first.line)), got \(row.cells.count)")
            }
            for (c, cell) in row.cells.enumerated() where c != skipped {
                let v = try finiteNumber(cell, name: name, line: row.line, column: c)
                features.append(v)
            }
        }
        return (features, dataRows.count)
    }

    /// `splitRows` after checking that its result fits: it holds every line as a String
    /// and every cell as a Substring (a Swift array that cannot grow traps).
    static func checkedSplitRows(_ bytes: [UInt8], delimiter: UInt8, name: String) throws(BSNNError) -> [(line: Int, cells: [Substring])] {
        var cellCount = 1
        for b in bytes where b == delimiter || b == UInt8(ascii: "\n") { cellCount += 1 }
        try MemoryBudget.checkArray(
            of: Substring.self, count: cellCount + bytes.count / MemoryLayout<Substring>.stride, what: "\(name): cells")
        return splitRows(bytes, delimiter: delimiter)
    }

    /// The rows after the header (present, absent, or auto: every cell of the first row
    /// non-numeric); at least one.
    static func dataRows(
        _ rows: [(line: Int, cells: [Substring])], header: CSVOptions.Header, name: String
    ) throws(BSNNError) -> ArraySlice<(line: Int, cells: [Substring])> {
        let hasHeader: Bool
        switch header {
        case .present: hasHeader = true
        case .absent: hasHeader = false
        case .auto: hasHeader = rows.first?.cells.allSatisfy { parseNumber($0) == nil } ?? false
        }
        let data = hasHeader ? rows.dropFirst() : rows[...]
        guard !data.isEmpty else {
            throw BSNNError.format("\(name): expected at least one data row after the header, got none")
        }
        return data
    }

    static func finiteNumber(_ cell: Substring, name: String, line: Int, column c: Int) throws(BSNNError) -> Float {
        guard let v = parseNumber(cell) else {
            throw BSNNError.format("\(name) line \(line), column \(c + 1): expected a number, got '\(cell.prefix(40))'")
        }
        guard v.isFinite else {
            throw BSNNError.format("\(name) line \(line), column \(c + 1): expected a finite number, got '\(cell.prefix(40))'")
        }
        return v
    }

    /// (line number, trimmed cells) of every non-blank line, after a UTF-8 BOM.
    package static func splitRows(_ bytes: [UInt8], delimiter: UInt8) -> [(line: Int, cells: [Substring])] {
        var start = 0
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { start = 3 }  // UTF-8 BOM
        var rows = [(line: Int, cells: [Substring])]()
        var lineNumber = 0
        var i = start
        while i < bytes.count {
            var j = i
            while j < bytes.count, bytes[j] != UInt8(ascii: "\n") { j += 1 }
            lineNumber += 1
            var end = j
            if end > i, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
            let text = String(decoding: bytes[i..<end], as: UTF8.self)
            if !text.allSatisfy({ $0 == " " || $0 == "\t" }) {
                let cells = text.split(separator: Character(Unicode.Scalar(delimiter)), omittingEmptySubsequences: false)
                    .map { trimCell($0) }
                rows.append((lineNumber, cells))
            }
            i = j + 1
        }
        return rows
    }

    static func trimCell(_ s: Substring) -> Substring {
        var t = s.drop(while: { $0 == " " || $0 == "\t" })
        while let last = t.last, last == " " || last == "\t" { t = t.dropLast() }
        if t.count >= 2, t.first == "\"", t.last == "\"" { t = t.dropFirst().dropLast() }
        return t
    }

    /// Swift's parser accepts "nan", "inf" and hex floats; they parse here too and
    /// non-finite values are rejected by the caller with a clearer message. Only
    /// printable ASCII is a candidate: the parser stops at a NUL byte (so `1\0junk` read
    /// as 1) and no number contains anything else.
    package static func parseNumber(_ s: Substring) -> Float? {
        guard !s.isEmpty, s.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { return nil }
        return Float(s)
    }
}
