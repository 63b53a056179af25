"""Peer for `ckpt embed`: transformers' model for HF_DIR (AutoModel: Dinov2Model, or DINOv3ViTModel for the
DINOv3 workload) on the CPU, as a user runs it.

    python torch_embed.py HF_DIR PIXELS.safetensors THREADS [FORWARDS]

Loads the model with from_pretrained (default attention implementation), sets torch's thread count,
then runs FORWARDS (default 2) forward passes under torch.inference_mode on pixel_values and prints one
JSON line with the phase times. The benchmark compares ckpt's whole process with the fastest forward
pass here (`forward_s`), i.e. PyTorch's forward alone, warm.
"""
import json
import os
import sys
import time

t0 = time.perf_counter()
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
import torch  # noqa: E402
from safetensors.torch import load_file  # noqa: E402
from transformers import AutoModel  # noqa: E402

hf_dir, pixels, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
forwards = int(sys.argv[4]) if len(sys.argv) > 4 else 2
torch.set_num_threads(threads)
t1 = time.perf_counter()
model = AutoModel.from_pretrained(hf_dir).eval()
px = load_file(pixels)["pixel_values"]
t2 = time.perf_counter()
times = []
with torch.inference_mode():
    for _ in range(forwards):
        s = time.perf_counter()
        out = model(pixel_values=px)
        times.append(time.perf_counter() - s)
print(json.dumps({
    "import_s": t1 - t0, "load_s": t2 - t1, "forward_times_s": times, "forward_s": min(times),
    "batch": int(px.shape[0]), "threads": torch.get_num_threads(),
    "attn_implementation": model.config._attn_implementation, "torch": torch.__version__,
    "pooler_shape": list(out.pooler_output.shape), "model_class": type(model).__name__,
}))
