import CkptCore

/// How a layout stores one canonical key: the named value transforms of a conversion. Reading undoes
/// what writing does. Every transform but the class-position fold moves byte ranges only, so a round
/// trip gives back the very same bytes; the fold says what it gives on its case.
enum Spelling: Sendable {
    /// The same bytes under another name.
    case renamed(String)
    /// The canonical tensor's rows in equal blocks, one tensor per name: the fused qkv is the
    /// row-wise concatenation `[q; k; v]` (no per-head permutation). Fusing is consecutive byte
    /// ranges and splitting is sub-ranges, so both directions copy bytes unchanged.
    case rows([String])
    /// Stored under the name when the model has it; a model may lack it. Reading a model without it
    /// puts zeros in the canonical form (`note` says why it may lack it); an output omits a key the
    /// input lacked, unless `requiredWhen` holds for the model.
    case optional(String, requiredWhen: RuleCondition, note: String)
    /// Never stored in this layout: reading puts zeros in the canonical form, writing leaves it out.
    case absent(note: String)
    /// Like `absent`, for a tensor the eval forward pass does not read (a training-only token):
    /// writing leaves it out and the conversion report says so with `note`.
    case dropped(note: String)
    /// The class-position fold (`ClassPositionFold`) when `when` holds for the model, else a rename.
    /// The class token's row (`TensorRole.classToken`) stores `cls + pos[:, 0]`, the position table's
    /// row (`.positions`) only the patch positions, as timm's `no_embed_class` models do. Reading
    /// splits them back as the stored class token and a first position of zeros: the same outputs,
    /// not the same bytes as weights that keep the two apart.
    case classPositionFold(String, when: RuleCondition)
    /// The same bytes under another name with one more leading axis of 1: transformers' DINOv3 mask
    /// token [1, 1, D] for Meta's [1, D].
    case reshaped(String)
    /// Not stored in this layout because the code that reads it computes it (DINOv3's RoPE periods
    /// from `rope_theta`, the qkv bias mask from the model's shape): reading regenerates it
    /// (`DINOv3Buffers`), writing leaves it out and says so with `note`.
    case derived(note: String)
    /// The qkv bias without its key third, as two tensors (query, value): transformers' and timm's
    /// DINOv3 attention has no key bias. Reading puts zeros in the key third; writing leaves it out
    /// when it is masked (`Architecture.maskedKeyBias`) or zero, and refuses a key bias that would
    /// change the outputs.
    case keyless([String], note: String)

    /// The names in the layout, in part order (none for `absent`).
    var names: [String] {
        switch self {
        case let .renamed(name), let .optional(name, _, _), let .classPositionFold(name, _), let .reshaped(name): return [name]
        case let .rows(names), let .keyless(names, _): return names
        case .absent, .derived, .dropped: return []
        }
    }

    /// The spelling with `{i}` filled with `block`.
    func filled(_ block: Int?) -> Spelling {
        guard let block else { return self }
        switch self {
        case let .renamed(name): return .renamed(Pattern.fill(name, block))
        case let .rows(names): return .rows(names.map { Pattern.fill($0, block) })
        case let .optional(name, requiredWhen, note): return .optional(Pattern.fill(name, block), requiredWhen: requiredWhen, note: note)
        case let .classPositionFold(name, when): return .classPositionFold(Pattern.fill(name, block), when: when)
        case let .reshaped(name): return .reshaped(Pattern.fill(name, block))
        case let .keyless(names, note): return .keyless(names.map { Pattern.fill($0, block) }, note: note)
        case .absent, .derived, .dropped: return self
        }
    }

    /// Why a model in this layout may lack the key (nil when it must have it).
    var missingNote: String? {
        switch self {
        case let .optional(_, _, note), let .absent(note), let .dropped(note): return note
        case .renamed, .rows, .classPositionFold, .reshaped, .derived, .keyless: return nil
        }
    }

