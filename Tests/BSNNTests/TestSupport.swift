import Glibc
@testable import BSNN

/// A tanh built from closures, so engine tests do not depend on the builtin table.
let closureTanh = Activation(
    name: "tanh", function: { Glibc.tanh($0) }, derivative: { let t = Glibc.tanh($0); return 1 - t * t },
    batchKernel: nil)

/// Softplus, smooth and with a non-zero mean, to exercise shifts.
let closureSoftplus = Activation(
    name: "softplus", function: { Glibc.log1p(Glibc.exp($0)) }, derivative: { 1 / (1 + Glibc.exp(-$0)) })

func gaussianArray(_ n: Int, seed: UInt64, std: Double = 1) -> [Float] {
    var rng = RandomGenerator(seed: seed)
    var a = [Float](repeating: 0, count: n)
    a.withUnsafeMutableBufferPointer { rng.fillGaussian($0, std: std) }
    return a
}

/// max |WᵀW − I| for an n×n row-major matrix.
func orthogonalityError(_ w: [Float], n: Int) -> Double {
    var worst = 0.0
    for i in 0..<n {
        for j in 0..<n {
            var s = 0.0
            for k in 0..<n { s += Double(w[k * n + i]) * Double(w[k * n + j]) }
            worst = max(worst, abs(s - (i == j ? 1 : 0)))
        }
    }
    return worst
}

/// Mean loss of `model` on a batch without touching weights.
func batchLoss(_ model: MLP, _ x: [Float], _ labels: [Int32], loss: LossFunction = .crossEntropy) throws -> Double {
    let data = try Dataset(features: x, labels: labels, featureCount: model.configuration.inputs, classCount: model.configuration.outputs)
    return try model.evaluate(data, loss: loss).loss
}

/// n samples of 5 features in 4 separable Gaussian blobs (sample i in class i % 4): a
/// small classification set that trains in a few steps.
func blobs(_ n: Int) throws -> Dataset {
    var rng = RandomGenerator(seed: 8)
    var x = [Float](), y = [Int32]()
    for i in 0..<n {
        for j in 0..<5 { x.append(Float(rng.nextGaussian() * 0.7 + (j % 4 == i % 4 ? 2 : 0))) }
        y.append(Int32(i % 4))
    }
    return try Dataset(features: x, labels: y, featureCount: 5, classCount: 4)
}
