import Glibc

/// Fashion-MNIST (Zalando): 28×28 grey images of 10 clothing classes, 60,000 for
/// training and 10,000 for testing, in the MNIST IDX format.
public enum FashionMNIST {
    /// Where Debian's `dataset-fashion-mnist` package installs the files.
    public static let defaultDirectory = "/usr/share/datasets/fashion-mnist"
    public static let classCount = 10
    public static let imageSide = 28
    public static let classNames = [
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ]

    public enum Split: String, Sendable {
        case train
        case test

        var filePrefix: String { self == .train ? "train" : "t10k" }
        public var expectedCount: Int { self == .train ? 60_000 : 10_000 }
    }

    /// The path of `base` in `directory`, plain or `.gz`, whichever exists.
    static func locate(_ base: String, in directory: String) throws(BSNNError) -> String {
        let dir = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        for candidate in ["\(dir)/\(base)", "\(dir)/\(base).gz"] where access(FilePathBytes.cString(candidate), R_OK) == 0 {
            return candidate
        }
        throw BSNNError.io("Fashion-MNIST: expected '\(dir)/\(base)' or '\(dir)/\(base).gz', found neither (install dataset-fashion-mnist or pass the directory)")
    }

    /// One split as a classification data set (784 features, 10 classes). `limit` keeps
    /// the first samples. `.standardize` always uses the statistics of the whole training
    /// split of `directory`, for either split and any limit, so a training prefix and the
    /// test split are mapped alike and the test images never contribute (which would leak
    /// their statistics); `scaledLike` (a training set's `Dataset.scaler`) overrides it.
    public static func load(
        directory: String = defaultDirectory, split: Split, limit: Int? = nil,
        scaling: FeatureScaling = .unitInterval, scaledLike: FeatureScaler? = nil
    ) throws(BSNNError) -> Dataset {
        var reference = scaledLike
        if reference == nil, scaling == .standardize, split == .test || limit != nil {
            reference = try load(directory: directory, split: .train, scaling: scaling).scaler
        }
        let images = try locate("\(split.filePrefix)-images-idx3-ubyte", in: directory)
        let labels = try locate("\(split.filePrefix)-labels-idx1-ubyte", in: directory)
        if let limit = limit, limit < 0 { throw BSNNError.invalidArgument("limit: expected ≥ 0, got \(limit)") }
        // The limit reaches the reader: the .gz files are decompressed only that far.
        let imageArray = try IDXReader.read(path: images, limit: limit)
        guard imageArray.elementType == .uint8, imageArray.dimensions.count == 3,
            imageArray.dimensions[1] == imageSide, imageArray.dimensions[2] == imageSide
        else {
            throw BSNNError.format("\(images): expected N × 28 × 28 unsigned bytes, got \(imageArray.dimensions) of \(imageArray.elementType)")
        }
        return try Dataset.fromIDX(
            images: imageArray, imagesName: images, labels: IDXReader.read(path: labels, limit: limit), labelsName: labels,
            classCount: classCount, limit: limit, scaling: scaling, scaledLike: reference)
    }
}
