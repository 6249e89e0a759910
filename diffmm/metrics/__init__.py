"""Evaluation metrics: distances between sample sets (more arrive with each modality)."""

from diffmm.metrics.audio import (
    log_mel_l1,
    mr_stft_distance,
    pesq_wideband,
    score_pair,
    stoi_score,
)
from diffmm.metrics.feature_extractor import FeatureExtractor, extract_features
from diffmm.metrics.feature_statistics import FeatureStatistics
from diffmm.metrics.frechet import fid, frechet_distance
from diffmm.metrics.inception_score import inception_score
from diffmm.metrics.mcd import mel_cepstral_distortion
from diffmm.metrics.pitch import f0_metrics
from diffmm.metrics.precision_recall import PrecisionRecall, precision_recall
from diffmm.metrics.sample_distance import gaussian_mmd, sliced_wasserstein

__all__ = [
    "FeatureExtractor",
    "FeatureStatistics",
    "PrecisionRecall",
    "extract_features",
    "f0_metrics",
    "fid",
    "frechet_distance",
    "gaussian_mmd",
    "inception_score",
    "log_mel_l1",
    "mel_cepstral_distortion",
    "mr_stft_distance",
    "pesq_wideband",
    "precision_recall",
    "score_pair",
    "sliced_wasserstein",
    "stoi_score",
]
