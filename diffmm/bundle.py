"""Model bundles: a directory holding everything inference needs, and nothing pickled.

    <bundle>/config.yaml          family, diffmm_version, an optional provenance (the command
                                  that trained it, its stated scores) and the family's config
    <bundle>/model.safetensors    network weights (the EMA weights, as exported; fp32, or fp16
                                  for shipping: they are cast back to the model's dtype on load)
    <bundle>/extras.safetensors   named tensors: prior statistics, noise schedules, scalers...
    <bundle>/<name>               extra files (symbol tables, mel presets...)

``diffmm.load(path)`` rebuilds the network through the model-family registry and loads the
weights with ``strict=True``; inference never needs the recipe or the training data.

Each family owns its schema in one module of ``diffmm/models``: ``to_bundle_config(...)`` writes
the ``config.yaml`` dict, and the family's inference object (``Vocoder``, ``Forecaster``,
``DiffusionGenerator``...) reads it back with ``from_bundle(bundle_or_path)`` and writes itself
with ``export(path)``. Recipes export through the inference object, so the writer and the reader
of a schema sit side by side.
"""

from __future__ import annotations

import copy
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import yaml
from safetensors.torch import load_file, load_model, save_file, save_model
from torch import Tensor, nn

from diffmm import __version__
from diffmm.atomic import current_umask
from diffmm.config import config_to_dict
from diffmm.errors import DiffmmError
from diffmm.models.registry import get_family

CONFIG_FILE = "config.yaml"
MODEL_FILE = "model.safetensors"
EXTRAS_FILE = "extras.safetensors"
_RESERVED_KEYS = ("family", "diffmm_version", "provenance")
# the command that runs a family's bundles, named when a bundle is given to another command
COMMAND_FOR_FAMILY = {
    "priorgrad": "diffmm vocode",
    "timegrad": "diffmm forecast",
    "toy": "diffmm sample",
    "image": "diffmm sample",
}


@dataclass
class Bundle:
    path: Path
    family: str
    config: dict[str, Any]
    model: nn.Module
    tensors: dict[str, Tensor] = field(default_factory=dict)
    diffmm_version: str | None = None
    # where the weights came from: {"command": the training command, "scores": {...}}
    provenance: dict[str, Any] | None = None

    def file(self, name: str) -> Path:
        """Path of an extra file shipped in the bundle."""
        path = self.path / name
        if not path.exists():
            raise DiffmmError(f"bundle {self.path} has no file '{name}'")
        return path


def export_bundle(
    path: str | Path,
    *,
    family: str,
    config: dict[str, Any],
    model: nn.Module,
    tensors: dict[str, Tensor] | None = None,
    files: dict[str, str | Path] | None = None,
    weights_dtype: torch.dtype | None = None,
    provenance: dict[str, Any] | None = None,
) -> Path:
    """Write a bundle at ``path`` (replacing any bundle there); returns ``path``.

    The bundle is assembled in a temporary sibling directory and renamed into place, so
    ``path`` never holds half a bundle. ``config`` (a dict or a config dataclass) must be
    YAML-safe and must be what the family's builder expects. ``weights_dtype`` (e.g.
    ``torch.float16``) stores the parameters in that dtype to halve a shipped bundle; buffers
    (schedules, statistics) keep theirs, since their precision matters more than their size.
    ``provenance`` (YAML-safe) records how the weights were made.
    """
    path = Path(path)
    config = config_to_dict(config)
    for key in _RESERVED_KEYS:
        if key in config:
            raise ValueError(f"bundle config must not contain the reserved key '{key}'")
    files = {name: Path(source) for name, source in (files or {}).items()}
    for name, source in files.items():
        if name in (CONFIG_FILE, MODEL_FILE, EXTRAS_FILE) or "/" in name or name.startswith("."):
            raise ValueError(f"bundle file name '{name}' is reserved or not a plain name")
        if not source.exists():
            raise DiffmmError(f"file '{source}' for bundle entry '{name}' does not exist")

    temp = path.with_name(f".tmp-{path.name}-{os.getpid()}")
    shutil.rmtree(temp, ignore_errors=True)
    temp.mkdir(parents=True)
    header: dict[str, Any] = {"family": family, "diffmm_version": __version__}
    if provenance is not None:
        header["provenance"] = provenance
    (temp / CONFIG_FILE).write_text(yaml.safe_dump({**header, **config}, sort_keys=False))
    save_model(
        _with_parameter_dtype(model, weights_dtype), str(temp / MODEL_FILE), force_contiguous=True
    )
    extras = {name: t.detach().cpu().contiguous() for name, t in (tensors or {}).items()}
    save_file(extras, str(temp / EXTRAS_FILE))
    for name, source in files.items():
        if source.is_dir():
            shutil.copytree(source, temp / name)
        else:
            shutil.copy2(source, temp / name)
    _share_modes(temp)

    if path.exists():  # move the old bundle aside, then swap: never a half-written `path`
        old = path.with_name(f".old-{path.name}-{os.getpid()}")
        shutil.rmtree(old, ignore_errors=True)
        os.replace(path, old)
        os.replace(temp, path)
        shutil.rmtree(old)
    else:
        os.replace(temp, path)
    return path


