// bsnn-bench: times training steps of the paper network and prints one JSON line in the
// schema of benchmarks/report.py. Arguments: --depth D --width W --threads T --steps N
// --warmup K --batch B --mode fused|checked --activation NAME [--epoch] [--forward-only]
// [--normalize-timing] (the GPN normalizer's cost per builtin activation) [--norm none|batch|layer]
// [--clip-grad-norm X] [--constraint row_norm|none|orthogonal]
// [--residual [--residual-scale X|learnable]] [--dropout P].
import BSNN
import COpenBLAS
import Glibc

struct Options {
    var depth = 200, width = 500, threads = 1, steps = 20, warmup = 3, batch = 64
    var mode = UpdateMode.fused
    var activation = "tanh"
    var epoch = false
    var plugin: String? = nil  // PATH:NAME
    var symbol: String? = nil  // LIB:SYMBOL:SIGNATURE
    var throughput = false
    var forceFFI = false
    var normalizeTiming = false
    var norm = Normalization.none
    var clipGradientNorm: Double? = nil
    var constraint = WeightConstraint.rowNormalized
    var residual = false
    var residualScale = MLPConfiguration.defaultResidualScale
    var dropout = MLPConfiguration.defaultDropout
    var optimizer = OptimizerKind.momentum
}

func fail(_ message: String) -> Never {
    fputs("bsnn-bench: \(message)\n", stderr)
    exit(64)
}

func parse() -> Options {
    var o = Options()
    var args = Array(CommandLine.arguments.dropFirst())
    func int(_ flag: String) -> Int {
        guard !args.isEmpty, let v = Int(args.removeFirst()), v > 0 else { fail("\(flag) needs a positive integer") }
        return v
    }
    while !args.isEmpty {
        let a = args.removeFirst()
        switch a {
        case "--depth": o.depth = int(a)
        case "--width": o.width = int(a)
        case "--threads": o.threads = int(a)
        case "--steps": o.steps = int(a)
        case "--warmup": o.warmup = int(a)
        case "--batch": o.batch = int(a)
        case "--epoch": o.epoch = true
        case "--activation-throughput": o.throughput = true
        case "--ffi": o.forceFFI = true
        case "--normalize-timing": o.normalizeTiming = true
        case "--residual": o.residual = true
        case "--residual-scale":
            guard !args.isEmpty else { fail("--residual-scale needs a number or learnable") }
            let v = args.removeFirst()
            guard let r = ResidualScale(text: v) else { fail("--residual-scale needs a number or \(ResidualScale.learnableName), got \(v)") }
            o.residualScale = r
        case "--dropout":
            guard !args.isEmpty, let p = Double(args.removeFirst()) else { fail("--dropout needs a probability") }
            o.dropout = p
        case "--symbol":
            guard !args.isEmpty else { fail("--symbol needs LIB:SYMBOL:SIGNATURE") }
            o.symbol = args.removeFirst()
        case "--norm":
            guard !args.isEmpty, let n = Normalization(rawValue: args.removeFirst()) else { fail("--norm none|batch|layer") }
            o.norm = n
        case "--clip-grad-norm":
            guard !args.isEmpty, let v = Double(args.removeFirst()) else { fail("--clip-grad-norm needs a number") }
            o.clipGradientNorm = v
        case "--constraint":
            guard !args.isEmpty, let c = WeightConstraint(rawValue: args.removeFirst()) else { fail("--constraint row_norm|none|orthogonal") }
            o.constraint = c
        case "--optimizer":
            guard !args.isEmpty, let k = OptimizerKind(rawValue: args.removeFirst()) else { fail("--optimizer needs one of \(OptimizerKind.allCases.map(\.rawValue))") }
            o.optimizer = k
        case "--mode":
            guard !args.isEmpty, let m = UpdateMode(rawValue: args.removeFirst()) else { fail("--mode fused|checked") }
            o.mode = m
        case "--activation":
            guard !args.isEmpty else { fail("--activation needs a name") }
            o.activation = args.removeFirst()
        case "--plugin":
            guard !args.isEmpty else { fail("--plugin needs PATH:NAME") }
            o.plugin = args.removeFirst()
        default: fail("unknown argument \(a)")
        }
    }
    return o
}

/// Calls of malloc counted by benchmarks/malloc_count.so when it is preloaded.
func mallocCalls() -> Int? {
    guard let me = dlopen(nil, RTLD_NOW), let sym = dlsym(me, "bsnn_bench_malloc_calls") else { return nil }
    typealias F = @convention(c) () -> UInt64
    return Int(unsafeBitCast(sym, to: F.self)())
}

