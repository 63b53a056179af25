#!/usr/bin/env python3
"""Writes the hostile image corpus: Tests/Corpus/hostile-images/ and its manifest expected.json.

Every case is a file that `ckpt preprocess` and `ckpt embed --image` must refuse with exit code 2 and a
message containing the file's name and the case's `expect` substring, without crashing, hanging, writing
anything, or (HostileImageTests measures it) a peak RSS above 64 MiB: headers that lie about the size
must be caught before pixel memory is touched. Plain Python (standard library only) and deterministic:
CI checks the committed files with `python3 scripts/make_hostile_images.py --check`.
"""
import os
import struct
import zlib

from make_hostile_corpus import write_file_corpus, write_or_check

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Corpus",
                                     "hostile-images"))


def chunk(kind, data, crc=None):
    c = zlib.crc32(kind + data) & 0xFFFFFFFF if crc is None else crc
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", c)


def png(width, height, rows=None, color=2, depth=8, idat=None, ihdr_crc=None, end=True):
    """A PNG; `rows` is the raw scanline data (filter bytes included), `idat` overrides the stream."""
    ihdr = struct.pack(">IIBBBBB", width, height, depth, color, 0, 0, 0)
    if idat is None:
        idat = zlib.compress(rows, 9)
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr, ihdr_crc) + chunk(b"IDAT", idat)
    return out + (chunk(b"IEND", b"") if end else b"")


def gradient(width, height):
    return b"".join(b"\0" + bytes((x * 7 + y * 3) % 256 for x in range(width * 3)) for y in range(height))


VALID = png(16, 12, gradient(16, 12))


def jpeg_header(width, height, components=3):
    """SOI, a quantisation table, SOF0 claiming width × height, Huffman tables, SOS: no entropy data."""
    soi = b"\xff\xd8"
    dqt = b"\xff\xdb" + struct.pack(">H", 67) + b"\x00" + bytes([1] * 64)
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 8 + 3 * components, 8, height, width, components)
    for i in range(components):
        sof += bytes([i + 1, 0x11, 0])
    # One DC and one AC table with a single one-bit code each (valid tables, meaningless image).
    dht = b"\xff\xc4" + struct.pack(">H", 2 + 17 + 1) + b"\x00" + bytes([1] + [0] * 15) + b"\x00"
    dht += b"\xff\xc4" + struct.pack(">H", 2 + 17 + 1) + b"\x10" + bytes([1] + [0] * 15) + b"\x00"
    sos = b"\xff\xda" + struct.pack(">HB", 6 + 2 * components, components)
    for i in range(components):
        sos += bytes([i + 1, 0x00])
    sos += b"\x00\x3f\x00"
    return soi + dqt + sof + dht + sos


CASES = []  # (file name, bytes, expected substring, why)


def case(name, content, expect, why):
    CASES.append((name, content, expect, why))


case("empty.png", b"", "empty file", "a zero-byte file")
case("text.png", b"patient: 1234\nfindings: none\n", "not an image", "text under an image name")
case("tiff.tif", b"II*\x00" + struct.pack("<I", 8) + b"\0" * 64, "TIFF", "a TIFF (a format ckpt does not read)")
case("dicom.dcm", b"\0" * 128 + b"DICM" + b"\x02\x00\x00\x00UL\x04\x00" + b"\0" * 32, "TransferSyntaxUID is missing",
     "a DICOM file with an empty meta group: read as DICOM (by content), refused naming the missing element")
case("gif.gif", b"GIF89a" + struct.pack("<HH", 1, 1) + b"\0" * 16, "GIF", "a GIF")
case("truncated.png", VALID[: len(VALID) // 2], "truncated", "a PNG cut in the middle of its image data")
case("no-iend.png", png(16, 12, gradient(16, 12), end=False)[:-4], "truncated", "a PNG whose last chunk is cut")
case("ihdr-crc.png", png(16, 12, gradient(16, 12), ihdr_crc=0xDEADBEEF), "CRC", "a PNG whose IHDR CRC is wrong")
case("idat-garbage.png", png(16, 12, idat=b"\x78\x9c" + b"\xff" * 40), "corrupt",
     "a PNG whose compressed stream is not zlib data")
case("bomb.png", png(100000, 100000, idat=zlib.compress(b"\0" * 300001)), "pixels",
     "a decompression bomb: the header claims 10^10 pixels")
case("lying-header.png", png(12000, 12000, idat=zlib.compress(b"\0" * 36001)), "Not enough image data",
     "a header claiming 144 M pixels (under the limit) with one row of data: refused without touching "
     "the 432 MB the header asks for")
case("rgba16-lying-header.png", png(13000, 13000, color=6, depth=16, idat=zlib.compress(b"\0" * 104001)),
     "not enough memory", "a 16-bit RGBA header of 169 M pixels (under the limit) with one row of data: its "
     "1.35 GB buffer does not fit the 1 GiB address space the test allows, which is refused, not a crash")
case("zero-width.png", png(0, 12, gradient(1, 12)), "PNG", "a PNG of width 0")
case("text-chunk-2gib.png", VALID[:33] + struct.pack(">I", 0x7FFFFFF0) + b"tEXt" + b"Comment\0" + b"x" * 64,
     "truncated", "a tEXt chunk claiming 2 GiB in a 109-byte file: skipped unread (no text chunk matters for the "
     "pixels), never allocated")
case("jpeg-bomb.jpg", jpeg_header(65000, 65000), "pixels", "a JPEG whose frame header claims 4.2 G pixels")
case("jpeg-lying-header.jpg", jpeg_header(12000, 12000), "JPEG", "a JPEG frame of 144 M pixels with no data")
case("jpeg-soi-only.jpg", b"\xff\xd8\xff", "JPEG", "a JPEG that ends after its start marker")


ABOUT = ("Hostile image files for ckpt preprocess / embed --image. Each case must exit 2 naming the file, with "
         "`expect` in the message, within 64 MiB of peak RSS and 1 GiB of address space, and write nothing. "
         "Generated by scripts/make_hostile_images.py.")


def build(base):
    write_file_corpus(base, {name: content for name, content, _, _ in CASES}, ABOUT,
                      [{"path": name, "expect": expect, "why": why} for name, _, expect, why in CASES])


def main():
    write_or_check(ROOT, build, len(CASES), "make_hostile_images.py")


if __name__ == "__main__":
    main()
