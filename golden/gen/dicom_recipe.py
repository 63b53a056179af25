"""RAD-DINO's card recipe (DICOM -> 8-bit PNG) computed by SimpleITK: the expected outputs of ckpt's recipe.

The model card: "All DICOM files were resized using B-spline interpolation so that their shorter side was 518,
min-max scaled to [0, 255], and stored as PNG files; SimpleITK and pydicom were used."  `recipe()` below is the
Python block of issue 21 verbatim (procex's `resize` + `enhance_contrast` with the card's shorter side and no
smoothing).  Nothing here is computed by ckpt.

Writes golden/dicom/expected/recipe/:
  cases.json                 every case: its source, crop, the image SimpleITK read (pixel type, size, geometry,
                             min/max), and per (size, side) the output size, the rescale's min/max and the SHA-256
                             of the output's 8-bit pixels (row-major, no header)
  <case>/input.safetensors   small cases only: the image as SimpleITK holds it after ReadImage (and the crop):
                             `pixels` [H, W] in the ITK pixel type, `geometry` f64 [sx, sy, ox, oy, d00, d01, d10, d11]
  <case>/<size>-<side>.png   the recipe's output (8-bit grayscale), for outputs of at most PNG_MAX_PIXELS pixels
                             (PNG_MAX_PIXELS_FULL for full-size inputs)
  <case>/<size>-<side>.safetensors  intermediates for diagnosis (outputs of at most INTERMEDIATE_MAX_PIXELS): `resampled` (after the
                             cast to the input pixel type and the clamp, in that type), `rescaled` (float32, before
                             the cast to UInt8)

files/<stem>-<size>-<side>.png   the recipe on the reader's test files (golden/dicom/inputs, read by SimpleITK
                             itself): PNGs for the small outputs and for lossy files; hashes of all in cases.json

Full-size cases (NEMA WG04 RG1/RG3, MR2) read the files installed with pydicom-data 1.0.0; only their outputs'
hashes and small PNGs are committed (the inputs are 4-7 MB each).
"""
from __future__ import annotations

import json
from collections import OrderedDict
from pathlib import Path

import numpy as np

from .common import GOLDEN, log, sha256_bytes, write_bytes, write_json

OUT = GOLDEN / "dicom" / "expected" / "recipe"
PNG_MAX_PIXELS = 600 * 600  # cropped and small inputs
PNG_MAX_PIXELS_FULL = 50_000  # full-size inputs: only their small outputs as PNG (the rest by hash)
INTERMEDIATE_MAX_PIXELS = 40_000
SIMPLEITK_VERSION = "2.5.7"
PYDICOM_VERSION = "3.0.2"
PYDICOM_DATA_VERSION = "1.0.0"


def source_path(name: str) -> Path:
    """A file of pydicom's test data or of pydicom-data (installed packages; nothing is downloaded)."""
    import pydicom
    import data_store  # pydicom-data

    for base in (Path(pydicom.__file__).parent / "data" / "test_files", Path(data_store.__file__).parent / "data"):
        p = base / name
        if p.exists():
            return p
    raise SystemExit(f"dicom_recipe: {name} is in neither pydicom's test files nor pydicom-data")


def synthetic(name: str):
    """Small images that exercise ITK's edge paths; seeded, so they are the same on every run."""
    import SimpleITK as sitk

    rng = np.random.default_rng(21)
    if name == "2x3":
        img = sitk.GetImageFromArray(rng.integers(0, 4096, size=(3, 2)).astype(np.uint16))
    elif name == "column":
        img = sitk.GetImageFromArray(rng.integers(-500, 500, size=(9, 1)).astype(np.int16))
    elif name == "constant":
        img = sitk.GetImageFromArray(np.full((4, 5), 7, dtype=np.uint8))
    elif name == "f32":
        img = sitk.GetImageFromArray((rng.normal(0.0, 1.0, size=(20, 24)) * 1e3).astype(np.float32))
    elif name == "aniso_f64":
        img = sitk.GetImageFromArray(rng.normal(100.0, 30.0, size=(30, 45)))
        img.SetSpacing((0.7, 0.3))
        img.SetOrigin((-12.25, 3.5))
    else:
        raise SystemExit(f"dicom_recipe: no synthetic image {name}")
    return img


def read(path: Path):
    import SimpleITK as sitk

    img = sitk.ReadImage(str(path))  # GDCM semantics: MONOCHROME1 inverted, then slope/intercept
    if img.GetDimension() == 3 and img.GetSize()[2] == 1:
        img = img[:, :, 0]  # single-frame files come back (W, H, 1)
    return img


