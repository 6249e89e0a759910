"""Spell out the numbers in English text: currency, times, percentages, ordinals, decimals,
years and plain integers, in that order (each rule removes the digits it reads, so a later,
more general rule never sees them).
"""

from __future__ import annotations

import re

from diffmm.text.number_words import cardinal_words, digit_words, ordinal_words, year_words

# symbol → (unit, units, subunit, subunits)
_CURRENCIES = {
    "$": ("dollar", "dollars", "cent", "cents"),
    "£": ("pound", "pounds", "penny", "pence"),
    "€": ("euro", "euros", "cent", "cents"),
}
_SCALE = r"thousand|million|billion|trillion"

_THOUSANDS_SEPARATOR = re.compile(r"(?<=\d),(?=\d{3}\b)")
_CURRENCY = re.compile(rf"([$£€])\s?(\d+)(?:\.(\d+))?(?:\s+({_SCALE})\b)?", re.IGNORECASE)
_TIME = re.compile(r"\b([01]?\d|2[0-3]):([0-5]\d)(?!\d)(?:\s*([ap])\.?\s?m\b\.?)?", re.IGNORECASE)
_PERCENT = re.compile(r"(\d+)(?:\.(\d+))?\s?%")
_ORDINAL = re.compile(r"\b(\d+)(st|nd|rd|th)\b", re.IGNORECASE)
# a bare ".5" only where the dot does not end a word ("end.5" is two things, not a decimal)
_DECIMAL = re.compile(r"(?:(\d+)|(?<![\w.]))\.(\d+)\b")
_NEGATIVE = re.compile(r"(?<![\w-])-(?=\d)")
_INTEGER = re.compile(r"\d+")


def _plural(count: int, singular: str, plural: str) -> str:
    return singular if count == 1 else plural


def _decimal_words(whole: str, fraction: str) -> str:
    head = cardinal_words(int(whole)) + " " if whole else ""
    return f"{head}point {digit_words(fraction)}"


def _amount_words(whole: str, fraction: str | None) -> str:
    return _decimal_words(whole, fraction) if fraction else cardinal_words(int(whole))


def _currency(match: re.Match[str]) -> str:
    symbol, whole, fraction, scale = match.groups()
    unit, units, subunit, subunits = _CURRENCIES[symbol]
    if scale:  # "$3.5 million" → "three point five million dollars"
        return f"{_amount_words(whole, fraction)} {scale.lower()} {units}"
    if fraction and len(fraction) > 2:  # not a sum of cents: read the decimal
        return f"{_decimal_words(whole, fraction)} {units}"
    main, cents = int(whole), int((fraction or "").ljust(2, "0"))
    parts = []
    if main or not cents:
        parts.append(f"{cardinal_words(main)} {_plural(main, unit, units)}")
    if cents:
        parts.append(f"{cardinal_words(cents)} {_plural(cents, subunit, subunits)}")
    # the comma is a short pause, as a reader makes between the two amounts
    return ", ".join(parts)


def _time(match: re.Match[str]) -> str:
    hour, minute, meridiem = int(match.group(1)), int(match.group(2)), match.group(3)
    words = [cardinal_words(hour)]
    if minute == 0:
        if not meridiem:
            words.append("o'clock")
    elif minute < 10:
        words.append(f"oh {cardinal_words(minute)}")
    else:
        words.append(cardinal_words(minute))
    if meridiem:
        # dotted letters, so the frontend spells them instead of reading the word "am"
        words.append(f"{meridiem.lower()}.m.")
    return " ".join(words)


def _integer(match: re.Match[str]) -> str:
    digits = match.group(0)
    if len(digits) > 1 and digits.startswith("0"):  # "007", a code: digit by digit
        return digit_words(digits)
    number = int(digits)
    # Four-digit numbers in this range are mostly years in running text (Tacotron's rule).
    if len(digits) == 4 and 1000 <= number <= 2999:
        return year_words(number)
    return cardinal_words(number)


def expand_numbers(text: str) -> str:
    """Replace every number in ``text`` with words.

    ``"$3.50"`` → ``"three dollars, fifty cents"``; ``"3:30 pm"`` → ``"three thirty p.m."``;
    ``"21st"`` → ``"twenty-first"``; ``"3.14"`` → ``"three point one four"``; ``"50%"`` →
    ``"fifty percent"``; ``"1984"`` → ``"nineteen eighty-four"``; ``"1,000"`` → ``"one
    thousand"``; ``"-5"`` → ``"minus five"``.
    """
    text = _THOUSANDS_SEPARATOR.sub("", text)
    text = _CURRENCY.sub(_currency, text)
    text = _TIME.sub(_time, text)
    text = _PERCENT.sub(lambda m: _amount_words(m[1], m[2]) + " percent", text)
    text = _ORDINAL.sub(lambda m: ordinal_words(int(m[1])), text)
    text = _DECIMAL.sub(lambda m: _decimal_words(m[1] or "", m[2]), text)
    text = _NEGATIVE.sub("minus ", text)
    return _INTEGER.sub(_integer, text)
