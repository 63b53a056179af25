"""Peer for `ckpt inspect`: list every tensor of a safetensors file with Python's safe_open.

framework="numpy" is the cheapest way to open a file with safetensors (no torch import), so the
comparison is against Python's best case, not its typical `framework="pt"` one.
"""
import sys

from safetensors import safe_open

total = 0
with safe_open(sys.argv[1], framework="numpy") as f:
    meta = f.metadata()
    names = f.keys()
    for name in names:
        s = f.get_slice(name)
        shape = s.get_shape()
        n = 1
        for d in shape:
            n *= d
        total += n
        print(f"{name}\t{s.get_dtype()}\t{shape}")
print(f"{len(names)} tensors, {total} parameters, metadata {meta}")
