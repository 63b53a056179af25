import CkptKit
import CkptTestSupport
import Foundation
import XCTest

/// The GitHub Actions recipe in docs/ci-gate.md: its package list is scripts/install-deps.sh's, and its
/// shell steps, taken from the page, gate a bundle made from golden/ as the page says.
///
/// The steps run in bash as GitHub runs a `run:` step (`bash -e`), with the job's `env:`, `$GITHUB_PATH`
/// honoured between steps and `if: always()` steps run after a failure. Two commands are stood in for,
/// because a test can use neither the network nor minutes of build: `apt-get` (which records the
/// packages asked for and checks that each is installed here) and `swift build -c release --product ckpt`
/// (which puts the ckpt these tests run at `.build/release/ckpt`). The two `uses:` actions (checkout,
/// upload-artifact) are not run. `EXPECT` is set empty: the golden bundle is the tiny model, not RAD-DINO.
final class CIRecipeTests: XCTestCase {
    struct Step {
        var name: String
        var uses: String?
        var always: Bool
        var script: String
    }

    struct Recipe {
        var env: [(String, String)]
        var steps: [Step]
    }

    static func installDepsPackages() throws -> [String] {
        let text = try String(contentsOfFile: PackagePaths.root + "/scripts/install-deps.sh", encoding: .utf8)
        let line = try XCTUnwrap(text.split(separator: "\n").first { $0.hasPrefix("packages=(") }, "no packages=(…) line in install-deps.sh")
        let inner = line.dropFirst("packages=(".count).prefix { $0 != ")" }
        return inner.split(separator: " ").map(String.init)
    }

    /// The one ```yaml block of docs/ci-gate.md, read as far as the recipe needs: the job's `env:` and
    /// each step's `uses:`, `if:` and `run: |` block.
    static func recipe() throws -> Recipe {
        let page = try String(contentsOfFile: PackagePaths.root + "/docs/ci-gate.md", encoding: .utf8)
        let blocks = page.components(separatedBy: "```yaml\n").dropFirst().map { $0.components(separatedBy: "\n```")[0] }
        XCTAssertEqual(blocks.count, 1, "docs/ci-gate.md should hold one yaml block")
        let lines = try XCTUnwrap(blocks.first).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        func indent(_ l: String) -> Int { l.prefix { $0 == " " }.count }
        var env: [(String, String)] = []
        var steps: [Step] = []
        var i = 0
        var section = ""
        while i < lines.count {
            let line = lines[i]
            let body = line.trimmingCharacters(in: .whitespaces)
            if indent(line) == 4, body.hasSuffix(":") { section = body; i += 1; continue }
            if section == "env:", indent(line) == 6, let colon = body.firstIndex(of: ":") {
                let value = body[body.index(after: colon)...].components(separatedBy: "#")[0].trimmingCharacters(in: .whitespaces)
                env.append((String(body[..<colon]), value))
            }
            if section == "steps:", indent(line) == 6, body.hasPrefix("- ") {
                var step = Step(name: "", uses: nil, always: false, script: "")
                var first = true
                while i < lines.count, first || indent(lines[i]) > 6 || lines[i].isEmpty {
                    let l = lines[i].trimmingCharacters(in: .whitespaces)
                    let item = first ? String(l.dropFirst(2)) : l
                    first = false
                    if item.hasPrefix("uses: ") { step.uses = String(item.dropFirst(6)) }
                    if item.hasPrefix("name: ") { step.name = String(item.dropFirst(6)) }
                    if item == "if: always()" { step.always = true }
                    if item == "run: |" {
                        i += 1
                        var script: [String] = []
                        while i < lines.count, indent(lines[i]) >= 10 || lines[i].isEmpty {
                            script.append(String(lines[i].dropFirst(10)))
                            i += 1
                        }
                        step.script = script.joined(separator: "\n") + "\n"
                        continue
                    }
                    i += 1
                }
                steps.append(step)
                continue
            }
            i += 1
        }
        return Recipe(env: env, steps: steps)
    }

    func testTheRecipeInstallsExactlyInstallDepsPackages() throws {
        let recipe = try Self.recipe()
        let installs = recipe.steps.flatMap { $0.script.split(separator: "\n") }.filter { $0.contains("apt-get install") }
        XCTAssertEqual(installs.count, 1, "\(installs)")
        let words = try XCTUnwrap(installs.first).components(separatedBy: "apt-get install -y ")[1]
            .components(separatedBy: "&&")[0].split(separator: " ").map(String.init)
        XCTAssertEqual(words, try Self.installDepsPackages(), "docs/ci-gate.md's apt-get line and scripts/install-deps.sh disagree")
        // The only actions are the checkout and the upload; the gate itself is verify --release.
        XCTAssertEqual(recipe.steps.compactMap(\.uses), ["actions/checkout@v4", "actions/upload-artifact@v4"])
        XCTAssertTrue(recipe.steps.contains { $0.script.contains("ckpt verify --strict --release") })
        XCTAssertEqual(recipe.env.map(\.0), ["RELEASE", "SIGNOFF", "EXPECT"])
    }

