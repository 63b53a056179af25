"""Section E: image golden data -> golden/images/ (spec: golden/images/README.md).

Inputs are PNG/JPEG files written here (PNG by a small explicit encoder, so every colour type, bit depth, filter type
and Adam7 can be produced; JPEG by Pillow's libjpeg-turbo) plus real photographs copied from scikit-image's bundled
data.  Everything else is what Pillow and transformers make of them:
  decoded/  Image.open(f).convert("RGB") (and PIL's own pixels in the mode it opened)
  resized/  PIL Image.resize on that RGB image, every filter
  pixels/   transformers' BitImageProcessor backends (pil = use_fast=False, torchvision = the default) on Image.open(f)
The image-based forward cases (golden/forward/tiny-images-*) are made by the forward section from these inputs.
"""
from __future__ import annotations

import importlib.metadata as md
import io
import json
import shutil
import struct
import zlib
from collections import OrderedDict
from pathlib import Path

import numpy as np

from .common import GENERATOR_VERSION, GOLDEN, log, sha256_bytes, sha256_file, write_bytes, write_json

OUT = GOLDEN / "images"
RESCALE = 1 / 255  # repr 0.00392156862745098, as in the published configs

RAD_DINO_CONFIG = OrderedDict([
    ("crop_size", {"height": 518, "width": 518}),
    ("do_center_crop", True),
    ("do_convert_rgb", True),
    ("do_normalize", True),
    ("do_rescale", True),
    ("do_resize", True),
    ("image_mean", [0.5307, 0.5307, 0.5307]),
    ("image_processor_type", "BitImageProcessor"),
    ("image_std", [0.2583, 0.2583, 0.2583]),
    ("resample", 3),
    ("rescale_factor", RESCALE),
    ("size", {"shortest_edge": 518}),
])
DINOV2_BASE_CONFIG = OrderedDict(RAD_DINO_CONFIG, crop_size={"height": 224, "width": 224},
                                 image_mean=[0.485, 0.456, 0.406], image_std=[0.229, 0.224, 0.225],
                                 size={"shortest_edge": 256})
# The variant matrix: small sizes so every file stays a few KB.
BASE_CONFIG = OrderedDict(RAD_DINO_CONFIG, crop_size={"height": 28, "width": 28}, image_mean=[0.485, 0.456, 0.406],
                          image_std=[0.229, 0.224, 0.225], size={"shortest_edge": 28})

# Real photographs (scikit-image 0.26.0, skimage/data; licences quoted in golden/images/README.md).
REAL = [("scikit-image", "skimage/data/camera.png", "camera.png"),
        ("scikit-image", "skimage/data/rocket.jpg", "rocket.jpg")]

BACKENDS = ("pil", "torchvision")


# ---------------------------------------------------------------------------------------------
# deterministic content
# ---------------------------------------------------------------------------------------------
def pattern(H, W, C, seed, levels=256):
    """Smooth waves + seeded noise in [0, levels-1], with clipped (saturated) regions at both ends."""
    rng = np.random.default_rng(seed)
    y = (np.arange(H, dtype=np.float64)[:, None] + 0.5) / H
    x = (np.arange(W, dtype=np.float64)[None, :] + 0.5) / W
    out = np.empty((H, W, C), dtype=np.float64)
    for c in range(C):
        out[..., c] = (0.5 + 0.55 * np.sin(2 * np.pi * ((1.3 + 0.4 * c) * x + (0.7 + 0.3 * c) * y) + c)
                       + 0.2 * np.cos(2 * np.pi * (2.5 * x * y - 1.5 * y + 0.2 * c)))
    out += rng.normal(0.0, 0.08, out.shape)
    return np.clip(np.rint(out * (levels - 1)), 0, levels - 1).astype(np.int64)


def alpha_channel(H, W, seed, levels=256):
    """Alpha with fully transparent, fully opaque and partial regions."""
    rng = np.random.default_rng(seed)
    x = (np.arange(W)[None, :] + 0.5) / W
    y = (np.arange(H)[:, None] + 0.5) / H
    a = np.clip(1.6 * x - 0.3 + 0.2 * np.sin(6 * y) + rng.normal(0, 0.05, (H, W)), 0, 1)
    return np.rint(a * (levels - 1)).astype(np.int64)[..., None]


