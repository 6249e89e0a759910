"""Expand English abbreviations (Mr., Dr., St., etc.) while the text still has its capitals,
which tell "Dr. Smith" (doctor) from "Elm Dr." (drive) and "St. Louis" from "Main St.".
"""

from __future__ import annotations

import re

# Expanded only with their period, so that words like "no", "co" or "gen" stay words.
_DOTTED = {
    "capt": "captain",
    "co": "company",
    "col": "colonel",
    "esq": "esquire",
    "etc": "et cetera",
    "ft": "fort",
    "gen": "general",
    "hon": "honorable",
    "jr": "junior",
    "lt": "lieutenant",
    "ltd": "limited",
    "maj": "major",
    "mt": "mount",
    "prof": "professor",
    "rev": "reverend",
    "sgt": "sergeant",
    "sr": "senior",
    "vs": "versus",
}
# Titles before a name; the period is optional ("Mr Smith" is British usage).
_TITLES = {"mr": "mister", "mrs": "missus", "ms": "miz", "messrs": "messieurs"}
_LATIN = {"e.g.": "for example", "i.e.": "that is"}

_NAME_AHEAD = r"(?=\s+[A-Z])"
_SENTENCE_END = r"(\s*\Z)?"
_TITLE = re.compile(rf"\b({'|'.join(_TITLES)})\b\.?(?=\s+\w)", re.IGNORECASE)
_LATIN_ABBREVIATION = re.compile(
    rf"(?<!\w)({'|'.join(re.escape(a) for a in _LATIN)})(?!\w)", re.IGNORECASE
)
_DOCTOR = re.compile(rf"\bDr\.?{_NAME_AHEAD}")
_SAINT = re.compile(rf"\bSt\.?{_NAME_AHEAD}")
_AFTER_NAME = re.compile(rf"(?<=[A-Z][a-z])(\w*\s+)(St|Dr)\.{_SENTENCE_END}")
_STREET_OR_DOCTOR = re.compile(rf"\b(St|Dr)\.{_SENTENCE_END}")
_NUMBER_SIGN = re.compile(r"\bNo\.(?=\s*\d)")
_OTHER = re.compile(rf"\b({'|'.join(_DOTTED)})\.{_SENTENCE_END}", re.IGNORECASE)


def _keep_final_period(words: str, match: re.Match[str]) -> str:
    # A period that also ends the text ends the sentence: keep it as the pause it is.
    return words + ("." if match.group(match.re.groups) is not None else "")


def _after_name(match: re.Match[str]) -> str:
    place = "street" if match.group(2) == "St" else "drive"
    return _keep_final_period(match.group(1) + place, match)


def expand_abbreviations(text: str) -> str:
    """``"Dr. Smith lives on Elm St."`` → ``"doctor Smith lives on Elm street"``.

    Before a capitalised word Dr./St. are doctor/saint, after one drive/street, and elsewhere
    doctor/street. Titles (Mr., Mrs., Ms.), "No. 5", "e.g.", "i.e." and a table of dotted
    abbreviations (Jr., Co., etc.) are expanded; the words are left in lower case.
    """
    text = _LATIN_ABBREVIATION.sub(lambda m: _LATIN[m.group(1).lower()], text)
    text = _TITLE.sub(lambda m: _TITLES[m.group(1).lower()], text)
    text = _DOCTOR.sub("doctor", text)
    text = _SAINT.sub("saint", text)
    text = _AFTER_NAME.sub(_after_name, text)
    # Elsewhere the likelier reading: "the St. was closed", "ask the Dr."
    text = _STREET_OR_DOCTOR.sub(
        lambda m: _keep_final_period("street" if m.group(1) == "St" else "doctor", m), text
    )
    text = _NUMBER_SIGN.sub("number", text)
    return _OTHER.sub(lambda m: _keep_final_period(_DOTTED[m.group(1).lower()], m), text)
