import XCTest
@testable import BSNN

/// A plugin activation must train exactly like the builtin it imitates.
final class PluginTrainingTests: XCTestCase {
    func train(_ act: LayerActivation) throws -> (MLP, [Float]) {
        let model = try MLP(MLPConfiguration(inputs: 6, width: 24, depth: 6, outputs: 3, activation: act, seed: 8))
        let trainer = try Trainer(model: model, configuration: TrainingConfiguration(
            batchSize: 16, optimizer: OptimizerConfiguration(kind: .momentum, learningRate: 0.01, momentum: 0.9)))
        for s in 0..<30 {
            let x = gaussianArray(16 * 6, seed: UInt64(200 + s))
            try trainer.step(features: x, labels: (0..<16).map { Int32(($0 + s) % 3) })
        }
        return (model, try model.predict(gaussianArray(40 * 6, seed: 99)))
    }

    func testPluginTanhTrainsLikeBuiltinTanh() throws {
        let library = try PluginLibrary.load(path: try PluginFixtures.example("fasttanh"))
        let builtin = try LayerActivation.gpn(try BuiltinActivation.make("tanh"))
        for name in ["fasttanh", "fasttanh_scalar"] {
            let plugin = try LayerActivation.gpn(try library.makeActivation(name: name))
            // Same function, so the same GPN constants from the same quadrature.
            XCTAssertEqual(plugin.scale, builtin.scale, accuracy: 1e-12)
            XCTAssertEqual(plugin.shift, builtin.shift, accuracy: 1e-12)
            let (pm, pp) = try train(plugin)
            let (bm, bp) = try train(builtin)
            // Float kernels differ by a few ulp per element (libm tanh vs the rational fit),
            // so after 30 steps the nets agree to float tolerance, not bit for bit.
            var worst: Float = 0
            for l in 0..<pm.layerCount {
                let a = try pm.weights(layer: l), b = try bm.weights(layer: l)
                for i in 0..<a.count { worst = max(worst, abs(a[i] - b[i])) }
            }
            XCTAssertLessThan(worst, 2e-4, "\(name): largest weight difference")
            for i in 0..<pp.count { XCTAssertEqual(pp[i], bp[i], accuracy: 1e-3, "\(name) logit \(i)") }
        }
    }

    func testModelRecordsPluginAndFailsClearlyWhenItIsGone() throws {
        let dir = try makeTempDirectory()
        defer { removeTree(dir) }
        // A private copy of the plugin, so it can be deleted afterwards.
        let pluginPath = dir + "/libfasttanh.so"
        try AtomicFile.write(try AtomicFile.read(try PluginFixtures.example("fasttanh")), to: pluginPath)
        let modelPath = dir + "/plugin-model.safetensors"
        // Scoped so every reference to the library is gone (and it is dlclosed) before the
        // file is deleted; otherwise dlopen would hand back the still-loaded copy.
        do {
            let act = try LayerActivation.gpn(try PluginLibrary.load(path: pluginPath).makeActivation(name: "fasttanh"))
            let model = try MLP(MLPConfiguration(inputs: 6, width: 12, depth: 2, outputs: 3, activation: act, seed: 2))
            try ModelFile.save(model, to: modelPath)
            let record = try JSONParser.parse(try XCTUnwrap(try SafeTensorsFile.read(path: modelPath).metadata["bsnn.activation"]))
            XCTAssertEqual(record["source"]?["kind"]?.stringValue, "plugin")
            XCTAssertEqual(record["source"]?["path"]?.stringValue, pluginPath)
            XCTAssertEqual(record["source"]?["plugin"]?.stringValue, "fasttanh")
            let x = gaussianArray(4 * 6, seed: 1)
            let reloaded = try ModelFile.load(modelPath, options: .init(allowPlugins: true))
            XCTAssertTrue(try reloaded.predict(x) == model.predict(x))
        }
        XCTAssertEqual(unlink(pluginPath), 0)
        XCTAssertThrowsError(try ModelFile.load(modelPath, options: .init(allowPlugins: true))) {
            guard case BSNNError.plugin(let m) = $0 else { return XCTFail("\($0)") }
            XCTAssertTrue(m.contains(pluginPath), m)
        }
    }
}
