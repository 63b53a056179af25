#!/usr/bin/env python3
"""Writes the hostile DICOM corpus: Tests/Corpus/hostile-dicom/ and its manifest expected.json.

Every case is a file that `ckpt inspect --decode` (and every command reading DICOM) must refuse with
exit code 2 and a message containing the file's name and the case's `expect` substring, without
crashing, hanging, writing anything, or (HostileDICOMTests measures it) a peak RSS above 64 MiB:
headers that lie about the image size are refused before pixel memory is touched. Plain Python
(standard library only) and deterministic: CI checks the committed files with
`python3 scripts/make_hostile_dicom.py --check`.
"""
import os
import struct
import zlib

from make_hostile_corpus import write_file_corpus, write_or_check

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Corpus",
                                     "hostile-dicom"))

LONG_VRS = {b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"UC", b"UN", b"UR", b"UT", b"SV", b"UV"}
UNDEFINED = 0xFFFFFFFF


def el(group, element, vr, value, length=None):
    """An explicit VR little endian element; `length` overrides the written length."""
    n = len(value) if length is None else length
    head = struct.pack("<HH", group, element) + vr
    if vr in LONG_VRS:
        return head + b"\0\0" + struct.pack("<I", n) + value
    return head + struct.pack("<H", n) + value


def item(value=b"", length=None):
    return struct.pack("<HHI", 0xFFFE, 0xE000, len(value) if length is None else length) + value


ITEM_END = struct.pack("<HHI", 0xFFFE, 0xE00D, 0)
SEQ_END = struct.pack("<HHI", 0xFFFE, 0xE0DD, 0)


def text(s):
    b = s.encode()
    return b + (b" " if len(b) % 2 else b"")


def uid(s):
    b = s.encode()
    return b + (b"\0" if len(b) % 2 else b"")


def us(v):
    return struct.pack("<H", v)


def part10(dataset, syntax="1.2.840.10008.1.2.1", sop="1.2.840.10008.5.1.4.1.1.7"):
    meta = el(0x0002, 0x0001, b"OB", b"\0\1") + el(0x0002, 0x0002, b"UI", uid(sop)) \
        + el(0x0002, 0x0010, b"UI", uid(syntax))
    return b"\0" * 128 + b"DICM" + el(0x0002, 0x0000, b"UL", struct.pack("<I", len(meta))) + meta + dataset


def image(rows, cols, bits=16, photometric="MONOCHROME2", samples=1, frames=None, extra=b""):
    out = el(0x0008, 0x0016, b"UI", uid("1.2.840.10008.5.1.4.1.1.7")) + extra
    out += el(0x0028, 0x0002, b"US", us(samples)) + el(0x0028, 0x0004, b"CS", text(photometric))
    if frames is not None:
        out += el(0x0028, 0x0008, b"IS", text(str(frames)))
    out += el(0x0028, 0x0010, b"US", us(rows)) + el(0x0028, 0x0011, b"US", us(cols))
    out += el(0x0028, 0x0100, b"US", us(bits)) + el(0x0028, 0x0101, b"US", us(bits))
    out += el(0x0028, 0x0102, b"US", us(bits - 1)) + el(0x0028, 0x0103, b"US", us(0))
    return out


def native(rows, cols, data):
    return el(0x7FE0, 0x0010, b"OW", data)


def encapsulated(*fragments, closed=True):
    out = el(0x7FE0, 0x0010, b"OB", b"", length=UNDEFINED) + item()
    for f in fragments:
        out += item(f + (b"\0" if len(f) % 2 else b""))
    return out + (SEQ_END if closed else b"")


VALID = part10(image(4, 4) + native(4, 4, bytes(range(32))))


def j2k_header(width, height):
    """A JPEG 2000 main header (SIZ, COD, QCD) claiming width × height in one tile, then one empty tile."""
    siz = struct.pack(">HHIIIIIIIIH", 0xFF51, 41, 0, width, height, 0, 0, width, height, 0, 0) + bytes([1, 15, 1, 1])
    # Rsiz is 16 bits: rebuild with the right field widths.
    siz = struct.pack(">HHH", 0xFF51, 41, 0) + struct.pack(">IIIIIIII", width, height, 0, 0, width, height, 0, 0) \
        + struct.pack(">H", 1) + bytes([15, 1, 1])
    cod = struct.pack(">HHB", 0xFF52, 12, 0) + struct.pack(">BHB", 0, 1, 0) + bytes([5, 4, 4, 0, 1])
    qcd = struct.pack(">HHB", 0xFF5C, 3 + 16, 0x40) + bytes([0x48] * 16)
    sot = struct.pack(">HHHIBB", 0xFF90, 10, 0, 0, 0, 1)
    return b"\xff\x4f" + siz + cod + qcd + sot + b"\xff\x93" + b"\xff\xd9"


