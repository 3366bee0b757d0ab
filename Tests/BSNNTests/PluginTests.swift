import Foundation
import XCTest

@testable import BSNN

final class PluginTests: XCTestCase {
    func testSoftclipLoadsAndDescribesItself() throws {
        let plugin = try PluginLibrary.load(path: try PluginFixtures.example("softclip"))
        XCTAssertEqual(plugin.name, "softclip")
        XCTAssertEqual(plugin.version, "1.0.0")
        XCTAssertEqual(plugin.abiMajor, 1)
        XCTAssertEqual(plugin.activations.map(\.name), ["softclip"])
        let info = try XCTUnwrap(plugin.activation(named: "softclip"))
        XCTAssertEqual(info.parameterNames, ["c"])
        XCTAssertEqual(info.parameterDefaults, [2.0])
        XCTAssertTrue(info.flags.isSuperset(of: [.pure, .threadSafe, .hasDerivative, .hasVectorized]))
        XCTAssertTrue(info.hasAnalyticDerivative && info.hasVectorizedForward && info.hasVectorizedDerivative)
        XCTAssertFalse(info.description.isEmpty)
    }

    func testSoftclipMatchesClosedForm() throws {
        let plugin = try PluginLibrary.load(path: try PluginFixtures.example("softclip"))
        for c in [2.0, 3.0] {
            let act = try plugin.makeActivation(name: "softclip", parameters: c == 2 ? [:] : ["c": c])
            XCTAssertEqual(act.parameter("c"), c)
            XCTAssertEqual(act.source, .plugin(path: plugin.path, plugin: "softclip"))
            XCTAssertTrue(act.hasAnalyticDerivative)
            for x in stride(from: -8.0, through: 8.0, by: 0.37) {
                XCTAssertEqual(act(x), c * tanh(x / c), accuracy: 1e-15)
                let t = tanh(x / c)
                XCTAssertEqual(act.derivative(x), 1 - t * t, accuracy: 1e-15)
            }
            let xs: [Float] = stride(from: -6.0, through: 6.0, by: 0.01).map { Float($0) }
            var value = [Float](repeating: 0, count: xs.count)
            var slope = [Float](repeating: 0, count: xs.count)
            xs.withUnsafeBufferPointer { xb in
                value.withUnsafeMutableBufferPointer { vb in
                    slope.withUnsafeMutableBufferPointer { sb in
                        act.evaluate(xb, scale: 1.5, shift: -0.25, value: vb, derivative: sb)
                    }
                }
            }
            for (i, x) in xs.enumerated() {
                let t = tanh(Double(x) / c)
                XCTAssertEqual(Double(value[i]), 1.5 * c * t - 0.25, accuracy: 2e-6)
                XCTAssertEqual(Double(slope[i]), 1.5 * (1 - t * t), accuracy: 2e-6)
            }
        }
    }

    func testKinkedHasBreakpointAndNumericDerivative() throws {
        let plugin = try PluginLibrary.load(path: try PluginFixtures.example("kinked"))
        XCTAssertEqual(plugin.name, "kinked")
        let info = try XCTUnwrap(plugin.activation(named: "hinge"))
        XCTAssertEqual(info.breakpoints, [0.5])
        XCTAssertFalse(info.hasAnalyticDerivative)
        let act = try plugin.makeActivation(name: "hinge", parameters: ["slope": 0.1])
        XCTAssertEqual(act.breakpoints, [0.5])
        XCTAssertFalse(act.hasAnalyticDerivative)
        XCTAssertEqual(act(-1), -1)
        XCTAssertEqual(act(2.5), 0.5 + 0.1 * 2, accuracy: 1e-15)
        XCTAssertEqual(act.derivative(-2), 1, accuracy: 1e-9)
        XCTAssertEqual(act.derivative(3), 0.1, accuracy: 1e-9)
        let xs: [Float] = [-3, 0, 0.4, 0.6, 4]
        var value = [Float](repeating: 0, count: xs.count)
        var slope = [Float](repeating: 0, count: xs.count)
        xs.withUnsafeBufferPointer { xb in
            value.withUnsafeMutableBufferPointer { vb in
                slope.withUnsafeMutableBufferPointer { sb in
                    act.evaluate(xb, scale: 2, shift: 1, value: vb, derivative: sb)
                }
            }
        }
        XCTAssertEqual(value, [-5, 1, 1.8, Float(2 * (0.5 + 0.1 * 0.1) + 1), Float(2 * (0.5 + 0.1 * 3.5) + 1)])
        for (got, want) in zip(slope, [2, 2, 2, 0.2, 0.2] as [Float]) { XCTAssertEqual(got, want, accuracy: 1e-5) }
    }

