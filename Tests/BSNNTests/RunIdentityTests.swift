import XCTest
@testable import BSNN

/// The run identity kept in checkpoints (IO/RunIdentityRecord.swift) and the name
/// suggestions used for typed names (Support/NameSuggestion.swift).
final class RunIdentityTests: XCTestCase {
    var dir = ""
    override func setUpWithError() throws { dir = try makeTempDirectory() }
    override func tearDown() { removeTree(dir) }

    func data(_ n: Int, shift: Float = 0) throws -> Dataset {
        try Dataset(features: (0..<(n * 3)).map { Float($0) * 0.25 + shift }, labels: (0..<n).map { Int32($0 % 2) },
                    featureCount: 3, classCount: 2)
    }

    func trainer() throws -> Trainer {
        let model = try MLP(MLPConfiguration(inputs: 3, width: 4, depth: 1, outputs: 2, activation: try .builtin("tanh"), seed: 1))
        return try Trainer(model: model, configuration: TrainingConfiguration(epochs: 1, batchSize: 2, seed: 2))
    }

    func testIdentityRoundTripsThroughACheckpointAndIsChecksummed() throws {
        let id = RunIdentity(data: "/data/a \"b\".csv", dataset: try data(5), settings: ["limit": "all", "scaling": "standardize"])
        let path = dir + "/c.ckpt"
        try Checkpoint.save(try trainer(), identity: id, to: path)
        let loaded = try Checkpoint.loadRun(path)
        XCTAssertEqual(loaded.identity, id)
        XCTAssertEqual(loaded.identity?.samples, 5)
        XCTAssertEqual(loaded.identity?.features, 3)
        // The record is metadata covered by bsnn.checksum: one changed byte is refused.
        var bytes = try AtomicFile.read(path)
        let needle = Array("standardize".utf8)
        let at = try XCTUnwrap((0...(bytes.count - needle.count)).first { Array(bytes[$0..<($0 + needle.count)]) == needle })
        bytes[at] = UInt8(ascii: "S")
        try AtomicFile.write(bytes, to: path)
        XCTAssertThrowsError(try Checkpoint.loadRun(path)) { e in
            guard case BSNNError.format(let m) = e else { return XCTFail("\(e)") }
            XCTAssertTrue(m.contains("checksum"), m)
        }
    }

    func testCheckpointsWithoutIdentityStillLoad() throws {
        let path = dir + "/old.ckpt"
        try Checkpoint.save(try trainer(), to: path)
        let loaded = try Checkpoint.loadRun(path)
        XCTAssertNil(loaded.identity)
        XCTAssertEqual(loaded.trainer.globalStep, 0)
    }

    func testMalformedRecordIsAFormatErrorNamingTheKey() throws {
        var file = try Checkpoint.serialize(try trainer())
        file.metadata[RunIdentityRecord.key] = #"{"data":"x","samples":-1,"features":3,"fingerprint":"0","settings":{}}"#
        let sealed = try SafeTensorsFile(bytes: file.serialized(), name: "c")
        XCTAssertThrowsError(try RunIdentityRecord.read(sealed.metadata, file: "c")) { e in
            guard case BSNNError.format(let m) = e else { return XCTFail("\(e)") }
            XCTAssertTrue(m.contains("bsnn.run_identity.samples"), m)
        }
        file.metadata[RunIdentityRecord.key] = #"{"data":"x","samples":1,"features":3,"fingerprint":"0","settings":{},"extra":1}"#
        XCTAssertThrowsError(try RunIdentityRecord.read(file.metadata, file: "c"))
    }

    func testFingerprintSeesFirstAndLastSamplesAndDifferencesAreNamed() throws {
        let a = try data(6)
        XCTAssertEqual(RunIdentity.fingerprint(of: a), RunIdentity.fingerprint(of: try data(6)))
        XCTAssertNotEqual(RunIdentity.fingerprint(of: a), RunIdentity.fingerprint(of: try data(6, shift: 1)))
        // Same first sample, other last sample.
        var f = a.features
        f[f.count - 1] += 1
        let b = try Dataset(features: f, labels: a.labels, featureCount: 3, classCount: 2)
        XCTAssertNotEqual(RunIdentity.fingerprint(of: a), RunIdentity.fingerprint(of: b))

        let recorded = RunIdentity(data: "/d.csv", dataset: a, settings: ["limit": "all"])
        XCTAssertEqual(recorded.differences(from: recorded), [])
        let other = RunIdentity(data: "/e.csv", dataset: try data(4), settings: ["limit": "4"])
        let d = recorded.differences(from: other)
        XCTAssertEqual(d.count, 4, "\(d)")
        XCTAssertTrue(d[0].contains("/e.csv") && d[0].contains("/d.csv"), d[0])
        XCTAssertTrue(d[1].contains("4 samples") && d[1].contains("had 6"), d[1])
        XCTAssertTrue(d[3].contains("limit 4") && d[3].contains("had all"), d[3])
    }

    func testNameSuggestions() {
        let acts = BuiltinActivation.names
        XCTAssertEqual(NameSuggestion.closest(to: "tahn", in: acts), "tanh")  // a swap is one edit
        XCTAssertEqual(NameSuggestion.closest(to: "rleu", in: acts), "relu")
        XCTAssertEqual(NameSuggestion.closest(to: "leaky-relu", in: acts), "leaky_relu")
        XCTAssertEqual(NameSuggestion.closest(to: "trian", in: ["gpn", "probe", "train", "eval"]), "train")
        XCTAssertEqual(NameSuggestion.closest(to: "GELU", in: acts), "gelu")
        XCTAssertNil(NameSuggestion.closest(to: "gelu", in: acts), "a known name needs no suggestion")
        XCTAssertEqual(NameSuggestion.closest(to: "sigmund", in: acts), "sigmoid")
        XCTAssertNil(NameSuggestion.closest(to: "banana", in: acts))
        XCTAssertNil(NameSuggestion.closest(to: String(repeating: "x", count: 10_000), in: acts))
        XCTAssertEqual(NameSuggestion.distance(Array("kitten"), Array("sitting")), 3)
        XCTAssertEqual(NameSuggestion.distance(Array(""), Array("abc")), 3)
    }

    func testActivationNamesAreCaseInsensitiveAndTyposSuggested() throws {
        let a = try BuiltinActivation.make("TanH")
        XCTAssertEqual(a.name, "tanh", "the canonical name is what files record")
        XCTAssertEqual(a.function(0.5), tanh(0.5))
        XCTAssertThrowsError(try BuiltinActivation.make("tahn")) { e in
            XCTAssertEqual(e as? BSNNError, .invalidArgument("activation name 'tahn' is not a builtin; did you mean 'tanh'?"))
        }
        XCTAssertThrowsError(try WeightConstraint.named("row_nrom")) { e in
            XCTAssertTrue("\(e)".contains("did you mean 'row_norm'?"), "\(e)")
        }
    }
}
