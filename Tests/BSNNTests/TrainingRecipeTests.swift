import XCTest
@testable import BSNN

/// The training presets: their values come from `TrainingRecipe.settings(depth:)` alone,
/// applying one changes only what it names (so explicit settings made afterwards win),
/// and the deep preset trains a deep net the collapsing configuration of the issue
/// (Adam 1e-4 on the plain net) does not.
final class TrainingRecipeTests: XCTestCase {
    func testPaperPresetIsThePapersOptimizer() {
        let s = TrainingRecipe.paper.settings(depth: 200)
        XCTAssertEqual(s.optimizer, .momentum)
        XCTAssertEqual(s.learningRate, 1e-4)
        XCTAssertEqual(s.momentum, 0.5)
        XCTAssertNil(s.clipGradientNorm)
        XCTAssertFalse(s.residual)
        XCTAssertEqual(s.residualScale, MLPConfiguration.defaultResidualScale)
        // Nothing of the paper's depends on the depth.
        XCTAssertEqual(TrainingRecipe.paper.settings(depth: 20), s)
    }

    func testDeepPresetScalesTheResidualLinksWithDepth() {
        for depth in [1, 20, 50, 200] {
            let s = TrainingRecipe.deep.settings(depth: depth)
            XCTAssertTrue(s.residual)
            XCTAssertEqual(s.residualScale, .fixed(1 / Double(depth).squareRoot()), "depth \(depth)")
            XCTAssertEqual(s.optimizer, .adam)
            XCTAssertEqual(s.learningRate, 1e-3)
            XCTAssertNil(s.clipGradientNorm)
        }
        // depth 0 has no square hidden layer; α stays finite.
        XCTAssertEqual(TrainingRecipe.deep.settings(depth: 0).residualScale, .fixed(1))
    }

    func testNamesAndSummaries() throws {
        XCTAssertEqual(try TrainingRecipe.named("deep"), .deep)
        XCTAssertEqual(TrainingRecipe.allCases.map(\.rawValue), ["paper", "deep"])
        XCTAssertThrowsError(try TrainingRecipe.named("dep")) { e in
            let m = (e as? BSNNError)?.message ?? ""
            XCTAssertTrue(m.contains("recipe: expected one of paper, deep"), m)
            XCTAssertTrue(m.contains("did you mean 'deep'"), m)
        }
        XCTAssertEqual(TrainingRecipe.paper.summary(depth: 200), "momentum lr 0.0001, momentum 0.5, no clipping, no residual links")
        XCTAssertEqual(TrainingRecipe.deep.summary(depth: 100),
                       "adam lr 0.001, no clipping, residual links, α = 1/sqrt(depth) (0.1 at depth 100)")
    }

    /// `apply` writes exactly the preset's fields and leaves every other setting as given.
    func testApplySetsOnlyThePresetsFields() throws {
        var model = MLPConfiguration(
            inputs: 5, width: 8, depth: 16, outputs: 3, activation: try .builtin("relu"), constraint: .orthogonal,
            seed: 9, normalization: .layer, dropout: 0.25)
        TrainingRecipe.deep.apply(to: &model)
        XCTAssertTrue(model.residual)
        XCTAssertEqual(model.residualScale, .fixed(0.25))
        XCTAssertEqual(model.constraint, .orthogonal)
        XCTAssertEqual(model.normalization, .layer)
        XCTAssertEqual(model.dropout, 0.25)
        XCTAssertEqual(model.seed, 9)

        var training = TrainingConfiguration(
            epochs: 3, batchSize: 32, optimizer: OptimizerConfiguration(beta2: 0.99, weightDecay: 0.01), seed: 4,
            updateMode: .fused, clipGradientNorm: 3)
        TrainingRecipe.deep.apply(to: &training, depth: 16)
        XCTAssertEqual(training.optimizer.kind, .adam)
        XCTAssertEqual(training.optimizer.learningRate, 1e-3)
        XCTAssertNil(training.clipGradientNorm)
        XCTAssertEqual(training.optimizer.beta2, 0.99)
        XCTAssertEqual(training.optimizer.weightDecay, 0.01)
        XCTAssertEqual(training.epochs, 3)
        XCTAssertEqual(training.batchSize, 32)
        XCTAssertEqual(training.seed, 4)
        XCTAssertEqual(training.updateMode, .fused)

        // An explicit setting made after the preset wins; the paper's preset turns the
        // deep one's residual links off again.
        training.optimizer.learningRate = 5e-4
        XCTAssertEqual(training.optimizer.learningRate, 5e-4)
        TrainingRecipe.paper.apply(to: &model)
        TrainingRecipe.paper.apply(to: &training, depth: 16)
        XCTAssertFalse(model.residual)
        XCTAssertNil(training.clipGradientNorm)
        XCTAssertEqual(training.optimizer, OptimizerConfiguration(kind: .momentum, learningRate: 1e-4, momentum: 0.5, beta2: 0.99, weightDecay: 0.01))
    }

    /// Four Gaussian classes in 16 dimensions: each class mean is ±1 per coordinate
    /// (seeded), the noise has unit variance, so a linear read-out separates them well.
    func classes(_ n: Int, seed: UInt64) throws -> Dataset {
        var centers = RandomGenerator(seed: 77), noise = RandomGenerator(seed: seed)
        let mean = (0..<4).map { _ in (0..<16).map { _ in centers.nextUniform() < 0.5 ? -1.0 : 1.0 } }
        var x = [Float](), y = [Int32]()
        for i in 0..<n {
            let c = i % 4
            for j in 0..<16 { x.append(Float(mean[c][j] + noise.nextGaussian())) }
            y.append(Int32(c))
        }
        return try Dataset(features: x, labels: y, featureCount: 16, classCount: 4)
    }

    /// Trains a tanh-GPN net of depth 200, width 64 (row-normalized, the paper's
    /// architecture at a tenth of its width) for 5 epochs of 2048 samples (160 steps) and
    /// returns the accuracy on 1024 held-out samples.
    func accuracy(recipe: TrainingRecipe?, optimizer: OptimizerConfiguration? = nil) throws -> Double {
        var m = MLPConfiguration(inputs: 16, width: 64, depth: 200, outputs: 4, activation: try .builtin("tanh"), seed: 2)
        var t = TrainingConfiguration(epochs: 5, batchSize: 64, seed: 2)
        recipe?.apply(to: &m)
        recipe?.apply(to: &t, depth: m.depth)
        if let o = optimizer { t.optimizer = o }
        let trainer = try Trainer(model: try MLP(m), configuration: t)
        try trainer.fit(try classes(2048, seed: 3))
        return try trainer.model.evaluate(try classes(1024, seed: 4)).accuracy
    }

    /// The collapse in small: Adam 1e-4 on the plain depth-200 net ends at or
    /// near chance (0.25; measured through the CLI on data like these: 0.25 under both
    /// kernel families for this seed, 0.49 for another), while the deep preset reaches
    /// 0.97 on the same budget.
    func testDeepPresetTrainsADeepNetTheCollapsingConfigurationDoesNot() throws {
        let deep = try accuracy(recipe: .deep)
        let collapsing = try accuracy(recipe: nil, optimizer: OptimizerConfiguration(kind: .adam, learningRate: 1e-4))
        XCTAssertGreaterThan(deep, 0.9, "deep preset")
        XCTAssertLessThan(collapsing, 0.6, "Adam 1e-4 on the plain net (chance is 0.25)")
    }
}
