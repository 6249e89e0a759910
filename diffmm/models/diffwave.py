"""DiffWave (Kong et al. 2021): a WaveNet-style ε-network on raw waveforms.

Conditional (vocoder): input 1×1 conv + ReLU, the step embedding (128 sinusoidal features →
512 → 512, SiLU), the mel upsampled to the sample rate and projected into every layer, the
shared :class:`~diffmm.nn.wavenet.ResidualStack`, then skip 1×1 conv + ReLU and a zero-initialised
1×1 output conv. BASE: 30 layers × 64 channels, T = 50, β 1e-4 → 0.05; LARGE: 128 channels,
T = 200. Unconditional (SC09): 36 layers × 256 channels, dilation cycle 12, T = 200.

The conditioner does not depend on the diffusion step, so a sampler computes it once per
utterance and passes it to every step: either every layer's term, :meth:`DiffWave.condition`
as ``condition=`` (338 MB per second of 22.05 kHz audio for BASE in float32, the fastest in
float32), or only the upsampled mel, :meth:`DiffWave.upsample` as ``upsampled=``, which the
residual stack's inference path projects inside each layer's GEMM (no cache to hold; the
fastest in bf16). ``mel=`` recomputes everything on each call (training, and the naive path the
benchmark compares with).
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import Tensor, nn

from diffmm.models.mel_upsampler import MelUpsampler
from diffmm.models.registry import register_family
from diffmm.nn.embeddings import TimestepEmbedding
from diffmm.nn.pointwise import PointwiseConv1d
from diffmm.nn.wavenet import ResidualStack

STEP_FEATURES = 128  # sinusoidal features of the step (64 sin + 64 cos in the paper)
STEP_EMBED_DIM = 512


@dataclass
class DiffWaveConfig:
    residual_layers: int = 30
    residual_channels: int = 64
    dilation_cycle: int = 10
    n_mels: int | None = 80  # None: unconditional
    hop: int = 256
    upsample_factors: list[int] | None = None  # default: hop_factors(hop)


class DiffWave(nn.Module):
    """ε̂(x_t, t, mel): x_t of shape (B, 1, T) or (B, T); the output has the input's shape."""

    def __init__(self, cfg: DiffWaveConfig) -> None:
        super().__init__()
        self.cfg = cfg
        channels = cfg.residual_channels
        self.input_projection = nn.Sequential(PointwiseConv1d(1, channels), nn.ReLU())
        nn.init.kaiming_normal_(self.input_projection[0].weight)
        self.step_embedding = nn.Sequential(
            TimestepEmbedding(STEP_FEATURES, STEP_EMBED_DIM), nn.SiLU()
        )
        conditional = cfg.n_mels is not None
        self.upsampler = MelUpsampler(cfg.hop, cfg.upsample_factors) if conditional else None
        self.residual_stack = ResidualStack(
            channels,
            cfg.residual_layers,
            cfg.dilation_cycle,
            STEP_EMBED_DIM,
            condition_channels=cfg.n_mels,
        )
        # 1 × 1 convs as batched GEMMs: the stack's inference path returns a time-major view,
        # which a Conv1d first copies (8.0 against 1.7 ms a call for 1 s of audio)
        self.skip_projection = nn.Sequential(PointwiseConv1d(channels, channels), nn.ReLU())
        nn.init.kaiming_normal_(self.skip_projection[0].weight)
        self.output_projection = PointwiseConv1d(channels, 1)
        nn.init.zeros_(self.output_projection.weight)
        nn.init.zeros_(self.output_projection.bias)

    @property
    def conditional(self) -> bool:
        return self.upsampler is not None

    def upsample(self, mel: Tensor) -> Tensor:
        """(B, n_mels, frames) → the mel at the sample rate (B, n_mels, frames · hop)."""
        if not self.conditional:
            raise ValueError("this DiffWave is unconditional: it takes no mel")
        if mel.ndim != 3 or mel.shape[1] != self.cfg.n_mels:
            raise ValueError(
                f"mel must have shape (B, {self.cfg.n_mels}, frames), got {tuple(mel.shape)}"
            )
        return self.upsampler(mel)

    def condition(self, mel: Tensor) -> Tensor:
        """(B, n_mels, frames) → every layer's conditioner term (B, layers, 2C, frames · hop)."""
        return self.residual_stack.project_condition(self.upsample(mel))

    def forward(
        self,
        audio: Tensor,
        steps: Tensor,
        mel: Tensor | None = None,
        condition: Tensor | None = None,
        upsampled: Tensor | None = None,
    ) -> Tensor:
        """ε̂ for ``audio`` at diffusion ``steps`` (B,), from ``mel``, a cached ``condition``
        (:meth:`condition`) or an ``upsampled`` mel (:meth:`upsample`)."""
        squeeze = audio.ndim == 2
        x = audio.unsqueeze(1) if squeeze else audio
        if x.ndim != 3 or x.shape[1] != 1:
            raise ValueError(f"audio must have shape (B, T) or (B, 1, T), got {tuple(audio.shape)}")
        given = [c for c in (mel, condition, upsampled) if c is not None]
        if self.conditional:
            if len(given) != 1:
                raise ValueError(
                    "a conditional DiffWave needs exactly one of mel= or condition= (or upsampled=)"
                )
            if mel is not None:
                condition = self.condition(mel)
            covered = (condition if upsampled is None else upsampled).shape[-1]
            if covered != x.shape[-1]:
                raise ValueError(
                    f"the mel covers {covered} samples (frames × hop "
                    f"{self.cfg.hop}) but the audio has {x.shape[-1]}"
                )
        elif given:
            raise ValueError("this DiffWave is unconditional but a mel/condition was given")
        embedding = self.step_embedding(steps.to(x.dtype))
        h = self.input_projection(x)
        h = self.residual_stack(h, embedding, condition, condition=upsampled)
        out = self.output_projection(self.skip_projection(h))
        return out.squeeze(1) if squeeze else out


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@register_family("diffwave")
def build_diffwave(config: dict) -> DiffWave:
    """Rebuild the network from a bundle's (or recipe's) config dictionary."""
    return DiffWave(DiffWaveConfig(**config["model"]))
