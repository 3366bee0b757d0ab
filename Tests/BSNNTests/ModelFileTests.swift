import Glibc
import XCTest
@testable import BSNN

final class ModelFileTests: XCTestCase {
    var dir = ""
    override func setUpWithError() throws { dir = try makeTempDirectory() }
    override func tearDown() { removeTree(dir) }

    func blobs(_ n: Int, seed: UInt64) throws -> Dataset {
        var rng = RandomGenerator(seed: seed)
        var x = [Float](), y = [Int32]()
        for i in 0..<n {
            for j in 0..<6 { x.append(Float(rng.nextGaussian() * 0.7 + (j % 3 == i % 3 ? 2 : 0))) }
            y.append(Int32(i % 3))
        }
        return try Dataset(features: x, labels: y, featureCount: 6, classCount: 3)
    }

    func makeModel(_ constraint: WeightConstraint = .rowNormalized, bias: Bool = true) throws -> MLP {
        try MLP(MLPConfiguration(
            inputs: 6, width: 12, depth: 3, outputs: 3, activation: try .builtin("elu", parameters: ["alpha": 0.7]),
            constraint: constraint, bias: bias, seed: 5))
    }

    func allWeights(_ m: MLP) throws -> [[Float]] {
        try (0..<m.layerCount).flatMap { [try m.weights(layer: $0), try m.bias(layer: $0) ?? []] }
    }

    func testModelRoundTripIsBitExact() throws {
        for (constraint, bias) in [(WeightConstraint.rowNormalized, true), (.orthogonal, false), (.none, true)] {
            let model = try makeModel(constraint, bias: bias)
            let trainer = try Trainer(model: model, configuration: TrainingConfiguration(epochs: 2, batchSize: 16))
            try trainer.fit(try blobs(64, seed: 1))
            let path = dir + "/m-\(constraint.rawValue).safetensors"
            try ModelFile.save(model, to: path)
            let loaded = try ModelFile.load(path)
            XCTAssertTrue(try allWeights(loaded) == allWeights(model))
            XCTAssertEqual(loaded.configuration.constraint, constraint)
            XCTAssertEqual(loaded.configuration.bias, bias)
            XCTAssertEqual(loaded.configuration.activation.base.name, "elu")
            XCTAssertEqual(loaded.configuration.activation.base.parameter("alpha"), 0.7)
            XCTAssertEqual(loaded.configuration.activation.scale, model.configuration.activation.scale)
            XCTAssertEqual(loaded.configuration.activation.shift, model.configuration.activation.shift)
            let x = gaussianArray(20 * 6, seed: 9)
            XCTAssertTrue(try loaded.predict(x) == model.predict(x))
        }
    }

    func testFileIsPlainSafetensorsWithMetadata() throws {
        let model = try makeModel()
        let path = dir + "/m.safetensors"
        try ModelFile.save(model, to: path)
        let file = try SafeTensorsFile.read(path: path)
        XCTAssertEqual(file.metadata["bsnn.format"], "model")
        XCTAssertEqual(file.metadata["bsnn.format_version"], "1")
        XCTAssertEqual(file["layers.0.weight"]?.shape, [12, 6])
        XCTAssertEqual(file["layers.4.weight"]?.shape, [3, 12])
        XCTAssertEqual(file["layers.2.bias"]?.shape, [12])
        let act = try JSONParser.parse(try XCTUnwrap(file.metadata["bsnn.activation"]))
        XCTAssertEqual(act["gpn_root"]?.stringValue, "b+")
        XCTAssertEqual(act["source"]?["kind"]?.stringValue, "builtin")
    }

