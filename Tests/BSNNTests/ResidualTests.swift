import XCTest
@testable import BSNN

/// Residual links x⁽ˡ⁺¹⁾ = x⁽ˡ⁾ + α·ψ(W x⁽ˡ⁾ + b) on the square hidden layers.
/// Finite-difference tolerance as in MLPGradientTests: h = 1e-2 on a float loss of order
/// 1, |fd − analytic| ≤ 2e-3 + 3e-2·|analytic|.
final class ResidualTests: XCTestCase {
    func config(
        _ scale: ResidualScale, depth: Int = 3, constraint: WeightConstraint = .rowNormalized, savable: Bool = false
    ) throws -> MLPConfiguration {
        MLPConfiguration(
            inputs: 5, width: 6, depth: depth, outputs: 4,
            activation: savable ? try .builtin("tanh", gpn: GPNRoot.paper(for: "tanh"))
                : LayerActivation(closureTanh, scale: 1.4674, shift: 0.3885, gpnRoot: "b+"),
            constraint: constraint, initialization: .orthogonal, bias: true, seed: 7,
            residual: true, residualScale: scale)
    }

    struct Gradients {
        var weights: [[Float]] = []
        var biases: [[Float]] = []
        var alphas: [Int: Float] = [:]
    }

    func gradients(_ model: MLP, _ x: [Float], _ labels: [Int32]) throws -> Gradients {
        let ws = try model.workspace(batch: labels.count)
        _ = try x.withUnsafeBufferPointer { try model.forward($0.baseAddress!, workspace: ws) }
        _ = try labels.withUnsafeBufferPointer { lb in
            try LossFunction.crossEntropy.evaluate(
                logits: ws.logits.pointer, batch: labels.count, outputs: model.configuration.outputs,
                labels: lb.baseAddress, targets: nil, gradient: ws.dLogits.pointer)
        }
        var g = Gradients(weights: Array(repeating: [], count: model.layerCount), biases: Array(repeating: [], count: model.layerCount))
        try model.backward(workspace: ws) { lg in
            g.weights[lg.index] = lg.parameterGradient()
            g.biases[lg.index] = lg.biasGradient.map { Array(UnsafeBufferPointer(start: $0, count: lg.layer.outputs)) } ?? []
            if let a = lg.residualScaleGradient { g.alphas[lg.index] = a }
        }
        return g
    }

    /// Checks every weight (stride 5), every bias and every α of `model` against central
    /// differences; returns how many were checked.
    func checkAgainstFiniteDifferences(_ model: MLP, file: StaticString = #filePath, line: UInt = #line) throws -> Int {
        let x = gaussianArray(3 * 5, seed: 3)
        let labels: [Int32] = [0, 3, 1]
        let analytic = try gradients(model, x, labels)
        let h: Float = 1e-2
        var checked = 0
        func compare(_ an: Float, _ lp: Double, _ lm: Double, _ what: String) {
            let fd = (lp - lm) / Double(2 * h)
            XCTAssertEqual(Double(an), fd, accuracy: 2e-3 + 3e-2 * abs(Double(an)), what, file: file, line: line)
            checked += 1
        }
        for l in 0..<model.layerCount {
            let w = try model.weights(layer: l)
            for i in stride(from: 0, to: w.count, by: 5) {
                var p = w, m = w
                p[i] += h; m[i] -= h
                try model.setWeights(layer: l, p); let lp = try batchLoss(model, x, labels)
                try model.setWeights(layer: l, m); let lm = try batchLoss(model, x, labels)
                try model.setWeights(layer: l, w)
                compare(analytic.weights[l][i], lp, lm, "layer \(l) weight \(i)")
            }
            let b = try XCTUnwrap(try model.bias(layer: l))
            for i in 0..<b.count {
                var p = b, m = b
                p[i] += h; m[i] -= h
                try model.setBias(layer: l, p); let lp = try batchLoss(model, x, labels)
                try model.setBias(layer: l, m); let lm = try batchLoss(model, x, labels)
                try model.setBias(layer: l, b)
                compare(analytic.biases[l][i], lp, lm, "layer \(l) bias \(i)")
            }
            if let a = try model.residualScale(layer: l), model.layers[l].learnsResidualScale {
                try model.setResidualScale(layer: l, a + h); let lp = try batchLoss(model, x, labels)
                try model.setResidualScale(layer: l, a - h); let lm = try batchLoss(model, x, labels)
                try model.setResidualScale(layer: l, a)
                compare(try XCTUnwrap(analytic.alphas[l]), lp, lm, "layer \(l) residual scale")
            }
        }
        return checked
    }

