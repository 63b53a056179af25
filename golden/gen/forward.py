"""Section D: forward golden cases -> golden/forward/<case>/, and the `forward-case` CLI for real weights."""
from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import json
import shutil
from collections import OrderedDict
from pathlib import Path

import numpy as np
import torch

from . import models, synth
from .common import (COMPRESS_ABOVE, GENERATOR_VERSION, GOLDEN, MAX_FILE, log, sha256_bytes, sha256_file, sig,
                     write_bytes, write_json, zstd_compress)
from .model_fixtures import LARGE_CASES, TINY_CASES, synth_backbone, synth_head
from .versions import versions_record

OUT = GOLDEN / "forward"
MEAN, STD = 0.5307, 0.2583
BATCH = 2
SAFETY = 10.0
SUBSET_ABOVE = 4 * 1024 * 1024  # last_hidden_state above this many bytes is stored as head/tail token subsets
SUBSET_HEAD, SUBSET_TAIL = 200, 64


# ---------------------------------------------------------------------------------------------
# pixels
# ---------------------------------------------------------------------------------------------
def images_u8(B, H, W):
    """Deterministic smooth synthetic RGB images, uint8 [B,3,H,W] (coordinates normalised to [0,1))."""
    y = (np.arange(H, dtype=np.float64)[:, None] + 0.5) / H
    x = (np.arange(W, dtype=np.float64)[None, :] + 0.5) / W
    out = np.empty((B, 3, H, W), dtype=np.uint8)
    for b in range(B):
        for c in range(3):
            v = (0.5
                 + 0.30 * np.sin(2 * np.pi * ((1.5 + b + 0.5 * c) * x + (0.75 + 0.5 * b) * y) + c)
                 + 0.15 * np.cos(2 * np.pi * (3.0 * x * y - (2.0 + b) * y + 0.25 * c))
                 - 0.10 * (x - 0.5) * (1 + c - b))
            out[b, c] = np.clip(np.rint(255.0 * v), 0, 255).astype(np.uint8)
    return out


def normalise(u8):
    """(u8 / 255 - 0.5307) / 0.2583 in float32 (the RAD-DINO processor constants on every channel)."""
    f = u8.astype(np.float32) / np.float32(255.0)
    return ((f - np.float32(MEAN)) / np.float32(STD)).astype(np.float32)


PIXELS_DOC = ("pixel_values = float32((u8 / 255 - 0.5307) / 0.2583) computed in float32, u8 = gen/forward.py "
              "images_u8(B, H, W) (smooth sin/cos patterns, stored as pixel_values_u8)")


# ---------------------------------------------------------------------------------------------
# running the upstream models
# ---------------------------------------------------------------------------------------------
@contextlib.contextmanager
def f64_interpolation():
    """Upstream code interpolates position embeddings in float32 even in a float64 model
    (HF casts with .to(float32); dinov2 calls pos_embed.float()).  For the float64 reference we
    route F.interpolate through float64 so the measured error includes the interpolation."""
    orig = torch.nn.functional.interpolate

    def interp(inp, *a, **kw):
        return orig(inp.double(), *a, **kw)

    torch.nn.functional.interpolate = interp
    try:
        yield
    finally:
        torch.nn.functional.interpolate = orig


def run_model(kind, model, px, head=None):
    with torch.inference_mode():
        if kind == "hf":
            o = model(pixel_values=px)
            out = OrderedDict([("pooler_output", o.pooler_output), ("last_hidden_state", o.last_hidden_state)])
        elif kind == "timm":
            # forward_features: every token after the final norm (CLS, registers, patches); the
            # default 'token' pooling of forward_head takes [:, 0] (fc_norm and head are Identity).
            x = model.forward_features(px)
            out = OrderedDict([("pooler_output", x[:, 0]), ("last_hidden_state", x)])
        else:
            f = model.forward_features(px)
            parts = [f["x_norm_clstoken"][:, None]]
            if "x_norm_regtokens" in f:
                parts.append(f["x_norm_regtokens"])
            parts.append(f["x_norm_patchtokens"])
            out = OrderedDict([("pooler_output", f["x_norm_clstoken"]), ("last_hidden_state", torch.cat(parts, 1))])
        if head is not None:
            out["head_output"] = head(out["pooler_output"])
    return OrderedDict((k, v.detach().clone().contiguous()) for k, v in out.items())


