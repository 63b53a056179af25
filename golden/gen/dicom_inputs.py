"""Section dicom-inputs: DICOM test inputs -> golden/dicom/inputs/, and what SimpleITK reads from each.

Sources: pydicom-data's NEMA WG04 chest radiographs RG1/RG3 (MIT), cropped with pydicom so that the
committed files stay small (the original attributes are kept; Rows/Columns/PixelData change), and
pydicom's own test files (CT_small, MR_small). Every transfer syntax is written from an uncompressed
file with Debian's dcmtk 3.6.7 and gdcm 3.0.21 command-line tools. For each file, `inputs.json`
records what `SimpleITK.ReadImage(path)[:, :, 0]` gives (size, pixel type, spacing, origin, direction,
min/max, SHA-256 of the pixel array), or the error it raises; lossy files also keep SimpleITK's
pixels (`NAME.sitk.raw`, little endian in the pixel type) for the deviation to be measured.
"""
from __future__ import annotations

import hashlib
import importlib.metadata as md
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from .common import GOLDEN, log, write_json

OUT = GOLDEN / "dicom" / "inputs"
PYDICOM_DATA = Path(md.distribution("pydicom-data").locate_file("data_store/data"))
TOOLS = {"dcmtk": ("dcmconv", "3.6.7"), "gdcm": ("gdcmconv", "3.0.21")}

PIXEL_TYPES = {}  # filled in run(): SimpleITK pixel ID -> (name, numpy dtype)


def tool_versions():
    out = {}
    r = subprocess.run(["dcmconv", "--version"], capture_output=True, text=True).stdout
    out["dcmtk"] = r.split(" v", 1)[1].split()[0] if " v" in r else r.strip()
    r = subprocess.run(["gdcmconv", "--version"], capture_output=True, text=True).stdout
    out["gdcm"] = r.split(": gdcm ", 1)[1].split()[0] if ": gdcm " in r else r.strip()
    for name, (_, want) in TOOLS.items():
        if out[name] != want:
            raise SystemExit(f"dicom_inputs: {name} is {out[name]}, pinned {want} (Debian bookworm's)")
    return out


def shell(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"dicom_inputs: {' '.join(map(str, cmd))} failed:\n{r.stdout}{r.stderr}")


def crop(src: Path, dst: Path, top: int, left: int, rows: int, cols: int):
    import pydicom

    ds = pydicom.dcmread(src)
    a = ds.pixel_array[top:top + rows, left:left + cols]
    ds.PixelData = np.ascontiguousarray(a).astype(a.dtype.newbyteorder("<")).tobytes()
    ds.Rows, ds.Columns = a.shape
    ds.save_as(dst, enforce_file_format=True)


def derived(src: Path, dst: Path, edit):
    import pydicom

    ds = pydicom.dcmread(src)
    edit(ds)
    ds.save_as(dst, enforce_file_format=True)


def sitk_record(path: Path, keep_pixels: bool):
    import SimpleITK as sitk

    try:
        img = sitk.ReadImage(str(path))
    except RuntimeError as e:
        return {"error": str(e).strip().splitlines()[-1][:300]}
    if img.GetDimension() == 3 and img.GetSize()[2] == 1:
        img = img[:, :, 0]
    name, dtype = PIXEL_TYPES[img.GetPixelID()]
    arr = np.ascontiguousarray(sitk.GetArrayFromImage(img).astype(dtype))
    rec = {
        "size": list(img.GetSize()),
        "pixel_type": name,
        "spacing": list(img.GetSpacing()),
        "origin": list(img.GetOrigin()),
        "direction": list(img.GetDirection()),
        "min": float(arr.min()),
        "max": float(arr.max()),
        "sha256": hashlib.sha256(arr.tobytes()).hexdigest(),
    }
    if keep_pixels:
        (OUT / (path.name + ".sitk.raw")).write_bytes(arr.tobytes())
    return rec


