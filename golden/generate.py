#!/usr/bin/env python3
"""Golden-data generator for ckpt (see golden/README.md).

    python golden/generate.py [--only SECTION ...]      # SECTION: safetensors, models, pth, images, dicom-inputs, forward,
                                                        #          forward-timm (the timm cases alone), dicom-recipe,
                                                        #          hub (needs models, forward), user-case (needs hub, images)
    python golden/generate.py --only dinov3 --dinov3-repo PATH   # DINOv3 cases from Meta's code at the pinned commit
    python golden/generate.py forward-case --weights PATH --layout hf|dinov2 --out DIR \
        [--image-size N | --image-size HxW | --images FILE... [--preprocessor JSON]] [--head HEAD] [--batch B] [--no-f64]

Everything is computed by upstream libraries (safetensors, torch, transformers, dinov2, timm) pinned in
golden/requirements.txt; the script refuses to run with other versions, except forward-case (a case for a user's own
release), which warns and records the versions it ran with.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.dont_write_bytecode = True  # keep golden/gen free of __pycache__

SECTIONS = ("safetensors", "models", "pth", "images", "dicom-inputs", "dicom-recipe", "forward", "forward-timm", "dinov3",
            "dinov3-images", "hub", "user-case")


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    from gen import versions
    from gen.common import quiet_env

    quiet_env()
    if argv and argv[0] == "forward-case":
        # A case for the user's own release: their environment may differ from the pins (a warning; the case
        # records its versions). The project's own golden data below stays strictly pinned.
        versions.warn_differences()
        from gen import forward

        return forward.cli(argv[1:])
    versions.check()
    if argv and argv[0] == "synth-selfcheck":
        from gen import synth

        print(synth.self_check())
        return 0
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", action="append", choices=SECTIONS, help="regenerate only this section (repeatable)")
    ap.add_argument("--dinov3-repo", help="facebookresearch/dinov3 git repository holding the pinned commit "
                    "(section dinov3 imports Meta's code from it at generation time; nothing is vendored)")
    args = ap.parse_args(argv)
    # forward already writes the timm cases: forward-timm runs only when asked for by name; dinov3 needs
    # --dinov3-repo and runs when asked for or when the repository is given.
    only = args.only or [s for s in SECTIONS if s not in ("forward-timm", "dinov3") or (s == "dinov3" and args.dinov3_repo)]
    from gen.common import setup_torch

    setup_torch()
    from gen import synth

    print("synth self-check (seed 0, ViT-B, blocks.0.attn.qkv.weight[:4]):", synth.self_check(), flush=True)
    t0 = time.time()
    for sec in SECTIONS:
        if sec not in only:
            continue
        t = time.time()
        if sec == "safetensors":
            from gen import st_fixtures

            st_fixtures.run()
        elif sec == "models":
            from gen import model_fixtures

            model_fixtures.run()
        elif sec == "pth":
            from gen import pth_fixtures

            pth_fixtures.run()
        elif sec == "images":
            from gen import images

            images.run()
        elif sec == "dicom-inputs":
            from gen import dicom_inputs

            dicom_inputs.run()
        elif sec == "forward":
            from gen import forward

            forward.run()
        elif sec == "hub":
            from gen import hub

            hub.run()
        elif sec == "user-case":
            from gen import forward

            forward.run_user_case()
        elif sec == "dicom-recipe":
            from gen import dicom_recipe

            dicom_recipe.run()
        elif sec == "forward-timm":
            from gen import forward

            forward.run_timm()
        elif sec == "dinov3":
            from gen import dinov3

            dinov3.run(args.dinov3_repo)
        elif sec == "dinov3-images":
            from gen import dinov3

            dinov3.run_images()
        print(f"== {sec}: {time.time() - t:.1f}s", flush=True)
    print(f"== total {time.time() - t0:.1f}s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
