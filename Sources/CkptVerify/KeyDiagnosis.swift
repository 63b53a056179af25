import CkptLayout
/// Explains near-miss keys: expected keys that are present under a prefix, in chunked blocks, or in
/// another backbone layout, and a file saved without a key its layout may lack (HF's mask token).
enum KeyDiagnosis {
    struct Result {
        var diagnoses: [StrictReport.Diagnosis] = []
        /// Per missing or unexpected key: what it corresponds to on the other side.
        var hints: [String: String] = [:]
    }

    /// Key roots that identify each backbone layout (after any prefix), from the backbone table.
    static var roots: [(LayoutKind, [String])] { Layouts.keyRoots }

    static func layout(ofKey key: String) -> LayoutKind? {
        roots.first { $0.1.contains { key.hasPrefix($0) } }?.0
    }

    /// The first backbone layout other than `expected` whose key roots `key` starts with, when none of
    /// `expected`'s does: the layout the key is spelled in instead.
    static func foreignLayout(ofKey key: String, expected: LayoutKind) -> LayoutKind? {
        func spells(_ roots: [String]) -> Bool { roots.contains { key.hasPrefix($0) } }
        guard let own = roots.first(where: { $0.0 == expected }), !spells(own.1) else { return nil }
        return roots.first { $0.0 != expected && spells($0.1) }?.0
    }

    /// What to tell the user about a key prefix, by the wrappers it names.
    static func explain(prefix: String) -> (detail: String, hint: String?) {
        let parts = prefix.split(separator: ".").map(String.init)
        if parts.contains("teacher") || parts.contains("student") || parts.contains("backbone")
            || parts.contains("dino_head") || parts.contains("ibot_head") {
            let student = parts.contains("student") ? " (releases are cut from the teacher)" : ""
            return ("a DINOv2 training checkpoint\(student)", "extract the release with `ckpt convert train-to-release`")
        }
        if let (layout, what) = Layouts.wrapping(prefix: prefix) {
            return (what, "convert the backbone out with `\(BackboneLayouts.convertCommand(from: layout, to: .dinov2))`")
        }
        if parts.contains("module") {
            return ("saved from a DistributedDataParallel wrapper", "strip the \"module.\" prefix")
        }
        return ("keys carry an extra prefix", nil)
    }

    static func diagnose(missing: [String], unexpected: [String], expectedLayout: LayoutKind?) -> Result {
        var result = Result()
        let missingSet = Set(missing)
        var explainedMissing = Set<String>()
        var leftover: [String] = []

        // Prefixed: the longest dotted suffix of an unexpected key that is a missing key.
        var byPrefix: [String: Set<String>] = [:]
        var prefixOrder: [String] = []
        // Chunked: blocks.{c}.{i}.rest for a missing blocks.{i}.rest, possibly under a prefix.
        var chunked = Set<String>()
        for u in unexpected {
            // A key that starts with a layout root is spelled in a layout, not wrapped in a prefix.
            if layout(ofKey: u) == nil, let (prefix, suffix) = prefixMatch(u, in: missingSet) {
                if byPrefix[prefix] == nil { prefixOrder.append(prefix) }
                byPrefix[prefix, default: []].insert(suffix)
                result.hints[u] = "near miss of \(suffix)"
                // Point a missing key at the teacher's copy when there is one: releases come from it.
                if result.hints[suffix] == nil || prefix.contains("teacher") { result.hints[suffix] = "found as \(u)" }
                explainedMissing.insert(suffix)
            } else if let unchunked = unchunk(u), missingSet.contains(unchunked) {
                chunked.insert(unchunked)
                result.hints[u] = "chunked spelling of \(unchunked)"
                result.hints[unchunked] = "found as \(u)"
                explainedMissing.insert(unchunked)
            } else {
                leftover.append(u)
            }
        }
        let ranked = prefixOrder.sorted {
            let (a, b) = (byPrefix[$0]!.count, byPrefix[$1]!.count)
            return a != b ? a > b : ($0.contains("teacher") && !$1.contains("teacher"))
        }
        for prefix in ranked {
            let (what, hint) = explain(prefix: prefix)
            let n = byPrefix[prefix]!.count
            result.diagnoses.append(.init(kind: .prefixed, count: n,
                detail: "\(n) missing key\(n == 1 ? " is" : "s are") present under the prefix \"\(prefix)\": \(what)", hint: hint))
        }
        if !chunked.isEmpty {
            result.diagnoses.append(.init(kind: .chunked, count: chunked.count,
                detail: "\(chunked.count) missing key\(chunked.count == 1 ? " is" : "s are") present as chunked blocks (blocks.{chunk}.{i}.*, written with block_chunks > 0)",
                hint: "torch hub models load unchunked blocks.{i}.*; rewrite the file with a `ckpt convert` layout conversion, which reads chunked blocks"))
        }

        // Other layout: leftover unexpected keys spelled in another backbone layout (the one that
        // spells the most of them).
        if let expectedLayout, expectedLayout.isBackbone {
            var byLayout: [LayoutKind: [String]] = [:]
            for u in leftover {
                if let other = foreignLayout(ofKey: u, expected: expectedLayout) { byLayout[other, default: []].append(u) }
            }
            let unexplained = missing.filter { !explainedMissing.contains($0) }
            let ranked = LayoutKind.backbones.compactMap { k in byLayout[k].map { (kind: k, keys: $0) } }
            if let (other, foreign) = ranked.max(by: { $0.keys.count < $1.keys.count }), !unexplained.isEmpty {
                let command = BackboneLayouts.convertCommand(from: other, to: expectedLayout)
                let name = BackboneLayouts.layout(other)!.displayName
                for u in foreign { result.hints[u] = "\(name) spelling" }
                result.diagnoses.append(.init(kind: .otherLayout, count: foreign.count,
                    detail: "\(foreign.count) unexpected key\(foreign.count == 1 ? " is" : "s are") spelled in the \(name) layout (\(other.rawValue)) while \(expectedLayout.rawValue) was expected",
                    hint: "convert with `\(command)`, or verify with `--layout \(other.rawValue)`"))
            }
        }

        // A key the expected layout may lack (HF saved with use_mask_token=false).
        if let expectedLayout, !result.diagnoses.contains(where: { $0.kind == .otherLayout }) {
            for (key, why) in Layouts.optionalKeys(in: expectedLayout) where missingSet.contains(key) && !explainedMissing.contains(key) {
                result.hints[key] = "saved with \(why)"
                result.diagnoses.append(.init(kind: .noMaskToken, count: 1,
                    detail: "\(key) is absent: the model was saved with \(why)",
                    hint: "the original layout needs a [1, D] mask token for strict loading; `\(BackboneLayouts.convertCommand(from: expectedLayout, to: .dinov2))` writes zeros"))
            }
        }
        return result
    }

    /// (prefix including its trailing dot, suffix) when a proper dotted suffix of `key` is in `targets`.
    static func prefixMatch(_ key: String, in targets: Set<String>) -> (String, String)? {
        var index = key.startIndex
        while let dot = key[index...].firstIndex(of: ".") {
            let suffix = String(key[key.index(after: dot)...])
            if targets.contains(suffix) { return (String(key[...dot]), suffix) }
            index = key.index(after: dot)
        }
        return nil
    }

    /// `blocks.{c}.{i}.rest` → `blocks.{i}.rest`; nil for any other key (detection's dechunker).
    static func unchunk(_ key: String) -> String? { Layouts.unchunked(key) }
}
