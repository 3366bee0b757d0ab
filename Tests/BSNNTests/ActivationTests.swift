import XCTest

@testable import BSNN

#if canImport(Glibc)
import Glibc
#endif

final class ActivationTests: XCTestCase {
    func testNamesAndDefaults() throws {
        XCTAssertEqual(
            BuiltinActivation.names,
            ["tanh", "relu", "leaky_relu", "elu", "selu", "gelu", "gelu_erf", "sigmoid", "softplus",
             "silu", "identity"])
        for name in BuiltinActivation.names {
            let act = try BuiltinActivation.make(name)
            XCTAssertEqual(act.name, name)
            XCTAssertEqual(act.source, .builtin)
            XCTAssertTrue(act.hasAnalyticDerivative)
            XCTAssertNotNil(act.batchKernel)
        }
        let selu = try BuiltinActivation.make("selu", parameters: ["alpha": 1.5])
        XCTAssertEqual(
            selu.parameters,
            [ActivationParameter(name: "lambda", value: 1.0507009873554804934193349852946),
             ActivationParameter(name: "alpha", value: 1.5)])
        XCTAssertEqual(try BuiltinActivation.make("leaky_relu").parameter("slope"), 0.01)
        XCTAssertEqual(try BuiltinActivation.make("elu").parameter("alpha"), 1)
        XCTAssertEqual(try BuiltinActivation.make("relu").breakpoints, [0])
        XCTAssertEqual(try BuiltinActivation.make("tanh").breakpoints, [])
        XCTAssertEqual(try BuiltinActivation.make("leaky_relu", parameters: ["slope": 0.2])(-2), -0.4)
    }

    func testInvalidArgumentsNameTheCulprit() {
        func message(_ body: () throws -> Activation) -> String? {
            do {
                _ = try body()
                return nil
            } catch let error as BSNNError {
                guard case .invalidArgument(let m) = error else { return "wrong kind: \(error)" }
                return m
            } catch { return "wrong type: \(error)" }
        }
        let unknown = message { try BuiltinActivation.make("swish") }
        XCTAssertTrue(unknown?.contains("'swish'") == true && unknown?.contains("gelu_erf") == true, unknown ?? "")
        let param = message { try BuiltinActivation.make("elu", parameters: ["beta": 1]) }
        XCTAssertTrue(param?.contains("'beta'") == true && param?.contains("alpha") == true, param ?? "")
        let none = message { try BuiltinActivation.make("tanh", parameters: ["slope": 1]) }
        XCTAssertTrue(none?.contains("no parameters") == true, none ?? "")
        let nan = message { try BuiltinActivation.make("leaky_relu", parameters: ["slope": .nan]) }
        XCTAssertTrue(nan?.contains("'slope'") == true && nan?.contains("nan") == true, nan ?? "")
        XCTAssertNotNil(message { try BuiltinActivation.make("selu", parameters: ["lambda": .infinity]) })
    }

    /// Max of |kernel − exact| / max(1, |exact|) over a dense grid in [-20, 20].
    private func kernelError(_ act: Activation, scale: Float, shift: Float, derivative: Bool)
        -> (value: Double, derivative: Double)
    {
        // Dyadic grid plus small offsets so not every point is exactly representable.
        var xs: [Float] = []
        for i in -20 * 1024...20 * 1024 {
            let offset = Float(i % 7) * 1e-4
            xs.append(Float(i) / 1024 + offset)
        }
        var v = [Float](repeating: 0, count: xs.count)
        var d = [Float](repeating: .nan, count: xs.count)
        xs.withUnsafeBufferPointer { xb in
            v.withUnsafeMutableBufferPointer { vb in
                d.withUnsafeMutableBufferPointer { db in
                    act.evaluate(xb, scale: scale, shift: shift, value: vb, derivative: derivative ? db : nil)
                }
            }
        }
        var ev = 0.0, ed = 0.0
        for (i, xf) in xs.enumerated() {
            let x = Double(xf)
            let rv = Double(scale) * act.function(x) + Double(shift)
            ev = max(ev, abs(Double(v[i]) - rv) / max(1, abs(rv)))
            if derivative {
                let rd = Double(scale) * act.derivative(x)
                ed = max(ed, abs(Double(d[i]) - rd) / max(1, abs(rd)))
            } else {
                XCTAssertTrue(d[i].isNaN, "derivative buffer written although nil was passed")
            }
        }
        return (ev, ed)
    }

