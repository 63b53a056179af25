import CkptCore
/// The checkpoint layouts ckpt reads and writes.
public enum LayoutKind: String, Sendable, CaseIterable {
    /// Hugging Face `transformers`: `Dinov2Model`, `Dinov2WithRegistersModel`, or the backbone of
    /// `Dinov2ForImageClassification` under `dinov2.`.
    case hf
    /// The original facebookresearch DINOv2 `DinoVisionTransformer` (torch hub) state dict;
    /// chunked `blocks.{c}.{i}.*` is accepted on input.
    case dinov2
    /// timm's DINOv2 `VisionTransformer` (`vit_{small,base,large,giant}_patch14_dinov2` and the
    /// `_reg4_` variants): the original's keys without `mask_token`, registers as `reg_token`, SwiGLU
    /// as `fc1`/`fc2`, and for register models the class position folded into `cls_token`.
    case timm
    /// Meta's DINOv3 ViT (`dinov3.models.vision_transformer.DinoVisionTransformer`, torch hub):
    /// `storage_tokens`, `rope_embed.periods`, fused qkv with its `bias_mask`, SwiGLU as `w1`/`w2`/`w3`.
    case dinov3
    /// transformers' `DINOv3ViTModel` file (`model_type` dinov3_vit): q/k/v/o projections, no key bias,
    /// no RoPE buffer. `convert layout --to hf` writes it for a DINOv3 source.
    case hfDINOv3 = "hf-dinov3"
    /// timm's DINOv3 Eva (`vit_*_patch16_dinov3[_qkvb]`): `reg_token`, `gamma_1/2`, `q_bias`/`v_bias`,
    /// SwiGLU as `fc1_g`/`fc1_x`/`fc2`. `convert layout --to timm` writes it for a DINOv3 source.
    case timmDINOv3 = "timm-dinov3"
    /// A `DINOHead` state dict (`mlp.*` plus the weight-normed `last_layer`).
    case dinoHead = "dino-head"
    /// A DINOv2 training checkpoint: `teacher.`/`student.` then `backbone.`/`dino_head.`/`ibot_head.`.
    case dinov2Train = "dinov2-train"
}

/// Which network of a training checkpoint to take. Releases are cut from the teacher.
public enum TrainBranch: String, Sendable, CaseIterable {
    /// The EMA teacher (`teacher.backbone.`, `teacher.dino_head.`), which releases are cut from.
    case teacher
    /// The student (`student.backbone.`, …).
    case student
}

/// The two spellings of the weight-normed `last_layer` of a DINOHead.
public enum WeightNormSpelling: String, Sendable, CaseIterable {
    /// `torch.nn.utils.weight_norm`: `last_layer.weight_g` [out,1], `last_layer.weight_v` [out,bottleneck].
    case legacy
    /// `torch.nn.utils.parametrizations.weight_norm`: `last_layer.parametrizations.weight.original0` (g)
    /// and `...original1` (v).
    case parametrized

    /// Key of the magnitude g.
    public var gKey: String {
        self == .legacy ? "last_layer.weight_g" : "last_layer.parametrizations.weight.original0"
    }

    /// Key of the direction v.
    public var vKey: String {
        self == .legacy ? "last_layer.weight_v" : "last_layer.parametrizations.weight.original1"
    }
}

/// The shape of a `DINOHead`: `nlayers` Linear layers (GELU between them, no batch norm), then the
/// weight-normed projection without bias.
public struct HeadArchitecture: Equatable, Hashable, Sendable {
    /// Input width (the backbone width).
    public var inDim: Int
    /// Width of the hidden layers.
    public var hiddenDim: Int
    /// Width before the weight-normed projection.
    public var bottleneckDim: Int
    /// Output width (the prototypes).
    public var outDim: Int
    /// Linear layers in the MLP (`mlp.0`, `mlp.2`, … `mlp.{2(n-1)}`); DINOv2 uses 3.
    public var layers: Int
    /// The spelling the input used (outputs choose their own).
    public var weightNorm: WeightNormSpelling

    /// A head shape; the defaults are DINOv2's (2048, 256, 65536, 3 layers, legacy spelling).
    public init(inDim: Int, hiddenDim: Int = 2048, bottleneckDim: Int = 256, outDim: Int = 65536,
                layers: Int = 3, weightNorm: WeightNormSpelling = .legacy) {
        self.inDim = inDim
        self.hiddenDim = hiddenDim
        self.bottleneckDim = bottleneckDim
        self.outDim = outDim
        self.layers = layers
        self.weightNorm = weightNorm
    }

