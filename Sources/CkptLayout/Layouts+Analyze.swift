import CkptCheckpoint
import CkptCore
/// Reading any input into the canonical form, with detection of the architecture.
extension Layouts {
    /// A checkpoint read once into canonical form: what detection found, and the backbone and head
    /// ready to be written in any layout (`convertBackbone(_:to:)`, `LayoutWriter`) without reading
    /// the checkpoint again.
    public struct Analysis {
        /// The checkpoint analysed.
        public let checkpoint: Checkpoint
        /// What detection found (layout, architectures, prefix, notes).
        public internal(set) var detected: DetectedLayout
        /// Canonical (original, unprefixed, unchunked) backbone tensors; complete when present.
        var backbone: [String: TensorEntry]?
        /// Canonical head tensors (`HeadTable`); complete when present.
        var head: [String: TensorEntry]?
        /// Canonical keys the input lacked (zeros stand in for them, e.g. an HF mask token).
        var addedKeys: Set<String> = []
        /// What reading changed beyond moving bytes (`Spelling.readNote`).
        var transformNotes: [String] = []

        /// The position-embedding interpolation of the code that reads this layout (`BackboneLayouts`): `hf`
        /// for Hugging Face weights (folder, `model.safetensors`, classifier), `dinov2` for the original layout
        /// and for anything that is not a backbone layout (a training checkpoint's teacher).
        public var positionInterpolation: PositionInterpolation { detected.kind.interpolationConvention ?? .dinov2 }
        /// Derived tensors reading regenerated, by canonical rule name, with their notes.
        var regenerated: [String: String] = [:]
    }

    #if DEBUG
    /// Analyses run in this process, in debug builds only: the CLI prints it when `CKPT_DEBUG_ANALYSES` is set,
    /// so a test can check that a command analyses each checkpoint once.
    package static let analysisCount = Locked(0)
    #endif

    /// Locates the model in the key space, reads it into canonical form and checks it is complete.
    /// `branch` nil picks the teacher of a training checkpoint (the student if there is no teacher).
    /// - Throws: `LayoutError` as `detect` does.
    public static func analyze(_ c: Checkpoint, branch: TrainBranch? = nil) throws -> Analysis {
        #if DEBUG
        analysisCount.withLock { $0 += 1 }
        #endif
        let sorted = c.names
        let names = Set(sorted)
        let found = LayoutLocator.candidates(names, sorted: sorted)
        if found.isEmpty {
            if let convnext = sorted.first(where: { $0.contains(".dwconv.") || $0.hasPrefix("downsample_layers.") }) {
                // Meta's DINOv3 ConvNeXt (and transformers' dinov3_convnext): recognised, and refused by name.
                throw LayoutError(path: c.path, problem: .notPresent(
                    "a ConvNeXt checkpoint (\(convnext), e.g. a DINOv3 ConvNeXt): not a ViT; ckpt reads DINOv2 and DINOv3 vision transformers"))
            }
            let (recognised, unrecognised) = LayoutLocator.explain(sorted)
            throw LayoutError(path: c.path, problem: .unrecognised(
                recognised: recognised, unrecognised: unrecognised, known: LayoutKind.allCases))
        }
        if found.count > 1 {
            throw LayoutError(path: c.path, problem: .ambiguous(candidates: found.map(\.description)))
        }
        let location = found[0]
        var notes: [String] = []
        // Keys outside a `model.` wrapper are trainer state (optimizer, iteration, …), not the model.
        let outside = sorted.filter { !$0.hasPrefix(location.wrapper) }
        if !outside.isEmpty {
            notes.append("ignored \(outside.count) key\(outside.count == 1 ? "" : "s") outside \"\(location.wrapper)\": \(LayoutProblem.sample(outside))")
        }
        switch location.kind {
        case .dinoHead:
            let head = try readHead(c, names: sorted.filter { $0.hasPrefix(location.prefix) }, prefix: location.prefix)
            let detected = DetectedLayout(kind: .dinoHead, architecture: nil, head: head.arch, prefix: location.prefix, notes: notes)
            return Analysis(checkpoint: c, detected: detected, backbone: nil, head: head.tensors)
        case .dinov2Train:
            return try analyzeTrain(c, sorted: sorted, wrapper: location.wrapper, branch: branch, notes: notes)
        default:
            var owned = sorted.filter { $0.hasPrefix(location.prefix) }
            if let wrapper = location.wrapping {
                // A wrapping model (HF's image classifier): its own layers are reported and left out of
                // the backbone; any other key beside the backbone is unexpected.
                let wrapperKeys = sorted.filter { $0.hasPrefix(location.wrapper) && !$0.hasPrefix(location.prefix) }
                let siblings = wrapperKeys.filter { $0.dropFirst(location.wrapper.count).hasPrefix(wrapper.siblings) }
                if !siblings.isEmpty {
                    notes.append("left out \(wrapper.siblingsWhat): " + siblings.map { "\($0) \(c[$0]!.shape)" }.joined(separator: ", "))
                }
                owned += wrapperKeys.filter { !siblings.contains($0) }
            }
            let backbone = try readBackbone(c, names: owned, prefix: location.prefix, source: location.kind, notes: &notes)
            let detected = DetectedLayout(kind: location.kind, architecture: backbone.arch, head: nil,
                                          prefix: location.prefix, notes: notes, headsRule: backbone.headsRule)
            return Analysis(checkpoint: c, detected: detected, backbone: backbone.tensors, head: nil, addedKeys: backbone.added,
                            transformNotes: backbone.transformNotes, regenerated: backbone.regenerated)
        }
    }

