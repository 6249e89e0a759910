"""Checkpoint directories: atomic commit, integrity manifest, discovery and pruning.

Layout: ``<exp>/checkpoints/step_00000500/`` holds Accelerate's state (model, optimizer,
scheduler, RNG states), ``ema.safetensors``, ``trainer_state.json``, ``config.yaml`` and
``manifest.json`` (size and SHA-256 of every other file). A checkpoint is written into
``.tmp-step_00000500`` in the same parent and renamed when complete, so a crash while
writing never leaves a directory named ``step_*`` behind; the previous checkpoint stays the
newest. The manifest turns a later truncation or bit flip into a clear error at load time.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
from pathlib import Path

import torch
from torch import Tensor

from diffmm.errors import DiffmmError

MANIFEST = "manifest.json"
TEMP_PREFIX = ".tmp-"
_STEP_DIR = re.compile(r"^step_(\d{8})$")


def step_dir_name(step: int) -> str:
    return f"step_{step:08d}"


def temp_dir_for(root: Path, step: int) -> Path:
    return root / f"{TEMP_PREFIX}{step_dir_name(step)}"


def list_checkpoints(root: Path) -> list[tuple[int, Path]]:
    """Committed checkpoints under ``root`` as (step, path), oldest first; temp dirs are ignored."""
    if not root.is_dir():
        return []
    found = []
    for entry in root.iterdir():
        match = _STEP_DIR.match(entry.name)
        if match and entry.is_dir():
            found.append((int(match.group(1)), entry))
    return sorted(found)


def latest_checkpoint(root: Path) -> Path | None:
    checkpoints = list_checkpoints(root)
    return checkpoints[-1][1] if checkpoints else None


def remove_temp_dirs(root: Path) -> None:
    """Delete leftovers of interrupted writes."""
    if root.is_dir():
        for entry in root.iterdir():
            if entry.name.startswith(TEMP_PREFIX):
                shutil.rmtree(entry, ignore_errors=True)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*") if p.is_file() and p.name != MANIFEST)


def commit(temp: Path, final: Path) -> None:
    """Write the manifest, flush everything to disk and rename ``temp`` to ``final`` atomically."""
    manifest = {
        str(p.relative_to(temp)): {"size": p.stat().st_size, "sha256": _sha256(p)}
        for p in _files(temp)
    }
    (temp / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True))
    for path in [*_files(temp), temp / MANIFEST]:
        with path.open("rb") as f:
            os.fsync(f.fileno())
    if final.exists():  # re-saving the same step: move the old one aside first
        stale = final.with_name(f"{TEMP_PREFIX}old-{final.name}")
        shutil.rmtree(stale, ignore_errors=True)
        os.replace(final, stale)
        shutil.rmtree(stale, ignore_errors=True)
    os.replace(temp, final)
    _fsync_dir(final.parent)


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # some platforms cannot open directories; the rename is still atomic
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def verify(directory: Path) -> None:
    """Raise ``DiffmmError`` naming ``directory`` if a file is missing, truncated or altered."""
    manifest_path = directory / MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text())
    except (OSError, ValueError) as err:
        raise corrupt(directory, f"unreadable {MANIFEST}: {err}") from err
    for name, expected in manifest.items():
        path = directory / name
        if not path.is_file():
            raise corrupt(directory, f"file '{name}' is missing")
        if path.stat().st_size != expected["size"]:
            raise corrupt(
                directory,
                f"file '{name}' has {path.stat().st_size} bytes, expected {expected['size']}",
            )
        if _sha256(path) != expected["sha256"]:
            raise corrupt(directory, f"file '{name}' does not match its checksum")


def corrupt(directory: Path, reason: str) -> DiffmmError:
    return DiffmmError(
        f"checkpoint {directory} is corrupt or incomplete ({reason}); "
        "delete it to resume from the previous one"
    )


def prune(root: Path, keep_last: int) -> None:
    """Keep only the ``keep_last`` newest committed checkpoints."""
    for _, path in list_checkpoints(root)[:-keep_last]:
        shutil.rmtree(path)


def encode_generator_state(state: Tensor) -> str:
    return base64.b64encode(state.cpu().numpy().tobytes()).decode("ascii")


def decode_generator_state(text: str) -> Tensor:
    return torch.frombuffer(bytearray(base64.b64decode(text)), dtype=torch.uint8)
