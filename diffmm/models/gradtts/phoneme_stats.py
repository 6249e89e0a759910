"""PriorGrad-AM's statistics stage: align the training set with a trained acoustic model's
encoder (MAS) and write each symbol's mel mean and std (floor 0.1).

    python -m diffmm.models.gradtts.phoneme_stats --aligner exp/gradtts/bundle \\
        --tokens dump/train/tokens --feats-scp dump/train/feats.scp \\
        --out dump/train/phoneme_stats.safetensors
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator

import torch
from tqdm.auto import tqdm

from diffmm.errors import DiffmmError, run_entry_point
from diffmm.models.gradtts.alignment import durations_from_alignment
from diffmm.models.gradtts.data import TextMelDataset
from diffmm.models.gradtts.phoneme_prior import STD_MIN, PhonemePrior
from diffmm.models.gradtts.synthesizer import TextToMel


@torch.no_grad()
def aligned_items(tts: TextToMel, dataset: TextMelDataset) -> Iterator[tuple]:
    """(tokens, MAS durations, mel) per utterance, aligned by ``tts``'s encoder."""
    for tokens, mel in tqdm(dataset, desc="aligning", unit="utt"):
        mu, _, text_mask = tts.model.encoder(tokens[None], torch.tensor([tokens.shape[0]]))
        alignment = tts.model.align(mu, mel[None], text_mask, torch.ones(1, 1, mel.shape[1]))
        yield tokens, durations_from_alignment(alignment)[0], mel


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--aligner", required=True, help="a trained gradtts bundle")
    parser.add_argument("--tokens", required=True)
    parser.add_argument("--feats-scp", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--std-min", type=float, default=STD_MIN)
    args = parser.parse_args(argv)
    tts = TextToMel.from_bundle(args.aligner)
    if tts.speakers is not None:
        raise DiffmmError(
            f"--aligner {args.aligner} is multi-speaker; align with a single-speaker one"
        )
    dataset = TextMelDataset(
        args.tokens, args.feats_scp, tts.mel_preset, tts.symbol_table, tts.add_blank
    )
    prior = PhonemePrior.from_alignments(
        aligned_items(tts, dataset), len(tts.symbol_table), args.std_min
    )
    print(f"wrote statistics of {len(dataset)} utterances to {prior.save(args.out)}")
    return 0


if __name__ == "__main__":
    sys.exit(run_entry_point("diffmm.models.gradtts.phoneme_stats", main))
