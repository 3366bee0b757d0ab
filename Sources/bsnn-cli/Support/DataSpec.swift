import ArgumentParser
import BSNN
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `--data fashion-mnist | IDX_DIR | file.csv`. IDX folders hold the MNIST-style file
/// pairs `train-images-idx3-ubyte[.gz]`/`train-labels-idx1-ubyte[.gz]` and
/// `t10k-…`; byte images are scaled to [0, 1] as in training. CSV files are parsed with
/// `csv` (label column, header, delimiter; default: label first) and used unscaled. `scaling` (nil: those usual ones) is fitted
/// on the data loaded, which is right for training data; data to be used with a trained
/// model is mapped with `scaledLike`, the training data's (or the model file's) scaler.
enum DataSpec {
    enum Split: String, CaseIterable { case train, test }

    static func load(
        _ spec: String, split: Split, limit: Int?, scaling: FeatureScaling? = nil, scaledLike: FeatureScaler? = nil,
        csv: CSVOptions? = nil
    ) throws -> Dataset {
        if let l = limit, l <= 0 { throw CLIError.usage("--limit: expected a positive number of samples, got \(l)") }
        if spec == "-" {
            let all = try CSVReader.read(bytes: try StandardInput.readAll(what: "--data -"), name: "standard input", options: csv)
            return try scaled(try limit.map { try all.prefix($0) } ?? all, scaling: scaling, scaledLike: scaledLike)
        }
        if spec == "fashion-mnist" {
            try requireExisting(FashionMNIST.defaultDirectory, what: "Fashion-MNIST folder (install dataset-fashion-mnist)")
            return try FashionMNIST.load(
                split: split == .train ? .train : .test, limit: limit, scaling: scaling ?? .unitInterval, scaledLike: scaledLike)
        }
        try requireExisting(spec, what: "data")
        var isDir: ObjCBool = false
        _ = FileManager.default.fileExists(atPath: spec, isDirectory: &isDir)
        if isDir.boolValue {
            let prefix = split == .train ? "train" : "t10k"
            let images = try locate(spec, "\(prefix)-images-idx3-ubyte")
            let labels = try locate(spec, "\(prefix)-labels-idx1-ubyte")
            return try Dataset.fromIDX(
                imagesPath: images, labelsPath: labels, limit: limit, scaling: scaling ?? .unitInterval, scaledLike: scaledLike)
        }
        if spec.lowercased().hasSuffix(".csv") {
            let all = try CSVReader.read(path: spec, options: csv)
            return try scaled(try limit.map { try all.prefix($0) } ?? all, scaling: scaling, scaledLike: scaledLike)
        }
        throw CLIError.usage("--data '\(spec)': expected fashion-mnist, an IDX folder, a .csv file or - (CSV on standard input)")
    }

    /// CSV data mapped with `scaledLike`, or fitted with `scaling` (nil, none: as read).
    private static func scaled(_ d: Dataset, scaling: FeatureScaling?, scaledLike: FeatureScaler?) throws -> Dataset {
        if let s = scaledLike { return try s.apply(to: d) }
        guard let method = scaling, method != .none else { return d }
        return try FeatureScaler.fit(d, method: method).apply(to: d)
    }

    /// At most one input of a command can be standard input (for `validate()`, whose
    /// errors the parser reports as usage errors).
    static func requireOneStandardInput(_ inputs: [(flag: String, path: String?)]) throws {
        let dashes = inputs.filter { $0.path == "-" }.map(\.flag)
        if dashes.count > 1 {
            throw ValidationError("\(dashes.joined(separator: " and ")) are both - (standard input); at most one input can be")
        }
    }

    static func requireExisting(_ path: String, what: String) throws {
        guard FileManager.default.fileExists(atPath: path) else {
            throw CLIError.missingInput("\(what) '\(path)' does not exist")
        }
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw CLIError.missingInput("\(what) '\(path)' is not readable")
        }
        // A FIFO, device or socket is no input file (reading one would block or never
        // end); EX_NOINPUT, like a missing file. Standard input is `-`.
        var st = stat()
        if stat(path, &st) == 0, (st.st_mode & S_IFMT) != S_IFREG, (st.st_mode & S_IFMT) != S_IFDIR {
            let kind = (st.st_mode & S_IFMT) == S_IFIFO ? "a FIFO (named pipe)" : "not a regular file"
            throw CLIError.missingInput("\(what) '\(path)' is \(kind); give a regular file, or - for standard input")
        }
    }

    private static func locate(_ dir: String, _ base: String) throws -> String {
        for c in ["\(dir)/\(base)", "\(dir)/\(base).gz"] where FileManager.default.isReadableFile(atPath: c) { return c }
        throw CLIError.missingInput("IDX folder '\(dir)' has no \(base)[.gz]")
    }

    /// Features only, for `predict`: a CSV whose rows have `inputs` numbers (or
    /// `inputs + 1`, the first being a label that is ignored), or an IDX image file, as
    /// stored and then mapped by `scaler` (the model file's record of its training data).
    static func features(_ path: String, inputs: Int, scaler: FeatureScaler?, csv: CSVOptions) throws -> (values: [Float], count: Int) {
        var (values, count, isBytes) = try rawFeatures(path, inputs: inputs, csv: csv)
        if let s = scaler {
            try s.apply(to: &values)
        } else if isBytes {
            // Files written before models recorded their scaling: byte images were
            // trained as x / 255.
            try FeatureScaler.byteRange(featureCount: inputs).apply(to: &values)
        }
        return (values, count)
    }

    private static func rawFeatures(_ path: String, inputs: Int, csv: CSVOptions) throws -> (values: [Float], count: Int, isBytes: Bool) {
        // `-`: standard input, IDX when it starts like one (two zero bytes), else CSV.
        let piped = path == "-" ? try StandardInput.readAll(what: "--input -") : nil
        if piped == nil { try requireExisting(path, what: "input") }
        let isIDX = piped.map { $0.count >= 2 && $0[0] == 0 && $0[1] == 0 } ?? !path.lowercased().hasSuffix(".csv")
        if !isIDX {
            let bytes = try piped ?? AtomicFile.read(path)
            let (values, rows) = try CSVReader.readFeatures(
                bytes: bytes, name: piped == nil ? path : "standard input", featureCount: inputs, options: csv)
            return (values, rows, false)
        }
        let a = try piped.map { try IDXReader.read(bytes: $0, name: "standard input") } ?? IDXReader.read(path: path)
        // Dimensions come from the file: multiply with overflow checks (a header such as
        // [0, 2³²−1, 2³²−1, 2³²−1] holds no values but its product overflows).
        var perSample: Int? = 1
        for d in a.dimensions.dropFirst() {
            guard let p = perSample else { break }
            let (q, overflow) = p.multipliedReportingOverflow(by: d)
            perSample = overflow ? nil : q
        }
        guard a.dimensions.count >= 2, perSample == inputs else {
            throw CLIError.data("input '\(path)': expected N samples of \(inputs) values, got dimensions \(a.dimensions)")
        }
        guard a.dimensions[0] > 0 else { throw CLIError.data("input '\(path)': no samples (dimensions \(a.dimensions))") }
        return (a.values, a.dimensions[0], a.elementType == .uint8)
    }
}
