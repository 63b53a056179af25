import CkptCheckpoint
import CkptCore
/// Reading a backbone in any backbone layout into canonical tensors and recovering its architecture.
extension Layouts {
    struct ReadBackbone {
        var tensors: [String: TensorEntry]
        var arch: Architecture
        /// Canonical keys the input lacked: zeros stand in for them.
        var added: Set<String>
        /// `Architecture.assumedHeads`' rule when no config.json gave the head count.
        var headsRule: String?
        /// What reading changed beyond moving bytes (a value transform undone), for conversion reports.
        var transformNotes: [String]
        /// Derived tensors the input lacked and reading regenerated (DINOv3's periods and bias masks),
        /// by canonical rule name, with the note a conversion that writes them reports.
        var regenerated: [String: String] = [:]
    }

    /// Reads the backbone tensors `names` (all under `prefix`) of a checkpoint in the `source` layout
    /// into canonical form, recovers the architecture and checks every key and shape against the table.
    static func readBackbone(_ c: Checkpoint, names: [String], prefix: String, source: LayoutKind,
                             notes: inout [String]) throws -> ReadBackbone {
        guard let layout = BackboneLayouts.layout(source) else { preconditionFailure("\(source.rawValue) is not a backbone layout") }
        var unexpected: [String] = []
        var problems: [String] = []
        var missing: [String] = []
        var chunks = Set<Int>()
        var unchunkedBlocks = false
        var aliased = 0
        // Stored tensors by canonical key and part. A name the layout spells alike for two rules
        // (timm's fc1 for MLP fc1 and SwiGLU w12) waits until the tensors tell the FFN.
        var found: [String: (key: BackboneKey, parts: [Int: TensorEntry])] = [:]
        var ambiguous: [(entry: TensorEntry, matches: [(key: BackboneKey, part: Int)])] = []
        func place(_ key: BackboneKey, _ part: Int, _ entry: TensorEntry) {
            guard found[key.name]?.parts[part] == nil else {
                problems.append("\(key.name) appears twice (chunked and unchunked, or in two chunks)")
                return
            }
            found[key.name, default: (key, [:])].parts[part] = entry
        }
        for name in names {
            var local = layout.fileSpelling(String(name.dropFirst(prefix.count)))
            if let alias = layout.readAlias, name.dropFirst(prefix.count).hasPrefix(alias.from) { aliased += 1 }
            var chunk: Int?
            if layout.chunkedBlocks {
                let dechunked = LayoutLocator.dechunked(local)
                chunk = dechunked.chunk
                if let chunk { chunks.insert(chunk); local = dechunked.name }
            }
            let matches = BackboneTable.matches(local, layout: source)
            guard let first = matches.first else {
                unexpected.append(name)
                continue
            }
            if first.key.block != nil, chunk == nil { unchunkedBlocks = true }
            if matches.count > 1 { ambiguous.append((c[name]!, matches)) } else { place(first.key, first.part, c[name]!) }
        }
        // A name that only one FFN's rules spell (HF DINOv3's gate_proj, timm's fc1_g) tells the FFN of
        // the names both spell (up_proj, fc2): place those by it before the parts are assembled.
        let ffnConditions = Set(found.values.map(\.key.rule.condition).filter { $0 == .mlp || $0 == .swiglu })
        if ffnConditions.count == 1, let told = ffnConditions.first, !ambiguous.isEmpty {
            for (entry, matches) in ambiguous {
                let m = matches.first { $0.key.rule.condition == told } ?? matches[0]
                place(m.key, m.part, entry)
            }
            ambiguous = []
        }
        if aliased > 0, let alias = layout.readAlias {
            notes.append("\(aliased) names spelled \(alias.from)* (transformers' in-memory names) read as \(alias.to)*, the names save_pretrained writes")
        }
        if !chunks.isEmpty {
            if unchunkedBlocks { problems.append("blocks are partly chunked (blocks.{c}.{i}.*) and partly not (blocks.{i}.*)") }
            notes.append("chunked blocks (block_chunks=\(chunks.count)): read as blocks.{i}.* by global index")
        }
        // Each canonical tensor from its stored parts (HF q/k/v fuse into three consecutive ranges).
        var canonical: [String: TensorEntry] = [:]
        var reported = Set<String>()
        for (name, group) in found.sorted(by: { $0.key < $1.key }) {
            let spelling = group.key.spelling(in: layout)
            switch spelling.read(group.parts, canonicalName: name, prefix: prefix) {
            case let .tensor(entry): canonical[name] = entry
            case let .missingParts(parts):
                missing += parts.map { prefix + spelling.names[$0] }
                reported.insert(name)
            case let .problem(problem): problems.append(problem)
            }
        }
        if !problems.isEmpty { throw LayoutError(path: c.path, problem: .inconsistent(problems)) }
        let transformNotes = try finishReading(&canonical, layout: layout, path: c.path)
        notes += transformNotes
        if !ambiguous.isEmpty {
            canonical = resolveFFN(canonical, ambiguous, layout: layout, path: c.path, prefix: prefix, source: source)
        }

        var arch = try architecture(of: canonical, path: c.path, spell: { spelling(of: $0, prefix: prefix, source: source) })
        let headsRule: String?
        if layout.family == .dinov3 {
            headsRule = try readDINOv3Facts(c, canonical: canonical, arch: &arch, layout: layout)
        } else {
            // config.json's use_mask_token is checked against the keys the layout may lack.
            let optionalPresent = BackboneTable.rules.contains { layout.spelling(of: $0).missingNote != nil && canonical[$0.name] != nil }
            headsRule = try crossCheckConfig(c, arch: &arch, hasMask: optionalPresent)
        }
        if let headsRule { notes.append("heads: " + Architecture.assumedHeadsText(arch.heads, rule: headsRule)) }

        // Strict check against the table: every missing key, unexpected key and wrong shape at once.
        var added = Set<String>()
        var regenerated: [String: String] = [:]
        var wrongShape: [String] = []
        var expectedNames = Set<String>()
        let zerosDType = canonical[BackboneTable.telltale]?.dtype ?? .f32
        for key in BackboneTable.keys(for: arch) {
            let name = key.name
            expectedNames.insert(name)
            let shape = key.shape(arch)
            guard let entry = canonical[name] else {
                if case .derived = key.spelling(in: layout), let (generated, note) = DINOv3Buffers.regenerate(key, arch, canonical: canonical) {
                    canonical[name] = generated
                    if !notes.contains(note) { notes.append(note) }
                    regenerated[key.rule.name] = note
                    continue
                }
                if let why = key.spelling(in: layout).missingNote {
                    // A key the layout may lack (HF's mask token with use_mask_token=false, none at all in
                    // some layouts): zeros stand in, which is what released checkpoints hold anyway.
                    let bytes = [UInt8](repeating: 0, count: zerosDType.byteCount(for: shape) ?? 0)
                    canonical[name] = TensorEntry(name: name, dtype: zerosDType, shape: shape, segments: [.memory(bytes)],
                                                  sourcePath: "(zeros)")
                    added.insert(name)
                    notes.append("no \(name) (\(why)): zeros \(shape) stand in for the original layout")
                    continue
                }
                if !reported.contains(name) { missing += spelling(of: key, prefix: prefix, source: source) }
                continue
            }
            if entry.shape != shape {
                wrongShape.append("\(spelling(of: key, prefix: prefix, source: source).joined(separator: "/")): expected \(shape), found \(entry.shape)")
            }
        }
        for name in canonical.keys.sorted() where !expectedNames.contains(name) {
            // A key of the table that this architecture does not have (e.g. fc1 in a SwiGLU model).
            if let key = BackboneTable.match(name, layout: .dinov2)?.key {
                unexpected += spelling(of: key, prefix: prefix, source: source)
            }
        }
        if !missing.isEmpty || !unexpected.isEmpty || !wrongShape.isEmpty {
            throw LayoutError(path: c.path, problem: .tensorsDoNotMatch(
                layout: source, architecture: arch.summary, missing: missing, unexpected: unexpected.sorted(), wrongShape: wrongShape))
        }
        var allNotes = transformNotes
        if layout.kind == .dinov3 {
            var metaNotes: [String] = []
            try DINOv3Buffers.checkMeta(&canonical, arch, path: c.path, notes: &metaNotes)
            notes += metaNotes
            allNotes += metaNotes
        }
        return ReadBackbone(tensors: canonical, arch: arch, added: added, headsRule: headsRule, transformNotes: allNotes,
                            regenerated: regenerated)
    }