    /// e.g. `DINOHead 768→2048→256→65536, 3 layers, legacy weight norm`.
    public var summary: String {
        "DINOHead \(inDim)→\(hiddenDim)→\(bottleneckDim)→\(outDim), \(layers) layer\(layers == 1 ? "" : "s"), \(weightNorm.rawValue) weight norm"
    }
}

/// What `Layouts.detect` found: the layout, the backbone and head architectures it recovered from the
/// tensors, where they sit in the key space, and notes about keys it set aside.
public struct DetectedLayout: Sendable {
    /// The layout the keys are spelled in.
    public var kind: LayoutKind
    /// The backbone, when the checkpoint holds one (nil for a lone DINOHead).
    public var architecture: Architecture?
    /// The DINOHead, when the checkpoint holds one (a head file, or a training checkpoint's dino_head).
    public var head: HeadArchitecture?
    /// Key prefix of the backbone (or of the head, for a head file): `""`, `"dinov2."` for a classifier,
    /// `"teacher.backbone."` (with any `model.`/`module.` wrappers) for a training checkpoint.
    public var prefix: String
    /// Facts worth telling the user: ignored keys (classifier, loss buffers, student, optimizer),
    /// chunked blocks, a missing mask token, assumptions (heads not stored in the tensors).
    public var notes: [String]
    /// The rule that chose the head count (`Architecture.assumedHeads`) when no `config.json` gave it;
    /// nil when the config did, or for a lone head.
    public var headsRule: String?

    package init(kind: LayoutKind, architecture: Architecture?, head: HeadArchitecture?, prefix: String, notes: [String],
                headsRule: String? = nil) {
        self.kind = kind
        self.architecture = architecture
        self.head = head
        self.prefix = prefix
        self.notes = notes
        self.headsRule = headsRule
    }

    /// One line, e.g. `dinov2 ViT-B/14, 518 px (37×37), 0 registers, MLP, 12 blocks`.
    public var summary: String {
        var parts: [String] = []
        if let architecture { parts.append(architecture.summary) }
        if let head { parts.append(head.summary) }
        return kind.rawValue + (parts.isEmpty ? "" : " " + parts.joined(separator: "; "))
    }

    /// The `layout` section of `ckpt inspect --json`.
    public var json: JSONValue {
        var members: [(String, JSONValue)] = [("kind", .string(kind.rawValue)), ("prefix", .string(prefix))]
        if let a = architecture {
            // DINOv3's facts beyond DINOv2's fields (absent for a DINOv2 model, so its JSON is unchanged).
            let dinov3: [(String, JSONValue)] = a.family == .dinov3 ? [
                ("family", .string(a.family.rawValue)), ("rope_theta", .double(a.ropeTheta)), ("qkv_bias", .bool(a.qkvBias)),
                ("masked_key_bias", .bool(a.maskedKeyBias)), ("local_cls_norm", .bool(a.localClsNorm)),
            ] : []
            members.append(("architecture", .object([
                ("name", .string(a.name)),
                ("width", .int(a.width)),
                ("depth", .int(a.depth)),
                ("heads", .int(a.heads)),
                ("patch_size", .int(a.patchSize)),
                ("image_size", .int(a.imageSize)),
                ("grid", .int(a.gridSize)),
                ("registers", .int(a.registers)),
                ("ffn", .string(a.ffn.rawValue)),
                ("ffn_hidden", .int(a.ffnHidden)),
                ("layer_norm_eps", .double(a.layerNormEps)),
            ] + dinov3)))
        } else {
            members.append(("architecture", .null))
        }
        if let h = head {
            members.append(("head", .object([
                ("in_dim", .int(h.inDim)),
                ("hidden_dim", .int(h.hiddenDim)),
                ("bottleneck_dim", .int(h.bottleneckDim)),
                ("out_dim", .int(h.outDim)),
                ("nlayers", .int(h.layers)),
                ("weight_norm", .string(h.weightNorm.rawValue)),
            ])))
        } else {
            members.append(("head", .null))
        }
        members.append(("notes", .array(notes.map { .string($0) })))
        members.append(("summary", .string(summary)))
        return .object(members)
    }
}
