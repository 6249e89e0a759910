"""Write a 2-D toy dataset as train/valid point arrays (data/<set>/points.npy).

python data_prep/toy.py --dataset swiss_roll --out-dir data
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from diffmm.toy import TOY_DATASETS, make_toy_dataset


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dataset", default="swiss_roll", choices=sorted(TOY_DATASETS))
    parser.add_argument("--num-train", type=int, default=20000)
    parser.add_argument("--num-valid", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out-dir", default="data")
    args = parser.parse_args(argv)
    for name, n, seed in (
        ("train", args.num_train, args.seed),
        ("valid", args.num_valid, args.seed + 1),
    ):
        out = Path(args.out_dir) / name
        out.mkdir(parents=True, exist_ok=True)
        np.save(out / "points.npy", make_toy_dataset(args.dataset, n, seed).numpy())
        print(f"wrote {n} {args.dataset} points to {out / 'points.npy'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
