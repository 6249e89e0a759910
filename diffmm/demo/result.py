"""What a demo part hands to the report: its scores, its media and where its files are."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm


@dataclass(frozen=True)
class Score:
    """One number measured in this run; ``key`` matches the bundle's stated scores, if any."""

    key: str
    label: str  # what it is, with ↓/↑ for lower/higher is better
    value: float
    unit: str = ""

    def __post_init__(self) -> None:
        if not math.isfinite(self.value):
            raise ValueError(f"score {self.key} is {self.value}: every reported number is finite")


@dataclass(frozen=True)
class Media:
    """An audio clip or a picture written by the part, shown in the report."""

    kind: str  # "audio" or "image"
    label: str
    path: Path


@dataclass(frozen=True)
class BundleInfo:
    """A bundle the part ran, with how it was made (``Bundle.provenance``) when it says."""

    name: str
    path: Path
    provenance: dict[str, Any] | None


@dataclass
class PartResult:
    part: str
    title: str
    summary: str  # what the part shows, one paragraph
    bundles: list[BundleInfo]
    scores: list[Score] = field(default_factory=list)
    media: list[Media] = field(default_factory=list)
    seconds: float = 0.0


@dataclass(frozen=True)
class DemoContext:
    """What every part is run with: its own folder, the bundles' root, precision and seed."""

    out_dir: Path  # the part's folder, OUTDIR/<part>
    bundle_dir: Path
    dtype: str = "fp32"
    seed: int = 0
    device: str = "cpu"

    def progress(self, part: str, total: int, unit: str) -> tqdm:
        """The part's progress bar."""
        return tqdm(total=total, desc=f"demo {part}", unit=unit)
