"""Section B: models -> golden/models/<case>/ (tiny cases committed, larger cases as case.json only)."""
from __future__ import annotations

import os
import shutil
import tempfile
from collections import OrderedDict
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

from . import models, synth
from .common import GOLDEN, log, sha256_bytes, sha256_file, st_file_record, write_json

OUT = GOLDEN / "models"

TINY_CASES = OrderedDict([
    ("tiny-reg4", dict(width=32, depth=2, heads=2, registers=4, ffn="mlp", image_size=28)),
    ("tiny", dict(width=32, depth=2, heads=2, registers=0, ffn="mlp", image_size=28)),
    ("tiny-swiglu", dict(width=48, depth=2, heads=3, registers=0, ffn="swiglu", image_size=42)),
])
LARGE_CASES = OrderedDict([
    ("vits14-reg4-d2", dict(width=384, depth=2, heads=6, registers=4, ffn="mlp", image_size=224)),
    ("vitb14-d2", dict(width=768, depth=2, heads=12, registers=0, ffn="mlp", image_size=518)),
    ("swiglu-d2", dict(width=384, depth=2, heads=6, registers=0, ffn="swiglu", image_size=224)),
])
HEAD_OUT, HEAD_HIDDEN, HEAD_BOTTLENECK = 64, 48, 16
SEEDS = {"teacher.backbone": 0, "student.backbone": 1, "teacher.dino_head": 0, "student.dino_head": 1,
         "teacher.ibot_head": 2, "student.ibot_head": 3, "dino_loss.center": 0, "ibot_patch_loss.center": 0}


def cfg_record(cfg, seed=0):
    r = dict(cfg)
    r["patch"] = models.PATCH
    r["grid"] = cfg["image_size"] // models.PATCH
    r["mlp_hidden"] = 4 * cfg["width"] if cfg["ffn"] == "mlp" else synth.swiglu_hidden(cfg["width"])
    r["seed"] = seed
    r["ckpt_synth_args"] = (f"--width {cfg['width']} --depth {cfg['depth']} --heads {cfg['heads']} "
                            f"--registers {cfg['registers']} --ffn {cfg['ffn']} --image-size {cfg['image_size']} --seed {seed}")
    return r


def synth_backbone(cfg, seed):
    return synth.backbone(cfg["width"], cfg["depth"], cfg["heads"], cfg["registers"], cfg["ffn"], cfg["image_size"],
                          seed=seed)


def synth_head(D, seed):
    return synth.head(D, HEAD_HIDDEN, HEAD_BOTTLENECK, HEAD_OUT, seed=seed)


def _st_save(sd, path):
    from safetensors.torch import save_file

    save_file(OrderedDict((k, v.detach().contiguous()) for k, v in sd.items()), str(path), metadata={"format": "pt"})


def dir_record(d: Path, base: Path):
    rec = OrderedDict()
    for p in sorted(d.iterdir()):
        name = str(p.relative_to(base))
        if p.suffix == ".safetensors":
            rec[name] = st_file_record(p.read_bytes(), name)
        else:
            rec[name] = {"file": name, "sha256": sha256_file(p), "size": p.stat().st_size}
            if p.suffix == ".json":
                rec[name]["text"] = p.read_text()
    return rec


class SSLMetaArchLike(nn.Module):
    """Module tree of dinov2.train.ssl_meta_arch.SSLMetaArch (same attribute names and order):
    dino_loss, ibot_patch_loss, student{backbone,dino_head,ibot_head}, teacher{...}."""

    def __init__(self, teacher, student, out_dim):
        super().__init__()
        from dinov2.loss import DINOLoss, iBOTPatchLoss

        self.dino_loss = DINOLoss(out_dim)
        self.ibot_patch_loss = iBOTPatchLoss(out_dim)
        self.student = nn.ModuleDict(student)
        self.teacher = nn.ModuleDict(teacher)


def build_train(cfg):
    D = cfg["width"]
    parts = {}
    for who in ("teacher", "student"):
        parts[who] = OrderedDict([
            ("backbone", models.original_model(cfg, synth_backbone(cfg, SEEDS[f"{who}.backbone"]))),
            ("dino_head", models.head_module(D, synth_head(D, SEEDS[f"{who}.dino_head"]))),
            ("ibot_head", models.head_module(D, synth_head(D, SEEDS[f"{who}.ibot_head"]))),
        ])
    m = SSLMetaArchLike(parts["teacher"], parts["student"], HEAD_OUT)
    with torch.no_grad():
        m.dino_loss.center.copy_(torch.from_numpy(synth.tensor("dino_loss.center", (1, HEAD_OUT), 0)))
        m.ibot_patch_loss.center.copy_(torch.from_numpy(synth.tensor("ibot_patch_loss.center", (1, 1, HEAD_OUT), 0)))
    return m.eval()


