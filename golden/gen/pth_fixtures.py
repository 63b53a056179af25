"""Section C: torch.save (.pth) checkpoints -> golden/pth/.

Hostile files are built with torch.save / byte edits and are NEVER loaded here; they are only
inspected with pickletools.genops (which does not execute anything)."""
from __future__ import annotations

import os
import pickletools
import shutil
import struct
import zipfile
import zlib
from collections import OrderedDict
from pathlib import Path

import torch
import torch.nn as nn

from . import models, synth
from .common import GOLDEN, log, sha256_bytes, sha256_file, write_bytes, write_json
from .model_fixtures import TINY_CASES, build_train, synth_backbone, synth_head
from .tensor_records import flatten

OUT = GOLDEN / "pth"
MARKER = "/tmp/ckpt-pwned"


def _save(obj, name):
    p = OUT / name
    torch.save(obj, str(p))  # default zip format; record prefix = file stem
    return p


def _zip_records(p: Path):
    with zipfile.ZipFile(p) as z:
        return [{"name": i.filename, "size": i.file_size, "header_offset": i.header_offset,
                 "compress_type": i.compress_type} for i in z.infolist()]


def _pickle_bytes(p: Path):
    with zipfile.ZipFile(p) as z:
        name = [n for n in z.namelist() if n.endswith("/data.pkl")][0]
        return name, z.read(name)


def pickle_globals(data: bytes):
    """GLOBAL / STACK_GLOBAL targets (module, name), without executing the pickle."""
    out = []
    strings = []
    for op, arg, _pos in pickletools.genops(data):
        if op.name == "GLOBAL":
            mod, name = arg.split(" ", 1)
            out.append(f"{mod}.{name}")
        elif op.name in ("SHORT_BINUNICODE", "BINUNICODE", "UNICODE", "BINUNICODE8"):
            strings.append(arg)
        elif op.name == "STACK_GLOBAL":
            out.append(f"{strings[-2]}.{strings[-1]}")
    return sorted(set(out))


def jsonable(obj):
    if isinstance(obj, torch.Tensor):
        return {"tensor": list(obj.shape), "dtype": str(obj.dtype).replace("torch.", "")}
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    return obj


def benign_record(p: Path, obj, notes=None):
    pkl_name, pkl = _pickle_bytes(p)
    rec = {"file": p.name, "sha256": sha256_file(p), "size": p.stat().st_size, "expect": "load",
           "zip_records": _zip_records(p), "pickle_record": pkl_name, "pickle_protocol": pkl[1] if pkl[:1] == b"\x80" else None,
           "globals": pickle_globals(pkl), "tensors": flatten(obj)}
    if notes:
        rec["notes"] = notes
    return rec


def _patch_zip_member(path: Path, member: str, old: bytes, new: bytes):
    """Same-length in-place edit of a stored (uncompressed) zip member, CRC-32 fixed in both headers."""
    assert len(old) == len(new)
    buf = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        info = z.getinfo(member)
        data = z.read(member)
    assert data.count(old) == 1, (member, data.count(old))
    newdata = data.replace(old, new)
    # locate the data in the local file header
    lh = info.header_offset
    assert buf[lh:lh + 4] == b"PK\x03\x04"
    nlen, xlen = struct.unpack("<HH", buf[lh + 26:lh + 30])
    start = lh + 30 + nlen + xlen
    assert bytes(buf[start:start + len(data)]) == data
    buf[start:start + len(data)] = newdata
    crc = zlib.crc32(newdata) & 0xFFFFFFFF
    struct.pack_into("<I", buf, lh + 14, crc)
    # central directory entry (found by name)
    name_b = member.encode()
    pos = 0
    while True:
        pos = buf.find(b"PK\x01\x02", pos)
        assert pos >= 0
        fnl = struct.unpack("<H", buf[pos + 28:pos + 30])[0]
        if bytes(buf[pos + 46:pos + 46 + fnl]) == name_b:
            struct.pack_into("<I", buf, pos + 16, crc)
            break
        pos += 4
    write_bytes(path, bytes(buf))


class _Evil:
    """__reduce__ -> os.system(touch MARKER). Pickled only; never unpickled."""

    def __reduce__(self):
        return (os.system, (f"touch {MARKER}",))


class _EvilEval:
    def __reduce__(self):
        return (eval, (f"__import__('os').system('touch {MARKER}')",))


