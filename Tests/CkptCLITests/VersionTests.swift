import CkptTestSupport
import Foundation
import XCTest

/// `ckpt --version` prints the version kept in the VERSION file (through the generated
/// Sources/CkptCLI/Version.swift), so the two cannot drift apart unnoticed.
final class VersionTests: XCTestCase {
    func testVersionIsTheVersionFile() throws {
        let expected = try String(contentsOfFile: PackagePaths.root + "/VERSION", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let result = try CkptProcess.run(["--version"], timeout: 120)
        XCTAssertEqual(result.exitCode, 0, result.summary)
        XCTAssertEqual(result.stdout, expected + "\n", result.summary)
    }
}
