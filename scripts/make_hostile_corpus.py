#!/usr/bin/env python3
"""Writes the hostile-input corpus: Tests/Corpus/hostile/ and its manifest expected.json.

Every case is a file or a Hugging Face-style folder that ckpt must refuse with exit code 2 and a
message containing the case's `expect` substring, without crashing, hanging or writing anything.
Plain Python (standard library only) and deterministic: running it again reproduces the committed
files byte for byte, which CI checks (`python3 scripts/make_hostile_corpus.py --check`).

The zstd cases use hand-built frames of raw blocks (RFC 8878 §3.1), so no zstd module is needed.

The manifest's `memory` section lists inputs aimed at memory (issue 14): HostileMemoryTests runs
`inspect` and `verify --strict` on each and bounds their peak RSS. The small ones ckpt refuses are also
ordinary cases here; the large ones (up to 114 MB) are not committed but written at test time:

    python3 scripts/make_hostile_corpus.py --memory-cases DIR
"""
import json
import os
import shutil
import struct
import sys
import zlib

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


# --- memory: inputs that ask for far more memory than their size (issue 14, item 4) --------------
#
# Each is run by HostileMemoryTests under `inspect` and `verify --strict`, whose peak RSS must stay
# within 64 MiB plus the size of the legitimate output (what the run prints). The small ones that ckpt
# refuses are ordinary corpus cases as well (committed, driven through every command above); the
# large ones (up to 114 MB) and the accepted ones are not committed: the test writes them at run time
# with `--memory-cases DIR`. These limits must match the Swift constants named beside them.

SAFETENSORS_MAX_TENSORS = 32_768   # SafetensorsHeader.maxTensors
ZIP_MAX_ENTRIES = 131_072 + 1_024  # ZipArchive.maxEntries: PickleMachine.Limits.maxContainers + records
ZSTD_MAX_WINDOW_LOG = 25           # Zstd.maxWindowLog (32 MiB)
PICKLE_MAX_GATHERED = 32 << 20     # StridedLayout.maxGatheredBytes beyond the archive's own size

MEMORY = []  # (name, builder: () -> bytes, expect or None when accepted, why, committed)


def memory(name, build, expect, why, committed=False):
    MEMORY.append((name, build, expect, why, committed))
    if committed:
        assert expect is not None, "only refused inputs are ordinary corpus cases"
        case(name, build(), expect, why)


def crc32(data):
    return zlib.crc32(data) & 0xFFFFFFFF


def zip_stored(entries, eocd=None):
    """A zip of stored entries as torch.save lays it out (zip64 records when over 65,535 entries).
    `eocd(body, directory, count)` may replace the end records with lying ones."""
    body, directory, offset = [], [], 0
    for name, data in entries:
        n = name.encode()
        local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 0, 0, 0, crc32(data), len(data), len(data), len(n), 0) + n + data
        body.append(local)
        directory.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 0, 0, 0, crc32(data), len(data), len(data),
                                     len(n), 0, 0, 0, 0, 0, offset) + n)
        offset += len(local)
    body, directory = b"".join(body), b"".join(directory)
    if eocd is not None:
        return body + directory + eocd(len(body), len(directory), len(entries))
    count = len(entries)
    if count <= 0xFFFF:
        return body + directory + struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, len(directory), len(body), 0)
    return body + directory + zip64_end(count, len(directory), len(body), len(body) + len(directory))


def zip64_end(count, cd_size, cd_offset, record_at):
    """zip64 end record, its locator, and an end record deferring to them."""
    return (struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, count, count, cd_size, cd_offset)
            + struct.pack("<IIQI", 0x07064B50, 0, record_at, 1)
            + struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0))


def pickle_int(v):
    return b"J" + struct.pack("<i", v) if -2**31 <= v < 2**31 else b"\x8a\x08" + struct.pack("<q", v)


def pickle_str(s):
    b = s.encode()
    return b"X" + struct.pack("<I", len(b)) + b


def pickle_tuple(items):
    return b"(" + b"".join(items) + b"t"


def torch_pickle(tensors):
    """A protocol-2 state dict as torch.save writes it: {name: _rebuild_tensor_v2(persistent storage,
    offset, size, stride, False, OrderedDict())}. tensors: (name, storage class, key, numel, offset, size, stride)."""
    out = b"\x80\x02}(" if tensors else b"\x80\x02}"
    for name, cls, key, numel, offset, size, stride in tensors:
        pid = pickle_tuple([pickle_str("storage"), b"ctorch\n" + cls.encode() + b"\n", pickle_str(key), pickle_str("cpu"), pickle_int(numel)])
        args = pickle_tuple([pid + b"Q", pickle_int(offset), pickle_tuple(map(pickle_int, size)), pickle_tuple(map(pickle_int, stride)),
                             b"\x89", b"ccollections\nOrderedDict\n)R"])
        out += pickle_str(name) + b"ctorch._utils\n_rebuild_tensor_v2\n" + args + b"R"
    return out + (b"u." if tensors else b".")


