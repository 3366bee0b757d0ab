import ArgumentParser
import BSNN
import Foundation

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a deep self-normalizing MLP and save it as safetensors.",
        discussion: """
            Ctrl-C stops after the current step, saves a checkpoint (--checkpoint) and exits with \
            status 130; --resume continues from it bit-identically. The checkpoint records the data \
            (path, sample count, a fingerprint of the first and last samples) and the run's flags: \
            resuming on other data is an error unless --force, and the architecture and optimizer \
            flags cannot change on --resume. After training, the model is evaluated on --test, or on \
            the test split of IDX data (fashion-mnist or an IDX folder) unless --no-test. Progress \
            and notes go to standard error; results (test line, --json summary) to standard output.
            """)

    // Flags fixed for a run are optional so that a --resume can tell a given flag (checked
    // against the checkpoint) from one left at its default; the defaults are stated in
    // the help and applied in `newTrainer`.
    @Option(help: "fashion-mnist, an IDX folder, a .csv file, or - (CSV on standard input).") var data: String
    @OptionGroup var csv: CSVFlags
    @Option(help: "Use only the first N training samples.") var limit: Int?
    @Option(help: ArgumentHelp("Data evaluated after every epoch (a .csv file, or the test split of IDX data), mapped with the training scaling.", valueName: "FILE")) var validation: String?
    @Option(help: ArgumentHelp("Data evaluated after training (default: the test split of IDX data; none for CSV).", valueName: "FILE")) var test: String?
    @Option(help: "Test samples to evaluate after training (all if omitted).") var testLimit: Int?
    @Flag(help: "Skip the evaluation after training.") var noTest = false
    @Option(help: "Square hidden layers (default: 50; the paper: 200).") var depth: Int?
    @Option(help: "Hidden width (default: 256; the paper: 500).") var width: Int?
    @OptionGroup var act: ActivationOptions
    @Option(help: "Hidden-layer constraint (default: row_norm, the paper's).") var constraint: WeightConstraint?
    @Option(help: "Normalization before φ on every activated layer: batch (batch statistics in training, running ones in eval/predict; a batch needs >= 2 samples), layer, or none (default).") var norm: Normalization?
    @Option(help: "Batch normalization's running-statistics momentum m in [0, 1]: r ← (1−m)·r + m·batch (default: 0.1).") var normMomentum: Double?
    @Option(help: "ε of the normalization's 1/√(σ²+ε), > 0 (default: 1e-5).") var normEpsilon: Double?
    @Flag(inversion: .prefixedNo, help: "Residual links on the square hidden layers: x + α·φ(W x + b) (default: off; --no-residual turns a --recipe's off).") var residual: Bool?
    @Option(help: ArgumentHelp("α of --residual: a number (default: 1; 1/sqrt(depth) keeps the signals bounded) or learnable (one per layer, from 0).", valueName: "X|learnable")) var residualScale: ResidualScale?
    @Option(help: ArgumentHelp("Dropout probability on the hidden activations while training, in [0, 1) (default: 0).", valueName: "P")) var dropout: Double?
    @Option(help: TrainingRecipe.flagHelp) var recipe: TrainingRecipe?
    @Option(help: "Optimizer (default: momentum).") var optimizer: OptimizerKind?
    @Option(help: "Learning rate (default: 0.01; the paper: 1e-4 over 50 epochs).") var lr: Double?
    @Option(help: "Momentum (default: 0.9; the paper: 0.5).") var momentum: Double?
    @Option(help: "Minibatch size (default: 64); with --distributed, per process (the global batch is N times it).") var batch: Int?
    @Option(help: "Total epochs to have completed (default: 1; on --resume: the checkpoint's).") var epochs: Int?
    @Option(help: "Seed of the initial weights and the shuffling (default: 0).") var seed: UInt64?
    @Option(help: ArgumentHelp("Scale all gradients by X/norm when their global L2 norm exceeds X (default: off; 0 = off).", valueName: "X")) var clipGradNorm: Double?
    @Option(help: ArgumentHelp("Stop after PATIENCE epochs without improvement on --validation and keep the best epoch's weights (default: off).", valueName: "PATIENCE")) var earlyStopping: Int?
    @Option(help: "What early stopping watches on --validation (default: loss).") var earlyStoppingMonitor: EarlyStopping.Monitor?
    @Option(help: ArgumentHelp("The least change that counts as an improvement (default: 0).", valueName: "D")) var earlyStoppingMinDelta: Double?
    @Option(help: ArgumentHelp("Feature scaling fitted on the training data (default: bytes / 255 for IDX, none for CSV). The test and validation data and later eval/predict use the training statistics, recorded in the model file.", valueName: "METHOD")) var scaling: ScalingChoice?
    @Option(help: "OpenBLAS threads.") var threads: Int?
    @Option(help: ArgumentHelp("Data-parallel training over the processes mpirun started: mpi (libbsnn_mpi; docs/DISTRIBUTED.md). Rank 0 prints and writes every file.", valueName: "BACKEND")) var distributed: DistributedBackend?
    @Option(help: "Where to save the trained model.") var out: String
    @Option(help: "Checkpoint file (default: OUT.ckpt).") var checkpoint: String?
    @Option(help: "Also save a checkpoint every N steps (0: only on Ctrl-C).") var checkpointEvery = 0
    @Option(help: "Continue from this checkpoint (architecture and optimizer come from it).") var resume: String?
    @Flag(help: "Resume even if the data differ from the checkpoint's run.") var force = false
    @Option(help: "Training-curve SVG (default: OUT with .svg).") var curve: String?
    @Option(help: ArgumentHelp("Record per-layer signal statistics every N optimizer steps into --monitor and its heat maps, and warn on a signal collapse (default: 0, off; docs/MONITOR.md).", valueName: "N")) var monitorEvery: Int?
    @Option(help: ArgumentHelp("Monitor CSV of --monitor-every (default: OUT with .monitor.csv); one heat map per quantity beside it.", valueName: "FILE")) var monitor: String?
    @Flag(help: "Allow plugin/foreign activations recorded in --resume to be loaded.") var allowPlugins = false
    @Flag(help: "Resume from a checkpoint without a bsnn checksum (written by an older bsnn).") var unverified = false
    @Flag(help: "Print a JSON summary of the run on standard output (keys in docs/CLI.md).") var json = false
    @Option(help: ArgumentHelp("Debug: stop after N global steps as if interrupted.", visibility: .hidden)) var stopAfterSteps: Int?

    func validate() throws {
        for (n, v, low) in [("depth", depth, 0), ("width", width, 1), ("batch", batch, 1), ("epochs", epochs, 1)] {
            if let v, v < low { throw ValidationError("--\(n): expected >= \(low), got \(v)") }
        }
        if checkpointEvery < 0 { throw ValidationError("--checkpoint-every: expected >= 0, got \(checkpointEvery)") }
        if let lr, !(lr > 0 && lr.isFinite) { throw ValidationError("--lr: expected a finite value > 0, got \(lr)") }
        if monitor != nil && (monitorEvery ?? 0) == 0 { throw ValidationError("--monitor: expected together with --monitor-every N (N >= 1)") }
        if noTest && test != nil { throw ValidationError("give at most one of --test and --no-test") }
        if earlyStopping == nil && (earlyStoppingMonitor != nil || earlyStoppingMinDelta != nil) {
            throw ValidationError("--early-stopping-monitor and --early-stopping-min-delta need --early-stopping PATIENCE")
        }
        if residualScale != nil && resume == nil && resolved(depth: depth ?? Self.defaultDepth).residual != true {
            throw ValidationError("--residual-scale: expected together with --residual (or a --recipe with residual links)")
        }
        // The engine's rules, checked before any data is loaded.
        for (flag, rule) in [("dropout", { try dropout.map(MLPConfiguration.validateDropout) }), ("residual-scale", { try residualScale?.validate() })] {
            do { try rule() } catch let e as BSNNError { throw ValidationError("--\(flag): \(e.message)") }
        }
        try DataSpec.requireOneStandardInput([("--data", data), ("--validation", validation), ("--test", test), ("--resume", resume)])
    }

    var checkpointPath: String { checkpoint ?? out + ".ckpt" }
    var outBase: String { out.hasSuffix(".safetensors") ? String(out.dropLast(12)) : out }
    var curvePath: String { curve ?? outBase + ".svg" }
    var monitorFiles: MonitorFiles { MonitorFiles(csvPath: monitor ?? outBase + ".monitor.csv") }

    /// What identifies the training data: its absolute path and the flags that shape it.
    var dataSettings: [String: String] {
        var s = csv.settings
        s["limit"] = limit.map { "\($0)" } ?? "all"
        s["scaling"] = scaling?.rawValue ?? "default"
        return s
    }

    var dataLocation: String {
        data == "fashion-mnist" || data == "-" || data.hasPrefix("/") ? data : FileManager.default.currentDirectoryPath + "/" + data
    }

    func run() throws {
        if let t = threads { try BLAS.setThreadCount(t) }
        // First, so that ranks other than 0 are quiet from the start.
        let exchange = try distributed.map { _ in try MPIExchange() }
        try ProcessRole.become(rank: exchange?.rank ?? 0)
        let processes = exchange?.processCount ?? 1
        try OutputPath.requireWritable(out, what: "--out")
        try OutputPath.requireWritable(checkpointPath, what: "--checkpoint")
        try OutputPath.requireWritable(curvePath, what: "--curve")
        if (monitorEvery ?? 0) > 0 { for p in monitorFiles.paths { try OutputPath.requireWritable(p, what: "--monitor") } }
        let csvOptions = try csv.options()
        var train = try DataSpec.load(data, split: .train, limit: limit, scaling: scaling?.method, csv: csvOptions)
        let trainer: Trainer
        var resumedFrom: JSONValue = .null
        var runIdentity = identity(of: train)
        if let r = resume {
            try DataSpec.requireExisting(r, what: "checkpoint")
            let loaded = try Checkpoint.loadRun(r, options: ModelFile.LoadOptions(allowPlugins: allowPlugins, allowUnverified: unverified))
            trainer = loaded.trainer
            try rejectChangedFlags(trainer, checkpoint: r, processes: processes)
            // The monitor is a diagnostic, not part of the run: it may be set on resume.
            if (epochs ?? trainer.configuration.epochs) != trainer.configuration.epochs || monitorEvery != nil {
                var c = trainer.configuration
                c.epochs = epochs ?? c.epochs
                c.monitorEvery = monitorEvery ?? c.monitorEvery
                try trainer.updateConfiguration(c)
            }
            note("resuming \(r) at epoch \(trainer.epoch + 1), step \(trainer.globalStep)")
            resumedFrom = JSONOutput.object([("checkpoint", .string(r)), ("epoch", JSONOutput.int(trainer.epoch)),
                                             ("global_step", JSONOutput.int(trainer.globalStep))])
            // The checkpoint's recorded scaling, so the resumed run sees the same features.
            if let s = trainer.model.configuration.featureScaler, train.scaler != s {
                train = try DataSpec.load(data, split: .train, limit: limit, scaling: FeatureScaling.none, scaledLike: s, csv: csvOptions)
            }
            runIdentity = identity(of: train)
            if let recorded = loaded.identity {
                // Without --scaling a resume uses the checkpoint's recorded scaling (above),
                // so the flag left out is no difference.
                if scaling == nil { runIdentity.settings["scaling"] = recorded.settings["scaling"] }
                let differences = recorded.differences(from: runIdentity)
                if !differences.isEmpty && !force {
                    throw CLIError.usage("--resume \(r): not the same run: " + differences.joined(separator: "; ")
                                         + " (--force resumes anyway)")
                }
                if !differences.isEmpty { note("warning: resuming on different data (--force): " + differences.joined(separator: "; ")) }
            }
        } else {
            trainer = try newTrainer(train, processes: processes)
        }
        if let exchange {
            try trainer.setGradientExchange(exchange)
            let g = trainer.configuration.batchSize
            note("data-parallel over \(processes) MPI processes: batch \(g / processes) per process, global batch \(g)")
        }
        let scaler = trainer.model.configuration.featureScaler
        let validationData = try validation.map {
            try DataSpec.load($0, split: .test, limit: nil, scaling: FeatureScaling.none, scaledLike: scaler, csv: csvOptions)
        }
        let c = trainer.model.configuration
        note("training \(c.activation.displayName), depth \(c.depth), width \(c.width), \(trainer.model.parameterCount) parameters, on \(train.count) samples")
        let writes = processRank == 0
        var run = TrainingRun(checkpointPath: writes ? checkpointPath : nil, checkpointEvery: checkpointEvery,
                              stopAfterSteps: stopAfterSteps, identity: runIdentity, showProgress: writes)
        if let exchange { run.stopTogether = { try exchange.anyProcess($0) } }
        let title = "\(c.activation.displayName), depth \(c.depth), width \(c.width)"
        let outcome: TrainingRun.Outcome
        do {
            outcome = try run.run(trainer, data: train, validation: validationData)
        } catch {
            // A diverged run's records are what explains it: they are written before the error.
            do { try writeMonitor(trainer, title: title) } catch let m { note("warning: monitor files not written: \(m)") }
            throw error
        }
        try writeMonitor(trainer, title: title)
        if case .stopped(let reason) = outcome {
            // Every process stopped at this step (TrainingRun.stopTogether); MPI ends cleanly.
            if writes { try Checkpoint.save(trainer, identity: runIdentity, to: checkpointPath) }
            try exchange?.barrier()
            exchange?.close()
            throw CLIError.interrupted("\(reason) at step \(trainer.globalStep); checkpoint saved to \(checkpointPath) (continue with --resume \(checkpointPath))")
        }
        if let o = trainer.earlyStoppingOutcome {
            note(String(format: "early stopping: %@; the model holds epoch %d (validation %@ %.6f)",
                        o.stoppedEarly ? "stopped after epoch \(trainer.epoch)" : "ran every epoch", o.bestEpoch + 1,
                        trainer.configuration.earlyStopping?.monitor.rawValue ?? "loss", o.bestValue))
        }
        let exchanged = exchange?.statistics
        exchange?.close()
        guard writes else { return }
        try ModelFile.save(trainer.model, to: out)
        try run.curvePlot(title: title).write(to: curvePath)
        note("saved model to \(out), training curve to \(curvePath)")
        var testResult: JSONValue = .null
        // The default test set is the test split of IDX data; CSV (a file or `-`) has none.
        let isIDX = data == "fashion-mnist" || (data != "-" && !data.lowercased().hasSuffix(".csv"))
        let testSpec = test ?? (!noTest && isIDX ? data : nil)
        if let spec = testSpec {
            let t = try DataSpec.load(spec, split: .test, limit: testLimit, scaling: FeatureScaling.none, scaledLike: scaler, csv: csvOptions)
            let e = try trainer.model.evaluate(t)
            testResult = JSONOutput.object([("loss", .number(e.loss)), ("accuracy", .number(e.accuracy)), ("samples", JSONOutput.int(e.count))])
            if !json { print(String(format: "test loss %.6f accuracy %.6f samples %d", e.loss, e.accuracy, e.count)) }
        }
        if json {
            try JSONOutput.emit([
                JSONMember("model", .string(out)), JSONMember("curve", .string(curvePath)),
                JSONMember("activation", .string(c.activation.displayName)),
                JSONMember("depth", JSONOutput.int(c.depth)), JSONMember("width", JSONOutput.int(c.width)),
                JSONMember("parameters", JSONOutput.int(trainer.model.parameterCount)),
                JSONMember("samples", JSONOutput.int(train.count)),
                JSONMember("epochs", JSONOutput.int(trainer.epoch)), JSONMember("global_step", JSONOutput.int(trainer.globalStep)),
                JSONMember("resumed_from", resumedFrom),
                JSONMember("clip_grad_norm", trainer.configuration.clipGradientNorm.map { .number($0) } ?? .null),
                JSONMember("early_stopping", trainer.earlyStoppingOutcome.map { o in
                    JSONOutput.object([
                        ("best_epoch", JSONOutput.int(o.bestEpoch + 1)), ("best_value", .number(o.bestValue)),
                        ("stopped_early", .bool(o.stoppedEarly)),
                    ])
                } ?? .null),
                JSONMember("epoch_results", .array(run.epochs.map { e in
                    JSONOutput.object([
                        ("epoch", JSONOutput.int(e.epoch + 1)), ("train_loss", .number(e.trainLoss)),
                        ("train_accuracy", .number(e.trainAccuracy)),
                        ("validation", e.validation.map { v in
                            JSONOutput.object([("loss", .number(v.loss)), ("accuracy", .number(v.accuracy)), ("samples", JSONOutput.int(v.count))])
                        } ?? .null),
                        ("seconds", .number(e.seconds)),
                    ])
                })),
                JSONMember("monitor", trainer.monitor.map { m in
                    JSONOutput.object([
                        ("csv", .string(monitorFiles.csvPath)), ("every", JSONOutput.int(m.every)), ("records", JSONOutput.int(m.count)),
                        ("first_collapse", m.firstCollapse.map { f in
                            JSONOutput.object([("step", JSONOutput.int(m.steps[f.record])), ("message", .string(f.collapse.message))])
                        } ?? .null),
                    ])
                } ?? .null),
                JSONMember("test", testResult),
                JSONMember("distributed", exchanged.map { x in
                    JSONOutput.object([
                        ("backend", .string("mpi")), ("processes", JSONOutput.int(processes)),
                        ("batch_per_process", JSONOutput.int(trainer.configuration.batchSize / processes)),
                        ("global_batch", JSONOutput.int(trainer.configuration.batchSize)),
                        ("exchange_wait_seconds", .number(x.waitSeconds)), ("bytes_exchanged", .number(Double(x.bytes))),
                    ])
                } ?? .null),
            ])
        }
    }

    /// Writes the monitor's CSV and heat maps (nothing without --monitor-every).
    func writeMonitor(_ trainer: Trainer, title: String) throws {
        guard let m = trainer.monitor else { return }
        try monitorFiles.write(m, title: title)
        note("wrote \(m.count) monitor records to \(monitorFiles.csvPath), heat maps beside it")
    }

    func identity(of train: Dataset) -> RunIdentity {
        RunIdentity(data: dataLocation, dataset: train, settings: dataSettings)
    }

    func newTrainer(_ train: Dataset, processes: Int) throws -> Trainer {
        let d = depth ?? Self.defaultDepth
        let f = resolved(depth: d)
        if let r = recipe { note("recipe \(r.rawValue): \(r.summary(depth: d)) (explicit flags override it)") }
        let config = MLPConfiguration(
            inputs: train.featureCount, width: width ?? 256, depth: d,
            outputs: train.isClassification ? train.classCount : train.targetCount,
            activation: try act.layerActivation(), constraint: constraint ?? .rowNormalized, seed: seed ?? 0,
            featureScaler: train.scaler, normalization: norm ?? MLPConfiguration.defaultNormalization,
            normalizationMomentum: normMomentum ?? MLPConfiguration.defaultNormalizationMomentum,
            normalizationEpsilon: normEpsilon ?? MLPConfiguration.defaultNormalizationEpsilon,
            residual: f.residual ?? MLPConfiguration.defaultResidual,
            residualScale: f.residualScale ?? MLPConfiguration.defaultResidualScale,
            dropout: dropout ?? MLPConfiguration.defaultDropout)
        let model = try MLP(config)
        let opt = OptimizerConfiguration(kind: f.optimizer ?? .momentum, learningRate: f.lr ?? 0.01, momentum: f.momentum ?? 0.9)
        return try Trainer(model: model, configuration: TrainingConfiguration(
            epochs: epochs ?? 1, batchSize: try Self.globalBatch(batch ?? 64, processes: processes), loss: train.isClassification ? .crossEntropy : .meanSquaredError,
            optimizer: opt, seed: seed ?? 0, clipGradientNorm: f.clipGradNorm, earlyStopping: earlyStoppingRule,
            monitorEvery: monitorEvery ?? TrainingConfiguration.defaultMonitorEvery))
    }

    static let defaultDepth = 50

    /// The engine's batch size of a run: `--batch` per process times the processes.
    static func globalBatch(_ perProcess: Int, processes: Int) throws -> Int {
        let (g, overflow) = perProcess.multipliedReportingOverflow(by: processes)
        guard !overflow else { throw CLIError.usage("--batch: \(perProcess) × \(processes) processes overflows") }
        return g
    }

    /// The recipe-settable values: explicit flags first, then `--recipe`'s at `depth`.
    func resolved(depth: Int) -> RecipeResolvedFlags {
        RecipeResolvedFlags(recipe: recipe, depth: depth, optimizer: optimizer, lr: lr, momentum: momentum,
                            clipGradNorm: clipGradNorm, residual: residual, residualScale: residualScale)
    }

    /// `--early-stopping` and its two companions as the engine's rule (its defaults fill in).
    var earlyStoppingRule: EarlyStopping? {
        earlyStopping.map {
            EarlyStopping(
                patience: $0, monitor: earlyStoppingMonitor ?? EarlyStopping.defaultMonitor,
                minDelta: earlyStoppingMinDelta ?? EarlyStopping.defaultMinDelta)
        }
    }

    /// The model and the optimizer come from the checkpoint: a flag that would change
    /// them is refused rather than ignored (a flag equal to the checkpoint's is fine).
    func rejectChangedFlags(_ trainer: Trainer, checkpoint: String, processes: Int) throws {
        let m = trainer.model.configuration, t = trainer.configuration
        // A --recipe given on resume is checked value by value like the flags it stands for.
        let f = resolved(depth: m.depth)
        var changed: [String] = []
        func check<T: Equatable>(_ flag: String, _ given: T?, _ actual: T) {
            if let g = given, g != actual { changed.append("--\(flag) \(g) (the checkpoint's is \(actual))") }
        }
        check("depth", depth, m.depth)
        check("width", width, m.width)
        check("constraint", constraint?.rawValue, m.constraint.rawValue)
        check("norm", norm?.rawValue, m.normalization.rawValue)
        check("norm-momentum", normMomentum, m.normalizationMomentum)
        check("norm-epsilon", normEpsilon, m.normalizationEpsilon)
        check("residual", f.residual, m.residual)
        check("residual-scale", f.residualScale, m.residualScale)
        check("dropout", dropout, m.dropout)
        check("optimizer", f.optimizer?.rawValue, t.optimizer.kind.rawValue)
        check("lr", f.lr, t.optimizer.learningRate)
        check("momentum", f.momentum, t.optimizer.momentum)
        // The checkpoint holds the global batch; --batch is per process.
        if let b = batch, try Self.globalBatch(b, processes: processes) != t.batchSize {
            changed.append("--batch \(b) × \(processes) process\(processes == 1 ? "" : "es") (the checkpoint's global batch is \(t.batchSize))")
        }
        check("seed", seed, t.seed)
        check("clip-grad-norm", f.clipGradNorm, t.clipGradientNorm ?? 0)
        if earlyStopping != nil, earlyStoppingRule != t.earlyStopping {
            changed.append("--early-stopping \(earlyStopping ?? 0) (the checkpoint's is \(t.earlyStopping.map { "\($0.patience), monitor \($0.monitor.rawValue), min delta \($0.minDelta)" } ?? "off"))")
        }
        if act.isGiven {
            func describe(_ a: LayerActivation) -> String {
                ([a.displayName] + a.base.parameters.map { "\($0.name)=\($0.value)" } + [a.gpnRoot.map { "root \($0)" } ?? ""])
                    .joined(separator: " ").trimmingCharacters(in: .whitespaces)
            }
            check("activation", describe(try act.layerActivation()), describe(m.activation))
        }
        guard changed.isEmpty else {
            throw CLIError.usage("--resume \(checkpoint): \(changed.joined(separator: ", ")) cannot change on resume; drop the flag or start a new run")
        }
    }
}

/// The transports `--distributed` knows.
enum DistributedBackend: String, ExpressibleByArgument, CaseIterable {
    case mpi
}
