"""Text → mel with a ``gradtts`` bundle: the inference object of Grad-TTS, its flow-matching
decoder and PriorGrad-AM, and the owner of their bundle schema. ``config.yaml`` holds

    model         GradTTSConfig
    diffusion     the decoder's DiffusionConfig (vp + score: Grad-TTS; flow + flow: flow
                  matching; a discrete schedule + eps_x: PriorGrad-AM)
    mel_preset    the full preset dict (a vocoder of another preset is refused)
    sample_rate, hop      the preset's, for readers of the file
    symbol_table  the symbols in id order, with the padding and blank symbols
    add_blank     whether a blank is interspersed between symbols (Grad-TTS)
    sampling      the defaults: sampler, steps, temperature
    prior         PriorGrad-AM only: {kind: phoneme}, with the tensors phoneme_mean/phoneme_std
    speakers      multi-speaker models only: the speaker names in id order

Synthesis (Popov et al. 2021, §3.3): the encoder's μ̃ and log-durations; durations
⌈exp(log d̂) · length_scale⌉; μ = the means expanded along them; the decoder's diffusion run
from x_T = μ + ε/τ (PriorGrad-AM: μ_phone + σ_phone ε/τ) with any engine sampler. Grad-TTS
samples at temperature τ = 1.5 with 10 Euler steps on the probability-flow ODE.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from diffmm.audio.mel import MelPreset
from diffmm.bundle import Bundle, export_bundle, open_bundle
from diffmm.config import config_to_dict
from diffmm.diffusion.config import DiffusionConfig, build_denoiser, build_schedule
from diffmm.diffusion.samplers import StepCallback, get_sampler, preferred_spacing
from diffmm.errors import DiffmmError
from diffmm.models.gradtts.alignment import (
    alignment_from_durations,
    expand_to_frames,
    mel_mask_from_durations,
    predicted_durations,
)
from diffmm.models.gradtts.data import speaker_id
from diffmm.models.gradtts.model import GradTTS, decoder_condition, diffusion_prior
from diffmm.models.gradtts.phoneme_prior import PhonemePrior
from diffmm.models.precision import inference_precision
from diffmm.text.frontend import EnglishFrontend
from diffmm.text.symbols import SymbolTable

FAMILY = "gradtts"


@dataclass
class SamplingDefaults:
    """How a bundle samples unless told otherwise (Grad-TTS: 10 Euler steps at τ = 1.5)."""

    sampler: str = "euler"
    steps: int = 10
    temperature: float = 1.5


@dataclass
class Synthesis:
    """One utterance: the mel (F, frames) and each token's duration in frames."""

    mel: Tensor
    durations: Tensor
    tokens: Tensor


