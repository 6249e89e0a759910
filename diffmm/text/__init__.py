"""English text frontend for TTS: cleaners, CMU dictionary look-up, letter-to-sound, ARPAbet
symbols with stress, inline overrides, pauses, blanks and the symbol table a bundle stores.

Imports ``diffmm.errors`` only.
"""

from diffmm.text.arpabet import ARPABET, parse_override
from diffmm.text.cleaners import clean_english
from diffmm.text.frontend import WORD_BOUNDARY, EnglishFrontend, english_symbol_table
from diffmm.text.g2p_model import G2pEnModel
from diffmm.text.letter_rules import LetterToSoundRules
from diffmm.text.lexicon import LetterToSound, Lexicon, cmu_dictionary, default_letter_to_sound
from diffmm.text.number_expansion import expand_numbers
from diffmm.text.symbols import BLANK, PAD, SymbolTable, intersperse_blank
from diffmm.text.tokenize import PAUSE_SYMBOLS

__all__ = [
    "ARPABET",
    "BLANK",
    "PAD",
    "PAUSE_SYMBOLS",
    "WORD_BOUNDARY",
    "EnglishFrontend",
    "G2pEnModel",
    "LetterToSound",
    "LetterToSoundRules",
    "Lexicon",
    "SymbolTable",
    "clean_english",
    "cmu_dictionary",
    "default_letter_to_sound",
    "english_symbol_table",
    "expand_numbers",
    "intersperse_blank",
    "parse_override",
]