    func testParameterErrors() throws {
        let plugin = try PluginLibrary.load(path: try PluginFixtures.example("softclip"))
        assertThrowsBSNN("invalid argument", ["'gain'", "c"]) {
            _ = try plugin.makeActivation(name: "softclip", parameters: ["gain": 1])
        }
        assertThrowsBSNN("invalid argument", ["'c'", "nan"]) {
            _ = try plugin.makeActivation(name: "softclip", parameters: ["c": .nan])
        }
        assertThrowsBSNN("invalid argument", ["'nope'", "'softclip'"]) {
            _ = try plugin.makeActivation(name: "nope")
        }
        // c = 0 divides by zero inside the plugin: NaN is caught with its x.
        assertThrowsBSNN("plugin error", ["x = ", "softclip"]) {
            _ = try plugin.makeActivation(name: "softclip", parameters: ["c": 0])
        }
    }

    func testLoadingTwiceAndLifetime() throws {
        let path = try PluginFixtures.example("softclip")
        var first: PluginLibrary? = try PluginLibrary.load(path: path)
        let second = try PluginLibrary.load(path: path)
        let a = try XCTUnwrap(first).makeActivation(name: "softclip")
        first = nil  // `a` still holds the library through its owner
        XCTAssertNil(first)
        let b = try second.makeActivation(name: "softclip", parameters: ["c": 1])
        XCTAssertEqual(a(1), 2 * tanh(0.5), accuracy: 1e-15)
        XCTAssertEqual(b(1), tanh(1), accuracy: 1e-15)
        // The closure alone keeps the code mapped too.
        let f = try PluginLibrary.load(path: path).makeActivation(name: "softclip").function
        XCTAssertEqual(f(0.5), 2 * tanh(0.25), accuracy: 1e-15)
    }

    func testNewerMinorPluginIsAccepted() throws {
        let plugin = try PluginLibrary.load(path: try PluginFixtures.broken("newer_minor"))
        XCTAssertEqual(plugin.abiMinor, 7)
        XCTAssertEqual(plugin.activations.map(\.name), ["a", "b"])
        XCTAssertEqual(plugin.activation(named: "a")?.flags, [.pure])  // unknown bit 20 dropped
        XCTAssertEqual(try plugin.makeActivation(name: "b")(1.5), 3)
    }

    func testBrokenPluginsAreRejectedWithTheReason() throws {
        let cases: [(String, String, [String])] = [
            ("no_entry", "plugin error", ["bsnn_plugin_entry", "no entry point"]),
            ("wrong_abi_major", "plugin error", ["ABI 2.0", "major 1"]),
            ("null_function", "plugin error", ["'nothing'", "function is NULL"]),
            ("duplicate_names", "plugin error", ["duplicate activation name 'twin'"]),
            ("returns_null", "plugin error", ["returned NULL"]),
            ("small_struct", "plugin error", ["struct_size is 16", "at least 48"]),
            ("null_param_arrays", "plugin error", ["param_count is 2", "NULL"]),
            ("nonfinite_default", "plugin error", ["'k'", "inf"]),
            ("nonfinite_breakpoint", "plugin error", ["breakpoints[0]", "nan"]),
            ("not_pure", "plugin error", ["BSNN_PLUGIN_PURE"]),
        ]
        for (name, kind, fragments) in cases {
            let path = try PluginFixtures.broken(name)
            assertThrowsBSNN(kind, fragments + [path]) { _ = try PluginLibrary.load(path: path) }
        }
        let nan = try PluginLibrary.load(path: try PluginFixtures.broken("nan_returning"))
        assertThrowsBSNN("plugin error", ["nan", "x = 3.03125"]) { _ = try nan.makeActivation(name: "nan") }
        let wrong = try PluginLibrary.load(path: try PluginFixtures.broken("wrong_derivative"))
        assertThrowsBSNN("plugin error", ["derivative", "central differences"]) {
            _ = try wrong.makeActivation(name: "id")
        }
    }