    func testCorruptedFilesAreRejectedWithoutCrash() throws {
        let model = try makeModel()
        let path = dir + "/m.safetensors"
        try ModelFile.save(model, to: path)
        let bytes = try AtomicFile.read(path)
        var kinds: [String: Int] = [:]
        // Truncations at many offsets, and single flipped bytes everywhere.
        for cut in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 97)) {
            let bad = dir + "/cut.safetensors"
            try AtomicFile.write(Array(bytes[0..<cut]), to: bad)
            XCTAssertThrowsError(try ModelFile.load(bad)) { kinds[($0 as? BSNNError)?.kind ?? "other", default: 0] += 1 }
        }
        for pos in stride(from: 8, to: bytes.count, by: max(1, bytes.count / 211)) {
            var flipped = bytes
            flipped[pos] ^= 0x5A
            let bad = dir + "/flip.safetensors"
            try AtomicFile.write(flipped, to: bad)
            // A flip inside a metadata number can still parse; anything else must fail.
            if let loaded = try? ModelFile.load(bad) { _ = loaded } else { kinds["rejected", default: 0] += 1 }
        }
        XCTAssertNil(kinds["other"], "every failure must be a BSNNError")
        XCTAssertGreaterThan(kinds["rejected"] ?? 0, 150)
        // A flipped tensor byte is caught by the checksum.
        var flipped = bytes
        flipped[bytes.count - 3] ^= 1
        try AtomicFile.write(flipped, to: dir + "/crc.safetensors")
        XCTAssertThrowsError(try ModelFile.load(dir + "/crc.safetensors")) {
            XCTAssertTrue("\($0)".contains("checksum"), "\($0)")
        }
    }

    func testWrongKindVersionAndPluginPermission() throws {
        let model = try makeModel()
        var file = try ModelFile.serialize(model, kind: "model")
        file.metadata["bsnn.format_version"] = "99"
        try file.write(to: dir + "/v.safetensors")
        XCTAssertThrowsError(try ModelFile.load(dir + "/v.safetensors")) { XCTAssertTrue("\($0)".contains("version 99")) }
        // A model whose activation comes from a foreign function is not loaded unless allowed.
        let erf = try ForeignActivation.make(library: "libm.so.6", symbol: "erf", signature: "double(double)")
        let foreignModel = try MLP(MLPConfiguration(inputs: 6, width: 8, depth: 2, outputs: 3, activation: try .gpn(erf)))
        try ModelFile.save(foreignModel, to: dir + "/erf.safetensors")
        XCTAssertThrowsError(try ModelFile.load(dir + "/erf.safetensors")) {
            guard case BSNNError.plugin(let m) = $0 else { return XCTFail("\($0)") }
            XCTAssertTrue(m.contains("allow plugins"), m)
        }
        let loaded = try ModelFile.load(dir + "/erf.safetensors", options: .init(allowPlugins: true))
        let x = gaussianArray(5 * 6, seed: 2)
        XCTAssertTrue(try loaded.predict(x) == foreignModel.predict(x))
        // Checkpoints are not models' substitutes the other way round.
        XCTAssertThrowsError(try Checkpoint.load(dir + "/erf.safetensors"))
    }

    func testCheckpointResumeEqualsUninterruptedRunBitForBit() throws {
        let data = try blobs(100, seed: 3)
        for kind in OptimizerKind.allCases {
            let config = TrainingConfiguration(
                epochs: 3, batchSize: 16, optimizer: OptimizerConfiguration(kind: kind, learningRate: 0.02, momentum: 0.9), seed: 11)
            let straight = try makeModel()
            try Trainer(model: straight, configuration: config).fit(data)

            let interrupted = try makeModel()
            let t1 = try Trainer(model: interrupted, configuration: config)
            XCTAssertThrowsError(try t1.fit(data) { $0.globalStep < 10 })  // cancel mid-epoch 2
            let ckpt = dir + "/ckpt-\(kind.rawValue).safetensors"
            try Checkpoint.save(t1, to: ckpt)
            let t2 = try Checkpoint.load(ckpt)
            XCTAssertEqual(t2.globalStep, 10)
            XCTAssertEqual(t2.epoch, 1)
            try t2.fit(data)
            XCTAssertTrue(try allWeights(t2.model) == allWeights(straight), "\(kind): resumed run differs")
        }
    }

    func testDivergenceLeavesSavedModelIntact() throws {
        let model = try makeModel()
        let path = dir + "/good.safetensors"
        try ModelFile.save(model, to: path)
        let before = try AtomicFile.read(path)
        let trainer = try Trainer(model: model, configuration: TrainingConfiguration(
            epochs: 100, batchSize: 16, loss: .meanSquaredError, optimizer: OptimizerConfiguration(kind: .sgd, learningRate: 1e9)))
        XCTAssertThrowsError(try trainer.fit(try blobs(64, seed: 1)) { _ in
            // A user saving after every good step: the file must never hold a bad model.
            (try? ModelFile.save(model, to: path)) != nil
        }) { error in
            guard case BSNNError.numeric = error else { return XCTFail("\(error)") }
        }
        let reloaded = try ModelFile.load(path)
        XCTAssertTrue(try allWeights(reloaded) == allWeights(model), "file holds the model's last good weights")
        XCTAssertTrue(try allWeights(reloaded).allSatisfy { $0.allSatisfy(\.isFinite) })
        _ = before
    }
}

