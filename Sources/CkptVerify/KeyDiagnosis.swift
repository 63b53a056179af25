import CkptCheckpoint
import CkptForward
import CkptFormat
import CkptLayout
/// Explains near-miss keys: expected keys that are present under a prefix, in chunked blocks, or in
/// the other backbone layout, and an HF file saved without its mask token.
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

    /// What to tell the user about a key prefix, by the wrappers it names.
    static func explain(prefix: String) -> (detail: String, hint: String?) {
        let parts = prefix.split(separator: ".").map(String.init)
        if parts.contains("teacher") || parts.contains("student") || parts.contains("backbone")
            || parts.contains("dino_head") || parts.contains("ibot_head") {
            let student = parts.contains("student") ? " (releases are cut from the teacher)" : ""
            return ("a DINOv2 training checkpoint\(student)", "extract the release with `ckpt convert train-to-release`")
        }
        if parts == ["dinov2"] {
            return ("the backbone of an HF Dinov2ForImageClassification", "convert the backbone out with `ckpt convert hf-to-dinov2`")
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

        // Other layout: leftover unexpected keys spelled in the other backbone layout.
        if let expectedLayout, expectedLayout == .hf || expectedLayout == .dinov2 {
            let other: LayoutKind = expectedLayout == .hf ? .dinov2 : .hf
            let foreign = leftover.filter { layout(ofKey: $0) == other }
            let unexplained = missing.filter { !explainedMissing.contains($0) }
            if !foreign.isEmpty, !unexplained.isEmpty {
                let command = other == .hf ? "ckpt convert hf-to-dinov2" : "ckpt convert dinov2-to-hf"
                let name = other == .hf ? "Hugging Face" : "original DINOv2"
                for u in foreign { result.hints[u] = "\(name) spelling" }
                result.diagnoses.append(.init(kind: .otherLayout, count: foreign.count,
                    detail: "\(foreign.count) unexpected key\(foreign.count == 1 ? " is" : "s are") spelled in the \(name) layout (\(other.rawValue)) while \(expectedLayout.rawValue) was expected",
                    hint: "convert with `\(command)`, or verify with `--layout \(other.rawValue)`"))
            }
        }

        // HF saved with use_mask_token=false.
        if expectedLayout == .hf, missingSet.contains("embeddings.mask_token"), !explainedMissing.contains("embeddings.mask_token"),
           !result.diagnoses.contains(where: { $0.kind == .otherLayout }) {
            result.hints["embeddings.mask_token"] = "saved with use_mask_token=false"
            result.diagnoses.append(.init(kind: .noMaskToken, count: 1,
                detail: "embeddings.mask_token is absent: the model was saved with use_mask_token=false",
                hint: "the original layout needs a [1, D] mask token for strict loading; `ckpt convert hf-to-dinov2` writes zeros"))
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