    static func analyzeTrain(_ c: Checkpoint, sorted: [String], wrapper w: String, branch: TrainBranch?,
                             notes: [String]) throws -> Analysis {
        var notes = notes
        func has(_ prefix: String) -> Bool { sorted.contains { $0.hasPrefix(prefix) } }
        let present = TrainBranch.allCases.filter { has(w + $0.rawValue + ".backbone.") || has(w + $0.rawValue + ".dino_head.") }
        let chosen: TrainBranch
        if let branch {
            guard present.contains(branch) else {
                throw LayoutError(path: c.path, problem: .notPresent(
                    "no \(branch.rawValue) in this training checkpoint (found: \(present.map(\.rawValue).joined(separator: ", ")))"))
            }
            chosen = branch
        } else {
            chosen = present.contains(.teacher) ? .teacher : .student
            if chosen == .student { notes.append("no teacher in this training checkpoint: describing the student") }
        }
        // DistributedDataParallel around a sub-module adds `module.` after its name.
        func part(_ name: String) -> String? {
            let base = w + chosen.rawValue + "." + name + "."
            guard has(base) else { return nil }
            return has(base + "module.") && !sorted.contains { $0.hasPrefix(base) && !$0.hasPrefix(base + "module.") }
                ? base + "module." : base
        }
        let backbonePrefix = part("backbone")
        let headPrefix = part("dino_head")
        let used = [backbonePrefix, headPrefix].compactMap { $0 }
        let ignored = sorted.filter { n in n.hasPrefix(w) && !used.contains { n.hasPrefix($0) } }
        if !ignored.isEmpty {
            var groups: [String: Int] = [:]
            var order: [String] = []
            for n in ignored {
                let rest = n.dropFirst(w.count).split(separator: ".")
                let group = rest.count >= 2 && (rest[0] == "teacher" || rest[0] == "student") ? "\(rest[0]).\(rest[1])" : String(n.dropFirst(w.count))
                if groups[group] == nil { order.append(group) }
                groups[group, default: 0] += 1
            }
            notes.append("ignored: " + order.map { groups[$0]! > 1 ? "\($0) (\(groups[$0]!) tensors)" : $0 }.joined(separator: ", "))
        }
        var result = Analysis(checkpoint: c, detected: DetectedLayout(kind: .dinov2Train, architecture: nil, head: nil,
                                                       prefix: backbonePrefix ?? headPrefix ?? w + chosen.rawValue + ".",
                                                       notes: notes),
                              backbone: nil, head: nil)
        if let backbonePrefix {
            var n = result.detected.notes
            let b = try readBackbone(c, names: sorted.filter { $0.hasPrefix(backbonePrefix) }, prefix: backbonePrefix,
                                     source: .dinov2, notes: &n)
            result.detected.notes = n
            result.detected.architecture = b.arch
            result.detected.headsRule = b.headsRule
            result.backbone = b.tensors
            result.addedKeys = b.added
            result.transformNotes = b.transformNotes
        }
        if let headPrefix {
            let h = try readHead(c, names: sorted.filter { $0.hasPrefix(headPrefix) }, prefix: headPrefix)
            result.detected.head = h.arch
            result.head = h.tensors
        }
        return result
    }
}
