// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "ckpt",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "ckpt", targets: ["CkptCLI"]),
        .library(name: "CkptKit", targets: ["CkptKit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.0"),
    ],
    targets: [
        // System libraries: Debian's libzstd-dev and libopenblas-dev, found through pkg-config.
        .systemLibrary(
            name: "CZstd", path: "Sources/CZstd", pkgConfig: "libzstd",
            providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(
            name: "COpenBLAS", path: "Sources/COpenBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),
        .target(name: "CCkptShims"),
        // expf/erff eight lanes at a time through glibc's libmvec (dlopen'ed), scalar libm elsewhere.
        .target(
            name: "CVecMath",
            linkerSettings: [.linkedLibrary("m"), .linkedLibrary("dl", .when(platforms: [.linux]))]),
        .target(
            name: "CkptKit",
            dependencies: [
                "CZstd", "COpenBLAS", "CCkptShims", "CVecMath",
                .product(name: "Crypto", package: "swift-crypto"),
            ]),
        .executableTarget(
            name: "CkptCLI",
            dependencies: [
                "CkptKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .target(
            name: "CkptTestSupport",
            dependencies: ["CkptKit", .product(name: "Crypto", package: "swift-crypto")],
            path: "Tests/CkptTestSupport"),
        .testTarget(name: "CkptKitTests", dependencies: ["CkptKit", "CkptTestSupport", "CVecMath", "CZstd"]),
        .testTarget(name: "CkptCLITests", dependencies: ["CkptKit", "CkptTestSupport"]),
    ],
    swiftLanguageModes: [.v5]
)

// libFuzzer targets (Fuzz/), only when CKPT_FUZZ=1: they link against the `-sanitize=fuzzer`
// runtime, so they cannot be part of the normal build. Built and run by scripts/fuzz.sh.
if Context.environment["CKPT_FUZZ"] == "1" {
    package.targets += [
        .target(name: "CFuzzerDriver", path: "Fuzz/Sources/CFuzzerDriver"),
        .target(name: "FuzzSupport", dependencies: ["CkptKit", "CFuzzerDriver"], path: "Fuzz/Sources/FuzzSupport"),
        .executableTarget(name: "FuzzSafetensors", dependencies: ["CkptKit", "FuzzSupport"],
                          path: "Fuzz/Sources/FuzzSafetensors"),
        .executableTarget(name: "FuzzRoundTrip", dependencies: ["CkptKit", "FuzzSupport"],
                          path: "Fuzz/Sources/FuzzRoundTrip"),
        .executableTarget(name: "FuzzLayout", dependencies: ["CkptKit", "FuzzSupport"],
                          path: "Fuzz/Sources/FuzzLayout"),
        .executableTarget(name: "FuzzPth", dependencies: ["CkptKit", "FuzzSupport"], path: "Fuzz/Sources/FuzzPth"),
        .executableTarget(name: "FuzzZstd", dependencies: ["CkptKit", "FuzzSupport", "CZstd"], path: "Fuzz/Sources/FuzzZstd"),
        .executableTarget(name: "FuzzHFFolder", dependencies: ["CkptKit", "FuzzSupport"], path: "Fuzz/Sources/FuzzHFFolder"),
        .executableTarget(name: "FuzzManifest", dependencies: ["CkptKit", "FuzzSupport"], path: "Fuzz/Sources/FuzzManifest"),
    ]
}
