"""Shared helpers: hashing, JSON, zstd, safetensors header parsing, determinism."""
from __future__ import annotations

import hashlib
import json
import os
import struct
from pathlib import Path

GENERATOR_VERSION = "1"
GOLDEN = Path(__file__).resolve().parent.parent  # .../golden
MAX_FILE = 8 * 1024 * 1024  # 8 MiB hard limit per committed file
COMPRESS_ABOVE = 1024 * 1024  # forward fixtures above 1 MiB are stored as NAME.zst (level 19)


def sha256_bytes(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def sha256_file(p) -> str:
    h = hashlib.sha256()
    with open(p, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_bytes(p, b: bytes):
    p = Path(p)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(p.name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(b)
    os.replace(tmp, p)


def write_json(p, obj):
    text = json.dumps(obj, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    write_bytes(p, text.encode("utf-8"))


def zstd_compress(b: bytes, level: int) -> bytes:
    import zstandard

    # Checksummed frames with the content size recorded: a corrupted frame fails to decode.
    return zstandard.ZstdCompressor(level=level, write_checksum=True, write_content_size=True).compress(b)


def zstd_decompress(b: bytes) -> bytes:
    import zstandard

    return zstandard.ZstdDecompressor().decompress(b)


def st_header(b: bytes):
    """(header_len, header_text, parsed header dict in file order) of safetensors bytes."""
    (n,) = struct.unpack("<Q", b[:8])
    text = b[8 : 8 + n].decode("utf-8")
    return n, text, json.loads(text)


def st_tensor_listing(b: bytes):
    """Per-tensor listing of a safetensors file, in header (= file) order."""
    n, text, hdr = st_header(b)
    data = b[8 + n :]
    out = []
    for k, v in hdr.items():
        if k == "__metadata__":
            continue
        s, e = v["data_offsets"]
        out.append(
            {
                "name": k,
                "dtype": v["dtype"],
                "shape": v["shape"],
                "data_offsets": [s, e],
                "sha256": sha256_bytes(data[s:e]),
            }
        )
    return out


def st_file_record(b: bytes, name: str):
    n, text, hdr = st_header(b)
    return {
        "file": name,
        "sha256": sha256_bytes(b),
        "size": len(b),
        "header_len": n,
        "metadata": hdr.get("__metadata__"),
        "tensors": st_tensor_listing(b),
    }


def sig(x: float, digits: int = 2) -> float:
    """Round a positive float UP to `digits` significant digits."""
    import math

    if x <= 0:
        return 0.0
    e = math.floor(math.log10(x)) - (digits - 1)
    q = 10.0**e
    r = math.ceil(x / q - 1e-9) * q
    return float(f"{r:.{digits}g}")


def rel(p: Path) -> str:
    return str(Path(p).resolve().relative_to(GOLDEN))


def log(*a):
    print(*a, flush=True)


def setup_torch():
    import torch

    torch.manual_seed(0)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(min(2, os.cpu_count() or 1))
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
    except Exception:
        pass
    return torch


def quiet_env():
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("TQDM_DISABLE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("PYTHONHASHSEED", "0")
