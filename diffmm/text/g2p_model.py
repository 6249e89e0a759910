"""g2p_en's letter-to-sound network (Park & Kim), run with numpy from the weights its package
ships, so that no NLTK download is needed.

Importing ``g2p_en`` itself makes NLTK fetch a part-of-speech tagger and a copy of CMUdict from
the internet, which fails offline; the network it uses for unknown words needs neither. It is a
GRU encoder over the word's letters and a greedy GRU decoder over phonemes, whose weights sit in
``g2p_en/checkpoint20.npz``: this module finds that file without importing the package.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

from diffmm.errors import DiffmmError
from diffmm.text.arpabet import ARPABET

_LETTERS = "abcdefghijklmnopqrstuvwxyz"
# The checkpoint's vocabularies, in its row order.
_GRAPHEMES = ("<pad>", "<unk>", "</s>", *_LETTERS)
# Its training dictionary had one unstressed "UW" besides the 69 stressed symbols.
_PHONEMES = ("<pad>", "<unk>", "<s>", "</s>", *sorted((*ARPABET, "UW")))
_UNKNOWN_GRAPHEME, _WORD_END = _GRAPHEMES.index("<unk>"), _GRAPHEMES.index("</s>")
_START, _END = _PHONEMES.index("<s>"), _PHONEMES.index("</s>")
_SPECIALS = frozenset({"<pad>", "<unk>", "<s>"})
# The model may emit that bare "UW" (it did for none of 300 random letter strings); read it
# as stressed rather than leave a symbol outside the table.
_RESTRESS = {"UW": "UW1"}
_WEIGHT_NAMES = (
    "enc_emb", "enc_w_ih", "enc_w_hh", "enc_b_ih", "enc_b_hh",
    "dec_emb", "dec_w_ih", "dec_w_hh", "dec_b_ih", "dec_b_hh", "fc_w", "fc_b",
)  # fmt: skip


def g2p_en_weights_path() -> Path | None:
    """Where the installed ``g2p_en`` package keeps its weights, or None if it is not installed."""
    spec = importlib.util.find_spec("g2p_en")  # locates the package without running it
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "checkpoint20.npz"
    return path if path.is_file() else None


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # no overflow warning for large |x|


class _GRUCell:
    """One step of a GRU with PyTorch's gate layout: rows of the weights are [reset; update; new]."""

    def __init__(self, w_ih: np.ndarray, w_hh: np.ndarray, b_ih: np.ndarray, b_hh: np.ndarray):
        self.w_ih, self.w_hh, self.b_ih, self.b_hh = w_ih, w_hh, b_ih, b_hh

    def __call__(self, x: np.ndarray, h: np.ndarray) -> np.ndarray:
        input_reset, input_update, input_new = np.split(x @ self.w_ih.T + self.b_ih, 3)
        hidden_reset, hidden_update, hidden_new = np.split(h @ self.w_hh.T + self.b_hh, 3)
        reset = _sigmoid(input_reset + hidden_reset)
        update = _sigmoid(input_update + hidden_update)
        new = np.tanh(input_new + reset * hidden_new)
        return (1.0 - update) * new + update * h


class G2pEnModel:
    """Letter-to-sound for words outside the dictionary: ``model("activationist")``."""

    name = "g2p_en's model"

    def __init__(self, weights: dict[str, np.ndarray]):
        vocabulary = (weights["enc_emb"].shape[0], weights["fc_b"].shape[0])
        if vocabulary != (len(_GRAPHEMES), len(_PHONEMES)):
            raise DiffmmError(f"g2p_en weights have vocabularies {vocabulary}, not the known ones")
        self.letter_embedding = weights["enc_emb"]
        self.phoneme_embedding = weights["dec_emb"]
        self.encoder = _GRUCell(*(weights[f"enc_{n}"] for n in ("w_ih", "w_hh", "b_ih", "b_hh")))
        self.decoder = _GRUCell(*(weights[f"dec_{n}"] for n in ("w_ih", "w_hh", "b_ih", "b_hh")))
        self.output_weight, self.output_bias = weights["fc_w"], weights["fc_b"]

    @classmethod
    def load(cls, path: Path | None = None) -> G2pEnModel | None:
        """The model from ``path`` or from the installed g2p_en package; None if there is none."""
        path = path or g2p_en_weights_path()
        if path is None:
            return None
        with np.load(path, allow_pickle=False) as archive:
            return cls({name: archive[name] for name in _WEIGHT_NAMES})

    def __call__(self, word: str) -> list[str]:
        """ARPAbet for ``word`` (letters a–z; anything else is the model's unknown letter)."""
        letters = [
            _GRAPHEMES.index(c) if c in _LETTERS else _UNKNOWN_GRAPHEME for c in word.lower()
        ]
        hidden = np.zeros(self.encoder.w_hh.shape[1], dtype=np.float32)
        for index in [*letters, _WORD_END]:
            hidden = self.encoder(self.letter_embedding[index], hidden)
        phonemes: list[str] = []
        previous = _START
        # Greedy decoding; a pronunciation rarely has more phonemes than its word has letters.
        for _ in range(2 * len(word) + 5):
            hidden = self.decoder(self.phoneme_embedding[previous], hidden)
            previous = int(np.argmax(hidden @ self.output_weight.T + self.output_bias))
            if previous == _END:
                break
            symbol = _PHONEMES[previous]
            if symbol not in _SPECIALS:
                phonemes.append(_RESTRESS.get(symbol, symbol))
        return phonemes
