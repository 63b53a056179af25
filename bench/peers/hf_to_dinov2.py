"""Peer for `ckpt convert hf-to-dinov2`: the script people write by hand.

load_file the whole HF checkpoint, rename keys, torch.cat query/key/value into qkv, save_file.
Handles the MLP (fc1/fc2) and SwiGLU (weights_in/weights_out -> w12/w3) blocks.

    python hf_to_dinov2.py model.safetensors out.safetensors
"""
import re
import sys

import torch
from safetensors.torch import load_file, save_file

RENAME = [  # (HF regex, original) applied in order; first match wins
    (r"embeddings\.cls_token", "cls_token"),
    (r"embeddings\.mask_token", "mask_token"),
    (r"embeddings\.register_tokens", "register_tokens"),
    (r"embeddings\.position_embeddings", "pos_embed"),
    (r"embeddings\.patch_embeddings\.projection\.(weight|bias)", r"patch_embed.proj.\1"),
    (r"layernorm\.(weight|bias)", r"norm.\1"),
    (r"encoder\.layer\.(\d+)\.norm([12])\.(weight|bias)", r"blocks.\1.norm\2.\3"),
    (r"encoder\.layer\.(\d+)\.attention\.output\.dense\.(weight|bias)", r"blocks.\1.attn.proj.\2"),
    (r"encoder\.layer\.(\d+)\.layer_scale([12])\.lambda1", r"blocks.\1.ls\2.gamma"),
    (r"encoder\.layer\.(\d+)\.mlp\.fc([12])\.(weight|bias)", r"blocks.\1.mlp.fc\2.\3"),
    (r"encoder\.layer\.(\d+)\.mlp\.weights_in\.(weight|bias)", r"blocks.\1.mlp.w12.\2"),
    (r"encoder\.layer\.(\d+)\.mlp\.weights_out\.(weight|bias)", r"blocks.\1.mlp.w3.\2"),
]
QKV = re.compile(r"encoder\.layer\.(\d+)\.attention\.attention\.(query|key|value)\.(weight|bias)")


def convert(sd):
    out, qkv = {}, {}
    for k, v in sd.items():
        m = QKV.fullmatch(k)
        if m:
            qkv.setdefault((int(m.group(1)), m.group(3)), {})[m.group(2)] = v
            continue
        for pat, rep in RENAME:
            if re.fullmatch(pat, k):
                out[re.sub(pat, rep, k)] = v
                break
        else:
            raise KeyError(f"no rule for {k}")
    for (i, kind), parts in qkv.items():
        out[f"blocks.{i}.attn.qkv.{kind}"] = torch.cat([parts["query"], parts["key"], parts["value"]], dim=0)
    return out


if __name__ == "__main__":
    src, dst = sys.argv[1], sys.argv[2]
    save_file(convert(load_file(src)), dst, metadata={"format": "pt"})
