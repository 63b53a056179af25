import CkptKit
import FuzzSupport
#if canImport(Glibc)
import Glibc
#endif

// libFuzzer target over Hugging Face folders. The input is decoded into a folder written to a
// per-process scratch directory: up to three shards (each a `RandomCheckpoint` with DINOv2/HF key
// names), a `model.safetensors.index.json` whose weight_map assigns the tensors to shards — mostly
// right, sometimes to the wrong shard, to a missing one, or to names that escape the folder (`../`,
// absolute paths, a symlink pointing outside) — and a `config.json`. Either JSON file may instead be
// raw bytes of the input. Invariants: every error is a CkptError; an index naming a shard outside the
// folder is refused; an accepted folder reads only files inside it and its tensors read in full.

let root = ScratchFile.path("hf")
let dir = root + "/model"
let outside = root + "/outside.safetensors"
mkdir(root, 0o700)
mkdir(dir, 0o700)
do {
    try SafetensorsWriter.write([], to: outside)
} catch { fatalError("cannot write \(outside): \(error)") }
let realDir = FileSystem.realPath(dir)!

/// Shard names an index may use: plain names, and names that must never be read.
let shardNames = ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors", "model.safetensors",
                  "link.safetensors", "../outside.safetensors", "/dev/zero", "sub/model.safetensors", "", ".", "x\u{0}y"]
let escaping: Set<String> = ["link.safetensors", "../outside.safetensors", "/dev/zero", "sub/model.safetensors"]

func clear() {
    for name in ["config.json", "model.safetensors.index.json", "link.safetensors"] + shardNames.prefix(3) {
        unlink(dir + "/" + name)
    }
}

func write(_ bytes: [UInt8], _ name: String) {
    bytes.withUnsafeBytes { ScratchFile.write($0, to: dir + "/" + name) }
}

func config(_ s: inout ByteStream) -> [UInt8] {
    if s.below(4) == 0 { return s.take(s.below(64)) }
    let keys = ["hidden_size", "num_attention_heads", "num_hidden_layers", "patch_size", "image_size",
                "layer_norm_eps", "model_type", "num_register_tokens", "use_swiglu_ffn", "architectures"]
    var members: [(String, JSONValue)] = []
    for _ in 0..<s.below(6) {
        let key = keys[s.below(keys.count)]
        guard !members.contains(where: { $0.0 == key }) else { continue }
        let value: JSONValue = [.number(String(s.below(1025))), .string("dinov2"), .bool(s.below(2) == 0), .null,
                                .number("1e-06"), .number("-3"), .array([.string("Dinov2Model")])][s.below(7)]
        members.append((key, value))
    }
    return Array(JSONWriter.compact(.object(members)).utf8)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHFFolder(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    var s = ByteStream(UnsafeRawBufferPointer(start: data, count: size))
    clear()
    var mustRefuse = false
    if s.below(3) != 0 { write(config(&s), "config.json") }
    if s.below(4) == 0 { symlink(outside, dir + "/link.safetensors") }
    let sharded = s.below(4) != 0
    var weightMap: [(String, JSONValue)] = []
    for shard in 0..<(sharded ? 1 + s.below(3) : 1) {
        let model = RandomCheckpoint(&s, vocabularyNames: true)
        let name = sharded ? shardNames[shard] : "model.safetensors"
        do { try SafetensorsWriter.write(model.outputs, to: dir + "/" + name, metadata: model.metadata) } catch {
            fatalError("writing a valid shard failed: \(error)")
        }
        for t in model.tensors where !weightMap.contains(where: { $0.0 == t.name }) {
            // Mostly the right shard; sometimes any name from the list, including escaping ones.
            let target = s.below(8) == 0 ? shardNames[s.below(shardNames.count)] : name
            weightMap.append((t.name, .string(target)))
        }
    }
    if sharded {
        if s.below(6) == 0 { weightMap.append(("phantom.weight", .string(shardNames[s.below(shardNames.count)]))) }
        if weightMap.contains(where: { escaping.contains($0.1.stringValue ?? "") }) { mustRefuse = true }
        if s.below(5) == 0 {
            write(s.take(s.below(128)), "model.safetensors.index.json")
            mustRefuse = false  // Raw bytes: whatever they name is checked by the readers, not predicted here.
        } else {
            let index = JSONValue.object([("metadata", .object([("total_size", .number(String(s.below(1 << 16))))])),
                                          ("weight_map", .object(weightMap))])
            write(Array(JSONWriter.compact(index).utf8), "model.safetensors.index.json")
        }
    }
    let checkpoint: Checkpoint
    do {
        checkpoint = try Checkpoint.open(dir)
    } catch is CkptError {
        return 0
    } catch {
        fatalError("opening a folder threw a non-CkptError: \(error)")
    }
    precondition(!mustRefuse, "an index naming a shard outside the folder was accepted")
    for file in checkpoint.files {
        guard let real = FileSystem.realPath(file.path) else { fatalError("accepted file \(file.path) has no real path") }
        precondition(real.hasPrefix(realDir + "/"), "accepted folder read \(real), outside \(realDir)")
    }
    CheckpointInvariants.check(checkpoint, context: "hf folder")
    _ = try? Layouts.detect(checkpoint)
    return 0
}

exit(runFuzzer(fuzzHFFolder))