    /// Layer 0's weight and bias gradients receive ∂E/∂x⁽¹⁾, the input gradient of the first
    /// residual block: they are only right if the identity path is added back.
    func testFixedScaleGradientsMatchFiniteDifferences() throws {
        for scale in [0.5, 1.0] {
            let model = try MLP(config(.fixed(scale)))
            XCTAssertEqual(try model.residualScale(layer: 1), Float(scale))
            XCTAssertNil(try model.residualScale(layer: 0))
            XCTAssertNil(try model.residualScale(layer: 4))
            XCTAssertGreaterThan(try checkAgainstFiniteDifferences(model), 60)
        }
    }

    func testLearnableScaleGradientsMatchFiniteDifferences() throws {
        let model = try MLP(config(.learnable, constraint: .none))
        // At α = 0 the weights of the hidden layers have no gradient; move α off 0 first.
        for (l, a) in [(1, Float(0.7)), (2, -0.4), (3, 1.1)] { try model.setResidualScale(layer: l, a) }
        XCTAssertEqual(model.parameterCount, model.configuration.parameterCount)
        XCTAssertEqual(model.configuration.parameterCount, MLPConfiguration(
            inputs: 5, width: 6, depth: 3, outputs: 4, activation: model.configuration.activation).parameterCount + 3)
        XCTAssertGreaterThan(try checkAgainstFiniteDifferences(model), 60)
    }

    /// ReZero at initialization: every block is the identity, so the network computes
    /// output-layer(input-layer(x)) bit for bit, and only α (and layers 0, depth+1) get
    /// a gradient.
    func testLearnableScaleStartsAsThePlainInputToOutputPath() throws {
        let model = try MLP(config(.learnable, depth: 4))
        let shallow = try MLP(MLPConfiguration(
            inputs: 5, width: 6, depth: 0, outputs: 4, activation: model.configuration.activation, bias: true, seed: 99))
        try shallow.setWeights(layer: 0, try model.weights(layer: 0))
        try shallow.setWeights(layer: 1, try model.weights(layer: 5))
        let b: [Float] = [0.1, -0.2, 0.3, 0, 0.05, -0.4]
        try shallow.setBias(layer: 0, b)
        try model.setBias(layer: 0, b)
        let x = gaussianArray(7 * 5, seed: 4)
        XCTAssertTrue(try model.predict(x) == shallow.predict(x), "α = 0 residual net must equal the input→output net")
        let g = try gradients(model, Array(x[0..<15]), [0, 3, 1])
        for l in 1...4 {
            XCTAssertTrue(g.weights[l].allSatisfy { $0 == 0 }, "layer \(l): no weight gradient while α = 0")
            XCTAssertNotEqual(try XCTUnwrap(g.alphas[l]), 0, "layer \(l): α gets a gradient")
        }
    }

    /// The fused and checked update modes give bit-identical α and weights, and α moves.
    func testLearnableScaleTrainsInBothUpdateModes() throws {
        let data = try blobs(48)
        var results: [[Float]] = []
        for mode in [UpdateMode.fused, .checked] {
            for kind in [OptimizerKind.sgd, .adam] {
                let model = try MLP(config(.learnable))
                let t = try Trainer(model: model, configuration: TrainingConfiguration(
                    epochs: 3, batchSize: 8, optimizer: OptimizerConfiguration(kind: kind, learningRate: 0.05), seed: 3,
                    updateMode: mode))
                try t.fit(data)
                let alphas = try (1...3).map { try XCTUnwrap(try model.residualScale(layer: $0)) }
                XCTAssertTrue(alphas.allSatisfy { $0 != 0 && $0.isFinite }, "\(mode) \(kind): α trained, got \(alphas)")
                results.append(alphas + (try model.weights(layer: 2)))
            }
        }
        XCTAssertTrue(results[0] == results[2], "sgd: fused and checked differ")
        XCTAssertTrue(results[1] == results[3], "adam: fused and checked differ")
    }

