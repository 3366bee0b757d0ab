// Feature scaling as plain arrays: read a data set's or a model's statistics, apply them
// to another data set or to a caller buffer, so that a test set is mapped with the
// training set's statistics.
import BSNN
import CBSNNSupport

func scalingCode(_ method: FeatureScaling?) -> Int32 {
    switch method {
    case .none, .some(.none): return 0
    case .some(.unitInterval): return 1
    case .some(.standardize): return 2
    }
}

/// Writes a scaler (nil: the identity) as method + offsets + scales of `count` floats each.
func exportScaler(
    _ s: FeatureScaler?, featureCount: Int, _ method: UnsafeMutablePointer<Int32>?, _ offsets: UnsafeMutablePointer<Float>?,
    _ scales: UnsafeMutablePointer<Float>?, _ count: Int
) throws {
    let m = try outPointer(method, "out_method")
    let n = try size(count, "count")
    if offsets != nil || scales != nil {
        try expectCount(n, featureCount, "count", "one value per feature")
    }
    let o = s?.offsets ?? [Float](repeating: 0, count: featureCount)
    let k = s?.scales ?? [Float](repeating: 1, count: featureCount)
    if let offsets { _ = UnsafeMutableBufferPointer(start: offsets, count: n).initialize(from: o) }
    if let scales { _ = UnsafeMutableBufferPointer(start: scales, count: n).initialize(from: k) }
    m.pointee = scalingCode(s?.method)
}

/// A scaler from caller arrays; BSNN_SCALING_NONE gives nil.
func importScaler(_ method: Int32, _ offsets: UnsafePointer<Float>?, _ scales: UnsafePointer<Float>?, _ count: Int, _ prefix: String) throws -> FeatureScaler? {
    let kind = try scaling(method)
    guard kind != .none else { return nil }
    let n = try size(count, "\(prefix)count")
    guard n > 0 else { throw invalid("\(prefix)count: expected > 0 features, got 0") }
    return try FeatureScaler(
        method: kind, offsets: Array(try buffer(offsets, n, "\(prefix)offsets")), scales: Array(try buffer(scales, n, "\(prefix)scales")))
}

@_cdecl("bsnn_dataset_scaling")
public func bsnn_dataset_scaling(
    _ dataset: OpaquePointer?, _ method: UnsafeMutablePointer<Int32>?, _ offsets: UnsafeMutablePointer<Float>?,
    _ scales: UnsafeMutablePointer<Float>?, _ count: Int
) -> Int32 {
    guarded("bsnn_dataset_scaling") {
        let d = try Handles.lookup(dataset, DatasetBox.self, "dataset").data
        try exportScaler(d.scaler, featureCount: d.featureCount, method, offsets, scales, count)
    }
}

@_cdecl("bsnn_dataset_scale")
public func bsnn_dataset_scale(
    _ dataset: OpaquePointer?, _ method: Int32, _ offsets: UnsafePointer<Float>?, _ scales: UnsafePointer<Float>?,
    _ count: Int, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    guarded("bsnn_dataset_scale") {
        let o = try outPointer(out)
        let d = try Handles.lookup(dataset, DatasetBox.self, "dataset").data
        guard let s = try importScaler(method, offsets, scales, count, "") else {
            throw invalid("method: expected BSNN_SCALING_UNIT_INTERVAL (1) or STANDARDIZE (2), got BSNN_SCALING_NONE (0)")
        }
        publish(DatasetBox(try s.apply(to: d)), o)
    }
}

@_cdecl("bsnn_scale_features")
public func bsnn_scale_features(
    _ offsets: UnsafePointer<Float>?, _ scales: UnsafePointer<Float>?, _ count: Int,
    _ features: UnsafeMutablePointer<Float>?, _ featuresCount: Int
) -> Int32 {
    guarded("bsnn_scale_features") {
        guard let s = try importScaler(2, offsets, scales, count, "") else { throw BSNNError.internal("no scaler") }
        try s.apply(to: try mutableBuffer(features, try size(featuresCount, "features_count"), "features"))
    }
}

@_cdecl("bsnn_model_scaling")
public func bsnn_model_scaling(
    _ model: OpaquePointer?, _ method: UnsafeMutablePointer<Int32>?, _ offsets: UnsafeMutablePointer<Float>?,
    _ scales: UnsafeMutablePointer<Float>?, _ count: Int
) -> Int32 {
    guarded("bsnn_model_scaling") {
        let c = try Handles.lookup(model, ModelBox.self, "model").model.configuration
        try exportScaler(c.featureScaler, featureCount: c.inputs, method, offsets, scales, count)
    }
}
