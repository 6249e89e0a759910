"""The English cleaner: abbreviations read from their context, Unicode folding, case, symbols,
whitespace."""

from __future__ import annotations

import pytest

from diffmm.text.abbreviations import expand_abbreviations
from diffmm.text.cleaners import clean_english, fold_to_ascii


@pytest.mark.parametrize(
    ("text", "expanded"),
    [
        ("Dr. Smith lives on Elm Dr.", "doctor Smith lives on Elm drive."),
        ("St. Louis is on Main St. now", "saint Louis is on Main street now"),
        ("Ask the Dr. today", "Ask the doctor today"),
        ("Mr. and Mrs. Smith", "mister and missus Smith"),
        ("Mr Jones", "mister Jones"),
        ("Ms. Lee vs. Gen. Grant", "miz Lee versus general Grant"),
        ("Smith Jr. of Acme Co.", "Smith junior of Acme company."),
        ("apples, pears, etc.", "apples, pears, et cetera."),
        ("the No. 5 bus", "the number 5 bus"),
        ("No. I refuse", "No. I refuse"),
        ("e.g. this, i.e. that", "for example this, that is that"),
        ("gen co no", "gen co no"),
    ],
)
def test_expand_abbreviations(text, expanded):
    assert expand_abbreviations(text) == expanded


def test_fold_to_ascii_strips_accents_and_maps_typography():
    assert fold_to_ascii("Café – “naïve” don’t … ﬁne Straße") == (
        'Cafe  -  "naive" don\'t ... fine Strasse'
    )
    assert fold_to_ascii("αβ 日本") == "αβ 日本"  # no ASCII form: left for the tokenizer


@pytest.mark.parametrize(
    ("text", "cleaned"),
    [
        (
            "Dr. Smith paid $3.50 at 3:30 pm.",
            "doctor smith paid three dollars, fifty cents at three thirty p.m.",
        ),
        ("  The  FBI\tand\nNASA  ", "the FBI and NASA"),
        ("I am HERE", "i am HERE"),
        (
            "Tom & Jerry: 100% fun + games @ home",
            "tom and jerry: one hundred percent fun plus games at home",
        ),
        ("On March 21st, 1984.", "on march twenty-first, nineteen eighty-four."),
    ],
)
def test_clean_english(text, cleaned):
    assert clean_english(text) == cleaned
