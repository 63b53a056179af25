import CkptTestSupport
import Foundation
import XCTest

/// Shell completion scripts and the data the man page is made from, both from swift-argument-parser
/// (`--generate-completion-script`; the `generate-manual` plugin reads `--experimental-dump-help`).
final class ShellIntegrationTests: XCTestCase {
    /// `ckpt --experimental-dump-help`: the command tree as swift-argument-parser describes it.
    private func commandTree() throws -> [String: Any] {
        let result = try CkptProcess.run(["--experimental-dump-help"])
        XCTAssertEqual(result.exitCode, 0, result.summary)
        let doc = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        return try XCTUnwrap(doc["command"] as? [String: Any])
    }

    private func subcommands(_ command: [String: Any]) -> [[String: Any]] {
        ((command["subcommands"] as? [[String: Any]]) ?? []).filter { $0["commandName"] as? String != "help" }
    }

    func testCompletionScriptsNameEverySubcommandAndTheReleaseFlag() throws {
        let tree = try commandTree()
        var names: [String] = []
        for sub in subcommands(tree) {
            names.append(sub["commandName"] as! String)
            names += subcommands(sub).map { $0["commandName"] as! String }
        }
        XCTAssertTrue(Set(names).isSuperset(of: ["inspect", "convert", "verify", "manifest", "diff", "embed", "synth", "train-to-release"]), "\(names)")
        // How each script spells the long option --release.
        for (shell, releaseFlag) in [("bash", "--release"), ("zsh", "--release"), ("fish", "-l 'release'")] {
            let result = try CkptProcess.run(["--generate-completion-script", shell])
            XCTAssertEqual(result.exitCode, 0, result.summary)
            for name in names {
                XCTAssertTrue(result.stdout.contains(name), "\(shell) completion lacks \(name)")
            }
            XCTAssertTrue(result.stdout.contains(releaseFlag), "\(shell) completion lacks --release")
        }
    }

    func testTheManualsSourceDescribesEveryCommand() throws {
        let tree = try commandTree()
        XCTAssertEqual(tree["commandName"] as? String, "ckpt")
        let verify = try XCTUnwrap(subcommands(tree).first { $0["commandName"] as? String == "verify" })
        let flags = ((verify["arguments"] as? [[String: Any]]) ?? []).compactMap { ($0["names"] as? [[String: Any]])?.first?["name"] as? String }
        XCTAssertTrue(flags.contains("release"), "\(flags)")
        XCTAssertTrue(subcommands(tree).allSatisfy { ($0["abstract"] as? String)?.isEmpty == false }, "a command without an abstract")
    }
}
