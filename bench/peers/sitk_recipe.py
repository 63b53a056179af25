"""Peer for `ckpt convert dicom`: RAD-DINO's card recipe in SimpleITK, as golden/gen/dicom_recipe.py runs it.

    python sitk_recipe.py DICOM OUT.png [SIZE] [REPEATS]

Imports SimpleITK and the generator's own `read` and `recipe` (issue 21's Python block), runs the whole
conversion once to warm up, then REPEATS times (default 5): `sitk.ReadImage` (+ the 2-D slice), the recipe, and
`sitk.WriteImage` of the 8-bit PNG. Prints one JSON line with the fastest repeat (`total_s`) and its stages
(`read_s`, `recipe_s`, `write_s`): warm and in process, imports excluded — the time a Python user pays per
file once everything is loaded.
"""
import json
import os
import sys
import time
from pathlib import Path

GOLDEN_DIR = Path(os.environ.get("GOLDEN_DIR") or Path(__file__).resolve().parents[2] / "golden")
sys.path.insert(0, str(GOLDEN_DIR))
import SimpleITK as sitk  # noqa: E402
from gen.dicom_recipe import read, recipe  # noqa: E402

path, out = Path(sys.argv[1]), sys.argv[2]
size = int(sys.argv[3]) if len(sys.argv) > 3 else 518
repeats = int(sys.argv[4]) if len(sys.argv) > 4 else 5
best = None
for i in range(repeats + 1):
    t0 = time.perf_counter()
    img = read(path)
    t1 = time.perf_counter()
    u8, _ = recipe(img, size, "shorter")
    t2 = time.perf_counter()
    sitk.WriteImage(u8, out)
    t3 = time.perf_counter()
    row = {"total_s": t3 - t0, "read_s": t1 - t0, "recipe_s": t2 - t1, "write_s": t3 - t2}
    if i > 0 and (best is None or row["total_s"] < best["total_s"]):
        best = row
print(json.dumps({**best, "size": [u8.GetWidth(), u8.GetHeight()], "simpleitk": sitk.Version.VersionString(),
                  "threads": sitk.ProcessObject.GetGlobalDefaultNumberOfThreads()}))
