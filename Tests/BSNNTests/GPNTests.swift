import XCTest

@testable import BSNN

#if canImport(Glibc)
import Glibc
#endif

final class GPNTests: XCTestCase {
    private func assertRounds(
        _ value: Double, to expected: Double, _ what: String, file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertLessThanOrEqual(abs(value - expected), 0.5e-4 + 1e-12, "\(what) = \(value)", file: file, line: line)
    }

    /// Composite Simpson on [-14, 14] split at the breakpoints, 20k intervals in all:
    /// an independent reference for the Gauss–Legendre rule (error ~1e-13 here).
    private func simpsonMoments(_ act: Activation) -> GaussianMoments {
        let edges = [-14.0] + act.breakpoints.filter { abs($0) < 14 } + [14.0]
        var m = 0.0, ms = 0.0, dms = 0.0
        for s in 0..<(edges.count - 1) {
            let lo = edges[s], hi = edges[s + 1]
            let n = 2 * max(1, Int(10_000 * (hi - lo) / 28))
            let h = (hi - lo) / Double(n)
            for i in 0...n {
                // Endpoints nudged inward so a kink's one-sided value is used.
                let x = i == 0 ? lo + 1e-12 : (i == n ? hi - 1e-12 : lo + Double(i) * h)
                let c = (i == 0 || i == n ? 1.0 : (i % 2 == 1 ? 4.0 : 2.0)) * h / 3
                let w = c * Glibc.exp(-0.5 * x * x) / (2 * Double.pi).squareRoot()
                let v = act.function(x), d = act.derivative(x)
                m += w * v
                ms += w * v * v
                dms += w * d * d
            }
        }
        return GaussianMoments(mean: m, meanSquare: ms, derivativeMeanSquare: dms)
    }

    private func assertClose(_ a: Double, _ b: Double, rel: Double, _ what: String,
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertLessThanOrEqual(abs(a - b), rel * max(abs(b), 1e-3), "\(what): \(a) vs \(b)", file: file, line: line)
    }

    func testPaperTable1() throws {
        let table: [(String, Double, Double, GPNRoot)] = [
            ("tanh", 1.4674, 0.3885, .nonNegativeMean),
            ("relu", 1.4142, 0.0000, .nonNegativeMean),
            ("leaky_relu", 1.4141, 0.0000, .nonNegativeMean),
            ("elu", 1.2234, 0.0742, .nonNegativeMean),
            ("gelu", 1.4915, -0.9097, .nonPositiveMean),  // the paper takes b₋ for GELU only
        ]
        for (name, a, b, root) in table {
            let gpn = try GPNNormalizer.normalize(try BuiltinActivation.make(name), root: root)
            assertRounds(gpn.a, to: a, "\(name) a")
            assertRounds(gpn.b, to: b, "\(name) b")
        }
        // SELU: exact λ, α give b = 0.25845 (rounds either way at 4 decimals); the
        // paper's 0.2585 comes from its rounded λ = 1.0507, α = 1.6733.
        let selu = try GPNNormalizer.normalize(try BuiltinActivation.make("selu"))
        assertRounds(selu.a, to: 0.9660, "selu a")
        XCTAssertTrue(abs(selu.b - 0.2584) <= 0.5e-4 || abs(selu.b - 0.2585) <= 0.5e-4, "selu b = \(selu.b)")
        let rounded = try GPNNormalizer.normalize(
            try BuiltinActivation.make("selu", parameters: ["lambda": 1.0507, "alpha": 1.6733]))
        assertRounds(rounded.a, to: 0.9660, "selu(rounded) a")
        assertRounds(rounded.b, to: 0.2585, "selu(rounded) b")
    }

