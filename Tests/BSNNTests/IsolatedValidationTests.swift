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

    // MARK: Children that do not play by the rules (issue 12 item 2)

    /// A temporary file the fork fixtures write their forked process's id to.
    func withPIDFile(_ body: (String) throws -> Void) throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("bsnn-pid-\(UUID().uuidString)").path
        setenv("BSNN_TEST_PID_FILE", file, 1)
        defer { unsetenv("BSNN_TEST_PID_FILE"); unlink(file) }
        try body(file)
    }

    func forkedPID(_ file: String) -> pid_t? {
        (try? String(contentsOfFile: file, encoding: .utf8)).flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// Gone, or a zombie (killed; its new parent has not reaped it yet). Waits for the
    /// kill to land, up to 10 s; the result, not the time, is what is checked.
    func hasEnded(_ pid: pid_t) -> Bool {
        for _ in 0..<1000 {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
            if let close = stat.lastIndex(of: ")") {
                let state = stat[stat.index(close, offsetBy: 2)]
                if state == "Z" || state == "X" { return true }
            }
            usleep(10_000)
        }
        return false
    }

    func testChildThatClosesItsOutputAndRunsOnIsKilledAtTheDeadline() throws {
        let path = try PluginFixtures.broken("closes_output")
        assertThrowsBSNN("plugin error", ["timed out after 0.3 s", "closes_output"]) {
            _ = try PluginLibrary.validateIsolated(path: path, name: "closes_output", timeout: 0.3)
        }
    }

    func testProcessForkedByThePluginDoesNotOutliveValidation() throws {
        let path = try PluginFixtures.broken("forks_lingering")
        try withPIDFile { file in
            let report = try PluginLibrary.validateIsolated(path: path, name: "forks_lingering", timeout: 30)
            XCTAssertGreaterThan(report.constants.a, 0)
            let pid = try XCTUnwrap(forkedPID(file))
            XCTAssertTrue(hasEnded(pid), "process \(pid) forked by the plugin is still running")
        }
    }

    func testCrashAfterForkingIsACrashNotATimeOut() throws {
        let path = try PluginFixtures.broken("crashes_after_fork")
        try withPIDFile { file in
            assertThrowsBSNN("plugin error", ["crashed with SIGSEGV"]) {
                _ = try PluginLibrary.validateIsolated(path: path, name: "crashes_after_fork", timeout: 30)
            }
            let pid = try XCTUnwrap(forkedPID(file))
            XCTAssertTrue(hasEnded(pid))
        }
    }

    func testPluginCallingExitIsAnEarlyExit() throws {
        let path = try PluginFixtures.broken("calls_exit")
        assertThrowsBSNN("plugin error", ["exited with status 0 without a result"]) {
            _ = try PluginLibrary.validateIsolated(path: path, name: "calls_exit", timeout: 30)
        }
    }

    func testHostIgnoringSIGCHLDStillGetsTheRightReasons() throws {
        // Built before SIGCHLD is ignored: the fixture build waits for cc.
        let segfault = try PluginFixtures.broken("segfault"), exits = try PluginFixtures.broken("calls_exit")
        let good = try PluginFixtures.example("softclip")
        let previous = signal(SIGCHLD, SIG_IGN)
        defer { signal(SIGCHLD, previous) }
        assertThrowsBSNN("plugin error", ["crashed with SIGSEGV"]) {
            _ = try PluginLibrary.validateIsolated(path: segfault, name: "segfault", timeout: 30)
        }
        assertThrowsBSNN("plugin error", ["without a result"]) {
            _ = try PluginLibrary.validateIsolated(path: exits, name: "calls_exit", timeout: 30)
        }
        let report = try PluginLibrary.validateIsolated(path: good, name: "softclip", timeout: 30)
        XCTAssertEqual(report.plugin, "softclip")
    }

    // MARK: Foreign functions (issue 12 item 11)

    func testDataSymbolDeclaredAsFunctionCrashesOnlyTheChild() throws {
        assertThrowsBSNN("plugin error", ["crashed with SIG", "environ"]) {
            _ = try ForeignActivation.validateIsolated(library: "libc.so.6", symbol: "environ", signature: "double(double)", timeout: 30)
        }
    }

    func testForeignIsolatedGivesTheInProcessConstants() throws {
        let report = try ForeignActivation.validateIsolated(library: "libm.so.6", symbol: "erf", signature: "double(double)", timeout: 30)
        let local = try GPNNormalizer.constants(
            for: try ForeignActivation.make(library: "libm.so.6", symbol: "erf", signature: "double(double)"))
        XCTAssertEqual(report.constants, local)
        XCTAssertEqual(report.plugin, "libm.so.6")
        assertThrowsBSNN("invalid argument", []) {
            _ = try ForeignActivation.validateIsolated(library: "libm.so.6", symbol: "erf", signature: "double(")
        }
        assertThrowsBSNN("plugin error", ["no_such_symbol"]) {
            _ = try ForeignActivation.validateIsolated(library: "libm.so.6", symbol: "no_such_symbol", signature: "double(double)", timeout: 30)
        }
    }
}
