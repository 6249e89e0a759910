"""Split a Kaldi data dir by speaker for a single-speaker model: the utterances of the chosen
speakers, the last ``--num-heldout`` of them (in byte order of their ids) held out.

    python data_prep/speaker_split.py --data-dir data/train --speakers flite_slt slt \\
        --train-out data/tts_train --heldout-out data/tts_test --num-heldout 10
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from diffmm.audio.datadir import DataDir, validate_data_dir
from diffmm.errors import DiffmmError, run_entry_point


def subset(data: DataDir, utts: list[str]) -> DataDir:
    keep = set(utts)
    return DataDir(
        wav_scp={u: v for u, v in data.wav_scp.items() if u in keep},
        utt2spk={u: v for u, v in data.utt2spk.items() if u in keep},
        text=None if data.text is None else {u: v for u, v in data.text.items() if u in keep},
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", required=True, type=Path)
    parser.add_argument("--speakers", nargs="+", required=True)
    parser.add_argument("--train-out", required=True, type=Path)
    parser.add_argument("--heldout-out", required=True, type=Path)
    parser.add_argument("--num-heldout", type=int, default=10)
    args = parser.parse_args(argv)
    data = DataDir.load(args.data_dir)
    utts = [u for u in data.utt_ids if data.utt2spk[u] in set(args.speakers)]
    if len(utts) <= args.num_heldout:
        raise DiffmmError(
            f"{args.data_dir} has {len(utts)} utterances of {' '.join(args.speakers)}: "
            f"too few to hold out {args.num_heldout}"
        )
    for utts_of_split, out in ((utts[: -args.num_heldout], args.train_out), (utts[-args.num_heldout :], args.heldout_out)):  # fmt: skip
        subset(data, utts_of_split).write(out)
        validate_data_dir(out)
        print(f"{out}: {len(utts_of_split)} utterances")
    return 0


if __name__ == "__main__":
    sys.exit(run_entry_point("data_prep/speaker_split.py", main))
