// swift-tools-version:6.0
import PackageDescription

// Modules by dependency direction; each imports only the ones below it, so a cycle does not build:
//
//   CkptCLI ─▶ CkptKit (umbrella: re-exports the six public modules)
//   CkptVerify ─▶ CkptForward ─▶ CkptLayout ─▶ CkptCheckpoint ─▶ CkptPth ─▶ CkptFormat
//                                                          └──────────────────▶ CkptFormat
//
// CkptFormat: safetensors, JSON, tensor byte sources, mapped/atomic I/O, zstd, float casts, errors.
// CkptPth: the torch.save reader (pickle interpreter, zip). CkptCheckpoint: one logical checkpoint
// over any input. CkptLayout: key tables, layout detection and conversion, synthetic models.
// CkptForward: the reference forward pass (the only module over OpenBLAS and libmvec).
// CkptVerify: strict verification, manifests, diff (the only module over libcrypto's SHA-256); its golden check
// preprocesses image cases through CkptImage, and Images/ holds the image pipelines the CLI runs (preprocess
// to a pixel file with SHA-256 provenance, batched embed --image, DICOM to the card recipe's PNG) since they need
// CkptForward, hashing, CkptImage and CkptDICOM together.
// CkptImage: image files to transformers' pixel_values (PNG/JPEG through libpng and libjpeg-turbo, Pillow's
// resampling); it depends on nothing of ours, only on its C shim.
// CkptDICOM: DICOM files to the image SimpleITK reads (parser, pixel semantics, geometry; RLE, JPEG lossless
// and 12-bit DCT in Swift; zlib, CharLS and OpenJPEG behind the CDICOMCodecs shim, libjpeg-turbo through
// CImageCodecs); it reads files through CkptFormat's MappedFile. CkptKit re-exports it.
let package = Package(
    name: "ckpt",
    products: [
        .executable(name: "ckpt", targets: ["CkptCLI"]),
        .library(name: "CkptKit", targets: ["CkptKit"]),
        .library(name: "CkptImage", targets: ["CkptImage"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        // `swift package generate-documentation --target CkptKit` (Sources/CkptKit/CkptKit.docc).
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // System libraries: Debian's libzstd-dev, found through pkg-config, and libopenblas-dev,
        // whose headers only are used: OpenBLAS is dlopen'ed on first use (COpenBLASLoader), so
        // commands without linear algebra never load it or start its threads.
        .systemLibrary(
            name: "CZstd", path: "Sources/CZstd", pkgConfig: "libzstd",
            providers: [.apt(["libzstd-dev"])]),
        // SHA-256 from Debian's libssl-dev (libcrypto): its SHA-NI code, where the CPU has it. Headers
        // only, like COpenBLAS: libcrypto is dlopen'ed on first use (CLibCryptoLoader), so commands
        // that hash nothing do not bind its 4,000 symbols at start-up.
        .systemLibrary(
            name: "CLibCrypto", path: "Sources/CLibCrypto",
            providers: [.apt(["libssl-dev"])]),
        .systemLibrary(
            name: "COpenBLAS", path: "Sources/COpenBLAS",
            providers: [.apt(["libopenblas-dev"])]),
        // Image codecs: Debian's libpng-dev and libjpeg62-turbo-dev. Every libpng/libjpeg call, and the
        // setjmp/longjmp of their error paths, stays inside the C shim CImageCodecs.
        .systemLibrary(
            name: "CPng", path: "Sources/CPng", pkgConfig: "libpng",
            providers: [.apt(["libpng-dev"])]),
        .systemLibrary(
            name: "CJpeg", path: "Sources/CJpeg", pkgConfig: "libjpeg",
            providers: [.apt(["libjpeg62-turbo-dev"])]),
        .target(name: "CImageCodecs", dependencies: ["CPng", "CJpeg"]),
        .target(name: "CkptImage", dependencies: ["CImageCodecs"]),
        // DICOM codecs: Debian's zlib1g-dev (deflated datasets), libcharls-dev (JPEG-LS) and
        // libopenjp2-7-dev (JPEG 2000). Every call into them, and all their error handling, stays in
        // the C shim CDICOMCodecs; JPEG baseline reuses CImageCodecs' libjpeg-turbo decoder.
        .systemLibrary(
            name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(
            name: "CCharLS", path: "Sources/CCharLS", pkgConfig: "charls",
            providers: [.apt(["libcharls-dev"])]),
        .systemLibrary(
            name: "COpenJPEG", path: "Sources/COpenJPEG", pkgConfig: "libopenjp2",
            providers: [.apt(["libopenjp2-7-dev"])]),
        .target(name: "CDICOMCodecs", dependencies: ["CZlib", "CCharLS", "COpenJPEG"]),
        // DICOM files to the image SimpleITK reads (parser, transfer syntaxes) and RAD-DINO's card recipe.
        .target(name: "CkptDICOM", dependencies: ["CkptFormat", "CDICOMCodecs", "CImageCodecs"]),
        // dlopen of the first library name found and its symbols, with the message a user can act on;
        // shared by the two loaders below.
        .target(name: "CDynamicLoad", linkerSettings: [.linkedLibrary("dl", .when(platforms: [.linux]))]),
        .target(name: "COpenBLASLoader", dependencies: ["COpenBLAS", "CDynamicLoad"]),
        .target(name: "CLibCryptoLoader", dependencies: ["CLibCrypto", "CDynamicLoad"]),
        .target(name: "CCkptShims"),
        // expf/erff eight lanes at a time through glibc's libmvec (dlopen'ed), scalar libm elsewhere.
        .target(
            name: "CVecMath",
            linkerSettings: [.linkedLibrary("m"), .linkedLibrary("dl", .when(platforms: [.linux]))]),

        .target(name: "CkptFormat", dependencies: ["CZstd", "CCkptShims"]),
        .target(name: "CkptPth", dependencies: ["CkptFormat"]),
        .target(name: "CkptCheckpoint", dependencies: ["CkptFormat", "CkptPth"]),
        .target(name: "CkptLayout", dependencies: ["CkptFormat", "CkptCheckpoint"]),
        .target(name: "CkptForward", dependencies: ["CkptFormat", "CkptCheckpoint", "CkptLayout", "COpenBLASLoader", "CVecMath"]),
        .target(
            name: "CkptVerify",
            dependencies: [
                "CkptFormat", "CkptCheckpoint", "CkptLayout", "CkptForward", "CkptImage", "CkptDICOM", "CLibCryptoLoader",
            ]),
        .target(
            name: "CkptKit",
            dependencies: ["CkptFormat", "CkptCheckpoint", "CkptLayout", "CkptForward", "CkptVerify", "CkptImage", "CkptDICOM"]),
        .executableTarget(
            name: "CkptCLI",
            dependencies: [
                "CkptKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        .target(
            name: "CkptTestSupport",
            dependencies: ["CkptKit"],
            path: "Tests/CkptTestSupport"),
        // Test targets mirror the modules; a test may set up its case through higher modules (a layout
        // test hashes its output with CkptVerify), so each imports the umbrella plus its own module.
        .testTarget(name: "CkptFormatTests", dependencies: ["CkptFormat", "CkptKit", "CkptTestSupport"]),
        .testTarget(name: "CkptPthTests", dependencies: ["CkptPth", "CkptKit", "CkptTestSupport"]),
        .testTarget(name: "CkptCheckpointTests", dependencies: ["CkptCheckpoint", "CkptKit", "CkptTestSupport", "CZstd"]),
        .testTarget(name: "CkptLayoutTests", dependencies: ["CkptLayout", "CkptKit", "CkptTestSupport"]),
        .testTarget(name: "CkptForwardTests", dependencies: ["CkptForward", "CkptKit", "CkptTestSupport", "CVecMath"]),
        .testTarget(name: "CkptVerifyTests", dependencies: ["CkptVerify", "CkptKit", "CkptTestSupport"]),
        .testTarget(name: "CkptImageTests", dependencies: ["CkptImage", "CkptTestSupport"]),
        .testTarget(name: "CkptDICOMTests", dependencies: ["CkptDICOM", "CkptImage", "CkptTestSupport"]),
        // ckpt-measure: a child's own wall time and peak RSS (for bench/ and the memory-bound tests).
        .executableTarget(name: "ckpt-measure", path: "Tests/CkptMeasure"),
        .testTarget(name: "CkptCLITests", dependencies: ["CkptKit", "CkptTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
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
        .executableTarget(name: "FuzzImage", dependencies: ["CkptImage", "FuzzSupport"], path: "Fuzz/Sources/FuzzImage"),
        .executableTarget(name: "FuzzDICOM", dependencies: ["CkptDICOM", "FuzzSupport"], path: "Fuzz/Sources/FuzzDICOM"),
    ]
}
