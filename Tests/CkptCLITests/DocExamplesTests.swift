// Runs every `$ ckpt …` example in README.md and docs/**/*.md with the built binary and compares
// what it prints with what the page shows, so the documentation cannot go stale.
//
// The rules (docs/README.md repeats them for writers):
// - An example is a line starting with `$ ckpt ` inside a fenced code block. The lines after it, up
//   to the next line starting with `$ ` or the end of the block, are its expected output. A `$` line
//   that does not start with `ckpt` fails the test: examples show ckpt alone, run without a shell.
// - A command line ending in ` \` continues on the next line.
// - The command is split into words as a POSIX shell splits a simple command: blanks separate words,
//   '…' and "…" quote, `\` escapes; an unquoted `#` at the start of a word starts a comment. Pipes,
//   redirections, `;`, `&` and `$` expansions are refused.
// - A comment ending in `exit N` (`# exit 2`) gives the expected exit status; without one the
//   status must be 0.
// - The compared output is standard output followed by standard error.
// - Lines compare exactly, except: a line that is exactly `...` matches any run of lines (none
//   included); trailing blanks on a line and blank lines at the end are ignored (Markdown hides
//   them); and the one normalisation below, applied to both sides.
// - Normalisation: `embed`'s `forward …` line reports the time, GFLOP/s, thread count, OpenBLAS
//   kernel and math path of this machine and run; those become `<time>`, `<rate>` and `<machine>`
//   (the GFLOP count of the pass is kept and compared).
// - Each page runs in a fresh scratch folder, its examples in page order, so an example may read
//   what an earlier one on the same page wrote. The folder holds `golden` (→ golden/), `hostile`
//   (→ Tests/Corpus/hostile/) and `candidate.safetensors` (golden/models/tiny/hf/model.safetensors
//   with one bit flipped in encoder.layer.0.mlp.fc2.weight). Nothing else is set up: every other
//   file an example reads must be written by an earlier example on the same page.
// - Every example runs with HF_HUB_CACHE=golden/hub/cache (relative to the scratch folder): the Hugging
//   Face cache huggingface_hub wrote for golden/, so a Hub name such as ckpt-golden/tiny-release is found
//   there and never in the user's own cache.
import CkptTestSupport
import Foundation
import XCTest

final class DocExamplesTests: XCTestCase {
    /// The command pages: each must show at least one example, so a page cannot lose them all.
    private static let commandPages = [
        "docs/inspect.md", "docs/convert.md", "docs/synth.md", "docs/verify.md", "docs/manifest.md",
        "docs/diff.md", "docs/embed.md",
    ]

    func testEveryExampleInTheDocsPrintsWhatThePageShows() throws {
        guard let golden = PackagePaths.goldenRoot(containing: "models/tiny/hf") else {
            throw XCTSkip("no golden/ folder: the examples read it")
        }
        var total = 0
        for page in try DocPage.all() {
            let examples = try page.examples()
            if Self.commandPages.contains(page.name) {
                XCTAssertFalse(examples.isEmpty, "\(page.name) shows no `$ ckpt` example")
            }
            guard !examples.isEmpty else { continue }
            let scratch = try DocScratch(golden: golden)
            for example in examples {
                total += 1
                let result = try CkptProcess.run(example.arguments, in: URL(fileURLWithPath: scratch.directory.path),
                                                 wrapper: ["/usr/bin/env", "HF_HUB_CACHE=golden/hub/cache"])
                let actual = (result.stdout + result.stderr).split(separator: "\n", omittingEmptySubsequences: false)
                    .map(String.init)
                if result.exitCode != example.exitCode || !DocOutput.matches(expected: example.output, actual: actual) {
                    XCTFail("""
                        \(page.name):\(example.line): $ \(example.command)
                        expected exit \(example.exitCode), got \(result.status)
                        --- expected
                        \(example.output.joined(separator: "\n"))
                        --- actual
                        \(actual.joined(separator: "\n"))
                        """)
                }
            }
        }
        print("DocExamplesTests: ran \(total) examples")
        XCTAssertGreaterThan(total, 0)
    }

