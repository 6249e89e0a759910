"""Pairing generated speech files with their references by utterance id (``score_speech``).

Generated audio is a directory of ``<utt>.wav``/``.flac`` files; references are another such
directory or a Kaldi ``wav.scp`` (cut by the ``segments`` file beside it, if any). An id on one
side only, or missing from a side table such as ``--text``, is an error that lists the ids.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from diffmm.audio.datadir import DataDir, load_utterance, read_kaldi_map, read_segments
from diffmm.audio.io import load_audio
from diffmm.errors import DiffmmError

AUDIO_SUFFIXES = (".wav", ".flac")
MAX_LISTED_IDS = 10
Loader = Callable[[int], np.ndarray]  # sample rate -> mono float32 waveform


def audio_files(directory: str | Path) -> dict[str, Path]:
    """Utterance id (file stem) -> wav/flac file in ``directory``."""
    directory = Path(directory)
    if not directory.is_dir():
        raise DiffmmError(f"audio directory not found: {directory}")
    files: dict[str, Path] = {}
    for path in sorted(directory.iterdir()):
        if path.suffix.lower() not in AUDIO_SUFFIXES or not path.is_file():
            continue
        if path.stem in files:
            raise DiffmmError(f"{directory}: two files for utterance '{path.stem}'")
        files[path.stem] = path
    if not files:
        raise DiffmmError(f"no {'/'.join(AUDIO_SUFFIXES)} files in {directory}")
    return files


def directory_loaders(directory: str | Path) -> dict[str, Loader]:
    return {
        utt: (lambda rate, path=path: load_audio(path, sample_rate=rate)[0])
        for utt, path in audio_files(directory).items()
    }


def scp_loaders(wav_scp: str | Path) -> dict[str, Loader]:
    """Loaders for the utterances of a wav.scp (and of the ``segments`` beside it)."""
    wav_scp = Path(wav_scp)
    if not wav_scp.is_file():
        raise DiffmmError(f"wav.scp not found: {wav_scp}")
    recordings = read_kaldi_map(wav_scp)
    segments_file = wav_scp.parent / "segments"
    segments = read_segments(segments_file) if segments_file.is_file() else None
    utt_ids = sorted(segments if segments is not None else recordings)
    data = DataDir(
        wav_scp=recordings, utt2spk={u: u for u in utt_ids}, segments=segments, path=wav_scp.parent
    )
    return {utt: (lambda rate, utt=utt: load_utterance(data, utt, rate)) for utt in utt_ids}


def paired_ids(reference_ids: Sequence[str], generated_ids: Sequence[str]) -> list[str]:
    """The common ids, sorted; any id on one side only is an error listing them."""
    missing_gen = sorted(set(reference_ids) - set(generated_ids))
    missing_ref = sorted(set(generated_ids) - set(reference_ids))
    problems = []
    for ids, what in ((missing_gen, "no generated file"), (missing_ref, "no reference")):
        if ids:
            shown = ", ".join(ids[:MAX_LISTED_IDS]) + (", ..." if len(ids) > MAX_LISTED_IDS else "")
            problems.append(f"{len(ids)} utterance(s) with {what}: {shown}")
    if problems:
        raise DiffmmError("reference and generated utterance ids differ: " + "; ".join(problems))
    return sorted(reference_ids)


def missing_ids(utt_ids: Sequence[str], available: Sequence[str], what: str) -> None:
    """An error listing the utterances that ``what`` (e.g. ``--text``) does not cover."""
    missing = sorted(set(utt_ids) - set(available))
    if missing:
        shown = ", ".join(missing[:MAX_LISTED_IDS]) + (
            ", ..." if len(missing) > MAX_LISTED_IDS else ""
        )
        raise DiffmmError(f"{what} has no entry for {len(missing)} utterance(s): {shown}")