    func testBothRootsAreGPNWhenReintegrated() throws {
        for name in BuiltinActivation.names {
            for root in [GPNRoot.nonNegativeMean, .nonPositiveMean] {
                let gpn = try GPNNormalizer.normalize(try BuiltinActivation.make(name), root: root)
                let m = try GPNNormalizer.moments(of: gpn.normalized)
                XCTAssertEqual(m.meanSquare, 1, accuracy: 1e-8, "\(name) \(root) E[(aφ+b)²]")
                XCTAssertEqual(m.derivativeMeanSquare, 1, accuracy: 1e-8, "\(name) \(root) E[(aφ')²]")
                if root == .nonNegativeMean {
                    XCTAssertGreaterThanOrEqual(m.mean, -1e-12, name)
                } else {
                    XCTAssertLessThanOrEqual(m.mean, 1e-12, name)
                }
            }
        }
    }

    func testNormalizedKernelFoldsConstants() throws {
        let gpn = try GPNNormalizer.normalize(try BuiltinActivation.make("elu"))
        let act = gpn.normalized
        let xs: [Float] = [-3, -0.5, 0, 0.25, 2]
        var v = [Float](repeating: 0, count: 5), d = [Float](repeating: 0, count: 5)
        xs.withUnsafeBufferPointer { xb in
            v.withUnsafeMutableBufferPointer { vb in
                d.withUnsafeMutableBufferPointer { db in
                    act.evaluate(xb, scale: 2, shift: 1, value: vb, derivative: db)
                }
            }
        }
        for i in 0..<5 {
            let x = Double(xs[i])
            XCTAssertEqual(Double(v[i]), 2 * (gpn.a * gpn.base(x) + gpn.b) + 1, accuracy: 1e-5)
            XCTAssertEqual(Double(d[i]), 2 * gpn.a * gpn.base.derivative(x), accuracy: 1e-5)
        }
    }

    func testClosedFormMoments() throws {
        let relu = try GPNNormalizer.moments(of: try BuiltinActivation.make("relu"))
        XCTAssertEqual(relu.mean, 1 / (2 * Double.pi).squareRoot(), accuracy: 1e-14)
        XCTAssertEqual(relu.meanSquare, 0.5, accuracy: 1e-14)
        XCTAssertEqual(relu.derivativeMeanSquare, 0.5, accuracy: 1e-14)
        let id = try GPNNormalizer.moments(of: try BuiltinActivation.make("identity"))
        XCTAssertEqual(id.mean, 0, accuracy: 1e-15)
        XCTAssertEqual(id.meanSquare, 1, accuracy: 1e-14)
        XCTAssertEqual(id.derivativeMeanSquare, 1, accuracy: 1e-14)
        let idc = try GPNNormalizer.constants(for: try BuiltinActivation.make("identity"))
        XCTAssertEqual(idc.a, 1, accuracy: 1e-14)
        XCTAssertEqual(idc.bPlus, 0, accuracy: 1e-6)  // sqrt of a rounding-size radicand
        // σ(x) − 1/2 is odd, so E[σ] = 1/2.
        let sig = try GPNNormalizer.moments(of: try BuiltinActivation.make("sigmoid"))
        XCTAssertEqual(sig.mean, 0.5, accuracy: 1e-14)
        // Stein's lemma: E[x·Φ(x)] = E[Φ'(x)] = E[pdf(x)] = 1/(2√π).
        let ge = try GPNNormalizer.moments(of: try BuiltinActivation.make("gelu_erf"))
        XCTAssertEqual(ge.mean, 1 / (2 * Double.pi.squareRoot()), accuracy: 1e-14)
    }

    func testMomentsMatchReferenceRules() throws {
        let fine = try GaussianQuadrature(order: 40, panelWidth: 0.25)
        for name in BuiltinActivation.names {
            let act = try BuiltinActivation.make(name)
            let m = try GPNNormalizer.moments(of: act)
            for (refName, ref) in [("simpson", simpsonMoments(act)),
                                   ("fine GL", try GPNNormalizer.moments(of: act, quadrature: fine))] {
                let rel = refName == "simpson" ? 1e-10 : 1e-12
                assertClose(m.mean, ref.mean, rel: rel, "\(name) E[φ] vs \(refName)")
                assertClose(m.meanSquare, ref.meanSquare, rel: rel, "\(name) E[φ²] vs \(refName)")
                assertClose(m.derivativeMeanSquare, ref.derivativeMeanSquare, rel: rel,
                            "\(name) E[φ'²] vs \(refName)")
            }
        }
    }

