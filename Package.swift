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
    ],
    targets: [
        // MARK: - System libraries (Debian packages)
        .systemLibrary(
            name: "COpenBLAS", path: "Sources/COpenBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(
            name: "CZlib", path: "Sources/CZlib",
            providers: [.apt(["zlib1g-dev"])]),

        // MARK: - The engine
        .target(
            name: "BSNN", dependencies: ["COpenBLAS", "CZlib"],
            swiftSettings: engineSwiftSettings),

        // MARK: - Tests
        .testTarget(name: "BSNNTests", dependencies: ["BSNN"]),
    ],
    swiftLanguageModes: [.v5]
)
