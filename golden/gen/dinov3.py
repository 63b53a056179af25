"""Section dinov3: tiny DINOv3 ViTs in the three layouts and their forward golden cases.

Meta's code is not on PyPI and its licence (the DINOv3 License) binds any copy we distribute, so nothing of
it is vendored: the generator reads it at generation time from a facebookresearch/dinov3 git repository
given on the command line (`--dinov3-repo PATH`, bare or not), at the pinned commit DINOV3_COMMIT, through
`git archive` into a temporary directory that is imported and deleted afterwards.

Every model is built with the RELEASED arguments of dinov3/hub/backbones.py (not the class defaults):
patch 16, 4 storage tokens, LayerNorm eps 1e-5 ("layernormbf16"), mask_k_bias=True, RoPE base 100,
normalize_coords "separate", rescale_coords 2 (training only), RoPE dtype fp32, layerscale_init 1e-5; only
the size is tiny (width 32, depth 2, 2 heads). Weights: Meta's init_weights(), then every parameter
redrawn from torch.manual_seed(SEED) so no tensor is trivially 0 or 1 (layer scales in [0.3, 1.0]); the key
third of qkv.bias is kept at zero, as init_weights leaves it and as masked training keeps it.

Outputs (golden/models/<case>/):
  dinov3.safetensors   Meta's state_dict (safetensors.torch.save_file), including rope_embed.periods and
                       the blocks' attn.qkv.bias_mask buffers
  dinov3.pth           the same state_dict through torch.save (the pickle reader's input)
  hf/                  transformers DINOv3ViTModel.save_pretrained: model.safetensors + config.json. The
                       key mapping is convert_dinov3_vit_to_hf.py's (huggingface/transformers, read from the
                       repository: it is not in the wheel) adapted to the 5.24.0 modeling code, whose module
                       names it predates (q_proj/k_proj/v_proj/o_proj, patch_embeddings without .proj, gated
                       MLP gate/up/down): split qkv, drop bias_mask and the key bias, rope_embed.periods not
                       loaded (inv_freq is computed from rope_theta). The state dict is loaded with
                       strict=True into the in-memory names (model.layer.*), and save_pretrained writes the
                       file names (layer.*).
  timm.safetensors     timm's Eva (vit_small[_plus]_patch16_dinov3[_qkvb] with the tiny sizes) loaded strictly
                       with timm's own checkpoint_filter_fn(Meta's state_dict), then its state_dict.
and golden/forward/<case>-<H>x<W>/: pixels, DINOv3ViTModel's pooler_output + last_hidden_state, the
float32-vs-float64 deviation and tolerances (forward.tolerances), and cross-checks of Meta's model and
timm's Eva on the same pixels.
"""
from __future__ import annotations

import contextlib
import importlib
import importlib.metadata
import io
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections import OrderedDict
from pathlib import Path

import torch

from .common import GENERATOR_VERSION, GOLDEN, log, sha256_file, write_bytes, write_json
from .versions import versions_record

DINOV3_COMMIT = "6876159a11b4df116f30f667f8c9888617df0751"
SEED = 3
PATCH = 16
MODELS = GOLDEN / "models"
FORWARD = GOLDEN / "forward"

# name -> tiny model: released arguments, tiny sizes.
CASES = OrderedDict([
    ("tiny-dinov3", dict(width=32, depth=2, heads=2, ffn="mlp", qkv_bias=True)),
    ("tiny-dinov3-nobias", dict(width=32, depth=2, heads=2, ffn="mlp", qkv_bias=False)),
    ("tiny-dinov3-swiglu", dict(width=32, depth=2, heads=2, ffn="swiglu", qkv_bias=True)),
    ("tiny-dinov3-swiglu-nobias", dict(width=32, depth=2, heads=2, ffn="swiglu", qkv_bias=False)),
])
SIZES = [(64, 64), (64, 96)]
# Meta's file with local_cls_norm (untie_global_and_local_cls_norm, as the released ViT-L SAT-493M and 7B
# have it) and timm's conversion of it, which drops the norm; no forward cases (the eval pass never reads it).
LOCAL_NORM_CASE = ("tiny-dinov3-localnorm", dict(width=32, depth=2, heads=2, ffn="mlp", qkv_bias=True, local_cls_norm=True))


