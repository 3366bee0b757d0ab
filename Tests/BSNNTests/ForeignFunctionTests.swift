import Foundation
import XCTest

@testable import BSNN

final class ForeignFunctionTests: XCTestCase {
    let grid = stride(from: -10.0, through: 10.0, by: 0.0137).map { $0 }

    func testLibmTanhDirect() throws {
        let act = try ForeignActivation.make(library: "libm.so.6", symbol: "tanh", signature: "double(double)")
        XCTAssertEqual(act.source, .foreign(library: "libm.so.6", symbol: "tanh", signature: "double(double)"))
        XCTAssertTrue(ForeignActivation.isDirectlyDispatched(try ForeignSignature.parse("double(double)")))
        for x in grid { XCTAssertEqual(act(x), tanh(x)) }
        for x in stride(from: -5.0, through: 5.0, by: 0.25) {
            let t = tanh(x)
            XCTAssertEqual(act.derivative(x), 1 - t * t, accuracy: 1e-9)
        }
    }

    func testErfViaFFIEqualsDirectBitForBit() throws {
        let direct = try ForeignActivation.make(library: "libm.so.6", symbol: "erf", signature: "double(double)")
        let ffi = try ForeignActivation.make(
            library: "libm.so.6", symbol: "erf", signature: "double(double)", dispatch: .ffi)
        for x in grid { XCTAssertEqual(direct(x).bitPattern, ffi(x).bitPattern, "x = \(x)") }
        let xs = grid.map { Float($0) }
        var a = [Float](repeating: 0, count: xs.count), b = a
        xs.withUnsafeBufferPointer { xb in
            a.withUnsafeMutableBufferPointer { direct.evaluate(xb, scale: 1.25, shift: 0.5, value: $0, derivative: nil) }
            b.withUnsafeMutableBufferPointer { ffi.evaluate(xb, scale: 1.25, shift: 0.5, value: $0, derivative: nil) }
        }
        XCTAssertEqual(a, b)
    }

    func testPowWithBoundExponent() throws {
        for dispatch in [ForeignDispatch.automatic, .ffi] {
            let cube = try ForeignActivation.make(
                library: "libm.so.6", symbol: "pow", signature: "double(double, double)", boundParameters: [3],
                dispatch: dispatch)
            XCTAssertEqual(cube.parameters, [ActivationParameter(name: "arg1", value: 3)])
            XCTAssertEqual(cube.source, .foreign(library: "libm.so.6", symbol: "pow", signature: "double(double,double)"))
            for x in grid { XCTAssertEqual(cube(x), x * x * x, accuracy: 1e-15 * max(1, abs(x * x * x))) }
        }
    }

    func testFloatSignatures() throws {
        let direct = try ForeignActivation.make(library: "libm.so.6", symbol: "tanhf", signature: "float(float)")
        let ffi = try ForeignActivation.make(
            library: "libm.so.6", symbol: "tanhf", signature: "float(float)", dispatch: .ffi)
        // A mixed signature only the ffi path can call: powf(x, 2) via float(float,float).
        let square = try ForeignActivation.make(
            library: "libm.so.6", symbol: "powf", signature: "float(float,float)", boundParameters: [2])
        XCTAssertFalse(ForeignActivation.isDirectlyDispatched(try ForeignSignature.parse("float(float,float)")))
        for x in grid {
            XCTAssertEqual(direct(x), Double(tanhf(Float(x))))
            XCTAssertEqual(ffi(x).bitPattern, direct(x).bitPattern)
            XCTAssertEqual(square(x), Double(Float(x) * Float(x)), accuracy: 1e-6 * max(1, x * x))
        }
    }

    func testSignatureGrammar() throws {
        let ok = try ForeignSignature.parse("  double ( double ,float )  ")
        XCTAssertEqual(ok.returnType, .double)
        XCTAssertEqual(ok.argumentTypes, [.double, .float])
        XCTAssertEqual(ok.description, "double(double,float)")
        XCTAssertEqual(ok.boundCount, 1)
        let bad: [(String, String)] = [
            ("double(", "position 8"),
            ("int(double)", "'int' at position 1"),
            ("double(int)", "'int' at position 8"),
            ("double()", "position 8"),
            ("double(double", "position 14"),
            ("double(double,)", "position 15"),
            ("double(double))", "position 15"),
            ("double double", "position 8"),
            ("", "position 1"),
            ("(double)", "position 1"),
        ]
        for (text, fragment) in bad {
            assertThrowsBSNN("invalid argument", [fragment]) { _ = try ForeignSignature.parse(text) }
        }
    }

    func testMakeRejectsBadInput() throws {
        assertThrowsBSNN("invalid argument", ["binds 1", "got 0"]) {
            _ = try ForeignActivation.make(library: "libm.so.6", symbol: "pow", signature: "double(double,double)")
        }
        assertThrowsBSNN("invalid argument", ["binds 0", "got 1"]) {
            _ = try ForeignActivation.make(
                library: "libm.so.6", symbol: "tanh", signature: "double(double)", boundParameters: [1])
        }
        assertThrowsBSNN("invalid argument", ["arg1", "inf"]) {
            _ = try ForeignActivation.make(
                library: "libm.so.6", symbol: "pow", signature: "double(double,double)", boundParameters: [.infinity])
        }
        assertThrowsBSNN("invalid argument", ["'int' at position 1"]) {
            _ = try ForeignActivation.make(library: "libm.so.6", symbol: "tanh", signature: "int(double)")
        }
        assertThrowsBSNN("plugin error", ["no symbol 'no_such_function'", "libm.so.6"]) {
            _ = try ForeignActivation.make(library: "libm.so.6", symbol: "no_such_function", signature: "double(double)")
        }
        assertThrowsBSNN("plugin error", ["libdoesnotexist.so.9"]) {
            _ = try ForeignActivation.make(library: "libdoesnotexist.so.9", symbol: "f", signature: "double(double)")
        }
        // log is NaN for x < 0: rejected with the first offending x.
        assertThrowsBSNN("plugin error", ["'log'", "x = -14"]) {
            _ = try ForeignActivation.make(library: "libm.so.6", symbol: "log", signature: "double(double)")
        }
    }
}
