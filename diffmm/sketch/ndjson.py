"""QuickDraw's simplified ``.ndjson`` files: one drawing per line.

Each line is a JSON object with ``word`` (the class), ``recognized``, ``countrycode``,
``key_id`` and ``drawing``: a list of strokes, each ``[[x0, x1, …], [y0, y1, …]]`` (the
simplified data set's 0–255 box, Ramer–Douglas–Peucker simplified). A line that is not such an
object is an error naming the file and line number.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from diffmm.errors import DiffmmError
from diffmm.sketch.strokes import Strokes, as_strokes


@dataclass(frozen=True)
class NdjsonDrawing:
    word: str
    strokes: Strokes
    recognized: bool = True


def _is_stroke(stroke: object) -> bool:
    """``[[xs], [ys]]`` (a third list, the times of the raw data, may follow)."""
    return (
        isinstance(stroke, list)
        and len(stroke) >= 2
        and isinstance(stroke[0], list)
        and isinstance(stroke[1], list)
        and len(stroke[0]) == len(stroke[1])
    )


def parse_ndjson_line(line: str, where: str) -> NdjsonDrawing:
    """One line of a simplified ``.ndjson`` file; ``where`` ("file:line") names it in errors."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        raise DiffmmError(f"{where}: not a JSON object: {error}") from None
    if not isinstance(record, dict) or not isinstance(record.get("drawing"), list):
        raise DiffmmError(f"{where}: a drawing line needs a 'drawing' list of strokes")
    strokes = []
    for i, stroke in enumerate(record["drawing"]):
        if not _is_stroke(stroke):
            raise DiffmmError(f"{where}: stroke {i} is not [[xs], [ys]] of equal lengths")
        try:
            strokes.append(np.column_stack([stroke[0], stroke[1]]).astype(np.float64))
        except (TypeError, ValueError):
            raise DiffmmError(
                f"{where}: stroke {i} has a coordinate that is not a number"
            ) from None
    return NdjsonDrawing(
        str(record.get("word", "")),
        as_strokes(strokes, where),
        bool(record.get("recognized", True)),
    )


def load_ndjson(
    path: str | Path, *, max_drawings: int | None = None, recognized_only: bool = False
) -> list[NdjsonDrawing]:
    """The drawings of a simplified ``.ndjson`` file (blank lines skipped), at most
    ``max_drawings``; ``recognized_only`` keeps those the game's classifier recognised."""
    path = Path(path)
    drawings: list[NdjsonDrawing] = []
    try:
        with path.open(encoding="utf-8") as file:
            for number, line in enumerate(file, start=1):
                if max_drawings is not None and len(drawings) >= max_drawings:
                    break
                if not line.strip():
                    continue
                drawing = parse_ndjson_line(line, f"{path}:{number}")
                if drawing.recognized or not recognized_only:
                    drawings.append(drawing)
    except FileNotFoundError:
        raise DiffmmError(f"sketch file not found: {path}") from None
    except UnicodeDecodeError as error:
        raise DiffmmError(f"{path} is not UTF-8 text: {error}") from None
    return drawings
