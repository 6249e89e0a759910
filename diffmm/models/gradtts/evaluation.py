"""Held-out scores of an acoustic model against recorded mels, without a vocoder.

- ``mel_l1``: mean |ŷ − y| over the frames of the recording, ŷ synthesised with the
  recording's own durations (MAS of the recording under the model's encoder: teacher-forced
  durations), so the decoder is scored frame by frame;
- ``duration_error``: mean |Σ d̂ − T| / T, the relative error of the predicted utterance length;
- ``duration_mae``: mean |d̂_i − d_i| per token in frames, against the MAS durations.

    python -m diffmm.models.gradtts.evaluation --acoustic BUNDLE --tokens dump/test/tokens \
        --feats-scp dump/test/feats.scp --out scores.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

from diffmm.errors import run_entry_point
from diffmm.models.gradtts.alignment import durations_from_alignment, predicted_durations
from diffmm.models.gradtts.data import TextMelDataset, TextMelItem
from diffmm.models.gradtts.synthesizer import TextToMel


@torch.no_grad()
def heldout_scores(
    tts: TextToMel,
    items: list[TextMelItem],
    *,
    steps: int | None = None,
    sampler: str | None = None,
    seed: int = 0,
) -> dict[str, float]:
    model, device = tts.model, tts.device
    generator = torch.Generator(device).manual_seed(seed)
    l1, length_errors, token_errors = [], [], []
    for tokens, mel, *speaker in items:
        tokens, mel = tokens.to(device)[None], mel.to(device)[None]
        lengths = torch.tensor([tokens.shape[1]], device=device)
        speaker_ids = speaker[0].to(device)[None] if speaker else None
        mu, log_durations, text_mask = model.encoder(
            tokens, lengths, model.speaker_inputs(speaker_ids)[0]
        )
        reference = durations_from_alignment(
            model.align(mu, mel, text_mask, torch.ones_like(mel[:, :1]))
        )[0]
        predicted = predicted_durations(log_durations, text_mask)[0]
        length_errors.append(abs(float(predicted.sum()) - mel.shape[-1]) / mel.shape[-1])
        token_errors.append(float((predicted - reference).abs().mean()))
        synthesis = tts.mel_from_tokens(
            [tokens[0].tolist()],
            steps=steps,
            sampler=sampler,
            generator=generator,
            durations=[reference],
            speaker=tts.speakers[int(speaker[0])] if speaker else None,
        )[0]
        l1.append(float((synthesis.mel - mel[0].cpu()).abs().mean()))
    count = max(len(items), 1)
    return {
        "mel_l1": sum(l1) / count,
        "duration_error": sum(length_errors) / count,
        "duration_mae": sum(token_errors) / count,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--acoustic", required=True, help="gradtts bundle")
    parser.add_argument("--tokens", required=True)
    parser.add_argument("--feats-scp", required=True)
    parser.add_argument("--out", required=True, help="JSON file of the scores")
    parser.add_argument("--sampler")
    parser.add_argument("--steps", type=int)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--utt2spk", help="a multi-speaker bundle: the utterances' speakers")
    args = parser.parse_args(argv)
    tts = TextToMel.from_bundle(args.acoustic)
    speakers = tts.speakers if args.utt2spk else None
    data = TextMelDataset(
        args.tokens,
        args.feats_scp,
        tts.mel_preset,
        tts.symbol_table,
        tts.add_blank,
        args.utt2spk if speakers else None,
        speakers,
    )
    scores = heldout_scores(tts, data.items, steps=args.steps, sampler=args.sampler, seed=args.seed)
    result = {"bundle": args.acoustic, "utterances": len(data), "steps": args.steps, **scores}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(run_entry_point("diffmm.models.gradtts.evaluation", main))
