"""Kaldi data directories: ``wav.scp``, ``text``, ``utt2spk``, ``spk2utt``, optional ``segments``.

Each file is one entry per line, ``<key> <rest of line>``, sorted by key in byte order
(``LC_ALL=C sort``), keys unique. ``wav.scp`` maps a recording id to a file path (relative paths
are relative to the working directory, as in Kaldi) or to a shell pipe ``cmd ... |`` that writes
a wav to stdout. Without ``segments`` recordings are utterances; with it each line
``<utt> <recording> <start s> <end s>`` cuts an utterance out of a recording.
"""

from __future__ import annotations

import io
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf

from diffmm.audio.io import load_audio, resample
from diffmm.errors import DiffmmError

MAX_REPORTED_PROBLEMS = 20
# A segment may end this far past its recording (rounding of times written with 3 decimals).
SEGMENT_END_TOLERANCE_S = 0.02


def read_kaldi_lines(path: str | Path) -> list[tuple[int, str, str]]:
    """(line number, key, rest of line) for every line; a line without a key is an error."""
    path = Path(path)
    if not path.is_file():
        raise DiffmmError(f"{path}: file not found")
    entries = []
    with open(path, encoding="utf-8") as handle:
        for lineno, line in enumerate(handle, start=1):
            line = line.rstrip("\n")
            key, _, rest = line.strip().partition(" ")
            if not key:
                raise DiffmmError(f"{path}:{lineno}: empty line")
            entries.append((lineno, key, rest.strip()))
    return entries


def read_kaldi_map(path: str | Path) -> dict[str, str]:
    """key -> rest of line; a duplicate key is a DiffmmError naming both lines."""
    result: dict[str, str] = {}
    first_line: dict[str, int] = {}
    for lineno, key, rest in read_kaldi_lines(path):
        if key in result:
            raise DiffmmError(
                f"{path}:{lineno}: duplicate key '{key}' (first at line {first_line[key]})"
            )
        result[key] = rest
        first_line[key] = lineno
    return result