def deviation(a: torch.Tensor, ref: torch.Tensor):
    a = a.double()
    ref = ref.double()
    d = (a - ref).abs()
    def max_rel_over(th):
        m = ref.abs() >= th
        return float((d[m] / ref.abs()[m]).max()) if bool(m.any()) else None

    rel_1 = max_rel_over(1.0)
    rel_001 = max_rel_over(1e-2)
    a2 = a.reshape(-1, a.shape[-1])
    r2 = ref.reshape(-1, ref.shape[-1])
    cos = (a2 * r2).sum(-1) / (a2.norm(dim=-1) * r2.norm(dim=-1)).clamp_min(1e-300)
    return {"max_abs": float(d.max()), "max_rel": rel_1 if rel_1 is not None else (rel_001 or 0.0),
            "max_rel_ref_ge_0.01": rel_001, "min_cosine": float(cos.min()), "max_abs_ref": float(ref.abs().max())}


def tolerances(measured):
    atol = max(sig(SAFETY * max(m["max_abs"] for m in measured.values())), 1e-7)
    rtol = max(sig(SAFETY * max(m["max_rel"] for m in measured.values())), 1e-7)
    one_minus = max(sig(SAFETY * max(1.0 - m["min_cosine"] for m in measured.values())), 1e-10)
    return {"atol": atol, "rtol": rtol, "min_cosine": float(f"{1.0 - one_minus:.12g}"),
            "rule": f"{SAFETY:g} x the float32-vs-float64 deviation measured for this case (max over outputs), "
                    "rounded up to 2 significant digits; max_rel over elements with |ref| >= 1 (|ref| >= 1e-2 if none); "
                    "floors atol/rtol 1e-7, 1-min_cosine 1e-10. Check: |x - ref| <= atol + rtol*|ref| elementwise "
                    "and cosine(x_row, ref_row) >= min_cosine for every last-dim row."}


def _st_bytes(tensors, metadata=None):
    from safetensors.torch import save

    return save(OrderedDict((k, v.contiguous()) for k, v in tensors.items()), metadata=metadata or {"format": "pt"})


def _write_maybe_zst(d: Path, name: str, b: bytes):
    if len(b) > COMPRESS_ABOVE:
        z = zstd_compress(b, 19)
        assert len(z) <= MAX_FILE, (name, len(z))
        write_bytes(d / (name + ".zst"), z)
        return {"file": name + ".zst", "sha256": sha256_bytes(z), "size": len(z),
                "decompressed_sha256": sha256_bytes(b), "decompressed_size": len(b), "zstd_level": 19}
    write_bytes(d / name, b)
    return {"file": name, "sha256": sha256_bytes(b), "size": len(b)}


def interp_record(convention, registers, grid_native, grid):
    if convention == "none":
        return {"convention": "none", "note": "native grid: the position embedding is used as stored"}
    if convention == "hf":
        return {"convention": "hf", "mode": "bicubic", "align_corners": False, "output": "size=(h0, w0)",
                "antialias": bool(registers), "dtype": "float32",
                "source": "transformers " + ("Dinov2WithRegistersEmbeddings" if registers else "Dinov2Embeddings")
                          + ".interpolate_pos_encoding", "from_grid": [grid_native, grid_native], "to_grid": grid}
    if registers:
        return {"convention": "dinov2", "mode": "bicubic", "align_corners": False, "output": "size=(h0, w0)",
                "antialias": True, "interpolate_offset": 0.0, "dtype": "float32",
                "source": "dinov2 hub *_reg models (interpolate_antialias=True, interpolate_offset=0.0)",
                "from_grid": [grid_native, grid_native], "to_grid": grid}
    return {"convention": "dinov2", "mode": "bicubic", "align_corners": False,
            "output": "scale_factor=((h0+0.1)/G, (w0+0.1)/G); torch uses the given scale (not in/out sizes) for "
                      "the source coordinate: src = (dst + 0.5) * float32(1 / scale_factor) - 0.5 (1/scale_factor in double)",
            "antialias": False, "interpolate_offset": 0.1, "dtype": "float32",
            "source": "dinov2 DinoVisionTransformer.interpolate_pos_encoding (dinov2 0.0.1.dev2 / hub defaults)",
            "from_grid": [grid_native, grid_native], "to_grid": grid}