def run():
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    recs = OrderedDict()
    cfg = TINY_CASES["tiny"]
    D = cfg["width"]

    log("[pth] teacher_checkpoint.pth")
    teacher = nn.ModuleDict(OrderedDict([
        ("backbone", models.original_model(cfg, synth_backbone(cfg, 0))),
        ("dino_head", models.head_module(D, synth_head(D, 0))),
    ]))
    obj = {"teacher": teacher.state_dict()}
    p = _save(obj, "teacher_checkpoint.pth")
    recs[p.name] = benign_record(p, obj, [
        "dinov2/train/train.py do_test(): torch.save({'teacher': model.teacher.state_dict()}); tiny case, seed 0; "
        "teacher has backbone + dino_head (ibot.separate_head false, the default config).",
        "state_dict() is an OrderedDict carrying a `_metadata` attribute: pickled as collections.OrderedDict "
        "REDUCE + BUILD with {'_metadata': ...}."])

    log("[pth] fvcore.pth")
    train = build_train(cfg)
    student_params = [p_ for p_ in train.student.parameters()]
    for p_ in train.teacher.parameters():
        p_.requires_grad_(False)
    groups = [
        {"params": student_params[: len(student_params) // 2], "lr_multiplier": 1.0, "wd_multiplier": 1.0,
         "is_last_layer": False, "foreach": True},
        {"params": student_params[len(student_params) // 2:], "lr_multiplier": 0.5, "wd_multiplier": 0.0,
         "is_last_layer": True, "foreach": True},
    ]
    opt = torch.optim.AdamW(groups, lr=1e-3, betas=(0.9, 0.999), weight_decay=0.04)
    torch.manual_seed(0)
    x = torch.from_numpy(synth.tensor("fvcore.pixels", (2, 3, 28, 28), 0)) * 2
    for _ in range(2):
        opt.zero_grad(set_to_none=True)
        out = train.student.backbone.forward_features(x)
        loss = (train.student.dino_head(out["x_norm_clstoken"]) ** 2).mean() + \
               (train.student.ibot_head(out["x_norm_patchtokens"]) ** 2).mean()
        loss.backward()
        opt.step()
    obj = {"model": train.state_dict(), "optimizer": opt.state_dict(), "iteration": 12}
    p = _save(obj, "fvcore.pth")
    recs[p.name] = benign_record(p, obj, [
        "fvcore Checkpointer layout as written by dinov2's FSDPCheckpointer: {'model', 'optimizer', 'iteration'}.",
        "model = SSLMetaArch-like state dict (dino_loss.center, ibot_patch_loss.center, student.*, teacher.*); "
        "the student weights are AFTER two AdamW steps (so they differ from synth seed 1); teacher = synth seed 0.",
        "optimizer = torch.optim.AdamW.state_dict() after 2 steps: state/{i}/{step (0-dim f32), exp_avg, exp_avg_sq}, "
        "param_groups with tuples (betas), floats, bools, None and the extra dinov2 keys lr_multiplier, "
        "wd_multiplier, is_last_layer."])
    recs[p.name]["non_tensor"] = {"iteration": 12, "optimizer/param_groups": jsonable(obj["optimizer"]["param_groups"])}

    log("[pth] views.pth")
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
    flat = base.view(-1)
    views = OrderedDict([
        ("base", base),
        ("transposed", base.t()),
        ("slice", base[1:3, 2:5]),
        ("row2", base[2]),
        ("col4", base[:, 4]),
        ("every_other_col", base[:, ::2]),
        ("tail", flat[20:]),
        ("transposed_slice", base.t()[1:4, 1:3]),
        ("expanded", torch.arange(3, dtype=torch.float32).expand(4, 3)),
        ("own", torch.tensor([[1.0, 2.0], [3.0, 4.0]]).t()),
    ])
    p = _save(views, "views.pth")
    recs[p.name] = benign_record(p, views, [
        "base .. transposed_slice share ONE storage of 24 float32 (storage key '0'); each tensor is rebuilt by "
        "torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, ...): honour offset and strides.",
        "expanded has stride 0 on its first dim over a 3-element storage; own is a transposed 2x2 with its own storage.",
        "sha256 is over the contiguous (C order) little-endian bytes of the logical tensor."])
    with zipfile.ZipFile(p) as z:
        recs[p.name]["storages"] = sorted(n.split("/data/")[1] for n in z.namelist() if "/data/" in n)

    log("[pth] halfs.pth")
    halfs = OrderedDict([
        ("f16", torch.tensor([0.0, -0.0, 1.5, 65504.0, float("inf"), 6e-8, -2.0], dtype=torch.float16)),
        ("bf16", torch.tensor([[0.0, 1.0, -3.5e38, float("-inf")], [1e-39, 2.5, 3.0, -0.0]], dtype=torch.bfloat16)),
        ("f64", torch.tensor([0.1, -1e300, 5e-324], dtype=torch.float64)),
        ("i64", torch.tensor([-(2**63), 2**63 - 1, 0, 12], dtype=torch.int64)),
        ("bool", torch.tensor([[True, False, True]], dtype=torch.bool)),
        ("i32", torch.tensor([-(2**31), 7], dtype=torch.int32)),
        ("i16", torch.tensor([-32768, 32767], dtype=torch.int16)),
        ("i8", torch.tensor([-128, 127], dtype=torch.int8)),
        ("u8", torch.tensor([0, 255], dtype=torch.uint8)),
        ("f32_scalar", torch.tensor(2.5, dtype=torch.float32)),
        ("f32_empty", torch.zeros(0, 4, dtype=torch.float32)),
    ])
    p = _save(halfs, "halfs.pth")
    recs[p.name] = benign_record(p, halfs, [
        "storage classes in the pickle: HalfStorage, BFloat16Storage, DoubleStorage, LongStorage, BoolStorage, "
        "IntStorage, ShortStorage, CharStorage, ByteStorage, FloatStorage (see `globals`)."])

    log("[pth] hostile files (never loaded)")
    p = _save({"model": _Evil(), "iteration": 1}, "evil_reduce.pth")
    _, pkl = _pickle_bytes(p)
    g = pickle_globals(pkl)
    assert "posix.system" in g or "os.system" in g or "nt.system" in g, g
    recs[p.name] = {"file": p.name, "sha256": sha256_file(p), "size": p.stat().st_size, "expect": "refuse",
                    "reason": "pickle imports a callable outside the allow-list and REDUCEs it (os.system)",
                    "disallowed_globals": [x for x in g if x.endswith(".system")], "globals": g,
                    "marker_file": MARKER,
                    "test_hint": "loading must fail BEFORE executing anything: assert the marker file does not exist afterwards"}
    p = _save({"model": _EvilEval()}, "evil_eval.pth")
    _, pkl = _pickle_bytes(p)
    g = pickle_globals(pkl)
    bad = [x for x in g if x.endswith(".eval")]
    assert bad, g
    recs[p.name] = {"file": p.name, "sha256": sha256_file(p), "size": p.stat().st_size, "expect": "refuse",
                    "reason": "pickle imports eval (protocol 2 spells builtins as '__builtin__') and REDUCEs it",
                    "disallowed_globals": bad, "globals": g,
                    "marker_file": MARKER}

    src = (OUT / "teacher_checkpoint.pth").read_bytes()
    write_bytes(OUT / "truncated.pth", src[: len(src) // 2])
    recs["truncated.pth"] = {"file": "truncated.pth", "sha256": sha256_bytes(src[: len(src) // 2]),
                             "size": len(src) // 2, "expect": "refuse",
                             "reason": "truncated zip: first half of teacher_checkpoint.pth; no end-of-central-directory record"}

    # bad_offset.pth: a tensor whose storage_offset + extent runs past its storage (pickle edited)
    t = torch.arange(8, dtype=torch.float32)[5:]  # offset 5, size 3, storage 8 elements
    p = _save({"w": t}, "bad_offset.pth")
    member, pkl = _pickle_bytes(p)
    # ... Q (BINPERSID) K\x05 (offset 5) K\x03 \x85 (size (3,)) ...  ->  offset 7: 7 + 3 > 8
    _patch_zip_member(p, member, b"QK\x05K\x03\x85", b"QK\x07K\x03\x85")
    _, pkl2 = _pickle_bytes(p)
    recs[p.name] = {"file": p.name, "sha256": sha256_file(p), "size": p.stat().st_size, "expect": "refuse",
                    "reason": "tensor 'w': storage_offset 7 + size 3 (stride 1) = 10 elements > storage numel 8 "
                              "(storage record data/0 holds 32 bytes)",
                    "edit": "data.pkl: BININT1 storage_offset 5 -> 7 after BINPERSID (zip CRC-32 recomputed)",
                    "globals": pickle_globals(pkl2)}

    # short_storage.pth: the persistent id claims 16 elements, the record holds 8
    t = torch.arange(8, dtype=torch.float32)
    p = _save({"w": t}, "short_storage.pth")
    member, pkl = _pickle_bytes(p)
    _patch_zip_member(p, member, b"X\x03\x00\x00\x00cpuq\x06K\x08t", b"X\x03\x00\x00\x00cpuq\x06K\x10t")
    _, pkl2 = _pickle_bytes(p)
    recs[p.name] = {"file": p.name, "sha256": sha256_file(p), "size": p.stat().st_size, "expect": "refuse",
                    "reason": "storage '0' declared with numel 16 (64 bytes of float32) but its record "
                              "short_storage/data/0 holds 32 bytes; tensor 'w' (size 8) fits the claim, not the data",
                    "edit": "data.pkl: persistent-id tuple numel BININT1 8 -> 16 (zip CRC-32 recomputed)",
                    "globals": pickle_globals(pkl2)}
    for n in ("bad_offset.pth", "short_storage.pth"):
        with zipfile.ZipFile(OUT / n) as z:
            assert z.testzip() is None

    write_json(OUT / "pth.json", {
        "writer": f"torch.save (torch {torch.__version__}), default zipfile format, pickle protocol 2",
        "tensor_naming": "object-tree path with '/' between levels: dict keys, list/tuple indices "
                         "(e.g. 'teacher/backbone.cls_token', 'optimizer/state/0/exp_avg')",
        "archive_prefix": "zip record names start with the file stem (e.g. 'views/data.pkl', 'views/data/0')",
        "files": recs,
    })