    // The matcher and parser themselves: a matcher that accepted anything would make the test above
    // pass on stale docs.

    func testMatcherComparesLinesExactly() {
        XCTAssertTrue(DocOutput.matches(expected: ["a", "b"], actual: ["a", "b", ""]))
        XCTAssertTrue(DocOutput.matches(expected: ["a  "], actual: ["a"]))
        XCTAssertFalse(DocOutput.matches(expected: ["a", "b"], actual: ["a", "c"]))
        XCTAssertFalse(DocOutput.matches(expected: ["a"], actual: ["a", "b"]))
        XCTAssertFalse(DocOutput.matches(expected: ["a", "b"], actual: ["a"]))
        XCTAssertFalse(DocOutput.matches(expected: [" a"], actual: ["a"]))
        XCTAssertFalse(DocOutput.matches(expected: [], actual: ["a"]))
    }

    func testEllipsisMatchesAnyRunOfLines() {
        XCTAssertTrue(DocOutput.matches(expected: ["a", "...", "d"], actual: ["a", "b", "c", "d"]))
        XCTAssertTrue(DocOutput.matches(expected: ["a", "...", "d"], actual: ["a", "d"]))
        XCTAssertTrue(DocOutput.matches(expected: ["..."], actual: ["x", "y"]))
        XCTAssertTrue(DocOutput.matches(expected: ["a", "...", "c", "..."], actual: ["a", "c", "b", "c", "z"]))
        XCTAssertFalse(DocOutput.matches(expected: ["a", "...", "d"], actual: ["a", "b", "c"]))
        XCTAssertFalse(DocOutput.matches(expected: ["...", "d"], actual: ["d", "e"]))
        XCTAssertFalse(DocOutput.matches(expected: ["a", "  ...", "d"], actual: ["a", "b", "d"]))
    }

    func testForwardLineNormalisesOnlyWhatDependsOnTheMachine() {
        let here = "forward 7.0 ms, 0.47 GFLOP/s (0.0033 GFLOP); 2 threads, OpenBLAS Zen, expf/erff avx2+libmvec"
        let there = "forward 1.20 s, 0.00275 GFLOP/s (0.0033 GFLOP); 1 thread, OpenBLAS Haswell, expf/erff scalar libm"
        XCTAssertTrue(DocOutput.matches(expected: [here], actual: [there]))
        XCTAssertFalse(DocOutput.matches(
            expected: [here], actual: [there.replacingOccurrences(of: "(0.0033 GFLOP)", with: "(0.0034 GFLOP)")]))
        XCTAssertFalse(DocOutput.matches(expected: ["took 7.0 ms"], actual: ["took 8.0 ms"]))
    }

    func testCommandLinesSplitLikeAShellAndCarryTheirExitStatus() throws {
        let page = DocPage(name: "t.md", text: """
            ```console
            $ ckpt inspect 'a b.safetensors' "c\\"d" e\\ f   # exit 2
            out
            $ ckpt convert safetensors x \\
                -o y
            ```
            ```
            $ ckpt diff a b # the same weights
            ```
            """)
        let examples = try page.examples()
        XCTAssertEqual(examples.map(\.arguments), [
            ["inspect", "a b.safetensors", "c\"d", "e f"], ["convert", "safetensors", "x", "-o", "y"], ["diff", "a", "b"],
        ])
        XCTAssertEqual(examples.map(\.exitCode), [2, 0, 0])
        XCTAssertEqual(examples.map(\.output), [["out"], [], []])
        XCTAssertEqual(examples.map(\.line), [2, 4, 8])
    }

    func testExamplesThatNeedAShellAreRefused() {
        for line in ["$ cmp a b", "$ ckpt inspect a | head", "$ ckpt inspect a > out", "$ ckpt inspect $HOME",
                     "$ ckpt inspect a; echo", "$ ckpt inspect 'unterminated"] {
            let page = DocPage(name: "t.md", text: "```\n\(line)\n```\n")
            XCTAssertThrowsError(try page.examples(), line)
        }
    }
}

