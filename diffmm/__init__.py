"""diffmm: diffusion models for audio, time series and images on one shared engine."""

__version__ = "0.1.0"


def __getattr__(name: str):
    # `diffmm.load(bundle_dir)` without importing torch at `import diffmm`.
    if name == "load":
        from diffmm.bundle import load

        return load
    raise AttributeError(f"module 'diffmm' has no attribute '{name}'")