// MARK: - Integrity (issue 12 items 1 and 3)

extension ModelFileTests {
    func smallModel() throws -> MLP {
        try MLP(MLPConfiguration(
            inputs: 3, width: 4, depth: 1, outputs: 2, activation: try .gpn(try BuiltinActivation.make("tanh")), seed: 3))
    }

    func smallTrainer() throws -> Trainer {
        let model = try smallModel()
        let t = try Trainer(model: model, configuration: TrainingConfiguration(
            epochs: 2, batchSize: 2, optimizer: OptimizerConfiguration(kind: .adam, learningRate: 0.01), seed: 4))
        _ = try t.step(features: [0.1, -0.2, 0.3, 0.5, 0.1, -0.4], labels: [0, 1])
        return t
    }

    /// The bytes of the metadata value `key` replaced by `transform(JSON record)`, re-sealed
    /// with a valid checksum so that the change reaches field validation.
    func resealed(_ file: SafeTensorsFile, _ key: String, _ transform: (inout [JSONMember]) -> Void) throws -> SafeTensorsFile {
        var f = file
        var members = try XCTUnwrap(try JSONParser.parse(try XCTUnwrap(f.metadata[key])).objectValue)
        transform(&members)
        f.metadata[key] = JSONValue.object(members).serialized()
        return try SafeTensorsFile(bytes: f.serialized(), name: "t")
    }

    func assertFormat(_ body: @autoclosure () throws -> Any, mentions: [String], file: StaticString = #filePath, line: UInt = #line) {
        do {
            _ = try body()
            XCTFail("expected a format error mentioning \(mentions), loaded", file: file, line: line)
        } catch let e as BSNNError {
            guard case .format(let m) = e else { return XCTFail("expected .format, got \(e)", file: file, line: line) }
            for s in mentions { XCTAssertTrue(m.contains(s), "'\(m)' lacks '\(s)'", file: file, line: line) }
        } catch {
            XCTFail("\(error)", file: file, line: line)
        }
    }

    /// Item 1: the 428-byte file of the report (architecture.depth = -2, no tensors) made
    /// `0...(depth + 1)` trap before the configuration was validated.
    func testNegativeDepthWithoutTensorsIsAFormatError() throws {
        let model = try smallModel()
        let real = try ModelFile.serialize(model, kind: "model")
        var meta = real.metadata
        var arch = try XCTUnwrap(try JSONParser.parse(try XCTUnwrap(meta["bsnn.architecture"])).objectValue)
        arch = arch.map { $0.key == "depth" ? JSONMember("depth", .number(-2)) : $0 }
        meta["bsnn.architecture"] = JSONValue.object(arch).serialized()
        let sealed = try SafeTensorsFile(tensors: [], metadata: meta).serialized()
        try AtomicFile.write(sealed, to: dir + "/depth.safetensors")
        assertFormat(try ModelFile.load(dir + "/depth.safetensors"), mentions: ["depth.safetensors", "bsnn.architecture.depth", "-2"])
        // Without the checksum (as in the report) only an unverified load gets that far.
        let open = try SafeTensorsFile(bytes: sealed, name: "x", verifyingChecksum: false)
        assertFormat(
            try ModelFile.model(from: open, name: "depth", expectedKind: "model", options: .init(allowUnverified: true)),
            mentions: ["bsnn.architecture.depth"])
        assertFormat(try Checkpoint.load(dir + "/depth.safetensors"), mentions: ["checkpoint"])
        for (field, value) in [("inputs", JSONValue.number(0)), ("width", .number(1e300)), ("outputs", .string("2")),
                               ("bias", .number(1)), ("constraint", .string("diagonal")), ("seed", .string("-1"))] {
            let f = try resealed(real, "bsnn.architecture") { $0 = $0.map { $0.key == field ? JSONMember(field, value) : $0 } }
            assertFormat(try ModelFile.model(from: f, name: "m", expectedKind: "model", options: .init()),
                         mentions: ["bsnn.architecture.\(field)"])
        }
    }

