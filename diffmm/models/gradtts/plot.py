"""Figure of one synthesised utterance: the mel with each token's span marked along the time
axis and labelled with its symbol (the alignment the duration predictor chose)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure


def plot_alignment(
    mel: np.ndarray, durations: Sequence[float], symbols: Sequence[str], path: str | Path
) -> Path:
    """Write a PNG of ``mel`` (n_mels, frames) with token boundaries from ``durations``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure = Figure(figsize=(max(6.0, mel.shape[1] / 40), 3.2), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.imshow(mel, origin="lower", aspect="auto", interpolation="nearest")
    ends = np.cumsum(np.asarray(durations, dtype=float))
    starts = ends - np.asarray(durations, dtype=float)
    for start, end, symbol in zip(starts, ends, symbols):
        if end > start:
            axes.axvline(start - 0.5, color="white", linewidth=0.4)
            axes.text((start + end) / 2 - 0.5, mel.shape[0] - 2, symbol, color="white",
                      fontsize=6, ha="center", va="top", rotation=90)  # fmt: skip
    axes.set_xlabel("frame")
    axes.set_ylabel("mel bin")
    figure.savefig(path, dpi=100)
    return path
