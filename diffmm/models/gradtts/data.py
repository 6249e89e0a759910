"""Training data of the acoustic models: a Kaldi data dir's ``text``, its phoneme tokens and
its mel dump (stage 2), as (token ids, mel) pairs padded into batches.

The tokens stage writes ``<dump>/tokens`` (``utt SYM SYM ...``, the frontend's phonemes
without blanks, so the file reads as phonemes) and ``symbols.json``, the symbol table:

    python -m diffmm.models.gradtts.data --data-dir data/train --out-dir dump/train

An utterance the frontend cannot read is reported by name and left out.

A multi-speaker corpus names each utterance's speaker in the data dir's Kaldi ``utt2spk``;
``speaker_list`` gives the sorted speakers (their ids are the positions in that list, which the
bundle stores) and ``TextMelDataset(..., utt2spk=..., speakers=...)`` adds each item's id.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import Tensor
from torch.utils.data import Dataset

from diffmm.audio.datadir import DataDir, read_kaldi_map, write_kaldi_map
from diffmm.audio.features import PRESET_FILE, load_preset, read_feats_scp
from diffmm.audio.mel import MelPreset, check_same_preset
from diffmm.errors import DiffmmError, run_entry_point
from diffmm.text.frontend import EnglishFrontend, english_symbol_table
from diffmm.text.symbols import SymbolTable

TOKENS_FILE = "tokens"
SYMBOLS_FILE = "symbols.json"

# token ids (T_text,), mel (F, T_mel) and, for a multi-speaker set, the speaker id ()
TextMelItem = tuple[Tensor, ...]


def speaker_list(utt2spk: str | Path) -> list[str]:
    """The sorted speakers of a Kaldi ``utt2spk`` file (a one-line error if it is empty)."""
    speakers = sorted(set(read_kaldi_map(utt2spk).values()))
    if not speakers:
        raise DiffmmError(f"{utt2spk} names no speaker")
    return speakers


def phonemize_data_dir(data_dir: str | Path, frontend: EnglishFrontend) -> dict[str, str]:
    """utt → space-separated phonemes of its ``text`` line (unreadable lines warned and left out)."""
    data = DataDir.load(data_dir)
    if data.text is None:
        raise DiffmmError(f"data dir {data_dir} has no 'text' file")
    phonemes = {}
    for utt in data.utt_ids:
        try:
            phonemes[utt] = " ".join(frontend.phonemize(data.text.get(utt, "")))
        except DiffmmError as err:
            warnings.warn(f"{utt}: left out ({err})", stacklevel=2)
    if not phonemes:
        raise DiffmmError(f"no utterance of {data_dir} has text the frontend can read")
    return phonemes


class TextMelDataset(Dataset):
    """(token ids, mel) of every utterance that has both tokens and features.

    ``tokens``: a tokens file (utt → symbols); ``feats_scp``: the stage-2 mel dump, whose
    recorded preset must be ``preset``; ``utt2spk`` and ``speakers`` (both or neither): each
    item's speaker id, its speaker's position in ``speakers``.
    """

    def __init__(
        self,
        tokens: str | Path,
        feats_scp: str | Path,
        preset: MelPreset,
        symbol_table: SymbolTable,
        add_blank: bool = True,
        utt2spk: str | Path | None = None,
        speakers: list[str] | None = None,
    ) -> None:
        if (utt2spk is None) != (speakers is None):
            raise ValueError("give utt2spk and speakers together")
        speaker_of = read_kaldi_map(utt2spk) if utt2spk is not None else {}
        if (Path(feats_scp).parent / PRESET_FILE).is_file():
            check_same_preset(
                preset, load_preset(Path(feats_scp).parent / PRESET_FILE), what=str(feats_scp)
            )
        symbols = read_kaldi_map(tokens)
        feats = read_feats_scp(feats_scp)
        self.utt_ids = sorted(set(symbols) & set(feats))
        if not self.utt_ids:
            raise DiffmmError(f"{tokens} and {feats_scp} share no utterance")
        self.items: list[TextMelItem] = []
        for utt in self.utt_ids:
            ids = symbol_table.encode(symbols[utt].split(), add_blank=add_blank)
            mel = np.load(feats[utt], allow_pickle=False).astype(np.float32)
            if mel.ndim != 2 or mel.shape[0] != preset.n_mels:
                raise DiffmmError(
                    f"{feats[utt]}: mel of shape {mel.shape}, expected ({preset.n_mels}, frames)"
                )
            if mel.shape[1] < len(ids):
                warnings.warn(
                    f"{utt}: {mel.shape[1]} frames for {len(ids)} tokens, left out", stacklevel=2
                )
                continue
            item: TextMelItem = (torch.tensor(ids), torch.from_numpy(mel))
            if speakers is not None:
                item += (torch.tensor(speaker_id(speakers, speaker_of.get(utt), f"{utt}")),)
            self.items.append(item)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> TextMelItem:
        return self.items[index]


def speaker_id(speakers: list[str], name: str | None, what: str) -> int:
    """``name``'s position in ``speakers``; a one-line error naming ``what`` otherwise."""
    if name not in speakers:
        shown = ", ".join(speakers[:10]) + (", ..." if len(speakers) > 10 else "")
        raise DiffmmError(f"{what}: unknown speaker {name!r}; known ({len(speakers)}): {shown}")
    return speakers.index(name)


def pad_text_mel(batch: list[TextMelItem]) -> tuple[Tensor, ...]:
    """Collate: tokens (B, T_text) padded with 0 (the padding symbol's id), token lengths,
    mels (B, F, T_mel) padded with 0, mel lengths, and the speaker ids (B,) of a
    multi-speaker set."""
    token_lengths = torch.tensor([item[0].shape[0] for item in batch])
    mel_lengths = torch.tensor([item[1].shape[1] for item in batch])
    tokens = torch.zeros(len(batch), int(token_lengths.max()), dtype=torch.long)
    mels = torch.zeros(len(batch), batch[0][1].shape[0], int(mel_lengths.max()))
    for i, (t, m, *_) in enumerate(batch):
        tokens[i, : t.shape[0]] = t
        mels[i, :, : m.shape[1]] = m
    if len(batch[0]) == 3:
        return tokens, token_lengths, mels, mel_lengths, torch.stack([item[2] for item in batch])
    return tokens, token_lengths, mels, mel_lengths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", required=True, help="Kaldi data dir with a 'text' file")
    parser.add_argument("--out-dir", required=True, help="where 'tokens' and 'symbols.json' go")
    args = parser.parse_args(argv)
    phonemes = phonemize_data_dir(args.data_dir, EnglishFrontend())
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    write_kaldi_map(out / TOKENS_FILE, phonemes)
    english_symbol_table().save(out / SYMBOLS_FILE)
    print(f"wrote {len(phonemes)} token lines to {out / TOKENS_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(run_entry_point("diffmm.models.gradtts.data", main))