def run_section():
    import pydicom
    import SimpleITK as sitk
    from pydicom.data import get_testdata_file

    PIXEL_TYPES.update({
        sitk.sitkUInt8: ("uint8", "<u1"), sitk.sitkInt8: ("int8", "<i1"), sitk.sitkUInt16: ("uint16", "<u2"),
        sitk.sitkInt16: ("int16", "<i2"), sitk.sitkUInt32: ("uint32", "<u4"), sitk.sitkInt32: ("int32", "<i4"),
        sitk.sitkFloat32: ("float32", "<f4"), sitk.sitkFloat64: ("float64", "<f8"),
    })
    versions = tool_versions()
    for n in ("pydicom", "pydicom-data", "SimpleITK", "numpy", "pillow"):
        versions[n] = md.version(n)
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    files = {}

    def add(name, source, syntax, twin=None, lossless=True, ckpt="read", note=None):
        files[name] = {"source": source, "transfer_syntax": syntax, "twin": twin, "lossless": lossless, "ckpt": ckpt}
        if note:
            files[name]["note"] = note

    # Bases (explicit VR little endian).
    crop(PYDICOM_DATA / "RG3_UNCR.dcm", OUT / "rg3_crop.dcm", 700, 600, 301, 257)
    add("rg3_crop.dcm", "RG3_UNCR.dcm rows 700-1000, columns 600-856 (CR, MONOCHROME1, 10 of 16 bits)", "1.2.840.10008.1.2.1")
    crop(PYDICOM_DATA / "RG1_UNCR.dcm", OUT / "rg1_crop.dcm", 800, 700, 300, 256)
    add("rg1_crop.dcm", "RG1_UNCR.dcm rows 800-1099, columns 700-955 (CR, MONOCHROME1, 15 of 16 bits)", "1.2.840.10008.1.2.1")
    shutil.copy(get_testdata_file("CT_small.dcm"), OUT / "ct_small.dcm")
    add("ct_small.dcm", "pydicom CT_small.dcm (signed, RescaleIntercept -1024)", "1.2.840.10008.1.2.1")
    shutil.copy(get_testdata_file("MR_small.dcm"), OUT / "mr_small.dcm")
    add("mr_small.dcm", "pydicom MR_small.dcm (64 x 64, signed)", "1.2.840.10008.1.2.1")

    def slope(ds):
        ds.RescaleSlope = "0.75"
        ds.RescaleIntercept = "10.5"
    derived(OUT / "mr_small.dcm", OUT / "mr_slope.dcm", slope)
    add("mr_slope.dcm", "mr_small.dcm with RescaleSlope 0.75, RescaleIntercept 10.5", "1.2.840.10008.1.2.1")

    def eight_bit(photometric):
        def edit(ds):
            a = (ds.pixel_array[:211, :255] >> 2).astype(np.uint8)
            ds.BitsAllocated, ds.BitsStored, ds.HighBit = 8, 8, 7
            ds.PhotometricInterpretation = photometric
            ds.Rows, ds.Columns = a.shape
            ds.PixelData = a.tobytes()
            if "WindowCenter" in ds:
                del ds.WindowCenter, ds.WindowWidth
        return edit
    derived(OUT / "rg3_crop.dcm", OUT / "mono2_8bit.dcm", eight_bit("MONOCHROME2"))
    add("mono2_8bit.dcm", "rg3_crop.dcm >> 2 as 8-bit MONOCHROME2, 255 x 211", "1.2.840.10008.1.2.1")
    derived(OUT / "rg3_crop.dcm", OUT / "mono1_8bit.dcm", eight_bit("MONOCHROME1"))
    add("mono1_8bit.dcm", "rg3_crop.dcm >> 2 as 8-bit MONOCHROME1, 255 x 211", "1.2.840.10008.1.2.1")

    def twelve_signed(ds):
        a = ds.pixel_array.astype(np.int32)
        v = np.clip(a // 4, -2048, 2047)
        pattern = (v & 0x0FFF).astype(np.uint16)
        pattern[::7, ::5] |= 0x8000  # unused high bits set (as overlays would): GDCM masks them
        ds.BitsStored, ds.HighBit = 12, 11
        ds.PixelData = pattern.tobytes()
    derived(OUT / "ct_small.dcm", OUT / "ct_12bit_signed.dcm", twelve_signed)
    add("ct_12bit_signed.dcm", "ct_small.dcm as signed 12 of 16 bits, with bit 15 set in some pixels", "1.2.840.10008.1.2.1")

    def mr_mono1(ds):
        ds.PhotometricInterpretation = "MONOCHROME1"
    derived(OUT / "mr_small.dcm", OUT / "mr_mono1_signed.dcm", mr_mono1)
    add("mr_mono1_signed.dcm", "mr_small.dcm marked MONOCHROME1 (signed inversion)", "1.2.840.10008.1.2.1")

    # Geometry: which spacing element wins for which SOP class, and how orientation is collapsed to 2-D.
    def geometry(name, note, **attrs):
        def edit(ds):
            for k, v in attrs.items():
                if v is None:
                    if k in ds:
                        delattr(ds, k)
                else:
                    setattr(ds, k, v)
            if "SOPClassUID" in attrs:
                ds.file_meta.MediaStorageSOPClassUID = attrs["SOPClassUID"]
        derived(OUT / "mr_small.dcm", OUT / name, edit)
        add(name, "mr_small.dcm with " + note, "1.2.840.10008.1.2.1")
    c, s_ = "0.8660254037844387", "0.5"
    geometry("geo_oblique.dcm", "an in-plane rotation of 30 degrees and PixelSpacing 0.5\\0.25",
             ImageOrientationPatient=[c, s_, "0", "-" + s_, c, "0"], PixelSpacing=["0.5", "0.25"],
             ImagePositionPatient=["-12.5", "40.25", "7"])
    geometry("geo_coronal.dcm", "a coronal orientation (its 2-D direction submatrix is singular)",
             ImageOrientationPatient=["1", "0", "0", "0", "0", "-1"])
    geometry("geo_unnormalized.dcm", "orientation vectors of length 2 and a tilt",
             ImageOrientationPatient=["2", "0", "0", "0", "1.9", "0.3"])
    geometry("geo_dx.dcm", "the DX For Presentation SOP class, ImagerPixelSpacing 0.143\\0.139 and PixelSpacing 0.2\\0.2",
             SOPClassUID="1.2.840.10008.5.1.4.1.1.1.1", Modality="DX", ImagerPixelSpacing=["0.143", "0.139"],
             PixelSpacing=["0.2", "0.2"])
    geometry("geo_cr_pixelspacing_only.dcm", "the CR SOP class and only PixelSpacing (GDCM reads ImagerPixelSpacing)",
             SOPClassUID="1.2.840.10008.5.1.4.1.1.1", Modality="CR", PixelSpacing=["0.2", "0.1"])
    geometry("geo_sc.dcm", "the SC SOP class, a single NominalScannedPixelSpacing value and ImagePositionPatient",
             SOPClassUID="1.2.840.10008.5.1.4.1.1.7", NominalScannedPixelSpacing=["0.3"], PixelSpacing=None,
             ImagePositionPatient=["1.5", "2.5", "3.5"])
    geometry("geo_zero_spacing.dcm", "PixelSpacing 0\\0.7 (GDCM turns a zero into 1)", PixelSpacing=["0", "0.7"])

    # A Part 10 file whose preamble holds a TIFF header, and a bare implicit VR dataset without one.
    raw = bytearray((OUT / "ct_small.dcm").read_bytes())
    raw[0:8] = b"II*\x00\x08\x00\x00\x00"
    (OUT / "tiff_preamble.dcm").write_bytes(bytes(raw))
    add("tiff_preamble.dcm", "ct_small.dcm with a TIFF header in its preamble", "1.2.840.10008.1.2.1")
    ds = pydicom.dcmread(OUT / "mr_small.dcm")
    ds.file_meta = pydicom.dataset.FileMetaDataset()
    with tempfile.TemporaryDirectory() as t:
        bare = Path(t) / "bare"
        pydicom.dcmwrite(bare, ds, implicit_vr=True, little_endian=True, enforce_file_format=False)
        data = bare.read_bytes()
    if data[128:132] == b"DICM":
        data = data[132:]
    (OUT / "bare_implicit").write_bytes(data)
    add("bare_implicit", "mr_small.dcm's dataset in implicit VR without preamble or file meta (no suffix)", "1.2.840.10008.1.2",
        twin="mr_small.dcm")

    # Transfer syntaxes, written by dcmtk and gdcm.
    def dcmtk(tool, args, src, name, syntax, lossless=True, ckpt="read", note=None):
        shell([tool, *args, OUT / src, OUT / name])
        add(name, f"{tool} {' '.join(args)} {src}", syntax, twin=src, lossless=lossless, ckpt=ckpt, note=note)

    def gdcm(args, src, name, syntax, lossless=True):
        shell(["gdcmconv", *args, OUT / src, OUT / name])
        add(name, f"gdcmconv {' '.join(args)} {src}", syntax, twin=src, lossless=lossless)

    dcmtk("dcmconv", ["+ti"], "rg3_crop.dcm", "rg3_implicit.dcm", "1.2.840.10008.1.2")
    dcmtk("dcmconv", ["+tb"], "rg3_crop.dcm", "rg3_big.dcm", "1.2.840.10008.1.2.2")
    dcmtk("dcmconv", ["+tb"], "ct_small.dcm", "ct_big.dcm", "1.2.840.10008.1.2.2")
    dcmtk("dcmconv", ["+tb"], "mono2_8bit.dcm", "mono2_8bit_big.dcm", "1.2.840.10008.1.2.2")
    dcmtk("dcmconv", ["+td"], "rg3_crop.dcm", "rg3_deflated.dcm", "1.2.840.10008.1.2.1.99")
    dcmtk("dcmcrle", [], "rg3_crop.dcm", "rg3_rle.dcm", "1.2.840.10008.1.2.5")
    dcmtk("dcmcrle", [], "ct_small.dcm", "ct_rle.dcm", "1.2.840.10008.1.2.5")
    dcmtk("dcmcrle", [], "mono2_8bit.dcm", "mono2_8bit_rle.dcm", "1.2.840.10008.1.2.5")
    dcmtk("dcmcjpeg", ["+e1"], "rg3_crop.dcm", "rg3_jpeg_sv1.dcm", "1.2.840.10008.1.2.4.70")
    dcmtk("dcmcjpeg", ["+e1"], "ct_small.dcm", "ct_jpeg_sv1.dcm", "1.2.840.10008.1.2.4.70")
    dcmtk("dcmcjpeg", ["+el", "+sv", "6"], "rg1_crop.dcm", "rg1_jpeg_sv6.dcm", "1.2.840.10008.1.2.4.57")
    dcmtk("dcmcjpeg", ["+el", "+sv", "7"], "rg3_crop.dcm", "rg3_jpeg_sv7.dcm", "1.2.840.10008.1.2.4.57")
    dcmtk("dcmcjpeg", ["+el", "+sv", "4"], "mono2_8bit.dcm", "mono2_8bit_jpeg_sv4.dcm", "1.2.840.10008.1.2.4.57")
    dcmtk("dcmcjpeg", ["+eb"], "mono2_8bit.dcm", "mono2_8bit_jpeg_baseline.dcm", "1.2.840.10008.1.2.4.50", lossless=False)
    dcmtk("dcmcjpeg", ["+ee"], "rg3_crop.dcm", "rg3_jpeg_extended12.dcm", "1.2.840.10008.1.2.4.51", lossless=False,
          note="12-bit JPEG DCT (process 4)")
    dcmtk("dcmcjpeg", ["+ee"], "mono2_8bit.dcm", "mono2_8bit_jpeg_extended.dcm", "1.2.840.10008.1.2.4.51", lossless=False,
          note="8-bit JPEG DCT written as extended (process 2)")
    dcmtk("dcmcjpeg", ["+ee", "+q", "75"], "ct_small.dcm", "ct_jpeg_extended12.dcm", "1.2.840.10008.1.2.4.51", lossless=False,
          note="signed 16-bit CT as 12-bit JPEG DCT (dcmtk rescales it)")
    dcmtk("dcmcjpls", [], "rg3_crop.dcm", "rg3_jpegls.dcm", "1.2.840.10008.1.2.4.80")
    dcmtk("dcmcjpls", [], "ct_small.dcm", "ct_jpegls.dcm", "1.2.840.10008.1.2.4.80")
    dcmtk("dcmcjpls", ["+en", "+md", "2"], "rg3_crop.dcm", "rg3_jpegls_near2.dcm", "1.2.840.10008.1.2.4.81", lossless=False)
    # Restart markers: dcmtk and gdcm write none, Pillow's JPEG encoder does (every 5 blocks here).
    import io

    from PIL import Image
    from pydicom.encaps import encapsulate
    from pydicom.uid import JPEGBaseline8Bit

    ds = pydicom.dcmread(OUT / "mono2_8bit.dcm")
    jpeg = io.BytesIO()
    Image.fromarray(ds.pixel_array).save(jpeg, format="JPEG", quality=90, restart_marker_blocks=5)
    ds.PixelData = encapsulate([jpeg.getvalue()])
    ds["PixelData"].VR = "OB"
    ds.file_meta.TransferSyntaxUID = JPEGBaseline8Bit
    ds.save_as(OUT / "mono2_8bit_jpeg_restarts.dcm", enforce_file_format=True)
    add("mono2_8bit_jpeg_restarts.dcm", "mono2_8bit.dcm as a baseline JPEG with a restart marker every 5 blocks "
        "(Pillow's encoder, quality 90), encapsulated by pydicom", "1.2.840.10008.1.2.4.50", twin="mono2_8bit.dcm",
        lossless=False)
    gdcm(["--j2k"], "rg3_crop.dcm", "rg3_j2k.dcm", "1.2.840.10008.1.2.4.90")
    gdcm(["--j2k"], "ct_small.dcm", "ct_j2k.dcm", "1.2.840.10008.1.2.4.90")
    gdcm(["--j2k", "--lossy", "-q", "40"], "rg3_crop.dcm", "rg3_j2k_lossy.dcm", "1.2.840.10008.1.2.4.91", lossless=False)
    gdcm(["--jpegls"], "rg1_crop.dcm", "rg1_jpegls_gdcm.dcm", "1.2.840.10008.1.2.4.80")

    for name, rec in files.items():
        path = OUT / name
        got = pydicom.dcmread(path, force=True).file_meta.get("TransferSyntaxUID")
        if got is not None and got != rec["transfer_syntax"]:
            raise SystemExit(f"dicom_inputs: {name} has transfer syntax {got}, expected {rec['transfer_syntax']}")
        rec["sitk"] = sitk_record(path, keep_pixels=not rec["lossless"] and rec["ckpt"] == "read")
        rec["bytes"] = path.stat().st_size
        log(f"  {name}: {rec['sitk'].get('pixel_type', rec['sitk'].get('error'))}")
    # The full-size NEMA radiographs stay in the installed pydicom-data (not committed); what SimpleITK
    # reads from them is recorded for tests and benchmarks that find them (CKPT_PYDICOM_DATA).
    external = {}
    for name in ("RG1_UNCR", "RG1_J2KR", "RG1_J2KI", "RG3_UNCR", "RG3_J2KR", "RG3_J2KI"):
        path = PYDICOM_DATA / f"{name}.dcm"
        rec = sitk_record(path, keep_pixels=False)
        external[f"{name}.dcm"] = {"lossless": not name.endswith("J2KI"), "bytes": path.stat().st_size, "sitk": rec}
        log(f"  (pydicom-data) {name}.dcm: {rec.get('pixel_type')}")
    total = sum(p.stat().st_size for p in OUT.iterdir())
    if total > 4 * 1024 * 1024:
        raise SystemExit(f"dicom_inputs: {total} bytes of inputs, over the 4 MiB budget")
    write_json(OUT / "inputs.json", {"generator": "golden/gen/dicom_inputs.py", "versions": versions, "files": files,
                                     "pydicom_data": external})
    log(f"dicom inputs: {len(files)} files, {total} bytes")


def run():
    run_section()
