"""Section A: safetensors format fixtures -> golden/safetensors/."""
from __future__ import annotations

import json
import shutil
from collections import OrderedDict
from pathlib import Path

import torch

from . import synth
from .common import (GOLDEN, log, sha256_bytes, sha256_file, st_file_record, st_header, write_bytes,
                     write_json, zstd_compress, zstd_decompress)

OUT = GOLDEN / "safetensors"


def _bits(dtype, pattern, as_dtype):
    return torch.tensor(pattern, dtype=dtype).view(as_dtype)


def mixed_tensors():
    """One tensor per dtype the 0.8.0 torch writer handles in the core set, plus shape/name edge cases.
    Dict insertion order is deliberately NOT the file order."""
    f32 = torch.float32
    t = OrderedDict()
    # F32 edge values: +0, -0, min subnormal, -min subnormal, largest subnormal, +inf, -inf, NaN, max, -max, 1, -2.5
    t["a"] = _bits(torch.int32, [0x00000000, -0x80000000, 0x00000001, -0x7FFFFFFF, 0x007FFFFF, 0x7F800000,
                                  -0x00800000, 0x7FC00000, 0x7F7FFFFF, -0x00800001, 0x3F800000, -0x3FE00000],
                   f32).reshape(3, 4)
    t["B"] = torch.tensor([[1.5, -2.25], [3.0, 0.125]], dtype=f32)
    t["a.10"] = torch.arange(5, dtype=f32) - 2
    t["a.2"] = torch.tensor([0.1, 0.2, 0.3], dtype=f32)
    t["gewicht.ä"] = torch.tensor([[[7.0]]], dtype=f32)
    t["scalar"] = torch.tensor(3.5, dtype=f32)  # rank 0
    t["empty"] = torch.zeros(0, dtype=f32)  # shape [0]
    t["zero_size"] = torch.zeros(3, 0, 2, dtype=torch.float16)  # shape [3,0,2]
    # F16: +0, -0, min subnormal 2^-24, max subnormal, min normal 2^-14, 65504, -65504, +inf, -inf, NaN, -NaN, 1.0
    t["f16"] = _bits(torch.int16, [0x0000, -0x8000, 0x0001, 0x03FF, 0x0400, 0x7BFF, -0x0401, 0x7C00, -0x0400,
                                    0x7E00, -0x0200, 0x3C00], torch.float16).reshape(2, 6)
    # BF16: +0, -0, min subnormal, max finite, -max finite, +inf, -inf, NaN, 1.0, -1.0
    t["bf16"] = _bits(torch.int16, [0x0000, -0x8000, 0x0001, 0x7F7F, -0x0081, 0x7F80, -0x0080, 0x7FC0,
                                     0x3F80, -0x4080], torch.bfloat16).reshape(5, 2)
    # F64: +0, -0, min subnormal, max, -inf, +inf, NaN, 0.1
    t["f64"] = torch.tensor([0.0, -0.0, 5e-324, 1.7976931348623157e308, float("-inf"), float("inf"),
                             float("nan"), 0.1], dtype=torch.float64).reshape(2, 2, 2)
    # F8_E4M3 (e4m3fn): +0, -0, min subnormal 2^-9, 1.0, 448 (max), -448, NaN (0x7f), -NaN (0xff)
    t["f8_e4m3"] = _bits(torch.uint8, [0x00, 0x80, 0x01, 0x38, 0x7E, 0xFE, 0x7F, 0xFF], torch.float8_e4m3fn)
    # F8_E5M2: +0, -0, min subnormal 2^-16, 1.0, 57344 (max), +inf, -inf, NaN
    t["f8_e5m2"] = _bits(torch.uint8, [0x00, 0x80, 0x01, 0x3C, 0x7B, 0x7C, 0xFC, 0x7E], torch.float8_e5m2).reshape(2, 4)
    t["0_bool"] = torch.tensor([True, False, True, True, False], dtype=torch.bool)
    t["u8"] = torch.tensor([0, 1, 127, 128, 254, 255, 42, 7], dtype=torch.uint8).reshape(2, 2, 2)
    t["i8"] = torch.tensor([-128, 127, 0, -1], dtype=torch.int8)
    t["i16"] = torch.tensor([-32768, 32767, 1], dtype=torch.int16)
    t["u16"] = torch.tensor([0, 65535, 0x1234], dtype=torch.uint16)
    t["i32"] = torch.tensor([-(2**31), 2**31 - 1, 0, -1], dtype=torch.int32).reshape(2, 2)
    t["u32"] = torch.tensor([0, 2**32 - 1, 0xDEADBEEF], dtype=torch.uint32)
    t["i64"] = torch.tensor([-(2**63), 2**63 - 1, 0], dtype=torch.int64)
    t["u64"] = torch.tensor([0, -1, 0x0123456789ABCDEF], dtype=torch.int64).view(torch.uint64)
    t["Zz.last"] = torch.tensor([[1, 2, 3]], dtype=torch.int64)
    return t


