// Data sets: copied from caller arrays, or read from IDX / Fashion-MNIST / CSV files.
import BSNN
import CBSNNSupport

func scaling(_ raw: Int32) throws -> FeatureScaling {
    switch raw {
    case BSNN_SCALING_NONE.code: return FeatureScaling.none
    case BSNN_SCALING_UNIT_INTERVAL.code: return .unitInterval
    case BSNN_SCALING_STANDARDIZE.code: return .standardize
    default: throw invalid("scaling: expected BSNN_SCALING_NONE (0), UNIT_INTERVAL (1) or STANDARDIZE (2), got \(raw)")
    }
}

func csvDefaults() -> bsnn_csv_options {
    var o = bsnn_csv_options()
    o.size = MemoryLayout<bsnn_csv_options>.size
    o.label_column = 0
    o.header = BSNN_CSV_HEADER_AUTO.code
    o.delimiter = CChar(UInt8(ascii: ","))
    o.regression = 0
    o.class_count = 0
    return o
}

@_cdecl("bsnn_csv_options_init_defaults")
public func bsnn_csv_options_init_defaults(_ options: UnsafeMutablePointer<bsnn_csv_options>?, _ size: Int) -> Int32 {
    guarded("bsnn_csv_options_init_defaults") {
        try initConfig(options, size, defaults: csvDefaults(), minimum: csvOptionsSize01, structName: "bsnn_csv_options")
    }
}

/// sizeof(bsnn_csv_options) in 0.1, the smallest size accepted.
let csvOptionsSize01 = structSize(through: \bsnn_csv_options.class_count)

@_cdecl("bsnn_dataset_create")
public func bsnn_dataset_create(
    _ features: UnsafePointer<Float>?, _ labels: UnsafePointer<Int32>?, _ count: Int, _ featureCount: Int,
    _ classCount: Int, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    guarded("bsnn_dataset_create") {
        let o = try outPointer(out)
        let n = try size(count, "count"), f = try size(featureCount, "feature_count"), k = try size(classCount, "class_count")
        guard n > 0 else { throw invalid("count: expected > 0 samples, got 0") }
        guard f > 0 else { throw invalid("feature_count: expected > 0, got 0") }
        let fs = try buffer(features, try product(n, f, "count × feature_count"), "features")
        let ls = try buffer(labels, n, "labels")
        publish(DatasetBox(try Dataset(features: try MemoryBudget.array(copying: fs, what: "features"), labels: try MemoryBudget.array(copying: ls, what: "labels"), featureCount: f, classCount: k)), o)
    }
}

@_cdecl("bsnn_dataset_create_regression")
public func bsnn_dataset_create_regression(
    _ features: UnsafePointer<Float>?, _ targets: UnsafePointer<Float>?, _ count: Int, _ featureCount: Int,
    _ targetCount: Int, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    guarded("bsnn_dataset_create_regression") {
        let o = try outPointer(out)
        let n = try size(count, "count"), f = try size(featureCount, "feature_count"), t = try size(targetCount, "target_count")
        guard n > 0 else { throw invalid("count: expected > 0 samples, got 0") }
        guard f > 0 else { throw invalid("feature_count: expected > 0, got 0") }
        guard t > 0 else { throw invalid("target_count: expected > 0, got 0") }
        let fs = try buffer(features, try product(n, f, "count × feature_count"), "features")
        let ts = try buffer(targets, try product(n, t, "count × target_count"), "targets")
        publish(DatasetBox(try Dataset(features: try MemoryBudget.array(copying: fs, what: "features"), targets: try MemoryBudget.array(copying: ts, what: "targets"), featureCount: f, targetCount: t)), o)
    }
}

@_cdecl("bsnn_dataset_load_idx")
public func bsnn_dataset_load_idx(
    _ imagesPath: UnsafePointer<CChar>?, _ labelsPath: UnsafePointer<CChar>?, _ limit: Int, _ scale: Int32,
    _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    guarded("bsnn_dataset_load_idx") {
        let o = try outPointer(out)
        let images = try pathArgument(imagesPath, "images_path"), labels = try pathArgument(labelsPath, "labels_path")
        let l = try size(limit, "limit")
        let data = try Dataset.fromIDX(
            imagesPath: images, labelsPath: labels, limit: l == 0 ? nil : l, scaling: try scaling(scale))
        publish(DatasetBox(data), o)
    }
}