    func testUnknownKeysInEveryRecordAreRejected() throws {
        let trainer = try smallTrainer()
        let file = try Checkpoint.serialize(trainer)
        func load(_ f: SafeTensorsFile) throws -> Trainer { try Checkpoint.trainer(from: f, name: "c", options: .init()) }
        XCTAssertNoThrow(try load(try SafeTensorsFile(bytes: file.serialized(), name: "c")))
        // A renamed gpn_root once made the activation silently plain.
        assertFormat(try load(try resealed(file, "bsnn.activation") {
            $0 = $0.map { $0.key == "gpn_root" ? JSONMember("gpn_rot", $0.value) : $0 }
        }), mentions: ["bsnn.activation", "gpn_rot"])
        assertFormat(try load(try resealed(file, "bsnn.architecture") { $0.append(JSONMember("dropout", .number(0.5))) }),
                     mentions: ["bsnn.architecture", "dropout"])
        assertFormat(try load(try resealed(file, "bsnn.training") { $0.append(JSONMember("warmup", .number(3))) }),
                     mentions: ["bsnn.training", "warmup"])
        var extra = file
        extra.metadata["bsnn.formt"] = "model"
        assertFormat(try load(try SafeTensorsFile(bytes: extra.serialized(), name: "c")), mentions: ["bsnn.formt"])
        // Other tools' keys are theirs: kept and covered by the checksum, not rejected.
        var foreign = file
        foreign.metadata["format"] = "pt"
        XCTAssertNoThrow(try load(try SafeTensorsFile(bytes: foreign.serialized(), name: "c")))
    }

    /// Values that parse but are out of range must come back as FORMAT (they used to be
    /// INVALID_ARGUMENT, NUMERIC or WRONG_STATE), naming the key.
    func testInvalidTrainingValuesAreFormatErrorsNamingTheKey() throws {
        let file = try Checkpoint.serialize(try smallTrainer())
        func load(_ f: SafeTensorsFile) throws -> Trainer { try Checkpoint.trainer(from: f, name: "c", options: .init()) }
        let cases: [(String, JSONValue, String)] = [
            ("batch_size", .number(0), "batch size"), ("epochs", .number(-1), "epochs"),
            ("rng_state", .array([.string("0"), .string("0"), .string("0"), .string("0")]), "rng_state"),
            ("loss", .string("hinge"), "loss"), ("update_mode", .string("fast"), "update_mode"),
            ("global_step", .string("3"), "global_step"), ("seed", .string("+1"), "seed"),
        ]
        for (key, value, mention) in cases {
            let f = try resealed(file, "bsnn.training") { $0 = $0.map { $0.key == key ? JSONMember(key, value) : $0 } }
            assertFormat(try load(f), mentions: ["bsnn.training", mention])
        }
        let lr = try resealed(file, "bsnn.training") {
            $0 = $0.map { m in
                guard m.key == "optimizer", case .object(let o) = m.value else { return m }
                return JSONMember("optimizer", .object(o.map { $0.key == "learning_rate" ? JSONMember("learning_rate", .string("-0.01")) : $0 }))
            }
        }
        assertFormat(try load(lr), mentions: ["bsnn.training.optimizer", "learning rate"])
        // A GPN scale that no longer matches the builtin's constants is damage, not a plugin problem.
        let scale = try resealed(file, "bsnn.activation") { $0 = $0.map { $0.key == "scale" ? JSONMember("scale", .string("9.0")) : $0 } }
        assertFormat(try load(scale), mentions: ["bsnn.activation", "GPN constants"])
    }

