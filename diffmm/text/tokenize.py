"""Split cleaned English text into words, spelled letter groups and pauses; drop, with one
warning, the characters that have no reading.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from typing import Literal

# Punctuation kept as pause symbols; "-" stands for a dash between phrases.
PAUSE_SYMBOLS = (",", ".", "!", "?", ";", ":", "-")
# Marks with no sound of their own that are dropped without comment.
_SILENT = "\"'`()[]"

_TOKEN = re.compile(
    r"""(?P<letters>(?:[A-Za-z]\.){2,})        # dotted initialism: a.m., U.S.
      | (?P<word>[A-Za-z]+(?:'[A-Za-z]+)*)      # word, with inner apostrophes: don't
      | (?P<hyphen>(?<=[A-Za-z])-(?=[A-Za-z]))  # compound: twenty-four, well-known
      | (?P<pause>[,.!?;:]+|-+)                 # a run of punctuation is one pause
      | (?P<space>\s+)
      | (?P<other>.)""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class Token:
    """``kind`` is ``"word"`` (looked up), ``"letters"`` (spelled) or ``"pause"`` (a symbol)."""

    kind: Literal["word", "letters", "pause"]
    text: str


def tokenize(text: str) -> list[Token]:
    """``"three thirty p.m., don't"`` → word three, word thirty, letters pm, pause ",", word
    don't. A pause run is read as its first mark ("?!" → "?", "..." → ".")."""
    tokens: list[Token] = []
    dropped: list[str] = []
    for match in _TOKEN.finditer(text):
        kind, value = match.lastgroup, match.group()
        if kind == "letters":
            tokens.append(Token("letters", value.replace(".", "")))
            # its last dot may also end the sentence; at the end of the text it surely does
            if not text[match.end() :].strip():
                tokens.append(Token("pause", "."))
        elif kind == "word":
            tokens.append(Token("word", value))
        elif kind == "pause":
            tokens.append(Token("pause", value[0]))
        elif kind == "other" and value not in _SILENT and value not in dropped:
            dropped.append(value)
    if dropped:
        warnings.warn(
            "dropped characters the English frontend cannot read: "
            + " ".join(repr(c) for c in dropped),
            stacklevel=2,
        )
    return tokens
