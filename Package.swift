// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "bsnn",
    // MARK: - Public products
    products: [
        .library(name: "BSNN", targets: ["BSNN"]),
        // The C ABI (include/bsnn.h): one self-contained shared object in release.
        .library(name: "bsnn", type: .dynamic, targets: ["CBSNN"]),
        // The executable product cannot be called `bsnn` (the library product is);
        // scripts/setup.sh installs it as /usr/local/bin/bsnn.
        .executable(name: "bsnn-cli", targets: ["bsnn-cli"]),
        .executable(name: "bsnn-bench", targets: ["bsnn-bench"]),
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
            // No unsafe flags: SwiftPM refuses them in a package used through
            // `.package(url:from:)`. Exclusivity checking stays on (the hot loops run on
            // pointers, which it does not check; benchmarks/RESULTS.md has the cost).
            exclude: ["Plugins/README.md"],
            // Swift 6: data-race safety is checked; each `@unchecked Sendable` says why it holds.
            swiftSettings: [.swiftLanguageMode(.v6)],
            linkerSettings: [.linkedLibrary("dl")]),

        // The libFuzzer targets' bodies, shared with the XCTest regression replay; not
        // part of any product, so libbsnn.so does not carry them.
        .target(name: "BSNNFuzzing", dependencies: ["BSNN"], path: "Sources/BSNNFuzzing"),

        // MARK: - Benchmarks
        .executableTarget(
            name: "bsnn-bench", dependencies: ["BSNN", "COpenBLAS"], path: "Sources/bsnn-bench"),

        // MARK: - The C ABI
        // The per-thread error text lives in C (`_Thread_local`): no pthread key, so no
        // key destructor that could run after a dlclose.
        .target(name: "CBSNNSupport", path: "Sources/CBSNNSupport"),
        .target(name: "CBSNNMPIClient", path: "Sources/CBSNNMPIClient"),
        .target(
            name: "CBSNN", dependencies: ["BSNN", "CBSNNSupport"],
            exclude: ["bsnn.map"],
            swiftSettings: [
                // Without the runtime inside, a C or Python host would need the Swift
                // toolchain's libraries at run time.
                .unsafeFlags(["-static-stdlib"], .when(configuration: .release)),
            ],
            linkerSettings: [
                // Release: the installed name libbsnn.so.0 (scripts/install.sh makes the
                // usual libbsnn.so → libbsnn.so.0 → libbsnn.so.0.1.0 links) and only the
                // API exported (Sources/CBSNN/bsnn.map). Debug and sanitizer builds keep
                // plain libbsnn.so, so programs linked against them need no extra link.
                .unsafeFlags(["-Xlinker", "-soname=libbsnn.so"], .when(configuration: .debug)),
                .unsafeFlags(["-Xlinker", "-soname=libbsnn.so.0"], .when(configuration: .release)),
                .unsafeFlags(["-Xlinker", "--version-script=\(Context.packageDirectory)/Sources/CBSNN/bsnn.map"],
                             .when(configuration: .release)),
                .unsafeFlags(["-static-stdlib"], .when(configuration: .release)),
                // Undefined symbols fail the link, not the host at dlopen time (release
                // only: sanitizer runtimes leave symbols undefined on purpose).
                .unsafeFlags(["-Xlinker", "-z", "-Xlinker", "defs"], .when(configuration: .release)),
            ]),

        // MARK: - Command line
        // Release: the Swift runtime and Foundation linked in, so an installed `bsnn`
        // runs without the toolchain (scripts/install.sh), like libbsnn.so.
        .executableTarget(
            name: "bsnn-cli",
            dependencies: ["BSNN", "CBSNNMPIClient", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Sources/bsnn-cli",
            swiftSettings: [.unsafeFlags(["-static-stdlib"], .when(configuration: .release))],
            linkerSettings: [.unsafeFlags(["-static-stdlib"], .when(configuration: .release))]),

        // MARK: - Tests
        .testTarget(name: "BSNNTests", dependencies: ["BSNN", "BSNNFuzzing"]),
    ],
    swiftLanguageModes: [.v5]
)

// MARK: - Fuzz targets (only with BSNN_FUZZ=1; see docs/RELIABILITY.md)
// libFuzzer supplies `main`, so these executables link only with
// `-sanitize=fuzzer`; declaring them unconditionally would break `swift build`.
if Context.environment["BSNN_FUZZ"] == "1" {
    let fuzzers: [(String, [Target.Dependency])] = [
        ("safetensors", ["BSNNFuzzing"]), ("idx", ["BSNNFuzzing"]), ("csv", ["BSNNFuzzing"]),
        ("signature", ["BSNNFuzzing"]),
        ("capi", ["BSNN", "CBSNN", "CBSNNSupport"]),
    ]
    package.targets.append(.target(name: "CFuzzDriver", path: "fuzz/targets/driver"))
    for (name, deps) in fuzzers {
        package.targets.append(.executableTarget(
            name: "fuzz-\(name)", dependencies: deps + ["CFuzzDriver"], path: "fuzz/targets/\(name)",
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]))
        package.products.append(.executable(name: "fuzz-\(name)", targets: ["fuzz-\(name)"]))
    }
}
