"""The symbol table: ids, blanks, the JSON file a bundle stores, and its errors."""

from __future__ import annotations

import json

import pytest

from diffmm.errors import DiffmmError
from diffmm.text.arpabet import ARPABET, parse_override
from diffmm.text.frontend import WORD_BOUNDARY, english_symbol_table
from diffmm.text.symbols import BLANK, PAD, SymbolTable, intersperse_blank
from diffmm.text.tokenize import PAUSE_SYMBOLS


def test_intersperse_blank_puts_a_blank_between_symbols_and_at_both_ends():
    assert intersperse_blank([5, 6, 7], 1) == [1, 5, 1, 6, 1, 7, 1]
    assert intersperse_blank([], 1) == [1]


def test_english_table_holds_pad_blank_boundary_pauses_and_stressed_arpabet():
    table = english_symbol_table()
    assert len(ARPABET) == 69 and len(set(ARPABET)) == 69  # 15 vowels x 3 stresses + 24
    assert len(table) == 3 + len(PAUSE_SYMBOLS) + 69
    assert (table.pad_id, table.blank_id) == (0, 1)
    assert table.symbols[2] == WORD_BOUNDARY
    assert {"AH0", "AH1", "AH2", "ZH", ",", "?"} <= set(table.symbols)
    assert "AH" not in table  # vowels only with their stress


def test_encode_decode_round_trip_with_and_without_blanks():
    table = english_symbol_table()
    symbols = ["HH", "AH0", "L", "OW1", WORD_BOUNDARY, "W", "ER1", "L", "D", "."]
    ids = table.encode(symbols)
    assert table.decode(ids) == symbols
    with_blanks = table.encode(symbols, add_blank=True)
    assert with_blanks == intersperse_blank(ids, table.blank_id)
    assert table.decode(with_blanks, drop_blanks=True) == symbols
    assert table.decode(with_blanks)[:3] == [BLANK, "HH", BLANK]


def test_save_load_round_trip_is_plain_json(tmp_path):
    table = english_symbol_table()
    path = tmp_path / "symbols.json"
    table.save(path)
    data = json.loads(path.read_text())
    assert data == {"symbols": list(table.symbols), "pad": PAD, "blank": BLANK}
    loaded = SymbolTable.load(path)
    assert loaded == table
    assert loaded.encode(["DH", "AH0"], add_blank=True) == table.encode(["DH", "AH0"], True)


def test_custom_pad_and_blank_round_trip(tmp_path):
    table = SymbolTable(("_", "a", "b", "~"), pad="_", blank="~")
    table.save(tmp_path / "t.json")
    loaded = SymbolTable.load(tmp_path / "t.json")
    assert (loaded.pad_id, loaded.blank_id, loaded.encode(["b"], add_blank=True)) == (
        0,
        3,
        [3, 2, 3],
    )
    assert SymbolTable.from_dict(table.to_dict()) == table


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: SymbolTable((PAD, BLANK, "a", "a")), "'a' twice"),
        (lambda: SymbolTable(("a", BLANK)), "pad symbol"),
        (lambda: SymbolTable((PAD, "a")), "blank symbol"),
        (lambda: english_symbol_table().encode(["AH"]), "'AH' is not in the symbol table"),
        (lambda: english_symbol_table().decode([500]), "outside the symbol table"),
        (lambda: SymbolTable.from_dict({"symbols": [PAD, BLANK], "extra": 1}), "unknown"),
        (lambda: SymbolTable.from_dict({"pad": PAD}), "'symbols' list"),
    ],
)
def test_symbol_table_errors_are_one_line(make, message):
    with pytest.raises(DiffmmError, match=message) as error:
        make()
    assert "\n" not in str(error.value)


def test_load_rejects_a_file_that_is_not_json(tmp_path):
    path = tmp_path / "symbols.json"
    path.write_text("HH\nAH0\n")
    with pytest.raises(DiffmmError, match="not a JSON symbol table"):
        SymbolTable.load(path)
    with pytest.raises(FileNotFoundError):
        SymbolTable.load(tmp_path / "missing.json")


def test_parse_override():
    assert parse_override(" hh ah0  L OW1 ") == ["HH", "AH0", "L", "OW1"]
    with pytest.raises(DiffmmError, match="vowels need a stress digit"):
        parse_override("HH AH L OW1")
    with pytest.raises(DiffmmError, match="unknown ARPAbet symbol 'QX'"):
        parse_override("QX")
    with pytest.raises(DiffmmError, match="empty pronunciation override"):
        parse_override("  ")