_PG = None


def ensure_process_group():
    """Single-process gloo group (file store, no network) so real DDP wrappers can name the keys."""
    global _PG
    import torch.distributed as dist

    if dist.is_initialized():
        return
    fd, path = tempfile.mkstemp(prefix="ckpt-golden-pg-")
    os.close(fd)
    os.unlink(path)
    dist.init_process_group("gloo", init_method=f"file://{path}", rank=0, world_size=1)
    _PG = path


def destroy_process_group():
    import torch.distributed as dist

    if dist.is_initialized():
        dist.destroy_process_group()


def ddp_state_dicts(cfg):
    """(per-submodule DDP, whole-model DDP) state dicts, named by torch's DistributedDataParallel."""
    from torch.nn.parallel import DistributedDataParallel as DDP

    ensure_process_group()
    inner = build_train(cfg)
    for who in ("student", "teacher"):
        md = getattr(inner, who)
        for k in list(md.keys()):
            md[k] = DDP(md[k])
    outer = DDP(build_train(cfg))
    return inner.state_dict(), outer.state_dict()


def tiny_case(name, cfg):
    d = OUT / name
    if d.exists():
        shutil.rmtree(d)
    d.mkdir(parents=True)
    log(f"[models] {name}")
    D = cfg["width"]
    t0 = synth_backbone(cfg, 0)
    synth_file = synth.file_bytes(t0)
    orig = models.original_model(cfg, t0)
    _st_save(orig.state_dict(), d / "dinov2.safetensors")
    same_as_synth = (d / "dinov2.safetensors").read_bytes() == synth_file
    chunked = models.original_model(cfg, t0, block_chunks=2)
    _st_save(chunked.state_dict(), d / "dinov2-chunked.safetensors")
    hf, hf_sd = models.hf_model(cfg, t0)
    hf.save_pretrained(d / "hf")
    # transformers must have written exactly the tensors we mapped (checks the rename table)
    from safetensors.numpy import load_file

    written = load_file(str(d / "hf" / "model.safetensors"))
    assert set(written) == set(hf_sd), (set(written) ^ set(hf_sd))
    for k, v in hf_sd.items():
        assert np.array_equal(written[k], v), k
    extra = {}
    if name == "tiny":
        m, _ = models.hf_model(cfg, t0, use_mask_token=False)
        m.save_pretrained(d / "hf-nomask")
        from transformers import Dinov2ForImageClassification

        cw = synth.tensor("classifier.weight", (3, 2 * D), 0)
        cb = synth.tensor("classifier.bias", (3,), 0)
        m, _ = models.hf_model(cfg, t0, cls=Dinov2ForImageClassification,
                               extra={"classifier.weight": cw, "classifier.bias": cb}, config_extra={"num_labels": 3})
        m.save_pretrained(d / "classifier")
        extra["classifier"] = {"class": "transformers.Dinov2ForImageClassification", "num_labels": 3,
                               "classifier_weights": "synth seed 0, names classifier.weight [3, 2D] and classifier.bias [3]"}
    _, timm_sd = models.timm_state_dict(cfg, orig.state_dict())
    _st_save(timm_sd, d / "timm.safetensors")
    if cfg["registers"]:
        # The fold adds in the checkpoint's dtype: timm's conversion of the original state dict cast
        # with .to(dtype), recorded per tensor (no file committed).
        half = OrderedDict()
        for dt, label in ((torch.float16, "F16"), (torch.bfloat16, "BF16")):
            cast = OrderedDict((k, v.detach().to(dt)) for k, v in orig.state_dict().items())
            from timm.models.vision_transformer import checkpoint_filter_fn

            converted = checkpoint_filter_fn(cast, models.timm_model(cfg))
            from safetensors.torch import save

            b = save(OrderedDict((k, v.contiguous()) for k, v in converted.items()), metadata={"format": "pt"})
            half[label] = dict(st_file_record(b, f"timm from dinov2.safetensors .to({dt})"),
                               how=f"checkpoint_filter_fn(OrderedDict((k, v.to({dt})) for k, v in dinov2 state_dict), timm model)")
        extra["timm_half"] = half
    h0 = synth_head(D, 0)
    head = models.head_module(D, h0)
    _st_save(head.state_dict(), d / "head-legacy.safetensors")
    hp, hp_sd = models.head_param_state_dict(head)
    _st_save(hp_sd, d / "head-param.safetensors")
    x = torch.from_numpy(synth.tensor("probe", (3, D), 5)) * 4
    with torch.inference_mode():
        assert torch.equal(head(x), hp(x)) or torch.allclose(head(x), hp(x), rtol=0, atol=1e-6)
    train = build_train(cfg)
    _st_save(train.state_dict(), d / "train.safetensors")
    inner, outer = ddp_state_dicts(cfg)
    _st_save(inner, d / "train-ddp.safetensors")
    _st_save(outer, d / "train-ddp-outer.safetensors")
    files = OrderedDict()
    for p in sorted(d.iterdir()):
        if p.is_dir():
            files.update(dir_record(p, d))
        elif p.suffix == ".safetensors":
            files[p.name] = st_file_record(p.read_bytes(), p.name)
    rec = OrderedDict()
    rec["case"] = name
    rec["config"] = cfg_record(cfg, 0)
    rec["synth_backbone_sha256"] = sha256_bytes(synth_file)
    rec["dinov2_state_dict_file_equals_synth_file"] = same_as_synth
    rec["head"] = {"class": "dinov2.layers.DINOHead", "in_dim": D, "out_dim": HEAD_OUT, "hidden_dim": HEAD_HIDDEN,
                   "bottleneck_dim": HEAD_BOTTLENECK, "nlayers": 3, "seed": 0,
                   "legacy": "torch.nn.utils.weight_norm names last_layer.weight_g [out,1] / last_layer.weight_v",
                   "param": "torch.nn.utils.parametrizations.weight_norm names last_layer.parametrizations.weight.original0 (g) / original1 (v); same values"}
    rec["train"] = {"seeds": SEEDS,
                    "module_tree": "dinov2.train.ssl_meta_arch.SSLMetaArch: dino_loss, ibot_patch_loss, student{backbone,dino_head,ibot_head}, teacher{...}; "
                                   "backbones block_chunks=0; ibot heads are separate DINOHeads with the same shapes",
                    "train-ddp.safetensors": "each student/teacher sub-module wrapped in torch DistributedDataParallel, "
                                             "the way ssl_meta_arch wraps each sub-module (it uses FSDP, whose state_dict "
                                             "strips its wrapper prefix, so official DINOv2 checkpoints carry no 'module.'): "
                                             "keys teacher.backbone.module.*, student.dino_head.module.*, ...; loss centers unprefixed",
                    "train-ddp-outer.safetensors": "the whole SSLMetaArch wrapped in DistributedDataParallel: every key prefixed 'module.'"}
    rec["hf"] = {"class": models.hf_classes(cfg)[1].__name__, "written_by": "save_pretrained (safe serialization)",
                 "loaded_via": "from_pretrained of the synth weights renamed with the transformers conversion-script table"}
    rec["timm"] = timm_record(cfg)
    rec.update(extra)
    rec["files"] = files
    write_json(d / "case.json", rec)


