import CkptTestSupport
import Foundation
import XCTest

/// Drives every command that reads a checkpoint over every file of the hostile corpus
/// (`Tests/Corpus/hostile/`, made by `scripts/make_hostile_corpus.py`): each run must exit 2 with the
/// case's expected words in a `ckpt: error:` message, must not die of a signal or hang, and must leave
/// no file behind (neither an output nor a temporary one).
final class HostileCorpusTests: XCTestCase {
    /// One command line to run per corpus case. `{input}` is the case's path, `{output}` a fresh
    /// output path (a file in an empty folder), `{outdir}` a not-yet-existing output folder.
    struct CorpusCommand {
        /// The subcommand path as `ckpt … --help` lists it, e.g. `["convert", "hf-to-dinov2"]`.
        let subcommand: [String]
        /// The rest of the command line.
        let arguments: [String]

        init(_ subcommand: [String], _ arguments: [String]) {
            self.subcommand = subcommand
            self.arguments = arguments
        }

        var label: String { (subcommand + arguments).joined(separator: " ") }
    }

    /// Every command that reads a checkpoint. `{pixels}` is a valid golden pixel batch, `{valid}` a
    /// valid golden checkpoint (the other side of a diff), `{output2}` a second output file.
    static let commands: [CorpusCommand] = [
        CorpusCommand(["inspect"], ["{input}"]),
        CorpusCommand(["inspect"], ["--json", "{input}"]),
        CorpusCommand(["convert", "safetensors"], ["{input}", "-o", "{output}"]),
        CorpusCommand(["convert", "safetensors"], ["{input}", "-o", "{output}", "--dtype", "f16"]),
        CorpusCommand(["convert", "hf-to-dinov2"], ["{input}", "-o", "{output}"]),
        CorpusCommand(["convert", "dinov2-to-hf"], ["{input}", "-o", "{outdir}"]),
        CorpusCommand(["convert", "train-to-release"], ["{input}", "--backbone-output", "{output}", "--head-output", "{output2}"]),
        CorpusCommand(["verify"], ["--strict", "{input}"]),
        CorpusCommand(["verify"], ["--strict", "--json", "{input}"]),
        CorpusCommand(["manifest"], ["{input}", "-o", "{output}"]),
        CorpusCommand(["diff"], ["{valid}", "{input}"]),
        CorpusCommand(["embed"], ["{input}", "--pixels", "{pixels}", "-o", "{output}"]),
    ]

    struct Case: Decodable {
        let path: String
        let expect: String
        let why: String
    }

    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../Corpus/hostile").standardizedFileURL

    static func cases() throws -> [Case] {
        struct Manifest: Decodable { let cases: [Case] }
        let data = try Data(contentsOf: corpus.appendingPathComponent("expected.json"))
        return try JSONDecoder().decode(Manifest.self, from: data).cases
    }

    /// Subcommand paths this build has, from `--help`.
    static func available(_ command: CorpusCommand) throws -> Bool {
        var parent: [String] = []
        for name in command.subcommand {
            guard try CkptProcess.subcommands(of: parent).contains(name) else { return false }
            parent.append(name)
        }
        return true
    }

    /// Every file and folder in the corpus is a case (so a new file without an expectation fails).
    func testManifestListsEveryCorpusEntry() throws {
        let listed = Set(try Self.cases().map(\.path))
        let present = Set(try FileManager.default.contentsOfDirectory(atPath: Self.corpus.path))
            .subtracting(["expected.json", "not-a-case"])
        XCTAssertEqual(present.subtracting(listed).sorted(), [], "corpus entries without an expected error")
        XCTAssertEqual(listed.subtracting(present).sorted(), [], "expected.json cases with no file")
        XCTAssertGreaterThanOrEqual(listed.count, 60)
    }

    func testInspectRefusesEveryHostileInput() throws { try drive(Self.commands[0]) }
    func testInspectJSONRefusesEveryHostileInput() throws { try drive(Self.commands[1]) }
    func testConvertSafetensorsRefusesEveryHostileInput() throws { try drive(Self.commands[2]) }
    func testConvertSafetensorsCastRefusesEveryHostileInput() throws { try drive(Self.commands[3]) }
    func testConvertHFToDinov2RefusesEveryHostileInput() throws { try drive(Self.commands[4]) }
    func testConvertDinov2ToHFRefusesEveryHostileInput() throws { try drive(Self.commands[5]) }
    func testConvertTrainToReleaseRefusesEveryHostileInput() throws { try drive(Self.commands[6]) }
    func testVerifyRefusesEveryHostileInput() throws { try drive(Self.commands[7]) }
    func testVerifyJSONRefusesEveryHostileInput() throws { try drive(Self.commands[8]) }
    func testManifestRefusesEveryHostileInput() throws { try drive(Self.commands[9]) }
    func testDiffRefusesEveryHostileInput() throws { try drive(Self.commands[10]) }
    func testEmbedRefusesEveryHostileInput() throws { try drive(Self.commands[11]) }

    /// Every command of the table exists (a renamed command must not silently skip the corpus).
    func testActiveCommandsExist() throws {
        for command in Self.commands {
            XCTAssertTrue(try Self.available(command), "ckpt has no subcommand `\(command.subcommand.joined(separator: " "))`")
        }
    }

    // MARK: - Driver

    /// Runs `command` over every case and checks the outcome.
    func drive(_ command: CorpusCommand) throws {
        let cases = try Self.cases()
        let before = try snapshot(Self.corpus.path)
        for c in cases {
            let work = try TemporaryFolder("hostile")
            defer { work.remove() }
            let input = Self.corpus.appendingPathComponent(c.path).path
            let arguments = command.subcommand + command.arguments.map {
                $0.replacingOccurrences(of: "{input}", with: input)
                    .replacingOccurrences(of: "{output}", with: work.file("out.safetensors"))
                    .replacingOccurrences(of: "{outdir}", with: work.file("out"))
                    .replacingOccurrences(of: "{output2}", with: work.file("out2.safetensors"))
                    .replacingOccurrences(of: "{pixels}", with: PackagePaths.golden + "/forward/tiny-native/pixels.safetensors")
                    .replacingOccurrences(of: "{valid}", with: PackagePaths.golden + "/models/tiny/dinov2.safetensors")
            }
            let result = try CkptProcess.run(arguments, in: work.url, timeout: 60)
            let context = "case \(c.path) (\(c.why)): \(result.summary)"
            XCTAssertFalse(result.timedOut, "hang: \(context)")
            XCTAssertNil(result.signal, "crash: \(context)")
            XCTAssertEqual(result.exitCode, 2, "exit code: \(context)")
            XCTAssertTrue(result.stderr.hasPrefix("ckpt: error: "), "message form: \(context)")
            XCTAssertTrue(result.stderr.contains(c.expect), "message should contain \"\(c.expect)\": \(context)")
            XCTAssertEqual(try work.contents(), [], "files left behind: \(context)")
        }
        XCTAssertEqual(try snapshot(Self.corpus.path), before, "\(command.label) wrote into the corpus")
    }

    /// Paths and sizes of everything under `root`, to prove a run wrote nothing there.
    func snapshot(_ root: String) throws -> [String: Int] {
        var out: [String: Int] = [:]
        let enumerator = FileManager.default.enumerator(atPath: root)
        while let relative = enumerator?.nextObject() as? String {
            let attributes = try? FileManager.default.attributesOfItem(atPath: root + "/" + relative)
            out[relative] = (attributes?[.size] as? Int) ?? -1
        }
        return out
    }
}
