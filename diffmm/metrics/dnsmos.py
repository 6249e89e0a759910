"""DNSMOS P.835 (Reddy et al. 2022): a non-intrusive predicted MOS of a speech waveform.

Microsoft's released ONNX models, through the ``speechmos`` package that ships them (run by
``onnxruntime``; nothing is downloaded). Audio is scored at 16 kHz in 9.01 s windows with a
1 s hop (shorter clips are repeated to fill one window) and the window scores averaged:

- ``dnsmos_sig``: speech signal quality, ``dnsmos_bak``: background noise (higher = less noise),
  ``dnsmos_ovrl``: overall quality, each on the 1..5 P.835 scale after the released polynomial
  calibration;
- ``dnsmos_p808``: the P.808 overall MOS of the separate log-mel model.

No reference is needed: it scores how natural and clean the generated speech sounds, which
MCD against a reference recording cannot (a TTS output may be natural and still differ in
timing and prosody from the recording).
"""

from __future__ import annotations

import importlib
import warnings

import numpy as np

from diffmm.audio.io import resample
from diffmm.errors import DiffmmError

DNSMOS_SAMPLE_RATE = 16000
INSTALL = "pip install speechmos onnxruntime"
# name in our scores -> key in speechmos' result
DNSMOS_KEYS = {
    "dnsmos_ovrl": "ovrl_mos",
    "dnsmos_sig": "sig_mos",
    "dnsmos_bak": "bak_mos",
    "dnsmos_p808": "p808_mos",
}


def check_dnsmos_installed() -> None:
    """A one-line DiffmmError naming the pip command when speechmos or onnxruntime is missing."""
    # the package before its submodule: a cached submodule would hide a blocked package
    for module in ("onnxruntime", "speechmos", "speechmos.dnsmos"):
        try:
            importlib.import_module(module)
        except ImportError as error:
            raise DiffmmError(
                f"--dnsmos needs speechmos and onnxruntime ({error}): {INSTALL}"
            ) from None


def dnsmos_scores(wav: np.ndarray, sample_rate: int) -> dict[str, float]:
    """DNSMOS SIG, BAK, OVRL and P.808 MOS of a mono waveform (resampled to 16 kHz)."""
    check_dnsmos_installed()
    from speechmos import dnsmos

    wav = resample(np.asarray(wav, dtype=np.float32), sample_rate, DNSMOS_SAMPLE_RATE)
    # speechmos refuses samples outside [-1, 1]; a resampler's overshoot past full scale is
    # clipped as a DAC would clip it
    wav = np.clip(wav, -1.0, 1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # librosa inside speechmos
        result = dnsmos.run(wav, DNSMOS_SAMPLE_RATE)
    return {name: float(result[key]) for name, key in DNSMOS_KEYS.items()}