def make_case(d: Path, *, ref_kind, build, H, W, convention, registers, grid_native, weights, head_build=None,
              cross=None, extra=None, batch=BATCH, measure=True, pixels=None):
    """build(dtype) -> model for ref_kind; cross = (kind, build, label) for a cross-check forward.
    pixels: (pixel_values [B,3,H,W] float32, how) from elsewhere (image cases); default: images_u8 normalised."""
    if d.exists():
        shutil.rmtree(d)
    d.mkdir(parents=True)
    if pixels is None:
        u8 = images_u8(batch, H, W)
        px = torch.from_numpy(normalise(u8))
        pix_tensors = OrderedDict([("pixel_values", px), ("pixel_values_u8", torch.from_numpy(u8))])
        pix_how = PIXELS_DOC
    else:
        px, pix_how = pixels
        pix_tensors = OrderedDict([("pixel_values", px)])
        batch = px.shape[0]
        assert tuple(px.shape[2:]) == (H, W), (px.shape, H, W)
    model = build(torch.float32)
    model_class = type(model).__name__
    head = head_build(torch.float32) if head_build else None
    out = run_model(ref_kind, model, px, head)
    measured = OrderedDict()
    if measure:
        import copy

        m64 = copy.deepcopy(model).to(torch.float64)
        del model
        h64 = head_build(torch.float64) if head_build else None
        with f64_interpolation():
            out64 = run_model(ref_kind, m64, px.double(), h64)
        del m64
        for k in out:
            measured[k] = deviation(out[k], out64[k])
    else:
        del model
    cross_rec = None
    if cross is not None:
        ckind, cbuild, label = cross
        cm = cbuild(torch.float32)
        cout = run_model(ckind, cm, px, head)
        del cm
        cross_rec = {"label": label, **{k: deviation(cout[k], out[k]) for k in out if k in cout}}
    T = out["last_hidden_state"].shape[1]
    expected = OrderedDict()
    subsets = None
    expected["pooler_output"] = out["pooler_output"]
    lhs = out["last_hidden_state"]
    if lhs.numel() * 4 > SUBSET_ABOVE:
        expected["last_hidden_state_head"] = lhs[:, :SUBSET_HEAD]
        expected["last_hidden_state_tail"] = lhs[:, T - SUBSET_TAIL:]
        subsets = {"last_hidden_state_head": f"last_hidden_state[:, 0:{SUBSET_HEAD}, :] (CLS, registers, first patches)",
                   "last_hidden_state_tail": f"last_hidden_state[:, {T - SUBSET_TAIL}:{T}, :] (last patches)",
                   "why": f"full last_hidden_state {list(lhs.shape)} would exceed the size budget"}
    else:
        expected["last_hidden_state"] = lhs
    if "head_output" in out:
        expected["head_output"] = out["head_output"]
    pix_rec = _write_maybe_zst(d, "pixels.safetensors", _st_bytes(pix_tensors))
    exp_rec = _write_maybe_zst(d, "expected.safetensors", _st_bytes(expected))
    gh, gw = H // models.PATCH, W // models.PATCH
    rec = OrderedDict()
    rec["case"] = d.name
    rec["generator_version"] = GENERATOR_VERSION
    rec["weights"] = weights
    implementation = {"hf": "transformers " + model_class + " (attn_implementation=eager)",
                      "timm": "timm " + model_class + ".forward_features (pooler_output = its [:, 0], the 'token' pooling)"}
    rec["reference"] = {"layout": ref_kind,
                        "implementation": implementation.get(ref_kind, "dinov2 " + model_class + ".forward_features"),
                        "dtype": "float32", "mode": "eval(), torch.inference_mode()"}
    rec["interpolation"] = interp_record(convention, registers, grid_native, [gh, gw])
    rec["image_size"] = [H, W]
    rec["batch"] = batch
    rec["grid"] = [gh, gw]
    if H % models.PATCH or W % models.PATCH:
        rec["crop"] = (f"{H}x{W} is not a multiple of {models.PATCH}: the stride-{models.PATCH} patch conv ignores the "
                       f"last {H % models.PATCH} rows / {W % models.PATCH} columns (transformers). The original dinov2 "
                       "PatchEmbed asserts H, W % patch == 0 and refuses this input, so there is no dinov2 reference.")
    rec["tokens"] = {"total": T, "cls": 1, "registers": registers, "patches": gh * gw,
                     "order": "CLS, registers, patches (row-major over the grid)"}
    rec["pixels"] = dict(pix_rec, tensors={k: list(v.shape) for k, v in pix_tensors.items()}, how=pix_how)
    rec["expected"] = dict(exp_rec, tensors={k: list(v.shape) for k, v in expected.items()},
                           meaning={"pooler_output": "final-LayerNorm'ed CLS token (HF pooler_output / dinov2 x_norm_clstoken)",
                                    "last_hidden_state": "final-LayerNorm'ed tokens [B, 1+R+N, D]",
                                    "head_output": "DINOHead(pooler_output): mlp -> L2 normalise (eps 1e-12) -> weight-normed last layer"})
    if subsets:
        rec["expected"]["subsets"] = subsets
    if measured:
        rec["tolerance"] = tolerances(measured)
        rec["measured_f32_vs_f64"] = measured
        rec["measured_how"] = ("same upstream model in float64 (model.double(), pixels.double(); position-embedding "
                               "interpolation also in float64), compared with the stored float32 reference")
    else:
        rec["tolerance"] = None
        rec["measured_f32_vs_f64"] = None
    if cross_rec:
        rec["cross_check"] = cross_rec
    if extra:
        rec.update(extra)
    rec["versions"] = versions_record()
    rec["versions"]["torch_build"] = torch.__version__
    write_json(d / "golden.json", rec)
    return rec


