"""Figure of reference vs generated log-mel spectrograms (matplotlib's Agg canvas, no pyplot).

One row per utterance, reference on the left and generated on the right, both drawn with the
reference's colour range so that a level or noise-floor difference shows as a colour change.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure


def plot_spectrogram_pairs(
    pairs: Sequence[tuple[str, np.ndarray, np.ndarray]],
    path: str | Path,
    *,
    frame_seconds: float | None = None,
    dpi: int = 100,
) -> Path:
    """Write a PNG of (utterance id, reference log-mel, generated log-mel) rows.

    Spectrograms are (n_mels, frames); ``frame_seconds`` (hop / sample rate) labels the time
    axis in seconds instead of frames.
    """
    if not pairs:
        raise ValueError("no spectrogram pairs to plot")
    for utt, reference, generated in pairs:
        if np.ndim(reference) != 2 or np.ndim(generated) != 2:
            raise ValueError(
                f"{utt}: spectrograms must be (n_mels, frames), got shapes "
                f"{np.shape(reference)} and {np.shape(generated)}"
            )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure = Figure(figsize=(12, 2.6 * len(pairs)), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(len(pairs), 2, squeeze=False)
    time_unit = "s" if frame_seconds else "frame"
    for row, (utt, reference, generated) in enumerate(pairs):
        low, high = float(np.min(reference)), float(np.max(reference))
        for column, (label, spectrogram) in enumerate(
            (("reference", reference), ("generated", generated))
        ):
            ax = axes[row, column]
            n_mels, frames = np.shape(spectrogram)
            extent = (0, frames * (frame_seconds or 1), 0, n_mels)
            image = ax.imshow(
                spectrogram, origin="lower", aspect="auto", extent=extent, vmin=low, vmax=high
            )
            ax.set_title(f"{utt}: {label}", fontsize=9)
            ax.set_xlabel(time_unit)
            ax.set_ylabel("mel bin")
        figure.colorbar(image, ax=axes[row, :], label="log-mel")
    figure.savefig(path, dpi=dpi)
    return path