def timm_record(cfg):
    return {"model": models.timm_name(cfg), "create_model_kwargs": models.timm_kwargs(cfg), "pretrained": False,
            "converted_by": "timm.models.vision_transformer.checkpoint_filter_fn (-> _convert_dinov2) of the original "
                            "model's state_dict (dinov2.safetensors)",
            "written_by": "safetensors.torch.save_file(converted state dict, metadata={'format': 'pt'})",
            "checked": "load_state_dict(strict=True) into the timm model, whose state_dict() then equals the converted one"}


def large_case(name, cfg):
    log(f"[models] {name} (case.json only)")
    t0 = synth_backbone(cfg, 0)
    synth_file = synth.file_bytes(t0)
    rec = OrderedDict()
    rec["case"] = name
    rec["config"] = cfg_record(cfg, 0)
    rec["weights_committed"] = False
    rec["synth_backbone_file"] = {"writer": "safetensors.numpy.save_file(tensors, metadata={'format': 'pt'})",
                                  "sha256": sha256_bytes(synth_file), "size": len(synth_file)}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        orig = models.original_model(cfg, t0)
        _st_save(orig.state_dict(), tmp / "dinov2.safetensors")
        b = (tmp / "dinov2.safetensors").read_bytes()
        rec["dinov2_state_dict_file_equals_synth_file"] = b == synth_file
        hf, hf_sd = models.hf_model(cfg, t0)
        hf.save_pretrained(tmp / "hf")
        _, timm_sd = models.timm_state_dict(cfg, orig.state_dict())
        _st_save(timm_sd, tmp / "timm.safetensors")
        files = OrderedDict()
        files["dinov2.safetensors"] = st_file_record(b, "dinov2.safetensors")
        files.update(dir_record(tmp / "hf", tmp))
        files["timm.safetensors"] = st_file_record((tmp / "timm.safetensors").read_bytes(), "timm.safetensors")
        rec["timm"] = timm_record(cfg)
        rec["files"] = files
    write_json(OUT / name / "case.json", rec)


def run(only_tiny=False):
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    for name, cfg in TINY_CASES.items():
        tiny_case(name, cfg)
    if not only_tiny:
        for name, cfg in LARGE_CASES.items():
            large_case(name, cfg)
    destroy_process_group()
