"""Peer for `ckpt preprocess`: transformers' PIL image processor (use_fast=False), as the rad-dino package runs it.

    python pil_preprocess.py CONFIG_DIR IMAGE [REPEATS]

Builds the processor from a local folder (AutoImageProcessor.from_pretrained(CONFIG_DIR, use_fast=False);
nothing is downloaded), then REPEATS times (default 3) opens IMAGE with PIL and preprocesses it into
pixel_values. Prints one JSON line; `preprocess_s` is the fastest repeat: warm, imports and processor
construction excluded — the time a Python user pays per image once everything is loaded.
"""
import json
import os
import sys
import time

t0 = time.perf_counter()
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
from PIL import Image  # noqa: E402
from transformers import AutoImageProcessor  # noqa: E402

config_dir, image = sys.argv[1], sys.argv[2]
repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 3
processor = AutoImageProcessor.from_pretrained(config_dir, use_fast=False)
t1 = time.perf_counter()
times = []
for _ in range(repeats):
    s = time.perf_counter()
    px = processor(Image.open(image), return_tensors="np")["pixel_values"]
    times.append(time.perf_counter() - s)
print(json.dumps({"import_s": t1 - t0, "preprocess_times_s": times, "preprocess_s": min(times),
                  "processor": type(processor).__name__, "shape": list(px.shape)}))
