import CkptCheckpoint
import CkptCore
/// The Hugging Face `config.json` of a DINOv2 backbone: cross-checking one against the tensors, and
/// writing one that `AutoModel.from_pretrained` loads with no missing or unexpected keys.
public enum HFConfig {
    /// `config.json` for `architecture`: `Dinov2Model` (`model_type` "dinov2") or, with registers,
    /// `Dinov2WithRegistersModel` ("dinov2_with_registers"). Field order follows `save_pretrained`.
    /// - Parameters:
    ///   - dtype: the weights' dtype, recorded as `dtype` ("float32", "float16", "bfloat16").
    ///   - useMaskToken: false for weights without `embeddings.mask_token` (plain Dinov2Model only).
    public static func json(for a: Architecture, dtype: DType = .f32, useMaskToken: Bool = true) -> JSONValue {
        if a.family == .dinov3 { return dinov3JSON(for: a, dtype: dtype) }
        let registers = a.registers > 0
        var m: [(String, JSONValue)] = [
            ("apply_layernorm", .bool(true)),
            ("architectures", .array([.string(registers ? "Dinov2WithRegistersModel" : "Dinov2Model")])),
            ("attention_probs_dropout_prob", .number("0.0")),
            ("drop_path_rate", .number("0.0")),
            ("dtype", .string(torchName(dtype))),
            ("hidden_act", .string("gelu")),
            ("hidden_dropout_prob", .number("0.0")),
            ("hidden_size", .int(a.width)),
            ("image_size", .int(a.imageSize)),
            ("initializer_range", .number("0.02")),
            ("layer_norm_eps", .number(epsText(a.layerNormEps))),
            ("layerscale_value", .number("1.0")),
            ("mlp_ratio", mlpRatio(a)),
            ("model_type", .string(registers ? "dinov2_with_registers" : "dinov2")),
            ("num_attention_heads", .int(a.heads)),
            ("num_channels", .int(3)),
            ("num_hidden_layers", .int(a.depth)),
        ]
        if registers { m.append(("num_register_tokens", .int(a.registers))) }
        m += [
            ("patch_size", .int(a.patchSize)),
            ("qkv_bias", .bool(true)),
            ("reshape_hidden_states", .bool(true)),
        ]
        if !registers { m.append(("use_mask_token", .bool(useMaskToken))) }
        m.append(("use_swiglu_ffn", .bool(a.ffn == .swiglu)))
        return .object(m)
    }

    /// `config.json` for `a`, written under a temporary name next to `path` (see `StagedOutputs`).
    static func stage(_ a: Architecture, dtype: DType = .f32, useMaskToken: Bool = true, to path: String,
                      overwrite: Bool, protecting inputs: [FileIdentity]) throws -> AtomicOutput {
        let output = try AtomicOutput(destination: path, overwrite: overwrite, protecting: inputs)
        do { try output.write(Array((JSONWriter.pretty(json(for: a, dtype: dtype, useMaskToken: useMaskToken)) + "\n").utf8)) } catch {
            output.abandon()
            throw error
        }
        return output
    }

    static func torchName(_ dtype: DType) -> String {
        switch dtype {
        case .f16: return "float16"
        case .bf16: return "bfloat16"
        case .f64: return "float64"
        default: return "float32"
        }
    }

    /// 1e-06 as Python prints it, so the file reads like transformers' own.
    static func epsText(_ eps: Double) -> String { eps == 1e-6 ? "1e-06" : "\(eps)" }

    /// mlp_ratio that makes transformers build this FFN: 4 for the standard widths, else hidden/D.
    static func mlpRatio(_ a: Architecture) -> JSONValue {
        if a.ffnHidden == (a.ffn == .mlp ? 4 * a.width : Architecture.swigluHidden(width: a.width)) { return .int(4) }
        return .double(Double(a.ffnHidden) / Double(a.width))
    }
}

extension Layouts {
    /// Cross-checks `config.json` (HF folders) with the tensors and fills in what only the config knows
    /// (heads, LayerNorm eps). Every conflict is reported at once. Returns the rule that chose the head
    /// count (`Architecture.heads`) when the config does not give it.
    static func crossCheckConfig(_ c: Checkpoint, arch: inout Architecture, hasMask: Bool) throws -> String? {
        let recordedHeads = c.config?["num_attention_heads"]
        let (heads, headsRule) = Architecture.heads(width: arch.width, recorded: recordedHeads?.intValue)
        arch.heads = heads
        guard let config = c.config else { return headsRule }
        var conflicts: [String] = []
        func check(_ field: String, _ expected: Int, what: String) {
            guard let value = config[field] else { return }
            if value.intValue != expected {
                conflicts.append("\(field) is \(JSONWriter.compact(value)) but \(what) is \(expected)")
            }
        }
        let modelType = config["model_type"]?.stringValue
        if let modelType, modelType != "dinov2", modelType != "dinov2_with_registers" {
            conflicts.append("model_type is \"\(modelType)\", not dinov2 or dinov2_with_registers")
        }
        check("hidden_size", arch.width, what: "the patch embedding width")
        check("num_hidden_layers", arch.depth, what: "the number of blocks")
        check("patch_size", arch.patchSize, what: "the patch embedding kernel")
        if let image = config["image_size"] {
            if let size = image.intValue, arch.patchSize > 0, size / arch.patchSize == arch.gridSize {
                arch.imageSize = size
            } else {
                conflicts.append("image_size is \(JSONWriter.compact(image)) but the position grid is \(arch.gridSize)×\(arch.gridSize) (\(arch.imageSize) px)")
            }
        }
        if modelType == "dinov2_with_registers" || config["num_register_tokens"] != nil {
            check("num_register_tokens", arch.registers, what: "register_tokens' count")
        } else if modelType == "dinov2", arch.registers > 0 {
            conflicts.append("model_type is \"dinov2\" (no registers) but the tensors hold \(arch.registers) register tokens")
        }
        if let swiglu = config["use_swiglu_ffn"] {
            if swiglu.boolValue != (arch.ffn == .swiglu) {
                conflicts.append("use_swiglu_ffn is \(JSONWriter.compact(swiglu)) but the blocks hold \(arch.ffn == .swiglu ? "SwiGLU" : "MLP") weights")
            }
        }
        if let ratio = config["mlp_ratio"]?.doubleValue {
            let hidden = Int(Double(arch.width) * ratio)
            let expected = arch.ffn == .mlp ? hidden : (hidden * 2 / 3 + 7) / 8 * 8
            if expected != arch.ffnHidden {
                conflicts.append("mlp_ratio \(ratio) gives an FFN hidden width of \(expected) but the tensors have \(arch.ffnHidden)")
            }
        }
        if let useMask = config["use_mask_token"]?.boolValue, useMask != hasMask {
            conflicts.append("use_mask_token is \(useMask) but embeddings.mask_token is \(hasMask ? "present" : "absent")")
        }
        if let recordedHeads, headsRule != nil {
            conflicts.append("num_attention_heads is \(JSONWriter.compact(recordedHeads)), which does not divide the width \(arch.width)")
        }
        if let eps = config["layer_norm_eps"]?.doubleValue { arch.layerNormEps = eps }
        if !conflicts.isEmpty { throw LayoutError(path: c.path, problem: .configConflict(conflicts)) }
        return headsRule
    }
}