# ---------------------------------------------------------------------------------------------
# committed cases
# ---------------------------------------------------------------------------------------------
class _Cache:
    def __init__(self):
        self.t = {}

    def tensors(self, key, cfg, seed=0):
        k = (key, seed)
        if k not in self.t:
            self.t[k] = synth_backbone(cfg, seed)
        return self.t[k]


def builders(cfg, tensors):
    def orig(dtype):
        return models.original_model(cfg, tensors).to(dtype)

    def hf(dtype):
        return models.hf_model(cfg, tensors)[0].to(dtype)

    return orig, hf


def weights_record(name, cfg, tensors, committed):
    rec = OrderedDict()
    syn = OrderedDict(cfg)
    syn["patch"] = models.PATCH
    syn["seed"] = 0
    rec["synth"] = syn
    rec["ckpt_synth_args"] = (f"--width {cfg['width']} --depth {cfg['depth']} --heads {cfg['heads']} --registers "
                              f"{cfg['registers']} --ffn {cfg['ffn']} --image-size {cfg['image_size']} --seed 0")
    rec["synth_file_sha256"] = sha256_bytes(synth.file_bytes(tensors))
    if committed:
        rec["files"] = {"dinov2": f"models/{name}/dinov2.safetensors", "hf": f"models/{name}/hf/model.safetensors",
                        "hf_config": f"models/{name}/hf/config.json"}
        rec["file_sha256"] = {k: sha256_file(GOLDEN / v) for k, v in rec["files"].items()}
        rec["note"] = "models/<case>/dinov2.safetensors is byte-identical to the synth file"
    else:
        rec["files"] = None
        rec["note"] = "weights not committed: regenerate them with the synth parameters (sha256 above)"
    return rec


def case_set(name, cfg, tensors, committed, sizes, head=False, crop=None):
    """sizes: list of (H, W). First is native."""
    orig, hf = builders(cfg, tensors)
    R = cfg["registers"]
    G = cfg["image_size"] // models.PATCH
    w = weights_record(name, cfg, tensors, committed)
    recs = []
    for (H, W) in sizes:
        native = (H, W) == (cfg["image_size"],) * 2
        tag = "native" if native else (f"{H}" if H == W else f"{H}x{W}")
        if native:
            log(f"[forward] {name}-{tag}")
            recs.append(make_case(OUT / f"{name}-{tag}", ref_kind="hf", build=hf, H=H, W=W, convention="none",
                                  registers=R, grid_native=G, weights=w,
                                  cross=("dinov2", orig, "original dinov2 layout, same input (must agree within tolerance)")))
            continue
        for conv in ("dinov2", "hf"):
            log(f"[forward] {name}-{tag}-{conv}")
            ref_kind, build, other = ("dinov2", orig, ("hf", hf)) if conv == "dinov2" else ("hf", hf, ("dinov2", orig))
            recs.append(make_case(OUT / f"{name}-{tag}-{conv}", ref_kind=ref_kind, build=build, H=H, W=W,
                                  convention=conv, registers=R, grid_native=G, weights=w,
                                  cross=(other[0], other[1],
                                         f"the other convention ({other[0]}) on the same input: shows how far apart the "
                                         "conventions are (identical for register models)")))
    if crop:
        H, W = crop
        log(f"[forward] {name}-{H}x{W}-hf (crop)")
        recs.append(make_case(OUT / f"{name}-{H}x{W}-hf", ref_kind="hf", build=hf, H=H, W=W, convention="hf",
                              registers=R, grid_native=G, weights=w))
    if head:
        D = cfg["width"]
        ht = synth_head(D, 0)

        def hb(dtype):
            return models.head_module(D, ht).to(dtype)

        log(f"[forward] {name}-head")
        hw = dict(w)
        hw["head"] = {"file": f"models/{name}/head-legacy.safetensors",
                      "sha256": sha256_file(GOLDEN / f"models/{name}/head-legacy.safetensors"),
                      "also": f"models/{name}/head-param.safetensors (same values, parametrized names)",
                      "synth": {"in_dim": D, "hidden": 48, "bottleneck": 16, "out": 64, "nlayers": 3, "seed": 0}}
        recs.append(make_case(OUT / f"{name}-head", ref_kind="dinov2", build=orig, H=cfg["image_size"],
                              W=cfg["image_size"], convention="none", registers=R, grid_native=G, weights=hw,
                              head_build=hb))
    return recs


