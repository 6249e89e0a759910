"""LJSpeech 1.1 -> Kaldi data dirs data/{train,valid,test}.

    python data_prep/ljspeech.py --root /path/to/LJSpeech-1.1 --out-dir data

Reads the corpus as distributed: ``metadata.csv`` (no header, one line per clip,
``<id>|<raw text>|<normalized text>``, pipe-separated and unquoted: texts contain plain ``"``)
and ``wavs/<id>.wav`` (22050 Hz mono 16-bit). Each data dir gets ``wav.scp`` (absolute paths),
``text`` (the normalized transcription; the raw one when the third field is empty), ``utt2spk``
(speaker ``LJ``) and ``spk2utt``, and is validated.

Split (the first two chapters held out, as is common for LJSpeech vocoders): valid = every
LJ001-* clip, test = every LJ002-* clip, train = the rest of the 13,100 clips.
``--valid-ids`` / ``--test-ids`` take other id prefixes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from diffmm.audio.datadir import DataDir, validate_data_dir
from diffmm.errors import DiffmmError, run_entry_point

SPEAKER = "LJ"


def read_metadata(root: Path) -> dict[str, str]:
    """id -> normalized text, checked line by line (errors name metadata.csv:LINE)."""
    metadata = root / "metadata.csv"
    if not metadata.is_file():
        raise DiffmmError(f"{metadata} not found: --root must be the LJSpeech-1.1 directory")
    texts: dict[str, str] = {}
    with open(metadata, encoding="utf-8") as handle:
        for lineno, line in enumerate(handle, start=1):
            fields = line.rstrip("\n").split("|")
            if len(fields) != 3 or not fields[0]:
                raise DiffmmError(
                    f"{metadata}:{lineno}: expected 'id|raw text|normalized text', got {line!r}"
                )
            utt, raw, normalized = fields
            if utt in texts:
                raise DiffmmError(f"{metadata}:{lineno}: duplicate id {utt}")
            text = " ".join((normalized or raw).split())
            if not text:
                raise DiffmmError(f"{metadata}:{lineno}: {utt} has no text")
            texts[utt] = text
    if not texts:
        raise DiffmmError(f"{metadata} is empty")
    return texts


def split_of(utt: str, valid_prefixes: list[str], test_prefixes: list[str]) -> str:
    if any(utt.startswith(p) for p in valid_prefixes):
        return "valid"
    if any(utt.startswith(p) for p in test_prefixes):
        return "test"
    return "train"


def prepare(root: Path, out_dir: Path, valid_prefixes: list[str], test_prefixes: list[str]) -> dict:
    root = root.resolve()
    texts = read_metadata(root)
    splits: dict[str, dict[str, tuple[str, str]]] = {"train": {}, "valid": {}, "test": {}}
    for utt, text in texts.items():
        wav = root / "wavs" / f"{utt}.wav"
        if not wav.is_file():
            raise DiffmmError(f"{wav} listed in metadata.csv but missing")
        splits[split_of(utt, valid_prefixes, test_prefixes)][utt] = (str(wav), text)
    counts = {}
    for name, entries in splits.items():
        if not entries:
            raise DiffmmError(f"the {name} split is empty (check --valid-ids / --test-ids)")
        DataDir(
            wav_scp={u: wav for u, (wav, _) in entries.items()},
            utt2spk=dict.fromkeys(entries, SPEAKER),
            text={u: text for u, (_, text) in entries.items()},
        ).write(out_dir / name)
        validate_data_dir(out_dir / name)
        counts[name] = len(entries)
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--root", required=True, type=Path, help="the LJSpeech-1.1 directory")
    parser.add_argument("--out-dir", default=Path("data"), type=Path)
    parser.add_argument("--valid-ids", nargs="+", default=["LJ001-"], metavar="PREFIX")
    parser.add_argument("--test-ids", nargs="+", default=["LJ002-"], metavar="PREFIX")
    args = parser.parse_args(argv)
    counts = prepare(args.root, args.out_dir, args.valid_ids, args.test_ids)
    print(" ".join(f"{name}: {n}" for name, n in counts.items()) + f" utterances in {args.out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(run_entry_point("data_prep/ljspeech.py", main))
