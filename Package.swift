// swift-tools-version:6.0
import PackageDescription

// Modules by dependency direction, top-down; each imports only the ones below it, so a cycle does not build:
//
//   CkptCLI ─▶ CkptKit (umbrella: re-exports the public modules)
//   CkptVerify ─▶ CkptGolden ─▶ CkptEmbed ─▶ CkptForward ─▶ CkptLayout ─▶ CkptCheckpoint
//   formats:  CkptPth, CkptImage, CkptDICOM (and safetensors, inside the core)
//   core:     CkptCore
//
// CkptCore: file reading (MappedFile, FileSystem: O_NONBLOCK opens, regular files only), atomic and staged
// outputs, the strict JSON parser, the errors every module throws, SHA-256 (libcrypto, dlopen'ed), Locked,
// C-style number text; and safetensors (header, writer, DType, TensorEntry, float casts, zstd): ckpt's own
// container, which every writer writes and whose tensor vocabulary every format produces, so it stays in the
// core rather than in a module of its own that all others would import anyway.
// Formats over the core: CkptPth (the torch.save reader: pickle interpreter, zip), CkptImage (PNG/JPEG to
// transformers' pixel_values: libpng with libdeflate, libjpeg-turbo, Pillow's resampling with CResample's vector
// passes), CkptDICOM (DICOM files to the image SimpleITK reads: parser, pixel semantics, geometry; RLE, JPEG
// lossless and 12-bit DCT in Swift; zlib, CharLS and OpenJPEG behind the CDICOMCodecs shim; and RAD-DINO's card
// recipe, whose 8-bit output is a CkptImage image).
// CkptCheckpoint: one logical checkpoint over any input. CkptLayout: key tables, layout detection and
// conversion, the release writer, synthetic models. CkptForward: the reference forward pass (the only module
// over OpenBLAS and libmvec). CkptEmbed: images to embeddings (batching, prefetch, pixel files with SHA-256
// provenance). CkptGolden: golden cases (golden.json read once, forward and image checks). CkptVerify: strict
// verification, manifests, diff.
let package = Package(
    name: "ckpt",
    products: [
        .executable(name: "ckpt", targets: ["CkptCLI"]),
        .library(name: "CkptKit", targets: ["CkptKit"]),
        .library(name: "CkptImage", targets: ["CkptImage"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        // API pages: `scripts/check-api-docs.sh` runs `swift package generate-documentation` per re-exported module
        // (a CkptKit archive alone lacks them, swift-docc-plugin#113); CkptKit.docc holds the overview.
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
        // Image codecs: Debian's libpng-dev, libjpeg62-turbo-dev and libdeflate-dev (a PNG's image data
        // inflated in one call, twice as fast as zlib's stream). Every libpng/libjpeg/libdeflate call, and
        // the setjmp/longjmp of their error paths, stays inside the C shim CImageCodecs.
        .systemLibrary(
            name: "CPng", path: "Sources/CPng", pkgConfig: "libpng",
            providers: [.apt(["libpng-dev"])]),
        .systemLibrary(
            name: "CJpeg", path: "Sources/CJpeg", pkgConfig: "libjpeg",
            providers: [.apt(["libjpeg62-turbo-dev"])]),
        .systemLibrary(
            name: "CDeflate", path: "Sources/CDeflate", pkgConfig: "libdeflate",
            providers: [.apt(["libdeflate-dev"])]),
        .target(name: "CImageCodecs", dependencies: ["CPng", "CJpeg", "CDeflate"]),
        // The resampling passes' inner loops (16 rows or columns per vector), compiled for the baseline and, on
        // x86-64, for AVX2 chosen at run time.
        .target(name: "CResample"),
        .target(name: "CkptImage", dependencies: ["CkptCore", "CImageCodecs", "CResample"]),
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
        .target(name: "CkptDICOM", dependencies: ["CkptCore", "CkptImage", "CDICOMCodecs", "CImageCodecs"]),
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

        .target(name: "CkptCore", dependencies: ["CZstd", "CCkptShims", "CLibCryptoLoader"]),
        .target(name: "CkptPth", dependencies: ["CkptCore"]),
        .target(name: "CkptCheckpoint", dependencies: ["CkptCore", "CkptPth"]),
        .target(name: "CkptLayout", dependencies: ["CkptCore", "CkptCheckpoint"]),
        .target(name: "CkptForward", dependencies: ["CkptCore", "CkptCheckpoint", "CkptLayout", "COpenBLASLoader", "CVecMath"]),
        .target(
            name: "CkptEmbed",
            dependencies: ["CkptCore", "CkptCheckpoint", "CkptLayout", "CkptForward", "CkptImage", "CkptDICOM"]),
        .target(
            name: "CkptGolden",
            dependencies: [
                "CkptCore", "CkptCheckpoint", "CkptLayout", "CkptForward", "CkptImage", "CkptDICOM", "CkptEmbed",
            ]),
        .target(
            name: "CkptVerify",
            dependencies: ["CkptCore", "CkptCheckpoint", "CkptLayout", "CkptForward", "CkptGolden"]),
        .target(
            name: "CkptKit",
            dependencies: [
                "CkptCore", "CkptCheckpoint", "CkptLayout", "CkptForward", "CkptEmbed", "CkptGolden", "CkptVerify",
                "CkptImage", "CkptDICOM",
            ]),
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
        .testTarget(name: "CkptCoreTests", dependencies: ["CkptCore", "CkptKit", "CkptTestSupport"]),
        .testTarget(name: "CkptPthTests", dependencies: ["CkptPth", "CkptKit", "CkptTestSupport"]),
        .testTarget(name: "CkptCheckpointTests", dependencies: ["CkptCheckpoint", "CkptKit", "CkptTestSupport", "CZstd"]),
        .testTarget(name: "CkptLayoutTests", dependencies: ["CkptLayout", "CkptKit", "CkptTestSupport"]),
        .testTarget(name: "CkptForwardTests", dependencies: ["CkptForward", "CkptKit", "CkptTestSupport", "CVecMath"]),
        .testTarget(name: "CkptVerifyTests", dependencies: ["CkptVerify", "CkptKit", "CkptTestSupport"]),
        .testTarget(name: "CkptImageTests", dependencies: ["CkptImage", "CkptCore", "CkptTestSupport"]),
        .testTarget(name: "CkptDICOMTests", dependencies: ["CkptDICOM", "CkptKit", "CkptTestSupport"]),
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
        .executableTarget(name: "FuzzImage", dependencies: ["CkptImage", "CkptCore", "FuzzSupport"], path: "Fuzz/Sources/FuzzImage"),
        .executableTarget(name: "FuzzDICOM", dependencies: ["CkptDICOM", "FuzzSupport"], path: "Fuzz/Sources/FuzzDICOM"),
    ]
}

// Every Swift target: a file imports what it uses (a member of a module it does not import is an error, not a
// transitive accident), as swift-system and swift-nio do.
for target in package.targets
where target.type != .system && (target.name.hasPrefix("Ckpt") || target.name.hasPrefix("Fuzz")) {
    target.swiftSettings = (target.swiftSettings ?? []) + [.enableUpcomingFeature("MemberImportVisibility")]
}