RADDINO = dict(width=768, depth=12, heads=12, registers=0, ffn="mlp", image_size=518)


def run():
    for n in TINY_CASES:
        if not (GOLDEN / "models" / n / "dinov2.safetensors").exists():
            raise SystemExit("forward: golden/models/ is missing; run `generate.py --only models` first")
    from .images import FORWARD_IMAGES, OUT as IMAGES

    for n in FORWARD_IMAGES:
        if not (IMAGES / "inputs" / n).exists():
            raise SystemExit("forward: golden/images/ is missing; run `generate.py --only images` first")
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    c = _Cache()
    tiny = TINY_CASES
    case_set("tiny", tiny["tiny"], c.tensors("tiny", tiny["tiny"]), True,
             [(28, 28), (56, 56), (42, 70)], head=True, crop=(45, 60))
    case_set("tiny-reg4", tiny["tiny-reg4"], c.tensors("tiny-reg4", tiny["tiny-reg4"]), True,
             [(28, 28), (56, 56), (42, 70)], crop=(45, 60))
    case_set("tiny-swiglu", tiny["tiny-swiglu"], c.tensors("tiny-swiglu", tiny["tiny-swiglu"]), True,
             [(42, 42), (56, 56), (28, 70)], crop=(45, 60))
    for name in ("vits14-reg4-d2", "swiglu-d2"):
        cfg = LARGE_CASES[name]
        case_set(name, cfg, c.tensors(name, cfg), False, [(224, 224), (196, 280)])
    # RAD-DINO shape, synthetic weights
    log("[forward] raddino-synth (ViT-B/14, 12 blocks, 518)")
    t = synth_backbone(RADDINO, 0)
    orig, hf = builders(RADDINO, t)
    w = weights_record("raddino-synth", RADDINO, t, False)
    w["note"] = ("RAD-DINO architecture (HF Dinov2Model, 223 tensors, 86,580,480 parameters) with synthetic weights; "
                 "weights not committed, regenerate with the synth parameters")
    make_case(OUT / "raddino-synth", ref_kind="hf", build=hf, H=518, W=518, convention="none", registers=0,
              grid_native=37, weights=w,
              cross=("dinov2", orig, "original dinov2 layout, same input (must agree within tolerance)"))
    image_cases(c)
    timm_cases(c)


def image_cases(c):
    """tiny-images-{hf,dinov2}: the tiny model on transformers' pixel_values of real image files (golden/images)."""
    from . import images

    px, img_rec = images.forward_pixels("pil")
    cfg = TINY_CASES["tiny"]
    t = c.tensors("tiny", cfg)
    orig, hf = builders(cfg, t)
    w = weights_record("tiny", cfg, t, True)
    S = cfg["image_size"]
    how = (f"{img_rec['processor']} with preprocessor_config.json on the image files listed under "
           "'images', in that order (Image.open(file), return_tensors='pt'; batch of differently sized images)")
    for kind, build, other in (("hf", hf, ("dinov2", orig)), ("dinov2", orig, ("hf", hf))):
        name = f"tiny-images-{kind}"
        log(f"[forward] {name}")
        d = OUT / name
        rec = make_case(d, ref_kind=kind, build=build, H=S, W=S, convention="none", registers=0,
                        grid_native=S // models.PATCH, weights=w, pixels=(px, how),
                        cross=(other[0], other[1], f"the {other[0]} layout on the same pixels (must agree within "
                                                   "tolerance)"),
                        extra={"images": img_rec})
        write_bytes(d / "preprocessor_config.json", images.forward_config_text())
        rec["images"]["preprocessor_config_sha256"] = sha256_file(d / "preprocessor_config.json")
        for n in ("pillow", "torchvision"):
            rec["versions"][n] = importlib.metadata.version(n)
        write_json(d / "golden.json", rec)


USER_CASE = GOLDEN / "user-cases" / "tiny-release-images"
USER_CASE_IMAGES = ["gray16.png", "jpeg-gray.jpg"]


