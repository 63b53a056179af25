"""Benchmark inputs: RAD-DINO-shaped synthetic checkpoints and pixel batches.

Weights follow golden/SYNTH.md through golden/gen/synth.py; the HF layout comes from
golden/gen/models.py (`original_to_hf`, `hf_config_kwargs`), so nothing here re-states a key mapping.

    make_inputs.py synth ARCH OUT.safetensors       original DINOv2 layout (stand-in for `ckpt synth`)
    make_inputs.py hf ARCH OUT_DIR [--stream]       HF layout: config.json + model.safetensors
                                                    (default: transformers save_pretrained;
                                                     --stream: same bytes, one tensor at a time, for ViT-g)
    make_inputs.py pixels B OUT.safetensors [SIZE]  pixel_values [B,3,SIZE,SIZE] F32, SIZE 518 by default
                                                    (golden images_u8, normalised)
    make_inputs.py xray W H SEED OUT.png|OUT.jpg    an X-ray-sized 8-bit grayscale image (smooth anatomy-like
                                                    structure plus film grain), written by Pillow: PNG as
                                                    RAD-DINO's release stores scans, JPEG at quality 95
    make_inputs.py raddino-config OUT_DIR           RAD-DINO's preprocessor_config.json (golden/images/configs)
    make_inputs.py dinov3-hf OUT_DIR                a DINOv3 ViT-B/16 (768 wide, 12 blocks, 12 heads, 4 registers,
                                                    MLP, released arguments) as transformers' DINOv3ViTModel
                                                    save_pretrained writes it, weights drawn from torch seed 0

Run with the peers' Python (torch, transformers, safetensors, numpy) and GOLDEN_DIR=<repo>/golden.
"""
from __future__ import annotations

import json
import os
import struct
import sys
from collections import OrderedDict
from pathlib import Path

GOLDEN_DIR = Path(os.environ.get("GOLDEN_DIR") or Path(__file__).resolve().parents[2] / "golden")
sys.path.insert(0, str(GOLDEN_DIR))

import numpy as np  # noqa: E402

from gen import synth  # noqa: E402


def cfg_for(arch: str) -> dict:
    p = synth.PRESETS[arch]
    return dict(width=p["width"], depth=p["depth"], heads=p["heads"], registers=0, ffn=p["ffn"], image_size=518)


def shapes_original(cfg) -> OrderedDict:
    return synth.backbone_shapes(cfg["width"], cfg["depth"], cfg["heads"], cfg["registers"], cfg["ffn"],
                                 cfg["image_size"])


def stream_write(path: Path, shapes: "OrderedDict[str, tuple]", produce) -> None:
    """Write an all-F32 safetensors file tensor by tensor, byte-identical to `save_file(..., metadata={"format": "pt"})`:
    names sorted bytewise (all F32, so alignment ties), compact JSON, header padded with spaces to 8 bytes."""
    names = sorted(shapes, key=lambda k: k.encode("utf-8"))
    header, offset = OrderedDict(__metadata__={"format": "pt"}), 0
    for k in names:
        n = 4 * int(np.prod(shapes[k], dtype=np.int64))
        header[k] = OrderedDict(dtype="F32", shape=list(shapes[k]), data_offsets=[offset, offset + n])
        offset += n
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text)
        for k in names:
            a = np.ascontiguousarray(produce(k), dtype="<f4")
            assert a.shape == tuple(shapes[k]), (k, a.shape, shapes[k])
            f.write(a.tobytes())
    os.replace(tmp, path)


def cmd_synth(arch: str, out: str) -> None:
    cfg = cfg_for(arch)
    shapes = shapes_original(cfg)
    stream_write(Path(out), shapes, lambda k: synth.tensor(k, shapes[k], 0))


