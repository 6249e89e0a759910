"""Model families (DiffWave, Grad-TTS, TimeGrad, image and point-cloud models) and their registry."""

from diffmm.models.registry import get_family, known_families, register_family

__all__ = ["get_family", "known_families", "register_family"]