def run_user_case():
    """Section user-case: what a release engineer does at sign-off, on golden data: forward-case --images on two
    bundled images (grayscale, as X-rays are) with the tiny release bundle of the hub section (its own
    preprocessor_config.json and DINOHead), through the same CLI a user runs."""
    import json as _json

    hub = GOLDEN / "hub" / "hub.json"
    if not hub.exists():
        raise SystemExit("user-case: golden/hub/ is missing; run `generate.py --only hub` first")
    rec = _json.loads(hub.read_text())
    snapshot = GOLDEN / "hub" / "cache" / rec["repo_folder"] / "snapshots" / rec["revisions"]["main"]
    if USER_CASE.parent.exists():
        shutil.rmtree(USER_CASE.parent)
    USER_CASE.parent.mkdir(parents=True)
    return cli(["--weights", str(snapshot), "--layout", "hf", "--head", str(snapshot / "dino_head.safetensors"),
                "--images", *[str(GOLDEN / "images" / "inputs" / n) for n in USER_CASE_IMAGES], "--out", str(USER_CASE)])


def run_timm():
    """Only the timm cases (section forward-timm): rewrites their folders and leaves every other case
    as committed (float outputs can differ in the last bits from machine to machine)."""
    for n in TINY_CASES:
        if not (GOLDEN / "models" / n / "timm.safetensors").exists():
            raise SystemExit("forward-timm: golden/models/*/timm.safetensors is missing; run `generate.py --only models` first")
    OUT.mkdir(parents=True, exist_ok=True)
    for d in OUT.glob("*timm*"):
        shutil.rmtree(d)
    timm_cases(_Cache())