def exotic_tensors():
    """Dtypes beyond layouts.md's core list that the 0.8.0 torch writer also emits."""
    t = OrderedDict()
    t["c64"] = torch.tensor([1 + 2j, -0.5 - 0.25j], dtype=torch.complex64)
    t["f8_e4m3fnuz"] = _bits(torch.uint8, [0x00, 0x80, 0x01, 0x40], torch.float8_e4m3fnuz)  # 0x80 is NaN in fnuz
    t["f8_e5m2fnuz"] = _bits(torch.uint8, [0x00, 0x80, 0x01, 0x40], torch.float8_e5m2fnuz)
    t["f8_e8m0"] = _bits(torch.uint8, [0x00, 0x7F, 0xFE, 0xFF], torch.float8_e8m0fnu)  # 2^-127, 1, 2^127, NaN
    # float4_e2m1fn_x2: 3 bytes = 6 packed F4 values; the header shape counts F4 elements ([6])
    t["f4"] = _bits(torch.uint8, [0x21, 0x7F, 0x08], torch.float4_e2m1fn_x2)
    t["f32"] = torch.tensor([1.0], dtype=torch.float32)
    return t


def describe(tensors):
    out = []
    for k, v in tensors.items():
        b = v.contiguous().reshape(-1).view(torch.uint8).numpy().tobytes() if v.numel() else b""
        out.append({"name": k, "torch_dtype": str(v.dtype), "torch_shape": list(v.shape), "sha256": sha256_bytes(b)})
    return out


def record(path: Path, extra=None):
    b = path.read_bytes()
    rec = st_file_record(b, path.name)
    n, text, hdr = st_header(b)
    rec["header_order"] = [k for k in hdr if k != "__metadata__"]
    rec["header_json"] = text
    rec["header_padding"] = "header JSON is right-padded with spaces (0x20) to a multiple of 8 bytes"
    if extra:
        rec.update(extra)
    return rec


DTYPE_ORDER_NOTE = (
    "safetensors 0.8.0 writer: tensors are laid out (and listed in the header) by dtype in DESCENDING order of "
    "the Rust Dtype enum, ties broken by name ascending (bytewise UTF-8). Observed descending order: "
    "U64, I64, F64, C64, F32, U32, I32, BF16, F16, U16, I16, F8_E5M2FNUZ, F8_E4M3FNUZ, F8_E8M0, F8_E4M3, F8_E5M2, "
    "I8, U8, F4, BOOL. __metadata__ is written first; each entry's fields in the order dtype, shape, data_offsets."
)


def observed_dtype_order():
    from safetensors.torch import save

    tens = OrderedDict()
    src = {**mixed_tensors(), **exotic_tensors()}
    seen = set()
    for k, v in src.items():
        if v.dtype in seen or v.dim() == 0 or v.numel() == 0:
            continue
        seen.add(v.dtype)
        tens[f"x{len(tens):02d}"] = v.contiguous()
    b = save(tens)
    _, _, hdr = st_header(b)
    return [hdr[k]["dtype"] for k in hdr if k != "__metadata__"]