    /// The shape of each stored tensor of `key` in a model of `a`.
    func shapes(of key: BackboneKey, _ a: Architecture) -> [[Int]] {
        let shape = key.shape(a)
        switch self {
        case .renamed, .optional: return [shape]
        case let .classPositionFold(_, when):
            return [when.holds(a) && key.rule.role == .positions ? ClassPositionFold.rowsAdded(-1, to: shape) : shape]
        case let .rows(names):
            var part = shape
            if !part.isEmpty { part[0] /= names.count }
            return Array(repeating: part, count: names.count)
        case let .keyless(names, _):
            var part = shape
            if !part.isEmpty { part[0] /= 3 }
            return Array(repeating: part, count: names.count)
        case .reshaped: return [[1] + shape]
        case .absent, .derived, .dropped: return []
        }
    }

    /// The canonical shape of `key` stored (single-name spellings) with `shape`, for a model whose
    /// known `facts` (registers) the spelling's condition may read; the key's role tells a transform
    /// that treats its tensors differently which one this is.
    func canonicalShape(of key: BackboneKey, stored shape: [Int], _ facts: Architecture) -> [Int] {
        switch self {
        case .renamed, .optional, .absent, .derived, .dropped: return shape
        case .reshaped: return shape.first == 1 ? Array(shape.dropFirst()) : shape
        case .keyless:
            var whole = shape
            if !whole.isEmpty { whole[0] *= 3 }
            return whole
        case let .classPositionFold(_, when):
            return when.holds(facts) && key.rule.role == .positions ? ClassPositionFold.rowsAdded(1, to: shape) : shape
        case let .rows(names):
            var whole = shape
            if !whole.isEmpty { whole[0] *= names.count }
            return whole
        }
    }

    // MARK: - Writing

    /// The tensors this layout stores for `key`, from the canonical tensors of a model of `a`.
    /// `added` names the canonical tensors the input lacked (zeros stand in for them).
    func write(_ key: BackboneKey, _ a: Architecture, canonical: [String: TensorEntry], added: Set<String>) throws -> [TensorEntry] {
        let entry = canonical[key.name]!  // present: analyze checked the complete key set
        switch self {
        case let .renamed(name): return [entry.renamed(name)]
        case let .rows(names): return names.enumerated().map { entry.rows(part: $0.offset, of: names.count, name: $0.element) }
        case let .optional(name, requiredWhen, _):
            return added.contains(key.name) && !requiredWhen.holds(a) ? [] : [entry.renamed(name)]
        case .absent, .derived, .dropped: return []
        case let .reshaped(name):
            return [TensorEntry(name: name, dtype: entry.dtype, shape: [1] + entry.shape, segments: entry.segments,
                                sourcePath: entry.sourcePath)]
        case let .keyless(names, _):
            if !a.maskedKeyBias { try DINOv3Buffers.requireZeroKeyBias(entry, target: names) }
            return [entry.rows(part: 0, of: 3, name: names[0]), entry.rows(part: 2, of: 3, name: names[1])]
        case let .classPositionFold(name, when):
            guard when.holds(a) else { return [entry.renamed(name)] }
            switch key.rule.role {
            case .classToken?:
                return [try ClassPositionFold.fold(cls: entry, positions: canonical[BackboneTable.name(of: .positions)]!, name: name)]
            case .positions?:
                return [ClassPositionFold.patchPositions(entry, name: name)]
            default:
                preconditionFailure("the class-position fold spells the class token and the position table, not \(key.name)")
            }
        }
    }

    /// A line for the conversion report when writing this spelling for a model of `a` changes
    /// values rather than moving bytes; nil for the byte-range transforms.
    func writeNote(_ a: Architecture) -> String? {
        switch self {
        case .renamed, .rows, .optional, .absent, .reshaped: return nil
        case let .derived(note), let .keyless(_, note), let .dropped(note): return note
        case let .classPositionFold(_, when): return when.holds(a) ? ClassPositionFold.foldNote : nil
        }
    }