def timm_cases(c):
    """<case>-timm-native: timm's own VisionTransformer (models.timm_model) loaded strictly with
    models/<case>/timm.safetensors (timm's own conversion, section B), forward_features at the native
    size; cross-check: the original dinov2 model on the same input.  tiny-reg4-56-timm: the same with
    dynamic_img_size=True at 56x56, where timm resamples the patch positions with
    resample_abs_pos_embed (bicubic, antialias=True, size=(h0, w0)): the dinov2 hub `_reg` convention."""
    from safetensors.torch import load_file

    for name, cfg in TINY_CASES.items():
        t = c.tensors(name, cfg)
        orig, _ = builders(cfg, t)
        w = weights_record(name, cfg, t, True)
        w["files"]["timm"] = f"models/{name}/timm.safetensors"
        w["file_sha256"]["timm"] = sha256_file(GOLDEN / w["files"]["timm"])
        w["timm"] = {"model": models.timm_name(cfg), "create_model_kwargs": models.timm_kwargs(cfg), "pretrained": False}
        S, R = cfg["image_size"], cfg["registers"]
        sizes = [(S, S)] + ([(56, 56)] if name == "tiny-reg4" else [])
        for (H, W) in sizes:
            native = (H, W) == (S, S)

            def build(dtype, _cfg=cfg, _name=name, _dynamic=not native):
                m = models.timm_model(_cfg, dynamic_img_size=_dynamic)
                m.load_state_dict(load_file(str(GOLDEN / "models" / _name / "timm.safetensors")), strict=True)
                return m.eval().to(dtype)

            case = f"{name}-timm-native" if native else f"{name}-{H}-timm"
            log(f"[forward] {case}")
            tw = dict(w)
            if not native:
                tw["timm"] = dict(w["timm"], create_model_kwargs=models.timm_kwargs(cfg, dynamic_img_size=True))
            extra = {}
            if not native:
                extra["interpolation"] = dict(interp_record("dinov2", R, S // models.PATCH, [H // models.PATCH, W // models.PATCH]),
                                              source="timm VisionTransformer(dynamic_img_size=True)._pos_embed -> "
                                                     "resample_abs_pos_embed(bicubic, antialias=True, size=(h0, w0)), "
                                                     "the call the dinov2 hub *_reg models make (convention dinov2)")
            rec = make_case(OUT / case, ref_kind="timm", build=build, H=H, W=W, convention="none" if native else "dinov2",
                            registers=R, grid_native=S // models.PATCH, weights=tw,
                            cross=("dinov2", orig, "original dinov2 layout, same input (must agree within tolerance)"),
                            extra=extra)
            rec["versions"]["timm"] = importlib.metadata.version("timm")
            write_json(OUT / case / "golden.json", rec)


# ---------------------------------------------------------------------------------------------
# forward-case CLI (real weights)
# ---------------------------------------------------------------------------------------------
def user_image_pixels(files, preprocessor: Path):
    """transformers' pixel_values of the user's image files as one batch, through the processor a user of the model
    gets (AutoImageProcessor.from_pretrained on the folder of preprocessor_config.json, use_fast=False: the PIL
    backend, as rad-dino uses), and how they were made."""
    import tempfile

    from PIL import Image
    from transformers import AutoImageProcessor

    names = [f.name for f in files]
    if len(set(names)) != len(names):
        raise SystemExit(f"--images: two files share a name ({names}); the case stores them by name")
    for f in files:
        if not f.is_file():
            raise SystemExit(f"{f}: no such image file")
    with tempfile.TemporaryDirectory() as td:
        shutil.copyfile(preprocessor, Path(td) / "preprocessor_config.json")
        proc = AutoImageProcessor.from_pretrained(td, use_fast=False)
    ims = [Image.open(f) for f in files]
    try:
        px = proc(ims, return_tensors="pt")["pixel_values"]
    finally:
        for im in ims:
            im.close()
    how = (f"transformers {type(proc).__name__} (AutoImageProcessor, use_fast=False) "
           f"{importlib.metadata.version('transformers')} with preprocessor_config.json on the image files listed under "
           "'images', in that order (Image.open(file), return_tensors='pt', one batch)")
    return px.to(torch.float32).contiguous(), how, files, f"transformers {type(proc).__name__} (use_fast=False) " \
        f"{importlib.metadata.version('transformers')}"


def write_user_images(d: Path, files, preprocessor: Path, processor: str):
    """Copies the images and the preprocessor config into the case, and the 'images' record GoldenImageCheck reads."""
    (d / "images").mkdir()
    for f in files:
        shutil.copyfile(f, d / "images" / f.name)
    shutil.copyfile(preprocessor, d / "preprocessor_config.json")
    return OrderedDict(files=[f"images/{f.name}" for f in files],
                       sha256=[sha256_file(d / "images" / f.name) for f in files],
                       preprocessor_config="preprocessor_config.json", backend="pil",
                       processor=processor,
                       preprocessor_config_sha256=sha256_file(d / "preprocessor_config.json"))


def user_versions():
    return OrderedDict((n, importlib.metadata.version(n)) for n in ("pillow", "torchvision"))


def _load_state_dict(path: Path):
    if path.suffix in (".pth", ".pt", ".bin"):
        sd = torch.load(str(path), map_location="cpu", weights_only=True)
    else:
        from safetensors.torch import load_file

        sd = load_file(str(path))
    return sd


def _strip_original(sd, section="backbone"):
    for key in ("teacher", "model", "state_dict"):
        if isinstance(sd, dict) and key in sd and isinstance(sd[key], dict):
            sd = sd[key]
    keys = list(sd)
    for pre in (f"module.teacher.{section}.", f"teacher.{section}.module.", f"teacher.{section}.",
                f"{section}.module.", f"module.{section}.", f"{section}.", "module."):
        if any(k.startswith(pre) for k in keys):
            sd = {k[len(pre):]: v for k, v in sd.items() if k.startswith(pre)}
            break
    # un-chunk blocks.{c}.{i}.* -> blocks.{i}.*
    out = OrderedDict()
    for k, v in sd.items():
        p = k.split(".")
        if p[0] == "blocks" and len(p) > 3 and p[1].isdigit() and p[2].isdigit():
            k = ".".join(["blocks", p[2]] + p[3:])
        out[k] = v
    return out


def cli(argv):
    ap = argparse.ArgumentParser(prog="generate.py forward-case",
                                 description="Make one golden forward case for any checkpoint (e.g. the real RAD-DINO).")
    ap.add_argument("--weights", required=True, help="hf: model dir or model.safetensors (config.json beside it); "
                                                     "dinov2: .safetensors or .pth state dict (original layout)")
    ap.add_argument("--layout", required=True, choices=("hf", "dinov2"))
    ap.add_argument("--out", required=True)
    ap.add_argument("--image-size", help="N or HxW (default: the checkpoint's native size)")
    ap.add_argument("--head", help="DINOHead weights (.safetensors/.pth; legacy weight_g/weight_v or parametrized names)")
    ap.add_argument("--batch", type=int, default=BATCH)
    ap.add_argument("--heads", type=int, help="attention heads for --layout dinov2 (default width // 64)")
    ap.add_argument("--no-f64", action="store_true", help="skip the float64 measurement (no tolerance recorded)")
    ap.add_argument("--images", nargs="+", metavar="FILE",
                    help="the release's own images (PNG/JPEG): pixel_values are transformers' (AutoImageProcessor, "
                         "use_fast=False as rad-dino uses) on them, as one batch; the files are copied into the case")
    ap.add_argument("--preprocessor", help="preprocessor_config.json for --images (default: the one next to --weights)")
    a = ap.parse_args(argv)
    if a.images and (a.image_size or a.batch != BATCH):
        ap.error("--images sets the batch and the image size (from the preprocessor): drop --image-size/--batch")
    if a.preprocessor and not a.images:
        ap.error("--preprocessor applies to --images")
    from .common import setup_torch

    setup_torch()
    wpath = Path(a.weights).resolve()
    if a.layout == "hf":
        from transformers import AutoConfig, Dinov2Model, Dinov2WithRegistersModel

        mdir = wpath if wpath.is_dir() else wpath.parent
        conf = AutoConfig.from_pretrained(mdir)
        mcls = Dinov2WithRegistersModel if conf.model_type == "dinov2_with_registers" else Dinov2Model
        R = getattr(conf, "num_register_tokens", 0) if conf.model_type == "dinov2_with_registers" else 0
        native = conf.image_size if isinstance(conf.image_size, int) else conf.image_size[0]
        patch = conf.patch_size if isinstance(conf.patch_size, int) else conf.patch_size[0]

        def build(dtype):
            return mcls.from_pretrained(mdir, attn_implementation="eager").eval().to(dtype)

        files = sorted(mdir.glob("*.safetensors")) + sorted(mdir.glob("config.json"))
        weights = {"layout": "hf", "path": wpath.name, "class": mcls.__name__,
                   "file_sha256": {f.name: sha256_file(f) for f in files}}
        kind = "hf"
    else:
        sd = _strip_original(_load_state_dict(wpath))
        cfg = models.infer_original_cfg(sd)
        if a.heads:
            cfg["heads"] = a.heads
        if not cfg["heads"] or cfg["width"] % cfg["heads"]:
            raise SystemExit(f"cannot infer the number of heads for width {cfg['width']}; pass --heads")
        R = cfg["registers"]
        native = cfg["image_size"]
        patch = cfg["patch"]
        tens = {k: v.float().numpy() for k, v in sd.items()}
        if "mask_token" not in tens:
            tens["mask_token"] = np.zeros((1, cfg["width"]), np.float32)

        def build(dtype):
            return models.original_model(cfg, tens).to(dtype)

        weights = {"layout": "dinov2", "path": wpath.name, "file_sha256": {wpath.name: sha256_file(wpath)},
                   "inferred_config": cfg}
        kind = "dinov2"
    if patch != models.PATCH:
        raise SystemExit(f"patch size {patch} is not supported (only {models.PATCH})")
    pixels = None
    if a.images:
        pre = Path(a.preprocessor).resolve() if a.preprocessor else (wpath if wpath.is_dir() else wpath.parent) / "preprocessor_config.json"
        if not pre.is_file():
            raise SystemExit(f"{pre}: no preprocessor_config.json (pass --preprocessor FILE)")
        px, pix_how, img_files, processor = user_image_pixels([Path(f).resolve() for f in a.images], pre)
        pixels = (px, pix_how)
        H, W = px.shape[2], px.shape[3]
    elif a.image_size:
        s = a.image_size.lower().split("x")
        H, W = (int(s[0]), int(s[-1]))
    else:
        H = W = native
    head_build = None
    if a.head:
        hp = Path(a.head).absolute()  # not resolved: a Hub snapshot link keeps its file name
        hsd = _strip_original(_load_state_dict(hp), "dino_head")
        ren = {"last_layer.parametrizations.weight.original0": "last_layer.weight_g",
               "last_layer.parametrizations.weight.original1": "last_layer.weight_v"}
        ht = {ren.get(k, k): v.float().numpy() for k, v in hsd.items()}
        D = ht["mlp.0.weight"].shape[1]

        def head_build(dtype):
            return models.head_module(D, ht).to(dtype)

        weights["head"] = {"path": hp.name, "sha256": sha256_file(hp), "out_dim": int(ht["last_layer.weight_v"].shape[0])}
    G = native // patch
    convention = "none" if (H, W) == (native, native) else kind
    out_dir = Path(a.out).resolve()
    rec = make_case(out_dir, ref_kind=kind, build=build, H=H, W=W, convention=convention, registers=R,
                    grid_native=G, weights=weights, head_build=head_build, batch=a.batch, measure=not a.no_f64,
                    pixels=pixels)
    if a.images:
        rec["images"] = write_user_images(out_dir, img_files, pre, processor)
        rec["versions"].update(user_versions())
    # A case made outside the project's pinned environment says so; `ckpt verify --golden` warns about it.
    from .versions import differences

    rec["versions_differ_from_pins"] = differences()
    write_json(out_dir / "golden.json", rec)
    print(json.dumps({"out": str(Path(a.out).resolve()), "tolerance": rec["tolerance"],
                      "measured_f32_vs_f64": rec["measured_f32_vs_f64"]}, indent=2))
    return 0
