"""Mel-cepstral distortion (Kubichek 1993) between a reference and a generated waveform.

Mel-cepstra follow the common WORLD + SPTK recipe (as in ESPnet's MCD evaluation): the WORLD
CheapTrick spectral envelope on a 5 ms grid, converted to an order-24 mel-cepstrum by
pysptk.sp2mc with the all-pass constant α that best fits the mel scale at the sample rate
(pysptk.util.mcepalpha: 0.41 at 16 kHz, 0.455 at 22.05 kHz). Then, with c_0 (energy) left out,

    MCD = (10 / ln 10) · sqrt(2 · Σ_{d=1..24} (c_d − c'_d)²)   dB, averaged over frames,

the frames being paired along the DTW path of the Euclidean distance between c_1..c_24
(``align="dtw"``, the default) or one to one (``align="none"``, time-aligned copy-synthesis).
All frames count, silent ones included.
"""

from __future__ import annotations

import numpy as np

from diffmm.metrics.dtw import dtw_path, euclidean_cost
from diffmm.metrics.pitch import extract_f0
from diffmm.metrics.waveform_pair import as_waveform, check_sample_rate, prepare_pair, require

MCEP_ORDER = 24
ALIGNMENTS = ("dtw", "none")
MCD_SCALE_DB = 10.0 / np.log(10.0) * np.sqrt(2.0)


def mel_cepstra(
    wav: np.ndarray,
    sample_rate: int,
    *,
    order: int = MCEP_ORDER,
    f0: np.ndarray | None = None,
    times: np.ndarray | None = None,
    f0_method: str = "dio",
) -> np.ndarray:
    """Mel-cepstra (frames, order + 1), c_0 first, from the WORLD envelope.

    ``f0``/``times``: a contour already extracted with ``extract_f0`` (avoids a second pass).
    """
    if order < 1:
        raise ValueError(f"mel-cepstrum order must be >= 1, got {order}")
    sample_rate = check_sample_rate(sample_rate)
    wav = np.ascontiguousarray(as_waveform(wav, "input"))
    pyworld = require("pyworld", "pyworld", "MCD")
    pysptk = require("pysptk", "pysptk", "MCD")
    if (f0 is None) != (times is None):
        raise ValueError("give both f0 and times, or neither")
    if f0 is None:
        f0, times = extract_f0(wav, sample_rate, method=f0_method)
    envelope = pyworld.cheaptrick(
        wav, np.ascontiguousarray(f0), np.ascontiguousarray(times), sample_rate
    )
    alpha = pysptk.util.mcepalpha(sample_rate)
    return np.asarray(pysptk.sp2mc(envelope, order, alpha), dtype=np.float64)


def mcd_from_cepstra(cepstra_ref: np.ndarray, cepstra_gen: np.ndarray) -> float:
    """Mean Kubichek MCD (dB) of frame-paired mel-cepstra (frames, order + 1); c_0 is ignored."""
    cepstra_ref = np.asarray(cepstra_ref, dtype=np.float64)
    cepstra_gen = np.asarray(cepstra_gen, dtype=np.float64)
    if cepstra_ref.ndim != 2 or cepstra_ref.shape != cepstra_gen.shape or cepstra_ref.shape[1] < 2:
        raise ValueError(
            "mel-cepstra must be paired (frames, order + 1) arrays with order >= 1, got "
            f"{cepstra_ref.shape} and {cepstra_gen.shape}"
        )
    if cepstra_ref.shape[0] == 0:
        raise ValueError("mel-cepstra have no frames")
    diff = cepstra_ref[:, 1:] - cepstra_gen[:, 1:]
    return float(MCD_SCALE_DB * np.mean(np.sqrt(np.sum(diff * diff, axis=1))))


def align_cepstra(
    cepstra_ref: np.ndarray, cepstra_gen: np.ndarray, align: str = "dtw"
) -> tuple[np.ndarray, np.ndarray]:
    """Pair frames: along the DTW path over c_1.. (``dtw``) or one to one (``none``)."""
    if align not in ALIGNMENTS:
        raise ValueError(f"unknown alignment '{align}'; available: {ALIGNMENTS}")
    if align == "none":
        frames = min(len(cepstra_ref), len(cepstra_gen))
        return cepstra_ref[:frames], cepstra_gen[:frames]
    rows, cols, _ = dtw_path(euclidean_cost(cepstra_ref[:, 1:], cepstra_gen[:, 1:]))
    return cepstra_ref[rows], cepstra_gen[cols]


def mel_cepstral_distortion(
    reference: np.ndarray,
    generated: np.ndarray,
    sample_rate: int,
    *,
    align: str = "dtw",
    order: int = MCEP_ORDER,
    f0_method: str = "dio",
) -> float:
    """MCD in dB of ``generated`` against ``reference`` (see the module docstring)."""
    reference, generated, sample_rate = prepare_pair(reference, generated, sample_rate)
    cepstra_ref = mel_cepstra(reference, sample_rate, order=order, f0_method=f0_method)
    cepstra_gen = mel_cepstra(generated, sample_rate, order=order, f0_method=f0_method)
    return mcd_from_cepstra(*align_cepstra(cepstra_ref, cepstra_gen, align))