    func testSaveLoadPredictAndResumeAreBitIdentical() throws {
        let dir = try makeTempDirectory()
        defer { removeTree(dir) }
        let data = try blobs(40)
        for scale in [ResidualScale.fixed(0.25), .learnable] {
            let config = TrainingConfiguration(
                epochs: 3, batchSize: 8, optimizer: OptimizerConfiguration(kind: .adam, learningRate: 0.02), seed: 5)
            let straight = try MLP(self.config(scale, savable: true))
            try Trainer(model: straight, configuration: config).fit(data)
            let path = dir + "/m.safetensors"
            try ModelFile.save(straight, to: path)
            let loaded = try ModelFile.load(path)
            XCTAssertEqual(loaded.configuration.residual, true)
            XCTAssertEqual(loaded.configuration.residualScale, scale)
            for l in 0..<straight.layerCount {
                XCTAssertEqual(try loaded.residualScale(layer: l), try straight.residualScale(layer: l))
                XCTAssertTrue(try loaded.weights(layer: l) == straight.weights(layer: l))
            }
            let x = gaussianArray(9 * 5, seed: 2)
            XCTAssertTrue(try loaded.predict(x) == straight.predict(x), "\(scale): predict after load differs")

            let interrupted = try MLP(self.config(scale, savable: true))
            let t1 = try Trainer(model: interrupted, configuration: config)
            XCTAssertThrowsError(try t1.fit(data) { $0.globalStep < 7 })
            let t2 = try Checkpoint.decode(try Checkpoint.encode(t1))
            try t2.fit(data)
            for l in 0..<straight.layerCount {
                XCTAssertEqual(try t2.model.residualScale(layer: l), try straight.residualScale(layer: l), "\(scale) layer \(l)")
                XCTAssertTrue(try t2.model.weights(layer: l) == straight.weights(layer: l), "\(scale) layer \(l): resumed run differs")
            }
        }
    }

    func testPlainModelFileHasNoResidualFieldsAndOldFilesLoadAsPlain() throws {
        let model = try MLP(MLPConfiguration(inputs: 5, width: 6, depth: 2, outputs: 4, activation: try .builtin("tanh")))
        let file = try ModelFile.serialize(model, kind: "model")
        let arch = try XCTUnwrap(file.metadata[ModelFile.architectureKey])
        XCTAssertFalse(arch.contains("residual") || arch.contains("dropout"), arch)
        let back = try ModelFile.decode(try ModelFile.encode(model))
        XCTAssertFalse(back.configuration.residual)
        XCTAssertEqual(back.configuration.dropout, 0)

        let learnable = try MLP(MLPConfiguration(
            inputs: 5, width: 6, depth: 2, outputs: 4, activation: try .builtin("tanh"), residual: true, residualScale: .learnable))
        let lf = try ModelFile.serialize(learnable, kind: "model")
        XCTAssertNotNil(lf["layers.1.residual_scale"])
        XCTAssertNotNil(lf["layers.2.residual_scale"])
        XCTAssertNil(lf["layers.0.residual_scale"])
        // A tensor missing, or an α in a fixed-scale file, is a format error.
        let missing = try SafeTensorsFile(tensors: lf.tensors.filter { $0.name != "layers.2.residual_scale" }, metadata: lf.metadata)
        assertThrowsKind("bad file format", try ModelFile.decode(try missing.serialized()), contains: "layer tensors")
        var fixedArch = lf
        fixedArch.metadata[ModelFile.architectureKey] = try XCTUnwrap(lf.metadata[ModelFile.architectureKey])
            .replacingOccurrences(of: "\"learnable\"", with: "\"0.5\"")
        assertThrowsKind("bad file format", try ModelFile.decode(try fixedArch.serialized()), contains: "layer tensors")
        var badScale = lf
        badScale.metadata[ModelFile.architectureKey] = try XCTUnwrap(lf.metadata[ModelFile.architectureKey])
            .replacingOccurrences(of: "\"learnable\"", with: "\"learnabl\"")
        assertThrowsKind("bad file format", try ModelFile.decode(try badScale.serialized()), contains: "residual_scale")
    }

    func testBadResidualScaleIsRejectedBeforeAllocation() throws {
        for bad in [Double.nan, .infinity, -.infinity] {
            assertThrowsKind("invalid argument", try MLP(config(.fixed(bad))), contains: "residual scale")
        }
        // depth 0: no square hidden layer, so residual changes nothing.
        let shallow = try MLP(config(.learnable, depth: 0))
        XCTAssertEqual(shallow.parameterCount, 5 * 6 + 6 + 6 * 4 + 4)
        XCTAssertNil(try shallow.residualScale(layer: 1))
    }

