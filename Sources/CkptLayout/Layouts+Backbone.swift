import CkptCheckpoint
import CkptFormat
/// Reading a backbone (HF or original spelling) into canonical tensors and recovering its architecture.
extension Layouts {
    struct ReadBackbone {
        var tensors: [String: TensorEntry]
        var arch: Architecture
        var maskAdded: Bool
        /// `Architecture.assumedHeads`' rule when no config.json gave the head count.
        var headsRule: String?
    }

    static func readBackbone(_ c: Checkpoint, names: [String], prefix: String, source: LayoutKind,
                             notes: inout [String]) throws -> ReadBackbone {
        var canonical: [String: TensorEntry] = [:]
        var unexpected: [String] = []
        var problems: [String] = []
        var missing: [String] = []
        var parts: [String: (key: BackboneKey, entries: [Int: TensorEntry])] = [:]
        var chunks = Set<Int>()
        var unchunkedBlocks = false
        for name in names {
            var local = String(name.dropFirst(prefix.count))
            if source == .dinov2 {
                let (plain, chunk) = LayoutLocator.dechunked(local)
                if let chunk { chunks.insert(chunk); local = plain } else if local.hasPrefix("blocks.") { unchunkedBlocks = true }
            }
            guard let (key, part) = BackboneTable.match(local, layout: source) else {
                unexpected.append(name)
                continue
            }
            let entry = c[name]!
            if source == .hf, key.rule.transform == .qkvRows {
                parts[key.dinov2, default: (key, [:])].entries[part] = entry
                continue
            }
            guard canonical[key.dinov2] == nil else {
                problems.append("\(key.dinov2) appears twice (chunked and unchunked, or in two chunks)")
                continue
            }
            canonical[key.dinov2] = entry.renamed(key.dinov2)
        }
        if !chunks.isEmpty {
            if unchunkedBlocks { problems.append("blocks are partly chunked (blocks.{c}.{i}.*) and partly not (blocks.{i}.*)") }
            notes.append("chunked blocks (block_chunks=\(chunks.count)): read as blocks.{i}.* by global index")
        }
        // Fuse HF query/key/value into the original qkv: three consecutive byte ranges.
        for (dinov2Name, group) in parts.sorted(by: { $0.key < $1.key }) {
            let hfNames = group.key.hf
            let got = (0..<hfNames.count).compactMap { group.entries[$0] }
            guard got.count == hfNames.count else {
                missing += (0..<hfNames.count).filter { group.entries[$0] == nil }.map { prefix + hfNames[$0] }
                continue
            }
            let first = got[0]
            if got.contains(where: { $0.dtype != first.dtype || $0.shape != first.shape }) || first.shape.isEmpty {
                problems.append("\(hfNames.map { prefix + $0 }.joined(separator: ", ")) differ in dtype or shape: "
                    + got.map { "\($0.dtype.rawValue) \($0.shape)" }.joined(separator: ", "))
                continue
            }
            canonical[dinov2Name] = TensorEntry.concatenatingRows(got, name: dinov2Name)
        }
        if !problems.isEmpty { throw CkptError.layout(path: c.path, problem: .inconsistent(problems)) }

        var arch = try architecture(of: canonical, path: c.path, spell: { spelling(of: $0, prefix: prefix, source: source) })
        let headsRule = try crossCheckConfig(c, arch: &arch, hasMask: canonical["mask_token"] != nil)
        if let headsRule { notes.append("heads: " + Architecture.assumedHeadsText(arch.heads, rule: headsRule)) }

        // Strict check against the table: every missing key, unexpected key and wrong shape at once.
        var maskAdded = false
        var wrongShape: [String] = []
        var expectedNames = Set<String>()
        for key in BackboneTable.keys(for: arch) {
            let name = key.dinov2
            expectedNames.insert(name)
            let shape = key.shape(arch)
            guard let entry = canonical[name] else {
                if name == "mask_token", source == .hf {
                    // Dinov2Model(use_mask_token=False) has none; the original needs one, and zeros are
                    // what released checkpoints hold anyway.
                    let width = canonical["cls_token"]?.dtype ?? .f32
                    let bytes = [UInt8](repeating: 0, count: width.byteCount(for: shape) ?? 0)
                    canonical[name] = TensorEntry(name: name, dtype: width, shape: shape, segments: [.memory(bytes)],
                                                  sourcePath: "(zeros)")
                    maskAdded = true
                    notes.append("no mask_token (use_mask_token=false): zeros [1, \(arch.width)] stand in for the original layout")
                    continue
                }
                if parts[name] == nil { missing += spelling(of: key, prefix: prefix, source: source) }
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
            throw CkptError.layout(path: c.path, problem: .tensorsDoNotMatch(
                layout: "\(source.rawValue) \(arch.summary)", missing: missing, unexpected: unexpected.sorted(), wrongShape: wrongShape))
        }
        return ReadBackbone(tensors: canonical, arch: arch, maskAdded: maskAdded, headsRule: headsRule)
    }

    /// The names a canonical key has in the input, for messages.
    static func spelling(of key: BackboneKey, prefix: String, source: LayoutKind) -> [String] {
        (source == .hf ? key.hf : [key.dinov2]).map { prefix + $0 }
    }

    /// Width, patch, grid, registers, depth and FFN from the tensors. Heads are not stored in any
    /// tensor: `crossCheckConfig` resolves them (`Architecture.heads`).
    static func architecture(of t: [String: TensorEntry], path: String,
                             spell: (BackboneKey) -> [String]) throws -> Architecture {
        func name(_ n: String) -> String { BackboneTable.match(n, layout: .dinov2).map { spell($0.key).joined(separator: "/") } ?? n }
        guard let proj = t["patch_embed.proj.weight"] else {
            throw CkptError.layout(path: path, problem: .tensorsDoNotMatch(
                layout: "backbone", missing: [name("patch_embed.proj.weight")], unexpected: [], wrongShape: []))
        }
        var problems: [String] = []
        let s = proj.shape
        guard s.count == 4, s[1] == 3, s[2] == s[3], s[0] > 0, s[2] > 0 else {
            throw CkptError.layout(path: path, problem: .inconsistent(["\(name("patch_embed.proj.weight")) has shape \(s), expected [D, 3, p, p]"]))
        }
        let width = s[0], patch = s[2]
        var grid = 0
        if let pos = t["pos_embed"] {
            let p = pos.shape
            if p.count == 3, p[0] == 1, p[1] >= 2 {
                let g = Int(Double(p[1] - 1).squareRoot().rounded())
                if g * g == p[1] - 1 { grid = g } else { problems.append("\(name("pos_embed")) has \(p[1] - 1) patch positions, not a square grid") }
            } else {
                problems.append("\(name("pos_embed")) has shape \(p), expected [1, 1+G², \(width)]")
            }
        }
        var registers = 0
        if let reg = t["register_tokens"] {
            if reg.shape.count == 3 { registers = reg.shape[1] } else { problems.append("\(name("register_tokens")) has shape \(reg.shape), expected [1, R, \(width)]") }
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
            if key.rule.dinov2.hasSuffix("fc2.weight") || key.rule.dinov2.hasSuffix("w3.weight"), entry.shape.count == 2, block == 0 || hidden == nil {
                hidden = entry.shape[1]
            }
        }
        if mlp && swiglu { problems.append("blocks hold both MLP (fc1/fc2) and SwiGLU (w12/w3) weights") }
        if !problems.isEmpty { throw CkptError.layout(path: path, problem: .inconsistent(problems)) }
        let ffn: Architecture.FFN = swiglu ? .swiglu : .mlp
        return Architecture(width: width, depth: depth, heads: Architecture.heads(width: width, recorded: nil).heads, patchSize: patch, imageSize: grid * patch,
                            registers: registers, ffn: ffn, ffnHidden: hidden)
    }
}
