"""Peer for `ckpt embed --image`: what the rad-dino package does, from a local folder.

    python raddino_embed.py MODEL_DIR BATCH THREADS IMAGE...

AutoImageProcessor.from_pretrained(MODEL_DIR, use_fast=False) + AutoModel.from_pretrained(MODEL_DIR), then the
images in batches of BATCH: PIL open, processor, forward under torch.inference_mode (rad_dino.RadDino's
extract_features without the hub download). The benchmark compares whole processes (wall time and peak RSS);
the JSON line adds the phase times.
"""
import json
import os
import sys
import time

t0 = time.perf_counter()
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
import torch  # noqa: E402
from PIL import Image  # noqa: E402
from transformers import AutoImageProcessor, AutoModel  # noqa: E402

model_dir, batch, threads, images = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
torch.set_num_threads(threads)
t1 = time.perf_counter()
model = AutoModel.from_pretrained(model_dir).eval()
processor = AutoImageProcessor.from_pretrained(model_dir, use_fast=False)
t2 = time.perf_counter()
pre = fwd = 0.0
cls = []
with torch.inference_mode():
    for i in range(0, len(images), batch):
        s = time.perf_counter()
        inputs = processor([Image.open(p) for p in images[i:i + batch]], return_tensors="pt")
        m = time.perf_counter()
        out = model(**inputs)
        cls.append(out.last_hidden_state[:, 0])
        fwd += time.perf_counter() - m
        pre += m - s
print(json.dumps({"import_s": t1 - t0, "load_s": t2 - t1, "preprocess_s": pre, "forward_s": fwd,
                  "images": len(images), "batch": batch, "threads": torch.get_num_threads(),
                  "cls_shape": list(torch.cat(cls).shape)}))
