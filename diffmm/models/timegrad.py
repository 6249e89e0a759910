"""TimeGrad (Rasul et al. 2021): an RNN over the past conditions a diffusion over the D series.

At each time step t the RNN (2-layer LSTM or GRU, hidden 40) reads the lagged, mean-scaled
targets x_{t−l} (l in the frequency's lags, D·|lags| values), the time features of t and a
learned embedding of every target dimension (D × E, flattened), and its output h_t conditions
an ε-network that denoises the D-vector x_t: TimeGrad's "EpsilonTheta", here the shared
:class:`~diffmm.nn.wavenet.ResidualStack` over the SERIES axis (8 layers × 8 channels,
dilation 2^(i mod 2), circular padding). h_t reaches the stack as a one-channel signal of
length D ("CondUpsampler": Linear(H → D/2) → LeakyReLU → Linear(→ D) → LeakyReLU; departure 6
widens it) projected per layer once per time step (the reference's Linear(H → 100) in front
of it is left out: departure 7). Diffusion:
T = 100, linear β 1e-4 → 0.1, ε-parameterisation, all through :mod:`diffmm.diffusion`
(loss: ``simple_loss``; sampling: any engine sampler, see :mod:`diffmm.models.timegrad_sampling`).

Departures from the public reference (pytorch-ts), numbered, with their tests: ``docs/timegrad.md``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from diffmm.diffusion.denoiser import Denoiser
from diffmm.diffusion.losses import simple_loss
from diffmm.diffusion.schedules.base import NoiseSchedule
from diffmm.models.registry import register_family
from diffmm.nn.embeddings import TimestepEmbedding
from diffmm.nn.wavenet import ResidualStack
from diffmm.timeseries.scaling import mean_scale

LEAKY_SLOPE = 0.4  # TimeGrad's LeakyReLU slope throughout the ε-network


@dataclass
class TimeGradModelConfig:
    """The network and the data shape it was built for (everything a bundle needs to rebuild it).

    ``target_dim`` D, ``lags`` (all ≥ 1), ``num_time_features`` F, ``context_length`` C and
    ``prediction_length`` P come from the data; the rest are Rasul et al.'s settings.
    """

    target_dim: int = 1
    lags: list[int] = field(default_factory=lambda: [1])
    num_time_features: int = 0
    context_length: int = 24
    prediction_length: int = 24
    cell_type: Literal["lstm", "gru"] = "lstm"
    num_layers: int = 2
    hidden_size: int = 40
    dropout: float = 0.1
    embedding_dim: int = 1
    residual_layers: int = 8
    residual_channels: int = 8
    dilation_cycle: int = 2
    step_frequency_dim: int = 32
    step_embed_dim: int = 64
    scaling: bool = True
    conditioner_width: int | None = None  # None: max(D // 2, 1), the reference's bottleneck
    conditioner_channels: int = 1  # conditioner values per series (the reference: 1)

    def __post_init__(self) -> None:
        positive = ("target_dim", "context_length", "prediction_length", "num_layers")
        for name in (*positive, "hidden_size", "embedding_dim", "residual_layers"):
            if getattr(self, name) < 1:
                raise ValueError(f"model.{name} must be >= 1, got {getattr(self, name)}")
        if not self.lags or min(self.lags) < 1 or len(set(self.lags)) != len(self.lags):
            raise ValueError(f"model.lags must be distinct integers >= 1, got {self.lags}")
        if self.conditioner_width is not None and self.conditioner_width < 1:
            raise ValueError(f"model.conditioner_width must be >= 1, got {self.conditioner_width}")
        if self.conditioner_channels < 1:
            raise ValueError(
                f"model.conditioner_channels must be >= 1, got {self.conditioner_channels}"
            )
        if self.num_time_features < 0:
            raise ValueError("model.num_time_features must be >= 0")
        if self.cell_type not in ("lstm", "gru"):
            raise ValueError(f"model.cell_type must be 'lstm' or 'gru', got {self.cell_type!r}")
        self.lags = sorted(int(lag) for lag in self.lags)

    @property
    def max_lag(self) -> int:
        return max(self.lags)

    @property
    def rnn_input_size(self) -> int:
        """D·|lags| lagged values + D·E embedding entries + F time features."""
        d = self.target_dim
        return d * len(self.lags) + d * self.embedding_dim + self.num_time_features


class EpsilonNetwork(nn.Module):
    """ε̂(x_t, n, h): the residual stack over the series axis, conditioned on an RNN output h."""

    def __init__(self, cfg: TimeGradModelConfig) -> None:
        super().__init__()
        d, channels = cfg.target_dim, cfg.residual_channels
        self.target_dim = d
        self.step_embedding = TimestepEmbedding(cfg.step_frequency_dim, cfg.step_embed_dim)
        self.condition_channels = cfg.conditioner_channels
        upsampler_width = cfg.conditioner_width or max(d // 2, 1)
        self.cond_upsampler = nn.Sequential(
            nn.Linear(cfg.hidden_size, upsampler_width),
            nn.LeakyReLU(LEAKY_SLOPE),
            nn.Linear(upsampler_width, self.condition_channels * d),
            nn.LeakyReLU(LEAKY_SLOPE),
        )
        self.input_projection = nn.Conv1d(1, channels, 1)
        self.stack = ResidualStack(
            channels,
            cfg.residual_layers,
            cfg.dilation_cycle,
            cfg.step_embed_dim,
            condition_channels=self.condition_channels,
            padding_mode="circular",
        )
        self.skip_projection = nn.Conv1d(channels, channels, 3, padding=1, padding_mode="circular")
        self.output_projection = nn.Conv1d(channels, 1, 3, padding=1, padding_mode="circular")
        nn.init.kaiming_normal_(self.input_projection.weight)
        nn.init.kaiming_normal_(self.skip_projection.weight)
        nn.init.zeros_(self.output_projection.weight)  # ε̂ = 0 at initialisation, as TimeGrad
        # circular padding may not wrap more than once: shorter series axes are tiled (see module doc)
        widest_padding = 2 ** (min(cfg.dilation_cycle, cfg.residual_layers) - 1)
        self.tiles = max(1, math.ceil(widest_padding / d))

    def project_condition(self, rnn_output: Tensor) -> Tensor:
        """(N, H) RNN outputs → (N, layers, 2C, D) per-layer conditioner terms (once per time step)."""
        signal = self.cond_upsampler(rnn_output).view(-1, self.condition_channels, self.target_dim)
        return self.stack.project_condition(self._tile(signal))

    def forward(self, x_t: Tensor, timesteps: Tensor, projected_condition: Tensor) -> Tensor:
        if x_t.ndim != 3 or x_t.shape[1] != 1 or x_t.shape[2] != self.target_dim:
            raise ValueError(
                f"TimeGrad's ε-network expects (N, 1, {self.target_dim}), got {tuple(x_t.shape)}"
            )
        h = F.leaky_relu(self.input_projection(self._tile(x_t)), LEAKY_SLOPE)
        h = self.stack(h, self.step_embedding(timesteps), projected_condition)
        h = F.leaky_relu(self.skip_projection(h), LEAKY_SLOPE)
        return self.output_projection(h)[..., : self.target_dim]

    def _tile(self, signal: Tensor) -> Tensor:
        return signal if self.tiles == 1 else signal.repeat(1, 1, self.tiles)


class TimeGrad(nn.Module):
    """The RNN, the target-dimension embedding and the ε-network of one TimeGrad model.

    ``forward`` is the ε-network, called by the engine as ``net(x_t, n, projected_condition=…)``;
    :meth:`unroll` runs the RNN over a scaled sequence and :meth:`condition` turns its outputs
    into the ε-network's conditioner.
    """

    def __init__(self, cfg: TimeGradModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        rnn_class = nn.LSTM if cfg.cell_type == "lstm" else nn.GRU
        self.rnn = rnn_class(
            cfg.rnn_input_size,
            cfg.hidden_size,
            num_layers=cfg.num_layers,
            dropout=cfg.dropout if cfg.num_layers > 1 else 0.0,
            batch_first=True,
        )
        self.dimension_embedding = nn.Embedding(cfg.target_dim, cfg.embedding_dim)
        self.epsilon = EpsilonNetwork(cfg)

    def forward(self, x_t: Tensor, timesteps: Tensor, projected_condition: Tensor) -> Tensor:
        return self.epsilon(x_t, timesteps, projected_condition)

    def condition(self, rnn_output: Tensor) -> Tensor:
        """Projected conditioner for RNN outputs of any leading shape (…, H) flattened to N."""
        return self.epsilon.project_condition(rnn_output.reshape(-1, self.cfg.hidden_size))

    def rnn_inputs(self, scaled: Tensor, positions: range, time_feat: Tensor) -> Tensor:
        """RNN inputs at ``positions`` of a scaled sequence (B, T, D): its lags, the dimension
        embedding and ``time_feat`` (B, len(positions), F). Lags only look back (l ≥ 1)."""
        if positions.start < self.cfg.max_lag:
            raise ValueError(
                f"position {positions.start} has no lag-{self.cfg.max_lag} history "
                f"(the sequence needs {self.cfg.max_lag} values before it)"
            )
        batch, steps = scaled.shape[0], len(positions)
        lagged = torch.stack(
            [scaled[:, positions.start - lag : positions.stop - lag] for lag in self.cfg.lags],
            dim=-1,
        )  # (B, steps, D, |lags|)
        embedding = self.dimension_embedding.weight.reshape(1, 1, -1).expand(batch, steps, -1)
        return torch.cat([lagged.reshape(batch, steps, -1), embedding, time_feat], dim=-1)

    def unroll(
        self,
        scaled: Tensor,
        positions: range,
        time_feat: Tensor,
        state: Tensor | tuple[Tensor, Tensor] | None = None,
    ) -> tuple[Tensor, Tensor | tuple[Tensor, Tensor]]:
        """RNN outputs (B, len(positions), H) and final state over ``positions`` of ``scaled``."""
        return self.rnn(self.rnn_inputs(scaled, positions, time_feat), state)


def observed_values(target: Tensor, observed: Tensor) -> Tensor:
    """The target with every unobserved entry (NaN or not) replaced by 0, as a new tensor."""
    return torch.where(observed.bool(), torch.nan_to_num(target), torch.zeros_like(target))


def training_loss(
    model: nn.Module,
    batch: dict[str, Tensor],
    schedule: NoiseSchedule,
    denoiser: Denoiser,
    generator: torch.Generator | None = None,
) -> Tensor:
    """Mean ε-loss over every observed (time step, series) entry of C context + P future steps.

    ``batch`` holds past_target/past_observed (B, C + max_lag, D), past_time_feat
    (B, C + max_lag, F) and future_target/future_observed/future_time_feat (B, P, ·), as
    :class:`diffmm.timeseries.windows.TrainingWindows` yields them; ``model`` is the
    :class:`TimeGrad` (possibly wrapped for distributed training; ``denoiser`` wraps it).
    The RNN is teacher-forced: at step t it reads the true lags, so all C + P steps are trained
    in one pass, each as an independent diffusion over its D-vector.
    """
    net = unwrap_timegrad(model)
    cfg = net.cfg
    past = observed_values(batch["past_target"], batch["past_observed"])
    future = observed_values(batch["future_target"], batch["future_observed"])
    scale = context_scale(cfg, past, batch["past_observed"])
    scaled = torch.cat([past, future], dim=1) / scale
    start = past.shape[1] - cfg.context_length
    if start < cfg.max_lag:
        raise ValueError(
            f"past_target has {past.shape[1]} steps; TimeGrad needs context_length + max_lag = "
            f"{cfg.context_length + cfg.max_lag}"
        )
    positions = range(start, scaled.shape[1])
    time_feat = torch.cat([batch["past_time_feat"][:, start:], batch["future_time_feat"]], dim=1)
    rnn_output, _ = net.unroll(scaled, positions, time_feat)
    x0 = scaled[:, start:].reshape(-1, 1, cfg.target_dim)
    mask = torch.cat([batch["past_observed"][:, start:], batch["future_observed"]], dim=1)
    mask = mask.reshape(-1, 1, cfg.target_dim).to(x0.dtype)
    per_row = simple_loss(
        denoiser,
        x0,
        schedule,
        cond={"projected_condition": net.condition(rnn_output)},
        mask=mask,
        generator=generator,
    ).loss
    counts = mask.flatten(1).sum(1)
    return (per_row * counts).sum() / counts.sum().clamp_min(1)


def context_scale(cfg: TimeGradModelConfig, past: Tensor, past_observed: Tensor) -> Tensor:
    """The scale (B, 1, D) of each series over the last C past steps (ones without scaling)."""
    if not cfg.scaling:
        return torch.ones_like(past[:, :1])
    c = cfg.context_length
    return mean_scale(past[:, -c:], past_observed[:, -c:])[1]


def unwrap_timegrad(model: nn.Module) -> TimeGrad:
    """The TimeGrad inside a DistributedDataParallel (or similar ``.module``) wrapper."""
    while not isinstance(model, TimeGrad) and hasattr(model, "module"):
        model = model.module
    if not isinstance(model, TimeGrad):
        raise TypeError(f"expected a TimeGrad model, got {type(model).__name__}")
    return model


@register_family("timegrad")
def build_timegrad(config: dict) -> TimeGrad:
    """Rebuild the network from a bundle's (or recipe's) config dictionary."""
    return TimeGrad(TimeGradModelConfig(**config["model"]))