def jls_header(width, height):
    """A JPEG-LS frame (SOF55) claiming width × height, a scan header and no data."""
    sof = b"\xff\xf7" + struct.pack(">HBHHB", 11, 16, height, width, 1) + bytes([1, 0x11, 0])
    sos = b"\xff\xda" + struct.pack(">HB", 8, 1) + bytes([1, 0, 0, 0, 0])
    return b"\xff\xd8" + sof + sos + b"\xff\xd9"


def nested(depth):
    """`depth` sequences of undefined length, each in an item of the one above, all closed."""
    inner = b""
    for _ in range(depth):
        inner = el(0x0040, 0xA730, b"SQ", b"", length=UNDEFINED) + item(inner, length=UNDEFINED) + ITEM_END + SEQ_END \
            if inner else el(0x0040, 0xA730, b"SQ", b"", length=UNDEFINED) + SEQ_END
    return inner


CASES = []  # (file name, bytes, expected substring, why)


def case(name, content, expect, why, dicom=True):
    """`dicom=False`: content ckpt does not take for DICOM, so commands that read any format (inspect)
    report it as another format; the reader itself gives `expect`."""
    CASES.append((name, content, expect, why, dicom))


case("empty.dcm", b"", "empty", "a zero-byte file", dicom=False)
case("text.dcm", b"patient: 1234\nfindings: none\n", "not a DICOM file", "text under a DICOM name", dicom=False)
case("png-named.dcm", b"\x89PNG\r\n\x1a\n" + b"\0" * 200, "no DICM at offset 128", "a PNG under a DICOM name", dicom=False)
case("truncated-header.dcm", VALID[:140], "truncated", "a Part 10 file cut inside the file meta information")
case("truncated-pixels.dcm", VALID[:-7], "truncated", "a file cut in its pixel data (the element's length runs past the end)")
case("short-pixel-data.dcm", part10(image(64, 64) + native(64, 64, b"\0" * 100)), "PixelData holds 100 bytes",
     "pixel data shorter than rows x columns x 2")
case("bomb.dcm", part10(image(65535, 65535) + native(1, 1, b"\0" * 64)), "pixels",
     "rows x columns = 4.29 G pixels, over the limit (named with its flag)")
case("lying-header.dcm", part10(image(12000, 12000) + native(1, 1, b"\0" * 64)), "PixelData holds 64 bytes",
     "a header claiming 144 M pixels (under the limit) over 64 bytes of data: refused without allocating")
case("deep-sequence.dcm", part10(image(4, 4, extra=nested(3000)) + native(4, 4, bytes(32))), "nested more than 64",
     "a sequence nested 3000 deep")
case("unclosed-sequence.dcm",
     part10(image(4, 4, extra=el(0x0040, 0xA730, b"SQ", b"", length=UNDEFINED) + item(b"", length=UNDEFINED)
                  + el(0x0008, 0x0100, b"SH", text("X")))),
     "no delimiter", "a sequence of undefined length whose item is never closed")
case("unclosed-pixel-data.dcm", part10(image(4, 4) + encapsulated(b"\xff\xd8\xff\xd9", closed=False),
                                       syntax="1.2.840.10008.1.2.4.70"),
     "no delimiter", "encapsulated pixel data without a sequence delimiter")
case("huge-length.dcm", part10(image(4, 4) + el(0x0009, 0x0010, b"OB", b"", length=0xFFFFFFF0)), "runs past the end",
     "an element claiming 4 GiB")
case("bad-vr.dcm", part10(image(4, 4) + b"\x09\x00\x10\x00\x01\x02\x04\x00abcd"), "value representation",
     "explicit VR bytes that are no VR")
case("j2k-bomb.dcm", part10(image(64, 64) + encapsulated(j2k_header(60000, 60000)), syntax="1.2.840.10008.1.2.4.90"),
     "JPEG 2000 image is 60000 x 60000", "a JPEG 2000 codestream whose header claims 3.6 G pixels")
case("jls-bomb.dcm", part10(image(64, 64) + encapsulated(jls_header(60000, 60000)), syntax="1.2.840.10008.1.2.4.80"),
     "JPEG-LS frame is 60000 x 60000", "a JPEG-LS frame header claiming 3.6 G pixels")
case("j2k-lying.dcm", part10(image(12000, 12000) + encapsulated(j2k_header(12000, 12000)), syntax="1.2.840.10008.1.2.4.90"),
     "JPEG 2000", "DICOM and JPEG 2000 headers agreeing on 144 M pixels (under the limit) over an empty tile")
