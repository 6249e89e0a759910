"""The bundles ``diffmm demo`` runs: where they ship (``diffmm/demo/bundles/<name>``, package
data) and, when one is missing, which and how to get it.

Each shipped bundle was trained by one of the project's recipes; its ``config.yaml`` records
the exact training command and the objective scores it was stated with (``provenance``), which
the report shows beside the scores measured in the run.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from diffmm.bundle import Bundle
from diffmm.demo.result import BundleInfo
from diffmm.errors import DiffmmError

BUNDLE_DIR = Path(__file__).resolve().parent / "bundles"


@dataclass(frozen=True)
class ShippedBundle:
    what: str
    recipe: str  # the egs that trains it


SHIPPED = {
    "vocoder": ShippedBundle("DiffWave vocoder, 16 kHz hifigan mels", "egs/mini_speech/diffwave"),
    "tts": ShippedBundle("Grad-TTS acoustic model, 16 kHz hifigan mels", "egs/mini_speech/gradtts"),
    "forecast": ShippedBundle(
        "TimeGrad forecaster of the pedestrian counts", "egs/pedestrian/timegrad"
    ),
    "images": ShippedBundle(
        "class-conditional Fashion-MNIST image model (classifier-free guidance)",
        "egs/fashion_mnist/ddpm",
    ),
    "images_classifier": ShippedBundle(
        "the project's Fashion-MNIST classifier", "egs/fashion_mnist/ddpm"
    ),
}


def locate(name: str, bundle_dir: str | Path | None = None) -> Path:
    """The folder of bundle ``name`` under ``bundle_dir`` (default: the shipped ones), or a
    one-line ``DiffmmError`` saying which is missing and how to get it."""
    root = Path(bundle_dir) if bundle_dir is not None else BUNDLE_DIR
    path = root / name
    if not (path / "config.yaml").is_file():
        shipped = SHIPPED[name]
        raise DiffmmError(
            f"demo bundle '{name}' ({shipped.what}) is missing at {path}: it ships with the "
            f"repository (a git clone has it), or train it with {shipped.recipe}/run.sh and "
            f"copy its exported bundle there"
        )
    return path


def bundle_info(name: str, bundle: Bundle) -> BundleInfo:
    return BundleInfo(name, bundle.path, bundle.provenance)
