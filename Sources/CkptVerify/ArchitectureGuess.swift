import CkptCheckpoint
import CkptForward
import CkptFormat
import CkptLayout
/// A best-effort reading of a *damaged* backbone: the layout, key prefix and architecture most of its
/// keys agree on. `Layouts.detect` rightly refuses an incomplete model; `verify` still needs the
/// intended architecture to list what is missing or misshapen (`Layouts.guessArchitecture`).
enum ArchitectureGuess {
    struct Guess {
        var layout: LayoutKind
        var prefix: String
        var architecture: Architecture
    }

    static func guess(_ c: Checkpoint) -> Guess? {
        // Vote for (layout, prefix) by where each key's layout root starts.
        var votes: [String: (LayoutKind, String, Int)] = [:]
        for name in c.names {
            for (kind, roots) in KeyDiagnosis.roots {
                for root in roots {
                    var prefix: String?
                    if name.hasPrefix(root) { prefix = "" } else if let r = name.firstRange(of: "." + root) {
                        prefix = String(name[..<name.index(after: r.lowerBound)])
                    }
                    if let prefix {
                        let key = kind.rawValue + "|" + prefix
                        votes[key, default: (kind, prefix, 0)].2 += 1
                    }
                }
            }
        }
        guard let (layout, prefix, _) = votes.values.max(by: { $0.2 != $1.2 ? $0.2 < $1.2 : $0.1 > $1.1 }) else { return nil }
        var local: [String: TensorEntry] = [:]
        for t in c.tensors where t.name.hasPrefix(prefix) { local[String(t.name.dropFirst(prefix.count))] = t }
        guard let arch = Layouts.guessArchitecture(local, layout: layout, config: c.config) else { return nil }
        return Guess(layout: layout, prefix: prefix, architecture: arch)
    }
}