def copy_bundle(
    source: str | Path,
    path: str | Path,
    *,
    weights_dtype: torch.dtype | None = None,
    provenance: dict[str, Any] | None = None,
) -> Path:
    """Write the bundle at ``source`` again at ``path``, its weights in ``weights_dtype`` and with
    ``provenance`` (replacing any it had); its tensors and extra files come along unchanged."""
    bundle = load(source)
    reserved = {CONFIG_FILE, MODEL_FILE, EXTRAS_FILE}
    files = {entry.name: entry for entry in bundle.path.iterdir() if entry.name not in reserved}
    return export_bundle(
        path,
        family=bundle.family,
        config=bundle.config,
        model=bundle.model,
        tensors=bundle.tensors,
        files=files,
        weights_dtype=weights_dtype,
        provenance=provenance if provenance is not None else bundle.provenance,
    )


def _with_parameter_dtype(model: nn.Module, dtype: torch.dtype | None) -> nn.Module:
    """``model`` itself, or a copy whose floating-point parameters are in ``dtype``."""
    if dtype is None:
        return model
    cast = copy.deepcopy(model)
    for parameter in cast.parameters():
        if parameter.is_floating_point():
            parameter.data = parameter.data.to(dtype)
    return cast


def _share_modes(root: Path) -> None:
    """Give every file 0666 and every folder 0777, less the umask, as ``open``/``mkdir`` would.

    safetensors writes its files 0600 and ``copy2`` keeps a source's mode, so without this a
    bundle mixes modes and cannot be shared as it is.
    """
    mask = current_umask()
    root.chmod(0o777 & ~mask)
    for entry in root.rglob("*"):
        if not entry.is_symlink():
            entry.chmod((0o777 if entry.is_dir() else 0o666) & ~mask)