def multi_meta(out: Path):
    from safetensors.torch import save

    meta = OrderedDict([("format", "pt"), ("zeta", "ω-ä"), ("b", "1"), ("a", "2"), ("empty", "")])
    tens = {"w": torch.tensor([1.0, 2.0], dtype=torch.float32), "idx": torch.tensor([3], dtype=torch.int64)}
    want = sorted(meta)
    orders = OrderedDict()
    chosen = None
    for attempt in range(1, 5001):
        b = save(tens, metadata=dict(meta))
        _, _, hdr = st_header(b)
        order = list(hdr["__metadata__"])
        orders[" ".join(order)] = orders.get(" ".join(order), 0) + 1
        if order == want:
            chosen = (attempt, b)
            break
    if chosen is None:
        raise RuntimeError("never observed the sorted metadata order")
    write_bytes(out, chosen[1])
    return {
        "metadata_input_order": list(meta),
        "metadata_key_order_deterministic_upstream": False,
        "metadata_key_order_note": (
            "safetensors 0.8.0 serialises __metadata__ from a Rust HashMap: its key order changes from call to "
            "call and from process to process. The generator calls save() until the keys come out in ascending "
            "order and commits that output; readers must not depend on metadata key order, and byte-identical "
            "reproduction of a Python-written file with 2+ metadata keys is not possible in general (compare "
            "parsed metadata instead). With a single key ({\"format\":\"pt\"}) the output is deterministic."
        ),
    }
    log(f"  multi_meta: sorted order on attempt {chosen[0]}; {len(orders)} distinct orders seen")


def sharded_and_single():
    from . import models

    cfg = dict(width=32, depth=2, heads=2, registers=0, ffn="mlp", image_size=28)
    t = synth.backbone(**{k: cfg[k] for k in ("width", "depth", "heads", "registers", "ffn", "image_size")}, seed=0)
    m, _ = models.hf_model(cfg, t)
    recs = {}
    for sub, kw in (("sharded", dict(max_shard_size="60KB")), ("single", {})):
        d = OUT / sub
        if d.exists():
            shutil.rmtree(d)
        m.save_pretrained(d, **kw)
        files = sorted(p.name for p in d.iterdir())
        r = {"files": {}}
        for name in files:
            p = d / name
            if name.endswith(".safetensors"):
                r["files"][name] = st_file_record(p.read_bytes(), name)
            else:
                r["files"][name] = {"sha256": sha256_file(p), "size": p.stat().st_size}
        if (d / "model.safetensors.index.json").exists():
            r["index"] = json.loads((d / "model.safetensors.index.json").read_text())
        recs[sub] = r
    recs["model"] = {"class": "transformers.Dinov2Model", "synth": dict(cfg, seed=0), "save_pretrained": {"sharded": "max_shard_size='60KB'", "single": "default"}}
    write_json(OUT / "sharded.json", recs)


