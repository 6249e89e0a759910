"""Training objectives: the simple loss, iDDPM's hybrid and VLB losses, NCSN's DSM,
min-SNR-γ weighting and timestep samplers."""

from diffmm.diffusion.losses.dsm import dsm_loss
from diffmm.diffusion.losses.hybrid import hybrid_loss
from diffmm.diffusion.losses.output import LossOutput, masked_mean
from diffmm.diffusion.losses.simple import NoisedBatch, noise_batch, regression_loss, simple_loss
from diffmm.diffusion.losses.timestep_samplers import LossSecondMomentResampler, UniformSampler
from diffmm.diffusion.losses.vlb import (
    discretized_gaussian_log_likelihood,
    normal_kl,
    prior_bits_per_dim,
    vlb_term_bits_per_dim,
)
from diffmm.diffusion.losses.vlb_loss import vlb_loss
from diffmm.diffusion.losses.weighting import min_snr_weight

__all__ = [
    "LossOutput",
    "LossSecondMomentResampler",
    "NoisedBatch",
    "UniformSampler",
    "discretized_gaussian_log_likelihood",
    "dsm_loss",
    "hybrid_loss",
    "masked_mean",
    "min_snr_weight",
    "noise_batch",
    "normal_kl",
    "prior_bits_per_dim",
    "regression_loss",
    "simple_loss",
    "vlb_loss",
    "vlb_term_bits_per_dim",
]
