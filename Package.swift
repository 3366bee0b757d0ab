// swift-tools-version:6.0
import PackageDescription

// MARK: - Settings shared by the engine targets
let engineSwiftSettings: [SwiftSetting] = [
    .unsafeFlags(["-enforce-exclusivity=unchecked"]),
]

let package = Package(
    name: "bsnn",
    // MARK: - Public products
    products: [
        .library(name: "BSNN", targets: ["BSNN"]),
        .executable(name: "bsnn-bench", targets: ["bsnn-bench"]),
    ],
    targets: [
        // MARK: - System libraries (Debian packages)
        .systemLibrary(
            name: "COpenBLAS", path: "Sources/COpenBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(
            name: "CZlib", path: "Sources/CZlib",
            providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(
            name: "CFFI", path: "Sources/CFFI", pkgConfig: "libffi",
            providers: [.apt(["libffi-dev"])]),

        // MARK: - Internal C targets
        // The plugin ABI header (include/bsnn_plugin.h) as a module the loader can read.
        .target(name: "CBSNNPlugin", path: "Sources/CBSNNPlugin"),

        // MARK: - The engine
        .target(
            name: "BSNN", dependencies: ["COpenBLAS", "CZlib", "CFFI", "CBSNNPlugin"],
            swiftSettings: engineSwiftSettings,
            linkerSettings: [.linkedLibrary("dl")]),

        // MARK: - Benchmarks
        .executableTarget(
            name: "bsnn-bench", dependencies: ["BSNN", "COpenBLAS"], path: "Sources/bsnn-bench"),

        // MARK: - Tests
        .testTarget(name: "BSNNTests", dependencies: ["BSNN"]),
    ],
    swiftLanguageModes: [.v5]
)