/// One Markdown page of the documentation.
struct DocPage {
    /// The path relative to the package root, as failures name it.
    let name: String
    let text: String

    /// README.md and every `.md` file under docs/, in name order.
    static func all() throws -> [DocPage] {
        let root = PackagePaths.root
        var names = ["README.md"]
        let docs = root + "/docs"
        if let walker = FileManager.default.enumerator(atPath: docs) {
            names += walker.compactMap { $0 as? String }.filter { $0.hasSuffix(".md") }.sorted().map { "docs/" + $0 }
        }
        return try names.map { DocPage(name: $0, text: try String(contentsOfFile: root + "/" + $0, encoding: .utf8)) }
    }

    /// The `$ ckpt` examples of the page, in order.
    func examples() throws -> [DocExample] {
        var examples: [DocExample] = []
        var inBlock = false
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var index = 0
        while index < lines.count {
            let line = lines[index]
            index += 1
            if line.hasPrefix("```") {
                inBlock.toggle()
                if !examples.isEmpty { examples[examples.count - 1].isOpen = false }
                continue
            }
            guard inBlock, line.hasPrefix("$ ") else {
                if inBlock, !examples.isEmpty, examples[examples.count - 1].isOpen { examples[examples.count - 1].output.append(line) }
                continue
            }
            if !examples.isEmpty { examples[examples.count - 1].isOpen = false }
            let number = index
            var command = String(line.dropFirst(2))
            while command.hasSuffix(" \\"), index < lines.count {
                command = String(command.dropLast()) + lines[index].trimmingCharacters(in: .whitespaces)
                index += 1
            }
            let words = try ShellWords(command, where: "\(name):\(number)")
            guard words.arguments.first == "ckpt" else {
                throw DocExampleError("\(name):\(number): `$ \(command)` does not run ckpt; examples run ckpt alone")
            }
            examples.append(DocExample(line: number, command: command, arguments: Array(words.arguments.dropFirst()),
                                       exitCode: words.exitCode, output: []))
        }
        return examples
    }
}

/// One `$ ckpt …` line and the output the page shows for it.
struct DocExample {
    let line: Int
    let command: String
    let arguments: [String]
    let exitCode: Int32
    var output: [String]
    /// Still collecting output lines while the parser is inside its block.
    var isOpen = true
}

struct DocExampleError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A command line split into words the way a POSIX shell splits a simple command, with the exit
/// status its `# … exit N` comment promises.
struct ShellWords {
    private(set) var arguments: [String] = []
    private(set) var exitCode: Int32 = 0

    init(_ line: String, where location: String) throws {
        var word: String?
        var chars = Array(line)[...]
        func fail(_ why: String) -> DocExampleError { DocExampleError("\(location): `\(line)`: \(why)") }
        while let c = chars.popFirst() {
            switch c {
            case " ", "\t":
                if let w = word { arguments.append(w) }
                word = nil
            case "#" where word == nil:
                let comment = String(chars)
                if let range = comment.range(of: #"exit (\d+)\s*$"#, options: .regularExpression) {
                    exitCode = Int32(comment[range].dropFirst(5).trimmingCharacters(in: .whitespaces))!
                }
                chars = []
            case "'":
                guard let end = chars.firstIndex(of: "'") else { throw fail("unterminated quote") }
                word = (word ?? "") + String(chars[..<end])
                chars = chars[chars.index(after: end)...]
            case "\"":
                var quoted = ""
                var closed = false
                while let q = chars.popFirst() {
                    if q == "\"" { closed = true; break }
                    if q == "$" || q == "`" { throw fail("expansions need a shell") }
                    if q == "\\", let next = chars.first, "\"\\$`".contains(next) { quoted.append(chars.removeFirst()) } else { quoted.append(q) }
                }
                guard closed else { throw fail("unterminated quote") }
                word = (word ?? "") + quoted
            case "\\":
                guard let next = chars.popFirst() else { throw fail("a lone backslash") }
                word = (word ?? "") + String(next)
            case "|", ";", "&", "<", ">", "$", "`", "(", ")":
                throw fail("`\(c)` needs a shell; examples run ckpt alone")
            default:
                word = (word ?? "") + String(c)
            }
        }
        if let w = word { arguments.append(w) }
    }
}

