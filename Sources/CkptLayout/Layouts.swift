import CkptCheckpoint
import CkptFormat
/// Detection and conversion of DINOv2 checkpoint layouts.
///
/// Every input layout is first read into the *canonical* form: original DINOv2 key names without
/// prefix or chunking (`BackboneTable`) and spelling-independent head names (`HeadTable`). Outputs are
/// written from the canonical form. Both steps only rename tensors or regroup byte ranges, so a
/// conversion copies every byte unchanged and HF → original → HF gives back the very same segments.
public enum Layouts {
    /// Identifies the layout and the architecture of `checkpoint` from its tensors (cross-checked with
    /// `config.json` when the checkpoint has one). A training checkpoint is described by its teacher.
    /// - Throws: `CkptError.layout` when no layout (or more than one) fits, or when the tensors do not
    ///   form a complete model; every problem is listed.
    public static func detect(_ checkpoint: Checkpoint) throws -> DetectedLayout {
        try analyze(checkpoint).detected
    }

    /// The backbone of `checkpoint` in `target` layout (`.hf` or `.dinov2`), as tensors that share the
    /// source's bytes: renames, and qkv fused (three consecutive ranges) or split (three sub-ranges).
    /// Works for every input layout: HF file or folder, classifier, original (chunked or not), training
    /// checkpoint (`branch`). An HF input without `mask_token` gets zeros `[1, D]` for `.dinov2` (and for
    /// `.hf` with registers, whose model always has one); plain HF → HF keeps it absent.
    public static func backboneTensors(_ checkpoint: Checkpoint, as target: LayoutKind,
                                       from branch: TrainBranch = .teacher) throws -> [TensorEntry] {
        try convertBackbone(checkpoint, to: target, from: branch).tensors
    }

    /// The DINOHead of `checkpoint` (a head file, or a training checkpoint's `dino_head`), with the
    /// last layer spelled `weightNorm` (nil keeps the input's spelling). Bytes are unchanged.
    public static func headTensors(_ checkpoint: Checkpoint, weightNorm: WeightNormSpelling? = nil,
                                   from branch: TrainBranch = .teacher) throws -> [TensorEntry] {
        try convertHead(checkpoint, weightNorm: weightNorm, from: branch).tensors
    }

    /// A converted backbone or head with what detection found and the warnings to show the user.
    public struct Conversion {
        /// What detection found in the input.
        public let detected: DetectedLayout
        /// The converted tensors, named in the target layout.
        public let tensors: [TensorEntry]
        /// Things the user should know (e.g. a zero mask token was added).
        public let warnings: [String]
    }

    /// `backboneTensors` with the detection result and warnings.
    public static func convertBackbone(_ checkpoint: Checkpoint, to target: LayoutKind,
                                       from branch: TrainBranch = .teacher) throws -> Conversion {
        try convertBackbone(analyze(checkpoint, branch: branch), to: target)
    }

    /// The backbone of an analysed checkpoint in `target` layout (`.hf` or `.dinov2`): the checkpoint is
    /// not read again.
    public static func convertBackbone(_ a: Analysis, to target: LayoutKind) throws -> Conversion {
        precondition(target == .hf || target == .dinov2, "a backbone is written in the hf or dinov2 layout, not \(target.rawValue)")
        let checkpoint = a.checkpoint
        guard let backbone = a.backbone, let arch = a.detected.architecture else {
            throw CkptError.layout(path: checkpoint.path, problem: .notPresent(
                "no backbone: this is \(a.detected.kind == .dinoHead ? "a DINOHead" : "a \(a.detected.kind.rawValue) checkpoint without one")"))
        }
        var tensors: [TensorEntry] = []
        var warnings: [String] = []
        // Plain Dinov2Model works without a mask token (use_mask_token=false): HF → HF keeps it absent.
        // The original layout and Dinov2WithRegistersModel need one, so they get the zeros.
        let dropAddedMask = a.maskTokenAdded && target == .hf && arch.registers == 0
        if a.maskTokenAdded && !dropAddedMask {
            warnings.append("\(checkpoint.path): no mask_token; writing zeros [1, \(arch.width)] (the original model needs one for strict loading; it is unused at inference)")
        }
        for key in BackboneTable.keys(for: arch) where !(dropAddedMask && key.dinov2 == "mask_token") {
            let entry = backbone[key.dinov2]!  // present: analyze checked the complete key set
            switch (target, key.rule.transform) {
            case (.dinov2, _): tensors.append(entry)
            case (_, .rename): tensors.append(entry.renamed(key.hf[0]))
            case (_, .qkvRows):
                let names = key.hf
                tensors += names.enumerated().map { entry.rows(part: $0.offset, of: names.count, name: $0.element) }
            }
        }
        return Conversion(detected: a.detected, tensors: tensors, warnings: warnings)
    }

    /// `headTensors` with the detection result.
    public static func convertHead(_ checkpoint: Checkpoint, weightNorm: WeightNormSpelling? = nil,
                                   from branch: TrainBranch = .teacher) throws -> Conversion {
        try convertHead(analyze(checkpoint, branch: branch), weightNorm: weightNorm)
    }

    /// The DINOHead of an analysed checkpoint, with the last layer spelled `weightNorm` (nil keeps the
    /// input's spelling), in `HeadTable` order; the checkpoint is not read again.
    public static func convertHead(_ a: Analysis, weightNorm: WeightNormSpelling? = nil) throws -> Conversion {
        guard let head = a.head, let h = a.detected.head else {
            throw CkptError.layout(path: a.checkpoint.path, problem: .notPresent(
                "no DINOHead in this \(a.detected.kind.rawValue) checkpoint"))
        }
        let spelling = weightNorm ?? h.weightNorm
        let tensors = HeadTable.keys(for: h).map { head[$0.name]!.renamed(HeadTable.spelled($0.name, spelling)) }
        return Conversion(detected: a.detected, tensors: tensors, warnings: [])
    }

    /// Every tensor of a complete backbone of `architecture` in `layout` (`.hf`, `.dinov2`, or
    /// `.dinov2Train`, whose keys are the teacher's), in state_dict order. HF includes `mask_token`
    /// (Dinov2Model's default `use_mask_token`). `.dinoHead` has no backbone: the list is empty.
    public static func expectedTensors(for architecture: Architecture, layout: LayoutKind) -> [(name: String, shape: [Int])] {
        let keys = BackboneTable.keys(for: architecture)
        switch layout {
        case .dinov2: return keys.map { ($0.dinov2, $0.shape(architecture)) }
        case .dinov2Train: return keys.map { ("teacher.backbone." + $0.dinov2, $0.shape(architecture)) }
        case .hf: return keys.flatMap { key in key.hf.map { ($0, key.hfShape(architecture)) } }
        case .dinoHead: return []
        }
    }

    /// Every tensor of a DINOHead of `head`'s shape with the last layer spelled `weightNorm`.
    public static func expectedHeadTensors(for head: HeadArchitecture,
                                           weightNorm: WeightNormSpelling) -> [(name: String, shape: [Int])] {
        HeadTable.keys(for: head).map { (HeadTable.spelled($0.name, weightNorm), $0.shape) }
    }
}
