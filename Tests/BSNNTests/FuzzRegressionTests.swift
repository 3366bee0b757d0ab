import Foundation
import XCTest

@testable import BSNN

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
}
