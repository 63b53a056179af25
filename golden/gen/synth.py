"""Counter-based synthetic weights, exactly as specified in golden/SYNTH.md.

Pure numpy (no torch).  Integer arithmetic is done in numpy uint64 and wraps
modulo 2**64 on purpose; overflow warnings are suppressed.

    python golden/gen/synth.py          # self-check: prints the first 4 values
                                        # of blocks.0.attn.qkv.weight, seed 0, ViT-B
"""
from __future__ import annotations

import math
from collections import OrderedDict

import numpy as np

M64 = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15
FNV_OFFSET = 0xCBF29CE484222325
FNV_PRIME = 0x100000001B3
CHUNK = 1 << 21  # elements per vectorised chunk

PRESETS = {
    "vits14": dict(width=384, depth=12, heads=6, ffn="mlp"),
    "vitb14": dict(width=768, depth=12, heads=12, ffn="mlp"),
    "vitl14": dict(width=1024, depth=24, heads=16, ffn="mlp"),
    "vitg14": dict(width=1536, depth=40, heads=24, ffn="swiglu"),
}


def fnv1a64(name: str) -> int:
    h = FNV_OFFSET
    for b in name.encode("utf-8"):
        h ^= b
        h = (h * FNV_PRIME) & M64
    return h


def _mix(z: np.ndarray) -> np.ndarray:
    z = z ^ (z >> np.uint64(30))
    z = z * np.uint64(0xBF58476D1CE4E5B9)
    z = z ^ (z >> np.uint64(27))
    z = z * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
    return z


def uniform_s(name: str, seed: int, count: int) -> np.ndarray:
    """s_i = 2u - 1 in [-1, 1) for i in [0, count), float64."""
    base = ((seed * GOLDEN) & M64) ^ fnv1a64(name)
    out = np.empty(count, dtype=np.float64)
    golden = np.uint64(GOLDEN)
    base_u = np.uint64(base)
    with np.errstate(over="ignore"):
        for start in range(0, count, CHUNK):
            stop = min(count, start + CHUNK)
            i1 = np.arange(start + 1, stop + 1, dtype=np.uint64)  # i + 1
            z = _mix(base_u + i1 * golden)
            u = (z >> np.uint64(40)).astype(np.float64) * (1.0 / 16777216.0)
            out[start:stop] = 2.0 * u - 1.0
    return out


def _kind(name: str, rank: int) -> str:
    leaf = name
    if leaf == "mask_token":
        return "zero"
    if leaf in ("cls_token", "register_tokens", "pos_embed"):
        return "half"
    if leaf == "norm.weight" or (leaf.startswith("blocks.") and (leaf.endswith(".norm1.weight") or leaf.endswith(".norm2.weight"))):
        return "ln"
    if leaf.startswith("blocks.") and (leaf.endswith(".ls1.gamma") or leaf.endswith(".ls2.gamma")):
        return "ls"
    if leaf == "last_layer.weight_g":
        return "g"
    if rank >= 2:
        return "fan"
    return "small"


def tensor(name: str, shape, seed: int) -> np.ndarray:
    """The F32 tensor SYNTH.md defines for `name` (original DINOv2/DINOHead key)."""
    shape = tuple(int(d) for d in shape)
    count = int(np.prod(shape, dtype=np.int64)) if shape else 1
    kind = _kind(name, len(shape))
    if kind == "zero":
        return np.zeros(shape, dtype=np.float32)
    s = uniform_s(name, seed, count)
    if kind == "half":
        v = 0.5 * s
    elif kind in ("ln", "g"):
        v = 1.0 + 0.1 * s
    elif kind == "ls":
        v = 0.1 + 0.05 * s
    elif kind == "fan":
        fan_in = int(np.prod(shape[1:], dtype=np.int64))
        v = s * np.sqrt(3.0 / fan_in)
    else:
        v = 0.02 * s
    return v.astype(np.float32).reshape(shape)


def swiglu_hidden(width: int) -> int:
    return (int(int(4 * width) * 2 / 3) + 7) // 8 * 8