def recipe(img, size: int, side: str):
    """Issue 21's recipe, line for line; returns (u8 image, intermediates)."""
    import SimpleITK as sitk

    W, H = img.GetSize()
    f = (min(W, H) if side == "shorter" else max(W, H)) / size
    new_size = [int(round(W / f)), int(round(H / f))]  # round half to even
    lo, hi = sitk.MinimumMaximum(img)
    r = sitk.Resample(img, new_size, sitk.Transform(), sitk.sitkBSpline, img.GetOrigin(),
                      [s * f for s in img.GetSpacing()], img.GetDirection(), 0.0, img.GetPixelID())
    r = sitk.Clamp(r, img.GetPixelID(), lo, hi)
    resampled = r
    r = sitk.Cast(r, sitk.sitkFloat32)
    rmin, rmax = sitk.MinimumMaximum(r)
    r = sitk.RescaleIntensity(r, 0, 255)
    u8 = sitk.Cast(r, sitk.sitkUInt8)  # 8-bit grayscale PNG
    return u8, {"resampled": resampled, "rescaled": r, "lo": lo, "hi": hi, "rmin": rmin, "rmax": rmax}


PIXEL_TYPES = {  # SimpleITK pixel id name -> (ckpt's DICOMPixelType, numpy dtype)
    "8-bit unsigned integer": ("uint8", np.uint8),
    "8-bit signed integer": ("int8", np.int8),
    "16-bit unsigned integer": ("uint16", np.uint16),
    "16-bit signed integer": ("int16", np.int16),
    "32-bit unsigned integer": ("uint32", np.uint32),
    "32-bit signed integer": ("int32", np.int32),
    "32-bit float": ("float32", np.float32),
    "64-bit float": ("float64", np.float64),
}

# (case, source file, crop [x0, y0, width, height] or None, committed input?, [(size, side), ...])
CASES = [
    # Signed CT with RescaleIntercept -1024 (GDCM widens to int32), 128x128: upsampled to 518 and odd sizes.
    ("ct_small", "CT_small.dcm", None, True, [(518, "shorter"), (64, "shorter"), (97, "shorter"), (333, "longer")]),
    # MR 64x64 (int16): upsampled 8x; the half-pixel border gets the default 0.
    ("mr_small", "MR_small.dcm", None, True, [(518, "shorter"), (100, "shorter"), (65, "longer")]),
    # MR with RescaleSlope 3.774114 (GDCM gives float64), a 160x120 crop.
    ("mr2_crop", "MR2_UNCI.dcm", [400, 380, 160, 120], True, [(518, "shorter"), (77, "shorter"), (200, "longer")]),
    # MONOCHROME1 chest radiographs (uint16 after inversion), crops across the lung / saturated border.
    ("rg1_crop", "RG1_UNCI.dcm", [0, 700, 200, 150], True,
     [(518, "shorter"), (128, "shorter"), (99, "longer"), (151, "shorter")]),
    ("rg3_crop", "RG3_UNCI.dcm", [700, 700, 180, 220], True, [(518, "shorter"), (111, "shorter"), (333, "longer")]),
    # 8-bit (uint8) JPEG lossless source, a crop.
    ("jpll8_crop", "JPGLosslessP14SV1_1s_1f_8b.dcm", [300, 400, 120, 90], True, [(200, "shorter"), (45, "longer")]),
    # Signed CT, 14 bits stored, intercept -1024, a crop with odd width.
    ("ct693_crop", "693_UNCI.dcm", [150, 180, 101, 140], True, [(150, "shorter"), (518, "longer")]),
    # Synthetic images (made here with numpy, not DICOM): the edges of ITK's code paths.
    ("synth_2x3", "synthetic:2x3", None, True, [(7, "shorter"), (5, "longer")]),  # lines shorter than the horizon
    ("synth_column", "synthetic:column", None, True, [(18, "longer"), (3, "shorter")]),  # width 1: no x filter, mirror 0
    ("synth_constant", "synthetic:constant", None, True, [(10, "shorter")]),  # min == max: scale 255 / max
    ("synth_f32", "synthetic:f32", None, True, [(50, "shorter")]),  # float32: the resampler's float cast
    ("synth_aniso_f64", "synthetic:aniso_f64", None, True, [(41, "shorter"), (64, "longer")]),  # float64, spacing 0.7 x 0.3
    # Full size (inputs not committed: read from the installed pydicom-data).
    ("rg1", "RG1_UNCI.dcm", None, False, [(518, "shorter"), (128, "shorter"), (200, "shorter"), (333, "longer")]),
    ("rg3", "RG3_UNCI.dcm", None, False, [(518, "shorter"), (333, "shorter")]),
    ("mr2", "MR2_UNCI.dcm", None, False, [(518, "shorter"), (200, "shorter")]),
    ("rg1_j2kr", "RG1_J2KR.dcm", None, False, [(518, "shorter")]),  # JPEG 2000 lossless: RG1's own pixels
    ("rg3_j2kr", "RG3_J2KR.dcm", None, False, [(518, "shorter")]),
    ("rg1_j2ki", "RG1_J2KI.dcm", None, False, [(518, "shorter")]),  # JPEG 2000 lossy: deviation measured
    ("rg3_j2ki", "RG3_J2KI.dcm", None, False, [(518, "shorter")]),
]
LOSSY_SOURCES = {"RG1_J2KI.dcm", "RG3_J2KI.dcm"}  # full-size lossy outputs keep their PNG at 518


