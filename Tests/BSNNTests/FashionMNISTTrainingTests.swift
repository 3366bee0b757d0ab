import XCTest
@testable import BSNN

/// Real-data training on Debian's Fashion-MNIST (skipped with a message when the package
/// is missing; `scripts/setup.sh` installs it, so CI always runs these).
final class FashionMNISTTrainingTests: XCTestCase {
    func load(_ split: FashionMNIST.Split, _ n: Int) throws -> Dataset {
        guard access(FashionMNIST.defaultDirectory, F_OK) == 0 else {
            throw XCTSkip("Fashion-MNIST not installed at \(FashionMNIST.defaultDirectory) (apt-get install dataset-fashion-mnist)")
        }
        return try FashionMNIST.load(split: split, limit: n)
    }

    func testDepth20TanhGPNLearnsInOneEpoch() throws {
        let train = try load(.train, 2000), test = try load(.test, 1000)
        let model = try MLP(MLPConfiguration(
            inputs: 784, width: 128, depth: 20, outputs: 10, activation: try .builtin("tanh"),
            constraint: .rowNormalized, seed: 1))
        let before = try model.evaluate(test)
        let trainer = try Trainer(model: model, configuration: TrainingConfiguration(
            epochs: 1, batchSize: 32, optimizer: OptimizerConfiguration(kind: .momentum, learningRate: 0.01, momentum: 0.9), seed: 2))
        var losses: [Double] = []
        let records = try trainer.fit(train) { p in
            if p.phase == .step { losses.append(p.loss) }
            return true
        }
        let after = try model.evaluate(test)
        let early = losses.prefix(10).reduce(0, +) / 10, late = losses.suffix(10).reduce(0, +) / 10
        print("depth-20 tanh-GPN: test accuracy \(before.accuracy) -> \(after.accuracy), batch loss \(early) -> \(late)")
        XCTAssertLessThan(late, early, "training loss must fall")
        XCTAssertLessThan(records[0].trainLoss, before.loss)
        XCTAssertGreaterThan(after.accuracy, 0.60)
    }

    /// The paper's trainability verdict (Table 2) on a small budget: depth 200, width 128,
    /// row-normalized weights, SGD momentum 0.9, lr 0.01, batch 64, 300 steps on 9,600 images.
    func testDepth200GELUTrainsOnlyWithGPN() throws {
        let train = try load(.train, 9600), test = try load(.test, 1000)
        func run(_ name: String, gpn: Bool) throws -> Double {
            let act = try LayerActivation.builtin(name, gpn: gpn ? GPNRoot.paper(for: name) : nil)
            let model = try MLP(MLPConfiguration(
                inputs: 784, width: 128, depth: 200, outputs: 10, activation: act, constraint: .rowNormalized, seed: 3))
            let trainer = try Trainer(model: model, configuration: TrainingConfiguration(
                epochs: 2, batchSize: 64, optimizer: OptimizerConfiguration(kind: .momentum, learningRate: 0.01, momentum: 0.9), seed: 4))
            try trainer.fit(train)
            let acc = try model.evaluate(test).accuracy
            print("depth-200 \(act.displayName): test accuracy \(acc)")
            return acc
        }
        let geluGPN = try run("gelu", gpn: true)
        let gelu = try run("gelu", gpn: false)
        let reluGPN = try run("relu", gpn: true)
        let relu = try run("relu", gpn: false)
        XCTAssertGreaterThan(geluGPN, 0.5, "GELU-GPN trains at depth 200")
        XCTAssertLessThan(gelu, 0.2, "plain GELU stays at chance at depth 200")
        print("ReLU-GPN \(reluGPN) vs ReLU \(relu) (paper: ReLU-GPN trainable but weak, ReLU untrainable)")
    }
}
