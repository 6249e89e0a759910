"""The demo's parts, in the order they run and appear in the report. Each module has
``outputs()`` (the files it writes in its folder, checked before anything runs) and
``run(context) -> PartResult``."""

from __future__ import annotations

from types import ModuleType

from diffmm.demo.parts import forecast, images, tts, vocode

PARTS: dict[str, ModuleType] = {
    "vocode": vocode,
    "tts": tts,
    "forecast": forecast,
    "images": images,
}
