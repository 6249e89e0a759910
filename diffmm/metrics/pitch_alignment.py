"""MCD and log-F0 RMSE of speech whose timing differs from its reference (TTS output).

``score_pair`` compares F0 frame by frame on waveforms trimmed to one length, right for a
vocoder's copy-synthesis but not for synthesised speech, whose phones fall at other times and
whose length differs. Here both whole waveforms are analysed (WORLD F0 on a 5 ms grid, the
order-24 mel-cepstra of ``diffmm.metrics.mcd``), their frames are paired along one DTW path of
the Euclidean distance between c_1..c_24 (the path MCD uses), and along that path

- MCD (dB) is Kubichek's, as in ``diffmm.metrics.mcd``;
- log-F0 RMSE (cents) is sqrt(mean (1200·log2(f̂/f))²) over the pairs voiced on both sides.

When the two waveforms have one length the MCD equals ``score_pair``'s.
"""

from __future__ import annotations

import numpy as np

from diffmm.metrics.dtw import dtw_path, euclidean_cost
from diffmm.metrics.mcd import mcd_from_cepstra, mel_cepstra
from diffmm.metrics.pitch import extract_f0, log_f0_rmse_cents
from diffmm.metrics.waveform_pair import as_waveform, check_sample_rate


def dtw_mcd_and_log_f0_rmse(
    reference: np.ndarray, generated: np.ndarray, sample_rate: int, *, f0_method: str = "dio"
) -> tuple[float, float]:
    """(MCD in dB, log-F0 RMSE in cents) of untrimmed waveforms paired along the DTW path."""
    sample_rate = check_sample_rate(sample_rate)
    contours, cepstra = [], []
    for name, wav in (("reference", reference), ("generated", generated)):
        wav = np.ascontiguousarray(as_waveform(wav, name))
        f0, times = extract_f0(wav, sample_rate, method=f0_method)
        contours.append(f0)
        cepstra.append(mel_cepstra(wav, sample_rate, f0=f0, times=times))
    rows, cols, _ = dtw_path(euclidean_cost(cepstra[0][:, 1:], cepstra[1][:, 1:]))
    mcd = mcd_from_cepstra(cepstra[0][rows], cepstra[1][cols])
    return mcd, log_f0_rmse_cents(contours[0][rows], contours[1][cols])
