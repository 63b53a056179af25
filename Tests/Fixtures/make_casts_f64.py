#!/usr/bin/env python3
"""Writes casts_f64.safetensors: torch's F64 -> F16 and F64 -> BF16 casts, which golden/safetensors/casts.*
does not cover. torch converts F64 to a half type through F32 (so it rounds twice); the values below are
chosen where one rounding and two roundings differ, plus the edges (subnormals, overflow, inf, NaN, -0).

Run with the pinned golden environment (golden/requirements.txt: torch 2.15.0, safetensors 0.8.0):
    python Tests/Fixtures/make_casts_f64.py
"""
from pathlib import Path

import safetensors
import torch
from safetensors.torch import save_file

assert torch.__version__.startswith("2.15.0") and safetensors.__version__ == "0.8.0", (torch.__version__, safetensors.__version__)

values = [
    0.0, -0.0, 1.0, -2.5, 0.1, 1.0 / 3.0,
    1 + 2.0**-11 + 2.0**-40,   # above the F16 tie in F64, exactly the tie in F32: rounds to even twice
    1 + 2.0**-11 - 2.0**-40,   # below the tie
    1 + 2.0**-8 + 2.0**-40,    # the BF16 equivalent
    1 + 3 * 2.0**-8 - 2.0**-40,
    65504.0, 65519.999999999, 65520.0, -65520.0, 1e6,
    2.0**-24, 2.0**-25, 2.0**-25 + 2.0**-60, 1e-8, 1e-300, -1e-320,
    3.4028234663852886e38, 3.3895313892515355e38, 3.39e38, 1e300,
    float("inf"), float("-inf"),
]
nans = torch.tensor([0x7FF8000000000000, -0x0008000000000000, 0x7FF0000000000001, 0x7FF8DEADBEEF0000],
                    dtype=torch.int64).view(torch.float64)
src = torch.cat([torch.tensor(values, dtype=torch.float64), nans])
tensors = {"src_f64": src, "src_f64_to_f16": src.to(torch.float16), "src_f64_to_bf16": src.to(torch.bfloat16)}
save_file(tensors, str(Path(__file__).with_name("casts_f64.safetensors")), metadata={"format": "pt"})