@contextlib.contextmanager
def meta_code(repo: str):
    """Meta's dinov3 package at DINOV3_COMMIT, importable for the duration of the block."""
    rev = subprocess.run(["git", "-C", repo, "rev-parse", "--verify", DINOV3_COMMIT + "^{commit}"],
                         capture_output=True, text=True)
    if rev.returncode != 0:
        raise SystemExit(f"dinov3: {repo} has no commit {DINOV3_COMMIT} (the pinned facebookresearch/dinov3 commit)")
    tar = subprocess.run(["git", "-C", repo, "archive", "--format=tar", DINOV3_COMMIT, "dinov3"],
                         capture_output=True, check=True).stdout
    tmp = tempfile.mkdtemp(prefix="ckpt-dinov3-")
    try:
        with tarfile.open(fileobj=io.BytesIO(tar)) as tf:
            tf.extractall(tmp, filter="data")
        sys.path.insert(0, tmp)
        try:
            yield importlib.import_module("dinov3.models.vision_transformer")
        finally:
            sys.path.remove(tmp)
            for m in [m for m in sys.modules if m == "dinov3" or m.startswith("dinov3.")]:
                del sys.modules[m]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def meta_model(vt, cfg):
    """Meta's DinoVisionTransformer with the released arguments (hub/backbones.py dinov3_vits16 /
    dinov3_vits16plus), tiny sizes, weights drawn from SEED."""
    m = vt.DinoVisionTransformer(
        img_size=224, patch_size=PATCH, in_chans=3,
        pos_embed_rope_base=100, pos_embed_rope_normalize_coords="separate", pos_embed_rope_rescale_coords=2,
        pos_embed_rope_dtype="fp32",
        embed_dim=cfg["width"], depth=cfg["depth"], num_heads=cfg["heads"], ffn_ratio=4,
        qkv_bias=cfg["qkv_bias"], drop_path_rate=0.0, layerscale_init=1.0e-05, norm_layer="layernormbf16",
        ffn_layer=cfg["ffn"], ffn_bias=True, proj_bias=True, n_storage_tokens=4, mask_k_bias=True,
        untie_global_and_local_cls_norm=cfg.get("local_cls_norm", False))
    m.init_weights()
    g = torch.Generator().manual_seed(SEED)
    D = cfg["width"]
    with torch.no_grad():
        for name, p in m.named_parameters():
            if name.endswith(".gamma"):
                p.copy_(0.3 + 0.7 * torch.rand(p.shape, generator=g))
            elif name.endswith("norm1.weight") or name.endswith("norm2.weight") or name == "norm.weight":
                p.copy_(1.0 + 0.2 * torch.randn(p.shape, generator=g))
            else:
                p.copy_(0.1 * torch.randn(p.shape, generator=g))
            if name.endswith("attn.qkv.bias"):
                p[D:2 * D] = 0.0  # the masked key third: zero, as init_weights leaves it
    return m.eval()


def hf_config(cfg, hidden):
    from transformers import DINOv3ViTConfig

    return DINOv3ViTConfig(
        patch_size=PATCH, hidden_size=cfg["width"], intermediate_size=hidden, num_hidden_layers=cfg["depth"],
        num_attention_heads=cfg["heads"], hidden_act="silu" if cfg["ffn"] == "swiglu" else "gelu",
        layer_norm_eps=1e-5, rope_theta=100.0, image_size=224, query_bias=cfg["qkv_bias"], key_bias=False,
        value_bias=cfg["qkv_bias"], proj_bias=True, mlp_bias=True, layerscale_value=1.0,
        use_gated_mlp=cfg["ffn"] == "swiglu", num_register_tokens=4, pos_embed_rescale=2.0)


