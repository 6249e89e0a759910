"""Materialise a GluonTS repository dataset (one of TimeGrad's six) and check it loads.

python data_prep/gluonts_dataset.py --name electricity_nips [--path DIR] [--regenerate] [--csv-dir DIR]

Uses GluonTS's cache (~/.gluonts/datasets/<name>/) unless --path gives the folder that holds
<name>/. GluonTS downloads the dataset when it is absent; offline, run this where there is
internet and copy the <name>/ folder (metadata.json, train/, test/) to the same place here.
--csv-dir also writes the grouped training series as a wide CSV (<csv-dir>/<name>/train.csv)
for ``diffmm forecast`` and other tools that read tables. --link-dir makes <link-dir>/<name> a
symbolic link to the dataset folder (the egs' data/<name>).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from diffmm.errors import run_entry_point
from diffmm.timeseries.data import TIMEGRAD_DATASETS, load_gluonts_dataset
from diffmm.timeseries.repository import default_dataset_root


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--name", required=True, help=f"e.g. {', '.join(TIMEGRAD_DATASETS)}")
    parser.add_argument("--path", default=None, help="folder holding <name>/ (default: cache)")
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument("--csv-dir", default=None)
    parser.add_argument("--link-dir", default=None, help="link <link-dir>/<name> to the dataset")
    args = parser.parse_args(argv)
    data = load_gluonts_dataset(args.name, path=args.path, regenerate=args.regenerate)
    print(
        f"{args.name}: {data.train.num_series} series, freq {data.freq}, train length "
        f"{data.train.length}, {len(data.test_windows)} test windows of "
        f"{data.prediction_length} steps"
    )
    if args.csv_dir is not None:
        out = Path(args.csv_dir) / args.name
        out.mkdir(parents=True, exist_ok=True)
        data.train.to_frame().to_csv(out / "train.csv")
        print(f"wrote {out / 'train.csv'}")
    if args.link_dir is not None:
        link = Path(args.link_dir) / args.name
        if not link.exists():
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to((Path(args.path or default_dataset_root()) / args.name).resolve())
        print(f"{link} -> {link.resolve()}")
    return 0


if __name__ == "__main__":
    sys.exit(run_entry_point("data_prep/gluonts_dataset.py", main))
