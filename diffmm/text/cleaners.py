"""The English cleaner: raw text → normalised text whose every word can be looked up.

Steps, in order: fold Unicode to ASCII where a letter has an ASCII form (accents, ligatures,
typographic quotes and dashes), expand abbreviations (which needs the capitals), spell out
numbers, read the symbols & % + @, lower-case every word except all-capital ones, and collapse
whitespace. Characters with no English reading are left for the tokenizer to drop with a warning.
"""

from __future__ import annotations

import re
import unicodedata

from diffmm.text.abbreviations import expand_abbreviations
from diffmm.text.number_expansion import expand_numbers

# Letters that Unicode decomposition leaves alone, and the punctuation that has a plain form.
_TRANSLITERATION = str.maketrans(
    {
        "æ": "ae",
        "Æ": "AE",
        "œ": "oe",
        "Œ": "OE",
        "ø": "o",
        "Ø": "O",
        "ß": "ss",
        "ł": "l",
        "Ł": "L",
        "đ": "d",
        "Đ": "D",
        "‘": "'",
        "’": "'",
        "‚": "'",
        "“": '"',
        "”": '"',
        "„": '"',
        "«": '"',
        "»": '"',
        "–": " - ",
        "—": " - ",
        "―": " - ",
    }
)
_SYMBOL_WORDS = {"&": " and ", "%": " percent ", "+": " plus ", "@": " at "}
_SYMBOL = re.compile("|".join(re.escape(s) for s in _SYMBOL_WORDS))
_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)*")
_WHITESPACE = re.compile(r"\s+")


def fold_to_ascii(text: str) -> str:
    """Strip accents and map typographic characters: ``"Café – “naïve”"`` → ``'Cafe - "naive"'``.

    Compatibility decomposition also turns ligatures and the ellipsis into plain letters and
    dots; characters without an ASCII form (Greek, CJK, emoji) are kept for the caller to judge.
    """
    text = unicodedata.normalize("NFKD", text.translate(_TRANSLITERATION))
    return "".join(c for c in text if not unicodedata.combining(c))


def _lower_case_word(match: re.Match[str]) -> str:
    word = match.group(0)
    # An all-capital word of two or more letters may be an acronym to spell (FBI), which
    # only the capitals show; dictionary look-up ignores case anyway.
    return word if len(word) > 1 and word.isupper() else word.lower()


def clean_english(text: str) -> str:
    """``"Dr. Smith paid $3.50 at 3:30 pm."`` → ``"doctor smith paid three dollars, fifty cents at
    three thirty p.m."``."""
    text = fold_to_ascii(text)
    text = expand_abbreviations(text)
    text = expand_numbers(text)
    text = _SYMBOL.sub(lambda m: _SYMBOL_WORDS[m.group(0)], text)
    text = _WORD.sub(_lower_case_word, text)
    return _WHITESPACE.sub(" ", text).strip()
