"""diffmm: diffusion models for audio, time series and images on one shared engine."""

__version__ = "0.1.0"
