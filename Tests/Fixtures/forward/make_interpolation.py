#!/usr/bin/env python3
"""Reference outputs of torch's bicubic position-embedding interpolation, for ckpt's exact-math tests.

    /opt/ckpt-venv/bin/python Tests/Fixtures/forward/make_interpolation.py

Writes interpolation.safetensors next to this script. For each grid G (a random float32
position grid [G, G, D], stored as `grid.G`) and each target (h, w) it stores what the three
upstream conventions produce, computed the way upstream code calls torch (channels-last view,
float32):
  `dinov2.G.hxw`    F.interpolate(scale_factor=((h+0.1)/G, (w+0.1)/G), bicubic, antialias=False)
  `size.G.hxw`      F.interpolate(size=(h, w), bicubic, antialias=False)  (transformers Dinov2Model)
  `aa.G.hxw`        F.interpolate(size=(h, w), bicubic, antialias=True)   (register models)
Outputs are [h, w, D] (row-major grid, channels last), like the token order.
"""
from collections import OrderedDict
from pathlib import Path

import torch
import torch.nn.functional as F
from safetensors.torch import save_file

CASES = {2: [(3, 5), (4, 4), (1, 3)], 5: [(7, 7), (3, 8), (5, 9), (2, 3), (5, 5)], 16: [(37, 37), (9, 23), (16, 40)],
         37: [(16, 16), (40, 52), (37, 20)]}
D = 4


def main():
    torch.manual_seed(1234)
    out = OrderedDict()
    for G, targets in CASES.items():
        grid = torch.randn(1, G, G, D, dtype=torch.float32)
        out[f"grid.{G}"] = grid[0].contiguous()
        inp = grid.permute(0, 3, 1, 2)  # [1, D, G, G], channels-last strides as upstream
        for (h, w) in targets:
            sf = ((h + 0.1) / G, (w + 0.1) / G)
            a = F.interpolate(inp, scale_factor=sf, mode="bicubic", antialias=False)
            b = F.interpolate(inp, size=(h, w), mode="bicubic", align_corners=False, antialias=False)
            c = F.interpolate(inp, size=(h, w), mode="bicubic", align_corners=False, antialias=True)
            assert a.shape[-2:] == (h, w)
            for name, t in (("dinov2", a), ("size", b), ("aa", c)):
                out[f"{name}.{G}.{h}x{w}"] = t[0].permute(1, 2, 0).contiguous()
    save_file(out, str(Path(__file__).with_name("interpolation.safetensors")),
              metadata={"torch": torch.__version__, "generator": "make_interpolation.py"})


if __name__ == "__main__":
    main()
