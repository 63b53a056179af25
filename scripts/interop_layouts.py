#!/usr/bin/env python3
"""Interop check of ckpt's layout conversions against the upstream libraries (not run in CI).

Loads the files `ckpt` writes into Hugging Face `transformers` (AutoModel.from_pretrained, no missing,
unexpected or mismatched keys), into the original facebookresearch DINOv2 code
(`DinoVisionTransformer(block_chunks=0, init_values=1.0).load_state_dict(strict=True)`, `DINOHead`)
and into timm (`timm.create_model("vit_*_patch14[_reg4]_dinov2", pretrained=False, <the case's
width/depth/heads/size>).load_state_dict(strict=True)`), then compares their embeddings on the same
random images. The timm files ckpt writes are also compared byte for byte with timm's own conversion
(`checkpoint_filter_fn`) of the same original-layout file.

    /opt/ckpt-venv/bin/python scripts/interop_layouts.py [--ckpt .build/debug/ckpt] [--golden golden]

Needs torch, transformers, safetensors and `pip install --no-deps dinov2==0.0.1.dev2 torchvision timm`. Register
models use golden/gen/models.py's `DinoVisionTransformerReg` (0.0.1.dev2 predates registers).
Exit status 1 if any load is not strict-clean or any embedding differs by more than --atol.
"""
from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def run(cmd):
    print("  $", " ".join(shlex.quote(str(c)) for c in cmd))
    subprocess.run([str(c) for c in cmd], check=True, stdout=subprocess.DEVNULL)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ckpt", default=str(REPO / ".build/debug/ckpt"))
    ap.add_argument("--golden", default=os.environ.get("CKPT_GOLDEN", str(REPO / "golden")))
    ap.add_argument("--atol", type=float, default=1e-4, help="max |a-b| allowed between embeddings (float32)")
    ap.add_argument("--dinov3-repo", help="facebookresearch/dinov3 git repository (golden/gen/dinov3.py's pinned commit): "
                    "also checks the DINOv3 layouts (Meta's DinoVisionTransformer, DINOv3ViTModel, timm's Eva)")
    ap.add_argument("--only-dinov3", action="store_true", help="skip the DINOv2 cases")
    args = ap.parse_args()

    sys.path.insert(0, args.golden)
    import json

    import torch
    from safetensors.torch import load_file
    from transformers import AutoModel

    from gen import models  # golden/gen/models.py: upstream model construction

    torch.manual_seed(0)
    failures = []
    rows = []

    def strict_hf(path):
        model, info = AutoModel.from_pretrained(path, output_loading_info=True)
        bad = {k: v for k, v in info.items() if v and k in ("missing_keys", "unexpected_keys", "mismatched_keys")}
        if bad:
            failures.append(f"{path}: transformers loading info {bad}")
        return model.eval()

    def features(model, x, registers):
        """(CLS, patch tokens) after the final norm, whichever library the model comes from."""
        with torch.no_grad():
            if hasattr(model, "forward_features") and not hasattr(model, "no_embed_class"):  # original DINOv2
                o = model.forward_features(x)
                return o["x_norm_clstoken"], o["x_norm_patchtokens"]
            if hasattr(model, "no_embed_class"):  # timm VisionTransformer: forward_features = every normed token
                t = model.forward_features(x)
                return t[:, 0], t[:, 1 + registers:]
            h = model(pixel_values=x)  # transformers
            return h.pooler_output, h.last_hidden_state[:, 1 + registers:]

    def compare(label, cfg, a_model, b_model):
        size = cfg["image_size"]
        x = torch.randn(2, 3, size, size, generator=torch.Generator().manual_seed(1))
        R = cfg["registers"]
        (ca, pa), (cb, pb) = features(a_model, x, R), features(b_model, x, R)
        cls = (ca - cb).abs().max().item()
        patches = (pa - pb).abs().max().item()
        rows.append((label, cls, patches))
        if max(cls, patches) > args.atol:
            failures.append(f"{label}: embeddings differ by {max(cls, patches):.3g} > {args.atol}")

    def strict_timm(cfg, path):
        model = models.timm_model(cfg)
        res = model.load_state_dict(load_file(str(path)), strict=True)
        if res.missing_keys or res.unexpected_keys:
            failures.append(f"{path}: timm load_state_dict {res}")
        return model.eval()

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if args.dinov3_repo:
            dinov3_checks(args, tmp, failures, rows)
        cases = [] if args.only_dinov3 else ["tiny", "tiny-reg4", "tiny-swiglu", "vits14-reg4-d2", "vitb14-d2", "swiglu-d2"]
        for name in cases:
            case = json.loads((Path(args.golden) / "models" / name / "case.json").read_text())
            cfg = case["config"]
            print(f"{name}: {cfg['ckpt_synth_args']}")
            d = tmp / name
            d.mkdir()
            # 1. synthetic weights (original layout) -> HF folder -> transformers, strict.
            run([args.ckpt, "synth", *cfg["ckpt_synth_args"].split(), "-o", d / "synth.safetensors"])
            run([args.ckpt, "convert", "dinov2-to-hf", d / "synth.safetensors", "-o", d / "hf"])
            hf = strict_hf(d / "hf")
            # 2. our HF folder -> original layout -> DinoVisionTransformer, strict=True.
            run([args.ckpt, "convert", "hf-to-dinov2", d / "hf", "-o", d / "back.safetensors"])
            orig = models.build_original(cfg)
            orig.load_state_dict(load_file(str(d / "back.safetensors")), strict=True)
            compare(f"{name}: ours hf vs ours dinov2", cfg, hf, orig)
            # 3. against the upstream-written HF folder, where committed.
            upstream_hf = Path(args.golden) / "models" / name / "hf"
            if upstream_hf.is_dir():
                compare(f"{name}: upstream hf vs ours dinov2", cfg, strict_hf(upstream_hf), orig)
            # 4. timm: ours from our HF folder -> timm.create_model, strict; byte-identical to timm's own
            #    conversion of the original-layout file; and back out of timm to the original layout.
            run([args.ckpt, "convert", "layout", d / "hf", "--to", "timm", "-o", d / "timm.safetensors"])
            timm_model = strict_timm(cfg, d / "timm.safetensors")
            compare(f"{name}: ours timm vs ours dinov2", cfg, timm_model, orig)
            compare(f"{name}: ours timm vs ours hf", cfg, timm_model, hf)
            _, timms_own = models.timm_state_dict(cfg, load_file(str(d / "back.safetensors")))
            ours = load_file(str(d / "timm.safetensors"))
            same = set(ours) == set(timms_own) and all(torch.equal(ours[k], timms_own[k]) for k in ours)
            rows.append((f"{name}: ours timm == timm's checkpoint_filter_fn", 0.0 if same else float("inf"), float("nan")))
            if not same:
                failures.append(f"{name}: our timm file differs from timm's own conversion")
            run([args.ckpt, "convert", "layout", d / "timm.safetensors", "--to", "dinov2", "-o", d / "from-timm.safetensors"])
            unfolded = models.build_original(cfg)
            unfolded.load_state_dict(load_file(str(d / "from-timm.safetensors")), strict=True)
            compare(f"{name}: timm vs ours dinov2 from timm", cfg, timm_model, unfolded)
            upstream_timm = Path(args.golden) / "models" / name / "timm.safetensors"
            if upstream_timm.exists():  # the file timm wrote, to HF through ckpt
                run([args.ckpt, "convert", "layout", upstream_timm, "--to", "hf", "-o", d / "hf-from-timm"])
                compare(f"{name}: upstream timm vs ours hf from it", cfg, strict_timm(cfg, upstream_timm),
                        strict_hf(d / "hf-from-timm"))
            # 5. release recipe from the training checkpoint (tiny cases commit one).
            train = Path(args.golden) / "models" / name / "train-ddp.safetensors"
            if train.exists():
                run([args.ckpt, "convert", "train-to-release", train, "--backbone-output", d / "b.safetensors",
                     "--head-output", d / "h.safetensors"])
                run([args.ckpt, "convert", "train-to-release", train, "--backbone-output", d / "b2.safetensors",
                     "--head-output", d / "hp.safetensors", "--weight-norm", "parametrized"])
                rel = models.build_original(cfg)
                rel.load_state_dict(load_file(str(d / "b.safetensors")), strict=True)
                compare(f"{name}: upstream hf vs train-to-release backbone", cfg, strict_hf(upstream_hf), rel)
                head = models.head_module(cfg["width"], {k: v.numpy() for k, v in load_file(str(d / "h.safetensors")).items()})
                ref = models.head_module(cfg["width"], {k: v.numpy() for k, v in load_file(str(Path(args.golden) / "models" / name / "head-legacy.safetensors")).items()})
                param, _ = models.head_param_state_dict(ref)
                param.load_state_dict(load_file(str(d / "hp.safetensors")), strict=True)
                z = torch.randn(4, cfg["width"], generator=torch.Generator().manual_seed(2))
                with torch.no_grad():
                    a, b, c = head(z), ref(z), param(z)
                dh = max((a - b).abs().max().item(), (c - b).abs().max().item())
                rows.append((f"{name}: DINOHead legacy+parametrized vs upstream", dh, float("nan")))
                if dh > args.atol:
                    failures.append(f"{name}: DINOHead outputs differ by {dh:.3g}")

    print()
    print(f"{'comparison':<58} {'max|Δ| CLS':>12} {'max|Δ| patches':>15}")
    for label, c, p in rows:
        print(f"{label:<58} {c:>12.3g} {p:>15.3g}")
    if failures:
        print("\nFAILED:\n  " + "\n  ".join(failures))
        return 1
    print("\nall loads strict-clean; all embeddings within", args.atol)
    return 0


