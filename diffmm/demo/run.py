"""``run_demo``: run the chosen parts with the shipped (or given) bundles, write their outputs
under OUTDIR/<part>/, the scores as OUTDIR/scores.json and the report as OUTDIR/report.html.

Every output is checked before anything runs (an existing one is kept unless ``overwrite``)
and written atomically; a missing bundle, or data a part needs, is a one-line ``DiffmmError``.
"""

from __future__ import annotations

import json
import os
import platform
import time
from collections.abc import Sequence
from pathlib import Path

import torch

from diffmm.atomic import write_text_atomic
from diffmm.cli.outputs import check_outputs, output_folder
from diffmm.demo.bundles import BUNDLE_DIR
from diffmm.demo.parts import PARTS
from diffmm.demo.report import render_report, stated_scores
from diffmm.demo.result import DemoContext, PartResult
from diffmm.errors import DiffmmError
from diffmm.models.precision import check_precision

REPORT, SCORES = "report.html", "scores.json"


def planned_outputs(out_dir: Path, parts: Sequence[str]) -> list[Path]:
    """Every file ``run_demo`` writes for ``parts``."""
    files = [out_dir / REPORT, out_dir / SCORES]
    return files + [out_dir / part / name for part in parts for name in PARTS[part].outputs()]


def run_demo(
    out_dir: str | Path = "demo_out",
    *,
    parts: Sequence[str] = tuple(PARTS),
    dtype: str = "fp32",
    overwrite: bool = False,
    bundle_dir: str | Path | None = None,
    seed: int = 0,
    device: str = "cpu",
) -> Path:
    """Run ``parts`` (any of ``PARTS``, in that order) and return the report's path."""
    unknown = [part for part in parts if part not in PARTS]
    if unknown or not parts:
        raise DiffmmError(f"unknown demo part(s) {unknown}; choose from {', '.join(PARTS)}")
    parts = [part for part in PARTS if part in parts]
    check_precision(dtype, device)
    out_dir = output_folder(out_dir)
    check_outputs([("-o", path) for path in planned_outputs(out_dir, parts)], overwrite=overwrite)
    bundle_dir = Path(bundle_dir) if bundle_dir is not None else BUNDLE_DIR
    start = time.perf_counter()
    results: list[PartResult] = []
    for part in parts:
        context = DemoContext(out_dir / part, bundle_dir, dtype, seed, device)
        context.out_dir.mkdir(parents=True, exist_ok=True)
        part_start = time.perf_counter()
        result = PARTS[part].run(context)
        result.seconds = time.perf_counter() - part_start
        results.append(result)
    settings = {
        "precision": dtype,
        "seed": seed,
        "device": device,
        "torch threads": torch.get_num_threads(),
        "CPU cores": os.cpu_count(),
        "machine": platform.machine(),
        "wall time": f"{time.perf_counter() - start:.1f} s",
    }
    write_text_atomic(out_dir / SCORES, json.dumps(scores_json(results, settings), indent=2))
    return write_text_atomic(out_dir / REPORT, render_report(results, settings))


def scores_json(results: Sequence[PartResult], settings: dict) -> dict:
    """The report's numbers, for programs: per part, the measured and the stated scores."""
    return {
        "settings": settings,
        "parts": {
            result.part: {
                "seconds": result.seconds,
                "scores": {score.key: score.value for score in result.scores},
                "stated": stated_scores(result),
                "bundles": {
                    bundle.name: {"path": str(bundle.path), "provenance": bundle.provenance}
                    for bundle in result.bundles
                },
                "files": [str(item.path) for item in result.media],
            }
            for result in results
        },
    }
