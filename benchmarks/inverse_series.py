"""The series section of ``benchmarks/inverse_problems.py`` (``--series``).

A TimeGrad bundle on the dataset's test windows: 30% of the context entries hidden at random
(and an 8 h block of two series), imputed, against linear interpolation and seasonal naive (24
steps back), with the CRPS split by whether the next hour of a hidden entry is known; forecasts
of series 2 and 3 given series 0 and 1 over the horizon, against the plain forecast and
seasonal naive. CRPS on the hidden or forecast entries (a point baseline's CRPS is its MAE).
``--hide-hours S`` hides entries in the last S hours of the context only (default: all of it),
so that models of different context lengths are scored on the same entries; ``--lookaheads``
lists the look-ahead rows as ``MxNxH`` (candidates, draws, steps ahead).
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import torch
from inverse_problems import Row, timed

from diffmm.metrics.crps import crps_at
from diffmm.models.timegrad_lookahead import Lookahead

# name (for --methods), solver options of restore_series
SERIES_METHODS = (
    ("replacement", {"method": "replacement", "sampler": "ddpm", "steps": None}),
    ("repaint", {"method": "repaint", "sampler": "ddpm", "steps": None}),
    ("replacement", {"method": "replacement", "sampler": "ddim", "steps": 10}),
    ("pigdm", {"method": "pigdm", "sampler": "ddpm", "steps": None}),
    # look-ahead (diffmm.models.timegrad_lookahead): M candidates, N draws, H steps ahead
)  # fmt: skip
DEFAULT_LOOKAHEADS = "16x8x2,32x8x2,8x8x1"  # M x N x H of the look-ahead rows


def series_methods(lookaheads: str | None) -> list[tuple[str, dict]]:
    """SERIES_METHODS, then one look-ahead row (replacement, DDIM 10) per ``MxNxH`` of the
    comma-separated ``lookaheads`` (None: DEFAULT_LOOKAHEADS)."""
    rows = list(SERIES_METHODS)
    for spec in (lookaheads or DEFAULT_LOOKAHEADS).split(","):
        m, n, h = (int(v) for v in spec.split("x"))
        ahead = Lookahead(candidates=m, draws=n, steps_ahead=h)
        options = {"method": "replacement", "sampler": "ddim", "steps": 10, "lookahead": ahead}
        rows.append(("lookahead", options))
    return rows


@contextmanager
def counting_rows(model: torch.nn.Module):
    """Count the rows of every forward call of ``model``: network evaluations of single
    samples, for methods whose batches grow (the look-ahead's candidates and draws)."""
    rows = [0]
    hook = model.register_forward_hook(
        lambda _, inputs, __: rows.__setitem__(0, rows[0] + len(inputs[0]))
    )
    try:
        yield rows
    finally:
        hook.remove()


def series_label(options: dict) -> str:
    name, ahead = f"TimeGrad {options['method']}", options.get("lookahead")
    if ahead is not None:
        name += f" + look-ahead M={ahead.candidates} N={ahead.draws} H={ahead.steps_ahead}"
    return f"{name} ({options['sampler']} {options['steps'] or 'all'})"


def imputation_rows(
    predictor, histories: list, hidden: list[np.ndarray], task: str, args: argparse.Namespace
) -> Iterator[Row]:
    """Hide ``hidden`` (D, T) entries of each history, impute them, score them: CRPS on all
    hidden entries, on those whose next hour is known and on the rest."""
    from diffmm.models.timegrad_inverse import restore_series
    from diffmm.timeseries import MultivariateSeries

    context = predictor.model.cfg.context_length
    masked = [
        MultivariateSeries(
            np.where(hide, np.nan, h.target), h.observed & ~hide, h.start, h.freq, h.item_ids
        )
        for h, hide in zip(histories, hidden)
    ]
    truth = np.stack([h.target[:, -context:].T for h in histories])  # (W, C, D)
    where = np.stack([hide[:, -context:].T for hide in hidden])
    next_known = np.zeros_like(where)
    next_known[:, :-1] = np.stack([m.observed[:, -context + 1 :].T for m in masked])
    subsets = (where, where & next_known, where & ~next_known)

    def score(estimate: np.ndarray) -> str:
        crps = [crps_at(estimate, truth, subset) for subset in subsets]
        return f"CRPS {crps[0]:.2f} (next hour known {crps[1]:.2f}, not {crps[2]:.2f})"

    linear, seasonal = [], []
    for h, m in zip(histories, masked):
        filled = np.empty_like(h.target)
        for d in range(h.num_series):
            ok = m.observed[d]
            filled[d] = np.interp(np.arange(h.length), np.flatnonzero(ok), m.target[d, ok])
        linear.append(filled[:, -context:].T)
        seasonal.append(h.target[:, -context - 24 : -24].T)
    for name, estimate in (
        ("linear interpolation", linear),
        ("seasonal naive (24 h back)", seasonal),
    ):
        yield task, name, score(np.stack(estimate)[None]), 0, 0
    for name, options in series_methods(args.lookaheads):
        # a method by its name ("replacement") or with its sampler ("replacement-ddim")
        if args.methods and not {name, f"{name}-{options['sampler']}"} & set(
            args.methods.split(",")
        ):
            continue
        count = len(masked) * args.num_paths
        with counting_rows(predictor.model) as rows:
            paths, _, sec = timed(
                predictor.model, count,
                lambda o=options: restore_series(
                    predictor, masked, 1, num_samples=args.num_paths, seed=args.seed, **o
                ),
            )  # fmt: skip
        estimate = paths[:, :, :context].transpose(1, 0, 2, 3)
        yield task, series_label(options), score(estimate), rows[0] / count, sec


def series_rows(args: argparse.Namespace) -> Iterator[Row]:
    from diffmm.models.forecaster import Forecaster
    from diffmm.models.timegrad_inverse import restore_series

    forecaster = Forecaster.from_bundles([args.series])
    predictor = forecaster.members[0]
    context, horizon = predictor.model.cfg.context_length, predictor.model.cfg.prediction_length
    windows = forecaster.read(args.series_data)
    histories = windows.histories[: args.num_windows]
    rng = np.random.default_rng(args.seed)
    # the last `span` hours of the context: the same entries for models of any context >= span
    span = min(args.hide_hours or context, context)
    scattered, block = [], []
    for h in histories:
        # only entries whose value and seasonal-naive value (24 h back) are both known
        scorable = h.observed.copy()
        scorable[:, 24:] &= h.observed[:, :-24]
        hide = np.zeros_like(h.observed)
        hide[:, -span:] = rng.random((h.num_series, span)) < 0.3
        scattered.append(hide & scorable)
        hide = np.zeros_like(h.observed)
        hide[:2, -span // 2 - 4 : -span // 2 + 4] = True  # 8 h of series 0 and 1
        block.append(hide & scorable)
    yield from imputation_rows(predictor, histories, scattered, "imputation, 30% scattered", args)
    yield from imputation_rows(
        predictor, histories, block, "imputation, 8 h block of 2 series", args
    )
    model, samples = predictor.model, args.num_paths

    task = "forecast of series 2-3 given 0-1"
    if args.methods:  # its rows are not methods of the tables above
        return
    if windows.targets is None:
        return
    future = windows.targets[: args.num_windows, :horizon].transpose(0, 2, 1)  # (W, D, P)
    given = future.copy()
    given[:, 2:] = np.nan
    target = future.transpose(0, 2, 1)  # (W, P, D)
    where = np.zeros_like(target, dtype=bool)
    where[..., 2:] = np.isfinite(target[..., 2:])
    naive = np.stack([h.target[:, -24:][:, :horizon].T for h in histories])
    where &= np.isfinite(naive)
    naive_crps = crps_at(naive[None], target, where)
    yield task, "seasonal naive (24 h back)", f"CRPS {naive_crps:.2f}", 0, 0
    for label, known in (("TimeGrad plain forecast", None), ("TimeGrad given series 0-1", given)):
        paths, nfe, sec = timed(
            model, len(histories) * samples,
            lambda k=known: restore_series(
                predictor, histories, horizon, known_future=k, num_samples=samples, seed=args.seed
            ),
        )  # fmt: skip
        crps = crps_at(paths[:, :, context:].transpose(1, 0, 2, 3), target, where)
        yield task, f"{label} (ddpm all)", f"CRPS {crps:.2f}", nfe, sec
