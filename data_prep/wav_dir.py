"""Any folder of wav/flac files -> one Kaldi data dir.

    python data_prep/wav_dir.py --wav-dir my_wavs --out-dir data/mine [--speaker NAME] [--recursive]

Utterance ids are the file stems (sorted; they must be unique and free of whitespace). A
transcription is taken from ``<stem>.txt`` or ``<stem>.lab`` beside the audio file (whitespace
collapsed to single spaces); ``text`` is written only when every file has one. All utterances get
one speaker (``--speaker``, default the folder's name).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from diffmm.audio.datadir import DataDir, validate_data_dir
from diffmm.errors import DiffmmError, run_entry_point

AUDIO_SUFFIXES = (".wav", ".flac")
TEXT_SUFFIXES = (".txt", ".lab")


def find_audio(wav_dir: Path, recursive: bool) -> dict[str, Path]:
    """stem -> audio path; two files with the same stem are an error naming both."""
    if not wav_dir.is_dir():
        raise DiffmmError(f"wav dir not found: {wav_dir}")
    pattern = "**/*" if recursive else "*"
    found: dict[str, Path] = {}
    for path in sorted(wav_dir.glob(pattern)):
        if not path.is_file() or path.suffix.lower() not in AUDIO_SUFFIXES:
            continue
        stem = path.stem
        if any(c.isspace() for c in stem):
            raise DiffmmError(f"{path}: file names used as utterance ids cannot contain spaces")
        if stem in found:
            raise DiffmmError(f"utterance id '{stem}' is used by both {found[stem]} and {path}")
        found[stem] = path.resolve()
    if not found:
        raise DiffmmError(f"no {'/'.join(AUDIO_SUFFIXES)} files in {wav_dir}")
    return found


def read_transcript(audio: Path) -> str | None:
    for suffix in TEXT_SUFFIXES:
        candidate = audio.with_suffix(suffix)
        if candidate.is_file():
            return " ".join(candidate.read_text(encoding="utf-8").split())
    return None


def build_data_dir(wav_dir: Path, speaker: str | None = None, recursive: bool = False) -> DataDir:
    audio = find_audio(wav_dir, recursive)
    speaker = speaker or wav_dir.resolve().name
    if not speaker or any(c.isspace() for c in speaker):
        raise DiffmmError(f"invalid speaker id {speaker!r} (give --speaker)")
    texts = {utt: read_transcript(path) for utt, path in audio.items()}
    missing = [utt for utt, text in texts.items() if text is None]
    if missing and len(missing) < len(texts):
        print(
            f"warning: {len(missing)} of {len(texts)} files have no .txt/.lab "
            f"(e.g. {missing[0]}); writing no text file",
            file=sys.stderr,
        )
    return DataDir(
        wav_scp={utt: str(path) for utt, path in audio.items()},
        utt2spk=dict.fromkeys(audio, speaker),
        text=None if missing else {u: t for u, t in texts.items() if t is not None},
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--wav-dir", required=True, type=Path)
    parser.add_argument("--out-dir", required=True, type=Path)
    parser.add_argument("--speaker", default=None)
    parser.add_argument("--recursive", action="store_true", help="also search sub-folders")
    args = parser.parse_args(argv)
    data = build_data_dir(args.wav_dir, args.speaker, args.recursive)
    data.write(args.out_dir)
    validate_data_dir(args.out_dir)
    print(f"{len(data)} utterances in {args.out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(run_entry_point("data_prep/wav_dir.py", main))
