#!/usr/bin/env python3
"""Extra .pth fixtures for ckpt's pth reader (issue 8), beyond golden/pth/.

    /opt/ckpt-venv/bin/python golden/pth-extra/generate.py

Writes golden/pth-extra/*.pth and pth-extra.json. Loadable files are written by torch.save; hostile
ones by torch.save plus byte edits of the zip container (never loaded here). Expected tensors are
listed like golden/pth/pth.json: '/'-joined object path, torch dtype, shape, sha256 of the
contiguous little-endian bytes.
"""
import io
import json
import os
import struct
import sys
import zipfile
from collections import OrderedDict
from pathlib import Path

import torch

OUT = Path(__file__).resolve().parent
sys.path.insert(0, str(OUT.parent))  # golden/, for gen.tensor_records
from gen import tensor_records  # noqa: E402
from gen.common import sha256_bytes  # noqa: E402
MARKER = "/tmp/ckpt-pwned"


def flatten(obj):
    """golden/gen's tensor records, as this file lists them (without stride and storage offset)."""
    return [{k: r[k] for k in ("name", "dtype", "shape", "sha256")} for r in tensor_records.flatten(obj)]


def save(obj, name, **kw):
    p = OUT / name
    torch.save(obj, str(p), **kw)
    return p


class _Evil:
    def __reduce__(self):
        return (os.system, (f"touch {MARKER}",))


def cd_entry(buf, member):
    """Offset of the central-directory entry for `member`."""
    pos = 0
    name = member.encode()
    while True:
        pos = buf.find(b"PK\x01\x02", pos)
        assert pos >= 0, member
        n = struct.unpack("<H", buf[pos + 28:pos + 30])[0]
        if bytes(buf[pos + 46:pos + 46 + n]) == name:
            return pos
        pos += 4