def pth(pickle, storages=()):
    """A torch archive: data.pkl, byteorder, the storage records, version."""
    return zip_stored([("archive/data.pkl", pickle), ("archive/byteorder", b"little")]
                      + [("archive/data/" + k, v) for k, v in storages] + [("archive/version", b"3\n")])


def zstd_window_frame(window_log, content):
    """A zstd frame that is not single-segment and has no content size, so its window descriptor alone
    sets the decoder's buffer: 2^window_log bytes. `content` is a list of (raw bytes) or (byte, count) runs,
    written as raw blocks and RLE blocks of at most 128 KiB."""
    out = struct.pack("<IB", 0xFD2FB528, 0x00) + bytes([(window_log - 10) << 3])
    blocks = []
    for run in content:
        if isinstance(run, bytes):
            blocks += [(0, run[i:i + 65536], len(run[i:i + 65536])) for i in range(0, len(run), 65536)]
        else:
            byte, count = run
            blocks += [(1, bytes([byte]), min(131072, count - i)) for i in range(0, count, 131072)]
    for i, (kind, payload, size) in enumerate(blocks):
        out += struct.pack("<I", (i == len(blocks) - 1) | (kind << 1) | (size << 3))[:3] + payload
    return out


def zeros_safetensors_header(size):
    """The header of a file holding one U8 tensor of `size` zero bytes."""
    full = safetensors({"zeros": tensor("U8", [size], 0, size)})
    return full


def tiny_tensors_header(count):
    """A valid file with `count` one-byte U8 tensors (their data: count zero bytes)."""
    h = "{" + ",".join('"t%07d":{"dtype":"U8","shape":[1],"data_offsets":[%d,%d]}' % (i, i, i + 1) for i in range(count)) + "}"
    return safetensors(None, bytes(count), raw_header=h.encode())


def zip_sharing_one_header(count):
    """data.pkl, then `count` more central entries that all point at data.pkl's local header."""
    n = b"archive/data.pkl"
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 0, 0, 0, crc32(EMPTY_STATE_DICT), 4, 4, len(n), 0) + n + EMPTY_STATE_DICT
    names = [n] + [b"archive/data/%d" % i for i in range(1, count + 1)]
    directory = b"".join(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 0, 0, 0, crc32(EMPTY_STATE_DICT), 4, 4,
                                     len(name), 0, 0, 0, 0, 0, 0) + name for name in names)
    return local + directory + zip64_end(count + 1, len(directory), len(local), len(local) + len(directory))


def with_entry_size(archive, size):
    """`archive` with the first central entry's two sizes replaced by `size`."""
    at = archive.index(struct.pack("<I", 0x02014B50))
    return archive[:at + 20] + struct.pack("<II", size, size) + archive[at + 28:]


EMPTY_STATE_DICT = b"\x80\x02}."
SMALL_PTH = pth(EMPTY_STATE_DICT)

# zip: entry counts and central directories that lie.
memory("zip-million-entries.pth",
       lambda: zip_stored([("archive/data.pkl", EMPTY_STATE_DICT)] + [("archive/data/%d" % i, b"") for i in range(1_000_000)]),
       "1000001 entries", "a 114 MB zip of a million empty records (and an empty state dict)")
memory("zip-entries-at-limit.pth",
       lambda: zip_stored([("archive/data.pkl", EMPTY_STATE_DICT)] + [("archive/data/%d" % i, b"") for i in range(ZIP_MAX_ENTRIES - 1)]),
       None, "as many zip entries as a torch archive may have (the limit), none referenced by the empty state dict")
memory("zip-lying-count.pth", lambda: SMALL_PTH[:-22] + struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 65535, 65535, 65535 * 46, 0, 0),
       "no zip64 locator", "the end record claims 65,535 entries in a 3 MB directory of a 300-byte file", committed=True)
memory("zip64-lying-count.pth",
       lambda: zip_stored([("archive/data.pkl", EMPTY_STATE_DICT), ("archive/version", b"3\n")],
                          eocd=lambda body, cd, n: zip64_end(3_900_000, 500 << 20, 0, body + cd)),
       "3900000 entries", "the zip64 end record claims 3.9 million entries and a 500 MB directory", committed=True)
