// The signal probe: per-layer forward/backward norms, read out by count query + copy.
import BSNN
import CBSNNSupport

func probeDefaults() -> bsnn_probe_config {
    var c = bsnn_probe_config()
    c.size = MemoryLayout<bsnn_probe_config>.size
    c.upstream = BSNN_UPSTREAM_GAUSSIAN.code
    c.seed = 0
    c.labels = nil
    c.label_count = 0
    c.loss = BSNN_LOSS_CROSS_ENTROPY.code
    c.histogram_bins = 60
    return c
}

@_cdecl("bsnn_probe_config_init_defaults")
public func bsnn_probe_config_init_defaults(_ config: UnsafeMutablePointer<bsnn_probe_config>?, _ size: Int) -> Int32 {
    guarded("bsnn_probe_config_init_defaults") {
        try initConfig(config, size, defaults: probeDefaults(), minimum: probeConfigSize01, structName: "bsnn_probe_config")
    }
}

/// sizeof(bsnn_probe_config) in 0.1, the smallest size accepted.
let probeConfigSize01 = structSize(through: \bsnn_probe_config.histogram_bins)

@_cdecl("bsnn_probe_run")
public func bsnn_probe_run(
    _ model: OpaquePointer?, _ features: UnsafePointer<Float>?, _ featuresCount: Int, _ count: Int,
    _ config: UnsafePointer<bsnn_probe_config>?, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    guarded("bsnn_probe_run") {
        let o = try outPointer(out)
        let m = try Handles.lookup(model, ModelBox.self, "model").model
        let c = try readConfig(
            config, defaults: probeDefaults(), minimum: probeConfigSize01, structName: "bsnn_probe_config", argument: "config")
        let n = try size(count, "count")
        guard n > 0 else { throw invalid("count: expected > 0 samples, got 0") }
        let inCount = try product(n, m.configuration.inputs, "count × inputs")
        try expectCount(try size(featuresCount, "features_count"), inCount, "features_count", "count × inputs = \(n) × \(m.configuration.inputs)")
        let input = try MemoryBudget.array(copying: try buffer(features, inCount, "features"), what: "features")
        let upstream: SignalProbe.Upstream
        switch c.upstream {
        case BSNN_UPSTREAM_GAUSSIAN.code: upstream = .gaussian(seed: c.seed)
        case BSNN_UPSTREAM_LABELS.code:
            let k = try size(c.label_count, "config->label_count")
            try expectCount(k, n, "config->label_count", "one label per sample")
            upstream = .labels(try MemoryBudget.array(copying: try buffer(c.labels, k, "config->labels"), what: "config->labels"), loss: try lossFunction(c.loss, "config->loss"))
        default: throw invalid("config->upstream: expected BSNN_UPSTREAM_GAUSSIAN (0) or LABELS (1), got \(c.upstream)")
        }
        let bins = try size(c.histogram_bins, "config->histogram_bins")
        publish(ProbeBox(try SignalProbe.run(model: m, input: input, upstream: upstream, histogramBins: bins)), o)
    }
}

@_cdecl("bsnn_probe_free")
public func bsnn_probe_free(_ probe: OpaquePointer?) { Handles.release(probe, ProbeBox.self) }

@_cdecl("bsnn_probe_get")
public func bsnn_probe_get(
    _ probe: OpaquePointer?, _ which: Int32, _ buf: UnsafeMutablePointer<Double>?, _ capacity: Int,
    _ outCount: UnsafeMutablePointer<Int>?
) -> Int32 {
    guarded("bsnn_probe_get") {
        let oc = try outPointer(outCount, "out_count")
        let r = try Handles.lookup(probe, ProbeBox.self, "probe").result
        let values: [Double]
        switch which {
        case BSNN_PROBE_FORWARD_NORMS.code: values = r.forwardNorms
        case BSNN_PROBE_BACKWARD_NORMS.code: values = r.backwardNorms
        case BSNN_PROBE_WEIGHT_GRADIENT_NORMS.code: values = r.weightGradientNorms
        case BSNN_PROBE_BATCH_WEIGHT_GRADIENT_NORMS.code: values = r.batchWeightGradientNorms
        case BSNN_PROBE_DERIVATIVE_HISTOGRAM.code: values = r.derivativeHistogram.counts.map(Double.init)
        case BSNN_PROBE_INPUT_GRADIENT_NORMS.code: values = r.inputGradientNorms
        default: throw invalid("which: expected a bsnn_probe_array (0...5), got \(which)")
        }
        let cap = try size(capacity, "capacity")
        if buf == nil && cap == 0 {
            oc.pointee = values.count
            return
        }
        guard cap >= values.count else {
            throw invalid("capacity: expected at least \(values.count) doubles, got \(cap)")
        }
        _ = try mutableBuffer(buf, values.count, "buffer").initialize(from: values)
        oc.pointee = values.count
    }
}

@_cdecl("bsnn_probe_histogram_range")
public func bsnn_probe_histogram_range(
    _ probe: OpaquePointer?, _ outLower: UnsafeMutablePointer<Double>?, _ outUpper: UnsafeMutablePointer<Double>?
) -> Int32 {
    guarded("bsnn_probe_histogram_range") {
        let lo = try outPointer(outLower, "out_lower"), hi = try outPointer(outUpper, "out_upper")
        let h = try Handles.lookup(probe, ProbeBox.self, "probe").result.derivativeHistogram
        lo.pointee = h.lowerBound
        hi.pointee = h.upperBound
    }
}