@dataclass
class TextToMel:
    model: GradTTS
    diffusion: DiffusionConfig
    mel_preset: MelPreset
    symbol_table: SymbolTable
    add_blank: bool = True
    phoneme_prior: PhonemePrior | None = None
    sampling: SamplingDefaults = field(default_factory=SamplingDefaults)
    speakers: list[str] | None = None  # a multi-speaker model's speaker names, in id order
    _frontend: EnglishFrontend | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.model.cfg.n_vocab != len(self.symbol_table):
            raise DiffmmError(
                f"the model embeds {self.model.cfg.n_vocab} symbols, the symbol table has "
                f"{len(self.symbol_table)}"
            )
        if self.model.cfg.n_feats != self.mel_preset.n_mels:
            raise DiffmmError(
                f"the model makes {self.model.cfg.n_feats} mel bins, preset "
                f"'{self.mel_preset.name}' has {self.mel_preset.n_mels}"
            )
        n_speakers = self.model.cfg.n_speakers
        if (n_speakers > 1 or self.speakers is not None) and len(self.speakers or []) != n_speakers:
            raise DiffmmError(
                f"the model has {n_speakers} speakers, the speaker list {len(self.speakers or [])}"
            )

    # ---------------------------------------------------------------- bundle schema
    def to_bundle_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {
            "model": config_to_dict(self.model.cfg),
            "diffusion": config_to_dict(self.diffusion),
            "mel_preset": self.mel_preset.to_dict(),
            "sample_rate": self.mel_preset.sample_rate,
            "hop": self.mel_preset.hop_length,
            "symbol_table": self.symbol_table.to_dict(),
            "add_blank": self.add_blank,
            "sampling": config_to_dict(self.sampling),
        }
        if self.phoneme_prior is not None:
            config["prior"] = {"kind": "phoneme"}
        if self.speakers is not None:
            config["speakers"] = list(self.speakers)
        return config

    def export(self, path: str | Path) -> Path:
        """Write this acoustic model as a bundle at ``path``; returns ``path``."""
        tensors = None if self.phoneme_prior is None else self.phoneme_prior.to_tensors()
        return export_bundle(
            path, family=FAMILY, config=self.to_bundle_config(), model=self.model, tensors=tensors
        )

    @classmethod
    def from_bundle(
        cls, bundle: Bundle | str | Path, *, device: str | torch.device = "cpu"
    ) -> TextToMel:
        bundle = open_bundle(bundle, (FAMILY,), device=device)
        config = bundle.config
        for key in ("diffusion", "mel_preset", "symbol_table"):
            if key not in config:
                raise DiffmmError(f"bundle {bundle.path} has no '{key}': not a TTS bundle")
        prior = None
        if (config.get("prior") or {}).get("kind") == "phoneme":
            prior = PhonemePrior.from_tensors(bundle.tensors)
        return cls(
            bundle.model,
            DiffusionConfig.from_dict(config["diffusion"]),
            MelPreset.from_dict(config["mel_preset"]),
            SymbolTable.from_dict(config["symbol_table"]),
            bool(config.get("add_blank", True)),
            prior,
            SamplingDefaults(**config.get("sampling", {})),
            config.get("speakers"),
        )

    # ---------------------------------------------------------------- synthesis
    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    @property
    def frontend(self) -> EnglishFrontend:
        """The English frontend over this bundle's symbol table (built on first use)."""
        if self._frontend is None:
            self._frontend = EnglishFrontend(
                symbol_table=self.symbol_table, add_blank=self.add_blank
            )
        return self._frontend

    def speaker_index(self, name: str | None) -> int | None:
        """The id of speaker ``name`` (a multi-speaker model's first speaker when None); None
        for a single-speaker model, which takes no name (one-line errors otherwise)."""
        if self.speakers is None:
            if name is not None:
                raise DiffmmError(f"speaker {name!r} given to a single-speaker acoustic model")
            return None
        return speaker_id(self.speakers, self.speakers[0] if name is None else name, "the bundle")

    def encode(self, text: str) -> list[int]:
        """The token ids of ``text`` (a one-line DiffmmError for text it cannot read)."""
        return self.frontend.encode(text)

    def synthesize(self, text: str, **options: Any) -> Synthesis:
        """The mel of one sentence; ``options`` as in :meth:`mel_from_tokens`."""
        return self.mel_from_tokens([self.encode(text)], **options)[0]

    @torch.no_grad()
    def mel_from_tokens(
        self,
        token_ids: Sequence[Sequence[int]],
        *,
        sampler: str | None = None,
        steps: int | None = None,
        temperature: float | None = None,
        length_scale: float = 1.0,
        generator: torch.Generator | None = None,
        callback: StepCallback | None = None,
        dtype: str = "fp32",
        durations: Sequence[Tensor] | None = None,
        speaker: str | None = None,
    ) -> list[Synthesis]:
        """Mels of a batch of token sequences. Unset ``sampler``/``steps``/``temperature``
        take the bundle's defaults; ``length_scale`` > 1 speaks more slowly; ``durations``
        (frames per token, one tensor per sequence) replace the predicted ones (teacher
        forcing, to compare a mel with its recording frame by frame); ``speaker``: a
        multi-speaker model's speaker name (default: its first)."""
        sampler = sampler or self.sampling.sampler
        steps = steps or self.sampling.steps
        temperature = temperature or self.sampling.temperature
        if temperature <= 0 or length_scale <= 0:
            raise DiffmmError("temperature and length scale must be positive")
        if not token_ids or any(len(ids) == 0 for ids in token_ids):
            raise DiffmmError("nothing to synthesise: an utterance has no tokens")
        index = self.speaker_index(speaker)
        sample = get_sampler(sampler)
        schedule = build_schedule(self.diffusion)
        grid = schedule.grid(steps, preferred_spacing(sampler, schedule))
        device = self.device
        lengths = torch.tensor([len(ids) for ids in token_ids], device=device)
        tokens = torch.full(
            (len(token_ids), int(lengths.max())), self.symbol_table.pad_id, device=device
        )
        for i, ids in enumerate(token_ids):
            tokens[i, : len(ids)] = torch.tensor(ids, device=device)
        speakers = None if index is None else torch.full((len(token_ids),), index, device=device)
        with inference_precision(dtype, device):
            speaker_embedding, speaker_vector = self.model.speaker_inputs(speakers)
            mu_tokens, log_durations, text_mask = self.model.encoder(
                tokens, lengths, speaker_embedding
            )
            if durations is None:
                durations = predicted_durations(log_durations.float(), text_mask, length_scale)
            else:
                durations = given_durations(durations, token_ids, tokens.shape[1], device)
            mel_lengths, mel_mask = mel_mask_from_durations(durations)
            alignment = alignment_from_durations(durations, mel_mask.shape[-1]).to(mu_tokens)
            mu = expand_to_frames(mu_tokens.float(), alignment.float())
            prior = diffusion_prior(mu, mel_mask, self.phoneme_prior, tokens, alignment.float())
            noise = torch.randn(mu.shape, generator=generator, device=device)
            mel = sample(
                build_denoiser(self.model.decoder, self.diffusion),
                prior.unwhiten(grid.prior_scale * noise / temperature),
                grid,
                prior=prior,
                cond=decoder_condition(
                    mu, mel_mask, prior, self.phoneme_prior is not None, speaker_vector
                ),
                generator=generator,
                callback=callback,
            )
        mel = mel.float().cpu()
        return [
            Synthesis(
                mel[i, :, : int(n)], durations[i, : len(ids)].cpu(), tokens[i, : len(ids)].cpu()
            )
            for i, (n, ids) in enumerate(zip(mel_lengths, token_ids))
        ]


def given_durations(
    durations: Sequence[Tensor], token_ids: Sequence[Sequence[int]], width: int, device
) -> Tensor:
    """(B, T_text) frames per token from one tensor per sequence, checked against the tokens."""
    out = torch.zeros(len(token_ids), width, device=device)
    for i, (d, ids) in enumerate(zip(durations, token_ids)):
        if d.shape != (len(ids),) or bool((d < 0).any()) or float(d.sum()) < 1:
            raise DiffmmError(f"durations of utterance {i} must be {len(ids)} counts, not all 0")
        out[i, : len(ids)] = d.to(device).round()
    return out