    /// A kink off the panel grid (x = 0.3): undeclared, the quadrature misses E[φ'²] in
    /// the third decimal, which the refinement check catches; declared, it is exact.
    func testUndeclaredKinkIsRejectedDeclaredKinkIsExact() throws {
        let f: @Sendable (Double) -> Double = { max($0 - 0.3, 0) }
        let d: @Sendable (Double) -> Double = { $0 > 0.3 ? 1 : 0 }
        let exact = 0.5 * Glibc.erfc(0.3 / 2.0.squareRoot())
        let undeclared = try GPNNormalizer.moments(
            of: Activation(name: "k", function: f, derivative: d), quadrature: .standard)
        XCTAssertGreaterThan(abs(undeclared.derivativeMeanSquare - exact), 1e-3)
        let message = numericError(Activation(name: "k", function: f, derivative: d))
        XCTAssertTrue(message?.contains("breakpoints") == true, message ?? "nil")
        let declared = try GPNNormalizer.moments(
            of: Activation(name: "k", breakpoints: [0.3], function: f, derivative: d))
        XCTAssertEqual(declared.derivativeMeanSquare, exact, accuracy: 1e-13)
    }

    func testNumericDerivativeGivesSameConstants() throws {
        let builtin = try GPNNormalizer.constants(for: try BuiltinActivation.make("tanh"))
        let closure = Activation(name: "tanh-closure", function: { Glibc.tanh($0) })
        let numeric = try GPNNormalizer.constants(for: closure)
        XCTAssertEqual(numeric.a, builtin.a, accuracy: 1e-8)
        XCTAssertEqual(numeric.bPlus, builtin.bPlus, accuracy: 1e-8)
        XCTAssertEqual(numeric.bMinus, builtin.bMinus, accuracy: 1e-8)
    }

    /// A kink at x = 3 with no analytic derivative: the stencil must not straddle it.
    func testNumericDerivativeRespectsFarBreakpoints() throws {
        let shifted = Activation(name: "relu(x-3)", breakpoints: [3], function: { max($0 - 3, 0) })
        let m = try GPNNormalizer.moments(of: shifted)
        let tail = 0.5 * Glibc.erfc(3 / 2.0.squareRoot())
        XCTAssertEqual(m.derivativeMeanSquare, tail, accuracy: 1e-9 * tail)
    }

    private func numericError(_ act: Activation) -> String? {
        do {
            _ = try GPNNormalizer.normalize(act)
            return nil
        } catch {
            guard case .numeric(let m) = error else { return "wrong kind: \(error)" }
            return m
        }
    }

    func testDegenerateFunctionsAreRejected() throws {
        let constant = numericError(Activation(name: "three", function: { _ in 3 }))
        XCTAssertTrue(constant?.contains("'three'") == true && constant?.contains("constant") == true, constant ?? "nil")
        let zero = numericError(Activation(name: "zero", function: { _ in 0 }, derivative: { _ in 0 }))
        XCTAssertTrue(zero?.contains("constant") == true, zero ?? "nil")
        let nan = numericError(Activation(name: "sqrt", function: { $0.squareRoot() }))
        XCTAssertTrue(nan?.contains("'sqrt'") == true && nan?.contains("nan at x = -") == true, nan ?? "nil")
        let nanDerivative = numericError(
            Activation(name: "bad-d", function: { $0 }, derivative: { $0 > 1 ? .infinity : 1 }))
        XCTAssertTrue(nanDerivative?.contains("derivative") == true, nanDerivative ?? "nil")
        for (name, f): (String, @Sendable (Double) -> Double) in [("exp(x²)", { (x: Double) in Glibc.exp(x * x) }),
                          ("exp(x²/4)", { (x: Double) in Glibc.exp(x * x / 4) })] {
            let div = numericError(Activation(name: name, function: f))
            XCTAssertTrue(div?.contains("diverge") == true && div?.contains(name) == true, div ?? "nil")
        }
        // A wrong analytic derivative violates Gaussian–Poincaré.
        let wrong = numericError(Activation(name: "x²", function: { $0 * $0 }, derivative: { _ in 0.1 }))
        XCTAssertTrue(wrong?.contains("Gaussian–Poincaré") == true, wrong ?? "nil")
        // Non-finite breakpoints are an argument error.
        XCTAssertThrowsError(try GPNNormalizer.moments(
            of: Activation(name: "b", breakpoints: [.nan], function: { $0 })))
    }

