"""Evaluation metrics: distances between sample sets (more arrive with each modality)."""

from diffmm.metrics.audio import (
    log_mel_l1,
    mr_stft_distance,
    pesq_wideband,
    score_pair,
    stoi_score,
)
from diffmm.metrics.mcd import mel_cepstral_distortion
from diffmm.metrics.pitch import f0_metrics
from diffmm.metrics.sample_distance import gaussian_mmd, sliced_wasserstein

__all__ = [
    "f0_metrics",
    "gaussian_mmd",
    "log_mel_l1",
    "mel_cepstral_distortion",
    "mr_stft_distance",
    "pesq_wideband",
    "score_pair",
    "sliced_wasserstein",
    "stoi_score",
]
