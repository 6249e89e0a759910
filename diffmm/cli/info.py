"""``diffmm info [BUNDLE]``: library versions, compute devices, and what a bundle holds."""

from __future__ import annotations

import argparse
import platform
from importlib import metadata

import torch

import diffmm

LIBRARIES = ("torch", "numpy", "accelerate", "safetensors", "einops", "torchaudio")


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("info", help="versions, devices, and the contents of a bundle")
    parser.add_argument("bundle", nargs="?", help="a model bundle directory to describe")
    parser.set_defaults(run=run)


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def describe_environment() -> list[str]:
    lines = [f"diffmm {diffmm.__version__}", f"python {platform.python_version()}"]
    lines += [f"{name} {_version(name)}" for name in LIBRARIES]
    if torch.cuda.is_available():
        for i in range(torch.cuda.device_count()):
            lines.append(f"device cuda:{i} {torch.cuda.get_device_name(i)}")
    lines.append(f"device cpu ({torch.get_num_threads()} threads)")
    return lines


def describe_bundle(path: str) -> list[str]:
    from diffmm.bundle import load

    bundle = load(path)
    params = sum(p.numel() for p in bundle.model.parameters())
    diffusion = bundle.config.get("diffusion", {})
    lines = [
        f"bundle {bundle.path}",
        f"  family: {bundle.family}",
        f"  parameters: {params:,}",
        f"  schedule: {diffusion.get('schedule', '?')} (T={diffusion.get('num_steps', '-')}), "
        f"parameterization {diffusion.get('parameterization', '?')}, "
        f"variance {diffusion.get('variance', '?')}",
    ]
    if "data_shape" in bundle.config:
        lines.append(f"  sample shape: {tuple(bundle.config['data_shape'])}")
    for name, tensor in sorted(bundle.tensors.items()):
        lines.append(
            f"  tensor {name}: {tuple(tensor.shape)} {str(tensor.dtype).replace('torch.', '')}"
        )
    provenance = bundle.provenance or {}
    if "command" in provenance:
        lines.append(f"  trained by: {provenance['command']}")
    for name, value in (provenance.get("scores") or {}).items():
        lines.append(f"  stated score {name}: {value}")
    return lines


def run(args: argparse.Namespace) -> int:
    lines = describe_environment()
    if args.bundle:
        lines += describe_bundle(args.bundle)
    print("\n".join(lines))
    return 0
