import Foundation
import XCTest

@testable import BSNN

/// Compiles the example and broken plugins with `cc -shared -fPIC` into a temporary
/// directory, once per test process, so tests exercise real shared libraries built
/// exactly as a plugin author would build them.
enum PluginFixtures {
    static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let directory: URL = {
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("bsnn-plugin-tests-\(getpid())", isDirectory: true)
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }()

    private static let lock = NSLock()
    nonisolated(unsafe) private static var built: [String: String] = [:]

    /// Path of `lib<name>.so` built from `source` (relative to the repository root).
    static func library(_ source: String) throws -> String {
        lock.lock()
        defer { lock.unlock() }
        if let path = built[source] { return path }
        let name = URL(fileURLWithPath: source).deletingPathExtension().lastPathComponent
        let output = directory.appendingPathComponent("lib\(name).so").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "cc", "-shared", "-fPIC", "-O2", "-std=c11",
            "-I", repositoryRoot.appendingPathComponent("include").path,
            "-o", output, repositoryRoot.appendingPathComponent(source).path, "-lm",
        ]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw BSNNError.io("cc failed (\(process.terminationStatus)) for \(source)")
        }
        built[source] = output
        return output
    }

    static func example(_ name: String) throws -> String { try library("examples/plugins/\(name).c") }
    static func broken(_ name: String) throws -> String { try library("Tests/fixtures/broken_plugins/\(name).c") }

    /// The text fixture copied to a `.so` name, so only its content gives it away.
    static func textFileNamedLikeALibrary() throws -> String {
        let source = repositoryRoot.appendingPathComponent("Tests/fixtures/broken_plugins/not_a_library.txt")
        let target = directory.appendingPathComponent("libnot_a_library.so")
        try? FileManager.default.removeItem(at: target)
        try FileManager.default.copyItem(at: source, to: target)
        return target.path
    }
}

/// Asserts that `body` throws a `BSNNError` of the given kind whose message contains
/// every one of `fragments`.
func assertThrowsBSNN(
    _ kind: String, _ fragments: [String], file: StaticString = #filePath, line: UInt = #line,
    _ body: () throws -> Void
) {
    do {
        try body()
        XCTFail("expected a \(kind) error containing \(fragments); nothing was thrown", file: file, line: line)
    } catch let error as BSNNError {
        XCTAssertEqual(error.kind, kind, "\(error)", file: file, line: line)
        for f in fragments {
            XCTAssertTrue(error.message.contains(f), "'\(error.message)' lacks '\(f)'", file: file, line: line)
        }
    } catch {
        XCTFail("unexpected error \(error)", file: file, line: line)
    }
}
