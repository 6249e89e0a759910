"""English words for numbers: cardinals, ordinals, years and digit strings (American style).

Written here rather than taken from ``inflect`` or ``num2words``: the rules are short, the
output needs no post-editing (``inflect`` puts commas between groups, which the frontend would
read as pauses), and importing ``inflect`` costs about two seconds.
"""

from __future__ import annotations

_BELOW_TWENTY = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen"
).split()
_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_SCALES = ((10**12, "trillion"), (10**9, "billion"), (10**6, "million"), (10**3, "thousand"))
# Past the largest scale word a number is more likely a code or an identifier than a quantity.
_LARGEST_SPOKEN = 10**15

# Ordinals that are not simply the cardinal plus "th".
_IRREGULAR_ORDINALS = {
    "one": "first",
    "two": "second",
    "three": "third",
    "five": "fifth",
    "eight": "eighth",
    "nine": "ninth",
    "twelve": "twelfth",
}


def digit_words(digits: str, zero: str = "zero") -> str:
    """Read a digit string one digit at a time: ``"305"`` → ``"three zero five"``."""
    return " ".join(zero if d == "0" else _BELOW_TWENTY[int(d)] for d in digits)


def _below_thousand(n: int) -> str:
    hundreds, rest = divmod(n, 100)
    words = [f"{_BELOW_TWENTY[hundreds]} hundred"] if hundreds else []
    if rest >= 20:
        tens, ones = divmod(rest, 10)
        words.append(_TENS[tens] + (f"-{_BELOW_TWENTY[ones]}" if ones else ""))
    elif rest or not hundreds:
        words.append(_BELOW_TWENTY[rest])
    return " ".join(words)


def cardinal_words(n: int) -> str:
    """``1234`` → ``"one thousand two hundred thirty-four"`` (no "and", as in American English).

    Negative numbers get "minus"; numbers of a quadrillion or more are read digit by digit.
    """
    if n < 0:
        return "minus " + cardinal_words(-n)
    if n >= _LARGEST_SPOKEN:
        return digit_words(str(n))
    words = []
    for scale, name in _SCALES:
        count, n = divmod(n, scale)
        if count:
            words.append(f"{_below_thousand(count)} {name}")
    if n or not words:
        words.append(_below_thousand(n))
    return " ".join(words)


def ordinal_words(n: int) -> str:
    """``21`` → ``"twenty-first"``: the cardinal with its last word made ordinal."""
    cardinal = cardinal_words(n)
    cut = max(cardinal.rfind(" "), cardinal.rfind("-")) + 1
    head, last = cardinal[:cut], cardinal[cut:]
    if last in _IRREGULAR_ORDINALS:
        return head + _IRREGULAR_ORDINALS[last]
    if last.endswith("y"):
        return head + last[:-1] + "ieth"
    return head + last + "th"


def year_words(year: int) -> str:
    """Read a year as people say it: 1984 → "nineteen eighty-four", 1905 → "nineteen oh five",
    1900 → "nineteen hundred", 2005 → "two thousand five", 2010 → "twenty ten".

    Years outside 1000–9999, whole millennia and the first decade of each millennium are read as
    cardinals, which is how they are spoken.
    """
    century, rest = divmod(year, 100)
    if not 1000 <= year <= 9999 or year % 1000 < 10:
        return cardinal_words(year)
    if rest == 0:
        return f"{cardinal_words(century)} hundred"
    if rest < 10:
        return f"{cardinal_words(century)} oh {_BELOW_TWENTY[rest]}"
    return f"{cardinal_words(century)} {cardinal_words(rest)}"
