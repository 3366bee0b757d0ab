import XCTest
@testable import BSNN

/// Inverted dropout on the hidden activations: training steps only, seeded, resumable.
final class DropoutTests: XCTestCase {
    func config(_ p: Double, depth: Int = 2, width: Int = 8, residual: Bool = false) throws -> MLPConfiguration {
        MLPConfiguration(
            inputs: 5, width: width, depth: depth, outputs: 4, activation: try .builtin("tanh", gpn: GPNRoot.paper(for: "tanh")),
            constraint: .rowNormalized, bias: true, seed: 3, residual: residual, dropout: p)
    }

    func allParameters(_ m: MLP) throws -> [[Float]] {
        try (0..<m.layerCount).flatMap { [try m.weights(layer: $0), try m.bias(layer: $0) ?? []] }
    }

    func testProbabilityOutsideZeroToOneIsRejected() throws {
        for bad in [-0.1, 1, 1.5, .nan, .infinity] {
            assertThrowsKind("invalid argument", try MLP(config(bad)), contains: "dropout: expected a probability in [0, 1)")
        }
        XCTAssertNoThrow(try MLP(config(0.999)))
    }

    /// E[mask·v/(1−p)] = v. Over n masks each unit's mean has standard deviation
    /// |v|·√((1/q − 1)/n) with q = 1 − p; every unit must be within 5σ (+1e-6 for rounding),
    /// and the dropped fraction within 5σ of p (binomial over all draws).
    func testExpectedActivationEqualsTheUndroppedOne() throws {
        let p = 0.3, q = 1 - p, n = 2000, batch = 4, width = 64
        let model = try MLP(config(p, depth: 0, width: width))
        let ws = try model.workspace(batch: batch)
        let x = gaussianArray(batch * 5, seed: 1)
        try x.withUnsafeBufferPointer { _ = try model.forward($0.baseAddress!, workspace: ws) }
        let clean = Array(UnsafeBufferPointer(start: ws.xs[1].pointer, count: batch * width))
        var sums = [Double](repeating: 0, count: clean.count)
        var dropped = 0
        var rng: RandomGenerator? = RandomGenerator(seed: 17)
        for _ in 0..<n {
            try x.withUnsafeBufferPointer { _ = try model.forward($0.baseAddress!, workspace: ws, dropout: &rng) }
            for i in 0..<clean.count {
                let v = ws.xs[1].pointer[i]
                sums[i] += Double(v)
                if v == 0 { dropped += 1 } else {
                    XCTAssertEqual(Double(v), Double(clean[i]) / q, accuracy: 1e-6 * abs(Double(clean[i])) / q)
                }
            }
        }
        for i in 0..<clean.count {
            let v = Double(clean[i])
            let sigma = abs(v) * ((1 / q - 1) / Double(n)).squareRoot()
            XCTAssertEqual(sums[i] / Double(n), v, accuracy: 5 * sigma + 1e-6, "unit \(i)")
        }
        let draws = Double(n * clean.count)
        let rate = Double(dropped) / draws
        XCTAssertEqual(rate, p, accuracy: 5 * (p * q / draws).squareRoot(), "dropped fraction")
    }

    /// predict and evaluate never drop: a p = 0.5 model predicts exactly what a p = 0
    /// copy of the same weights predicts (also after training with dropout).
    func testPredictAndEvaluateAreDropoutFree() throws {
        let data = try blobs(32)
        let model = try MLP(config(0.5, residual: true))
        try Trainer(model: model, configuration: TrainingConfiguration(epochs: 2, batchSize: 8, seed: 1)).fit(data)
        let copy = try MLP(config(0, residual: true))
        for l in 0..<model.layerCount {
            try copy.setWeights(layer: l, try model.weights(layer: l))
            try copy.setBias(layer: l, try XCTUnwrap(try model.bias(layer: l)))
        }
        let x = gaussianArray(10 * 5, seed: 6)
        XCTAssertTrue(try model.predict(x) == copy.predict(x))
        XCTAssertTrue(try model.predict(x) == model.predict(x), "predict is not random")
        XCTAssertEqual(try model.evaluate(data), try copy.evaluate(data))
    }