    /// Functions whose E[φ'²] is infinite, and step functions given without their jumps,
    /// give finite, meaningless numbers under any one quadrature rule; refinement must
    /// expose them. Genuine activations (smooth, or kinked on the panel grid, or kinked
    /// off it but with a declared breakpoint) must pass.
    func testNonConvergentDerivativeMomentsAreRejected() throws {
        let rejected: [(String, @Sendable (Double) -> Double)] = [
            ("sqrt|x|", { abs($0).squareRoot() }),
            ("|x|^0.25", { Glibc.pow(abs($0), 0.25) }),
            ("x·sin(1/x)", { $0 == 0 ? 0 : $0 * Glibc.sin(1 / $0) }),
            ("floor", { Glibc.floor($0) }),
            ("round", { Glibc.round($0) }),
            ("floor(4x)", { Glibc.floor(4 * $0) }),
        ]
        for (name, f) in rejected {
            let message = numericError(Activation(name: name, function: f))
            XCTAssertNotNil(message, "\(name) must be rejected")
            guard let message else { continue }
            XCTAssertTrue(message.contains("'\(name)'"), message)
            XCTAssertTrue(message.contains("do not converge") || message.contains("constant"), message)
        }
        // Declared jumps make a step function's derivative 0 everywhere: constant, rejected.
        let steps = Activation(name: "floor-declared", breakpoints: (-20...20).map(Double.init), function: { Glibc.floor($0) })
        let stepsMessage = numericError(steps)
        XCTAssertTrue(stepsMessage?.contains("constant") == true, stepsMessage ?? "nil")
        // Accepted: kinks on the panel grid (ReLU at 0) or declared, smooth closures.
        let accepted: [Activation] = [
            Activation(name: "relu-closure", function: { max($0, 0) }),
            Activation(name: "shifted relu", breakpoints: [0.3], function: { max($0 - 0.3, 0) }),
            Activation(name: "softplus", function: { Glibc.log1p(Glibc.exp($0)) }),
            Activation(name: "x·tanh", function: { $0 * Glibc.tanh($0) }),
        ]
        for act in accepted { XCTAssertNil(numericError(act), act.name) }
        for name in BuiltinActivation.names {
            XCTAssertNoThrow(try GPNNormalizer.normalize(try BuiltinActivation.make(name)), name)
        }
    }

    func testQuadratureRule() throws {
        // Gauss–Legendre with n nodes is exact for polynomials of degree 2n−1.
        let (x, w) = GaussianQuadrature.gaussLegendre(7)
        XCTAssertEqual(w.reduce(0, +), 2, accuracy: 1e-15)
        let m12 = zip(x, w).reduce(0) { $0 + $1.1 * pow($1.0, 12) }
        XCTAssertEqual(m12, 2.0 / 13, accuracy: 1e-15)
        XCTAssertThrowsError(try GaussianQuadrature(order: 1))
        XCTAssertThrowsError(try GaussianQuadrature(panelWidth: .nan))
        XCTAssertThrowsError(try GaussianQuadrature(cutoff: 10, bandStart: 12))
    }
}
