#!/usr/bin/env python3
"""Interop check: Python `safetensors` reads every file ckpt's writer produced during `swift test`.

The Swift tests copy each file they wrote into $CKPT_INTEROP_DIR (or the folder given as the only
argument) as <label>.safetensors, next to <label>.expected.json holding the metadata and, for every
tensor, its dtype, shape and raw little-endian bytes (hex) taken from the test's source data.

For every file this script
  1. parses it with the reference Rust reader (`safetensors.deserialize`), which validates the header,
     offsets and trailing bytes, and compares names, dtypes, shapes and raw bytes;
  2. opens it with `safe_open(framework="np")` and compares the metadata;
  3. loads every tensor numpy can represent (not BF16, F8, F6, F4) as a numpy array and checks it
     equals the expected array bit for bit (same dtype, shape and bytes; NaNs compare by bits).

Needs only numpy and safetensors (scripts/requirements-interop.txt). Exit 0 when every file matches,
1 when any differs, 2 when there is nothing to check.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np
from safetensors import deserialize, safe_open

NUMPY_DTYPES = {
    "BOOL": np.bool_, "U8": np.uint8, "I8": np.int8, "U16": np.uint16, "I16": np.int16, "F16": np.float16,
    "U32": np.uint32, "I32": np.int32, "F32": np.float32, "U64": np.uint64, "I64": np.int64, "F64": np.float64,
    "C64": np.complex64,
}


def check(path: Path, expected: dict) -> list[str]:
    problems: list[str] = []
    want = {t["name"]: t for t in expected["tensors"]}
    data = path.read_bytes()
    got = {name: info for name, info in deserialize(data)}
    if set(got) != set(want):
        problems.append(f"tensor names differ: missing {sorted(set(want) - set(got))}, extra {sorted(set(got) - set(want))}")
    for name in sorted(set(got) & set(want)):
        g, w = got[name], want[name]
        if g["dtype"] != w["dtype"]:
            problems.append(f"{name}: dtype {g['dtype']} != {w['dtype']}")
        if list(g["shape"]) != list(w["shape"]):
            problems.append(f"{name}: shape {g['shape']} != {w['shape']}")
        if bytes(g["data"]) != bytes.fromhex(w["hex"]):
            problems.append(f"{name}: raw bytes differ")
    with safe_open(str(path), framework="np") as f:
        metadata = f.metadata()
        if (metadata or None) != (expected["metadata"] or None):
            problems.append(f"metadata {metadata} != {expected['metadata']}")
        for name, w in sorted(want.items()):
            dtype = NUMPY_DTYPES.get(w["dtype"])
            if dtype is None or name not in got:
                continue
            array = f.get_tensor(name)
            reference = np.frombuffer(bytes.fromhex(w["hex"]), dtype=np.dtype(dtype).newbyteorder("<")).reshape(w["shape"])
            if array.dtype != reference.dtype or array.shape != reference.shape or array.tobytes() != reference.tobytes():
                problems.append(f"{name}: numpy array differs ({array.dtype}{list(array.shape)} vs {reference.dtype}{list(reference.shape)})")
    return problems


def main(argv: list[str]) -> int:
    folder = Path(argv[1] if len(argv) > 1 else os.environ.get("CKPT_INTEROP_DIR", ""))
    sidecars = sorted(folder.glob("*.expected.json")) if str(folder) and folder.is_dir() else []
    if not sidecars:
        print(f"interop: no files to check in {folder!s} (run swift test with CKPT_INTEROP_DIR set)", file=sys.stderr)
        return 2
    failed = 0
    tensors = 0
    for sidecar in sidecars:
        path = sidecar.with_name(sidecar.name[: -len(".expected.json")] + ".safetensors")
        expected = json.loads(sidecar.read_text())
        try:
            problems = check(path, expected)
        except Exception as error:  # the reference reader refusing the file is a failure, not a crash
            problems = [f"{type(error).__name__}: {error}"]
        tensors += len(expected["tensors"])
        if problems:
            failed += 1
            print(f"FAIL {path.name}")
            for p in problems:
                print(f"  - {p}")
        else:
            print(f"ok   {path.name} ({len(expected['tensors'])} tensors)")
    print(f"interop: {len(sidecars) - failed}/{len(sidecars)} files match ({tensors} tensors), safetensors + numpy")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
