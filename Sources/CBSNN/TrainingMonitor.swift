// The training monitor's records: handle lookup and enum codes only; the engine checks
// records, sizes and whether the monitor is on.
import BSNN
import CBSNNSupport

func signalQuantity(_ code: Int32) throws -> SignalQuantity {
    switch code {
    case BSNN_SIGNAL_X_NORM.code: return .forwardNorm
    case BSNN_SIGNAL_Y_NORM.code: return .backwardNorm
    case BSNN_SIGNAL_GRAD_NORM.code: return .weightGradientNorm
    case BSNN_SIGNAL_DERIV_MEAN.code: return .derivativeMean
    case BSNN_SIGNAL_DERIV_STD.code: return .derivativeStandardDeviation
    case BSNN_SIGNAL_SATURATED.code: return .saturatedFraction
    case BSNN_SIGNAL_COSINE.code: return .cosineSimilarity
    default: throw invalid("signal: expected a bsnn_signal (0...6), got \(code)")
    }
}

func collapseCode(_ c: SignalCollapse?) -> (Int32, Double) {
    switch c {
    case nil: return (BSNN_COLLAPSE_NONE.code, 0)
    case .nonFinite(let l): return (BSNN_COLLAPSE_NON_FINITE.code, Double(l))
    case .gradientRatio(let r): return (BSNN_COLLAPSE_GRADIENT_RATIO.code, r)
    case .similarity(let s): return (BSNN_COLLAPSE_SIMILARITY.code, s)
    }
}

func monitor(_ trainer: OpaquePointer?) throws -> TrainingMonitor {
    try Handles.lookup(trainer, TrainerBox.self, "trainer").trainer.requireMonitor()
}

@_cdecl("bsnn_trainer_monitor_count")
public func bsnn_trainer_monitor_count(
    _ trainer: OpaquePointer?, _ outRecords: UnsafeMutablePointer<Int>?, _ outLayers: UnsafeMutablePointer<Int>?
) -> Int32 {
    guarded("bsnn_trainer_monitor_count") {
        let m = try monitor(trainer)
        outRecords?.pointee = m.count
        outLayers?.pointee = m.layerCount
    }
}

@_cdecl("bsnn_trainer_monitor_values")
public func bsnn_trainer_monitor_values(
    _ trainer: OpaquePointer?, _ record: Int, _ signal: Int32, _ out: UnsafeMutablePointer<Double>?, _ outCount: Int,
    _ outStep: UnsafeMutablePointer<Int>?
) -> Int32 {
    guarded("bsnn_trainer_monitor_values") {
        let m = try monitor(trainer)
        let r = try size(record, "record")
        try m.copyValues(try signalQuantity(signal), record: r, into: try mutableBuffer(out, try size(outCount, "out_count"), "out"))
        outStep?.pointee = m.steps[r]
    }
}

@_cdecl("bsnn_trainer_monitor_collapse")
public func bsnn_trainer_monitor_collapse(
    _ trainer: OpaquePointer?, _ record: Int, _ outCollapse: UnsafeMutablePointer<Int32>?, _ outValue: UnsafeMutablePointer<Double>?
) -> Int32 {
    guarded("bsnn_trainer_monitor_collapse") {
        let m = try monitor(trainer)
        let o = try outPointer(outCollapse, "out_collapse")
        let (code, value) = collapseCode(try m.collapse(record: try size(record, "record")))
        o.pointee = code
        outValue?.pointee = value
    }
}

@_cdecl("bsnn_trainer_monitor_clear")
public func bsnn_trainer_monitor_clear(_ trainer: OpaquePointer?) -> Int32 {
    guarded("bsnn_trainer_monitor_clear") { try monitor(trainer).removeAll() }
}
