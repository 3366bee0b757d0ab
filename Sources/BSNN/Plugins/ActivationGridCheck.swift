/// The sanity check every loaded activation (plugin or foreign) passes before it is
/// handed out: values must be finite where the GPN quadrature and training will look,
/// and the optional derivative and float forms must agree with the scalar function.
/// Catching a NaN here names the x; catching it in training would only show a NaN loss.
enum ActivationGridCheck {
    /// [-14, 14] in steps of 1/32: beyond |x| = 14 the Gaussian weight is below 1e-42,
    /// so this covers everything the moments can feel; the step resolves features of
    /// ordinary activations without making loading slow (≈900 points).
    static let lower = -14.0
    static let upper = 14.0
    static let stepsPerUnit = 32.0

    static func grid(breakpoints: [Double]) -> [Double] {
        let n = Int((upper - lower) * stepsPerUnit)
        var xs = (0...n).map { lower + Double($0) / stepsPerUnit }
        for b in breakpoints where b >= lower && b <= upper {
            xs.append(contentsOf: [b, b - 1e-7, b + 1e-7])
        }
        return xs
    }

    /// Derivatives are compared only where central differences are trustworthy: away
    /// from kinks, and where φ is of moderate size (|x| ≤ 6).
    static let derivativeComparisonRange = 6.0
    static let derivativeComparisonBreakpointMargin = 1e-2
    /// Tolerance for φ' versus differences, and for float forms versus double ones.
    static let tolerance = 1e-5

    /// - Parameters:
    ///   - label: names the activation in messages, e.g. "plugin 'p' activation 'a'".
    ///   - forwardF32 / derivativeF32: (x, y, n) batch forms, when the activation has them.
    static func check(
        label: String, breakpoints: [Double],
        function: (Double) -> Double,
        derivative: ((Double) -> Double)?,
        forwardF32: ((UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void)?,
        derivativeF32: ((UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void)?
    ) throws(BSNNError) {
        let xs = grid(breakpoints: breakpoints)
        for x in xs {
            let y = function(x)
            guard y.isFinite else {
                throw BSNNError.plugin("\(label) returned \(y) at x = \(x); φ must be finite on [\(lower), \(upper)]")
            }
        }
        func nearKink(_ x: Double) -> Bool {
            breakpoints.contains { abs($0 - x) < derivativeComparisonBreakpointMargin }
        }
        for x in xs {
            let numeric = NumericDerivative.central(function, at: x)
            if let derivative {
                let d = derivative(x)
                guard d.isFinite else {
                    throw BSNNError.plugin("\(label): derivative returned \(d) at x = \(x); expected a finite φ'(x)")
                }
                if abs(x) <= derivativeComparisonRange && !nearKink(x)
                    && abs(d - numeric) > tolerance * (1 + abs(d))
                {
                    throw BSNNError.plugin(
                        "\(label): derivative at x = \(x) is \(d) but central differences of the function "
                            + "give \(numeric); expected agreement to \(tolerance)·(1 + |φ'|)")
                }
            } else {
                guard numeric.isFinite else {
                    throw BSNNError.plugin("\(label): the numeric derivative is \(numeric) at x = \(x); expected finite")
                }
            }
        }
        let xf = xs.map { Float($0) }
        var out = [Float](repeating: 0, count: xs.count)
        func compare(
            _ form: (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void, _ what: String,
            isDerivative: Bool, reference: (Double) -> Double
        ) throws(BSNNError) {
            try xf.withUnsafeBufferPointer { (xb) throws(BSNNError) in
                try out.withUnsafeMutableBufferPointer { (ob) throws(BSNNError) in
                    guard let xp = xb.baseAddress, let op = ob.baseAddress else { return }
                    form(xp, op, xb.count)
                    for i in 0..<xb.count {
                        let x = Double(xp[i])
                        if isDerivative && (nearKink(x) || abs(x) > derivativeComparisonRange) { continue }
                        let want = reference(x)
                        let got = Double(op[i])
                        guard got.isFinite, abs(got - want) <= tolerance * (1 + abs(want)) else {
                            throw BSNNError.plugin(
                                "\(label): \(what) gives \(got) at x = \(x) where the double form gives \(want); "
                                    + "expected agreement to \(tolerance)·(1 + |value|)")
                        }
                    }
                }
            }
        }
        if let forwardF32 {
            try compare(forwardF32, "forward_f32", isDerivative: false, reference: function)
        }
        if let derivativeF32 {
            try compare(derivativeF32, "derivative_f32", isDerivative: true) { x in
                derivative?(x) ?? NumericDerivative.central(function, at: x)
            }
        }
    }
}
