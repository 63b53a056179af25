import Foundation

/// Where the package and its committed test data live, found from this source file's path so tests
/// work from any working directory and on a clean clone.
public enum PackagePaths {
    /// The package root (the folder holding `Package.swift`).
    public static let root: String = {
        // This file is <root>/Tests/CkptTestSupport/PackagePaths.swift.
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// `golden/`: fixtures written by the upstream Python libraries (see golden/README.md).
    public static var golden: String { root + "/golden" }

    /// The golden root of the forward-pass tests: `$CKPT_GOLDEN_ROOT` when set (fixtures kept
    /// elsewhere), else `golden/` when it holds `subpath` (nil: the test skips).
    public static func goldenRoot(containing subpath: String) -> String? {
        if let env = ProcessInfo.processInfo.environment["CKPT_GOLDEN_ROOT"] { return env }
        return FileManager.default.fileExists(atPath: golden + "/" + subpath) ? golden : nil
    }

    /// `golden/safetensors/<name>`.
    public static func goldenSafetensors(_ name: String) -> String { golden + "/safetensors/" + name }
}