    func testFileWithoutChecksumNeedsTheUnverifiedOption() throws {
        let model = try smallModel()
        let bytes = try ModelFile.serialize(model, kind: "model").serialized()
        // Rewrite the header without bsnn.checksum, as another tool writing from scratch would.
        let file = try SafeTensorsFile(bytes: bytes, name: "m")
        var header: [JSONMember] = [JSONMember("__metadata__", .object(file.metadata.sorted { $0.key < $1.key }.map { JSONMember($0.key, .string($0.value)) }))]
        var data = [UInt8]()
        for t in file.tensors {
            let begin = data.count
            for v in t.values { withUnsafeBytes(of: v.bitPattern.littleEndian) { data += $0 } }
            header.append(JSONMember(t.name, .object([
                JSONMember("dtype", .string("F32")), JSONMember("shape", .array(t.shape.map { .number(Double($0)) })),
                JSONMember("data_offsets", .array([.number(Double(begin)), .number(Double(data.count))])),
            ])))
        }
        let h = Array(JSONValue.object(header).serialized().utf8)
        var raw = (0..<8).map { UInt8(truncatingIfNeeded: UInt64(h.count) >> (8 * UInt64($0))) } + h + data
        try AtomicFile.write(raw, to: dir + "/plain.safetensors")
        assertFormat(try ModelFile.load(dir + "/plain.safetensors"), mentions: ["plain.safetensors", "bsnn.checksum", "unverified"])
        let loaded = try ModelFile.load(dir + "/plain.safetensors", options: .init(allowUnverified: true))
        XCTAssertEqual(try ModelFile.serialize(loaded, kind: "model").serialized(), bytes, "an unverified load re-saves to the original bytes")
        // A checksum that is present is verified even with the option.
        var sealed = try ModelFile.serialize(model, kind: "model").serialized()
        sealed[sealed.count - 1] ^= 0x10
        try AtomicFile.write(sealed, to: dir + "/flip.safetensors")
        assertFormat(try ModelFile.load(dir + "/flip.safetensors", options: .init(allowUnverified: true)), mentions: ["checksum mismatch"])
        // Unverified really means unprotected (documented): a flipped weight loads.
        raw[raw.count - 1] ^= 0x10
        try AtomicFile.write(raw, to: dir + "/plain.safetensors")
        let damaged = try ModelFile.load(dir + "/plain.safetensors", options: .init(allowUnverified: true))
        XCTAssertNotEqual(try ModelFile.serialize(damaged, kind: "model").serialized(), bytes)
    }

    /// The checksum is over the canonical content: a stock writer's layout (tensors sorted
    /// by name in the buffer, its own JSON formatting) of the same tensors and metadata
    /// still verifies and loads bit-identically.
    func testReorderedLayoutOfTheSameContentVerifies() throws {
        let model = try smallModel()
        let original = try ModelFile.serialize(model, kind: "model")
        let bytes = try original.serialized()
        let parsed = try SafeTensorsFile(bytes: bytes, name: "m")
        var meta = parsed.metadata
        meta["bsnn.checksum"] = try XCTUnwrap(Self.storedChecksum(bytes))
        var header: [JSONMember] = []
        var data = [UInt8]()
        for t in parsed.tensors.sorted(by: { $0.name > $1.name }) {
            let begin = data.count
            for v in t.values { withUnsafeBytes(of: v.bitPattern.littleEndian) { data += $0 } }
            header.append(JSONMember(t.name, .object([
                JSONMember("data_offsets", .array([.number(Double(begin)), .number(Double(data.count))])),
                JSONMember("shape", .array(t.shape.map { .number(Double($0)) })), JSONMember("dtype", .string("F32")),
            ])))
        }
        header.append(JSONMember("__metadata__", .object(meta.sorted { $0.key > $1.key }.map { JSONMember($0.key, .string($0.value)) })))
        let h = Array(("  " + JSONValue.object(header).serialized() + "   ").utf8.dropFirst(2))
        let raw = (0..<8).map { UInt8(truncatingIfNeeded: UInt64(h.count) >> (8 * UInt64($0))) } + h + data
        XCTAssertNotEqual(raw, bytes)
        let reread = try SafeTensorsFile(bytes: raw, name: "stock")
        XCTAssertTrue(reread.hasVerifiedChecksum)
        let loaded = try ModelFile.model(from: reread, name: "stock", expectedKind: "model", options: .init())
        XCTAssertEqual(try ModelFile.serialize(loaded, kind: "model").serialized(), bytes)
    }

    static func storedChecksum(_ bytes: [UInt8]) -> String? {
        let n = (0..<8).reduce(0) { $0 | Int(bytes[$1]) << (8 * $1) }
        return try? JSONParser.parse(Array(bytes[8..<(8 + n)]))["__metadata__"]?["bsnn.checksum"]?.stringValue
    }