def hf_state_dict(sd, depth):
    """Meta's names -> DINOv3ViTModel's in-memory names (see the module docstring)."""
    out = OrderedDict()
    ffn = {"fc1": "up_proj", "fc2": "down_proj", "w1": "gate_proj", "w2": "up_proj", "w3": "down_proj"}
    for k, v in sd.items():
        if k == "cls_token":
            out["embeddings.cls_token"] = v
        elif k == "mask_token":
            out["embeddings.mask_token"] = v.reshape(1, 1, -1)
        elif k == "storage_tokens":
            out["embeddings.register_tokens"] = v
        elif k.startswith("patch_embed.proj."):
            out["embeddings.patch_embeddings." + k.split(".")[-1]] = v
        elif k == "rope_embed.periods" or k.endswith("bias_mask"):
            continue
        elif k.startswith("norm."):
            out[k] = v
        elif k.startswith("blocks."):
            _, i, rest = k.split(".", 2)
            pre = f"model.layer.{i}."
            if rest.startswith("attn.qkv."):
                q, kk, vv = v.chunk(3, dim=0)
                kind = rest.split(".")[-1]
                out[pre + "attention.q_proj." + kind] = q
                if kind == "weight":
                    out[pre + "attention.k_proj.weight"] = kk
                else:
                    assert bool((kk == 0).all()), "the masked key bias must be zero"
                out[pre + "attention.v_proj." + kind] = vv
            elif rest.startswith("attn.proj."):
                out[pre + "attention.o_proj." + rest.split(".")[-1]] = v
            elif rest.startswith("ls"):
                out[pre + f"layer_scale{rest[2]}.lambda1"] = v
            elif rest.startswith("mlp."):
                _, layer, kind = rest.split(".")
                out[pre + f"mlp.{ffn[layer]}.{kind}"] = v
            else:
                out[pre + rest] = v
        else:
            raise AssertionError(f"unmapped Meta key {k}")
    return out


def timm_model(cfg, hidden):
    """timm's Eva for the tiny model. timm's SwiGLU takes int(dim * mlp_ratio) as its hidden width (aligned to
    swiglu_align_to), where Meta's takes 2/3 of it: mlp_ratio = hidden / width gives Meta's width."""
    import timm

    name = ("vit_small_plus_patch16_dinov3" if cfg["ffn"] == "swiglu" else "vit_small_patch16_dinov3") + (
        "_qkvb" if cfg["qkv_bias"] else "")
    kwargs = dict(embed_dim=cfg["width"], depth=cfg["depth"], num_heads=cfg["heads"], mlp_ratio=4.0 if cfg["ffn"] == "mlp" else hidden / cfg["width"],
                  global_pool="token", num_classes=0)
    return name, kwargs, timm.create_model(name, pretrained=False, **kwargs).eval()


def pixels(H, W):
    from .forward import images_u8, normalise

    return images_u8(2, H, W), torch.from_numpy(normalise(images_u8(2, H, W)))


def outputs(kind, model, px):
    with torch.inference_mode():
        if kind == "hf":
            o = model(pixel_values=px)
            return OrderedDict([("pooler_output", o.pooler_output), ("last_hidden_state", o.last_hidden_state)])
        if kind == "timm":
            x = model.forward_features(px)
            return OrderedDict([("pooler_output", x[:, 0]), ("last_hidden_state", x)])
        f = model.forward_features(px)
        lhs = torch.cat([f["x_norm_clstoken"][:, None], f["x_storage_tokens"], f["x_norm_patchtokens"]], 1)
        return OrderedDict([("pooler_output", f["x_norm_clstoken"]), ("last_hidden_state", lhs)])