def dinov3_checks(args, tmp, failures, rows):
    """Every DINOv3 golden model, from each of its four files (Meta's .safetensors and .pth,
    transformers' folder, timm's file), converted by ckpt to hf, dinov3 and timm; each output loaded
    strictly into the upstream class (DINOv3ViTModel.from_pretrained with no missing, unexpected or
    mismatched keys; Meta's DinoVisionTransformer with the released arguments, load_state_dict
    strict=True; timm's Eva, strict=True), and its outputs compared with the upstream-written HF
    model's on the same random 64x96 images."""
    import json

    import torch
    from safetensors.torch import load_file
    from transformers import DINOv3ViTModel

    from gen import dinov3

    x = torch.randn(2, 3, 64, 96, generator=torch.Generator().manual_seed(1))

    def out(kind, m):
        o = dinov3.outputs(kind, m, x)
        return o["last_hidden_state"]

    with dinov3.meta_code(args.dinov3_repo) as vt:
        for name, cfg in dinov3.CASES.items():
            gold = Path(args.golden) / "models" / name
            ref = out("hf", DINOv3ViTModel.from_pretrained(str(gold / "hf"), attn_implementation="eager").eval())
            hidden = json.loads((gold / "case.json").read_text())["weights"]["model"]["ffn_hidden"]
            for src in ("dinov3.safetensors", "dinov3.pth", "hf", "timm.safetensors"):
                for to in ("hf", "dinov3", "timm"):
                    dest = tmp / (f"{name}-{src.replace('.', '_')}-{to}" + ("" if to == "hf" else ".safetensors"))
                    run([args.ckpt, "convert", "layout", gold / src, "--to", to, "-o", dest])
                    label = f"{name}: {src} -> {to}"
                    if to == "hf":
                        model, info = DINOv3ViTModel.from_pretrained(str(dest), output_loading_info=True, attn_implementation="eager")
                        bad = {k: v for k, v in info.items() if v and k in ("missing_keys", "unexpected_keys", "mismatched_keys")}
                        if bad:
                            failures.append(f"{label}: transformers loading info {bad}")
                        got = out("hf", model.eval())
                    elif to == "dinov3":
                        model = dinov3.meta_model(vt, cfg)
                        model.load_state_dict(load_file(str(dest)), strict=True)
                        got = out("meta", model.eval())
                    else:
                        _, _, model = dinov3.timm_model(cfg, hidden)
                        model.load_state_dict(load_file(str(dest)), strict=True)
                        got = out("timm", model.eval())
                    diff = (got - ref).abs().max().item()
                    rows.append((label, (got[:, 0] - ref[:, 0]).abs().max().item(), diff))
                    if diff > args.atol:
                        failures.append(f"{label}: outputs differ by {diff:.3g} > {args.atol}")


if __name__ == "__main__":
    sys.exit(main())