    func testNotALibrary() throws {
        let text = try PluginFixtures.textFileNamedLikeALibrary()
        // dlerror's own words ("invalid ELF header" or similar) are part of the message.
        assertThrowsBSNN("plugin error", ["cannot load '\(text)' as a shared library", "ELF"]) {
            _ = try PluginLibrary.load(path: text)
        }
        assertThrowsBSNN("plugin error", ["/nonexistent/libx.so", "No such file"]) {
            _ = try PluginLibrary.load(path: "/nonexistent/libx.so")
        }
        assertThrowsBSNN("invalid argument", ["empty"]) { _ = try PluginLibrary.load(path: "") }
    }

    /// Constant and exp(x²) are structurally valid plugins with finite values on the
    /// grid; refusing them is the GPN normalizer's job (moments degenerate / divergent).
    func testDegenerateFunctionsPassTheStructuralChecks() throws {
        let constant = try PluginLibrary.load(path: try PluginFixtures.broken("constant"))
        XCTAssertEqual(try constant.makeActivation(name: "constant")(5), 1)
        let divergent = try PluginLibrary.load(path: try PluginFixtures.broken("divergent"))
        XCTAssertEqual(try divergent.makeActivation(name: "expsq")(1), M_E, accuracy: 1e-15)
    }

    /// An activation without BSNN_PLUGIN_THREAD_SAFE ("b" of the newer-minor fixture)
    /// goes through the library's lock; a thread-safe one (softclip) does not. Both
    /// must give the right values when hammered from several threads.
    func testConcurrentCalls() throws {
        let locked = try PluginLibrary.load(path: try PluginFixtures.broken("newer_minor")).makeActivation(name: "b")
        let free = try PluginLibrary.load(path: try PluginFixtures.example("softclip")).makeActivation(name: "softclip")
        let errors = NSLock()
        var bad = 0
        DispatchQueue.concurrentPerform(iterations: 8) { t in
            var wrong = 0
            let xs = (0..<256).map { Float(t) + Float($0) / 256 }
            var ys = [Float](repeating: 0, count: xs.count)
            for _ in 0..<50 {
                xs.withUnsafeBufferPointer { xb in
                    ys.withUnsafeMutableBufferPointer { locked.evaluate(xb, value: $0, derivative: nil) }
                }
                for (x, y) in zip(xs, ys) where y != 2 * x { wrong += 1 }
                if free(Double(t)) != 2 * tanh(Double(t) / 2) { wrong += 1 }
            }
            errors.lock()
            bad += wrong
            errors.unlock()
        }
        XCTAssertEqual(bad, 0)
    }

    /// Issue 13 item 4: two loads of one library image share one lock.
    func testLoadsOfOneImageShareTheirLock() throws {
        let path = try PluginFixtures.broken("counts_overlaps")
        let a = try PluginLibrary.load(path: path), b = try PluginLibrary.load(path: path)
        XCTAssertTrue(a.lock === b.lock)
        let other = try PluginLibrary.load(path: try PluginFixtures.example("softclip"))
        XCTAssertFalse(a.lock === other.lock)
    }

    /// In-place evaluation (value aliasing x) equals out-of-place evaluation, for a
    /// plugin with forward_f32 and a foreign function (derivatives used to be taken at φ(x)).
    func testInPlaceEvaluationMatchesOutOfPlace() throws {
        let plugin = try PluginLibrary.load(path: try PluginFixtures.example("softclip")).makeActivation(name: "softclip")
        let foreign = try ForeignActivation.make(library: "libm.so.6", symbol: "erf", signature: "double(double)")
        for activation in [plugin, foreign] {
            let x: [Float] = (0..<9).map { -2 + 0.5 * Float($0) }
            var value = [Float](repeating: 0, count: 9), slope = value, slopeInPlace = value
            x.withUnsafeBufferPointer { xb in
                value.withUnsafeMutableBufferPointer { v in
                    slope.withUnsafeMutableBufferPointer { d in activation.evaluate(xb, value: v, derivative: d) }
                }
            }
            var inPlace = x
            inPlace.withUnsafeMutableBufferPointer { buffer in
                slopeInPlace.withUnsafeMutableBufferPointer { d in
                    activation.evaluate(UnsafeBufferPointer(buffer), value: buffer, derivative: d)
                }
            }
            XCTAssertEqual(inPlace, value, activation.name)
            XCTAssertEqual(slopeInPlace, slope, activation.name)
        }
    }
}
