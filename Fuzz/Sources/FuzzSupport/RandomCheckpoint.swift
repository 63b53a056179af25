import CkptKit

/// A checkpoint described by fuzzer input: tensors with names, dtypes, shapes and bytes, plus
/// optional metadata. Every description is valid (unique names, sizes that match shapes), so
/// writing it must succeed and reading it back must give it again exactly.
public struct RandomCheckpoint {
    public struct Tensor {
        public let name: String
        public let dtype: DType
        public let shape: [Int]
        public let bytes: [UInt8]
    }

    public var tensors: [Tensor] = []
    public var metadata: [(String, String)]? = nil

    /// Name fragments of the layouts ckpt knows, so the layout detector sees near-real key sets.
    public static let vocabulary: [String] = [
        "cls_token", "pos_embed", "mask_token", "register_tokens", "patch_embed.proj.weight",
        "patch_embed.proj.bias", "norm.weight", "norm.bias", "blocks.0.norm1.weight", "blocks.0.attn.qkv.weight",
        "blocks.0.attn.qkv.bias", "blocks.0.attn.proj.weight", "blocks.0.ls1.gamma", "blocks.0.mlp.fc1.weight",
        "blocks.0.mlp.w12.weight", "blocks.1.norm2.bias", "blocks.11.mlp.fc2.weight",
        "embeddings.cls_token", "embeddings.mask_token", "embeddings.position_embeddings",
        "embeddings.patch_embeddings.projection.weight", "encoder.layer.0.attention.attention.query.weight",
        "encoder.layer.0.attention.attention.key.bias", "encoder.layer.0.attention.output.dense.weight",
        "encoder.layer.0.layer_scale1.lambda1", "encoder.layer.0.mlp.fc1.weight", "encoder.layer.0.norm1.weight",
        "layernorm.weight", "layernorm.bias", "dino_head.mlp.0.weight", "dino_head.last_layer.weight_g",
        "dino_head.last_layer.weight_v", "teacher.backbone.cls_token", "student.backbone.pos_embed",
        "module.backbone.blocks.0.attn.qkv.weight", "model.", "__metadata__x", "",
    ]

    /// Whole-byte dtypes plus F4 (sub-byte, needs an even element count).
    static let dtypes: [DType] = DType.allCases.filter { $0.byteWidth != nil } + [.f4]

    /// Decodes a description from fuzzer bytes. `vocabularyNames` draws names mostly from `vocabulary`.
    public init(_ stream: inout ByteStream, vocabularyNames: Bool) {
        let count = stream.below(12)
        var seen = Set<String>()
        for _ in 0..<count {
            var name: String
            if vocabularyNames || stream.below(4) == 0 {
                name = Self.vocabulary[stream.below(Self.vocabulary.count)]
                if stream.below(3) == 0 { name += String(stream.below(40)) }
            } else {
                // Arbitrary bytes as UTF-8 (invalid sequences become U+FFFD): quotes, controls, escapes.
                name = String(decoding: stream.take(stream.below(24)), as: UTF8.self)
            }
            guard name != "__metadata__", seen.insert(name).inserted else { continue }
            var dtype = Self.dtypes[stream.below(Self.dtypes.count)]
            let rank = stream.below(5)
            let shape = (0..<rank).map { _ in stream.below(9) }
            if dtype.byteCount(for: shape) == nil {
                dtype = .u8  // Odd F4 element count: keep the tensor, as whole bytes.
            }
            let size = dtype.byteCount(for: shape)!
            var bytes = stream.take(size)
            bytes.append(contentsOf: [UInt8](repeating: 0, count: size - bytes.count))
            tensors.append(Tensor(name: name, dtype: dtype, shape: shape, bytes: bytes))
        }
        switch stream.below(3) {
        case 0: metadata = nil
        default:
            var pairs: [(String, String)] = []
            var keys = Set<String>()
            for _ in 0..<stream.below(4) {
                let key = String(decoding: stream.take(stream.below(10)), as: UTF8.self)
                let value = String(decoding: stream.take(stream.below(16)), as: UTF8.self)
                if keys.insert(key).inserted { pairs.append((key, value)) }
            }
            metadata = pairs
        }
    }

    /// The tensors as writer input, each from memory.
    public var outputs: [OutputTensor] {
        tensors.map {
            OutputTensor(TensorEntry(name: $0.name, dtype: $0.dtype, shape: $0.shape, segments: [.memory($0.bytes)],
                                     sourcePath: "<fuzz>"))
        }
    }
}