def rewrite(src, dst, change):
    """Copies a zip, `change(name, data) -> (data, compress_type)` per member."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            data, ctype = change(info.filename, zin.read(info.filename))
            zout.writestr(zipfile.ZipInfo(info.filename), data, compress_type=ctype)


def main():
    torch.manual_seed(0)
    files = OrderedDict()
    base = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    sd = OrderedDict([("backbone.w", base), ("backbone.wt", base.t()), ("backbone.row", base[1]),
                      ("dino_head.b", torch.tensor([1.5, -2.0], dtype=torch.bfloat16))])
    for proto in (4, 5):
        obj = {"teacher": sd}
        p = save(obj, f"protocol{proto}.pth", pickle_protocol=proto)
        files[p.name] = {"expect": "load", "tensors": flatten(obj),
                         "note": f"torch.save(pickle_protocol={proto}): FRAME, SHORT_BINUNICODE, MEMOIZE, STACK_GLOBAL"}
    obj = {"w": torch.nn.Parameter(torch.tensor([[1.0, 2.0, 3.0]])), "step": 3}
    p = save(obj, "parameter.pth")
    files[p.name] = {"expect": "load", "tensors": flatten({"w": obj["w"]}),
                     "note": "an nn.Parameter pickles through torch._utils._rebuild_parameter; 'step' is an int"}
    obj = OrderedDict([
        ("f8e4m3", torch.tensor([0.5, -1.0, 448.0, 0.0], dtype=torch.float32).to(torch.float8_e4m3fn)),
        ("f8e5m2", torch.tensor([[0.5, -1.0], [57344.0, 0.0]], dtype=torch.float32).to(torch.float8_e5m2).t()),
        ("u16", torch.arange(6, dtype=torch.int32).to(torch.uint16).reshape(2, 3).t()),
        ("u32", torch.tensor([0, 4294967295], dtype=torch.int64).to(torch.uint32)),
    ])
    p = save(obj, "v3_dtypes.pth")
    files[p.name] = {"expect": "load", "tensors": flatten(obj),
                     "note": "dtypes without a legacy storage class: torch._utils._rebuild_tensor_v3 over torch.storage.UntypedStorage"}
    p = save({"z": torch.zeros(2, dtype=torch.complex128)}, "complex128.pth")
    files[p.name] = {"expect": "refuse", "mention": "complex128", "note": "no safetensors dtype for complex128"}
    p = save({"a": {"b.c": torch.ones(1)}, "a.b": {"c": torch.zeros(1)}}, "name_clash.pth")
    files[p.name] = {"expect": "refuse", "mention": "two tensors flatten to the same name \"a.b.c\"",
                     "note": "keys a/b.c and a.b/c both flatten to a.b.c"}
    p = save({"model": _Evil()}, "evil_protocol4.pth", pickle_protocol=4)
    files[p.name] = {"expect": "refuse", "mention": "posix.system", "marker_file": MARKER,
                     "note": "os.system through STACK_GLOBAL (protocol 4)"}

    small = OrderedDict([("a", torch.arange(64, dtype=torch.float32)), ("b", torch.ones(64))])
    src = save(small, "small.pth")

    def big(name, data):
        return (b"big" if name.endswith("/byteorder") else data), zipfile.ZIP_STORED
    rewrite(src, OUT / "big_endian.pth", big)
    files["big_endian.pth"] = {"expect": "refuse", "mention": "big-endian", "note": "byteorder record says big"}

    def deflate(name, data):
        return data, (zipfile.ZIP_DEFLATED if name.endswith("/data/0") else zipfile.ZIP_STORED)
    rewrite(src, OUT / "compressed.pth", deflate)
    files["compressed.pth"] = {"expect": "refuse", "mention": "small/data/0\" is compressed", "note": "storage record deflated"}

    buf = bytearray(src.read_bytes())
    with zipfile.ZipFile(src) as z:
        info0, info1 = z.getinfo("small/data/0"), z.getinfo("small/data/1")
    # overlap.pth: data/0 claims to run over data/1's local header (the non-recursive zip-bomb trick)
    o = bytearray(buf)
    e = cd_entry(o, "small/data/0")
    grow = info1.header_offset - info0.header_offset + 64
    struct.pack_into("<II", o, e + 20, info0.file_size + grow, info0.file_size + grow)
    (OUT / "overlap.pth").write_bytes(bytes(o))
    files["overlap.pth"] = {"expect": "refuse", "mention": "overlap", "note": "CD sizes of data/0 enlarged over data/1"}
    # outside.pth: a local-header offset past the end of the file
    o = bytearray(buf)
    e = cd_entry(o, "small/data/1")
    struct.pack_into("<I", o, e + 42, 0x7FFF0000)
    (OUT / "outside.pth").write_bytes(bytes(o))
    files["outside.pth"] = {"expect": "refuse", "mention": "outside the archive data", "note": "data/1 local header offset 0x7FFF0000"}
    # many_entries.pth: the zip64 end record claims a billion entries
    o = bytearray(buf)
    z64 = o.rfind(b"PK\x06\x06")
    struct.pack_into("<QQ", o, z64 + 24, 10**9, 10**9)
    (OUT / "many_entries.pth").write_bytes(bytes(o))
    files["many_entries.pth"] = {"expect": "refuse", "mention": "1000000000 entries", "note": "zip64 EOCD entry counts set to 1e9"}
    (OUT / "small.pth").unlink()

    p = save({"w": torch.ones(3)}, "legacy.pth", _use_new_zipfile_serialization=False)
    files[p.name] = {"expect": "refuse", "mention": "not a zip archive", "note": "torch.save(_use_new_zipfile_serialization=False)"}

    for name, f in files.items():
        f["sha256"] = sha256_bytes((OUT / name).read_bytes())
    (OUT / "pth-extra.json").write_text(json.dumps({"torch": torch.__version__, "files": files}, indent=2) + "\n")


if __name__ == "__main__":
    main()