    /// The accuracy stated in BuiltinKernels: 2e-6·max(1, |exact|).
    func testFloatKernelsMatchDoubleClosures() throws {
        for name in BuiltinActivation.names {
            let act = try BuiltinActivation.make(name)
            let e = kernelError(act, scale: 1, shift: 0, derivative: true)
            print("kernel \(name): value err \(e.value), derivative err \(e.derivative)")
            XCTAssertLessThan(e.value, 2e-6, name)
            XCTAssertLessThan(e.derivative, 2e-6, name)
            let s = kernelError(act, scale: 1.75, shift: -0.375, derivative: true)
            XCTAssertLessThan(s.value, 4e-6, "\(name) with scale/shift")
            XCTAssertLessThan(s.derivative, 4e-6, "\(name) with scale/shift")
            let n = kernelError(act, scale: 0.5, shift: 0.25, derivative: false)
            XCTAssertLessThan(n.value, 2e-6, "\(name) without derivative")
        }
        for (name, params) in [("elu", ["alpha": 0.5]), ("leaky_relu", ["slope": 0.3]),
                               ("selu", ["lambda": 2, "alpha": 0.7])] {
            let act = try BuiltinActivation.make(name, parameters: params)
            let e = kernelError(act, scale: 1, shift: 0, derivative: true)
            XCTAssertLessThan(max(e.value, e.derivative), 2e-6, "\(name) \(params)")
        }
    }

    func testFastExpf() {
        var worst: Float = 0
        for i in -87 * 256...88 * 256 {
            let x = Float(i) / 256
            let r = Glibc.exp(Double(x))
            worst = max(worst, Float(abs(Double(fastExpf(x)) - r) / r))
        }
        XCTAssertLessThan(worst, 3e-7)
        XCTAssertTrue(fastExpf(.nan).isNaN)
        XCTAssertTrue(fastExpf(-1000) < 1e-37 && fastExpf(1000).isFinite)
    }

    /// Verifies NumericDerivative's documented accuracy on smooth functions.
    func testNumericDerivativeAccuracy() throws {
        let cases: [(String, (Double) -> Double, (Double) -> Double)] = [
            ("tanh", { Glibc.tanh($0) }, { 1 - Glibc.tanh($0) * Glibc.tanh($0) }),
            ("erf", { Glibc.erf($0) }, { 2 / Double.pi.squareRoot() * Glibc.exp(-$0 * $0) }),
            ("softplus", { Glibc.log1p(Glibc.exp($0)) }, { 1 / (1 + Glibc.exp(-$0)) }),
            ("sin", { Glibc.sin($0) }, { Glibc.cos($0) }),
        ]
        for (name, f, df) in cases {
            var worstScaled = 0.0
            for i in -2000...2000 {
                let x = Double(i) / 100
                let err = abs(NumericDerivative.central(f, at: x) - df(x))
                worstScaled = max(worstScaled, err / max(1, abs(f(x)), abs(df(x))))
            }
            print("numeric derivative \(name): max |err| / max(1, |φ|, |φ'|) = \(worstScaled)")
            // The bounds stated in NumericDerivative's doc comment; sin's fifth derivative
            // does not decay, so its h⁴ term at |x| = 20 dominates.
            XCTAssertLessThan(worstScaled, name == "sin" ? 5e-10 : 1e-12, name)
        }
    }
}

/// Pre-activations far outside [-20, 20] happen in real training (a diverging layer,
/// an unbounded activation); the float kernels must then still return finite values and
/// derivatives, or a finite loss comes with a NaN gradient. Found by the depth-200
/// GELU-GPN run: x·σ(1.7x)'s derivative overflowed to −inf for x ≲ −52.
final class ActivationExtremeInputTests: XCTestCase {
    func testKernelsStayFiniteOnExtremeFiniteInputs() throws {
        var xs: [Float] = [0, -0.0, 1e-30, -1e-30, .leastNonzeroMagnitude, -.leastNonzeroMagnitude]
        for e in stride(from: 1, through: 38, by: 1) {
            let m = Float(pow(10.0, Double(e)))
            xs += [m, -m, 3 * m, -3 * m]
        }
        xs += [-52, -53, -60, -88, -89, -104, 88, 89, .greatestFiniteMagnitude, -.greatestFiniteMagnitude]
        xs = xs.filter(\.isFinite)
        for name in BuiltinActivation.names {
            let act = try BuiltinActivation.make(name)
            var v = [Float](repeating: 0, count: xs.count), d = v
            xs.withUnsafeBufferPointer { xp in
                v.withUnsafeMutableBufferPointer { vp in
                    d.withUnsafeMutableBufferPointer { dp in
                        act.evaluate(xp, scale: 1.3, shift: 0.2, value: vp, derivative: dp)
                    }
                }
            }
            for (i, x) in xs.enumerated() {
                // Unbounded activations may legitimately overflow the value at |x| ~ 3e38·1.3.
                if abs(x) < 1e37 { XCTAssertTrue(v[i].isFinite, "\(name)(\(x)) = \(v[i])") }
                XCTAssertTrue(d[i].isFinite, "\(name)'(\(x)) = \(d[i])")
            }
        }
    }
}
