"""Upstream model construction: original DINOv2 (pip dinov2==0.0.1.dev2) and transformers.

Everything numeric here runs through upstream code.  The only re-implementation is
`DinoVisionTransformerReg`: dinov2 0.0.1.dev2 predates register tokens, so the subclass adds
them exactly as upstream facebookresearch/dinov2 later did (see README "registers").
"""
from __future__ import annotations

import math
import os
import tempfile
from collections import OrderedDict
from functools import partial

import numpy as np
import torch
import torch.nn as nn

from .common import quiet_env

quiet_env()

import logging

logging.getLogger("dinov2").setLevel(logging.ERROR)  # "xFormers not available" warnings

from dinov2.layers import DINOHead, MemEffAttention  # noqa: E402
from dinov2.layers import NestedTensorBlock as Block  # noqa: E402
from dinov2.models.vision_transformer import DinoVisionTransformer  # noqa: E402

PATCH = 14


# ---------------------------------------------------------------------------------------------
# original DINOv2
# ---------------------------------------------------------------------------------------------
class DinoVisionTransformerReg(DinoVisionTransformer):
    """DinoVisionTransformer + register tokens, mirroring upstream facebookresearch/dinov2 (2023-10+):

    * `register_tokens` Parameter [1, R, D] registered right after `pos_embed` (state_dict order
      cls_token, pos_embed, register_tokens, mask_token, ...);
    * `interpolate_pos_encoding` with `interpolate_offset` / `interpolate_antialias`
      (hub `_reg` models: offset 0.0 -> `size=(h0, w0)`, antialias True);
    * registers inserted after CLS, after the position embedding is added;
    * `forward_features` returns x_norm_clstoken, x_norm_regtokens, x_norm_patchtokens.
    """

    def __init__(self, *a, num_register_tokens=0, interpolate_antialias=False, interpolate_offset=0.1, **kw):
        super().__init__(*a, **kw)
        self.num_register_tokens = num_register_tokens
        self.interpolate_antialias = interpolate_antialias
        self.interpolate_offset = interpolate_offset
        assert num_register_tokens >= 0
        if num_register_tokens:
            self.register_tokens = nn.Parameter(torch.zeros(1, num_register_tokens, self.embed_dim))
            nn.init.normal_(self.register_tokens, std=1e-6)
            # upstream registers the parameter right after pos_embed
            order = ["cls_token", "pos_embed", "register_tokens"]
            params = OrderedDict((k, self._parameters[k]) for k in order)
            for k, v in self._parameters.items():
                if k not in params:
                    params[k] = v
            self._parameters = params
        else:
            self.register_tokens = None

    def interpolate_pos_encoding(self, x, w, h):  # upstream code, verbatim logic
        previous_dtype = x.dtype
        npatch = x.shape[1] - 1
        N = self.pos_embed.shape[1] - 1
        if npatch == N and w == h:
            return self.pos_embed
        pos_embed = self.pos_embed.float()
        class_pos_embed = pos_embed[:, 0]
        patch_pos_embed = pos_embed[:, 1:]
        dim = x.shape[-1]
        w0 = w // self.patch_size
        h0 = h // self.patch_size
        M = int(math.sqrt(N))
        assert N == M * M
        kwargs = {}
        if self.interpolate_offset:
            sx = float(w0 + self.interpolate_offset) / M
            sy = float(h0 + self.interpolate_offset) / M
            kwargs["scale_factor"] = (sx, sy)
        else:
            kwargs["size"] = (w0, h0)
        patch_pos_embed = nn.functional.interpolate(
            patch_pos_embed.reshape(1, M, M, dim).permute(0, 3, 1, 2),
            mode="bicubic",
            antialias=self.interpolate_antialias,
            **kwargs,
        )
        assert (w0, h0) == patch_pos_embed.shape[-2:]
        patch_pos_embed = patch_pos_embed.permute(0, 2, 3, 1).view(1, -1, dim)
        return torch.cat((class_pos_embed.unsqueeze(0), patch_pos_embed), dim=1).to(previous_dtype)

    def prepare_tokens_with_masks(self, x, masks=None):
        B, nc, w, h = x.shape
        x = self.patch_embed(x)
        if masks is not None:
            x = torch.where(masks.unsqueeze(-1), self.mask_token.to(x.dtype).unsqueeze(0), x)
        x = torch.cat((self.cls_token.expand(x.shape[0], -1, -1), x), dim=1)
        x = x + self.interpolate_pos_encoding(x, w, h)
        if self.register_tokens is not None:
            x = torch.cat((x[:, :1], self.register_tokens.expand(x.shape[0], -1, -1), x[:, 1:]), dim=1)
        return x

    def forward_features(self, x, masks=None):
        x = self.prepare_tokens_with_masks(x, masks)
        for blk in self.blocks:
            x = blk(x)
        x_norm = self.norm(x)
        R = self.num_register_tokens
        return {
            "x_norm_clstoken": x_norm[:, 0],
            "x_norm_regtokens": x_norm[:, 1 : R + 1],
            "x_norm_patchtokens": x_norm[:, R + 1 :],
            "x_prenorm": x,
            "masks": masks,
        }