def write_kaldi_map(path: str | Path, mapping: dict[str, str]) -> Path:
    """Write ``key value`` lines sorted by key (byte order)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    for key in mapping:
        if not key or any(c.isspace() for c in key):
            raise ValueError(f"{path}: key {key!r} is empty or contains whitespace")
    with open(path, "w", encoding="utf-8") as handle:
        for key in sorted(mapping, key=_byte_order):
            value = mapping[key]
            handle.write(f"{key} {value}\n" if value != "" else f"{key}\n")
    return path


def _byte_order(key: str) -> bytes:
    return key.encode("utf-8")


def spk2utt_from_utt2spk(utt2spk: dict[str, str]) -> dict[str, list[str]]:
    spk2utt: dict[str, list[str]] = {}
    for utt in sorted(utt2spk, key=_byte_order):
        spk2utt.setdefault(utt2spk[utt], []).append(utt)
    return spk2utt


def is_pipe(wav_entry: str) -> bool:
    return wav_entry.rstrip().endswith("|")


@dataclass
class DataDir:
    """An in-memory Kaldi data dir; ``spk2utt`` is derived from ``utt2spk`` when not given.

    ``extras``: other utterance-keyed files written alongside (``utt2category``...).
    """

    wav_scp: dict[str, str]
    utt2spk: dict[str, str]
    text: dict[str, str] | None = None
    segments: dict[str, tuple[str, float, float]] | None = None
    spk2utt: dict[str, list[str]] | None = None
    extras: dict[str, dict[str, str]] = field(default_factory=dict)
    path: Path | None = None

    def __post_init__(self) -> None:
        if self.spk2utt is None:
            self.spk2utt = spk2utt_from_utt2spk(self.utt2spk)

    @property
    def utt_ids(self) -> list[str]:
        return sorted(self.utt2spk, key=_byte_order)

    def __len__(self) -> int:
        return len(self.utt2spk)

    @classmethod
    def load(cls, directory: str | Path) -> DataDir:
        directory = Path(directory)
        if not directory.is_dir():
            raise DiffmmError(f"data dir not found: {directory}")
        text = directory / "text"
        segments = directory / "segments"
        spk2utt = directory / "spk2utt"
        return cls(
            wav_scp=read_kaldi_map(directory / "wav.scp"),
            utt2spk=read_kaldi_map(directory / "utt2spk"),
            text=read_kaldi_map(text) if text.is_file() else None,
            segments=read_segments(segments) if segments.is_file() else None,
            spk2utt=(
                {k: v.split() for k, v in read_kaldi_map(spk2utt).items()}
                if spk2utt.is_file()
                else None
            ),
            path=directory,
        )

    def write(self, directory: str | Path) -> Path:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        write_kaldi_map(directory / "wav.scp", self.wav_scp)
        write_kaldi_map(directory / "utt2spk", self.utt2spk)
        spk2utt = self.spk2utt or {}
        write_kaldi_map(
            directory / "spk2utt",
            {spk: " ".join(sorted(utts, key=_byte_order)) for spk, utts in spk2utt.items()},
        )
        if self.text is not None:
            write_kaldi_map(directory / "text", self.text)
        if self.segments is not None:
            write_kaldi_map(
                directory / "segments",
                {
                    u: f"{rec} {start:.3f} {end:.3f}"
                    for u, (rec, start, end) in self.segments.items()
                },
            )
        for name, mapping in self.extras.items():
            write_kaldi_map(directory / name, mapping)
        self.path = directory
        return directory


def read_segments(path: str | Path) -> dict[str, tuple[str, float, float]]:
    """utt -> (recording, start s, end s); malformed lines are errors naming FILE:LINE."""
    segments = {}
    for lineno, utt, rest in read_kaldi_lines(path):
        parts = rest.split()
        try:
            if len(parts) != 3:
                raise ValueError
            segments[utt] = (parts[0], float(parts[1]), float(parts[2]))
        except ValueError:
            raise DiffmmError(
                f"{path}:{lineno}: expected '<utt> <recording> <start> <end>', got '{utt} {rest}'"
            ) from None
    return segments


def read_recording(wav_entry: str, sample_rate: int | None, *, name: str) -> tuple[np.ndarray, int]:
    """Load a wav.scp entry: a file path or a ``cmd |`` pipe writing a wav to stdout."""
    if not is_pipe(wav_entry):
        return load_audio(wav_entry, sample_rate=sample_rate)
    command = wav_entry.rstrip()[:-1]
    result = subprocess.run(command, shell=True, capture_output=True, check=False)
    if result.returncode != 0:
        stderr = result.stderr.decode(errors="replace").strip()
        raise DiffmmError(f"{name}: pipe '{command}' failed ({result.returncode}): {stderr}")
    try:
        wav, sr = sf.read(io.BytesIO(result.stdout), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError) as error:
        raise DiffmmError(f"{name}: pipe '{command}' did not write audio: {error}") from error
    wav = wav.mean(axis=1)
    if sample_rate is not None and sr != sample_rate:
        wav, sr = resample(wav, sr, sample_rate), sample_rate
    return wav, sr


def load_utterance(datadir: DataDir | str | Path, utt_id: str, sample_rate: int) -> np.ndarray:
    """The utterance's float32 waveform at ``sample_rate`` (cut from its recording if segmented)."""
    data = datadir if isinstance(datadir, DataDir) else DataDir.load(datadir)
    if data.segments is None:
        if utt_id not in data.wav_scp:
            raise DiffmmError(f"utterance '{utt_id}' not in {data.path or 'data dir'}/wav.scp")
        return read_recording(data.wav_scp[utt_id], sample_rate, name=utt_id)[0]
    if utt_id not in data.segments:
        raise DiffmmError(f"utterance '{utt_id}' not in {data.path or 'data dir'}/segments")
    recording, start, end = data.segments[utt_id]
    if recording not in data.wav_scp:
        raise DiffmmError(f"recording '{recording}' of '{utt_id}' not in wav.scp")
    # Read the whole recording at the target rate, then cut: segment times are in seconds.
    wav, _ = read_recording(data.wav_scp[recording], sample_rate, name=recording)
    first, last = round(start * sample_rate), round(end * sample_rate)
    if len(wav) < last <= len(wav) + round(SEGMENT_END_TOLERANCE_S * sample_rate):
        last = len(wav)
    if not 0 <= first < last <= len(wav):
        raise DiffmmError(
            f"segment {utt_id} [{start}, {end}] s is outside recording '{recording}' "
            f"({len(wav) / sample_rate:.3f} s)"
        )
    return wav[first:last]