@_cdecl("bsnn_dataset_load_fashion_mnist")
public func bsnn_dataset_load_fashion_mnist(
    _ directory: UnsafePointer<CChar>?, _ split: Int32, _ limit: Int, _ scale: Int32,
    _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    guarded("bsnn_dataset_load_fashion_mnist") {
        let o = try outPointer(out)
        let dir = directory == nil ? FashionMNIST.defaultDirectory : try pathArgument(directory, "directory")
        let s: FashionMNIST.Split
        switch split {
        case BSNN_SPLIT_TRAIN.code: s = .train
        case BSNN_SPLIT_TEST.code: s = .test
        default: throw invalid("split: expected BSNN_SPLIT_TRAIN (0) or BSNN_SPLIT_TEST (1), got \(split)")
        }
        let l = try size(limit, "limit")
        publish(DatasetBox(try FashionMNIST.load(directory: dir, split: s, limit: l == 0 ? nil : l, scaling: try scaling(scale))), o)
    }
}

@_cdecl("bsnn_dataset_load_csv")
public func bsnn_dataset_load_csv(
    _ path: UnsafePointer<CChar>?, _ options: UnsafePointer<bsnn_csv_options>?, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    guarded("bsnn_dataset_load_csv") {
        let o = try outPointer(out)
        let p = try pathArgument(path, "path")
        let c = try readConfig(
            options, defaults: csvDefaults(), minimum: csvOptionsSize01, structName: "bsnn_csv_options", argument: "options")
        let header: CSVOptions.Header
        switch c.header {
        case BSNN_CSV_HEADER_AUTO.code: header = .auto
        case BSNN_CSV_HEADER_PRESENT.code: header = .present
        case BSNN_CSV_HEADER_ABSENT.code: header = .absent
        default: throw invalid("options->header: expected BSNN_CSV_HEADER_AUTO (0), PRESENT (1) or ABSENT (2), got \(c.header)")
        }
        guard c.regression == 0 || c.regression == 1 else {
            throw invalid("options->regression: expected 0 or 1, got \(c.regression)")
        }
        let classes = try size(c.class_count, "options->class_count")
        let delimiter = UInt8(bitPattern: c.delimiter)
        guard delimiter < 128 else { throw invalid("options->delimiter: expected an ASCII character, got byte \(delimiter)") }
        let task: CSVOptions.Task = c.regression == 1 ? .regression : .classification(classCount: classes == 0 ? nil : classes)
        let opts = try CSVOptions(
            labelColumn: Int(c.label_column), header: header, delimiter: Character(Unicode.Scalar(delimiter)), task: task)
        publish(DatasetBox(try CSVReader.read(path: p, options: opts)), o)
    }
}

@_cdecl("bsnn_dataset_prefix")
public func bsnn_dataset_prefix(_ dataset: OpaquePointer?, _ n: Int, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    guarded("bsnn_dataset_prefix") {
        let o = try outPointer(out)
        let d = try Handles.lookup(dataset, DatasetBox.self, "dataset").data
        let k = try size(n, "n")
        guard k > 0 else { throw invalid("n: expected > 0 samples, got 0") }
        publish(DatasetBox(try d.prefix(k)), o)
    }
}

@_cdecl("bsnn_dataset_free")
public func bsnn_dataset_free(_ dataset: OpaquePointer?) { Handles.release(dataset, DatasetBox.self) }

@_cdecl("bsnn_dataset_info_get")
public func bsnn_dataset_info_get(_ dataset: OpaquePointer?, _ out: UnsafeMutablePointer<bsnn_dataset_info>?) -> Int32 {
    guarded("bsnn_dataset_info_get") {
        let o = try outPointer(out)
        let d = try Handles.lookup(dataset, DatasetBox.self, "dataset").data
        o.pointee = bsnn_dataset_info(
            count: d.count, feature_count: d.featureCount, class_count: d.classCount, target_count: d.targetCount)
    }
}

@_cdecl("bsnn_dataset_features")
public func bsnn_dataset_features(_ dataset: OpaquePointer?, _ buf: UnsafeMutablePointer<Float>?, _ capacity: Int) -> Int32 {
    guarded("bsnn_dataset_features") {
        let d = try Handles.lookup(dataset, DatasetBox.self, "dataset").data
        try expectCount(try size(capacity, "capacity"), d.features.count, "capacity", "count × feature_count floats")
        let dst = try mutableBuffer(buf, d.features.count, "buffer")
        _ = dst.initialize(from: d.features)
    }
}

@_cdecl("bsnn_dataset_labels")
public func bsnn_dataset_labels(_ dataset: OpaquePointer?, _ buf: UnsafeMutablePointer<Int32>?, _ capacity: Int) -> Int32 {
    guarded("bsnn_dataset_labels") {
        let d = try Handles.lookup(dataset, DatasetBox.self, "dataset").data
        guard d.isClassification else { throw BSNNError.wrongState("dataset: expected classification data with labels, got regression data") }
        try expectCount(try size(capacity, "capacity"), d.labels.count, "capacity", "one label per sample")
        let dst = try mutableBuffer(buf, d.labels.count, "buffer")
        _ = dst.initialize(from: d.labels)
    }
}
