import BSNN

/// The bodies of the libFuzzer targets (fuzz/targets/*), in a target of their own so
/// that the XCTest regression suite (FuzzRegressionTests) replays a minimized crash
/// through exactly the code the fuzzer ran, while libbsnn.so carries none of it (the
/// engine entry points they reach are `package`, not public). Each takes arbitrary bytes
/// and must return without trapping; `false` means an invariant failed (the fuzzer then
/// aborts on purpose).
public enum FuzzEntryPoints {
    /// safetensors parsing, then the model and checkpoint loaders twice: on the input as
    /// it is (checksum not verified, `allowUnverified`, so mutated tensor bytes reach the
    /// loaders) and on the input re-serialized with a fresh valid checksum (so mutated
    /// metadata reaches the field validation of a verified file). A forward pass runs
    /// through any model that loads. Invariant: every loader failure is `.format` (a
    /// damaged file), `.plugin` (the record names a plugin, which loading refuses) or
    /// `.outOfMemory`; any other kind means some field escaped validation.
    public static func safetensors(_ bytes: [UInt8]) -> Bool {
        _ = try? SafeTensorsFile(bytes: bytes, name: "fuzz")
        guard let file = try? SafeTensorsFile(bytes: bytes, name: "fuzz", verifyingChecksum: false) else { return true }
        guard let resealed = try? SafeTensorsFile(bytes: file.serialized(), name: "fuzz") else { return false }
        for (f, options) in [(file, ModelFile.LoadOptions(allowUnverified: true)), (resealed, ModelFile.LoadOptions())] {
            do {
                let model = try ModelFile.model(from: f, name: "fuzz", expectedKind: "model", options: options)
                _ = try? model.predict([Float](repeating: 0.5, count: model.configuration.inputs * 2))
            } catch {
                guard isFileError(error) else { return false }
            }
            do {
                let trainer = try Checkpoint.trainer(from: f, name: "fuzz", options: options)
                _ = try? trainer.model.predict([Float](repeating: 0.5, count: trainer.model.configuration.inputs))
            } catch {
                guard isFileError(error) else { return false }
            }
        }
        return true
    }

    static func isFileError(_ error: Error) -> Bool {
        switch error as? BSNNError {
        case .format?, .plugin?, .outOfMemory?: return true
        default: return false
        }
    }

    /// The IDX reader (plain, and gzip when the input starts 1f 8b), with and without a
    /// sample limit, then the data-set builder on whatever parses, paired with a matching
    /// label file. Invariant: gzip data is never inflated beyond the header plus the
    /// samples kept plus one chunk (a decompression bomb must not be expanded).
    public static func idx(_ bytes: [UInt8]) -> Bool {
        let limit = bytes.count % 3 == 0 ? nil : 3
        if let (few, inflated) = try? IDXReader.readCounting(bytes: bytes, name: "fuzz", limit: limit) {
            let sampleBytes = few.dimensions.dropFirst().reduce(few.elementType.byteSize, *)
            let bound = 4 + 4 * few.dimensions.count + few.dimensions[0] * sampleBytes + Gzip.chunkSize
            guard inflated <= bound else { return false }
        }
        guard let images = try? IDXReader.read(bytes: bytes, name: "fuzz") else { return true }
        // Labels 0..9 for at most 4096 samples keep one run cheap; a count mismatch is an error path too.
        let n = min(images.dimensions.first ?? 0, 4096)
        var labelFile: [UInt8] = [0, 0, 8, 1, UInt8(n >> 24 & 0xFF), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)]
        labelFile += (0..<n).map { UInt8($0 % 10) }
        guard let labels = try? IDXReader.read(bytes: labelFile, name: "labels") else { return true }
        for scaling in [FeatureScaling.unitInterval, .standardize, .none] {
            _ = try? Dataset.fromIDX(images: images, labels: labels, limit: limit, scaling: scaling)
        }
        _ = try? Dataset.fromIDX(images: images, labels: images)
        return true
    }

    /// The CSV reader; the first byte picks the options (label column, header mode,
    /// delimiter, task) so that every reader path is reachable from the input.
    public static func csv(_ all: [UInt8]) -> Bool {
        guard let mode = all.first else { return true }
        let bytes = Array(all.dropFirst())
        _ = try? CSVReader.read(bytes: bytes, name: "fuzz")
        let headers: [CSVOptions.Header] = [.auto, .present, .absent]
        let delimiters: [Character] = [",", ";", "\t", " "]
        let task: CSVOptions.Task = mode & 0x40 != 0 ? .regression : .classification(classCount: mode & 0x80 != 0 ? Int(mode & 7) : nil)
        if let options = try? CSVOptions(
            labelColumn: Int(mode & 3) - 2, header: headers[Int(mode >> 2 & 3) % 3],
            delimiter: delimiters[Int(mode >> 4 & 3)], task: task)
        {
            _ = try? CSVReader.read(bytes: bytes, name: "fuzz", options: options)
        }
        // Invariants. A first row read as a header has no numeric cell (else a data row
        // was dropped silently); with no header every cell of a successful parse was a
        // number, and no number contains a NUL byte (`1\0junk` once read as 1).
        if let auto = try? CSVOptions(labelColumn: 0, header: .auto), let present = try? CSVOptions(labelColumn: 0, header: .present),
            let a = try? CSVReader.read(bytes: bytes, name: "fuzz", options: auto),
            let p = try? CSVReader.read(bytes: bytes, name: "fuzz", options: present), a.count == p.count,
            let first = CSVReader.splitRows(bytes, delimiter: UInt8(ascii: ",")).first,
            first.cells.contains(where: { CSVReader.parseNumber($0) != nil })
        {
            return false
        }
        if let absent = try? CSVOptions(labelColumn: 0, header: .absent, task: .regression),
            (try? CSVReader.read(bytes: bytes, name: "fuzz", options: absent)) != nil, bytes.contains(0)
        {
            return false
        }
        return true
    }

    /// The libffi signature grammar: a parsed signature must print to text that parses
    /// back to the same signature.
    public static func signature(_ bytes: [UInt8]) -> Bool {
        guard let sig = try? ForeignSignature.parse(String(decoding: bytes, as: UTF8.self)) else { return true }
        guard let again = try? ForeignSignature.parse(sig.description) else { return false }
        return again == sig
    }
}
