"""Stage 7 of the speech egs: score generated audio against its references.

    python -m diffmm.metrics.score_speech (--ref-dir DIR | --ref-scp wav.scp) --gen-dir DIR --out-dir DIR

Files are paired by utterance id: the file stem in a directory (``LJ001-0001.wav``), the key
in a Kaldi ``wav.scp`` (cut by a ``segments`` file lying beside it, if any). Both sides are
read at one sample rate: ``--sample-rate``, else the rate of the first generated file
(references at another rate are resampled, with a warning). Writes

- ``scores.json``: settings, per-metric mean over utterances (NaN values left out, with their
  count), and every utterance's scores (null where a metric could not be computed);
- ``scores.md``: the same as a markdown table, the mean in the last row;
- ``spectrograms.png``: reference vs generated log-mel for the first (up to 4) utterances.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import soundfile as sf

from diffmm.atomic import write_text_atomic
from diffmm.audio.datadir import DataDir, load_utterance, read_kaldi_map, read_segments
from diffmm.audio.io import load_audio
from diffmm.audio.mel import MEL_PRESETS
from diffmm.audio.plot import plot_spectrogram_pairs
from diffmm.errors import DiffmmError, run_entry_point
from diffmm.metrics.audio import METRICS, log_mel, mel_preset_for, score_pair
from diffmm.metrics.mcd import ALIGNMENTS
from diffmm.metrics.pitch import F0_METHODS

AUDIO_SUFFIXES = (".wav", ".flac")
MAX_LISTED_IDS = 10
COLUMN_TITLES = {
    "log_mel_l1": "log-mel L1 ↓",
    "mr_stft": "MR-STFT ↓",
    "mcd_db": "MCD dB ↓",
    "log_f0_rmse_cents": "log-F0 RMSE cents ↓",
    "vuv_error": "V/UV error ↓",
    "pesq_wb": "PESQ-WB ↑",
    "stoi": "STOI ↑",
}
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


def finite_or_none(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def summarize(per_utt: dict[str, dict[str, float]]) -> dict[str, dict[str, float | int | None]]:
    """Per metric: mean over utterances where it is finite, that count, and its direction."""
    summary = {}
    for name, higher_is_better in METRICS.items():
        values = np.array([scores[name] for scores in per_utt.values()], dtype=np.float64)
        finite = values[np.isfinite(values)]
        summary[name] = {
            "mean": float(finite.mean()) if finite.size else None,
            "count": int(finite.size),
            "higher_is_better": higher_is_better,
        }
    return summary


def markdown_table(per_utt: dict[str, dict[str, float]], means: dict[str, float | None]) -> str:
    def cell(value: float | None) -> str:
        return "–" if value is None or math.isnan(value) else f"{value:.4g}"

    header = ["utterance", *(COLUMN_TITLES[name] for name in METRICS)]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for utt, scores in per_utt.items():
        lines.append("| " + " | ".join([utt, *(cell(scores[n]) for n in METRICS)]) + " |")
    lines.append("| **mean** | " + " | ".join(cell(means[n]) for n in METRICS) + " |")
    return "\n".join(lines) + "\n"


def score_utterances(
    references: dict[str, Loader],
    generated: dict[str, Path],
    out_dir: str | Path,
    *,
    sample_rate: int | None = None,
    mel_preset: str = "hifigan",
    f0_method: str = "dio",
    mcd_align: str = "dtw",
    plot_utterances: int = 4,
) -> dict:
    """Score every pair, write scores.json, scores.md and spectrograms.png; return the JSON."""
    utt_ids = paired_ids(list(references), list(generated))
    if sample_rate is None:
        sample_rate = sf.info(str(generated[utt_ids[0]])).samplerate
    preset = mel_preset_for(mel_preset, sample_rate)
    per_utt: dict[str, dict[str, float]] = {}
    length_difference: dict[str, int] = {}  # generated minus reference samples, before trimming
    plotted = []
    for utt in utt_ids:
        reference = references[utt](sample_rate)
        output = load_audio(generated[utt], sample_rate=sample_rate)[0]
        try:
            scores = score_pair(
                reference,
                output,
                sample_rate,
                mel_preset=preset,
                f0_method=f0_method,
                mcd_align=mcd_align,
            )
        except ValueError as error:
            raise DiffmmError(f"utterance '{utt}': {error}") from error
        per_utt[utt] = scores
        length_difference[utt] = len(output) - len(reference)
        if len(plotted) < plot_utterances:
            length = min(len(reference), len(output))
            plotted.append(
                (utt, log_mel(reference[:length], preset), log_mel(output[:length], preset))
            )

    summary = summarize(per_utt)
    means = {name: entry["mean"] for name, entry in summary.items()}
    result = {
        "sample_rate": sample_rate,
        "mel_preset": preset.to_dict(),
        "f0_method": f0_method,
        "mcd_align": mcd_align,
        "num_utterances": len(utt_ids),
        "mean": means,
        "metrics": summary,
        "utterances": {
            utt: {
                **{name: finite_or_none(value) for name, value in scores.items()},
                "length_difference_samples": length_difference[utt],
            }
            for utt, scores in per_utt.items()
        },
    }
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out_dir / "scores.json", json.dumps(result, indent=2) + "\n")
    write_text_atomic(out_dir / "scores.md", markdown_table(per_utt, means))
    if plotted:
        plot_spectrogram_pairs(
            plotted, out_dir / "spectrograms.png", frame_seconds=preset.hop_length / sample_rate
        )
    return result


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m diffmm.metrics.score_speech",
        description="Objective metrics of generated speech against references (egs stage 7).",
    )
    refs = parser.add_mutually_exclusive_group(required=True)
    refs.add_argument("--ref-dir", help="directory of reference wav/flac files (id = file stem)")
    refs.add_argument("--ref-scp", help="Kaldi wav.scp of the references (segments beside it)")
    parser.add_argument("--gen-dir", required=True, help="directory of generated wav/flac files")
    parser.add_argument("--out-dir", required=True, help="where scores.json/.md and the PNG go")
    parser.add_argument(
        "--sample-rate",
        type=int,
        default=None,
        help="scoring rate (default: the first generated file's rate)",
    )
    parser.add_argument("--mel-preset", default="hifigan", choices=sorted(MEL_PRESETS))
    parser.add_argument("--f0-method", default="dio", choices=F0_METHODS)
    parser.add_argument("--mcd-align", default="dtw", choices=ALIGNMENTS)
    parser.add_argument("--plot-utterances", type=int, default=4)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    references = directory_loaders(args.ref_dir) if args.ref_dir else scp_loaders(args.ref_scp)
    result = score_utterances(
        references,
        audio_files(args.gen_dir),
        args.out_dir,
        sample_rate=args.sample_rate,
        mel_preset=args.mel_preset,
        f0_method=args.f0_method,
        mcd_align=args.mcd_align,
        plot_utterances=args.plot_utterances,
    )
    print((Path(args.out_dir) / "scores.md").read_text(), end="")
    print(f"{result['num_utterances']} utterances scored; results in {args.out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(run_entry_point("diffmm.metrics.score_speech", main))
