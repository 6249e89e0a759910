"""Score generated speech against its references: ``diffmm evaluate speech`` and egs stage 7.

    diffmm evaluate speech --gen-dir DIR (--ref-dir DIR | --ref-scp wav.scp) -o OUT
        [--text data/test/text --wer] [--dnsmos] [--durations LABS]

(``python -m diffmm.metrics.score_speech`` takes the same options.) Files are paired by
utterance id: the file stem in a directory (``LJ001-0001.wav``), the key in a Kaldi ``wav.scp``
(cut by a ``segments`` file lying beside it, if any). Both sides are read at one sample rate:
``--sample-rate``, else the rate of the first generated file (references at another rate are
resampled, with a warning). Metrics per utterance:

- log-mel L1, MR-STFT, log-F0 RMSE and V/UV error (frame by frame), PESQ, STOI
  (``diffmm.metrics.audio``, on the two waveforms trimmed to one length);
- with ``--mcd-align dtw`` (the default) MCD and ``log_f0_rmse_dtw_cents`` on the untrimmed
  waveforms paired along one DTW path (``diffmm.metrics.pitch_alignment``): the F0 error of
  speech whose timing differs from the recording (TTS); ``--mcd-align none``: MCD frame by frame;
- ``duration_error``: |T̂ − T| / T of the utterance lengths; ``phone_duration_mae_ms`` with
  ``--durations`` (reference phone segmentation, ``diffmm.metrics.duration_alignment``);
- ``--dnsmos``: DNSMOS P.835 SIG/BAK/OVRL and P.808 of the generated audio (``speechmos``);
- ``--wer``: word error rate of PocketSphinx's transcript of the generated audio against
  ``--text`` (Kaldi ``text``: ``<utt> words...``); the corpus WER pools the errors and words.

Writes into OUT:

- ``scores.json``: settings, per-metric mean over utterances (NaN values left out, with their
  count), every utterance's scores (null where a metric could not be computed), transcripts;
- ``scores.md``: the same as a markdown table, the mean in the last row;
- ``spectrograms.png``: reference vs generated log-mel for the first (up to 4) utterances;
- ``plots/<utt>.png`` per utterance: the generated log-mel with the reference phones carried
  over by DTW where ``--durations`` covers it (the figure of ``diffmm tts --plot``), else the
  reference vs generated log-mel. A ``<utt>.png`` beside a generated file (the synthesiser's
  own alignment, from ``diffmm tts --plot``) is named in scores.json as ``tts_alignment_plot``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import soundfile as sf

from diffmm.atomic import atomic_path, write_text_atomic
from diffmm.audio.datadir import read_kaldi_map
from diffmm.audio.io import load_audio
from diffmm.audio.mel import MEL_PRESETS
from diffmm.audio.plot import plot_spectrogram_pairs
from diffmm.cli.outputs import add_overwrite_option, check_outputs
from diffmm.errors import DiffmmError, run_entry_point
from diffmm.metrics.audio import METRICS, log_mel, mel_preset_for, score_pair
from diffmm.metrics.dnsmos import DNSMOS_KEYS, check_dnsmos_installed, dnsmos_scores
from diffmm.metrics.duration_alignment import (
    PhoneSegmentation,
    phone_duration_error_ms,
    read_reference_durations,
)
from diffmm.metrics.mcd import ALIGNMENTS
from diffmm.metrics.pitch import F0_METHODS
from diffmm.metrics.pitch_alignment import dtw_mcd_and_log_f0_rmse
from diffmm.metrics.speech_pairs import (
    Loader,
    audio_files,
    directory_loaders,
    missing_ids,
    paired_ids,
    scp_loaders,
)
from diffmm.metrics.speech_recognition import SpeechRecogniser, check_recogniser_installed
from diffmm.metrics.waveform_pair import MetricUnavailableError
from diffmm.metrics.wer import word_errors

# metric -> (column title, higher is better), in table order
COLUMNS: dict[str, tuple[str, bool]] = {
    "log_mel_l1": ("log-mel L1 ↓", False),
    "mr_stft": ("MR-STFT ↓", False),
    "mcd_db": ("MCD dB ↓", False),
    "log_f0_rmse_cents": ("log-F0 RMSE cents ↓", False),
    "log_f0_rmse_dtw_cents": ("log-F0 RMSE DTW cents ↓", False),
    "vuv_error": ("V/UV error ↓", False),
    "pesq_wb": ("PESQ-WB ↑", True),
    "stoi": ("STOI ↑", True),
    "duration_error": ("length error ↓", False),
    "phone_duration_mae_ms": ("phone duration error ms ↓", False),
    "dnsmos_ovrl": ("DNSMOS OVRL ↑", True),
    "dnsmos_sig": ("DNSMOS SIG ↑", True),
    "dnsmos_bak": ("DNSMOS BAK ↑", True),
    "dnsmos_p808": ("DNSMOS P.808 ↑", True),
    "wer": ("WER ↓", False),
}


def finite_or_none(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def summarize(
    per_utt: dict[str, dict[str, float]], names: Sequence[str]
) -> dict[str, dict[str, float | int | None]]:
    """Per metric: mean over utterances where it is finite, that count, and its direction."""
    summary = {}
    for name in names:
        values = np.array([scores[name] for scores in per_utt.values()], dtype=np.float64)
        finite = values[np.isfinite(values)]
        summary[name] = {
            "mean": float(finite.mean()) if finite.size else None,
            "count": int(finite.size),
            "higher_is_better": COLUMNS[name][1],
        }
    return summary


def markdown_table(per_utt: dict[str, dict[str, float]], means: dict[str, float | None]) -> str:
    def cell(value: float | None) -> str:
        return "–" if value is None or math.isnan(value) else f"{value:.4g}"

    header = ["utterance", *(COLUMNS[name][0] for name in means)]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for utt, scores in per_utt.items():
        lines.append("| " + " | ".join([utt, *(cell(scores[n]) for n in means)]) + " |")
    lines.append("| **mean** | " + " | ".join(cell(means[n]) for n in means) + " |")
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
    texts: dict[str, str] | None = None,
    durations: dict[str, PhoneSegmentation] | None = None,
    dnsmos: bool = False,
) -> dict:
    """Score every pair, write scores.json, scores.md and the plots; return the JSON.

    ``texts`` (utterance id → what was meant to be said) turns on the WER, ``durations`` the
    phone duration error for the utterances it covers, ``dnsmos`` the DNSMOS scores.
    """
    utt_ids = paired_ids(list(references), list(generated))
    if texts is not None:
        missing_ids(utt_ids, list(texts), "the text")
        check_recogniser_installed()
    if dnsmos:
        check_dnsmos_installed()
    if durations is not None and not set(durations) & set(utt_ids):
        raise DiffmmError("the reference durations cover none of the scored utterances")
    names = [*METRICS, *(["log_f0_rmse_dtw_cents"] if mcd_align == "dtw" else []), "duration_error"]
    names += ["phone_duration_mae_ms"] if durations is not None else []
    names += list(DNSMOS_KEYS) if dnsmos else []
    names += ["wer"] if texts is not None else []
    recogniser = SpeechRecogniser() if texts is not None else None
    if sample_rate is None:
        sample_rate = sf.info(str(generated[utt_ids[0]])).samplerate
    preset = mel_preset_for(mel_preset, sample_rate)
    frame_s = preset.hop_length / sample_rate
    out_dir = Path(out_dir)
    per_utt: dict[str, dict[str, float]] = {}
    extra: dict[str, dict] = {}  # per utterance: lengths, transcript, plots
    word_counts = np.zeros(2, dtype=np.int64)  # errors, reference words over all utterances
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
        if mcd_align == "dtw":  # the whole waveforms, untrimmed, on one DTW path
            scores["log_f0_rmse_dtw_cents"] = math.nan
            try:
                scores["mcd_db"], scores["log_f0_rmse_dtw_cents"] = dtw_mcd_and_log_f0_rmse(
                    reference, output, sample_rate, f0_method=f0_method
                )
            except (MetricUnavailableError, ValueError) as error:
                warnings.warn(f"DTW MCD and log-F0 RMSE skipped: {error}", stacklevel=2)
        scores["duration_error"] = abs(len(output) - len(reference)) / len(reference)
        extra[utt] = {"length_difference_samples": len(output) - len(reference)}
        mel_ref, mel_gen = log_mel(reference, preset), log_mel(output, preset)
        segmentation = durations.get(utt) if durations is not None else None
        if durations is not None:
            scores["phone_duration_mae_ms"] = math.nan
        if segmentation is not None:
            error_ms, frames = phone_duration_error_ms(mel_ref.T, mel_gen.T, segmentation, frame_s)
            scores["phone_duration_mae_ms"] = error_ms
        if dnsmos:
            scores.update(dnsmos_scores(output, sample_rate))
        if recogniser is not None:
            transcript = recogniser.transcribe(output, sample_rate)
            errors = word_errors(texts[utt], transcript)
            scores["wer"] = errors.rate
            word_counts += (errors.errors, errors.reference_words)
            extra[utt]["transcript"] = transcript
        plot = out_dir / "plots" / f"{utt}.png"
        with atomic_path(plot) as temporary:
            if segmentation is not None:
                from diffmm.models.gradtts.plot import plot_alignment

                plot_alignment(mel_gen, frames.tolist(), segmentation.labels, temporary)
            else:
                plot_spectrogram_pairs([(utt, mel_ref, mel_gen)], temporary, frame_seconds=frame_s)
        extra[utt]["plot"] = str(plot.relative_to(out_dir))
        if generated[utt].with_suffix(".png").is_file():
            extra[utt]["tts_alignment_plot"] = str(generated[utt].with_suffix(".png"))
        per_utt[utt] = scores
        if len(plotted) < plot_utterances:
            plotted.append((utt, mel_ref, mel_gen))

    summary = summarize(per_utt, names)
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
            utt: {**{name: finite_or_none(value) for name, value in scores.items()}, **extra[utt]}
            for utt, scores in per_utt.items()
        },
    }
    if texts is not None:
        errors, words = (int(n) for n in word_counts)
        result["corpus_wer"] = {
            "wer": errors / words if words else None,
            "errors": errors,
            "reference_words": words,
            "recogniser": "pocketsphinx (default US-English model)",
        }
    out_dir.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out_dir / "scores.json", json.dumps(result, indent=2) + "\n")
    write_text_atomic(out_dir / "scores.md", markdown_table(per_utt, means))
    if plotted:
        plot_spectrogram_pairs(plotted, out_dir / "spectrograms.png", frame_seconds=frame_s)
    return result


def add_arguments(parser: argparse.ArgumentParser) -> None:
    refs = parser.add_mutually_exclusive_group(required=True)
    refs.add_argument("--ref-dir", help="directory of reference wav/flac files (id = file stem)")
    refs.add_argument("--ref-scp", help="Kaldi wav.scp of the references (segments beside it)")
    parser.add_argument("--gen-dir", required=True, help="directory of generated wav/flac files")
    parser.add_argument(
        "-o", "--out-dir", required=True, help="where scores.json/.md and the PNGs go"
    )
    parser.add_argument("--text", help="Kaldi text (<utt> words...) of the utterances, for --wer")
    parser.add_argument(
        "--wer", action="store_true", help="word error rate of PocketSphinx's transcript"
    )
    parser.add_argument("--dnsmos", action="store_true", help="DNSMOS of the generated audio")
    parser.add_argument(
        "--durations",
        help="reference phone segmentation: a folder of <utt>.lab (HTK/HTS) or a file of "
        "'<utt> seconds...' lines",
    )
    parser.add_argument(
        "--sample-rate",
        type=int,
        default=None,
        help="scoring rate (default: the first generated file's rate)",
    )
    parser.add_argument("--mel-preset", default="hifigan", choices=sorted(MEL_PRESETS))
    parser.add_argument("--f0-method", default="dio", choices=F0_METHODS)
    parser.add_argument("--mcd-align", default="dtw", choices=ALIGNMENTS)
    parser.add_argument("--plot-utterances", type=int, default=4, help="rows of spectrograms.png")
    parser.add_argument(
        "--extras-if-installed",
        action="store_true",
        help="skip --dnsmos/--wer with a warning when their packages are missing (egs stage 7)",
    )
    add_overwrite_option(parser)


def installed(requested: bool, check: Callable[[], None], if_installed: bool) -> bool:
    """Is a requested optional metric to run? Missing packages: an error, or with
    ``if_installed`` a one-line warning and the metric left out."""
    if not requested:
        return False
    try:
        check()
    except DiffmmError as error:
        if not if_installed:
            raise
        warnings.warn(f"skipped: {error}", stacklevel=2)
        return False
    return True


def run(args: argparse.Namespace) -> int:
    if args.wer and not args.text:
        raise DiffmmError("--wer needs --text (a Kaldi text file: <utt> words...)")
    wer = installed(args.wer, check_recogniser_installed, args.extras_if_installed)
    dnsmos = installed(args.dnsmos, check_dnsmos_installed, args.extras_if_installed)
    references = directory_loaders(args.ref_dir) if args.ref_dir else scp_loaders(args.ref_scp)
    generated = audio_files(args.gen_dir)
    texts = None
    if wer:
        if not Path(args.text).is_file():
            raise DiffmmError(f"--text {args.text} does not exist")
        texts = read_kaldi_map(args.text)
    out = Path(args.out_dir)
    plots = [(f"plot of {utt}", out / "plots" / f"{utt}.png") for utt in generated]
    check_outputs(
        [
            ("scores", out / "scores.json"),
            ("table", out / "scores.md"),
            ("figure", out / "spectrograms.png"),
            *plots,
        ],
        overwrite=args.overwrite,
    )
    result = score_utterances(
        references,
        generated,
        out,
        sample_rate=args.sample_rate,
        mel_preset=args.mel_preset,
        f0_method=args.f0_method,
        mcd_align=args.mcd_align,
        plot_utterances=args.plot_utterances,
        texts=texts,
        durations=read_reference_durations(args.durations) if args.durations else None,
        dnsmos=dnsmos,
    )
    print((out / "scores.md").read_text(), end="")
    if "corpus_wer" in result and result["corpus_wer"]["wer"] is not None:
        wer = result["corpus_wer"]
        print(f"corpus WER {wer['wer']:.4f} ({wer['errors']} errors / {wer['reference_words']})")
    print(f"{result['num_utterances']} utterances scored; results in {out}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m diffmm.metrics.score_speech",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(run_entry_point("diffmm.metrics.score_speech", main))
