"""The modality-free diffusion engine: schedules, priors, the process, losses, samplers,
guidance and likelihoods. Nothing here imports audio, text, time-series or image code."""