def casts():
    f32 = torch.float32
    i32 = lambda b: b - (1 << 32) if b >= (1 << 31) else b  # noqa: E731
    vals = [0.0, -0.0, 1.0, -1.0, 0.1, 1.0 / 3.0, 3.141592653589793, -2.5,
            1e-45, 1e-40, -1e-39,  # f32 subnormals
            2.0**-24, 2.0**-25, 3 * 2.0**-26, -(2.0**-25) * 1.5, 1e-7, 6e-5, 2.0**-14, 6.1e-5,  # f16 subnormal range
            65504.0, 65519.99, 65520.0, 65536.0, 1e5, -65520.0, 1e-8,
            1 + 2.0**-11, 1 + 3 * 2.0**-11, 1 + 2.0**-11 + 2.0**-20, -(1 + 2.0**-11),  # f16 ties
            1 + 2.0**-8, 1 + 3 * 2.0**-8, 1 + 2.0**-8 + 2.0**-20, -(1 + 3 * 2.0**-8),  # bf16 ties
            3.4028234663852886e38, -3.4028234663852886e38, 3.3895313892515355e38, 3.39e38,
            float("inf"), float("-inf")]
    src = torch.tensor(vals, dtype=f32)
    nan_bits = torch.tensor([i32(0x7FC00000), i32(0xFFC00000), i32(0x7F800001), i32(0xFFBFFFFF), i32(0x7FC12345)],
                            dtype=torch.int32).view(f32)
    src_f32 = torch.cat([src, nan_bits])
    f64vals = [0.0, -0.0, 1e-310, -1e-320, 2.0**-149, 2.0**-150, 1.5 * 2.0**-149, 2.0**-126, 1e-45,
               3.4028234663852886e38, 3.4028235677973366e38, 3.4028235677973362e38, 3.5e38, 1e300, -1e300,
               1 + 2.0**-24, 1 + 3 * 2.0**-24, 1 + 2.0**-24 + 2.0**-40, 0.1, 3.141592653589793, -2.0 / 3.0,
               float("inf"), float("-inf")]
    f64nan = torch.tensor([0x7FF8000000000000, -0x0008000000000000, 0x7FF0000000000001, 0x7FF8DEADBEEF0000],
                          dtype=torch.int64).view(torch.float64)
    src_f64 = torch.cat([torch.tensor(f64vals, dtype=torch.float64), f64nan])
    f16bits = [0x0000, 0x8000, 0x0001, 0x03FF, 0x0400, 0x3C00, 0x3C01, 0x3C03, 0x3C08, 0x3C18, 0x7BFF, 0xFBFF,
               0x7C00, 0xFC00, 0x7E00, 0xFE00, 0x7C01, 0x3555, 0x0155, 0x8001]
    src_f16 = torch.tensor([b - 65536 if b >= 32768 else b for b in f16bits], dtype=torch.int16).view(torch.float16)
    bf16bits = [0x0000, 0x8000, 0x0001, 0x007F, 0x0080, 0x3F80, 0x3F81, 0x477F, 0x4780, 0x4770, 0x4000,
                0x3380, 0x3300, 0x3340, 0x7F7F, 0xFF7F, 0x7F80, 0xFF80, 0x7FC0, 0xFFC0, 0x7F81, 0x3EAB, 0x477E,
                0x3880, 0x3800, 0x3840]
    src_bf16 = torch.tensor([b - 65536 if b >= 32768 else b for b in bf16bits], dtype=torch.int16).view(torch.bfloat16)
    t = OrderedDict()
    t["src_f32"] = src_f32
    t["src_f32_to_f16"] = src_f32.to(torch.float16)
    t["src_f32_to_bf16"] = src_f32.to(torch.bfloat16)
    t["src_f64"] = src_f64
    t["src_f64_to_f32"] = src_f64.to(torch.float32)
    t["src_f16"] = src_f16
    t["src_f16_to_bf16"] = src_f16.to(torch.bfloat16)
    t["src_f16_to_f32"] = src_f16.to(torch.float32)
    t["src_bf16"] = src_bf16
    t["src_bf16_to_f16"] = src_bf16.to(torch.float16)
    t["src_bf16_to_f32"] = src_bf16.to(torch.float32)
    from safetensors.torch import save_file

    save_file(t, str(OUT / "casts.safetensors"), metadata={"format": "pt"})
    ints = {torch.float32: (torch.int32, 8), torch.float16: (torch.int16, 4), torch.bfloat16: (torch.int16, 4),
            torch.float64: (torch.int64, 16)}
    detail = []
    for k, v in t.items():
        it, w = ints[v.dtype]
        bits = [f"0x{(int(b) & ((1 << (4 * w)) - 1)):0{w}x}" for b in v.view(it).tolist()]
        detail.append({"name": k, "torch_dtype": str(v.dtype), "bits": bits,
                       "values": [repr(float(x)) for x in v.to(torch.float64).tolist()]})
    rec = record(OUT / "casts.safetensors")
    rec["elementwise"] = detail
    rec["notes"] = [
        "All conversions are torch Tensor.to(dtype) on CPU (round to nearest, ties to even; overflow -> inf).",
        "NaN handling: compare NaN-ness only. The NaN bit patterns torch produced are recorded in `bits` but "
        "depend on torch's kernel path/CPU (here f32->bf16 turned every NaN into 0xffff, f16->f32 turned the "
        "signalling NaN 0x7c01 into 0x7fffffff); they are not a spec.",
        "src_f16_to_bf16 / src_bf16_to_f16 are single torch .to() calls (torch converts through float32).",
    ]
    write_json(OUT / "casts.json", rec)