    /// The names a canonical key has in the input, for messages.
    static func spelling(of key: BackboneKey, prefix: String, source: LayoutKind) -> [String] {
        let names = BackboneLayouts.layout(source).map { key.spelling(in: $0).names } ?? []
        return (names.isEmpty ? [key.name] : names).map { prefix + $0 }
    }

    /// Places the tensors whose names two rules share (differing only in the FFN they belong to):
    /// under each FFN in turn, and keeps the reading whose shapes fit the table (ties: MLP).
    static func resolveFFN(_ canonical: [String: TensorEntry], _ ambiguous: [(entry: TensorEntry, matches: [(key: BackboneKey, part: Int)])],
                           layout: BackboneLayout, path: String, prefix: String, source: LayoutKind) -> [String: TensorEntry] {
        var best: (misfits: Int, tensors: [String: TensorEntry])?
        for ffn in Architecture.FFN.allCases {
            var tensors = canonical
            var placed: [BackboneKey] = []
            for (entry, matches) in ambiguous {
                let m = matches.first { $0.key.rule.condition.allows(ffn) } ?? matches[0]
                tensors[m.key.name] = entry.renamed(m.key.name)
                placed.append(m.key)
            }
            let arch = try? architecture(of: tensors, path: path, spell: { spelling(of: $0, prefix: prefix, source: source) })
            let misfits = arch.map { a in placed.filter { tensors[$0.name]!.shape != $0.shape(a) }.count } ?? Int.max
            if best == nil || misfits < best!.misfits { best = (misfits, tensors) }
        }
        return best!.tensors
    }