/// sgemm GFLOP/s at the step's three shapes (harmonic mean), same thread count.
func sgemmPeak(width: Int, batch: Int) -> Double {
    let n = width
    var a = [Float](repeating: 0.5, count: batch * n), w = [Float](repeating: 0.25, count: n * n)
    var c = [Float](repeating: 0, count: n * n)
    func time(_ body: () -> Void) -> Double {
        body()
        var best = Double.infinity
        for _ in 0..<30 {
            let t0 = MonotonicClock.now()
            body()
            best = min(best, MonotonicClock.now() - t0)
        }
        return best
    }
    let flops = 2.0 * Double(batch * n * n)
    let tf = time { cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(batch), Int32(n), Int32(n), 1, a, Int32(n), w, Int32(n), 0, &c, Int32(n)) }
    let tx = time { cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(batch), Int32(n), Int32(n), 1, a, Int32(n), w, Int32(n), 0, &c, Int32(n)) }
    let tw = time { cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(n), Int32(n), Int32(batch), 1, a, Int32(n), a, Int32(n), 0, &c, Int32(n)) }
    _ = (a.count, w.count)
    a[0] = c[0]
    w[0] = a[0]
    return 3 / (tf / flops + tx / flops + tw / flops) / 1e9
}

/// CPU seconds of all this process's threads: on a shared machine a step's CPU time
/// leaves out the time it waited for a core, which its wall time does not.
func processCPUSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
}

func percentile(_ s: [Double], _ p: Double) -> Double {
    let sorted = s.sorted()
    let idx = min(sorted.count - 1, max(0, Int((p * Double(sorted.count - 1)).rounded())))
    return sorted[idx]
}

func peakRSSMiB() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
}