def backbone_shapes(width, depth, heads, registers=0, ffn="mlp", image_size=518, patch=14):
    """OrderedDict name -> shape, in the SYNTH.md order (original layout)."""
    del heads  # not part of any shape
    if image_size % patch:
        raise ValueError("image size must be a multiple of the patch size")
    g = image_size // patch
    D = width
    sh = OrderedDict()
    sh["cls_token"] = (1, 1, D)
    sh["pos_embed"] = (1, 1 + g * g, D)
    if registers > 0:
        sh["register_tokens"] = (1, registers, D)
    sh["mask_token"] = (1, D)
    sh["patch_embed.proj.weight"] = (D, 3, patch, patch)
    sh["patch_embed.proj.bias"] = (D,)
    sh["norm.weight"] = (D,)
    sh["norm.bias"] = (D,)
    for i in range(depth):
        p = f"blocks.{i}."
        sh[p + "norm1.weight"] = (D,)
        sh[p + "norm1.bias"] = (D,)
        sh[p + "attn.qkv.weight"] = (3 * D, D)
        sh[p + "attn.qkv.bias"] = (3 * D,)
        sh[p + "attn.proj.weight"] = (D, D)
        sh[p + "attn.proj.bias"] = (D,)
        sh[p + "ls1.gamma"] = (D,)
        sh[p + "norm2.weight"] = (D,)
        sh[p + "norm2.bias"] = (D,)
        if ffn == "mlp":
            sh[p + "mlp.fc1.weight"] = (4 * D, D)
            sh[p + "mlp.fc1.bias"] = (4 * D,)
            sh[p + "mlp.fc2.weight"] = (D, 4 * D)
            sh[p + "mlp.fc2.bias"] = (D,)
        elif ffn == "swiglu":
            H = swiglu_hidden(D)
            sh[p + "mlp.w12.weight"] = (2 * H, D)
            sh[p + "mlp.w12.bias"] = (2 * H,)
            sh[p + "mlp.w3.weight"] = (D, H)
            sh[p + "mlp.w3.bias"] = (D,)
        else:
            raise ValueError(f"unknown ffn {ffn!r}")
        sh[p + "ls2.gamma"] = (D,)
    return sh


def head_shapes(in_dim, hidden, bottleneck, out):
    sh = OrderedDict()
    sh["mlp.0.weight"] = (hidden, in_dim)
    sh["mlp.0.bias"] = (hidden,)
    sh["mlp.2.weight"] = (hidden, hidden)
    sh["mlp.2.bias"] = (hidden,)
    sh["mlp.4.weight"] = (bottleneck, hidden)
    sh["mlp.4.bias"] = (bottleneck,)
    sh["last_layer.weight_g"] = (out, 1)
    sh["last_layer.weight_v"] = (out, bottleneck)
    return sh


def backbone(width, depth, heads, registers=0, ffn="mlp", image_size=518, patch=14, seed=0):
    """OrderedDict name -> float32 ndarray (original DINOv2 layout)."""
    return OrderedDict(
        (k, tensor(k, s, seed))
        for k, s in backbone_shapes(width, depth, heads, registers, ffn, image_size, patch).items()
    )


def head(in_dim, hidden=48, bottleneck=16, out=64, seed=0):
    return OrderedDict((k, tensor(k, s, seed)) for k, s in head_shapes(in_dim, hidden, bottleneck, out).items())


def file_bytes(tensors) -> bytes:
    """Bytes of the synth file: safetensors.numpy.save(..., metadata={"format": "pt"})."""
    from safetensors.numpy import save

    return save(dict(tensors), metadata={"format": "pt"})


def self_check() -> list:
    w = tensor("blocks.0.attn.qkv.weight", (2304, 768), 0)
    first = [float(x) for x in w.reshape(-1)[:4]]
    return first


if __name__ == "__main__":
    vals = self_check()
    w = tensor("blocks.0.attn.qkv.weight", (2304, 768), 0)
    print("synth self-check: seed 0, ViT-B, blocks.0.attn.qkv.weight [2304, 768], first 4 values:")
    for v in vals:
        print(f"  {v!r}  (f32 bits 0x{np.float32(v).view(np.uint32):08x})")
    print("fnv1a64('blocks.0.attn.qkv.weight') = 0x%016x" % fnv1a64("blocks.0.attn.qkv.weight"))
    print("bound sqrt(3/768) =", math.sqrt(3.0 / 768))