/// Comparison of printed output with a page's expected output (the rules at the top of this file).
enum DocOutput {
    static func matches(expected: [String], actual: [String]) -> Bool {
        let e = trimmed(expected).map(normalised), a = trimmed(actual).map(normalised)
        // Wildcard matching by dynamic programming over (expected index, actual index).
        var reachable = Array(repeating: false, count: a.count + 1)
        reachable[0] = true
        for line in e {
            var next = Array(repeating: false, count: a.count + 1)
            if line == "..." {
                var seen = false
                for j in 0...a.count {
                    seen = seen || reachable[j]
                    next[j] = seen
                }
            } else {
                for j in 0..<a.count where reachable[j] && a[j] == line { next[j + 1] = true }
            }
            reachable = next
        }
        return reachable[a.count]
    }

    /// Trailing blanks removed from each line, trailing empty lines dropped.
    private static func trimmed(_ lines: [String]) -> [String] {
        var result = lines.map { String($0.reversed().drop { $0 == " " || $0 == "\t" }.reversed()) }
        while result.last == "" { result.removeLast() }
        return result
    }

    /// `forward 7.0 ms, 0.47 GFLOP/s (0.0033 GFLOP); 2 threads, OpenBLAS Zen, …` → `forward <time>,
    /// <rate> GFLOP/s (0.0033 GFLOP); <machine>`; every other line unchanged.
    private static func normalised(_ line: String) -> String {
        guard let match = line.range(of: #"^forward [0-9.]+ m?s, [0-9.e+-]+ GFLOP/s \([0-9.e+-]+ GFLOP\); "#,
                                     options: .regularExpression) else { return line }
        let flops = line[match].split(separator: "(")[1].split(separator: ")")[0]
        return "forward <time>, <rate> GFLOP/s (\(flops)); <machine>"
    }
}

/// The scratch folder a page's examples run in (see the rules at the top of this file).
final class DocScratch {
    let directory: TemporaryDirectory

    /// `golden`: the golden folder the examples' `golden/` stands for.
    init(golden: String) throws {
        directory = try TemporaryDirectory("ckpt-docs")
        let fm = FileManager.default
        try fm.createSymbolicLink(atPath: directory.file("golden"), withDestinationPath: golden)
        try fm.createSymbolicLink(atPath: directory.file("hostile"),
                                  withDestinationPath: PackagePaths.root + "/Tests/Corpus/hostile")
        try Self.writeCandidate(from: golden + "/models/tiny/hf/model.safetensors", to: directory.file("candidate.safetensors"))
    }

    /// golden/models/tiny/hf/model.safetensors with the lowest bit of the third byte of the middle element of
    /// encoder.layer.0.mlp.fc2.weight flipped: the "one flipped bit" the verify and diff pages show.
    private static func writeCandidate(from source: String, to path: String) throws {
        var bytes = try readBytes(source)
        let headerLength = bytes[0..<8].reversed().reduce(0) { $0 << 8 | Int($1) }
        let header = try JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + headerLength)])) as? [String: Any]
        guard let tensor = header?["encoder.layer.0.mlp.fc2.weight"] as? [String: Any],
              let offsets = tensor["data_offsets"] as? [Int], offsets.count == 2 else {
            throw DocExampleError("golden/models/tiny/hf/model.safetensors has no encoder.layer.0.mlp.fc2.weight")
        }
        bytes[8 + headerLength + (offsets[0] + offsets[1]) / 2 + 2] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }
}
