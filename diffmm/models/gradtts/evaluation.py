"""Held-out scores of an acoustic model against recorded mels, without a vocoder.

- ``mel_l1``: mean |ŷ − y| over the frames of the recording, ŷ synthesised with the
  recording's own durations (MAS of the recording under the model's encoder: teacher-forced
  durations), so the decoder is scored frame by frame;
- ``duration_error``: mean |Σ d̂ − T| / T, the relative error of the predicted utterance length;
- ``duration_mae``: mean |d̂_i − d_i| per token in frames, against the MAS durations.
"""

from __future__ import annotations

import torch

from diffmm.models.gradtts.alignment import durations_from_alignment, predicted_durations
from diffmm.models.gradtts.data import TextMelItem
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
    for tokens, mel in items:
        tokens, mel = tokens.to(device)[None], mel.to(device)[None]
        lengths = torch.tensor([tokens.shape[1]], device=device)
        mu, log_durations, text_mask = model.encoder(tokens, lengths)
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
        )[0]
        l1.append(float((synthesis.mel - mel[0].cpu()).abs().mean()))
    count = max(len(items), 1)
    return {
        "mel_l1": sum(l1) / count,
        "duration_error": sum(length_errors) / count,
        "duration_mae": sum(token_errors) / count,
    }
