"""The ARPAbet phoneme set of the CMU Pronouncing Dictionary, vowels carrying lexical stress.

39 phonemes: 15 vowels, each with stress 0 (none), 1 (primary) or 2 (secondary), and 24
consonants, so 69 symbols — the ones the dictionary uses.
"""

from __future__ import annotations

import re

from diffmm.errors import DiffmmError

VOWELS = ("AA", "AE", "AH", "AO", "AW", "AY", "EH", "ER", "EY", "IH", "IY", "OW", "OY", "UH", "UW")
CONSONANTS = (
    "B", "CH", "D", "DH", "F", "G", "HH", "JH", "K", "L", "M", "N", "NG", "P", "R", "S", "SH",
    "T", "TH", "V", "W", "Y", "Z", "ZH",
)  # fmt: skip
STRESSES = ("0", "1", "2")
ARPABET: tuple[str, ...] = tuple(
    sorted([v + s for v in VOWELS for s in STRESSES] + list(CONSONANTS))
)
_ARPABET_SET = frozenset(ARPABET)

# "{HH AH0 L OW1}": a pronunciation written inline, which replaces the look-up of one word.
OVERRIDE = re.compile(r"\{([^{}]*)\}")


def is_vowel(phoneme: str) -> bool:
    """Whether ``phoneme`` is a vowel, with or without its stress digit."""
    return phoneme.rstrip("012") in VOWELS


def parse_override(content: str) -> list[str]:
    """The phonemes of an inline override's content: ``"HH AH0 L OW1"`` → ``["HH", "AH0", "L",
    "OW1"]`` (case-insensitive). An empty override or an unknown symbol is a one-line error."""
    phonemes = content.upper().split()
    if not phonemes:
        raise DiffmmError("empty pronunciation override '{}': write ARPAbet inside, e.g. {HH AH0}")
    for phoneme in phonemes:
        if phoneme not in _ARPABET_SET:
            hint = ": vowels need a stress digit 0, 1 or 2" if phoneme in VOWELS else ""
            raise DiffmmError(f"unknown ARPAbet symbol {phoneme!r} in override {{{content}}}{hint}")
    return phonemes
