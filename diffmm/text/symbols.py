"""The symbol table: symbols ↔ integer ids for the text encoder's embedding, with the padding
and blank symbols, stored as JSON in a model bundle so inference reads text exactly as training
did.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from diffmm.errors import DiffmmError

PAD = "<pad>"
BLANK = "<blank>"


def intersperse_blank(ids: Sequence[int], blank_id: int) -> list[int]:
    """Grad-TTS's ``add_blank``: ``[a, b]`` → ``[blank, a, blank, b, blank]``.

    A blank between every pair of symbols and at both ends gives the aligner a place to put
    the transitions between phonemes.
    """
    result = [blank_id] * (2 * len(ids) + 1)
    result[1::2] = ids
    return result


@dataclass(frozen=True)
class SymbolTable:
    """``symbols[i]`` has id ``i``; ``pad`` and ``blank`` must be among them."""

    symbols: tuple[str, ...]
    pad: str = PAD
    blank: str = BLANK
    _ids: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "symbols", tuple(self.symbols))
        ids = {symbol: i for i, symbol in enumerate(self.symbols)}
        if len(ids) != len(self.symbols):
            repeated = sorted({s for s in self.symbols if self.symbols.count(s) > 1})
            raise DiffmmError(f"symbol table lists {', '.join(map(repr, repeated))} twice")
        for role, symbol in (("pad", self.pad), ("blank", self.blank)):
            if symbol not in ids:
                raise DiffmmError(f"symbol table lacks its {role} symbol {symbol!r}")
        object.__setattr__(self, "_ids", ids)

    def __len__(self) -> int:
        return len(self.symbols)

    def __contains__(self, symbol: object) -> bool:
        return symbol in self._ids

    @property
    def pad_id(self) -> int:
        return self._ids[self.pad]

    @property
    def blank_id(self) -> int:
        return self._ids[self.blank]

    def encode(self, symbols: Iterable[str], add_blank: bool = False) -> list[int]:
        """Ids of ``symbols``, with blanks interspersed if ``add_blank``."""
        try:
            ids = [self._ids[s] for s in symbols]
        except KeyError as error:
            raise DiffmmError(f"symbol {error.args[0]!r} is not in the symbol table") from None
        return intersperse_blank(ids, self.blank_id) if add_blank else ids

    def decode(self, ids: Iterable[int], drop_blanks: bool = False) -> list[str]:
        """Symbols of ``ids`` (without the blanks if ``drop_blanks``)."""
        symbols = []
        for i in ids:
            if not 0 <= i < len(self.symbols):
                raise DiffmmError(f"id {i} is outside the symbol table (0..{len(self) - 1})")
            if not (drop_blanks and i == self.blank_id):
                symbols.append(self.symbols[i])
        return symbols

    def to_dict(self) -> dict[str, Any]:
        return {"symbols": list(self.symbols), "pad": self.pad, "blank": self.blank}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SymbolTable:
        if not isinstance(data, dict) or not isinstance(data.get("symbols"), list):
            raise DiffmmError("a symbol table needs a 'symbols' list")
        unknown = set(data) - {"symbols", "pad", "blank"}
        if unknown:
            raise DiffmmError(f"unknown symbol table keys: {', '.join(sorted(unknown))}")
        if not all(isinstance(s, str) for s in data["symbols"]):
            raise DiffmmError("symbol table entries must be strings")
        return cls(tuple(data["symbols"]), data.get("pad", PAD), data.get("blank", BLANK))

    def save(self, path: str | Path) -> None:
        """Write the table as JSON (one symbol per line, so a diff shows what changed)."""
        Path(path).write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> SymbolTable:
        """Read a table written by :meth:`save` (or any JSON object of the same keys)."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except json.JSONDecodeError as error:
            raise DiffmmError(f"{path}: not a JSON symbol table ({error})") from None
        return cls.from_dict(data)
