import Foundation
import XCTest

@testable import BSNN
import BSNNFuzzing

/// Replays every input under fuzz/regressions/<target>/ (minimized crashes found by the
/// libFuzzer targets, plus hand-written edge cases) and the seed corpus through the
/// fuzz targets' own bodies. Each must return normally; a trap kills this process.
final class FuzzRegressionTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    private func replay(_ target: String, _ body: ([UInt8]) -> Bool) throws {
        var count = 0
        for folder in ["fuzz/regressions/\(target)", "fuzz/corpus/\(target)"] {
            let dir = Self.root.appendingPathComponent(folder)
            let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
            for name in names.sorted() where !name.hasPrefix(".") {
                let bytes = [UInt8](try Data(contentsOf: dir.appendingPathComponent(name)))
                XCTAssertTrue(body(bytes), "\(folder)/\(name): invariant failed")
                count += 1
            }
        }
        XCTAssertGreaterThan(count, 0, "no inputs for \(target)")
    }

    func testSafeTensorsRegressions() throws { try replay("safetensors", FuzzEntryPoints.safetensors) }
    func testIDXRegressions() throws { try replay("idx", FuzzEntryPoints.idx) }
    func testCSVRegressions() throws { try replay("csv", FuzzEntryPoints.csv) }
    func testSignatureRegressions() throws { try replay("signature", FuzzEntryPoints.signature) }

    // MARK: - Crashes found by the fuzzers, one named test each

    /// fuzz-idx, found 2026-11-23 after ~24k executions: an IDX file of 0 samples with
    /// dimensions [0, 2, 2839478272, 50331648] (20 bytes) parsed fine (no pixels to check),
    /// and building a data set from it allocated the scaler's per-feature arrays for
    /// 2.9·10¹⁷ features: ASan allocation-size-too-big, a crash without it.
    func testEmptyIDXWithHugeSampleShapeIsAnError() throws {
        let bytes = [UInt8](try Data(contentsOf: Self.root.appendingPathComponent("fuzz/regressions/idx/empty-sample-set-huge-shape.idx")))
        let images = try IDXReader.read(bytes: bytes, name: "images")
        XCTAssertEqual(images.dimensions, [0, 2, 2_839_478_272, 50_331_648])
        let labels = try IDXReader.read(bytes: [0, 0, 8, 1, 0, 0, 0, 0], name: "labels")
        for scaling in [FeatureScaling.unitInterval, .standardize, .none] {
            assertThrowsBSNN("bad file format", ["at least one sample"]) {
                _ = try Dataset.fromIDX(images: images, labels: labels, scaling: scaling)
            }
        }
        let small = try IDXReader.read(bytes: [0, 0, 8, 2, 0, 0, 0, 1, 0, 0, 0, 2, 7, 9], name: "small")
        let one = try IDXReader.read(bytes: [0, 0, 8, 1, 0, 0, 0, 1, 0], name: "one")
        assertThrowsBSNN("invalid argument", ["limit"]) { _ = try Dataset.fromIDX(images: small, labels: one, limit: 0) }
        XCTAssertEqual(try Dataset.fromIDX(images: small, labels: one).count, 1)
    }

    /// Issue 12 item 1 (red-team pass): `architecture.depth = -2` and no tensors passed the
    /// tensor-count check and trapped in a `0...(depth + 1)` range. The input is replayed
    /// by the safetensors target's body (unverified as it is, and re-sealed with a valid
    /// checksum), whose invariant now also requires every loader failure to be FORMAT.
    func testNegativeDepthWithoutTensorsReachesValidation() throws {
        let bytes = [UInt8](try Data(contentsOf: Self.root.appendingPathComponent("fuzz/regressions/safetensors/negative-depth-no-tensors.safetensors")))
        XCTAssertTrue(FuzzEntryPoints.safetensors(bytes))
        let file = try SafeTensorsFile(bytes: bytes, name: "negative-depth")
        XCTAssertFalse(file.hasVerifiedChecksum)
        assertThrowsBSNN("bad file format", ["bsnn.checksum", "unverified"]) {
            _ = try ModelFile.model(from: file, name: "negative-depth", expectedKind: "model", options: .init())
        }
        assertThrowsBSNN("bad file format", ["bsnn.architecture.depth", "-2"]) {
            _ = try ModelFile.model(from: file, name: "negative-depth", expectedKind: "model", options: .init(allowUnverified: true))
        }
    }

    /// Issue 12 item 6: the idx body checks that gzip inflation stops at the header plus
    /// the samples kept; the bomb seeds exercise both the limited and the full read.
    func testGzipBombSeedsAreBounded() throws {
        let dir = Self.root.appendingPathComponent("fuzz/corpus/idx")
        let bomb = [UInt8](try Data(contentsOf: dir.appendingPathComponent("bomb.idx.gz")))
        let (few, inflated) = try IDXReader.readCounting(bytes: bomb, name: "bomb", limit: 3)
        XCTAssertEqual(few.dimensions, [3, 32, 32])
        XCTAssertLessThanOrEqual(inflated, 16 + 3 * 1024 + Gzip.chunkSize)
        let lie = [UInt8](try Data(contentsOf: dir.appendingPathComponent("bomb-longer-than-declared.idx.gz")))
        assertThrowsBSNN("bad file format", ["declares"]) { _ = try IDXReader.read(bytes: lie, name: "lie") }
        XCTAssertEqual(try IDXReader.read(bytes: lie, name: "lie", limit: 5).dimensions, [5, 32, 32])
    }

    /// Found while fixing the above: the size checks of `Dataset.init` multiplied
    /// without overflow checks, so a huge featureCount / targetCount trapped.
    func testDatasetSizeProductsDoNotTrap() {
        assertThrowsBSNN("shape mismatch", ["features"]) {
            _ = try Dataset(features: [1, 2], labels: [0, 0], featureCount: Int.max, classCount: 1)
        }
        assertThrowsBSNN("shape mismatch", ["targets"]) {
            _ = try Dataset(features: [1, 2], targets: [1], featureCount: 1, targetCount: Int.max)
        }
    }
}