def build_original(cfg, block_chunks=0):
    """Original-layout model (randomly initialised by upstream init; load weights afterwards)."""
    kw = dict(
        img_size=cfg["image_size"],
        patch_size=PATCH,
        embed_dim=cfg["width"],
        depth=cfg["depth"],
        num_heads=cfg["heads"],
        mlp_ratio=4,
        init_values=1.0,
        ffn_layer=cfg["ffn"],
        block_chunks=block_chunks,
        block_fn=partial(Block, attn_class=MemEffAttention),
    )
    if cfg["registers"]:
        # hub `dinov2_vit*14_reg`: interpolate_antialias=True, interpolate_offset=0.0
        m = DinoVisionTransformerReg(
            num_register_tokens=cfg["registers"], interpolate_antialias=True, interpolate_offset=0.0, **kw
        )
    else:
        m = DinoVisionTransformer(**kw)
    return m.eval()


def chunk_key(k: str, depth: int, block_chunks: int) -> str:
    if not k.startswith("blocks.") or block_chunks <= 0:
        return k
    i = int(k.split(".")[1])
    chunksize = depth // block_chunks
    return f"blocks.{i // chunksize}.{k[len('blocks.'):]}"


def load_original(model, tensors, block_chunks=0, depth=None):
    sd = OrderedDict()
    for k, v in tensors.items():
        sd[chunk_key(k, depth, block_chunks)] = torch.from_numpy(np.ascontiguousarray(v))
    model.load_state_dict(sd, strict=True)
    return model


def original_model(cfg, tensors, block_chunks=0):
    m = build_original(cfg, block_chunks)
    load_original(m, tensors, block_chunks, cfg["depth"])
    return m


# ---------------------------------------------------------------------------------------------
# HF <-> original key mapping, transcribed from transformers' conversion scripts
# (src/transformers/models/dinov2/convert_dinov2_to_hf.py `create_rename_keys` + `read_in_q_k_v`,
#  dinov2_with_registers/convert_dinov2_with_registers_to_hf.py adds register_tokens).
# The 5.24.0 wheel does not ship these scripts; its save_pretrained writes exactly these names.
# ---------------------------------------------------------------------------------------------
def original_to_hf(tensors, depth, width, ffn, prefix=""):
    D = width
    out = OrderedDict()
    ren = {
        "cls_token": "embeddings.cls_token",
        "mask_token": "embeddings.mask_token",
        "register_tokens": "embeddings.register_tokens",
        "pos_embed": "embeddings.position_embeddings",
        "patch_embed.proj.weight": "embeddings.patch_embeddings.projection.weight",
        "patch_embed.proj.bias": "embeddings.patch_embeddings.projection.bias",
        "norm.weight": "layernorm.weight",
        "norm.bias": "layernorm.bias",
    }
    for k, v in tensors.items():
        if k in ren:
            out[prefix + ren[k]] = v
            continue
        parts = k.split(".")
        assert parts[0] == "blocks", k
        i = int(parts[1])
        rest = ".".join(parts[2:])
        L = f"{prefix}encoder.layer.{i}."
        if rest in ("attn.qkv.weight", "attn.qkv.bias"):
            kind = rest.rsplit(".", 1)[1]
            out[L + f"attention.attention.query.{kind}"] = v[:D]
            out[L + f"attention.attention.key.{kind}"] = v[D : 2 * D]
            out[L + f"attention.attention.value.{kind}"] = v[2 * D :]
            continue
        m = {
            "norm1.weight": "norm1.weight",
            "norm1.bias": "norm1.bias",
            "norm2.weight": "norm2.weight",
            "norm2.bias": "norm2.bias",
            "attn.proj.weight": "attention.output.dense.weight",
            "attn.proj.bias": "attention.output.dense.bias",
            "ls1.gamma": "layer_scale1.lambda1",
            "ls2.gamma": "layer_scale2.lambda1",
            "mlp.fc1.weight": "mlp.fc1.weight",
            "mlp.fc1.bias": "mlp.fc1.bias",
            "mlp.fc2.weight": "mlp.fc2.weight",
            "mlp.fc2.bias": "mlp.fc2.bias",
            "mlp.w12.weight": "mlp.weights_in.weight",
            "mlp.w12.bias": "mlp.weights_in.bias",
            "mlp.w3.weight": "mlp.weights_out.weight",
            "mlp.w3.bias": "mlp.weights_out.bias",
        }[rest]
        out[L + m] = v
    return out