memory("zip64-lying-directory-size.pth",
       lambda: zip_stored([("archive/data.pkl", EMPTY_STATE_DICT), ("archive/version", b"3\n")],
                          eocd=lambda body, cd, n: zip64_end(100_000, 100_000 * 46, 0, body + cd)),
       "runs past its end record", "100,000 entries in a 4.6 MB directory claimed by a 300-byte file", committed=True)
memory("zip-lying-directory-offset.pth",
       lambda: SMALL_PTH[:-22] + struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 3, 3, 46 * 3, 0xFFFFFFF0, 0),
       "runs past its end record", "the central directory is said to start 4 GB into a 300-byte file", committed=True)
memory("zip-lying-entry-size.pth", lambda: with_entry_size(SMALL_PTH, 1 << 30),
       "run past the archive data", "the central directory gives data.pkl a size of 1 GiB", committed=True)
memory("zip-entries-share-one-header.pth", lambda: zip_sharing_one_header(60_000),
       "local header names", "60,000 central entries all pointing at the same local header")

# pickle: memo, nesting and sizes claimed by opcodes.
memory("pickle-memo-million.pth", lambda: pth(b"\x80\x04" + b"}\x94" * 1_000_000 + b"."),
       "more than 131072 tuples, lists and dicts", "a million new dicts, each memoized (MEMOIZE)")
memory("pickle-memo-none-4M.pth", lambda: pth(b"\x80\x04N" + b"\x94" * 4_000_000 + b"."),
       "memo grew past 524288 entries", "four million memo entries of None")
memory("pickle-memo-index-2^32.pth", lambda: pth(b"\x80\x02}r\xff\xff\xff\xff."),
       None, "one memo entry at index 2^32-1 (a sparse memo, not a 4-billion-slot table)")
memory("pickle-deep-tuples.pth", lambda: pth(b"\x80\x02N" + b"\x85" * 1_000_000 + b"."),
       "tuples nested deeper than 256", "a million nested one-element tuples")
memory("pickle-deep-lists.pth", lambda: pth(b"\x80\x02" + b"]" * 1_000_000 + b"a" * 999_999 + b"."),
       "more than 131072 tuples, lists and dicts", "a million nested lists")
memory("pickle-marks.pth", lambda: pth(b"\x80\x02" + b"(" * 1_000_000 + b"."),
       "more than 65536 nested MARKs", "a million MARKs")
memory("pickle-list-million-items.pth", lambda: pth(b"\x80\x02}X\x04\x00\x00\x00list(" + b"N" * 1_000_000 + b"ls."),
       None, "a list of a million Nones beside the tensors (skipped, noted)")
memory("pickle-storage-numel-billion.pth",
       lambda: pth(torch_pickle([("w", "FloatStorage", "0", 1_000_000_000, 0, (1_000_000_000,), (1,))]), [("0", bytes(4))]),
       "numel 1000000000", "a storage declared with a billion floats over a 4-byte record", committed=True)
memory("pickle-tensor-size-billion.pth",
       lambda: pth(torch_pickle([("w", "FloatStorage", "0", 1, 0, (1_000_000_000,), (1,))]), [("0", bytes(4))]),
       "reaches element 1000000000", "a tensor of a billion floats over a one-float storage", committed=True)
memory("pickle-tensor-expand-billion.pth",
       lambda: pth(torch_pickle([("w", "FloatStorage", "0", 1, 0, (1_000_000_000,), (0,))]), [("0", bytes(4))]),
       "limit for materializing", "a stride-0 view of a billion floats over one float (expand)", committed=True)
memory("pickle-tensor-expand-many.pth",
       lambda: pth(torch_pickle([("w%02d" % i, "FloatStorage", "0", 1, 0, (4 << 20,), (0,)) for i in range(64)]), [("0", bytes(4))]),
       "what the archive's views gather", "64 stride-0 views of 16 MiB each over one 4-byte storage (1 GiB in all)", committed=True)
memory("pickle-binbytes8-claim.pth", lambda: pth(b"\x80\x04\x8e" + struct.pack("<Q", 1 << 40) + b"x."),
       "truncated", "BINBYTES8 claims 1 TiB", committed=True)
memory("pickle-binunicode8-claim.pth", lambda: pth(b"\x80\x04\x8d" + struct.pack("<Q", (1 << 63) - 1) + b"x."),
       "truncated", "BINUNICODE8 claims 2^63-1 bytes", committed=True)
memory("pickle-long4-claim.pth", lambda: pth(b"\x80\x02\x8b" + struct.pack("<I", 0x7FFFFFFF) + b"x."),
       "truncated", "LONG4 claims a 2 GB integer", committed=True)
