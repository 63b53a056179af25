import CkptCheckpoint
import CkptCore
/// Detection and conversion of DINOv2 checkpoint layouts.
///
/// Every input layout is first read into the *canonical* form: original DINOv2 key names without
/// prefix or chunking (`BackboneTable`) and spelling-independent head names (`HeadTable`). Outputs are
/// written from the canonical form with each layout's spellings (`BackboneLayouts`). The transforms
/// rename tensors or regroup byte ranges, so such a conversion copies every byte unchanged and
/// HF → original → HF gives back the very same segments.
public enum Layouts {
    /// Identifies the layout and the architecture of `checkpoint` from its tensors (cross-checked with
    /// `config.json` when the checkpoint has one). A training checkpoint is described by its teacher.
    /// - Throws: `LayoutError` when no layout (or more than one) fits, or when the tensors do not
    ///   form a complete model; every problem is listed.
    public static func detect(_ checkpoint: Checkpoint) throws -> DetectedLayout {
        try analyze(checkpoint).detected
    }

    /// The backbone of `checkpoint` in `target` layout (any of `LayoutKind.backbones`), as tensors that
    /// share the source's bytes wherever the layout's transforms allow (renames, qkv fused or split as
    /// byte ranges). Works for every input layout: HF file or folder, classifier, original (chunked or
    /// not), training checkpoint (`branch`). A key the input lacks (an HF file without `mask_token`)
    /// is written as zeros where the target needs it, and left out where the target may lack it too.
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
        /// What the conversion did beyond renaming and regrouping bytes (e.g. a value transform),
        /// for the conversion report.
        public let notes: [String]
        /// The backbone layout written (`--to hf` of a DINOv3 model is `hf-dinov3`); nil for a head.
        public internal(set) var layout: LayoutKind?

        init(detected: DetectedLayout, tensors: [TensorEntry], warnings: [String], notes: [String] = []) {
            self.detected = detected
            self.tensors = tensors
            self.warnings = warnings
            self.notes = notes
        }
    }

    /// `backboneTensors` with the detection result and warnings.
    public static func convertBackbone(_ checkpoint: Checkpoint, to target: LayoutKind,
                                       from branch: TrainBranch = .teacher) throws -> Conversion {
        try convertBackbone(analyze(checkpoint, branch: branch), to: target)
    }

    /// The backbone of an analysed checkpoint in `target` layout (any of `LayoutKind.backbones`): the
    /// checkpoint is not read again.
    public static func convertBackbone(_ a: Analysis, to target: LayoutKind) throws -> Conversion {
        guard let requested = BackboneLayouts.layout(target) else {
            preconditionFailure("a backbone is written in a backbone layout, not \(target.rawValue)")
        }
        let checkpoint = a.checkpoint
        guard let backbone = a.backbone, let arch = a.detected.architecture else {
            throw LayoutError(path: checkpoint.path, problem: .notPresent(
                "no backbone: this is \(a.detected.kind == .dinoHead ? "a DINOHead" : "a \(a.detected.kind.rawValue) checkpoint without one")"))
        }
        // hf and timm name one row per model family; a layout of the other family is refused.
        let layout = try BackboneLayouts.layout(requested.kind, for: arch.family, path: checkpoint.path)
        var tensors: [TensorEntry] = []
        var warnings: [String] = []
        // Value transforms undone on reading and done again on writing the same layout cancel out.
        let sameLayout = layout.kind == a.detected.kind
        var notes = sameLayout ? [] : a.transformNotes
        for key in BackboneTable.keys(for: arch) {
            let spelling = key.spelling(in: layout)
            let written = try spelling.write(key, arch, canonical: backbone, added: a.addedKeys)
            if a.addedKeys.contains(key.name), !written.isEmpty {
                warnings.append("\(checkpoint.path): no \(key.name); writing zeros \(key.shape(arch)) (the \(layout.displayName) model needs one for strict loading; it is unused at inference)")
            }
            if !sameLayout, let note = spelling.writeNote(arch), !notes.contains(note) { notes.append(note) }
            // A derived tensor regenerated on reading is reported where the target stores it.
            if !written.isEmpty, let note = a.regenerated[key.rule.name], !notes.contains(note) { notes.append(note) }
            tensors += written
        }
        var conversion = Conversion(detected: a.detected, tensors: tensors, warnings: warnings, notes: notes)
        conversion.layout = layout.kind
        return conversion
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
            throw LayoutError(path: a.checkpoint.path, problem: .notPresent(
                "no DINOHead in this \(a.detected.kind.rawValue) checkpoint"))
        }
        let spelling = weightNorm ?? h.weightNorm
        let tensors = HeadTable.keys(for: h).map { head[$0.name]!.renamed(HeadTable.spelled($0.name, spelling)) }
        return Conversion(detected: a.detected, tensors: tensors, warnings: [])
    }

    /// Every tensor of a complete backbone of `architecture` in `layout` (a backbone layout, or
    /// `.dinov2Train`, whose keys are the teacher's original ones), in state_dict order. Keys a layout
    /// may lack are included (HF's `mask_token`: Dinov2Model's default `use_mask_token`).
    /// `.dinoHead` has no backbone: the list is empty.
    public static func expectedTensors(for architecture: Architecture, layout: LayoutKind) -> [(name: String, shape: [Int])] {
        let keys = BackboneTable.keys(for: architecture)
        if layout == .dinov2Train {
            return keys.map { ("teacher.backbone." + $0.name, $0.shape(architecture)) }
        }
        guard let spelled = BackboneLayouts.layout(layout) else { return [] }
        return keys.flatMap { key -> [(name: String, shape: [Int])] in
            let spelling = key.spelling(in: spelled)
            return Array(zip(spelling.names, spelling.shapes(of: key, architecture)))
        }
    }

    /// Every tensor of a DINOHead of `head`'s shape with the last layer spelled `weightNorm`.
    public static func expectedHeadTensors(for head: HeadArchitecture,
                                           weightNorm: WeightNormSpelling) -> [(name: String, shape: [Int])] {
        HeadTable.keys(for: head).map { (HeadTable.spelled($0.name, weightNorm), $0.shape) }
    }
}