def cmd_hf(arch: str, out_dir: str, stream: bool) -> None:
    from gen import models  # torch + transformers (+ dinov2's layers, imported by the golden module)

    cfg = cfg_for(arch)
    d = Path(out_dir)
    d.mkdir(parents=True, exist_ok=True)
    ccls, mcls = models.hf_classes(cfg)
    config = ccls(**models.hf_config_kwargs(cfg))
    config.architectures = [mcls.__name__]
    shapes = shapes_original(cfg)
    if stream:
        # Map names and shapes once on zero-size stand-ins, then produce one original tensor at a time
        # (qkv is made once and sliced three times: the cache holds the last original tensor).
        D = cfg["width"]
        hf_of = OrderedDict()
        for k, s in shapes.items():
            probe = np.empty(s, dtype=np.float32)
            for hk, hv in models.original_to_hf({k: probe}, cfg["depth"], D, cfg["ffn"]).items():
                rows = slice(None)
                if ".attention.attention." in hk:
                    part = ("query", "key", "value").index(hk.split(".")[-2])
                    rows = slice(part * D, (part + 1) * D)
                hf_of[hk] = (k, rows, hv.shape)
        cache = {}

        def produce(hk):
            k, rows, _ = hf_of[hk]
            if k not in cache:
                cache.clear()
                cache[k] = synth.tensor(k, shapes[k], 0)
            return cache[k][rows]

        stream_write(d / "model.safetensors", OrderedDict((hk, v[2]) for hk, v in hf_of.items()), produce)
        config.save_pretrained(d)
        return
    # transformers' own loading and saving path (legacy names in, legacy names out), as the golden data.
    orig = OrderedDict((k, synth.tensor(k, s, 0)) for k, s in shapes.items())
    model, _ = models.hf_model(cfg, orig)
    model.save_pretrained(d)


def cmd_pixels(batch: int, out: str, size: int = 518) -> None:
    from safetensors.numpy import save_file

    from gen.forward import images_u8, normalise

    px = normalise(images_u8(batch, size, size))
    save_file({"pixel_values": np.ascontiguousarray(px)}, out, metadata={"format": "pt"})


def cmd_xray(w: int, h: int, seed: int, out: str) -> None:
    """Low-frequency structure (what compresses like a radiograph) plus grain (what keeps the codec honest)."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    img = 90 + 60 * np.sin(x / w * 3.1 + seed) * np.cos(y / h * 2.3)
    for _ in range(12):  # soft elliptical "organs" and "ribs"
        cx, cy, rx, ry, amp = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(w / 20, w / 4), \
            rng.uniform(h / 30, h / 5), rng.uniform(-50, 70)
        img += amp * np.exp(-(((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2))
    img += rng.normal(0, 4, size=(h, w))
    a = np.clip(np.rint(img), 0, 255).astype(np.uint8)
    im = Image.fromarray(a, mode="L")
    if out.lower().endswith((".jpg", ".jpeg")):
        im.save(out, quality=95)
    else:
        im.save(out)


def cmd_raddino_config(out_dir: str) -> None:
    import shutil

    d = Path(out_dir)
    d.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(GOLDEN_DIR / "images" / "configs" / "rad-dino.json", d / "preprocessor_config.json")


def cmd_dinov3_hf(out_dir: str) -> None:
    import torch
    from transformers import DINOv3ViTConfig, DINOv3ViTModel

    torch.manual_seed(0)
    config = DINOv3ViTConfig(patch_size=16, hidden_size=768, intermediate_size=3072, num_hidden_layers=12,
                             num_attention_heads=12, layer_norm_eps=1e-5, rope_theta=100.0, query_bias=True,
                             key_bias=False, value_bias=True, num_register_tokens=4, use_gated_mlp=False)
    DINOv3ViTModel(config).eval().save_pretrained(out_dir)


def main(argv):
    if len(argv) >= 3 and argv[0] == "synth":
        cmd_synth(argv[1], argv[2])
    elif len(argv) >= 3 and argv[0] == "hf":
        cmd_hf(argv[1], argv[2], "--stream" in argv[3:])
    elif len(argv) in (3, 4) and argv[0] == "pixels":
        cmd_pixels(int(argv[1]), argv[2], *map(int, argv[3:]))
    elif len(argv) == 5 and argv[0] == "xray":
        cmd_xray(int(argv[1]), int(argv[2]), int(argv[3]), argv[4])
    elif len(argv) == 2 and argv[0] == "raddino-config":
        cmd_raddino_config(argv[1])
    elif len(argv) == 2 and argv[0] == "dinov3-hf":
        cmd_dinov3_hf(argv[1])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])