memory("pickle-frame-claim.pth", lambda: pth(b"\x80\x04\x95" + struct.pack("<Q", 1 << 62) + b"}."),
       "runs past the end", "FRAME claims 2^62 bytes", committed=True)

# zstd: windows.
memory("zstd-window-2^41.safetensors.zst", lambda: zstd_window_frame(41, [VALID]),
       "window", "a frame whose window descriptor claims 2 TiB", committed=True)
memory("zstd-window-2^31.safetensors.zst", lambda: zstd_window_frame(31, [VALID]),
       "window", "a frame whose window descriptor claims 2 GiB", committed=True)
memory("zstd-window-2^27-bomb.safetensors.zst",
       lambda: zstd_window_frame(27, [zeros_safetensors_header(1 << 30), (0, 1 << 30)]),
       "window", "a 128 MiB window (what zstd --long uses) over 1 GiB of zeros in 33 KB of RLE blocks", committed=True)
memory("zstd-window-2^25-filled.safetensors.zst",
       lambda: zstd_window_frame(25, [zeros_safetensors_header(33 << 20), (0, 33 << 20)]),
       None, "the largest window ckpt decodes (32 MiB, zstd -20), filled: 33 MiB of zeros")

# safetensors: the JSON header.
memory("header-million-tensors.safetensors", lambda: tiny_tensors_header(1_000_000),
       "more than 32768 tensors", "a 70 MB header listing a million one-byte tensors")
memory("header-tensors-at-limit.safetensors", lambda: tiny_tensors_header(SAFETENSORS_MAX_TENSORS),
       None, "as many one-byte tensors as a header may list (the limit)")
memory("header-shape-million-dims.safetensors",
       lambda: safetensors(None, b"\0", raw_header=b'{"t":{"dtype":"U8","shape":[' + b",".join([b"1"] * 1_000_000) + b'],"data_offsets":[0,1]}}'),
       "more than the 64", "one tensor whose shape lists a million dimensions of 1 (2 MB)")
memory("header-metadata-million.safetensors",
       lambda: safetensors(None, raw_header=b'{"__metadata__":{' + b",".join(b'"k%07d":""' % i for i in range(1_000_000)) + b"}}"),
       "more than 32768 entries", "__metadata__ with a million entries (14 MB)")
memory("header-array-million.safetensors", lambda: safetensors(None, raw_header=b"[" + b",".join([b"0"] * 1_000_000) + b"]"),
       "must be a JSON object, found an array", "the header is an array of a million zeros (2 MB)")


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
    memory_cases = [{"path": name, "expect": expect, "why": why, "committed": committed}
                    for name, _, expect, why, committed in MEMORY]
    return json.dumps({
        "about": "Hostile inputs for ckpt. Each case must exit 2 with `expect` in the message, "
                 "never crash, hang or write output. Generated by scripts/make_hostile_corpus.py.",
        "cases": cases,
        "memory": {
            "about": "Inputs aimed at memory (issue 14). `inspect` and `verify --strict` must exit 2 with `expect` in "
                     "the message, or succeed where `expect` is null, within 64 MiB of peak RSS plus what they print. "
                     "`committed` cases are files of this folder; the others are written at test time by "
                     "`scripts/make_hostile_corpus.py --memory-cases DIR`.",
            "limitMiB": 64,
            "cases": memory_cases,
        },
    }, indent=2, ensure_ascii=False).encode() + b"\n"


def write_memory_cases(folder):
    """The memory cases that are not committed, into `folder` (for HostileMemoryTests)."""
    os.makedirs(folder, exist_ok=True)
    for name, make, _, _, committed in MEMORY:
        if not committed:
            with open(os.path.join(folder, name), "wb") as f:
                f.write(make())


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


def write_file_corpus(base, files, about, cases):
    """Writes `files` (name -> bytes) into `base` with an `expected.json` of `about` and `cases` (a list of
    dicts, one per file). Shared by scripts/make_hostile_images.py and scripts/make_hostile_dicom.py."""
    assert len(files) == len(cases), "duplicate case names"
    os.makedirs(base)
    for name, content in files.items():
        with open(os.path.join(base, name), "wb") as f:
            f.write(content)
    with open(os.path.join(base, "expected.json"), "wb") as f:
        f.write(json.dumps({"about": about, "cases": cases}, indent=2, ensure_ascii=False).encode() + b"\n")


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
    if "--memory-cases" in sys.argv:
        write_memory_cases(sys.argv[sys.argv.index("--memory-cases") + 1])
        return
    write_or_check(ROOT, build, len(CASES), "make_hostile_corpus.py")


if __name__ == "__main__":
    main()
