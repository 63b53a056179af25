/// Why a Hub model name (`ORG/NAME[@REVISION]`) could not be opened from the local Hugging Face cache.
/// Each case names the folder or file it looked at; ckpt never downloads, so the messages say how to.
public enum HubCacheProblem: Equatable, Sendable, CustomStringConvertible {
    /// No `models--ORG--NAME` folder in the cache (`searched` is the folder looked for).
    case notCached(searched: String)
    /// The revision is neither a ref under `refs` nor a commit hash (full or a unique prefix) of a
    /// snapshot; `known` lists the refs and snapshot commits there are.
    case unknownRevision(revision: String, refs: String, known: [String])
    /// The short commit hash `revision` matches several snapshots.
    case ambiguousRevision(revision: String, candidates: [String])
    /// The ref file `ref` does not hold a 40-digit commit hash.
    case badRef(ref: String, content: String)
    /// The revision resolved to `commit`, but its snapshot folder is not in the cache.
    case snapshotMissing(revision: String, commit: String, searched: String)
    /// A file of the snapshot is a link to `target`, outside the cache folder `cache`.
    case escapesCache(path: String, target: String, cache: String)
    /// A file of the snapshot is a link to `target`, which does not exist (an interrupted download).
    case danglingLink(path: String, target: String)

    /// What is wrong and what to do about it, with the placeholder repository id `ORG/NAME`.
    public var description: String { message(repoID: "ORG/NAME") }

    /// What is wrong and what to do about it, the fetch command naming `repoID`.
    public func message(repoID: String) -> String {
        switch self {
        case let .notCached(searched):
            return "not an existing path, and not in the local Hugging Face cache (looked for \(searched)); ckpt never downloads: fetch it with `hf download \(repoID)` or set HF_HUB_CACHE / HF_HOME to the cache that holds it"
        case let .unknownRevision(revision, refs, known):
            let list = known.isEmpty ? "none" : known.joined(separator: ", ")
            return "revision \"\(revision)\" is not a ref in \(refs) nor a cached commit (cached: \(list)); fetch it with `hf download \(repoID) --revision \(revision)`"
        case let .ambiguousRevision(revision, candidates):
            return "short commit hash \"\(revision)\" matches \(candidates.count) cached snapshots: \(candidates.joined(separator: ", ")); give more digits"
        case let .badRef(ref, content):
            return "\(ref) should hold a 40-digit commit hash, found \"\(content.prefix(80))\""
        case let .snapshotMissing(revision, commit, searched):
            return "revision \"\(revision)\" is commit \(commit), but its snapshot folder \(searched) is missing; fetch it with `hf download \(repoID) --revision \(commit)`"
        case let .escapesCache(path, target, cache):
            return "\(path) links to \(target), outside the cache folder \(cache); refusing to read it"
        case let .danglingLink(path, target):
            return "\(path) links to \(target), which does not exist (an interrupted download?); fetch the model again with `hf download \(repoID)`"
        }
    }
}