    // MARK: - Reading

    /// What one canonical tensor is, from the stored tensors found for it (by part index).
    enum Read {
        case tensor(TensorEntry)
        /// Parts that are absent (indices into `names`).
        case missingParts([Int])
        case problem(String)
    }

    /// The canonical tensor `canonicalName` from the stored `parts` (spelled names, with `prefix`
    /// for messages).
    func read(_ parts: [Int: TensorEntry], canonicalName: String, prefix: String) -> Read {
        switch self {
        case .renamed, .optional, .classPositionFold:
            return .tensor(parts[0]!.renamed(canonicalName))
        case .reshaped:
            let stored = parts[0]!
            guard stored.shape.first == 1 else { return .tensor(stored.renamed(canonicalName)) }  // the shape check reports it
            return .tensor(TensorEntry(name: canonicalName, dtype: stored.dtype, shape: Array(stored.shape.dropFirst()),
                                       segments: stored.segments, sourcePath: stored.sourcePath))
        case let .keyless(names, _):
            guard let q = parts[0], let v = parts[1] else { return .missingParts((0..<names.count).filter { parts[$0] == nil }) }
            guard q.dtype == v.dtype, q.shape == v.shape, q.shape.count == 1, let bytes = q.dtype.byteCount(for: q.shape) else {
                return .problem("\(names.map { prefix + $0 }.joined(separator: ", ")) differ in dtype or shape or are not vectors: "
                    + [q, v].map { "\($0.dtype.rawValue) \($0.shape)" }.joined(separator: ", "))
            }
            let key = TensorEntry(name: canonicalName, dtype: q.dtype, shape: q.shape, segments: [.memory([UInt8](repeating: 0, count: bytes))],
                                  sourcePath: "(zeros)")
            return .tensor(TensorEntry.concatenatingRows([q, key, v], name: canonicalName))
        case let .rows(names):
            let got = (0..<names.count).compactMap { parts[$0] }
            guard got.count == names.count else { return .missingParts((0..<names.count).filter { parts[$0] == nil }) }
            let first = got[0]
            if got.contains(where: { $0.dtype != first.dtype || $0.shape != first.shape }) || first.shape.isEmpty {
                return .problem("\(names.map { prefix + $0 }.joined(separator: ", ")) differ in dtype or shape: "
                    + got.map { "\($0.dtype.rawValue) \($0.shape)" }.joined(separator: ", "))
            }
            return .tensor(TensorEntry.concatenatingRows(got, name: canonicalName))
        case .absent, .derived, .dropped:
            preconditionFailure("no stored name spells an absent or derived key")
        }
    }

    /// A line for the detection notes and the conversion report when reading this spelling of `rule`
    /// for a model with `facts` changes values rather than moving bytes; nil for the byte-range
    /// transforms.
    func readNote(_ rule: BackboneRule, _ facts: Architecture) -> String? {
        switch self {
        case .renamed, .rows, .optional, .absent, .reshaped, .derived, .keyless, .dropped: return nil
        case let .classPositionFold(_, when): return when.holds(facts) && rule.role == .positions ? ClassPositionFold.unfoldNote : nil
        }
    }

    /// Undoes, on the assembled canonical tensors, what this spelling of `rule` did across keys;
    /// `facts` holds what the tensors say of the model so far (its register count). The byte-range
    /// transforms act on their own key only: nothing to do.
    func finishReading(_ rule: BackboneRule, _ canonical: inout [String: TensorEntry], facts: Architecture, path: String) throws {
        switch self {
        case .renamed, .rows, .optional, .absent, .reshaped, .derived, .keyless, .dropped: return
        case let .classPositionFold(_, when):
            guard when.holds(facts), rule.role == .positions, let stored = canonical[rule.name] else { return }
            canonical[rule.name] = ClassPositionFold.unfold(stored)
        }
    }
}
