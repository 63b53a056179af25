import CkptCheckpoint
import CkptCore
import CkptLayout
/// A best-effort reading of a *damaged* backbone: the layout, key prefix and architecture most of its
/// keys agree on. `Layouts.detect` rightly refuses an incomplete model; `verify` still needs the
/// intended architecture to list what is missing or misshapen (`Layouts.guessArchitecture`).
enum ArchitectureGuess {
    struct Guess {
        var layout: LayoutKind
        var prefix: String
        var architecture: Architecture
        /// The rule that chose the head count when no config.json gave it (`Architecture.heads`).
        var headsRule: String?
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
        // Most votes, then the prefix that sorts first, then table order (layouts that spell keys alike tie).
        let order = LayoutKind.backbones
        guard let top = votes.values.max(by: {
            if $0.2 != $1.2 { return $0.2 < $1.2 }
            if $0.1 != $1.1 { return $0.1 > $1.1 }
            return order.firstIndex(of: $0.0)! > order.firstIndex(of: $1.0)!
        }) else { return nil }
        var layout = top.0
        let prefix = top.1
        // Layouts tied on roots at that prefix: the one that spells the most of the names.
        let names = c.names.filter { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
        var best = Layouts.spelledCount(names, layout: layout)
        for (kind, p, count) in votes.values where p == prefix && count == top.2 && kind != layout {
            let spelled = Layouts.spelledCount(names, layout: kind)
            if spelled > best || (spelled == best && order.firstIndex(of: kind)! < order.firstIndex(of: layout)!) {
                (layout, best) = (kind, spelled)
            }
        }
        var local: [String: TensorEntry] = [:]
        for t in c.tensors where t.name.hasPrefix(prefix) { local[String(t.name.dropFirst(prefix.count))] = t }
        guard let (arch, headsRule) = Layouts.guessArchitecture(local, layout: layout, config: c.config) else { return nil }
        return Guess(layout: layout, prefix: prefix, architecture: arch, headsRule: headsRule)
    }
}
