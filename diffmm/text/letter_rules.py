"""Pronunciations without a dictionary: letter names for spelled words (FBI, a.m.) and simple
grapheme rules, the letter-to-sound fallback when g2p_en's model is not installed.

The rules give a plausible reading, not a right one; a word that matters deserves an inline
override such as ``{K W AA1 K AH0}``.
"""

from __future__ import annotations

import re

from diffmm.text.arpabet import is_vowel

LETTER_NAMES: dict[str, tuple[str, ...]] = {
    "a": ("EY1",), "b": ("B", "IY1"), "c": ("S", "IY1"), "d": ("D", "IY1"), "e": ("IY1",),
    "f": ("EH1", "F"), "g": ("JH", "IY1"), "h": ("EY1", "CH"), "i": ("AY1",),
    "j": ("JH", "EY1"), "k": ("K", "EY1"), "l": ("EH1", "L"), "m": ("EH1", "M"),
    "n": ("EH1", "N"), "o": ("OW1",), "p": ("P", "IY1"), "q": ("K", "Y", "UW1"),
    "r": ("AA1", "R"), "s": ("EH1", "S"), "t": ("T", "IY1"), "u": ("Y", "UW1"),
    "v": ("V", "IY1"), "w": ("D", "AH1", "B", "AH0", "L", "Y", "UW0"), "x": ("EH1", "K", "S"),
    "y": ("W", "AY1"), "z": ("Z", "IY1"),
}  # fmt: skip

# Spellings of more than one letter, tried longest first; vowels get their stress afterwards.
_GRAPHEMES: dict[str, tuple[str, ...]] = {
    "tch": ("CH",), "sch": ("S", "K"), "igh": ("AY",),
    "ch": ("CH",), "sh": ("SH",), "th": ("TH",), "ph": ("F",), "wh": ("W",), "ck": ("K",),
    "ng": ("NG",), "qu": ("K", "W"), "kn": ("N",), "wr": ("R",),
    "ee": ("IY",), "ea": ("IY",), "ie": ("IY",), "oo": ("UW",), "ue": ("UW",), "ew": ("UW",),
    "ou": ("AW",), "ow": ("OW",), "oa": ("OW",), "oi": ("OY",), "oy": ("OY",), "ai": ("EY",),
    "ay": ("EY",), "ei": ("EY",), "ey": ("EY",), "au": ("AO",), "aw": ("AO",),
    "ar": ("AA", "R"), "or": ("AO", "R"), "er": ("ER",), "ir": ("ER",), "ur": ("ER",),
}  # fmt: skip
_SINGLE: dict[str, tuple[str, ...]] = {
    "a": ("AE",), "b": ("B",), "c": ("K",), "d": ("D",), "e": ("EH",), "f": ("F",), "g": ("G",),
    "h": ("HH",), "i": ("IH",), "j": ("JH",), "k": ("K",), "l": ("L",), "m": ("M",), "n": ("N",),
    "o": ("AA",), "p": ("P",), "q": ("K",), "r": ("R",), "s": ("S",), "t": ("T",), "u": ("AH",),
    "v": ("V",), "w": ("W",), "x": ("K", "S"), "y": ("IH",), "z": ("Z",),
}  # fmt: skip
_LONG = {"a": "EY", "e": "IY", "i": "AY", "o": "OW", "u": "UW", "y": "AY"}
_VOWEL_LETTERS = "aeiouy"
_SOFTENING = "eiy"  # c and g soften before these: "cell", "gem"
# vowel, one consonant, final e: the e is silent and lengthens the vowel ("make", "hope")
_MAGIC_E = re.compile(rf"[{_VOWEL_LETTERS}][^{_VOWEL_LETTERS}]e\Z")


def spell_letters(word: str) -> list[str]:
    """Letter names, as an acronym is read: ``"FBI"`` → ``EH1 F B IY1 AY1``."""
    return [p for letter in word.lower() if letter in LETTER_NAMES for p in LETTER_NAMES[letter]]


def _letter_sound(word: str, i: int, long_vowel_at: int | None) -> tuple[str, ...]:
    letter, following = word[i], word[i + 1 : i + 2]
    if i == long_vowel_at:
        return (_LONG[letter],)
    if letter in "cg" and following and following in _SOFTENING:
        return ("S",) if letter == "c" else ("JH",)
    if letter == "y":
        if i == 0:
            return ("Y",)
        if i == len(word) - 1:
            return ("IY",)
    return _SINGLE[letter]


def _stress(phonemes: list[str]) -> list[str]:
    # Primary stress on the first vowel and none elsewhere: right for most short English words.
    stressed, seen_vowel = [], False
    for phoneme in phonemes:
        if is_vowel(phoneme):
            phoneme += "0" if seen_vowel else "1"
            seen_vowel = True
        stressed.append(phoneme)
    return stressed


def rule_based_pronunciation(word: str) -> list[str]:
    """A rough ARPAbet reading by spelling rules: ``"blick"`` → ``B L IH1 K``."""
    word = "".join(c for c in word.lower() if c in _SINGLE)
    long_vowel_at = None
    if len(word) > 2 and _MAGIC_E.search(word):
        word, long_vowel_at = word[:-1], len(word) - 3
    phonemes: list[str] = []
    i = 0
    while i < len(word):
        for size in (3, 2):
            grapheme = word[i : i + size]
            if len(grapheme) == size and grapheme in _GRAPHEMES and i != long_vowel_at:
                phonemes.extend(_GRAPHEMES[grapheme])
                i += size
                break
        else:
            # A doubled consonant is one sound: "kk" in "quokka", "ll" in "blorpelle".
            if i == 0 or word[i] != word[i - 1] or word[i] in _VOWEL_LETTERS:
                phonemes.extend(_letter_sound(word, i, long_vowel_at))
            i += 1
    return _stress(phonemes)


class LetterToSoundRules:
    """The rule-based letter-to-sound fallback, with the interface of :class:`G2pEnModel`."""

    name = "letter-to-sound rules"

    def __call__(self, word: str) -> list[str]:
        return rule_based_pronunciation(word)
