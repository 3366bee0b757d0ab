import Foundation
import XCTest

@testable import BSNN

/// Hostile plugins: a crash or hang during validation is reported as an error, and this
/// test process (the host) survives to check it.
final class IsolatedValidationTests: XCTestCase {
    func testGoodPluginGivesTheSameConstantsAsInProcess() throws {
        let path = try PluginFixtures.example("softclip")
        let report = try PluginLibrary.validateIsolated(path: path, name: "softclip", parameters: ["c": 3], timeout: 30)
        XCTAssertEqual(report.plugin, "softclip")
        XCTAssertEqual(report.activation, "softclip")
        let local = try GPNNormalizer.constants(
            for: try PluginLibrary.load(path: path).makeActivation(name: "softclip", parameters: ["c": 3]))
        XCTAssertEqual(report.constants, local)
    }

    func testSegfaultingPluginIsReportedNotFatal() throws {
        let path = try PluginFixtures.broken("segfault")
        assertThrowsBSNN("plugin error", ["crashed with SIGSEGV", path, "segfault"]) {
            _ = try PluginLibrary.validateIsolated(path: path, name: "segfault", timeout: 30)
        }
    }

    func testHangingPluginTimesOut() throws {
        let path = try PluginFixtures.broken("hang")
        let start = Date()
        assertThrowsBSNN("plugin error", ["timed out after 0.5 s", "hang"]) {
            _ = try PluginLibrary.validateIsolated(path: path, name: "hang", timeout: 0.5)
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 10)
    }

    func testOrdinaryErrorsKeepTheirKind() throws {
        assertThrowsBSNN("plugin error", ["no entry point"]) {
            _ = try PluginLibrary.validateIsolated(path: try PluginFixtures.broken("no_entry"), name: "x")
        }
        assertThrowsBSNN("numeric failure", []) {
            _ = try PluginLibrary.validateIsolated(path: try PluginFixtures.broken("constant"), name: "constant")
        }
        assertThrowsBSNN("invalid argument", ["has no activation 'nope'"]) {
            _ = try PluginLibrary.validateIsolated(path: try PluginFixtures.example("softclip"), name: "nope")
        }
        for bad in [0, -1, Double.nan, .infinity] {
            assertThrowsBSNN("invalid argument", ["timeout"]) {
                _ = try PluginLibrary.validateIsolated(path: "/nonexistent", name: "x", timeout: bad)
            }
        }
    }
}