def validate_data_dir(directory: str | Path, *, check_files: bool = True) -> DataDir:
    """Check a data dir like Kaldi's utils/validate_data_dir.sh; return it loaded.

    Checks: wav.scp, utt2spk and spk2utt exist; every file sorted (byte order) with unique keys;
    spk2utt is exactly the inverse of utt2spk; text (if present) has the utterances of utt2spk;
    without segments wav.scp has them too, with segments every recording exists in wav.scp and
    0 <= start < end. With ``check_files``: every wav.scp path exists (pipes are not run) and
    segments end within their recording. All problems are reported together, each as FILE:LINE.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise DiffmmError(f"data dir not found: {directory}")
    problems: list[str] = []
    lines: dict[str, list[tuple[int, str, str]]] = {}
    for name in ("wav.scp", "utt2spk", "spk2utt", "text", "segments"):
        path = directory / name
        if not path.is_file():
            if name in ("wav.scp", "utt2spk", "spk2utt"):
                problems.append(f"{path}: required file missing")
            continue
        try:
            lines[name] = read_kaldi_lines(path)
        except DiffmmError as error:
            problems.append(str(error))
            continue
        problems += _order_problems(path, lines[name])
    if problems:
        _raise(directory, problems)

    utt_line = {key: lineno for lineno, key, _ in lines["utt2spk"]}
    problems += _spk2utt_problems(directory, lines["spk2utt"], lines["utt2spk"])
    if "text" in lines:
        problems += _key_set_problems(directory / "text", lines["text"], utt_line, "utt2spk")
    wav_path = directory / "wav.scp"
    if "segments" in lines:
        problems += _segment_problems(directory, lines["segments"], lines["wav.scp"], check_files)
        problems += _key_set_problems(
            directory / "segments", lines["segments"], utt_line, "utt2spk"
        )
    else:
        problems += _key_set_problems(wav_path, lines["wav.scp"], utt_line, "utt2spk")
    if check_files:
        for lineno, key, entry in lines["wav.scp"]:
            if not entry:
                problems.append(f"{wav_path}:{lineno}: '{key}' has no file")
            elif not is_pipe(entry) and not Path(entry).is_file():
                problems.append(f"{wav_path}:{lineno}: '{key}': file not found: {entry}")
    if problems:
        _raise(directory, problems)
    return DataDir.load(directory)


def _raise(directory: Path, problems: list[str]) -> None:
    shown = problems[:MAX_REPORTED_PROBLEMS]
    more = len(problems) - len(shown)
    suffix = f"\n  ... and {more} more" if more else ""
    raise DiffmmError(f"invalid data dir {directory}:\n  " + "\n  ".join(shown) + suffix)


def _order_problems(path: Path, entries: list[tuple[int, str, str]]) -> list[str]:
    problems = []
    seen: dict[str, int] = {}
    previous: str | None = None
    for lineno, key, _ in entries:
        if key in seen:
            problems.append(f"{path}:{lineno}: duplicate key '{key}' (first at line {seen[key]})")
        elif previous is not None and _byte_order(key) < _byte_order(previous):
            problems.append(
                f"{path}:{lineno}: not sorted: '{key}' after '{previous}' (use LC_ALL=C sort)"
            )
        seen.setdefault(key, lineno)
        previous = key
    return problems


def _key_set_problems(
    path: Path, entries: list[tuple[int, str, str]], reference: dict[str, int], reference_name: str
) -> list[str]:
    keys = {key for _, key, _ in entries}
    problems = [
        f"{path}:{lineno}: '{key}' is not in {reference_name}"
        for lineno, key, _ in entries
        if key not in reference
    ]
    problems += [
        f"{path.parent / reference_name}:{lineno}: '{key}' is missing from {path.name}"
        for key, lineno in reference.items()
        if key not in keys
    ]
    return problems


def _spk2utt_problems(
    directory: Path, spk2utt: list[tuple[int, str, str]], utt2spk: list[tuple[int, str, str]]
) -> list[str]:
    path = directory / "spk2utt"
    speaker_of = {utt: spk for _, utt, spk in utt2spk}
    problems = []
    listed: dict[str, int] = {}
    for lineno, spk, rest in spk2utt:
        utts = rest.split()
        if not utts:
            problems.append(f"{path}:{lineno}: speaker '{spk}' has no utterances")
        for utt in utts:
            if utt in listed:
                problems.append(f"{path}:{lineno}: '{utt}' listed twice (also line {listed[utt]})")
            listed[utt] = lineno
            if speaker_of.get(utt) != spk:
                problems.append(
                    f"{path}:{lineno}: '{utt}' listed under speaker '{spk}' but utt2spk says "
                    f"{speaker_of.get(utt, 'nothing')!r}"
                )
    for lineno, utt, spk in utt2spk:
        if utt not in listed:
            problems.append(
                f"{directory / 'utt2spk'}:{lineno}: '{utt}' (speaker '{spk}') not in spk2utt"
            )
    return problems


def _segment_problems(
    directory: Path,
    segments: list[tuple[int, str, str]],
    wav_scp: list[tuple[int, str, str]],
    check_files: bool,
) -> list[str]:
    path = directory / "segments"
    recordings = {key: entry for _, key, entry in wav_scp}
    durations: dict[str, float] = {}
    problems = []
    for lineno, utt, rest in segments:
        parts = rest.split()
        try:
            if len(parts) != 3:
                raise ValueError
            recording, start, end = parts[0], float(parts[1]), float(parts[2])
        except ValueError:
            problems.append(f"{path}:{lineno}: expected '<utt> <recording> <start> <end>'")
            continue
        if recording not in recordings:
            problems.append(f"{path}:{lineno}: recording '{recording}' of '{utt}' not in wav.scp")
            continue
        if not 0.0 <= start < end:
            problems.append(f"{path}:{lineno}: '{utt}' needs 0 <= start < end, got {start} {end}")
            continue
        entry = recordings[recording]
        if not check_files or is_pipe(entry) or not Path(entry).is_file():
            continue
        if recording not in durations:
            try:
                durations[recording] = sf.info(entry).duration
            except (sf.LibsndfileError, RuntimeError) as error:
                problems.append(f"{directory / 'wav.scp'}: cannot read '{entry}': {error}")
                durations[recording] = float("inf")
        if end > durations[recording] + SEGMENT_END_TOLERANCE_S:
            problems.append(
                f"{path}:{lineno}: '{utt}' ends at {end} s, after the end of '{recording}' "
                f"({durations[recording]:.3f} s)"
            )
    return problems