    /// A signed-off bundle in `<dir>/work`: the bundle in `release/`, `signoff/release.json` and the golden
    /// case `signoff/golden-raddino` (the tiny image case, whose preprocessor the bundle carries).
    private func signedOffWorkspace(_ dir: TemporaryDirectory, env: [String: String]) throws -> String {
        let work = dir.file("work")
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: false)
        let bundle = try ReleaseCommandTests.makeBundle(in: dir)
        let release = work + "/" + env["RELEASE"]!
        try FileManager.default.moveItem(atPath: bundle, toPath: release)
        let signoff = work + "/" + env["SIGNOFF"]!
        try FileManager.default.createDirectory(atPath: signoff, withIntermediateDirectories: false)
        let m = try CkptProcess.run(["manifest", "--release", release, "-o", signoff + "/release.json"])
        XCTAssertEqual(m.exitCode, 0, m.summary)
        try FileManager.default.createSymbolicLink(atPath: signoff + "/golden-raddino",
                                                   withDestinationPath: PackagePaths.golden + "/forward/tiny-images-hf")
        return work
    }

    /// The recipe, its job environment (EXPECT empty: the tiny bundle is not RAD-DINO) and a signed-off
    /// workspace for it.
    private func signedOffRecipe() throws -> (Recipe, [String: String], TemporaryDirectory, String) {
        let recipe = try Self.recipe()
        var env = Dictionary(uniqueKeysWithValues: recipe.env)
        env["EXPECT"] = ""
        let dir = try TemporaryDirectory()
        return (recipe, env, dir, try signedOffWorkspace(dir, env: env))
    }

    /// Runs the recipe's steps in `work` as GitHub would; returns each step's exit status (nil: skipped).
    private func runSteps(_ recipe: Recipe, in work: String, env: [String: String], shimLog: String) throws -> [(Step, Int32?)] {
        let shims = work + "/.shims"
        try FileManager.default.createDirectory(atPath: shims, withIntermediateDirectories: false)
        try """
            #!/bin/sh
            # Stand-in for apt-get: no network; records the packages and checks each is installed here.
            case "$1" in
              update) exit 0 ;;
              install) shift; [ "$1" = "-y" ] && shift
                for p in "$@"; do
                  echo "$p" >> "$SHIM_LOG"
                  dpkg -s "$p" >/dev/null 2>&1 || { echo "apt-get stand-in: $p is not installed" >&2; exit 100; }
                done ;;
              *) echo "apt-get stand-in: unexpected $*" >&2; exit 99 ;;
            esac

            """.write(toFile: shims + "/apt-get", atomically: true, encoding: .utf8)
        try """
            #!/bin/sh
            # Stand-in for the release build: the ckpt under test.
            [ "$*" = "build -c release --product ckpt" ] || { echo "swift stand-in: unexpected $*" >&2; exit 99; }
            mkdir -p .build/release && ln -sf "$CKPT_UNDER_TEST" .build/release/ckpt

            """.write(toFile: shims + "/swift", atomically: true, encoding: .utf8)
        for tool in ["apt-get", "swift"] {
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: shims + "/" + tool)
        }
        let githubPath = work + "/.github_path"
        XCTAssertTrue(FileManager.default.createFile(atPath: githubPath, contents: nil))
        var results: [(Step, Int32?)] = []
        var failed = false
        for step in recipe.steps where step.uses == nil {
            guard !failed || step.always else { results.append((step, nil)); continue }
            let added = try String(contentsOfFile: githubPath, encoding: .utf8).split(separator: "\n").reversed().map(String.init)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/bash")
            process.arguments = ["-e", "-c", step.script]
            process.currentDirectoryURL = URL(fileURLWithPath: work)
            var environment = env
            environment["PATH"] = ([shims] + added + ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]).joined(separator: ":")
            environment["GITHUB_PATH"] = githubPath
            environment["SHIM_LOG"] = shimLog
            environment["CKPT_UNDER_TEST"] = CkptProcess.executable
            environment["HOME"] = work
            process.environment = environment
            let log = FileHandle(forWritingAtPath: "/dev/null")
            process.standardOutput = log
            process.standardError = log
            try process.run()
            process.waitUntilExit()
            results.append((step, process.terminationStatus))
            if process.terminationStatus != 0 { failed = true }
        }
        return results
    }

    func testTheRecipesStepsGateABundleMadeFromGolden() throws {
        let (recipe, env, dir, work) = try signedOffRecipe()
        let shimLog = dir.file("apt.log")
        let results = try runSteps(recipe, in: work, env: env, shimLog: shimLog)
        XCTAssertEqual(results.map(\.0.name), ["Build ckpt", "Gate the release candidate", "JSON report"])
        XCTAssertEqual(results.map(\.1), [0, 0, 0], "\(results.map { ($0.0.name, $0.1 as Any) })")
        XCTAssertEqual(try String(contentsOfFile: shimLog, encoding: .utf8).split(separator: "\n").map(String.init),
                       try Self.installDepsPackages())
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: work + "/reports/release.json"))) as? [String: Any])
        XCTAssertEqual(report["schema"] as? String, "ckpt.verify-release/1")
        XCTAssertEqual(report["status"] as? String, "pass")
        XCTAssertNotNil(((report["parts"] as? [String: [String: Any]])?["model.safetensors"])?["golden"] as? [String: Any])
    }

    func testTheRecipeFailsOnACandidateThatDiffersFromTheSignOff() throws {
        let (recipe, env, dir, work) = try signedOffRecipe()
        // The candidate's head is another one (one byte of its data changed after sign-off).
        let head = work + "/" + env["RELEASE"]! + "/dino_head.safetensors"
        var bytes = try readBytes(head)
        bytes[bytes.count - 1] ^= 1
        try Data(bytes).write(to: URL(fileURLWithPath: head))
        let results = try runSteps(recipe, in: work, env: env, shimLog: dir.file("apt.log"))
        // The gate fails the pipeline; the JSON report still runs and says why.
        XCTAssertEqual(results.map(\.1), [0, 1, 0], "\(results.map { ($0.0.name, $0.1 as Any) })")
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: work + "/reports/release.json"))) as? [String: Any])
        XCTAssertEqual(report["status"] as? String, "fail")
        let headReport = try XCTUnwrap((report["parts"] as? [String: [String: Any]])?["dino_head.safetensors"])
        XCTAssertEqual(headReport["status"] as? String, "fail")
    }
}