let o = parse()
try BLAS.setThreadCount(o.threads)
do {
    if o.normalizeTiming {
        // The normalizer runs once per activation a network is built with: its cost is
        // start-up latency, measured per call (mean of 20) for each builtin.
        for name in BuiltinActivation.names {
            let act = try BuiltinActivation.make(name)
            let reps = 20
            let t0 = MonotonicClock.now()
            for _ in 0..<reps { _ = try GPNNormalizer.normalize(act) }
            let us = (MonotonicClock.now() - t0) / Double(reps) * 1e6
            print("{\"normalize\": \"\(name)\", \"us_per_call\": \(us)}")
        }
        exit(0)
    }
    let base: Activation
    if let spec = o.plugin {
        let parts = spec.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { fail("--plugin PATH:NAME") }
        base = try PluginLibrary.load(path: parts[0]).makeActivation(name: parts[1])
    } else if let spec = o.symbol {
        let parts = spec.split(separator: ":", maxSplits: 2).map(String.init)
        guard parts.count == 3 else { fail("--symbol LIB:SYMBOL:SIGNATURE") }
        base = try ForeignActivation.make(
            library: parts[0], symbol: parts[1], signature: parts[2], dispatch: o.forceFFI ? .ffi : .automatic)
    } else {
        base = try BuiltinActivation.make(o.activation)
    }
    if o.throughput {
        // φ and φ' over 10⁷ elements in chunks of one layer's batch (64 × 500), the way
        // training calls it; in place, as the forward pass does.
        let chunk = 32_000, total = 10_000_000
        var x = [Float](repeating: 0, count: chunk), v = x, d = x
        var rng = RandomGenerator(seed: 3)
        x.withUnsafeMutableBufferPointer { rng.fillGaussian($0) }
        var best = Double.infinity
        for _ in 0..<3 {
            let t0 = MonotonicClock.now()
            var done = 0
            while done < total {
                x.withUnsafeBufferPointer { xp in
                    v.withUnsafeMutableBufferPointer { vp in
                        d.withUnsafeMutableBufferPointer { dp in
                            base.evaluate(xp, scale: 1.1, shift: 0.1, value: vp, derivative: dp)
                        }
                    }
                }
                done += chunk
            }
            best = min(best, MonotonicClock.now() - t0)
        }
        let name = o.plugin ?? o.symbol.map { $0 + (o.forceFFI ? " (ffi)" : "") } ?? base.name
        print("{\"activation\": \"\(name)\", \"elements\": \(total), \"ns_per_element\": \(best / Double(total) * 1e9), \"elements_per_s\": \(Double(total) / best), \"checksum\": \(v[7] + d[7])}")
        exit(0)
    }
    let act = try LayerActivation.gpn(base, root: GPNRoot.paper(for: base.name))
    let config = MLPConfiguration(
        inputs: 784, width: o.width, depth: o.depth, outputs: 10, activation: act,
        constraint: o.constraint, initialization: .orthogonal, bias: true, seed: 1, normalization: o.norm,
        residual: o.residual, residualScale: o.residualScale, dropout: o.dropout)
    let model = try MLP(config)
    let training = TrainingConfiguration(
        epochs: 1, batchSize: o.batch,
        optimizer: OptimizerConfiguration(kind: o.optimizer, learningRate: 1e-4, momentum: 0.5),
        seed: 1, updateMode: o.mode, clipGradientNorm: o.clipGradientNorm)
    let trainer = try Trainer(model: model, configuration: training)
    let flopsPerSample = 6.0 * Double(784 * o.width + o.depth * o.width * o.width + o.width * 10)
    let peak = sgemmPeak(width: o.width, batch: o.batch)
    if o.epoch {
        let data = try FashionMNIST.load(split: .train)
        let t0 = MonotonicClock.now()
        try trainer.fit(data)
        let seconds = MonotonicClock.now() - t0
        let gflops = flopsPerSample * Double(data.count) / seconds / 1e9
        print("""
            {"peer": "bsnn", "mode": "epoch", "update_mode": "\(o.mode.rawValue)", "depth": \(o.depth), "threads": \(o.threads), "batch": \(o.batch), "samples": \(data.count), "epoch_s": \(seconds), "samples_per_s": \(Double(data.count) / seconds), "gflops": \(gflops), "sgemm_peak_gflops": \(peak), "peak_rss_mib": \(peakRSSMiB())}
            """)
        exit(0)
    }
    var rng = RandomGenerator(seed: 5)
    var x = [Float](repeating: 0, count: o.batch * 784)
    x.withUnsafeMutableBufferPointer { rng.fillGaussian($0) }
    let y = (0..<o.batch).map { Int32($0 % 10) }
    for _ in 0..<o.warmup { try trainer.step(features: x, labels: y) }
    let before = mallocCalls()
    var times: [Double] = [], cpuTimes: [Double] = []
    times.reserveCapacity(o.steps)
    cpuTimes.reserveCapacity(o.steps)
    try x.withUnsafeBufferPointer { xp in
        try y.withUnsafeBufferPointer { yp in
            for _ in 0..<o.steps {
                let t0 = MonotonicClock.now(), c0 = processCPUSeconds()
                try trainer.step(features: xp.baseAddress!, labels: yp.baseAddress!, targets: nil, count: o.batch)
                times.append((MonotonicClock.now() - t0) * 1000)
                cpuTimes.append((processCPUSeconds() - c0) * 1000)
            }
        }
    }
    let after = mallocCalls()
    let median = percentile(times, 0.5)
    let gflops = flopsPerSample * Double(o.batch) / (median / 1000) / 1e9
    let mallocs = (before != nil && after != nil) ? String(Double(after! - before!) / Double(o.steps)) : "null"
    // Theoretical minimum memory: V + velocity (all layers) + stored activations and derivatives.
    let params = Double(config.parameterCount)
    let activations = Double(2 * (o.depth + 1) * o.batch * o.width + o.batch * 784)
    let minimumMiB = (2 * params + activations) * 4 / 1_048_576
    print("""
        {"peer": "bsnn", "update_mode": "\(o.mode.rawValue)", "optimizer": "\(o.optimizer.rawValue)", "norm": "\(o.norm.rawValue)", "constraint": "\(o.constraint.rawValue)", "clip_grad_norm": \(o.clipGradientNorm.map { "\($0)" } ?? "null"), "activation": "\(base.name)\(o.plugin != nil ? "(plugin)" : "")", "depth": \(o.depth), "width": \(o.width), "residual": \(o.residual ? "\"\(o.residualScale)\"" : "null"), "dropout": \(o.dropout), "threads": \(o.threads), "batch": \(o.batch), "steps": \(o.steps), "median_ms": \(median), "min_ms": \(times.min()!), "max_ms": \(times.max()!), "p10_ms": \(percentile(times, 0.1)), "p90_ms": \(percentile(times, 0.9)), "samples_per_s": \(Double(o.batch) / (median / 1000)), "gflops": \(gflops), "sgemm_peak_gflops": \(peak), "fraction_of_peak": \(gflops / peak), "mallocs_per_step": \(mallocs), "peak_rss_mib": \(peakRSSMiB()), "minimum_mib": \(minimumMiB), "cpu_median_ms": \(percentile(cpuTimes, 0.5)), "blas_core": "\(BLAS.coreName)"}
        """)
} catch {
    fail("\(error)")
}
