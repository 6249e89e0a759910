"""Text-to-speech acoustic models: Grad-TTS, its flow-matching decoder and PriorGrad-AM.

Family ``gradtts``; the inference object is :class:`~diffmm.models.gradtts.synthesizer.TextToMel`.
"""

from diffmm.models.gradtts.model import DecoderSetup, GradTTS, GradTTSConfig, build_gradtts
from diffmm.models.gradtts.phoneme_prior import PhonemePrior

__all__ = ["DecoderSetup", "GradTTS", "GradTTSConfig", "PhonemePrior", "build_gradtts"]