def hf_config_kwargs(cfg, use_mask_token=True):
    kw = dict(
        hidden_size=cfg["width"],
        num_hidden_layers=cfg["depth"],
        num_attention_heads=cfg["heads"],
        mlp_ratio=4,
        image_size=cfg["image_size"],
        patch_size=PATCH,
        layer_norm_eps=1e-6,
        layerscale_value=1.0,
        qkv_bias=True,
        use_swiglu_ffn=cfg["ffn"] == "swiglu",
        hidden_act="gelu",
    )
    if cfg["registers"]:
        kw["num_register_tokens"] = cfg["registers"]
    else:
        kw["use_mask_token"] = use_mask_token
    return kw


def hf_classes(cfg):
    from transformers import Dinov2Config, Dinov2Model, Dinov2WithRegistersConfig, Dinov2WithRegistersModel

    if cfg["registers"]:
        return Dinov2WithRegistersConfig, Dinov2WithRegistersModel
    return Dinov2Config, Dinov2Model


def hf_model(cfg, tensors, use_mask_token=True, attn="eager", cls=None, extra=None, config_extra=None):
    """Build a transformers model by `from_pretrained` of a checkpoint holding the mapped synth
    weights (legacy HF names), i.e. through transformers' own loading/conversion path."""
    from safetensors.torch import save_file

    ccls, mcls = hf_classes(cfg)
    if cls is not None:
        mcls = cls
    prefix = "dinov2." if cls is not None and cls.__name__.endswith("ForImageClassification") else ""
    hf = original_to_hf(tensors, cfg["depth"], cfg["width"], cfg["ffn"], prefix)
    if not use_mask_token:
        hf.pop(prefix + "embeddings.mask_token")
    if extra:
        hf.update(extra)
    config = ccls(**hf_config_kwargs(cfg, use_mask_token), **(config_extra or {}))
    config.architectures = [mcls.__name__]
    with tempfile.TemporaryDirectory() as d:
        config.save_pretrained(d)
        save_file({k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in hf.items()}, os.path.join(d, "model.safetensors"), metadata={"format": "pt"})
        m = mcls.from_pretrained(d, attn_implementation=attn)
    m.eval()
    return m, hf


# ---------------------------------------------------------------------------------------------
# timm (vit_*_patch14_dinov2, vit_*_patch14_reg4_dinov2)
# ---------------------------------------------------------------------------------------------
def timm_name(cfg):
    """The registered timm model whose structure the config has: SwiGLU -> giant, else small; `_reg4_`
    (no_embed_class) with registers. Width, depth, heads, image size and register count are
    create_model overrides of that model's own arguments."""
    size = "giant" if cfg["ffn"] == "swiglu" else "small"
    return f"vit_{size}_patch14_{'reg4_' if cfg['registers'] else ''}dinov2"