def run(repo: str | None):
    if not repo:
        raise SystemExit("dinov3: pass --dinov3-repo PATH (a facebookresearch/dinov3 git repository holding commit "
                         f"{DINOV3_COMMIT}); the generator imports Meta's code from it and vendors none of it")
    import copy

    from safetensors.torch import load_file, save_file
    from transformers import DINOv3ViTModel

    from .forward import _st_bytes, _write_maybe_zst, deviation, tolerances, PIXELS_DOC

    for d in list(FORWARD.glob("tiny-dinov3*")):
        shutil.rmtree(d)
    with meta_code(repo) as vt:
        name, cfg = LOCAL_NORM_CASE
        log(f"[dinov3] {name}")
        out = MODELS / name
        if out.exists():
            shutil.rmtree(out)
        out.mkdir(parents=True)
        meta = meta_model(vt, cfg)
        sd = OrderedDict((k, v.detach().clone().contiguous()) for k, v in meta.state_dict().items())
        assert "local_cls_norm.weight" in sd
        save_file(sd, str(out / "dinov3.safetensors"), metadata={"format": "pt"})
        from timm.models.eva import checkpoint_filter_fn

        timm_name, timm_kwargs, tm = timm_model(cfg, 128)
        tm.load_state_dict(checkpoint_filter_fn(OrderedDict(sd), tm), strict=True)
        save_file(OrderedDict((k, v.detach().contiguous()) for k, v in tm.state_dict().items()),
                  str(out / "timm.safetensors"), metadata={"format": "pt"})
        write_json(out / "case.json", OrderedDict([
            ("case", name), ("generator_version", GENERATOR_VERSION),
            ("weights", OrderedDict([("model", OrderedDict(cfg, patch=PATCH, registers=4, seed=SEED)), ("heads", cfg["heads"]),
                                     ("meta", {"commit": DINOV3_COMMIT, "untie_global_and_local_cls_norm": True}),
                                     ("timm", {"model": timm_name, "create_model_kwargs": timm_kwargs})])),
            ("versions", versions_record())]))
        for name, cfg in CASES.items():
            log(f"[dinov3] {name}")
            out = MODELS / name
            if out.exists():
                shutil.rmtree(out)
            (out / "hf").mkdir(parents=True)
            meta = meta_model(vt, cfg)
            sd = OrderedDict((k, v.detach().clone().contiguous()) for k, v in meta.state_dict().items())
            save_file(sd, str(out / "dinov3.safetensors"), metadata={"format": "pt"})
            buf = io.BytesIO()
            torch.save(sd, buf)
            write_bytes(out / "dinov3.pth", buf.getvalue())
            # Meta's own strict load of its file, as torch.hub does.
            check = copy.deepcopy(meta)
            check.load_state_dict(load_file(str(out / "dinov3.safetensors")), strict=True)

            hidden = sd["blocks.0.mlp.fc2.weight" if cfg["ffn"] == "mlp" else "blocks.0.mlp.w3.weight"].shape[1]
            hf = DINOv3ViTModel(hf_config(cfg, hidden)).eval()
            hf.load_state_dict(hf_state_dict(sd, cfg["depth"]), strict=True)
            hf.save_pretrained(str(out / "hf"))
            # The processor an HF DINOv3 repository ships (class defaults: 224 x 224, bilinear, ImageNet).
            from transformers import DINOv3ViTImageProcessor

            DINOv3ViTImageProcessor().save_pretrained(str(out / "hf"))
            reloaded, info = DINOv3ViTModel.from_pretrained(str(out / "hf"), output_loading_info=True,
                                                            attn_implementation="eager")
            assert not any(info[k] for k in ("missing_keys", "unexpected_keys", "mismatched_keys")), info
            hf = reloaded.eval()
            # transformers' in-memory names (model.layer.*): a state_dict() saved by hand, not by save_pretrained.
            save_file(OrderedDict((k, v.detach().contiguous()) for k, v in hf.state_dict().items()),
                      str(out / "hf-state-dict.safetensors"), metadata={"format": "pt"})

            from timm.models.eva import checkpoint_filter_fn

            timm_name, timm_kwargs, tm = timm_model(cfg, hidden)
            tm.load_state_dict(checkpoint_filter_fn(OrderedDict(sd), tm), strict=True)
            save_file(OrderedDict((k, v.detach().contiguous()) for k, v in tm.state_dict().items()),
                      str(out / "timm.safetensors"), metadata={"format": "pt"})

            files = OrderedDict([("dinov3", f"models/{name}/dinov3.safetensors"),
                                 ("dinov3_pth", f"models/{name}/dinov3.pth"),
                                 ("hf", f"models/{name}/hf/model.safetensors"),
                                 ("hf_config", f"models/{name}/hf/config.json"),
                                 ("hf_state_dict", f"models/{name}/hf-state-dict.safetensors"),
                                 ("timm", f"models/{name}/timm.safetensors")])
            weights = OrderedDict([
                ("model", OrderedDict(cfg, patch=PATCH, registers=4, ffn_hidden=hidden, rope_theta=100.0,
                                      layer_norm_eps=1e-5, seed=SEED)),
                ("heads", cfg["heads"]),
                ("files", files),
                ("file_sha256", OrderedDict((k, sha256_file(GOLDEN / v)) for k, v in files.items())),
                ("meta", {"commit": DINOV3_COMMIT, "class": "dinov3.models.vision_transformer.DinoVisionTransformer",
                          "arguments": "released (hub/backbones.py): patch 16, n_storage_tokens 4, norm_layer "
                                       "layernormbf16 (eps 1e-5), mask_k_bias True, rope base 100 fp32, "
                                       "normalize_coords separate, layerscale_init 1e-5"}),
                ("timm", {"model": timm_name, "create_model_kwargs": timm_kwargs,
                          "conversion": "timm.models.eva.checkpoint_filter_fn(Meta's state_dict, model)"}),
            ])
            write_json(out / "case.json", OrderedDict([("case", name), ("generator_version", GENERATOR_VERSION),
                                                       ("weights", weights), ("versions", versions_record())]))

            for (H, W) in SIZES:
                case = f"{name}-{H}x{W}"
                log(f"[dinov3] forward {case}")
                d = FORWARD / case
                d.mkdir(parents=True)
                u8, px = pixels(H, W)
                ref = outputs("hf", hf, px)
                ref64 = outputs("hf", copy.deepcopy(hf).to(torch.float64), px.double())
                measured = OrderedDict((k, deviation(ref[k], ref64[k])) for k in ref)
                cross = OrderedDict()
                for label, kind, m in (("Meta's DinoVisionTransformer (dinov3.safetensors)", "meta", meta),
                                       ("timm Eva (timm.safetensors)", "timm", tm)):
                    o = outputs(kind, m, px)
                    cross[label] = OrderedDict((k, deviation(o[k], ref[k])) for k in ref)
                pix_rec = _write_maybe_zst(d, "pixels.safetensors", _st_bytes(OrderedDict(
                    [("pixel_values", px), ("pixel_values_u8", torch.from_numpy(u8))])))
                exp_rec = _write_maybe_zst(d, "expected.safetensors", _st_bytes(
                    OrderedDict((k, v.contiguous()) for k, v in ref.items())))
                gh, gw = H // PATCH, W // PATCH
                rec = OrderedDict()
                rec["case"] = case
                rec["generator_version"] = GENERATOR_VERSION
                rec["weights"] = weights
                rec["reference"] = {"layout": "hf", "implementation": "transformers DINOv3ViTModel "
                                    "(attn_implementation=eager)", "dtype": "float32",
                                    "mode": "eval(), torch.inference_mode()"}
                rec["interpolation"] = {"convention": "none", "why": "DINOv3 has no position table: RoPE on patch "
                                        "centres normalised per axis, any H, W that are multiples of 16"}
                rec["image_size"] = [H, W]
                rec["batch"] = 2
                rec["grid"] = [gh, gw]
                rec["tokens"] = {"total": 1 + 4 + gh * gw, "cls": 1, "registers": 4, "patches": gh * gw,
                                 "order": "CLS, registers, patches (row-major over the grid)"}
                rec["pixels"] = dict(pix_rec, tensors={"pixel_values": [2, 3, H, W], "pixel_values_u8": [2, 3, H, W]},
                                     how=PIXELS_DOC)
                rec["expected"] = dict(exp_rec, tensors={k: list(v.shape) for k, v in ref.items()})
                rec["tolerance"] = tolerances(measured)
                rec["measured_f32_vs_f64"] = measured
                rec["cross_check"] = cross
                rec["versions"] = versions_record()
                rec["versions"]["timm"] = importlib.metadata.version("timm")
                write_json(d / "golden.json", rec)