    /// Every single-bit flip of the JSON header of a model file and of a checkpoint is
    /// either rejected with FORMAT naming the file, or (where it does not change the
    /// canonical content, e.g. a `\u00e9` escape's hex case) loads as exactly the same
    /// model or trainer: re-saving it gives the original bytes.
    func testEveryHeaderBitFlipIsRejectedOrChangesNothing() throws {
        let model = try smallModel()
        let trainer = try smallTrainer()
        let cases: [(String, [UInt8], ([UInt8]) throws -> [UInt8])] = [
            ("model", try ModelFile.serialize(model, kind: "model").serialized(), { b in
                let f = try SafeTensorsFile(bytes: b, name: "flip.safetensors")
                return try ModelFile.serialize(try ModelFile.model(from: f, name: "flip.safetensors", expectedKind: "model", options: .init()), kind: "model").serialized()
            }),
            ("checkpoint", try Checkpoint.serialize(trainer).serialized(), { b in
                let f = try SafeTensorsFile(bytes: b, name: "flip.safetensors")
                return try Checkpoint.serialize(try Checkpoint.trainer(from: f, name: "flip.safetensors", options: .init())).serialized()
            }),
        ]
        for (what, bytes, reload) in cases {
            XCTAssertEqual(try reload(bytes), bytes, "\(what): unflipped file must round-trip")
            let headerEnd = 8 + (0..<8).reduce(0) { $0 | Int(bytes[$1]) << (8 * $1) }
            var rejected = 0, identical = 0
            for i in 8..<headerEnd {
                for bit in 0..<8 {
                    var flipped = bytes
                    flipped[i] ^= UInt8(1 << bit)
                    do {
                        let again = try reload(flipped)
                        XCTAssertEqual(again, bytes, "\(what): flip of byte \(i) bit \(bit) loaded a different file")
                        identical += 1
                    } catch let e as BSNNError {
                        guard case .format(let m) = e else { XCTFail("\(what): byte \(i) bit \(bit): \(e)"); continue }
                        XCTAssertTrue(m.contains("flip.safetensors"), m)
                        rejected += 1
                    }
                }
            }
            XCTAssertEqual(rejected + identical, (headerEnd - 8) * 8)
            XCTAssertGreaterThan(rejected, (headerEnd - 8) * 8 * 9 / 10, "\(what)")
        }
    }

    /// The red-team's 881 files that came back as INVALID_ARGUMENT, NUMERIC, WRONG_STATE or
    /// PLUGIN, systematically: every leaf of every bsnn record of a checkpoint replaced by
    /// each hostile value, re-sealed with a valid checksum so that it reaches validation.
    /// Each either loads or fails with FORMAT naming the record.
    func testEveryRecordLeafWithAHostileValueLoadsOrIsAFormatError() throws {
        let file = try Checkpoint.serialize(try smallTrainer())
        let hostile: [JSONValue] = [
            .number(-2), .number(0), .number(1e300), .number(0.5), .string(""), .string("nan"), .string("-1"),
            .string("1e309"), .string("18446744073709551616"), .bool(true), .null, .array([]), .object([]),
        ]
        func leaves(_ v: JSONValue, _ path: [String]) -> [[String]] {
            guard case .object(let members) = v else { return [path] }
            return members.flatMap { leaves($0.value, path + [$0.key]) }
        }
        func replacing(_ v: JSONValue, _ path: ArraySlice<String>, with new: JSONValue) -> JSONValue {
            guard let key = path.first, case .object(let members) = v else { return new }
            return .object(members.map { $0.key == key ? JSONMember(key, replacing($0.value, path.dropFirst(), with: new)) : $0 })
        }
        var loaded = 0, rejected = 0
        for key in ["bsnn.architecture", "bsnn.activation", "bsnn.training"] {
            let record = try JSONParser.parse(try XCTUnwrap(file.metadata[key]))
            for path in leaves(record, []) {
                for value in hostile {
                    var f = file
                    f.metadata[key] = replacing(record, path[...], with: value).serialized()
                    let sealed = try SafeTensorsFile(bytes: f.serialized(), name: "h")
                    do {
                        _ = try Checkpoint.trainer(from: sealed, name: "h", options: .init())
                        loaded += 1
                    } catch let e {
                        guard case .format(let m) = e else {
                            XCTFail("\(key).\(path.joined(separator: ".")) = \(value.serialized()): \(e)")
                            continue
                        }
                        XCTAssertTrue(m.hasPrefix("h: ") && m.contains(key), m)
                        rejected += 1
                    }
                }
            }
        }
        XCTAssertGreaterThan(rejected, 300)
        XCTAssertGreaterThan(loaded, 0, "some values are valid (e.g. seed \"-1\" is not, epochs 0 is)")
    }
}
