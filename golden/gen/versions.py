"""Refuse to run unless the installed packages match golden/requirements.txt exactly."""
from __future__ import annotations

import importlib.metadata as md
import re
import sys
from pathlib import Path

REQ = Path(__file__).resolve().parent.parent / "requirements.txt"


def pins():
    out = []
    for line in REQ.read_text().splitlines():
        s = line.strip()
        m = re.match(r"^#\s*no-deps:\s*([A-Za-z0-9_.\-]+)==(\S+)$", s)
        if m:
            out.append((m.group(1), m.group(2), True))
            continue
        if not s or s.startswith("#"):
            continue
        m = re.match(r"^([A-Za-z0-9_.\-]+)==(\S+)$", s)
        if not m:
            raise SystemExit(f"golden/requirements.txt: cannot parse {line!r}")
        out.append((m.group(1), m.group(2), False))
    return out


def _public(v: str) -> str:
    return v.split("+", 1)[0]


def check(strict: bool = True):
    bad = []
    found = {}
    for name, want, _nodeps in pins():
        try:
            have = md.version(name)
        except md.PackageNotFoundError:
            bad.append(f"  {name}: not installed (want {want})")
            continue
        found[name] = have
        if _public(have) != want:
            bad.append(f"  {name}: installed {have}, pinned {want}")
    if bad and strict:
        msg = (
            "golden/generate.py: the installed packages differ from golden/requirements.txt:\n"
            + "\n".join(bad)
            + "\nInstall the pinned environment (see the header of golden/requirements.txt), e.g.\n"
            "  python3 -m venv .venv && .venv/bin/pip install -r golden/requirements.txt "
            "&& .venv/bin/pip install --no-deps dinov2==0.0.1.dev2 torchvision==0.29.2 scikit-image==0.26.0 timm==1.0.31\n"
            "Golden data generated with other versions is not comparable; refusing to run."
        )
        print(msg, file=sys.stderr)
        raise SystemExit(2)
    return found


def differences():
    """[{package, installed, pinned}] for every pin the installed environment does not match (installed None: absent)."""
    out = []
    for name, want, _nodeps in pins():
        try:
            have = md.version(name)
        except md.PackageNotFoundError:
            have = None
        if have is None or _public(have) != want:
            out.append({"package": name, "installed": have, "pinned": want})
    return out


def warn_differences():
    """forward-case in a release engineer's own environment: the differences are a warning, not a refusal."""
    diffs = differences()
    if diffs:
        lines = "\n".join(f"  {d['package']}: installed {d['installed'] or 'nothing'}, pinned {d['pinned']}" for d in diffs)
        print("generate.py forward-case: warning: the installed packages differ from golden/requirements.txt:\n" + lines
              + "\nThe case records its versions; `ckpt verify --golden` prints them and warns.", file=sys.stderr)
    return diffs


def versions_record():
    v = {}
    for name in ("torch", "transformers", "safetensors", "numpy", "zstandard", "dinov2"):
        try:
            v[name] = md.version(name)
        except md.PackageNotFoundError:
            v[name] = None
    v["python"] = sys.version.split()[0]
    return v