# ---------------------------------------------------------------------------------------------
# DINOv3ViTImageProcessor (section dinov3-images; needs golden/images/inputs)
# ---------------------------------------------------------------------------------------------
IMAGES = GOLDEN / "images" / "dinov3"
# (name, input image, config overrides of the class defaults). Downscale (the photographs), upscale (the
# small JPEG), non-square targets, a gray image converted to RGB (do_convert_rgb) and the 1x1 extreme.
PROCESSOR_CASES = [
    ("rocket-224", "rocket.jpg", {}),
    ("rocket-64x96", "rocket.jpg", {"size": {"height": 64, "width": 96}}),
    ("camera-rgb-96x64", "camera.png", {"do_convert_rgb": True, "size": {"height": 96, "width": 64}}),
    ("rgb444-112x80", "jpeg-rgb444.jpg", {"size": {"height": 112, "width": 80}}),
    ("gray8-rgb-48x48", "gray8.png", {"do_convert_rgb": True, "size": {"height": 48, "width": 48}}),
    ("rgb1x1-32x48", "rgb8-1x1.png", {"size": {"height": 32, "width": 48}}),
]


def run_images():
    """pixel_values of transformers' DINOv3ViTImageProcessor (its only class: the torchvision backend) for
    PROCESSOR_CASES, and how far transformers' DINOv2 order (resize the uint8 image first, with the same
    size, filter, mean and std: BitImageProcessor's torchvision class) is from it."""
    import json

    import numpy as np
    from PIL import Image
    from safetensors.numpy import save
    from transformers import BitImageProcessor, DINOv3ViTImageProcessor

    if IMAGES.exists():
        shutil.rmtree(IMAGES)
    IMAGES.mkdir(parents=True)
    cases = []
    for name, image, overrides in PROCESSOR_CASES:
        proc = DINOv3ViTImageProcessor(**overrides)
        with Image.open(GOLDEN / "images" / "inputs" / image) as im:
            pv = proc(im, return_tensors="pt")["pixel_values"].numpy()
            size = proc.size
            bit = BitImageProcessor(do_resize=True, size={"height": size["height"], "width": size["width"]},
                                    resample=2, do_center_crop=False, do_rescale=True, do_normalize=True,
                                    image_mean=list(proc.image_mean), image_std=list(proc.image_std),
                                    do_convert_rgb=bool(overrides.get("do_convert_rgb", False)))
            uint8_first = bit(im, return_tensors="pt")["pixel_values"].numpy()
        rel = f"dinov3/{name}.safetensors"  # relative to golden/images, like the image paths
        write_bytes(GOLDEN / "images" / rel, save({"pixel_values": np.ascontiguousarray(pv)}, metadata={"format": "pt"}))
        # in units of the rescaled image (pixel_values x std): comparable with "off by 0.017" per channel
        dev = float((np.abs(uint8_first - pv) * np.array(proc.image_std, dtype=np.float32)[None, :, None, None]).max())
        cases.append(OrderedDict([
            ("name", name), ("image", f"inputs/{image}"), ("config", dict(proc.to_dict(), resample=int(proc.resample))),
            ("overrides", overrides), ("pixels", rel), ("shape", list(pv.shape)), ("sha256", sha256_file(GOLDEN / "images" / rel)),
            ("uint8_resize_first_max_abs_in_rescaled_units", dev),
        ]))
    write_json(IMAGES / "cases.json", OrderedDict([
        ("generator_version", GENERATOR_VERSION),
        ("processor_call", "DINOv3ViTImageProcessor(**overrides)(Image.open(image), return_tensors='pt')['pixel_values']"),
        ("uint8_resize_first", "BitImageProcessor (torchvision class) with the same size, bilinear, no crop, mean and std: "
                               "transformers' DINOv2 order, resize of the uint8 image before rescale; max |difference| x std"),
        ("cases", cases), ("versions", dict(versions_record(), torchvision=importlib.metadata.version("torchvision"))),
    ]))
