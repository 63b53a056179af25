"""Tensors of a (torch.load-ed) object tree as records: the expected values that .pth fixtures list."""
from __future__ import annotations

import torch

from .common import sha256_bytes


def tensor_record(name, t: torch.Tensor):
    """Name, torch dtype, shape, stride, storage offset, and sha256 of the contiguous little-endian bytes."""
    c = t.detach().contiguous()
    b = c.reshape(-1).view(torch.uint8).numpy().tobytes() if c.numel() else b""
    return {"name": name, "dtype": str(t.dtype).replace("torch.", ""), "shape": list(t.shape),
            "stride": list(t.stride()), "storage_offset": t.storage_offset(), "sha256": sha256_bytes(b)}


def flatten(obj, prefix=""):
    """Tensors in an object tree, path components joined with '/' (dict keys, list indices)."""
    out = []
    if isinstance(obj, torch.Tensor):
        out.append(tensor_record(prefix, obj))
    elif isinstance(obj, dict):
        for k, v in obj.items():
            out += flatten(v, f"{prefix}/{k}" if prefix else str(k))
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            out += flatten(v, f"{prefix}/{i}" if prefix else str(i))
    return out