def st_bytes(tensors, metadata=None) -> bytes:
    from safetensors.numpy import save

    return save(OrderedDict((k, np.ascontiguousarray(v)) for k, v in tensors.items()), metadata=metadata)


def png_bytes(u8: np.ndarray) -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(u8, mode="L").save(buf, format="PNG", optimize=False, compress_level=9)
    return buf.getvalue()


def geometry(img) -> np.ndarray:
    g = list(img.GetSpacing()) + list(img.GetOrigin()) + list(img.GetDirection())
    return np.array(g, dtype=np.float64)


INPUTS = GOLDEN / "dicom" / "inputs"  # written by golden/gen/dicom_inputs.py (the reader's test files)
# Every readable input at these (size, side): the shorter side at the card's 518 (hash; PNG for lossy files, whose
# deviation from SimpleITK's own decoders is measured) and a small odd longer side (hash and PNG).
FILE_OUTPUTS = [(518, "shorter"), (97, "longer")]


def run_files():
    """The recipe on golden/dicom/inputs/*: SimpleITK reads each DICOM file itself (ReadImage), so these outputs
    check ckpt's reader and recipe together."""
    import SimpleITK as sitk

    listing = json.loads((INPUTS / "inputs.json").read_text())
    records = []
    for name, info in listing["files"].items():
        if info.get("ckpt") != "read":
            continue
        img = read(INPUTS / name)
        rec = {"file": name, "twin": info.get("twin"), "lossless": info.get("lossless"), "outputs": []}
        for size, side in FILE_OUTPUTS:
            u8img, inter = recipe(img, size, side)
            u8 = sitk.GetArrayFromImage(u8img)
            stem = f"{Path(name).stem}-{size}-{side}"
            out = {"size": size, "side": side, "width": u8img.GetWidth(), "height": u8img.GetHeight(),
                   "sha256": sha256_bytes(u8.tobytes()), "png": None}
            if size < 518 or not info.get("lossless"):
                write_bytes(OUT / "files" / f"{stem}.png", png_bytes(u8))
                out["png"] = f"files/{stem}.png"
            rec["outputs"].append(out)
        records.append(rec)
        log(f"dicom-recipe files/{name}: {len(rec['outputs'])} outputs")
    return records


def run():
    import SimpleITK as sitk

    assert sitk.Version.VersionString() == SIMPLEITK_VERSION, sitk.Version.VersionString()
    records = []
    for name, src, crop, commit_input, outputs in CASES:
        img = synthetic(src.split(":", 1)[1]) if src.startswith("synthetic:") else read(source_path(src))
        if crop is not None:
            x0, y0, w, h = crop
            img = img[x0 : x0 + w, y0 : y0 + h]  # slicing keeps the geometry (origin moves with the crop)
        ptype, dtype = PIXEL_TYPES[img.GetPixelIDTypeAsString()]
        arr = sitk.GetArrayFromImage(img)
        assert arr.dtype == dtype, (name, arr.dtype)
        lo, hi = sitk.MinimumMaximum(img)
        rec = {
            "case": name, "source": src, "lossless": src not in LOSSY_SOURCES, "crop": crop, "pixel_type": ptype,
            "width": img.GetWidth(), "height": img.GetHeight(),
            "spacing": list(img.GetSpacing()), "origin": list(img.GetOrigin()), "direction": list(img.GetDirection()),
            "minimum": lo, "maximum": hi,
            "input": None, "outputs": [],
        }
        if commit_input:
            b = st_bytes({"pixels": arr, "geometry": geometry(img)})
            write_bytes(OUT / name / "input.safetensors", b)
            rec["input"] = {"file": f"{name}/input.safetensors", "sha256": sha256_bytes(b)}
        for size, side in outputs:
            u8img, inter = recipe(img, size, side)
            u8 = sitk.GetArrayFromImage(u8img)
            stem = f"{size}-{side}"
            out = {
                "size": size, "side": side, "width": u8img.GetWidth(), "height": u8img.GetHeight(),
                "rescale_minimum": inter["rmin"], "rescale_maximum": inter["rmax"],
                "sha256": sha256_bytes(u8.tobytes()), "png": None, "intermediates": None,
            }
            if u8.size <= (PNG_MAX_PIXELS if commit_input else PNG_MAX_PIXELS_FULL) or src in LOSSY_SOURCES:
                write_bytes(OUT / name / f"{stem}.png", png_bytes(u8))
                out["png"] = f"{name}/{stem}.png"
            if commit_input and u8.size <= INTERMEDIATE_MAX_PIXELS:
                inter_b = st_bytes({
                    "resampled": sitk.GetArrayFromImage(inter["resampled"]),
                    "rescaled": sitk.GetArrayFromImage(inter["rescaled"]).astype(np.float32),
                })
                write_bytes(OUT / name / f"{stem}.safetensors", inter_b)
                out["intermediates"] = f"{name}/{stem}.safetensors"
            rec["outputs"].append(out)
            log(f"dicom-recipe {name} {stem}: {out['width']}x{out['height']}")
        records.append(rec)
    write_json(OUT / "cases.json", {
        "generator": "golden/gen/dicom_recipe.py",
        "versions": {"SimpleITK": SIMPLEITK_VERSION, "pydicom": PYDICOM_VERSION, "pydicom-data": PYDICOM_DATA_VERSION},
        "cases": records,
        "files": run_files(),
    })
    forward_case()


