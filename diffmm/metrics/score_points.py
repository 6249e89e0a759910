"""Score generated 2-D samples against held-out data: distances, their noise floor, a plot.

    python -m diffmm.metrics.score_points --samples S.npy --reference R.npy --out-dir DIR

Writes DIR/scores.json and DIR/samples.png. The noise floor is the distance between two
halves of the reference set: a perfect model cannot score much below it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

from diffmm.atomic import write_text_atomic
from diffmm.metrics import gaussian_mmd, sliced_wasserstein
from diffmm.toy.plot import save_scatter


def score(samples: np.ndarray, reference: np.ndarray) -> dict[str, float]:
    gen = torch.from_numpy(np.asarray(samples, np.float64))
    ref = torch.from_numpy(np.asarray(reference, np.float64))
    half = ref.shape[0] // 2

    def swd(a: torch.Tensor, b: torch.Tensor) -> float:
        return sliced_wasserstein(a, b, generator=torch.Generator().manual_seed(0))

    return {
        "sliced_wasserstein": swd(gen, ref),
        "sliced_wasserstein_noise_floor": swd(ref[:half], ref[half:]),
        "mmd": gaussian_mmd(gen[:2000], ref[:2000]),
        "num_samples": int(gen.shape[0]),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--samples", required=True)
    parser.add_argument("--reference", required=True)
    parser.add_argument("--out-dir", required=True)
    args = parser.parse_args(argv)
    samples, reference = np.load(args.samples), np.load(args.reference)
    scores = score(samples, reference)
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out / "scores.json", json.dumps(scores, indent=2) + "\n")
    save_scatter(out / "samples.png", samples, reference)
    print(json.dumps(scores, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