    /// Undoes the transforms that involve more than one embedding key, once the canonical tensors are
    /// assembled, and returns their notes. Their conditions read the register count, known by then
    /// from its tensor.
    static func finishReading(_ canonical: inout [String: TensorEntry], layout: BackboneLayout, path: String) throws -> [String] {
        let registers = canonical[BackboneTable.name(of: .registerTokens)].flatMap { $0.shape.count == 3 ? $0.shape[1] : nil } ?? 0
        let facts = Architecture(width: 1, depth: 0, heads: 1, registers: registers)
        var notes: [String] = []
        for rule in BackboneTable.rules where !rule.perBlock {
            let spelling = layout.spelling(of: rule)
            try spelling.finishReading(rule, &canonical, facts: facts, path: path)
            if let note = spelling.readNote(rule, facts) { notes.append(note) }
        }
        return notes
    }

    /// Width, patch, grid, registers, depth and FFN from the tensors. Heads are not stored in any
    /// tensor: `crossCheckConfig` resolves them (`Architecture.heads`).
    static func architecture(of t: [String: TensorEntry], path: String,
                             spell: (BackboneKey) -> [String]) throws -> Architecture {
        func name(_ n: String) -> String { BackboneTable.match(n, layout: .dinov2).map { spell($0.key).joined(separator: "/") } ?? n }
        // Each dimension is read from the embedding tensor that carries it.
        let projName = BackboneTable.name(of: .patchWeight), posName = BackboneTable.name(of: .positions)
        let regName = BackboneTable.name(of: .registerTokens)
        guard let proj = t[projName] else {
            throw LayoutError(path: path, problem: .tensorsDoNotMatch(
                layout: nil, architecture: nil, missing: [name(projName)], unexpected: [], wrongShape: []))
        }
        var problems: [String] = []
        let s = proj.shape
        guard s.count == 4, s[1] == 3, s[2] == s[3], s[0] > 0, s[2] > 0 else {
            throw LayoutError(path: path, problem: .inconsistent(["\(name(projName)) has shape \(s), expected [D, 3, p, p]"]))
        }
        let width = s[0], patch = s[2]
        var grid = 0
        if let pos = t[posName] {
            let p = pos.shape
            if p.count == 3, p[0] == 1, p[1] >= 2 {
                let g = Int(Double(p[1] - 1).squareRoot().rounded())
                if g * g == p[1] - 1 { grid = g } else { problems.append("\(name(posName)) has \(p[1] - 1) patch positions, not a square grid") }
            } else {
                problems.append("\(name(posName)) has shape \(p), expected [1, 1+G², \(width)]")
            }
        }
        var registers = 0
        if let reg = t[regName] {
            if reg.shape.count == 3 { registers = reg.shape[1] } else { problems.append("\(name(regName)) has shape \(reg.shape), expected [1, R, \(width)]") }
        }
        var depth = 0
        var mlp = false, swiglu = false
        var hidden: Int?
        for (n, entry) in t {
            guard let (key, _) = BackboneTable.match(n, layout: .dinov2), let block = key.block else { continue }
            depth = max(depth, block + 1)
            switch key.rule.condition {
            case .mlp: mlp = true
            case .swiglu: swiglu = true
            default: break
            }
            // The FFN's output weight [D, hidden] carries the hidden width (fc2 or w3).
            if key.rule.shape == [.width, .ffnHidden], entry.shape.count == 2, block == 0 || hidden == nil {
                hidden = entry.shape[1]
            }
        }
        if mlp && swiglu { problems.append("blocks hold both MLP (fc1/fc2) and SwiGLU (w12/w3) weights") }
        if !problems.isEmpty { throw LayoutError(path: path, problem: .inconsistent(problems)) }
        let ffn: Architecture.FFN = swiglu ? .swiglu : .mlp
        return Architecture(width: width, depth: depth, heads: Architecture.heads(width: width, recorded: nil).heads, patchSize: patch, imageSize: grid * patch,
                            registers: registers, ffn: ffn, ffnHidden: hidden)
    }
}
