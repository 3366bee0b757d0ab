extension Dataset {
    /// A classification data set from an IDX image file (N × d1 × … samples) and an IDX
    /// label file (N integer labels). `classCount` defaults to the largest label + 1;
    /// `limit` keeps the first samples only; `scaling` is fitted on this data (byte
    /// images are divided by 255 for `.unitInterval`), which is right for a training set.
    /// A test set must be scaled like its training set: pass the training data's
    /// `Dataset.scaler` as `scaledLike` (then `scaling` is ignored).
    public static func fromIDX(
        imagesPath: String, labelsPath: String, classCount: Int? = nil, limit: Int? = nil,
        scaling: FeatureScaling = .unitInterval, scaledLike: FeatureScaler? = nil
    ) throws(BSNNError) -> Dataset {
        // The limit reaches the reader, so a gzip file is only decompressed that far.
        if let limit = limit, limit < 0 { throw BSNNError.invalidArgument("limit: expected ≥ 0, got \(limit)") }
        return try fromIDX(
            images: IDXReader.read(path: imagesPath, limit: limit), imagesName: imagesPath,
            labels: IDXReader.read(path: labelsPath, limit: limit), labelsName: labelsPath,
            classCount: classCount, limit: limit, scaling: scaling, scaledLike: scaledLike)
    }

    public static func fromIDX(
        images: IDXArray, imagesName: String = "images", labels: IDXArray, labelsName: String = "labels",
        classCount: Int? = nil, limit: Int? = nil, scaling: FeatureScaling = .unitInterval,
        scaledLike: FeatureScaler? = nil
    ) throws(BSNNError) -> Dataset {
        guard images.dimensions.count >= 2 else {
            throw BSNNError.format("\(imagesName): expected at least 2 dimensions (samples × features), got \(images.dimensions)")
        }
        guard labels.dimensions.count == 1 else {
            throw BSNNError.format("\(labelsName): expected 1 dimension (one label per sample), got \(labels.dimensions)")
        }
        guard labels.elementType != .float32, labels.elementType != .float64 else {
            throw BSNNError.format("\(labelsName): expected integer labels, got \(labels.elementType) elements")
        }
        guard labels.fileSampleCount == images.fileSampleCount else {
            throw BSNNError.shapeMismatch(
                "\(labelsName): expected \(images.fileSampleCount) labels (one per image in \(imagesName)), got \(labels.fileSampleCount)")
        }
        // Fewer than the file's samples when the arrays were read with a limit.
        let n = min(images.dimensions[0], labels.dimensions[0])
        if let limit = limit, limit < 0 {
            throw BSNNError.invalidArgument("limit: expected ≥ 0, got \(limit)")
        }
        let keep = min(limit ?? n, n)
        var featureCount = 1
        for d in images.dimensions.dropFirst() {
            let (p, overflow) = featureCount.multipliedReportingOverflow(by: d)
            featureCount = overflow ? 0 : p
        }
        guard featureCount > 0 else {
            throw BSNNError.format("\(imagesName): expected a non-empty sample shape, got dimensions \(images.dimensions)")
        }
        // With zero samples the file holds no pixels, so nothing bounds the sample shape:
        // [0, 2, 2839478272, 50331648] is a 20-byte file whose feature count would make
        // the scaler allocate an exabyte. An empty data set is useless anyway.
        guard keep > 0 else {
            throw images.fileSampleCount == 0
                ? BSNNError.format("\(imagesName): expected at least one sample, got dimensions \(images.dimensions)")
                : BSNNError.invalidArgument("limit: expected > 0 (the number of samples to keep), got 0")
        }
        var ints = [Int32]()
        ints.reserveCapacity(keep)
        var maxLabel: Int32 = -1
        for (i, v) in labels.values.prefix(keep).enumerated() {
            // int32 labels above 2^24 are rounded by the Float conversion; any such label is
            // out of range for a classifier anyway and is rejected here.
            guard v >= 0, v < 1_000_000 else {
                throw BSNNError.format("\(labelsName): label \(i): expected a class index ≥ 0, got \(v)")
            }
            let l = Int32(v)
            maxLabel = max(maxLabel, l)
            ints.append(l)
        }
        let classes = classCount ?? Int(maxLabel) + 1
        if let bad = ints.firstIndex(where: { Int($0) >= classes }) {
            throw BSNNError.format("\(labelsName): label \(bad): expected a class in 0..<\(classes), got \(ints[bad])")
        }
        let features = keep * featureCount == images.values.count
            ? images.values : try MemoryBudget.array(copying: images.values.prefix(keep * featureCount), what: "\(imagesName): features")
        var data = try Dataset(features: features, labels: ints, featureCount: featureCount, classCount: max(classes, 1))
        if let reference = scaledLike { return try reference.apply(to: data) }
        switch scaling {
        case .none:
            break
        case .unitInterval where images.elementType == .uint8:
            data = try FeatureScaler.byteRange(featureCount: featureCount).apply(to: data)
        case .unitInterval, .standardize:
            data = try FeatureScaler.fit(data, method: scaling).apply(to: data)
        }
        return data
    }
}