def run():
    from safetensors.torch import save_file

    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    log("[safetensors] mixed / nometa / exotic")
    mixed = mixed_tensors()
    save_file(mixed, str(OUT / "mixed.safetensors"), metadata={"format": "pt"})
    save_file(mixed, str(OUT / "nometa.safetensors"))
    save_file(exotic_tensors(), str(OUT / "exotic.safetensors"), metadata={"format": "pt"})
    order = observed_dtype_order()
    common = {"writer": "safetensors.torch.save_file (safetensors 0.8.0)", "dtype_order_note": DTYPE_ORDER_NOTE,
              "observed_dtype_order_desc": order}
    write_json(OUT / "mixed.json", dict(record(OUT / "mixed.safetensors"), **common,
                                        source_tensors_in_insertion_order=describe(mixed)))
    write_json(OUT / "nometa.json", dict(record(OUT / "nometa.safetensors"), **common))
    write_json(OUT / "exotic.json", dict(record(OUT / "exotic.safetensors"), **common,
                                         source_tensors_in_insertion_order=describe(exotic_tensors()),
                                         notes=["F4 (torch.float4_e2m1fn_x2) packs two 4-bit values per byte; the "
                                                "header shape counts F4 elements, so a torch tensor of 3 bytes is "
                                                "written with shape [6] and 3 data bytes.",
                                                "C64 is complex64 (8 bytes: real f32, imag f32).",
                                                "F8_E4M3FNUZ / F8_E5M2FNUZ / F8_E8M0 / F4 / C64 are not in layouts.md's "
                                                "core list; they are in this separate file so mixed.safetensors stays "
                                                "within the core set."]))
    log("[safetensors] multi_meta")
    mm = multi_meta(OUT / "multi_meta.safetensors")
    write_json(OUT / "multi_meta.json", dict(record(OUT / "multi_meta.safetensors"), **mm))
    log("[safetensors] zstd variants")
    raw = (OUT / "mixed.safetensors").read_bytes()
    z = zstd_compress(raw, 3)
    write_bytes(OUT / "mixed.safetensors.zst", z)
    bad = bytearray(z)
    mid = len(bad) // 2
    for off in (0, 1, 2, 7, 13):
        bad[mid + off] ^= 0xA5
    write_bytes(OUT / "corrupt.safetensors.zst", bytes(bad))
    write_bytes(OUT / "truncated.safetensors.zst", z[: len(z) // 2])
    zrec = {"mixed.safetensors.zst": {"sha256": sha256_bytes(z), "size": len(z), "decompresses_to": "mixed.safetensors",
                                      "decompressed_sha256": sha256_bytes(raw),
                                      "compressor": "python zstandard 0.25.0, level 3, write_checksum=True, write_content_size=True"}}
    for name, blob, how in (("corrupt.safetensors.zst", bytes(bad), f"bytes {mid},{mid+1},{mid+2},{mid+7},{mid+13} XOR 0xA5"),
                            ("truncated.safetensors.zst", z[: len(z) // 2], f"first {len(z)//2} of {len(z)} bytes")):
        try:
            out = zstd_decompress(blob)
            outcome = "DECODED (unexpected) sha256=" + sha256_bytes(out)
        except Exception as e:  # noqa: BLE001
            outcome = f"{type(e).__name__}: {e}"
        zrec[name] = {"sha256": sha256_bytes(blob), "size": len(blob), "made_from": "mixed.safetensors.zst",
                      "edit": how, "expect": "refuse (decompression error)", "python_zstandard_says": outcome}
    write_json(OUT / "zstd.json", zrec)
    log("[safetensors] sharded / single")
    sharded_and_single()
    log("[safetensors] casts")
    casts()
