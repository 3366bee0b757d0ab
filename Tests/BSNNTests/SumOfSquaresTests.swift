import XCTest
@testable import BSNN

/// `BLAS.sumOfSquares` feeds every norm the signal probe reports; it must keep the full
/// double range for float inputs, on every BLAS kernel.
final class SumOfSquaresTests: XCTestCase {
    func testTinyAndHugeElementsKeepTheirSquares() {
        // 500 elements of 1e-25: the float squares (1e-50) would underflow to 0.
        let tiny = [Float](repeating: 1e-25, count: 500)
        let t = tiny.withUnsafeBufferPointer { BLAS.sumOfSquares($0.baseAddress!, count: 500) }
        let exact = 500 * Double(Float(1e-25)) * Double(Float(1e-25))
        XCTAssertEqual(t, exact, accuracy: 1e-12 * exact)
        // 3e38 squared overflows float, not double.
        let huge: [Float] = [3e38, -3e38, 1]
        let h = huge.withUnsafeBufferPointer { BLAS.sumOfSquares($0.baseAddress!, count: 3) }
        XCTAssertEqual(h, 2 * Double(Float(3e38)) * Double(Float(3e38)) + 1, accuracy: 1e-12 * h)
        // Every remainder length (the loop runs 4 at a time), against a plain double sum.
        for n in 0..<11 {
            let x = (0..<n).map { Float($0) * 0.37 - 1.1 }
            let got = x.withUnsafeBufferPointer { BLAS.sumOfSquares($0.baseAddress ?? UnsafePointer(bitPattern: 8)!, count: n) }
            let want = x.reduce(0.0) { $0 + Double($1) * Double($1) }
            XCTAssertEqual(got, want, accuracy: 1e-12 * max(want, 1), "n = \(n)")
        }
    }
}
