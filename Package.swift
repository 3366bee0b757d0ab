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
        // The executable product cannot be called `bsnn` (the library product will be);
        // scripts/setup.sh installs it as /usr/local/bin/bsnn.
        .executable(name: "bsnn-cli", targets: ["bsnn-cli"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
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

        // MARK: - Command line
        .executableTarget(
            name: "bsnn-cli",
            dependencies: ["BSNN", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Sources/bsnn-cli"),

        // MARK: - Tests
        .testTarget(name: "BSNNTests", dependencies: ["BSNN"]),
    ],
    swiftLanguageModes: [.v5]
)
