"""The English text frontend: text → ARPAbet symbols with word boundaries and pauses → ids.

``EnglishFrontend().phonemize("Hello, world.")`` →
``HH AH0 L OW1 , W ER1 L D .``; ``encode`` maps those to ids and, as Grad-TTS does, puts a
blank between every two symbols and at both ends. Inline ``{HH AH0 L OW1}`` overrides the
pronunciation of one word.
"""

from __future__ import annotations

from diffmm.errors import DiffmmError
from diffmm.text.arpabet import ARPABET, OVERRIDE, parse_override
from diffmm.text.cleaners import clean_english
from diffmm.text.letter_rules import spell_letters
from diffmm.text.lexicon import Lexicon
from diffmm.text.symbols import BLANK, PAD, SymbolTable
from diffmm.text.tokenize import PAUSE_SYMBOLS, Token, tokenize

WORD_BOUNDARY = "|"
_PAUSES = frozenset(PAUSE_SYMBOLS)


def english_symbol_table() -> SymbolTable:
    """Padding, blank, the word boundary, the pause marks and the 69 stressed ARPAbet symbols."""
    return SymbolTable((PAD, BLANK, WORD_BOUNDARY, *PAUSE_SYMBOLS, *ARPABET))


def _excerpt(text: str, limit: int = 60) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "...")


class EnglishFrontend:
    """Turns English text into the symbol ids a text encoder reads.

    ``lexicon`` defaults to the CMU dictionary with g2p_en's model (or spelling rules) for
    unknown words; ``symbol_table`` to :func:`english_symbol_table` (a bundle passes its own).
    """

    def __init__(
        self,
        lexicon: Lexicon | None = None,
        symbol_table: SymbolTable | None = None,
        add_blank: bool = True,
    ) -> None:
        self.lexicon = lexicon or Lexicon.cmu()
        self.symbol_table = symbol_table or english_symbol_table()
        self.add_blank = add_blank
        missing = [s for s in english_symbol_table().symbols if s not in self.symbol_table]
        if missing:
            raise DiffmmError(
                f"symbol table lacks symbols the English frontend produces: {' '.join(missing)}"
            )

    def _tokens(self, text: str) -> list[Token | list[str]]:
        """Tokens of the text between overrides, and each override's phonemes in its place."""
        pieces: list[Token | list[str]] = []
        start = 0
        for match in [*OVERRIDE.finditer(text), None]:
            plain = text[start : match.start() if match else len(text)]
            if "{" in plain or "}" in plain:
                raise DiffmmError(
                    f"unmatched brace in {_excerpt(text)}: write an override as {{HH AH0 L OW1}}"
                )
            pieces.extend(tokenize(clean_english(plain)))
            if match:
                pieces.append(parse_override(match.group(1)))
                start = match.end()
        return pieces

    def phonemize(self, text: str) -> list[str]:
        """ARPAbet phonemes, ``|`` between words and pause marks for punctuation.

        A pause right after another pause, or before the first word, is dropped. Empty text, or
        text with no word in it, is a one-line :class:`DiffmmError`.
        """
        if not text.strip():
            raise DiffmmError("empty text: there is nothing to synthesise")
        symbols: list[str] = []
        for piece in self._tokens(text):
            if isinstance(piece, Token) and piece.kind == "pause":
                if symbols and symbols[-1] not in _PAUSES:
                    symbols.append(piece.text)
                continue
            if symbols and symbols[-1] not in _PAUSES:
                symbols.append(WORD_BOUNDARY)
            if isinstance(piece, list):
                symbols.extend(piece)
            elif piece.kind == "letters":
                symbols.extend(spell_letters(piece.text))
            else:
                symbols.extend(self.lexicon.pronounce(piece.text))
        if not symbols:
            raise DiffmmError(f"text has no words the English frontend can read: {_excerpt(text)}")
        return symbols

    def encode(self, text: str) -> list[int]:
        """Symbol ids of ``text``, blanks interspersed if ``add_blank``."""
        return self.symbol_table.encode(self.phonemize(text), add_blank=self.add_blank)