    /// The gradient of a dropout step is the gradient of the network with that mask fixed:
    /// central differences replaying the same mask (same generator state), tolerance as
    /// MLPGradientTests (2e-3 + 3e-2·|g|). Plain and residual nets.
    func testGradientIsTheMaskedNetworksGradient() throws {
        for residual in [false, true] {
            let model = try MLP(config(0.4, depth: 2, width: 6, residual: residual))
            let x = gaussianArray(3 * 5, seed: 3)
            let labels: [Int32] = [0, 3, 1]
            let start = RandomGenerator(seed: 99)
            let ws = try model.workspace(batch: 3)
            func loss(gradient: Bool) throws -> Double {
                var rng: RandomGenerator? = start
                try x.withUnsafeBufferPointer { _ = try model.forward($0.baseAddress!, workspace: ws, dropout: &rng) }
                return try labels.withUnsafeBufferPointer { lb in
                    try LossFunction.crossEntropy.evaluate(
                        logits: ws.logits.pointer, batch: 3, outputs: 4, labels: lb.baseAddress, targets: nil,
                        gradient: gradient ? ws.dLogits.pointer : nil).loss
                }
            }
            _ = try loss(gradient: true)
            var analytic = [[Float]](repeating: [], count: model.layerCount)
            try model.backward(workspace: ws) { analytic[$0.index] = $0.parameterGradient() }
            // A mask that dropped nothing would make this a plain gradient check.
            let zeros = (0...2).reduce(0) { n, l in n + (0..<(3 * 6)).filter { ws.ds[l].pointer[$0] == 0 }.count }
            XCTAssertGreaterThan(zeros, 5)
            let h: Float = 1e-2
            var checked = 0
            for l in 0..<model.layerCount {
                let w = try model.weights(layer: l)
                for i in stride(from: 0, to: w.count, by: 3) {
                    var p = w, m = w
                    p[i] += h; m[i] -= h
                    try model.setWeights(layer: l, p); let lp = try loss(gradient: false)
                    try model.setWeights(layer: l, m); let lm = try loss(gradient: false)
                    try model.setWeights(layer: l, w)
                    let fd = (lp - lm) / Double(2 * h), an = Double(analytic[l][i])
                    XCTAssertEqual(an, fd, accuracy: 2e-3 + 3e-2 * abs(an), "residual \(residual) layer \(l) weight \(i)")
                    checked += 1
                }
            }
            XCTAssertGreaterThan(checked, 40)
        }
    }

    /// Same seeds give bit-identical runs in both update modes; the dropout stream makes
    /// the run differ from p = 0; a checkpoint taken mid-epoch resumes bit for bit.
    func testDeterministicAndResumableBitForBit() throws {
        let data = try blobs(40)
        for mode in [UpdateMode.checked, .fused] {
            let tc = TrainingConfiguration(
                epochs: 3, batchSize: 8, optimizer: OptimizerConfiguration(kind: .momentum, learningRate: 0.05, momentum: 0.9),
                seed: 4, updateMode: mode)
            let a = try MLP(config(0.3, residual: true)), b = try MLP(config(0.3, residual: true))
            try Trainer(model: a, configuration: tc).fit(data)
            try Trainer(model: b, configuration: tc).fit(data)
            XCTAssertTrue(try allParameters(a) == allParameters(b), "\(mode): same seeds, different weights")
            let plain = try MLP(config(0, residual: true))
            try Trainer(model: plain, configuration: tc).fit(data)
            XCTAssertFalse(try allParameters(a) == allParameters(plain), "\(mode): dropout had no effect")

            let interrupted = try MLP(config(0.3, residual: true))
            let t1 = try Trainer(model: interrupted, configuration: tc)
            XCTAssertThrowsError(try t1.fit(data) { $0.globalStep < 7 })
            let file = try Checkpoint.serialize(t1)
            XCTAssertTrue(try XCTUnwrap(file.metadata[Checkpoint.trainingKey]).contains("dropout_rng_state"))
            let t2 = try Checkpoint.decode(try file.serialized())
            XCTAssertEqual(t2.model.configuration.dropout, 0.3)
            try t2.fit(data)
            XCTAssertTrue(try allParameters(t2.model) == allParameters(a), "\(mode): resumed run differs")
        }
    }

    func testSaveLoadPredictIsBitIdentical() throws {
        let dir = try makeTempDirectory()
        defer { removeTree(dir) }
        let model = try MLP(config(0.25))
        try Trainer(model: model, configuration: TrainingConfiguration(epochs: 1, batchSize: 8)).fit(try blobs(24))
        try ModelFile.save(model, to: dir + "/d.safetensors")
        let loaded = try ModelFile.load(dir + "/d.safetensors")
        XCTAssertEqual(loaded.configuration.dropout, 0.25)
        let x = gaussianArray(6 * 5, seed: 2)
        XCTAssertTrue(try loaded.predict(x) == model.predict(x))
        XCTAssertTrue(try allParameters(loaded) == allParameters(model))
    }
}