def timm_kwargs(cfg, dynamic_img_size=False):
    kw = dict(embed_dim=cfg["width"], depth=cfg["depth"], num_heads=cfg["heads"], img_size=cfg["image_size"])
    if cfg["registers"]:
        kw["reg_tokens"] = cfg["registers"]
    if dynamic_img_size:
        kw["dynamic_img_size"] = True
    return kw


def timm_model(cfg, dynamic_img_size=False):
    """timm.create_model(timm_name(cfg), pretrained=False, **timm_kwargs(cfg)): timm's own model
    (randomly initialised; load weights afterwards)."""
    import timm

    m = timm.create_model(timm_name(cfg), pretrained=False, **timm_kwargs(cfg, dynamic_img_size))
    from .synth import swiglu_hidden

    H = cfg["width"] * 4 if cfg["ffn"] == "mlp" else 2 * swiglu_hidden(cfg["width"])
    # the registered model's mlp_ratio must give the table's FFN width for this D (checked, not assumed)
    assert m.blocks[0].mlp.fc1.weight.shape[0] == H, (m.blocks[0].mlp.fc1.weight.shape, H)
    return m.eval()


def timm_state_dict(cfg, original_sd, dynamic_img_size=False):
    """timm's own conversion of an original-layout state dict: checkpoint_filter_fn (-> _convert_dinov2),
    which timm runs when it loads the original DINOv2 weights. Returns (timm model loaded with
    load_state_dict(strict=True), the converted state dict)."""
    from timm.models.vision_transformer import checkpoint_filter_fn

    m = timm_model(cfg, dynamic_img_size)
    sd = checkpoint_filter_fn(OrderedDict((k, v.detach().clone()) for k, v in original_sd.items()), m)
    sd = OrderedDict((k, v.contiguous()) for k, v in sd.items())
    res = m.load_state_dict(sd, strict=True)
    assert not res.missing_keys and not res.unexpected_keys, res
    msd = m.state_dict()
    assert set(msd) == set(sd), set(msd) ^ set(sd)
    for k, v in sd.items():
        assert torch.equal(msd[k], v), k
    return m.eval(), sd


# ---------------------------------------------------------------------------------------------
# DINOHead
# ---------------------------------------------------------------------------------------------
HEAD = dict(hidden=48, bottleneck=16, out=64)


def head_module(in_dim, tensors):
    h = DINOHead(in_dim=in_dim, out_dim=tensors["last_layer.weight_v"].shape[0],
                 hidden_dim=tensors["mlp.0.weight"].shape[0],
                 bottleneck_dim=tensors["mlp.4.weight"].shape[0], nlayers=3)
    h.load_state_dict({k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in tensors.items()}, strict=True)
    return h.eval()


def head_param_state_dict(head):
    """The same head re-spelled with torch.nn.utils.parametrizations.weight_norm."""
    from torch.nn.utils import parametrizations, remove_weight_norm

    h = head_module(head.mlp[0].in_features, {k: v.detach().numpy().copy() for k, v in head.state_dict().items()})
    g = h.last_layer.weight_g.detach().clone()
    v = h.last_layer.weight_v.detach().clone()
    remove_weight_norm(h.last_layer)
    parametrizations.weight_norm(h.last_layer, name="weight", dim=0)
    with torch.no_grad():
        h.last_layer.parametrizations.weight.original0.copy_(g)
        h.last_layer.parametrizations.weight.original1.copy_(v)
    return h, h.state_dict()


def infer_original_cfg(sd):
    """Architecture from an original-layout state dict (names without prefixes)."""
    D = sd["cls_token"].shape[-1]
    depth = 1 + max(int(k.split(".")[1]) for k in sd if k.startswith("blocks.") and k.endswith("norm1.weight"))
    P = sd["pos_embed"].shape[1] - 1
    G = int(round(math.sqrt(P)))
    assert G * G == P
    patch = sd["patch_embed.proj.weight"].shape[-1]
    R = sd["register_tokens"].shape[1] if "register_tokens" in sd else 0
    ffn = "swiglu" if "blocks.0.mlp.w12.weight" in sd else "mlp"
    return dict(width=D, depth=depth, heads=D // 64 if D % 64 == 0 else None, registers=R, ffn=ffn,
                image_size=G * patch, patch=patch)