case("jls-lying.dcm", part10(image(12000, 12000) + encapsulated(jls_header(12000, 12000)), syntax="1.2.840.10008.1.2.4.80"),
     "JPEG-LS", "DICOM and JPEG-LS headers agreeing on 144 M pixels over no scan data")
case("jpeg-lossless-lying.dcm",
     part10(image(12000, 12000) + encapsulated(
         b"\xff\xd8\xff\xc3\x00\x0b\x10" + struct.pack(">HH", 12000, 12000) + b"\x01\x01\x11\x00"
         + b"\xff\xc4\x00\x14\x00" + bytes([1] + [0] * 15) + b"\x00"
         + b"\xff\xda\x00\x08\x01\x01\x00\x01\x00\x00" + b"\x00" * 64 + b"\xff\xd9"),
            syntax="1.2.840.10008.1.2.4.70"),
     "cannot hold 12000 x 12000 samples", "a lossless JPEG frame of 144 M samples over 64 bytes of scan data")
case("jpeg12-lying.dcm",
     part10(image(12000, 12000) + encapsulated(
         b"\xff\xd8\xff\xdb\x00\x83\x10" + b"\x00\x01" * 64
         + b"\xff\xc1\x00\x0b\x0c" + struct.pack(">HH", 12000, 12000) + b"\x01\x01\x11\x00"
         + b"\xff\xc4\x00\x14\x00" + bytes([1] + [0] * 15) + b"\x00"
         + b"\xff\xc4\x00\x14\x10" + bytes([1] + [0] * 15) + b"\x00"
         + b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00" + b"\x00" * 64 + b"\xff\xd9"),
            syntax="1.2.840.10008.1.2.4.51"),
     "cannot hold 2250000 blocks", "a 12-bit JPEG DCT frame of 144 M samples over 64 bytes of scan data")
case("rle-lying.dcm",
     part10(image(12000, 12000) + encapsulated(struct.pack("<16I", 2, 64, 72, *([0] * 13)) + b"\x81\x00" * 8),
            syntax="1.2.840.10008.1.2.5"),
     "cannot hold 2 segments", "RLE segments of 16 bytes for 144 M pixels")
case("jpeg-lossless-garbage.dcm",
     part10(image(4, 4) + encapsulated(b"\xff\xd8\xff\xc3\x00\x0b\x10\x00\x04\x00\x04\x01\x01\x11\x00\xff\xda\x00\x08\x01\x01\x00\x01\x00\x00" + b"\xaa" * 8 + b"\xff\xd9"),
            syntax="1.2.840.10008.1.2.4.70"),
     "JPEG lossless", "a lossless JPEG scan without Huffman tables")
case("rle-bad-offsets.dcm",
     part10(image(4, 4) + encapsulated(struct.pack("<16I", 2, 64, 9999, *([0] * 13)) + b"\0" * 16),
            syntax="1.2.840.10008.1.2.5"),
     "RLE", "RLE segment offsets past the fragment")
case("deflate-bomb.dcm", part10(zlib.compress(b"\0" * (256 << 20), 9)[2:-4], syntax="1.2.840.10008.1.2.1.99"),
     "inflated dataset", "a deflated dataset of 256 MiB of zeros in 256 KiB")
case("unsupported-syntax.dcm", part10(image(4, 4) + encapsulated(b"\0" * 8), syntax="1.2.840.10008.1.2.4.201"),
     "1.2.840.10008.1.2.4.201 (High-Throughput JPEG 2000", "a transfer syntax ckpt does not read (HTJ2K)")
case("unknown-syntax.dcm", part10(image(4, 4) + native(4, 4, bytes(32)), syntax="1.2.3.4.5"),
     "1.2.3.4.5 (unknown transfer syntax)", "a transfer syntax UID nobody knows")
case("colour.dcm", part10(image(4, 4, bits=8, photometric="RGB", samples=3) + native(4, 4, bytes(48))), "colour",
     "an RGB image")
case("multi-frame.dcm", part10(image(4, 4, frames=2) + native(4, 4, bytes(64))), "multi-frame", "two frames")
case("no-pixel-data.dcm", part10(image(4, 4)), "(7FE0,0010) PixelData is missing", "a header without pixel data")


ABOUT = ("Hostile DICOM files. Each case must exit 2 naming the file, with `expect` in the message, within 64 MiB "
         "of peak RSS, and write nothing. Generated by scripts/make_hostile_dicom.py.")


def build(base):
    write_file_corpus(base, {name: content for name, content, _, _, _ in CASES}, ABOUT,
                      [{"path": name, "expect": expect, "why": why, "dicom": dicom}
                       for name, _, expect, why, dicom in CASES])


def main():
    write_or_check(ROOT, build, len(CASES), "make_hostile_dicom.py")


if __name__ == "__main__":
    main()
