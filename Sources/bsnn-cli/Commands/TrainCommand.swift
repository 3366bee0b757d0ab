import ArgumentParser
import BSNN
import Foundation

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a deep self-normalizing MLP and save it as safetensors.",
        discussion: """
            Ctrl-C stops after the current step, saves a checkpoint (--checkpoint) and exits with \
            status 130; --resume continues from it bit-identically. After training, the model is \
            evaluated on the test split of IDX data (fashion-mnist or an IDX folder) unless --no-test.
            """)

    @Option(help: "fashion-mnist, an IDX folder, or a .csv file (label first).") var data: String
    @Option(help: "Use only the first N training samples.") var limit: Int?
    @Option(help: "Test samples to evaluate after training (all if omitted).") var testLimit: Int?
    @Flag(help: "Skip the evaluation on the test split.") var noTest = false
    @Option(help: "Square hidden layers (the paper: 200).") var depth = 50
    @Option(help: "Hidden width (the paper: 500).") var width = 256
    @OptionGroup var act: ActivationOptions
    @Option(help: "Hidden-layer constraint: row_norm (the paper's), orthogonal, none.") var constraint = "row_norm"
    @Option(help: "sgd, momentum, nesterov, adam.") var optimizer = "momentum"
    @Option(help: "Learning rate (the paper: 1e-4 over 50 epochs).") var lr = 0.01
    @Option(help: "Momentum (the paper: 0.5).") var momentum = 0.9
    @Option(help: "Minibatch size.") var batch = 64
    @Option(help: "Total epochs to have completed (on --resume the checkpoint's count; default 1, or the checkpoint's).") var epochs: Int?
    @Option(help: "Seed of the initial weights and the shuffling.") var seed: UInt64 = 0
    @Option(help: ArgumentHelp("Feature scaling fitted on the training data: none, unit or standardize (default: bytes / 255 for IDX, none for CSV). The test split and later eval/predict use the training statistics, recorded in the model file.", valueName: "METHOD")) var scaling: String?
    @Option(help: "OpenBLAS threads.") var threads: Int?
    @Option(help: "Where to save the trained model.") var out: String
    @Option(help: "Checkpoint file (default: OUT.ckpt).") var checkpoint: String?
    @Option(help: "Also save a checkpoint every N steps (0: only on Ctrl-C).") var checkpointEvery = 0
    @Option(help: "Continue from this checkpoint (architecture and optimizer come from it).") var resume: String?
    @Option(help: "Training-curve SVG (default: OUT with .svg).") var curve: String?
    @Flag(help: "Allow plugin/foreign activations recorded in --resume to be loaded.") var allowPlugins = false
    @Flag(help: "Resume from a checkpoint without a bsnn checksum (written by an older bsnn).") var unverified = false
    @Option(help: ArgumentHelp("Debug: stop after N global steps as if interrupted.", visibility: .hidden)) var stopAfterSteps: Int?

    func validate() throws {
        for (n, v) in [("depth", depth), ("width", width), ("batch", batch)] where v < (n == "depth" ? 0 : 1) {
            throw ValidationError("--\(n): expected >= \(n == "depth" ? 0 : 1), got \(v)")
        }
        if let e = epochs, e < 1 { throw ValidationError("--epochs: expected >= 1, got \(e)") }
        if checkpointEvery < 0 { throw ValidationError("--checkpoint-every: expected >= 0, got \(checkpointEvery)") }
        if !(lr > 0 && lr.isFinite) { throw ValidationError("--lr: expected a finite value > 0, got \(lr)") }
    }

    static func scalingMethod(_ name: String) throws -> FeatureScaling {
        switch name {
        case "none": return FeatureScaling.none
        case "unit": return .unitInterval
        case "standardize": return .standardize
        default: throw CLIError.usage("--scaling: expected none, unit or standardize, got '\(name)'")
        }
    }

    var checkpointPath: String { checkpoint ?? out + ".ckpt" }
    var curvePath: String { curve ?? (out.hasSuffix(".safetensors") ? String(out.dropLast(12)) : out) + ".svg" }

    func run() throws {
        if let t = threads { try BLAS.setThreadCount(t) }
        try OutputPath.requireWritable(out, what: "--out")
        try OutputPath.requireWritable(checkpointPath, what: "--checkpoint")
        try OutputPath.requireWritable(curvePath, what: "--curve")
        let method = try scaling.map { try Self.scalingMethod($0) }
        var train = try DataSpec.load(data, split: .train, limit: limit, scaling: method)
        let trainer: Trainer
        if let r = resume {
            try DataSpec.requireExisting(r, what: "checkpoint")
            trainer = try Checkpoint.load(r, options: ModelFile.LoadOptions(allowPlugins: allowPlugins, allowUnverified: unverified))
            if let e = epochs, e != trainer.configuration.epochs {
                var c = trainer.configuration
                c.epochs = e
                try trainer.updateConfiguration(c)
            }
            print("resuming \(r) at epoch \(trainer.epoch + 1), step \(trainer.globalStep)")
            // The checkpoint's recorded scaling, so the resumed run sees the same features.
            if let s = trainer.model.configuration.featureScaler, train.scaler != s {
                train = try DataSpec.load(data, split: .train, limit: limit, scaling: FeatureScaling.none, scaledLike: s)
            }
        } else {
            let config = MLPConfiguration(
                inputs: train.featureCount, width: width, depth: depth,
                outputs: train.isClassification ? train.classCount : train.targetCount,
                activation: try act.layerActivation(), constraint: try WeightConstraint.named(constraint), seed: seed,
                featureScaler: train.scaler)
            let model = try MLP(config)
            let opt = OptimizerConfiguration(kind: try OptimizerKind.named(optimizer), learningRate: lr, momentum: momentum)
            trainer = try Trainer(model: model, configuration: TrainingConfiguration(
                epochs: epochs ?? 1, batchSize: batch, loss: train.isClassification ? .crossEntropy : .meanSquaredError,
                optimizer: opt, seed: seed))
        }
        let c = trainer.model.configuration
        print("training \(c.activation.displayName), depth \(c.depth), width \(c.width), \(trainer.model.parameterCount) parameters, on \(train.count) samples")
        var run = TrainingRun(checkpointPath: checkpointPath, checkpointEvery: checkpointEvery, stopAfterSteps: stopAfterSteps)
        let outcome = try run.run(trainer, data: train)
        if case .stopped(let reason) = outcome {
            try Checkpoint.save(trainer, to: checkpointPath)
            throw CLIError.interrupted("\(reason) at step \(trainer.globalStep); checkpoint saved to \(checkpointPath) (continue with --resume \(checkpointPath))")
        }
        try ModelFile.save(trainer.model, to: out)
        try run.curvePlot(title: "\(c.activation.displayName), depth \(c.depth), width \(c.width)").write(to: curvePath)
        print("saved model to \(out), training curve to \(curvePath)")
        if !noTest, data == "fashion-mnist" || !data.lowercased().hasSuffix(".csv") {
            let test = try DataSpec.load(
                data, split: .test, limit: testLimit, scaling: FeatureScaling.none, scaledLike: trainer.model.configuration.featureScaler)
            let e = try trainer.model.evaluate(test)
            print(String(format: "test loss %.6f accuracy %.6f samples %d", e.loss, e.accuracy, e.count))
        }
    }
}
