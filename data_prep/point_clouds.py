"""Write a folder of shape files as the project's point-cloud arrays:
data/<split>/clouds.npy ((M, N, 3) float32, unnormalised) and data/<split>/names.txt.

python data_prep/point_clouds.py --source MESH_DIR --num-points 2048 --test-every 5 --out-dir data
python data_prep/point_clouds.py --source shapenet.hdf5 --categories airplane --splits train test

--source is anything ``diffmm.pointcloud.load_clouds`` reads. A folder of meshes is split by
file order: every --test-every-th shape goes to test, the rest to train. Files that do not parse
are skipped with a message (--strict makes them an error). h5 and PC15k sources keep their own
splits.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from diffmm.errors import DiffmmError, run_entry_point
from diffmm.pointcloud import load_clouds, load_shape
from diffmm.pointcloud.point_sets import write_npy
from diffmm.pointcloud.sources import shape_files


def write_split(out_dir: Path, split: str, clouds: np.ndarray, names: list[str]) -> None:
    write_npy(out_dir / split / "clouds.npy", clouds.astype(np.float32))
    (out_dir / split / "names.txt").write_text("".join(f"{n}\n" for n in names))
    print(f"{split}: {len(clouds)} clouds × {clouds.shape[1]} points → {out_dir / split}")


def shapes_of_folder(folder: Path, num_points: int, seed: int, strict: bool):
    rng, clouds, names = np.random.default_rng(seed), [], []
    for path in tqdm(shape_files(folder), desc="sampling shapes"):
        try:
            clouds.append(load_shape(path, num_points, rng))
            names.append(path.stem)
        except DiffmmError as err:
            if strict:
                raise
            print(f"skipped: {err}", file=sys.stderr)
    return np.stack(clouds), names


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--source", required=True)
    parser.add_argument("--out-dir", default="data")
    parser.add_argument("--num-points", type=int, default=2048)
    parser.add_argument("--test-every", type=int, default=5, help="shape folders: 1 in K to test")
    parser.add_argument("--categories", nargs="+", default=["airplane"], help="h5/PC15k sources")
    parser.add_argument("--splits", nargs="+", default=["train", "test"], help="h5/PC15k sources")
    parser.add_argument(
        "--strict", action="store_true", help="a file that does not parse is an error"
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    source, out = Path(args.source), Path(args.out_dir)

    def run() -> int:
        if source.is_dir() and not any(p.is_dir() for p in source.iterdir()):
            clouds, names = shapes_of_folder(source, args.num_points, args.seed, args.strict)
            test = np.arange(len(clouds)) % args.test_every == args.test_every - 1
            for split, keep in (("train", ~test), ("test", test)):
                write_split(out, split, clouds[keep], [n for n, k in zip(names, keep) if k])
            return 0
        for split in args.splits:
            data = load_clouds(
                source,
                num_points=args.num_points,
                categories=args.categories,
                split=split,
                seed=args.seed,
            )
            write_split(out, split, data.clouds, data.names)
        return 0

    return run_entry_point("data_prep/point_clouds.py", run)


if __name__ == "__main__":
    sys.exit(main())
