"""Word error rate of a transcript against the text that was meant to be spoken.

Both sides are normalised the same way before they are compared: the English cleaner of the
TTS frontend (numbers, abbreviations, symbols spelled out: "$3" → "three dollars"), inline
ARPAbet overrides ``{HH AH0 L OW1}`` dropped, lower case, punctuation removed (apostrophes
inside words kept). Then, with the Levenshtein alignment of the word sequences,

    WER = (S + D + I) / N

S substitutions, D deletions and I insertions against the N reference words (it exceeds 1
when the hypothesis inserts many words). Ties between alignments of equal cost are broken
towards substitutions, then deletions, so the S/D/I split is deterministic.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from diffmm.text.cleaners import clean_english

_OVERRIDE = re.compile(r"\{[^}]*\}")
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z0-9]+)*")


@dataclass(frozen=True)
class WordErrors:
    substitutions: int
    deletions: int
    insertions: int
    reference_words: int

    @property
    def errors(self) -> int:
        return self.substitutions + self.deletions + self.insertions

    @property
    def rate(self) -> float:
        """(S + D + I) / N; NaN for an empty reference (no words to get wrong)."""
        return self.errors / self.reference_words if self.reference_words else float("nan")


def normalise_words(text: str) -> list[str]:
    """``"Dr. Smith's 2 cats!"`` → ``["doctor", "smith's", "two", "cats"]``."""
    return _WORD.findall(clean_english(_OVERRIDE.sub(" ", text)).lower())


def edit_operations(reference: Sequence[str], hypothesis: Sequence[str]) -> WordErrors:
    """Counts of S, D, I on a minimum-cost Levenshtein alignment of two token sequences."""
    n, m = len(reference), len(hypothesis)
    # cost[i][j]: (edits, substitutions, deletions, insertions) turning reference[:i] into
    # hypothesis[:j]; tuples compare by edits first, then prefer substitutions, then deletions
    previous = [(j, 0, 0, j) for j in range(m + 1)]
    for i in range(1, n + 1):
        current = [(i, 0, i, 0)]
        for j in range(1, m + 1):
            e, s, d, ins = previous[j - 1]
            same = reference[i - 1] == hypothesis[j - 1]
            diagonal = (e, s, d, ins) if same else (e + 1, s + 1, d, ins)
            e, s, d, ins = previous[j]
            deletion = (e + 1, s, d + 1, ins)
            e, s, d, ins = current[j - 1]
            insertion = (e + 1, s, d, ins + 1)
            current.append(min((diagonal, deletion, insertion), key=lambda c: (c[0], -c[1], -c[2])))
        previous = current
    _, substitutions, deletions, insertions = previous[m]
    return WordErrors(substitutions, deletions, insertions, n)


def word_errors(reference_text: str, hypothesis_text: str) -> WordErrors:
    """S, D, I and N of a transcript against its intended text, both normalised."""
    return edit_operations(normalise_words(reference_text), normalise_words(hypothesis_text))


def word_error_rate(reference_text: str, hypothesis_text: str) -> float:
    """(S + D + I) / N of a transcript against its intended text (see the module docstring)."""
    return word_errors(reference_text, hypothesis_text).rate