def load(
    path: str | Path, *, expected_family: str | None = None, device: str | torch.device = "cpu"
) -> Bundle:
    """Rebuild a bundle's model (eval mode, on ``device``) and read its tensors.

    Raises ``DiffmmError`` for a missing directory or file (``extras.safetensors`` included:
    ``export_bundle`` always writes it), a family other than ``expected_family``, a config the
    family cannot build from, weights that do not fit, or a device this machine lacks.
    """
    path = Path(path)
    if path.is_file():
        raise DiffmmError(
            f"{path} is a file; a bundle is the directory holding {CONFIG_FILE} and {MODEL_FILE}"
        )
    if not path.is_dir():
        raise DiffmmError(f"bundle directory {path} does not exist")
    device = parse_device(device)
    raw = _read_config(path)
    family = raw.pop("family")
    version = raw.pop("diffmm_version", None)
    provenance = raw.pop("provenance", None)
    if expected_family is not None and family != expected_family:
        raise DiffmmError(f"bundle {path} is a '{family}' model, expected '{expected_family}'")
    build_model = get_family(family)
    try:
        model = build_model(raw)
    except (TypeError, ValueError, KeyError) as err:
        raise DiffmmError(
            f"bundle {path}: cannot build a '{family}' model from its config: {err}"
        ) from err

    weights = path / MODEL_FILE
    if not weights.is_file():
        raise DiffmmError(f"bundle {path} has no {MODEL_FILE}")
    try:
        load_model(model, str(weights), strict=True)
    except Exception as err:  # corrupt file (SafetensorsError) or mismatched keys (RuntimeError)
        raise DiffmmError(f"cannot load {weights} into a '{family}' model: {err}") from err

    extras = path / EXTRAS_FILE
    if not extras.is_file():  # written by every export, empty when the model needs no tensors
        raise DiffmmError(
            f"bundle {path} has no {EXTRAS_FILE}: it is incomplete (every exported bundle has "
            "one, empty when the model needs no tensors); copy or export it again"
        )
    try:
        tensors = load_file(str(extras), device=str(device))
    except Exception as err:
        raise DiffmmError(f"cannot read {extras}: {err}") from err
    model = model.to(device).eval()
    return Bundle(path, family, raw, model, tensors, version, provenance)


def open_bundle(
    bundle: Bundle | str | Path,
    families: tuple[str, ...],
    *,
    device: str | torch.device = "cpu",
) -> Bundle:
    """``bundle`` itself when already loaded, else ``load(bundle)``; either way it must be one of
    ``families`` (a ``DiffmmError`` naming the bundle's family otherwise)."""
    if not isinstance(bundle, Bundle):
        bundle = load(bundle, device=device)
    if bundle.family not in families:
        command = COMMAND_FOR_FAMILY.get(bundle.family)
        hint = f" (use `{command}`)" if command else ""
        raise DiffmmError(
            f"bundle {bundle.path} is a '{bundle.family}' model, expected "
            f"{' or '.join(families)}{hint}"
        )
    return bundle


def parse_device(device: str | torch.device) -> torch.device:
    """``device`` as a ``torch.device``; ``DiffmmError`` naming the accepted forms if invalid."""
    try:
        parsed = torch.device(device)
    except (RuntimeError, TypeError) as err:
        raise DiffmmError(
            f"device {device!r} is not a device name (cpu, cuda, cuda:N, mps, ...): {err}"
        ) from None
    check_device_available(parsed)
    return parsed


def check_device_available(device: torch.device) -> None:
    """A ``DiffmmError`` for a GPU this machine lacks, instead of torch's assertion later."""
    if device.type == "cuda":
        if not torch.cuda.is_available():
            why = "was built without CUDA" if torch.version.cuda is None else "sees no CUDA GPU"
            raise DiffmmError(f"device '{device}' is not available: this PyTorch {why}; use cpu")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise DiffmmError(
                f"device '{device}' is not available: this machine has "
                f"{torch.cuda.device_count()} CUDA GPU(s)"
            )
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise DiffmmError(f"device '{device}' is not available: no Apple MPS device; use cpu")


def _read_config(path: Path) -> dict[str, Any]:
    config_path = path / CONFIG_FILE
    if not config_path.is_file():
        raise DiffmmError(f"bundle {path} has no {CONFIG_FILE}")
    try:
        raw = yaml.safe_load(config_path.read_text())
    except yaml.YAMLError as err:
        raise DiffmmError(f"{config_path} is not valid YAML: {err}") from err
    if not isinstance(raw, dict) or not isinstance(raw.get("family"), str):
        raise DiffmmError(f"{config_path} does not name a model family ('family: <name>')")
    return raw