# The forward golden case with DICOM images (golden/forward/tiny-dicom-hf): `ckpt verify --golden` reads the DICOM
# files, prepares them with the default recipe (518, shorter side) and checks the prepared 8-bit pixels against
# SimpleITK's (`images.prepared_sha256`), the pixel_values against transformers' PIL processor run on SimpleITK's
# PNG opened with PIL, and the tiny model's embeddings against PyTorch.
FORWARD_DICOM = ["rg1_crop.dcm", "mono1_8bit.dcm", "ct_small.dcm"]


def forward_case():
    import importlib.metadata as md
    import io

    import SimpleITK as sitk
    import torch
    from PIL import Image

    from . import forward, images
    from .common import sha256_file

    prepared, pil_images = [], []
    for name in FORWARD_DICOM:
        u8img, _ = recipe(read(INPUTS / name), 518, "shorter")
        u8 = sitk.GetArrayFromImage(u8img)
        prepared.append(OrderedDict(file=name, width=u8img.GetWidth(), height=u8img.GetHeight(),
                                    sha256=sha256_bytes(u8.tobytes())))
        im = Image.open(io.BytesIO(png_bytes(u8)))  # the recipe's PNG, as a RAD-DINO user opens it
        assert im.mode == "L"
        pil_images.append(im)
    cls = images.processor_classes()["pil"]
    px = cls(**images.FORWARD_CONFIG)(pil_images, return_tensors="pt")["pixel_values"].to(torch.float32).contiguous()
    rec_images = OrderedDict(
        files=[f"../../dicom/inputs/{n}" for n in FORWARD_DICOM],
        sha256=[sha256_file(INPUTS / n) for n in FORWARD_DICOM],
        preprocessor_config="preprocessor_config.json", backend="pil",
        processor=f"transformers {cls.__name__} (use_fast=False) {md.version('transformers')}",
        prepared_recipe=OrderedDict(size=518, side="shorter", by=f"SimpleITK {SIMPLEITK_VERSION}, "
                                    "golden/gen/dicom_recipe.py recipe(); sha256 of the row-major 8-bit pixels"),
        prepared_sha256=[p["sha256"] for p in prepared],
        prepared_size=[[p["width"], p["height"]] for p in prepared])
    cfg = forward.TINY_CASES["tiny"]
    t = forward._Cache().tensors("tiny", cfg)
    _, hf = forward.builders(cfg, t)
    w = forward.weights_record("tiny", cfg, t, True)
    S = cfg["image_size"]
    how = (f"{rec_images['processor']} with preprocessor_config.json on the recipe's PNG of each DICOM file listed "
           "under 'images' (SimpleITK 2.5.7, Image.open, return_tensors='pt')")
    d = forward.OUT / "tiny-dicom-hf"
    log("[dicom-recipe] forward case tiny-dicom-hf")
    rec = forward.make_case(d, ref_kind="hf", build=hf, H=S, W=S, convention="none", registers=0,
                            grid_native=S // forward.models.PATCH, weights=w, pixels=(px, how), extra={"images": rec_images})
    write_bytes(d / "preprocessor_config.json", images.forward_config_text())
    rec["images"]["preprocessor_config_sha256"] = sha256_file(d / "preprocessor_config.json")
    for n in ("pillow", "SimpleITK"):
        rec["versions"][n] = md.version(n)
    write_json(d / "golden.json", rec)