    /// The probe's verdict: depth 200, width 500, tanh-GPN with Haar weights (as
    /// SignalPropagationTests runs the probe). With α = 1/√depth the backward signal along
    /// the residual stream, ‖∂E/∂x⁽ˡ⁾‖, stays within 1.25× across all layers (measured
    /// 1.23; α = 1: 218×), and the hidden layers' weight gradients within 2.3× of each
    /// other. The forward norm grows to ≈ 6.1 (α = 1: 81× its start): the fluctuating part
    /// of the branches adds like 1 + l·α² (≤ 2), but GPN's shift b ≈ 0.39 is the same in
    /// every branch and adds coherently, √depth·b ≈ 5.5 — bounded by √depth·b, not by a
    /// constant. Layer 0 (no α) has a gradient 1/α = √depth times the hidden layers'.
    func testProbeVerdictResidualTanhWithInverseSquareRootDepthStaysBounded() throws {
        let width = 500, depth = 200, batch = 100
        // One model (Haar weights drawn once); α is set for each probe.
        let model = try MLP(MLPConfiguration(
            inputs: width, width: width, depth: depth, outputs: 10, activation: try .builtin("tanh", gpn: GPNRoot.paper(for: "tanh")),
            constraint: .none, initialization: .orthogonal, bias: false, seed: 42, residual: true))
        let x = gaussianArray(batch * width, seed: 1)
        func probe(_ alpha: Double) throws -> SignalProbeResult {
            for l in 1...depth { try model.setResidualScale(layer: l, Float(alpha)) }
            return try SignalProbe.run(model: model, input: x, upstream: .gaussian(seed: 2))
        }
        guard case .fixed(let alpha) = ResidualScale.inverseSquareRootDepth(depth) else { return XCTFail("fixed scale expected") }
        let bounded = try probe(alpha)
        let forward = SignalProbeResult.ratio(bounded.forwardNorms)
        let backward = SignalProbeResult.ratio(bounded.inputGradientNorms)
        print("residual tanh-GPN, α = 1/√\(depth): forward max/min \(forward), backward max/min \(backward), weight-gradient max/min \(bounded.gradientNormRatio), final forward norm \(bounded.forwardNorms.last ?? .nan)")
        let hidden = SignalProbeResult.ratio(Array(bounded.weightGradientNorms[1...]))
        print("hidden layers' weight-gradient max/min \(hidden)")
        XCTAssertLessThan(forward, 8, "forward signal: √(2 + depth·b²) ≈ 5.7 expected, measured 6.1")
        XCTAssertLessThan(backward, 1.6, "backward signal bounded, measured 1.23")
        XCTAssertLessThan(hidden, 3.5, "measured 2.3: x grows to ≈ 6 while φ' saturates")
        let unit = try probe(1)
        let grown = try XCTUnwrap(unit.forwardNorms.last) / unit.forwardNorms[1]
        print("residual tanh-GPN, α = 1: forward norm grows \(grown)×, backward max/min \(SignalProbeResult.ratio(unit.inputGradientNorms)), ∂E/∂h max/min \(SignalProbeResult.ratio(unit.backwardNorms))")
        XCTAssertGreaterThan(grown, 30, "α = 1 lets the forward norm grow, measured 81×")
        XCTAssertGreaterThan(SignalProbeResult.ratio(unit.inputGradientNorms), 50, "α = 1: the backward signal grows, measured 218×")
    }

    /// The verdict for plain tanh (zero mean, so the branches add no coherent
    /// drift as GPN's shift b does): with α = 1/√depth both the forward and the backward
    /// signal stay within a small factor over 200 layers.
    func testProbeVerdictPlainResidualTanhKeepsBothSignalsBounded() throws {
        let width = 500, depth = 200, batch = 100
        let model = try MLP(MLPConfiguration(
            inputs: width, width: width, depth: depth, outputs: 10, activation: try .builtin("tanh", gpn: nil),
            constraint: .none, initialization: .orthogonal, bias: false, seed: 42, residual: true,
            residualScale: ResidualScale.inverseSquareRootDepth(depth)))
        let r = try SignalProbe.run(model: model, input: gaussianArray(batch * width, seed: 1), upstream: .gaussian(seed: 2))
        let forward = SignalProbeResult.ratio(r.forwardNorms), backward = SignalProbeResult.ratio(r.inputGradientNorms)
        print("residual plain tanh, α = 1/√\(depth): forward max/min \(forward), backward max/min \(backward)")
        XCTAssertLessThan(forward, 2.2, "forward signal of a residual tanh net with α = 1/√depth: measured 1.59")
        XCTAssertLessThan(backward, 1.8, "backward signal of a residual tanh net with α = 1/√depth: measured 1.33")
    }
}
