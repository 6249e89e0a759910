"""Numbers to words: cardinals, ordinals, years, and the text rules for currency, times,
percentages, decimals, ordinals and plain integers."""

from __future__ import annotations

import pytest

from diffmm.text.number_expansion import expand_numbers
from diffmm.text.number_words import cardinal_words, digit_words, ordinal_words, year_words


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (0, "zero"),
        (7, "seven"),
        (13, "thirteen"),
        (40, "forty"),
        (84, "eighty-four"),
        (100, "one hundred"),
        (101, "one hundred one"),
        (999, "nine hundred ninety-nine"),
        (1000, "one thousand"),
        (1_000_001, "one million one"),
        (123_456, "one hundred twenty-three thousand four hundred fifty-six"),
        (2_000_000_000_015, "two trillion fifteen"),
        (-12, "minus twelve"),
        (10**15, "one " + " ".join(["zero"] * 15)),
    ],
)
def test_cardinal_words(n, words):
    assert cardinal_words(n) == words


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (1, "first"),
        (2, "second"),
        (3, "third"),
        (5, "fifth"),
        (8, "eighth"),
        (9, "ninth"),
        (11, "eleventh"),
        (12, "twelfth"),
        (20, "twentieth"),
        (21, "twenty-first"),
        (100, "one hundredth"),
        (112, "one hundred twelfth"),
        (1_000_000, "one millionth"),
    ],
)
def test_ordinal_words(n, words):
    assert ordinal_words(n) == words


@pytest.mark.parametrize(
    ("year", "words"),
    [
        (1984, "nineteen eighty-four"),
        (1905, "nineteen oh five"),
        (1900, "nineteen hundred"),
        (1066, "ten sixty-six"),
        (2000, "two thousand"),
        (2005, "two thousand five"),
        (2010, "twenty ten"),
        (2024, "twenty twenty-four"),
        (999, "nine hundred ninety-nine"),
    ],
)
def test_year_words(year, words):
    assert year_words(year) == words


def test_digit_words():
    assert digit_words("305") == "three zero five"
    assert digit_words("305", zero="oh") == "three oh five"


@pytest.mark.parametrize(
    ("text", "expanded"),
    [
        ("$3.50", "three dollars, fifty cents"),
        ("$1", "one dollar"),
        ("$0.01", "one cent"),
        ("$1.01", "one dollar, one cent"),
        ("$2.5", "two dollars, fifty cents"),
        ("$0", "zero dollars"),
        ("$1,250", "one thousand two hundred fifty dollars"),
        ("$3.5 million", "three point five million dollars"),
        ("$1.125", "one point one two five dollars"),
        ("£2.05", "two pounds, five pence"),
        ("€1", "one euro"),
        ("3:30 pm", "three thirty p.m."),
        ("3:30PM", "three thirty p.m."),
        ("9:05 a.m.", "nine oh five a.m."),
        ("3:00", "three o'clock"),
        ("12:00 am", "twelve a.m."),
        ("17:45", "seventeen forty-five"),
        ("50%", "fifty percent"),
        ("2.5 %", "two point five percent"),
        ("21st", "twenty-first"),
        ("2nd", "second"),
        ("103rd", "one hundred third"),
        ("3.14", "three point one four"),
        (".5", "point five"),
        ("1984", "nineteen eighty-four"),
        ("1,000,000", "one million"),
        ("12345", "twelve thousand three hundred forty-five"),
        ("-5", "minus five"),
        ("007", "zero zero seven"),
    ],
)
def test_expand_numbers(text, expanded):
    assert expand_numbers(text) == expanded


def test_expand_numbers_in_running_text_leaves_words_and_punctuation():
    assert (
        expand_numbers("In 1984, 3 men paid $3.50 each; 1.5 hours later, at 4:15 pm.")
        == "In nineteen eighty-four, three men paid three dollars, fifty cents each; "
        "one point five hours later, at four fifteen p.m."
    )
