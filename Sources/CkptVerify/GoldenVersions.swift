import CkptCore
import CkptGolden

/// The versions of the upstream libraries a golden case was made with (`golden.json` `versions`), against
/// the project's pins. A release engineer makes cases in their own environment: a version other than the
/// pin is printed and warned about, never refused (the tolerance is the case's own measurement).
package struct GoldenVersions: Sendable {
    /// The pins of golden/requirements.txt for the libraries that make a case's numbers: the forward pass
    /// (torch), the model and processor code (transformers), and the image decoding (Pillow).
    /// `GoldenVersionsTests` checks them against golden/requirements.txt.
    package static let pins: [(key: String, display: String, pin: String)] = [
        ("torch", "torch", "2.15.0"), ("transformers", "transformers", "5.24.0"), ("pillow", "Pillow", "13.0.0"),
    ]

    /// Each pinned library the case records: its name as shown, the version recorded and the pin.
    package var recorded: [(display: String, version: String, pin: String)]

    /// The versions a case's `golden.json` records; nil when it records none.
    package init?(case spec: GoldenCase) {
        guard let versions = spec.json["versions"] else { return nil }
        let recorded = Self.pins.compactMap { pin -> (display: String, version: String, pin: String)? in
            guard let v = versions[pin.key]?.stringValue else { return nil }
            return (pin.display, v, pin.pin)
        }
        if recorded.isEmpty { return nil }
        self.recorded = recorded
    }

    /// `2.15.0+cu132` is torch 2.15.0: the local build tag is not the version.
    static func isPinned(_ version: String, _ pin: String) -> Bool { version.split(separator: "+").first.map(String.init) == pin }

    /// One warning per library whose recorded version is not the pin.
    package var warnings: [VerifyProblem] {
        recorded.filter { !Self.isPinned($0.version, $0.pin) }.map { r in
            VerifyProblem(key: "versions.\(r.display)", kind: .golden, expected: .string(r.pin), actual: .string(r.version),
                          detail: "the case was made with \(r.display) \(r.version), not the project's pin \(r.pin); its outputs are upstream's in that version",
                          warning: true)
        }
    }

    /// `versions: torch 2.15.0, transformers 5.24.0, Pillow 13.0.0 (as pinned)`, a differing one with its pin.
    package var line: String {
        let all = recorded.map { Self.isPinned($0.version, $0.pin) ? "\($0.display) \($0.version)" : "\($0.display) \($0.version) (pin \($0.pin))" }
        let pinned = recorded.allSatisfy { Self.isPinned($0.version, $0.pin) }
        return "versions: " + all.joined(separator: ", ") + (pinned ? " (as pinned)" : "")
    }

    /// The golden part of a verify report with the versions added: a line before the verdict, a `versions` member.
    package func annotate(_ golden: (text: String, json: JSONValue)) -> (text: String, json: JSONValue) {
        guard case .object(var members) = golden.json else { return golden }
        members.append(("versions", .object(recorded.map { ($0.display.lowercased(), .string($0.version)) })))
        return (text: line + "\n" + golden.text, json: .object(members))
    }
}
