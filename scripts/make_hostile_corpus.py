#!/usr/bin/env python3
"""Writes the hostile-input corpus: Tests/Corpus/hostile/ and its manifest expected.json.

Every case is a file or a Hugging Face-style folder that ckpt must refuse with exit code 2 and a
message containing the case's `expect` substring, without crashing, hanging or writing anything.
Plain Python (standard library only) and deterministic: running it again reproduces the committed
files byte for byte, which CI checks (`python3 scripts/make_hostile_corpus.py --check`).

The zstd cases use hand-built frames of raw blocks (RFC 8878 §3.1), so no zstd module is needed.
"""
import json
import os
import shutil
import struct
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Corpus", "hostile")


# --- building blocks -----------------------------------------------------------------------------

def header_json(obj):
    """Compact JSON as the reference writer produces it (key order kept)."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def safetensors(header, data=b"", pad=b" ", raw_header=None):
    """A safetensors file: u64 little-endian length, header padded to a multiple of 8, data."""
    h = raw_header if raw_header is not None else header_json(header)
    h += pad * ((8 - len(h) % 8) % 8)
    return struct.pack("<Q", len(h)) + h + data


def tensor(dtype, shape, begin, end):
    return {"dtype": dtype, "shape": shape, "data_offsets": [begin, end]}


# A small valid file: a = F32 [2, 2] (16 bytes), b = F16 [3] (6 bytes), plus metadata.
VALID_HEADER = {
    "__metadata__": {"format": "pt"},
    "a": tensor("F32", [2, 2], 0, 16),
    "b": tensor("F16", [3], 16, 22),
}
VALID_DATA = struct.pack("<4f", 1.0, -2.0, 0.5, 3.0) + struct.pack("<3e", 1.0, 2.0, -0.25)
VALID = safetensors(VALID_HEADER, VALID_DATA)
VALID_HEADER_END = 8 + struct.unpack("<Q", VALID[:8])[0]


def zstd_frame(content, reserved_bit=False, block_type=0, declared_size=None, drop_last_block=False):
    """One zstd frame of raw blocks (no checksum). Options make it corrupt in specific ways."""
    fhd = 0b1010_0000 | (0b0000_1000 if reserved_bit else 0)  # FCS 4 bytes, single segment.
    size = len(content) if declared_size is None else declared_size
    out = struct.pack("<IB", 0xFD2FB528, fhd) + struct.pack("<I", size)
    chunks = [content[i:i + 65536] for i in range(0, len(content), 65536)] or [b""]
    if drop_last_block:
        chunks = chunks[:-1] if len(chunks) > 1 else []
    for i, chunk in enumerate(chunks):
        last = 1 if (i == len(chunks) - 1 and not drop_last_block) else 0
        bh = last | (block_type << 1) | (len(chunk) << 3)
        out += struct.pack("<I", bh)[:3] + (chunk if block_type == 0 else b"")
    return out


# --- the cases -----------------------------------------------------------------------------------

CASES = []  # (relative path, bytes or folder dict, expected substring, why)


def case(name, content, expect, why):
    CASES.append((name, content, expect, why))


# Truncated everywhere: every cut of the small valid file that matters, one file per cut.
for cut, expect in [
    (0, "0 bytes is too small"),
    (1, "1 bytes is too small"),
    (7, "7 bytes is too small"),
    (8, "runs past the end"),
    (9, "runs past the end"),
    (VALID_HEADER_END // 2, "runs past the end"),
    (VALID_HEADER_END - 1, "runs past the end"),
    (VALID_HEADER_END, "truncated"),
    (VALID_HEADER_END + 1, "truncated"),
    (VALID_HEADER_END + 16, "truncated"),
    (len(VALID) - 1, "truncated"),
]:
    case(f"truncated-at-{cut:03d}.safetensors", VALID[:cut], expect,
         f"the valid 2-tensor file cut after {cut} of {len(VALID)} bytes")

# The header length word.
case("header-length-zero.safetensors", struct.pack("<Q", 0) + VALID_DATA, "header is not valid JSON",
     "header length 0: an empty header is not a JSON object")
case("header-length-past-end.safetensors", struct.pack("<Q", 4096) + VALID[8:], "runs past the end",
     "header length 4096 in a file of a few dozen bytes")
case("header-length-2^64-1.safetensors", struct.pack("<Q", 2**64 - 1) + VALID[8:], "over the 100000000-byte limit",
     "header length 2^64-1 (would wrap any signed or pointer arithmetic)")
case("header-length-2^63.safetensors", struct.pack("<Q", 2**63) + VALID[8:], "over the 100000000-byte limit",
     "header length 2^63 (negative as a signed 64-bit integer)")
case("header-over-100MB-cap.safetensors", struct.pack("<Q", 100_000_001) + VALID[8:], "over the 100000000-byte limit",
     "header length one past the reference 100 MB cap")

# Not a JSON object.
case("header-not-json.safetensors", safetensors(None, raw_header=b"this is not json"), "header is not valid JSON",
     "plain text header")
case("header-array.safetensors", safetensors([tensor("F32", [1], 0, 4)], b"\0" * 4), "must be a JSON object, found an array",
     "the header is a JSON array")
case("header-string.safetensors", safetensors("a"), "must be a JSON object, found a string",
     "the header is a JSON string")
case("header-invalid-utf8.safetensors", safetensors(None, raw_header=b'{"a\xff\xfe":{}}'), "not valid UTF-8",
     "invalid UTF-8 bytes in a key")
case("header-overlong-utf8.safetensors", safetensors(None, raw_header=b'{"\xc0\xaf":{}}'), "not valid UTF-8",
     "overlong UTF-8 encoding of '/'")
case("header-deep-nesting.safetensors", safetensors(None, raw_header=b"[" * 20_000 + b"]" * 20_000), "nesting deeper than",
     "20,000 nested arrays (a recursive parser would overflow the stack)")
case("header-deep-nesting-objects.safetensors", safetensors(None, raw_header=b'{"a":' * 20_000 + b"1" + b"}" * 20_000),
     "nesting deeper than", "20,000 nested objects")
case("header-duplicate-keys.safetensors",
     safetensors(None, raw_header=b'{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},'
                                  b'"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', data=b"\0" * 8),
     "is listed twice in the header", "the same tensor name twice (readers disagree on which one wins)")
case("header-duplicate-field.safetensors",
     safetensors(None, raw_header=b'{"a":{"dtype":"F32","dtype":"F16","shape":[1],"data_offsets":[0,4]}}', data=b"\0" * 4),
     "duplicate key", "a field given twice inside one tensor entry")
case("header-nul-padding.safetensors", safetensors(VALID_HEADER, VALID_DATA, pad=b"\0") if len(header_json(VALID_HEADER)) % 8
     else safetensors(None, VALID_DATA, raw_header=header_json(VALID_HEADER) + b"\0" * 8), "NUL bytes after the JSON document",
     "header padded with NUL bytes instead of spaces")
case("header-trailing-garbage.safetensors", safetensors(None, VALID_DATA, raw_header=header_json(VALID_HEADER) + b" x"),
     "unexpected bytes after the JSON document", "a second token after the header object")
case("header-bom.safetensors", safetensors(None, VALID_DATA, raw_header=b"\xef\xbb\xbf" + header_json(VALID_HEADER)),
     "header is not valid JSON", "a UTF-8 byte-order mark before the JSON")
case("header-lone-surrogate.safetensors",
     safetensors(None, b"\0" * 4, raw_header=b'{"\\ud800":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}'),
     "lone leading surrogate", "a tensor name with an unpaired UTF-16 surrogate escape")
case("header-control-char.safetensors",
     safetensors(None, b"\0" * 4, raw_header=b'{"a\x01":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}'),
     "raw control character", "an unescaped control character in a key")
case("header-truncated-json.safetensors", safetensors(None, raw_header=header_json(VALID_HEADER)[:-3]),
     "header is not valid JSON", "the JSON text stops in the middle")

# Tensor table: geometry.
case("overlap.safetensors", safetensors({"a": tensor("F32", [2], 0, 8), "b": tensor("F32", [2], 4, 12)}, b"\0" * 12),
     "overlap", "b's data starts inside a's")
case("aliasing.safetensors", safetensors({"a": tensor("F32", [2], 0, 8), "b": tensor("F32", [2], 0, 8)}, b"\0" * 8),
     "overlap", "two tensors share the same bytes")
case("hole.safetensors", safetensors({"a": tensor("F32", [1], 0, 4), "b": tensor("F32", [1], 8, 12)}, b"\0" * 12),
     "a hole of 4 bytes", "4 unused bytes between two tensors")
case("hole-at-start.safetensors", safetensors({"a": tensor("F32", [1], 4, 8)}, b"\0" * 8),
     "a hole of 4 bytes", "the first tensor does not start at offset 0")
case("trailing-bytes.safetensors", safetensors(VALID_HEADER, VALID_DATA + b"\0" * 5), "5 trailing bytes",
     "5 bytes after the last tensor")
case("offsets-reversed.safetensors", safetensors({"a": tensor("F32", [0], 8, 4)}, b"\0" * 8), "end before they begin",
     "data_offsets [8, 4]")
case("offsets-past-end.safetensors", safetensors({"a": tensor("F32", [1024], 0, 4096)}, b"\0" * 16), "truncated",
     "a tensor whose data runs past the end of the file")
case("offsets-three.safetensors", safetensors({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4, 8]}}, b"\0" * 4),
     "data_offsets must be an array of two integers", "three data offsets")
case("offsets-huge.safetensors", safetensors({"a": tensor("U8", [0], 2**64, 2**64)}), "larger than 2^53",
     "data_offsets of 2^64")

# Tensor table: shape and dtype.
case("shape-dtype-overflow.safetensors", safetensors({"a": tensor("F64", [2**31, 2**31, 4], 0, 0)}),
     "overflows the byte count", "2^31 x 2^31 x 4 elements of 8 bytes overflow 64 bits")
case("shape-overflow-wraps-to-zero.safetensors", safetensors({"a": tensor("U8", [2**32, 2**32], 0, 0)}),
     "overflows the byte count", "2^64 elements: a wrapping multiply would give 0 and match the empty range")
case("shape-byte-mismatch.safetensors", safetensors({"a": tensor("F32", [3], 0, 8)}, b"\0" * 8), "needs 12",
     "shape [3] of F32 needs 12 bytes, data_offsets hold 8")
case("shape-negative.safetensors", safetensors({"a": tensor("F32", [-1], 0, 0)}), "is negative", "a dimension of -1")
case("shape-fractional.safetensors", safetensors({"a": tensor("F32", [1.5], 0, 6)}, b"\0" * 6), "not an integer",
     "a dimension of 1.5")
case("shape-exponent.safetensors", safetensors(None, b"\0" * 4,
     raw_header=b'{"a":{"dtype":"F32","shape":[1e0],"data_offsets":[0,4]}}'), "not an integer", "a dimension written 1e0")
case("shape-over-2^53.safetensors", safetensors({"a": tensor("U8", [2**53 + 1], 0, 0)}), "larger than 2^53",
     "a dimension above 2^53 (not exact as a double)")
case("shape-string.safetensors", safetensors({"a": {"dtype": "F32", "shape": "2", "data_offsets": [0, 8]}}, b"\0" * 8),
     "shape must be an array", "shape given as a string")
case("shape-string-dim.safetensors", safetensors({"a": tensor("F32", ["2"], 0, 8)}, b"\0" * 8),
     "shape must be a non-negative integer", "a dimension given as a string")
case("dtype-unknown.safetensors", safetensors({"a": tensor("F128", [1], 0, 16)}, b"\0" * 16), 'unknown dtype "F128"',
     "dtype F128 does not exist")
case("dtype-lowercase.safetensors", safetensors({"a": tensor("f32", [1], 0, 4)}, b"\0" * 4), 'unknown dtype "f32"',
     "dtype names are case-sensitive")
case("dtype-number.safetensors", safetensors({"a": tensor(4, [1], 0, 4)}, b"\0" * 4), "dtype must be a string",
     "dtype given as a number")
case("sub-byte-odd.safetensors", safetensors({"a": tensor("F4", [3], 0, 2)}, b"\0" * 2), "overflows the byte count",
     "3 F4 elements do not fill whole bytes")
case("extra-field.safetensors", safetensors({"a": {**tensor("F32", [1], 0, 4), "stride": [1]}}, b"\0" * 4),
     'unexpected field "stride"', "an extra field in a tensor entry")
case("missing-field.safetensors", safetensors({"a": {"dtype": "F32", "data_offsets": [0, 4]}}, b"\0" * 4),
     'missing field "shape"', "a tensor entry without shape")
case("tensor-not-object.safetensors", safetensors({"a": [0, 4]}, b"\0" * 4), "expected an object",
     "a tensor entry that is an array")
case("metadata-non-string.safetensors", safetensors({"__metadata__": {"epoch": 3}, **{"a": tensor("F32", [1], 0, 4)}}, b"\0" * 4),
     '"__metadata__" entry "epoch" must be a string', "a metadata value that is a number")
case("metadata-nested.safetensors", safetensors({"__metadata__": {"cfg": {"x": "y"}}}), "must be a string",
     "a metadata value that is an object")
case("metadata-not-object.safetensors", safetensors({"__metadata__": ["format", "pt"]}), "must be an object of strings",
     "__metadata__ is an array")

# Compressed inputs (zstd frames built by hand from raw blocks).
case("zstd-corrupt-reserved-bit.safetensors.zst", zstd_frame(VALID, reserved_bit=True), "zstd",
     "frame header with the reserved bit set")
case("zstd-corrupt-block-type.safetensors.zst", zstd_frame(VALID, block_type=3), "zstd",
     "a block of the reserved type 3")
case("zstd-truncated-frame.safetensors.zst", zstd_frame(VALID)[:-10], "zstd",
     "the frame stops inside its last block")
case("zstd-missing-last-block.safetensors.zst", zstd_frame(VALID, drop_last_block=True), "zstd",
     "no block carries the last-block flag")
case("zstd-wrong-content-size.safetensors.zst", zstd_frame(VALID, declared_size=len(VALID) + 100), "zstd",
     "the frame declares 100 more bytes than its blocks hold")
case("zstd-magic-only.safetensors.zst", struct.pack("<I", 0xFD2FB528), "zstd", "the zstd magic number and nothing else")
case("zstd-trailing-garbage.safetensors.zst", zstd_frame(VALID) + b"garbage!", "zstd",
     "a valid frame followed by bytes that are not a frame")
case("zstd-of-malformed.safetensors.zst", zstd_frame(safetensors({"a": tensor("F32", [1], 0, 4), "b": tensor("F32", [1], 0, 4)}, b"\0" * 4)),
     "overlap", "a well-formed frame whose content is a malformed safetensors file")

# Hugging Face folders.
SHARD = safetensors({"__metadata__": {"format": "pt"}, "a": tensor("F32", [1], 0, 4)}, b"\0" * 4)


def index(weight_map):
    return json.dumps({"metadata": {"total_size": 4}, "weight_map": weight_map}, indent=2).encode() + b"\n"


case("folder-index-parent-path", {"model.safetensors.index.json": index({"a": "../truncated-at-000.safetensors"})},
     "is not a plain file name", "the index names a file in the parent folder")
case("folder-index-absolute-path", {"model.safetensors.index.json": index({"a": "/etc/passwd"})},
     "is not a plain file name", "the index names an absolute path")
case("folder-index-dotdot", {"model.safetensors.index.json": index({"a": ".."})},
     "is not a plain file name", "the index names ..")
case("folder-index-symlink-out", {"model.safetensors.index.json": index({"a": "model-00001-of-00001.safetensors"}),
                                  "model-00001-of-00001.safetensors": ("symlink", "../not-a-case/outside.safetensors")},
     "outside this folder", "the shard is a symlink to a file in another folder")

# Support files that are not cases themselves: the valid file the symlink above points at.
SUPPORT = {"not-a-case": {"outside.safetensors": VALID,
                          "README": b"Valid files that hostile cases point at from outside their folder.\n"}}
case("folder-index-missing-shard", {"model.safetensors.index.json": index({"a": "model-00001-of-00002.safetensors",
                                                                          "b": "model-00002-of-00002.safetensors"}),
                                    "model-00001-of-00002.safetensors": SHARD},
     "model-00002-of-00002.safetensors", "the index names a shard that does not exist")
case("folder-index-not-json", {"model.safetensors.index.json": b"{\"weight_map\": {\"a\": \"x\",}}\n"},
     "is not valid JSON", "a trailing comma in the index")
case("folder-index-no-weight-map", {"model.safetensors.index.json": b"{\"metadata\": {}}\n"},
     "has no \"weight_map\" object", "an index without weight_map")
case("folder-index-non-string-shard", {"model.safetensors.index.json": index({"a": 1})},
     "must name a shard file", "a weight_map value that is a number")
case("folder-index-tensor-not-in-shard", {"model.safetensors.index.json": index({"a": "model-00001-of-00001.safetensors",
                                                                                "z": "model-00001-of-00001.safetensors"}),
                                          "model-00001-of-00001.safetensors": SHARD},
     "tensor \"z\" is in the weight_map but missing", "the index lists a tensor the shard lacks")
case("folder-index-malformed-shard", {"model.safetensors.index.json": index({"a": "model-00001-of-00001.safetensors"}),
                                      "model-00001-of-00001.safetensors": VALID[:20]},
     "runs past the end", "the index's shard is truncated")
case("folder-malformed-single", {"config.json": b"{}\n", "model.safetensors": VALID[:-1]}, "truncated",
     "a single-file folder whose model.safetensors is truncated")
case("folder-config-not-json", {"config.json": b"{\"hidden_size\": 768\n", "model.safetensors": VALID},
     "config.json is not valid JSON", "a config.json that stops early")
case("folder-empty-model-dir", {"config.json": b"{}\n"}, "no model.safetensors", "config but no weights")


# --- writing -------------------------------------------------------------------------------------

def write_case(base, name, content):
    path = os.path.join(base, name)
    if isinstance(content, bytes):
        with open(path, "wb") as f:
            f.write(content)
        return
    os.mkdir(path)
    for entry, value in sorted(content.items()):
        target = os.path.join(path, entry)
        if isinstance(value, tuple) and value[0] == "symlink":
            os.symlink(value[1], target)
        else:
            with open(target, "wb") as f:
                f.write(value)


def manifest():
    cases = [{"path": name, "expect": expect, "why": why} for name, _, expect, why in CASES]
    return json.dumps({
        "about": "Hostile inputs for ckpt. Each case must exit 2 with `expect` in the message, "
                 "never crash, hang or write output. Generated by scripts/make_hostile_corpus.py.",
        "cases": cases,
    }, indent=2, ensure_ascii=False).encode() + b"\n"


def build(base):
    names = [c[0] for c in CASES]
    assert len(set(names)) == len(names), "duplicate case names"
    os.makedirs(base)
    for name, content, _, _ in CASES:
        write_case(base, name, content)
    for name, content in SUPPORT.items():
        write_case(base, name, content)
    with open(os.path.join(base, "expected.json"), "wb") as f:
        f.write(manifest())


def snapshot(base):
    """Every path under base with its content (or link target), for --check."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(base):
        for n in dirnames + filenames:
            p = os.path.join(dirpath, n)
            rel = os.path.relpath(p, base)
            if os.path.islink(p):
                out[rel] = ("link", os.readlink(p))
            elif os.path.isfile(p):
                with open(p, "rb") as f:
                    out[rel] = ("file", f.read())
            else:
                out[rel] = ("dir", None)
    return out


def write_or_check(root, build, count, script):
    """`--check`: build into a scratch copy and compare it with the committed `root`; else rewrite `root`.
    Shared with scripts/make_hostile_images.py."""
    root = os.path.normpath(root)
    rel = os.path.relpath(root, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    if "--check" in sys.argv:
        tmp = root + ".check"
        shutil.rmtree(tmp, ignore_errors=True)
        build(tmp)
        same = snapshot(tmp) == snapshot(root)
        shutil.rmtree(tmp)
        if not same:
            sys.exit(f"{rel} is out of date: run scripts/{script} and commit the result")
        print(f"{rel} up to date ({count} cases)")
        return
    shutil.rmtree(root, ignore_errors=True)
    build(root)
    print(f"wrote {count} cases to {rel}")


def main():
    write_or_check(ROOT, build, len(CASES), "make_hostile_corpus.py")


if __name__ == "__main__":
    main()
