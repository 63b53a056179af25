"""A Hugging Face cache (`golden/hub/cache/`) written by huggingface_hub's own code, offline.

It holds one model repo, `ckpt-golden/tiny-release`: a RAD-DINO-shaped release bundle made of the tiny
model files (HF weights and config, the original-layout backbone, the DINOHead, the preprocessor of the
tiny image cases) at the commit `main` points to, and an older commit tagged `v0.1` with the HF files
only. The cache is laid out by the library's functions (`repo_folder_name`, the blob symlinks of
`_create_symlink`, the refs of `_cache_commit_hash_for_specific_revision`), the same calls
`hf_hub_download` makes after a download, and then read back with `scan_cache_dir` and
`try_to_load_from_cache`; what they return is recorded in `hub.json` for the Swift tests to compare
with ckpt's own lookup.

Blob names are what the Hub uses as ETag: the SHA-256 of LFS files (the weights) and the git blob
SHA-1 of the small text files. Commit hashes are SHA-1s of a fixed text (no network, no git repo).
"""
from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

from .common import GOLDEN, sha256_file, write_json

OUT = GOLDEN / "hub"
CACHE = OUT / "cache"  # the cache folder itself (HF_HUB_CACHE); hub.json sits next to it
REPO_ID = "ckpt-golden/tiny-release"

# name in the repo -> file under golden/ (all written by this generator's other sections)
BUNDLE = {
    "model.safetensors": "models/tiny/hf/model.safetensors",
    "config.json": "models/tiny/hf/config.json",
    "preprocessor_config.json": "forward/tiny-images-hf/preprocessor_config.json",
    "backbone_compatible.safetensors": "models/tiny/dinov2.safetensors",
    "dino_head.safetensors": "models/tiny/head-legacy.safetensors",
}
# revision name -> (text the commit hash is made from, files at that commit)
COMMITS = {
    "main": ("ckpt golden tiny-release: the release bundle", list(BUNDLE)),
    "v0.1": ("ckpt golden tiny-release: HF files only", ["model.safetensors", "config.json"]),
}


def _etag(name: str, data: bytes) -> str:
    if name.endswith(".safetensors"):  # LFS: the ETag is the SHA-256 of the content
        return hashlib.sha256(data).hexdigest()
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()  # git blob id


def run():
    from huggingface_hub import scan_cache_dir, try_to_load_from_cache
    from huggingface_hub.file_download import (
        _cache_commit_hash_for_specific_revision,
        _create_symlink,
        repo_folder_name,
    )

    if OUT.exists():
        shutil.rmtree(OUT)
    CACHE.mkdir(parents=True)
    storage = CACHE / repo_folder_name(repo_id=REPO_ID, repo_type="model")
    record = {"repo_id": REPO_ID, "repo_folder": storage.name, "revisions": {}, "files": {}}
    for revision, (text, names) in COMMITS.items():
        commit = hashlib.sha1(text.encode()).hexdigest()
        for name in names:
            data = (GOLDEN / BUNDLE[name]).read_bytes()
            blob = storage / "blobs" / _etag(name, data)
            if not blob.exists():
                blob.parent.mkdir(parents=True, exist_ok=True)
                blob.write_bytes(data)
            pointer = storage / "snapshots" / commit / name
            pointer.parent.mkdir(parents=True, exist_ok=True)
            _create_symlink(str(blob), str(pointer), new_blob=False)
        _cache_commit_hash_for_specific_revision(str(storage), revision, commit)
        record["revisions"][revision] = commit
    # Read it back with the library: every file as try_to_load_from_cache finds it, per revision.
    for revision, (_, names) in COMMITS.items():
        found = {}
        for name in sorted(BUNDLE):
            path = try_to_load_from_cache(REPO_ID, name, cache_dir=str(CACHE), revision=revision)
            if name in names:
                assert isinstance(path, str), (revision, name, path)
                found[name] = {
                    "path": os.path.relpath(path, CACHE),
                    "blob": os.path.relpath(os.path.realpath(path), os.path.realpath(CACHE)),
                    "sha256": sha256_file(path),
                }
            else:
                assert path is None, (revision, name, path)
        record["files"][revision] = found
    info = scan_cache_dir(CACHE)
    assert not info.warnings, info.warnings
    (repo,) = info.repos
    record["scan_cache_dir"] = {
        "repo_id": repo.repo_id,
        "repo_type": repo.repo_type,
        "nb_files": repo.nb_files,
        "size_on_disk": repo.size_on_disk,
        "revisions": sorted(
            ({"commit_hash": r.commit_hash, "refs": sorted(r.refs), "files": sorted(f.file_name for f in r.files)}
             for r in repo.revisions),
            key=lambda r: r["commit_hash"],
        ),
    }
    import huggingface_hub

    record["huggingface_hub"] = huggingface_hub.__version__
    write_json(OUT / "hub.json", record)
    print(f"[hub] {REPO_ID}: {len(COMMITS)} revisions, {repo.nb_files} blobs, {repo.size_on_disk} bytes", flush=True)
