"""Evaluation metrics: distances between sample sets (more arrive with each modality)."""

from diffmm.metrics.sample_distance import gaussian_mmd, sliced_wasserstein

__all__ = ["gaussian_mmd", "sliced_wasserstein"]