# ---------------------------------------------------------------------------------------------
# a small explicit PNG encoder (every colour type / depth, all five filter types, Adam7, extra chunks)
# ---------------------------------------------------------------------------------------------
def _chunk(cid: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + cid + data + struct.pack(">I", zlib.crc32(cid + data) & 0xFFFFFFFF)


def _pack_row(row: np.ndarray, depth: int) -> bytes:
    """row: [W, C] samples -> packed scanline bytes (MSB first below 8 bits, big-endian at 16)."""
    flat = row.reshape(-1)
    if depth == 16:
        return flat.astype(">u2").tobytes()
    if depth == 8:
        return flat.astype(np.uint8).tobytes()
    per = 8 // depth
    n = len(flat)
    padded = np.zeros(((n + per - 1) // per) * per, dtype=np.int64)
    padded[:n] = flat
    g = padded.reshape(-1, per)
    b = np.zeros(len(g), dtype=np.int64)
    for i in range(per):
        b |= g[:, i] << (8 - depth * (i + 1))
    return b.astype(np.uint8).tobytes()


def _paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def _filter(rows, bpp):
    """Filter type = row index mod 5 (None, Sub, Up, Average, Paeth) so a decoder meets all of them."""
    out = bytearray()
    prev = bytes(len(rows[0])) if rows else b""
    for i, raw in enumerate(rows):
        ft = i % 5
        f = bytearray(len(raw))
        for x in range(len(raw)):
            a = raw[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            pred = (0, a, b, (a + b) // 2, _paeth(a, b, c))[ft]
            f[x] = (raw[x] - pred) & 0xFF
        out.append(ft)
        out += f
        prev = raw
    return bytes(out)


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def png_bytes(samples: np.ndarray, color_type: int, depth: int, *, interlace=False, plte=None, trns=None,
              chunks_before_plte=(), declared_window=None) -> bytes:
    """samples: [H, W, C] ints (palette indices for colour type 3). `declared_window` rewrites the zlib header to
    claim that window size (bytes) while the stream keeps its 32 KiB matches."""
    H, W, C = samples.shape
    bpp = max(1, (C * depth) // 8)
    ihdr = struct.pack(">IIBBBBB", W, H, depth, color_type, 0, 0, 1 if interlace else 0)
    if interlace:
        raw = b""
        for (x0, y0, dx, dy) in ADAM7:
            sub = samples[y0::dy, x0::dx]
            if sub.shape[0] == 0 or sub.shape[1] == 0:
                continue  # empty pass: no bytes at all, not even filter bytes
            raw += _filter([_pack_row(r, depth) for r in sub], bpp)
    else:
        raw = _filter([_pack_row(r, depth) for r in samples], bpp)
    out = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr)
    for cid, data in chunks_before_plte:
        out += _chunk(cid, data)
    if plte is not None:
        out += _chunk(b"PLTE", np.asarray(plte, dtype=np.uint8).tobytes())
    if trns is not None:
        out += _chunk(b"tRNS", trns)
    stream = bytearray(zlib.compress(raw, 9))
    if declared_window is not None:
        stream[0] = (declared_window.bit_length() - 9) << 4 | 8  # CINFO = log2(window) - 8, CM = deflate
        stream[1] &= 0xE0
        stream[1] |= (31 - (stream[0] << 8 | stream[1]) % 31) % 31  # FCHECK
    out += _chunk(b"IDAT", bytes(stream))
    return out + _chunk(b"IEND", b"")


def srgb_icc_profile() -> bytes:
    """lcms2's sRGB profile (via Pillow's ImageCms) with its creation date fixed, so the bytes are deterministic."""
    from PIL import ImageCms

    b = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    b[24:36] = struct.pack(">6H", 2024, 1, 1, 0, 0, 0)  # dateTimeNumber
    return bytes(b)


def palette(n, seed):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, 3))


def _mid_value(s):
    """The most frequent pixel value whose samples are all in 64..191 (a colour key that is neither black nor
    white, so compositing the keyed pixels onto white changes them)."""
    px = s.reshape(-1, s.shape[-1])
    ok = px[((px >= 64) & (px <= 191)).all(1)]
    vals, counts = np.unique(ok, axis=0, return_counts=True)
    v = [int(x) for x in vals[int(np.argmax(counts))]]
    return v[0] if len(v) == 1 else v


def png_inputs():
    """(stem, bytes, note) for every PNG input."""
    out = []

    def add(stem, b, note):
        out.append((stem + ".png", b, note))

    for depth, (W, H) in ((1, (23, 17)), (2, (29, 19)), (4, (31, 21)), (8, (41, 29))):
        s = pattern(H, W, 1, 10 + depth, 1 << depth)
        add(f"gray{depth}", png_bytes(s, 0, depth), f"grayscale {depth}-bit")
    s = pattern(61, 97, 1, 26, 65536)
    s[:30] //= 128  # top rows 0..511: PIL's I;16 -> L/RGB clips at 255, so both sides of the clip show
    add("gray16", png_bytes(s, 0, 16), "grayscale 16-bit; rows 0-29 in 0..511, the rest full range")
    s = pattern(29, 41, 1, 30, 256)
    add("gray8-trns", png_bytes(s, 0, 8, trns=struct.pack(">H", _mid_value(s))),
        "grayscale 8-bit with a tRNS colour key (PIL: info['transparency'])")
    for depth in (8, 16):
        W, H = 37, 23
        g = pattern(H, W, 1, 40 + depth, 1 << depth)
        a = alpha_channel(H, W, 50 + depth, 1 << depth)
        add(f"ga{depth}", png_bytes(np.concatenate([g, a], -1), 4, depth), f"gray+alpha {depth}-bit")
    for depth, (W, H) in ((8, (97, 61)), (16, (45, 31))):
        add(f"rgb{depth}", png_bytes(pattern(H, W, 3, 60 + depth, 1 << depth), 2, depth), f"RGB {depth}-bit")
    s = pattern(22, 35, 3, 70, 256)
    add("rgb8-trns", png_bytes(s, 2, 8, trns=struct.pack(">HHH", *_mid_value(s))),
        "RGB 8-bit with a tRNS colour key")
    for depth, (W, H) in ((8, (43, 27)), (16, (39, 25))):
        rgba = np.concatenate([pattern(H, W, 3, 80 + depth, 1 << depth), alpha_channel(H, W, 90 + depth, 1 << depth)], -1)
        add(f"rgba{depth}", png_bytes(rgba, 6, depth), f"RGBA {depth}-bit")
    for depth in (1, 2, 4, 8):
        W, H = 33, 21
        n = 1 << depth if depth < 8 else 200
        idx = np.clip(pattern(H, W, 1, 100 + depth, 256) * n // 256, 0, n - 1)
        pal = palette(n, 110 + depth)
        add(f"pal{depth}", png_bytes(idx, 3, depth, plte=pal), f"palette {depth}-bit ({n} entries), no tRNS")
        # tRNS shorter than the palette (entries past it are opaque), with 0, partial and 255 alphas
        na = max(1, n // 2 + 1) if n > 2 else 1
        alphas = np.linspace(0, 255, na).round().astype(np.uint8)
        add(f"pal{depth}-trns", png_bytes(idx, 3, depth, plte=pal, trns=alphas.tobytes()),
            f"palette {depth}-bit with tRNS ({na} of {n} entries have alpha)")
    # Adam7
    add("gray1-adam7", png_bytes(pattern(17, 23, 1, 201, 2), 0, 1, interlace=True), "grayscale 1-bit, Adam7")
    add("gray8-adam7", png_bytes(pattern(29, 41, 1, 202, 256), 0, 8, interlace=True), "grayscale 8-bit, Adam7")
    add("rgb8-adam7", png_bytes(pattern(31, 47, 3, 203, 256), 2, 8, interlace=True), "RGB 8-bit, Adam7")
    add("rgb8-adam7-5x3", png_bytes(pattern(3, 5, 3, 204, 256), 2, 8, interlace=True),
        "RGB 8-bit, Adam7, 5x3: passes 2, 4 and 6 are empty")
    idx = np.clip(pattern(21, 33, 1, 205, 256) // 16, 0, 15)
    add("pal4-trns-adam7", png_bytes(idx, 3, 4, interlace=True, plte=palette(16, 206),
                                     trns=np.linspace(0, 255, 9).round().astype(np.uint8).tobytes()),
        "palette 4-bit with tRNS, Adam7")
    rgba = np.concatenate([pattern(25, 39, 3, 207, 65536), alpha_channel(25, 39, 208, 65536)], -1)
    add("rgba16-adam7", png_bytes(rgba, 6, 16, interlace=True), "RGBA 16-bit, Adam7")
    add("rgb8-1x1", png_bytes(np.array([[[200, 100, 50]]]), 2, 8), "RGB 8-bit, 1x1")
    # The same row 30 times: with the filter types cycling, zlib's matches reach 5 rows (3,005 bytes) back.
    s = np.repeat(pattern(1, 600, 1, 210, 256), 30, axis=0)
    add("gray8-window256", png_bytes(s, 0, 8, declared_window=256),
        "grayscale 8-bit whose zlib header declares a 256-byte window while its matches reach 3,005 bytes back: "
        "PIL inflates with a 32 KiB window whatever the header says (libpng's default refuses: too far back)")
    # ancillary chunks PIL keeps in info but does not apply to the pixels
    icc = srgb_icc_profile()
    extra = [(b"gAMA", struct.pack(">I", 100000)),  # gamma 1.0: far from sRGB, so applying it would show
             (b"iCCP", b"sRGB lcms2\x00\x00" + zlib.compress(icc, 9)),
             (b"tEXt", b"Comment\x00ckpt golden image"),
             (b"pHYs", struct.pack(">IIB", 2835, 2835, 1))]
    add("rgb8-gama-iccp", png_bytes(pattern(26, 40, 3, 209, 256), 2, 8, chunks_before_plte=extra),
        "RGB 8-bit with gAMA (1.0), iCCP (sRGB, lcms2), tEXt, pHYs: PIL ignores them for the pixels")
    return out


def jpeg_inputs():
    from PIL import Image

    out = []

    def add(name, im, note, **kw):
        b = io.BytesIO()
        im.save(b, "JPEG", **kw)
        out.append((name, b.getvalue(), note + " (Pillow save: " + ", ".join(f"{k}={v!r}" for k, v in kw.items()
                                                                            if k != "exif") + ")"))

    rgb = Image.fromarray(pattern(29, 37, 3, 300, 256).astype(np.uint8), "RGB")
    add("jpeg-rgb420.jpg", rgb, "baseline RGB (YCbCr) 4:2:0, 37x29 (partial MCUs)", quality=90, subsampling=2)
    add("jpeg-rgb422.jpg", rgb, "baseline RGB 4:2:2", quality=90, subsampling=1)
    add("jpeg-rgb444.jpg", rgb, "baseline RGB 4:4:4", quality=95, subsampling=0)
    big = Image.fromarray(pattern(31, 45, 3, 301, 256).astype(np.uint8), "RGB")
    add("jpeg-progressive.jpg", big, "progressive RGB 4:2:0", quality=85, subsampling=2, progressive=True)
    add("jpeg-optimized.jpg", big, "baseline RGB, optimised Huffman tables", quality=75, subsampling=2, optimize=True)
    gray = Image.fromarray(pattern(29, 41, 1, 302, 256)[..., 0].astype(np.uint8), "L")
    add("jpeg-gray.jpg", gray, "grayscale", quality=90)
    cmyk = Image.fromarray(np.concatenate([pattern(21, 33, 3, 303, 256), pattern(21, 33, 1, 304, 256)], -1)
                           .astype(np.uint8), "CMYK")
    add("jpeg-cmyk.jpg", cmyk, "CMYK as Pillow writes it (Adobe APP14 marker, inverted CMYK)", quality=90)
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 CW to display; transformers does not apply it
    add("jpeg-exif-orient6.jpg", rgb, "baseline RGB 4:2:0 with EXIF Orientation=6 (not applied by PIL.open or "
        "transformers)", quality=90, subsampling=2, exif=exif.tobytes())
    return out


def real_inputs():
    out = []
    for dist, path, name in REAL:
        d = md.distribution(dist)
        p = Path(d.locate_file(path))
        out.append((name, p.read_bytes(), f"real photograph: {dist} {d.version} {path}"))
    return out


# ---------------------------------------------------------------------------------------------
# safetensors helpers
# ---------------------------------------------------------------------------------------------
def st_save(tensors: "OrderedDict[str, np.ndarray]", metadata=None) -> bytes:
    from safetensors.numpy import save

    # One metadata key at most: safetensors writes __metadata__ from a HashMap (order not deterministic).
    assert metadata is None or len(metadata) <= 1
    return save(OrderedDict((k, np.ascontiguousarray(v)) for k, v in tensors.items()), metadata=metadata)


def write_rel(rel: str, b: bytes):
    write_bytes(OUT / rel, b)
    return {"sha256": sha256_bytes(b), "bytes": len(b)}


def _load(rel):
    from safetensors.numpy import load_file

    return load_file(str(OUT / rel))["pixel_values"]


def native_array(im):
    a = np.asarray(im)
    if a.dtype == np.bool_:
        a = a.astype(np.uint8)  # mode "1": 0/1
    return a


# ---------------------------------------------------------------------------------------------
# processors
# ---------------------------------------------------------------------------------------------
def processor_classes():
    """The classes AutoImageProcessor picks for a BitImageProcessor config: use_fast=False / backend="pil" and the
    default (torchvision installed).  Checked by loading the RAD-DINO config through AutoImageProcessor."""
    import tempfile

    from transformers import AutoImageProcessor

    out = {}
    with tempfile.TemporaryDirectory() as td:
        (Path(td) / "preprocessor_config.json").write_text(json.dumps(RAD_DINO_CONFIG))
        out["pil"] = type(AutoImageProcessor.from_pretrained(td, use_fast=False))
        out["torchvision"] = type(AutoImageProcessor.from_pretrained(td))
        assert type(AutoImageProcessor.from_pretrained(td, backend="pil")) is out["pil"]
    return out


def run_processor(cls, config, path: Path):
    """pixel_values (numpy, as transformers returns it with return_tensors='pt') or the exception."""
    from PIL import Image

    try:
        proc = cls(**config)
        with Image.open(path) as im:
            pv = proc(im, return_tensors="pt")["pixel_values"]
        return pv.numpy(), None
    except Exception as e:  # noqa: BLE001 - the refusal itself is the golden record
        return None, f"{type(e).__name__}: {e}"


def case_record(name, img, backend, cls, config):
    """Run one case and write its pixels; an exception is recorded as {"error": "<type>: <message>"}."""
    pv, err = run_processor(cls, config, OUT / "inputs" / img)
    rec = OrderedDict(name=name, image=f"inputs/{img}", backend=backend, config=config)
    if err is not None:
        rec["error"] = err
        return rec
    rel = f"pixels/{backend}/{name}.safetensors"
    rec["pixels"] = rel
    rec["dtype"] = str(pv.dtype)
    rec["shape"] = list(pv.shape)
    rec.update(write_rel(rel, st_save(OrderedDict(pixel_values=pv))))
    return rec


def cfg(base=BASE_CONFIG, **kw):
    c = OrderedDict(base)
    c.update(kw)
    return c


def case_matrix():
    """(name, image, config, backends) for the full-processor cases."""
    cases = []

    def add(name, image, config, backends=BACKENDS):
        cases.append((name, image, config, backends))

    for r in range(6):
        add(f"rgb8-r{r}-se28-crop24", "rgb8.png", cfg(resample=r, crop_size={"height": 24, "width": 24}))
        add(f"rgb8-r{r}-hw40x33-nocrop", "rgb8.png", cfg(resample=r, size={"height": 40, "width": 33},
                                                        do_center_crop=False))
        add(f"camera-r{r}-se37-crop28", "camera.png", cfg(resample=r, size={"shortest_edge": 37}))
    # shortest_edge rounding: 97x61 -> 28 x int(28*97/61 = 44.52) = 44 (truncated, not rounded)
    add("rgb8-se28-nocrop", "rgb8.png", cfg(do_center_crop=False))
    add("rgb8-se29-nocrop", "rgb8.png", cfg(size={"shortest_edge": 29}, do_center_crop=False))
    add("rgba8-se30-nocrop", "rgba8.png", cfg(size={"shortest_edge": 30}, do_center_crop=False))  # 43x27 -> 47x30
    add("gray8-trns-se30-nocrop", "gray8-trns.png", cfg(size={"shortest_edge": 30}, do_center_crop=False))
    add("camera-se37-nocrop", "camera.png", cfg(size={"shortest_edge": 37}, do_center_crop=False))
    add("rocket-se37-nocrop", "rocket.jpg", cfg(size={"shortest_edge": 37}, do_center_crop=False))
    add("rgb8-se61-identity-nocrop", "rgb8.png", cfg(size={"shortest_edge": 61}, do_center_crop=False))
    add("rgb8-hw40x33-crop32x30", "rgb8.png", cfg(size={"height": 40, "width": 33},
                                                  crop_size={"height": 32, "width": 30}))
    # other spellings transformers accepts: int size -> shortest_edge (default_to_square is false for Bit),
    # with default_to_square true -> height = width; [h, w] list -> height/width; int crop_size -> square
    add("rgb8-size-int28-nocrop", "rgb8.png", cfg(size=28, do_center_crop=False))
    add("rgb8-size-int28-square-nocrop", "rgb8.png", cfg(size=28, default_to_square=True, do_center_crop=False))
    add("rgb8-size-list40x33-nocrop", "rgb8.png", cfg(size=[40, 33], do_center_crop=False))
    add("rgb8-cropsize-int24", "rgb8.png", cfg(crop_size=24))
    # crop offsets: odd margins (28x44 -> 25x27: top 1 of 3, left 8 of 17)
    add("rgb8-se28-crop25x27", "rgb8.png", cfg(crop_size={"height": 25, "width": 27}))
    add("rgb8-se28-crop24x30", "rgb8.png", cfg(crop_size={"height": 24, "width": 30}))
    # crop larger than the image: padding (28x44 -> 35x50: 7 and 6 extra; one axis only: 31x20)
    add("rgb8-se28-crop35x50-pad", "rgb8.png", cfg(crop_size={"height": 35, "width": 50}))
    add("rgb8-se28-crop31x20-pad", "rgb8.png", cfg(crop_size={"height": 31, "width": 20}))
    add("rgb8-se28-crop29x45-pad", "rgb8.png", cfg(crop_size={"height": 29, "width": 45}))
    add("gray8-noresize-crop40x50-pad", "gray8.png", cfg(do_resize=False, crop_size={"height": 40, "width": 50}))
    # switches
    add("rgb8-noresize-crop40", "rgb8.png", cfg(do_resize=False, crop_size={"height": 40, "width": 40}))
    add("rgb8-noresize-nocrop", "rgb8.png", cfg(do_resize=False, do_center_crop=False))
    add("rgb8-norescale", "rgb8.png", cfg(do_rescale=False))
    add("rgb8-nonormalize", "rgb8.png", cfg(do_normalize=False))
    add("rgb8-norescale-nonormalize", "rgb8.png", cfg(do_rescale=False, do_normalize=False))
    add("rgb8-rescale-1of127.5", "rgb8.png", cfg(rescale_factor=1 / 127.5, image_mean=[1.0, 1.0, 1.0],
                                                 image_std=[1.0, 1.0, 1.0]))
    add("rgb8-noconvert", "rgb8.png", cfg(do_convert_rgb=False))
    # do_convert_rgb false on the modes PIL opens unusually (errors are recorded as such)
    for img in ("gray8.png", "gray16.png", "ga8.png", "pal8-trns.png", "pal4.png", "jpeg-cmyk.jpg", "gray1.png",
                "rgba8.png"):
        add(f"{Path(img).stem}-noconvert", img, cfg(do_convert_rgb=False))
    add("gray8-noconvert-nonormalize", "gray8.png", cfg(do_convert_rgb=False, do_normalize=False))
    # the published configs
    # 518x518 F32 is 3.2 MB a file: the RAD-DINO config runs on the pil backend only (the size budget)
    add("camera-rad-dino", "camera.png", OrderedDict(RAD_DINO_CONFIG), ("pil",))
    add("gray16-rad-dino", "gray16.png", OrderedDict(RAD_DINO_CONFIG), ("pil",))
    add("rocket-dinov2-base", "rocket.jpg", OrderedDict(DINOV2_BASE_CONFIG), ("pil",))
    return cases


REFUSED = [
    (cfg(do_pad=True, pad_size={"height": 32, "width": 32}), "do_pad"),
    (cfg(size={"shortest_edge": 28, "longest_edge": 40}), "size.longest_edge"),
    (cfg(size={"max_height": 40, "max_width": 40}), "size.max_height"),
    (cfg(image_processor_type="ViTImageProcessor"), "image_processor_type"),
    (cfg(image_processor_type="CLIPImageProcessor", crop_pct=0.875), "image_processor_type"),
]


# ---------------------------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------------------------
def versions():
    v = OrderedDict()
    for n in ("pillow", "transformers", "torch", "torchvision", "numpy", "safetensors", "scikit-image"):
        v[n] = md.version(n)
    from PIL import features

    v["pillow_libjpeg_turbo"] = features.version("jpg")
    v["pillow_zlib"] = features.version("zlib")
    v["pillow_littlecms2"] = features.version("littlecms2")
    return v


def image_record(name, b, note):
    from PIL import Image
    from transformers.image_transforms import convert_to_rgb

    path = OUT / "inputs" / name
    stem = Path(name).stem
    with Image.open(path) as im:
        rec = OrderedDict(file=f"inputs/{name}", sha256=sha256_bytes(b), bytes=len(b), format=im.format,
                          pil_mode=im.mode, size=list(im.size), note=note)
        info = {k: (v if isinstance(v, (int, float, str)) else repr(v)) for k, v in sorted(im.info.items())
                if k not in ("icc_profile", "exif")}
        if "icc_profile" in im.info:
            info["icc_profile_sha256"] = sha256_bytes(im.info["icc_profile"])
        if "exif" in im.info:
            info["exif_orientation"] = im.getexif().get(0x0112)
        rec["pil_info"] = info
        rgb = np.asarray(im.convert("RGB"))
        tensors = OrderedDict(rgb=rgb)
        meta = None
        if im.mode != "RGB":
            tensors["native"] = native_array(im)
            meta = {"mode": im.mode}
            if im.mode == "P":
                pal = im.getpalette()  # RGB triplets
                tensors["palette"] = np.asarray(pal, dtype=np.uint8).reshape(-1, 3)
        # what transformers' convert_to_rgb does (image_transforms.py convert_to_rgb): alpha -> composite on white
        has_alpha = "A" in im.getbands() or im.info.get("transparency") is not None
        rec["transformers_convert_rgb"] = ("RGBA alpha_composite over opaque white, then convert('RGB')"
                                           if has_alpha else "convert('RGB')")
        if has_alpha:
            tensors["rgb_composited"] = convert_to_rgb(im, return_numpy=True)
    rec["decoded"] = f"decoded/{stem}.safetensors"
    db = st_save(tensors, meta)
    rec["decoded_sha256"] = write_rel(rec["decoded"], db)["sha256"]
    rec["decoded_tensors"] = {k: [str(v.dtype), list(v.shape)] for k, v in tensors.items()}
    return rec, rgb


RESIZE_SIZES = {
    # rgb8 97x61 (w x h): up non-integer, down 2x-ish, down >4x, one axis up / one down, identity, tiny
    "rgb8.png": [(130, 83), (48, 30), (22, 14), (150, 40), (97, 61), (7, 3), (1, 1)],
    # camera 512x512: down 13.8x, 5.12x/6.83x non-integer, exactly 8x
    "camera.png": [(37, 37), (100, 75), (64, 64)],
    "rgba16.png": [(60, 17)],
}


# Pass order (bug: tall images shrunk on both axes differed from Pillow): sources made by Pillow itself from
# camera.png (bicubic, so they are smooth and carry every level), each resized to a grid of targets that shrink or
# grow each axis at several ratios, and both sides of the order boundary (2*(W-w) = H-h). Only digests are stored.
GRID_SOURCES = [(301, 777), (777, 301), (160, 160), (7, 800)]
GRID_FILTERS = (2, 3)  # bilinear, bicubic


def grid_targets(w, h):
    r = lambda v: max(1, int(round(v)))
    return [(224, 224), (r(w * 0.7), r(h * 0.3)), (r(w * 0.3), r(h * 0.7)), (r(w * 0.5), r(h * 0.5)),
            (r(w * 1.5), r(h * 0.5)), (r(w * 0.5), r(h * 1.5)), (r(w * 1.3), r(h * 1.2)),
            (w - 4, h - 8), (w - 3, h - 8)] if w > 8 else [(1, h - 3), (2, h - 100), (14, 224), (5, 400)]


def resize_grid(camera_rgb):
    """Records of Image.resize over GRID_SOURCES x grid_targets x GRID_FILTERS (+ the two sizes of the bug report),
    each with the digest of the result's RGB bytes and which single-axis order Pillow's result equals."""
    from PIL import Image

    camera = Image.fromarray(camera_rgb, "RGB")
    plan = [(s, grid_targets(*s)) for s in GRID_SOURCES] + [((1000, 3000), [(518, 1554), (224, 224)])]
    out = []
    for (w, h), targets in plan:
        src = camera.resize((w, h), resample=3)
        source = OrderedDict(image="inputs/camera.png", filter=3, size=[w, h],
                             sha256=sha256_bytes(np.asarray(src).tobytes()))
        for f in GRID_FILTERS:
            for (W, H) in targets:
                res = np.asarray(src.resize((W, H), resample=f))
                hf = np.array_equal(res, np.asarray(src.resize((W, h), resample=f).resize((W, H), resample=f)))
                vf = np.array_equal(res, np.asarray(src.resize((w, H), resample=f).resize((W, H), resample=f)))
                first = "either" if hf and vf else "horizontal" if hf else "vertical" if vf else "neither"
                out.append(OrderedDict(source=source, filter=f, size=[W, H], sha256=sha256_bytes(res.tobytes()),
                                       first_pass=first))
    return out


def run():
    import warnings

    from PIL import Image

    # Pillow warns on convert("RGB") of palette images whose tRNS is bytes; that conversion is the point here.
    warnings.filterwarnings("ignore", message="Palette images with Transparency")

    # Everything here is regenerated except the hand-written README.md and dinov3/ (the dinov3-images section's).
    if OUT.exists():
        for p in OUT.iterdir():
            if p.name not in ("README.md", "dinov3"):
                shutil.rmtree(p) if p.is_dir() else p.unlink()
    (OUT / "inputs").mkdir(parents=True)
    inputs = png_inputs() + jpeg_inputs() + real_inputs()
    for name, b, _ in inputs:
        write_bytes(OUT / "inputs" / name, b)
    log(f"[images] {len(inputs)} inputs")
    images = []
    rgbs = {}
    for name, b, note in inputs:
        rec, rgb = image_record(name, b, note)
        images.append(rec)
        rgbs[name] = rgb
    # resampler in isolation
    resize = []
    for name, sizes in RESIZE_SIZES.items():
        src = Image.fromarray(rgbs[name], "RGB")
        for f in range(6):
            for (w, h) in sizes:
                rel = f"resized/{Path(name).stem}-f{f}-{w}x{h}.safetensors"
                arr = np.asarray(src.resize((w, h), resample=f))
                rec = write_rel(rel, st_save(OrderedDict(rgb=arr)))
                resize.append(OrderedDict(image=f"inputs/{name}", filter=f, size=[w, h], file=rel, **rec))
    log(f"[images] {len(resize)} resize records")
    grid = resize_grid(rgbs["camera.png"])
    log(f"[images] {len(grid)} resize-grid records")
    write_json(OUT / "configs" / "rad-dino.json", RAD_DINO_CONFIG)
    write_json(OUT / "configs" / "dinov2-base.json", DINOV2_BASE_CONFIG)
    classes = processor_classes()
    cases = []
    for name, img, config, backends in case_matrix():
        for be in backends:
            cases.append(case_record(name, img, be, classes[be], config))
    # every input appears in at least one pil case (and a torchvision one): the base config on each
    covered = {c["image"] for c in cases if c["backend"] == "pil" and "pixels" in c}
    for name, _, _ in inputs:
        if f"inputs/{name}" in covered:
            continue
        for be in BACKENDS:
            cases.append(case_record(f"{Path(name).stem}-base", name, be, classes[be], OrderedDict(BASE_CONFIG)))
    # how far the torchvision backend lands from the pil one on the same case (both succeeded, same shape)
    pil_px = {c["name"]: c for c in cases if c["backend"] == "pil" and "pixels" in c}
    for c in cases:
        p = pil_px.get(c["name"])
        if c["backend"] != "torchvision" or "pixels" not in c or p is None or p["shape"] != c["shape"]:
            continue
        a = _load(c["pixels"]).astype(np.float64)
        b = _load(p["pixels"]).astype(np.float64)
        c["max_abs_diff_vs_pil"] = float(np.abs(a - b).max())
    log(f"[images] {len(cases)} processor cases")
    doc = OrderedDict()
    doc["generator_version"] = GENERATOR_VERSION
    doc["versions"] = versions()
    doc["processor_classes"] = {be: f"{c.__module__}.{c.__name__}" for be, c in classes.items()}
    doc["processor_call"] = ("cls(**config)(Image.open(file), return_tensors='pt')['pixel_values'] "
                             "(cls = processor_classes[backend]; same class AutoImageProcessor.from_pretrained picks "
                             "with use_fast=False (pil) / by default (torchvision))")
    doc["configs"] = {"rad-dino": "configs/rad-dino.json", "dinov2-base": "configs/dinov2-base.json"}
    doc["images"] = images
    doc["resize"] = resize
    doc["resize_grid"] = grid
    doc["cases"] = cases
    doc["refused_configs"] = [OrderedDict(config=c, key=k) for c, k in REFUSED]
    write_json(OUT / "images.json", doc)


# ---------------------------------------------------------------------------------------------
# forward cases from images (called by the forward section, which owns golden/forward/)
# ---------------------------------------------------------------------------------------------
FORWARD_IMAGES = ["camera.png", "rocket.jpg", "gray16.png"]
FORWARD_CONFIG = OrderedDict(RAD_DINO_CONFIG, crop_size={"height": 28, "width": 28}, size={"shortest_edge": 28})


def forward_pixels(backend="pil"):
    """transformers' pixel_values for the forward-case images as one batch, and the images record."""
    import torch
    from PIL import Image

    files = [OUT / "inputs" / n for n in FORWARD_IMAGES]
    missing = [str(f) for f in files if not f.exists()]
    if missing:
        raise SystemExit(f"forward: golden/images/ is missing {missing[0]}; run `generate.py --only images` first")
    cls = processor_classes()[backend]
    ims = [Image.open(f) for f in files]
    try:
        px = cls(**FORWARD_CONFIG)(ims, return_tensors="pt")["pixel_values"]
    finally:
        for im in ims:
            im.close()
    rec = OrderedDict(files=[f"../../images/inputs/{n}" for n in FORWARD_IMAGES],
                      sha256=[sha256_file(f) for f in files],
                      preprocessor_config="preprocessor_config.json", backend=backend,
                      processor=(f"transformers {cls.__name__} "
                                 f"({'use_fast=False' if backend == 'pil' else 'default, torchvision'}) "
                                 f"{md.version('transformers')}"))
    return px.to(torch.float32).contiguous(), rec


def forward_config_text() -> bytes:
    return (json.dumps(FORWARD_CONFIG, indent=2) + "\n").encode()
