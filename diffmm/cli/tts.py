"""``diffmm tts``: text → mel with a ``gradtts`` bundle → waveform with a vocoder bundle.

    diffmm tts --acoustic BUNDLE [--vocoder BUNDLE] (--text "..." | --text-file F) -o OUTDIR

One wav per utterance (``--text``: ``utt0001.wav``; ``--text-file``: one per non-blank line,
``<file stem>_<line>.wav``, or named by the line's first field with ``--ids``, as in a Kaldi
``text`` file). Without ``--vocoder`` the waveform comes from Griffin–Lim, so the command
always produces audio; ``--mel-only`` writes the (n_mels, frames) mels as .npy instead. The
vocoder's mel preset must be the acoustic model's. ``--speaker NAME`` picks a multi-speaker
model's voice (default: its first speaker). Prints the real-time factor of each part.
Outputs follow ``diffmm.cli.outputs``: existing files are kept unless ``--overwrite``, two
utterances of one id are refused, and each file appears only once complete.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
from tqdm.auto import tqdm

from diffmm.atomic import atomic_path
from diffmm.cli.options import add_precision_option
from diffmm.cli.outputs import add_overwrite_option, check_outputs, output_folder
from diffmm.diffusion.samplers import SAMPLERS
from diffmm.errors import DiffmmError
from diffmm.models.precision import check_precision

if TYPE_CHECKING:
    from diffmm.models.gradtts.synthesizer import TextToMel


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("tts", help="text to speech (Grad-TTS, flow matching, PriorGrad-AM)")
    parser.add_argument("bundle", nargs="?", help="acoustic (gradtts) bundle; or --acoustic")
    parser.add_argument("--acoustic", help="acoustic (gradtts) bundle directory")
    parser.add_argument("--vocoder", help="DiffWave/PriorGrad bundle (default: Griffin-Lim)")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--text", help="one sentence to synthesise")
    source.add_argument("--text-file", help="a UTF-8 file, one sentence per line")
    parser.add_argument("--ids", action="store_true", help="each line starts with its utterance id")
    parser.add_argument("-o", "--output-dir", required=True)
    parser.add_argument("--sampler", choices=sorted(SAMPLERS), help="default: the bundle's")
    parser.add_argument("--steps", type=int, help="decoder steps (default: the bundle's)")
    parser.add_argument(
        "--temperature", type=float, help="τ: x_T = μ + ε/τ (default: the bundle's)"
    )
    parser.add_argument("--length-scale", type=float, default=1.0, help=">1 speaks more slowly")
    parser.add_argument("--speaker", help="a multi-speaker bundle's speaker (default: its first)")
    parser.add_argument("--mel-only", action="store_true", help="write <utt>.npy mels, no audio")
    parser.add_argument("--plot", action="store_true", help="write <utt>.png: mel and alignment")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu")
    add_precision_option(parser)
    add_overwrite_option(parser)
    parser.set_defaults(run=run)


def read_utterances(args: argparse.Namespace) -> list[tuple[str, str]]:
    """(utterance id, text) per sentence; blank lines of a text file are skipped with a warning."""
    if args.text is not None:
        return [("utt0001", args.text)]
    path = Path(args.text_file)
    if not path.is_file():
        raise DiffmmError(f"--text-file {path} does not exist")
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as err:
        raise DiffmmError(f"--text-file {path} is not UTF-8 text ({err.reason})") from None
    utterances = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            warnings.warn(f"{path}:{number}: blank line skipped", stacklevel=2)
            continue
        if args.ids:
            utt, _, text = line.strip().partition(" ")
            utterances.append((utt, text))
        else:
            utterances.append((f"{path.stem}_{number:04d}", line))
    if not utterances:
        raise DiffmmError(f"--text-file {path} holds no text")
    return utterances


def encode_all(tts: TextToMel, utterances: list[tuple[str, str]]) -> tuple[list, list[str]]:
    """Token ids per readable utterance, and a message per unreadable one."""
    encoded, failures = [], []
    for utt, text in utterances:
        try:
            encoded.append((utt, tts.encode(text)))
        except DiffmmError as err:
            if len(utterances) == 1:
                raise
            failures.append(f"{utt}: {err}")
            print(f"diffmm tts: skipping {utt}: {err}", file=sys.stderr)
    if not encoded:
        raise DiffmmError(f"none of the {len(utterances)} sentences could be read")
    return encoded, failures


def run(args: argparse.Namespace) -> int:
    from diffmm.audio.io import save_audio
    from diffmm.audio.mel import check_same_preset
    from diffmm.models.gradtts.synthesizer import TextToMel

    acoustic = args.acoustic or args.bundle
    if not acoustic or (args.acoustic and args.bundle):
        raise DiffmmError("give the acoustic bundle once: as BUNDLE or as --acoustic")
    if args.steps is not None and args.steps < 1:
        raise DiffmmError("--steps must be positive")
    check_precision(args.dtype, args.device)
    utterances = read_utterances(args)
    out_dir = output_folder(args.output_dir)
    suffixes = (".npy" if args.mel_only else ".wav",) + ((".png",) if args.plot else ())
    check_outputs(
        [(f"utterance {utt}", out_dir / f"{utt}{s}") for utt, _ in utterances for s in suffixes],
        inputs=[args.text_file] if args.text_file else [],
        overwrite=args.overwrite,
    )
    tts = TextToMel.from_bundle(acoustic, device=args.device)
    tts.speaker_index(args.speaker)  # an unknown speaker fails before any output
    vocoder = None
    if args.vocoder and not args.mel_only:
        from diffmm.models.vocoder import Vocoder

        vocoder = Vocoder.from_bundle(args.vocoder, device=args.device)
        check_same_preset(tts.mel_preset, vocoder.mel_preset, what=f"vocoder {args.vocoder}")
    encoded, failures = encode_all(tts, utterances)

    out_dir.mkdir(parents=True, exist_ok=True)
    generator = torch.Generator(args.device).manual_seed(args.seed)
    preset = tts.mel_preset
    audio_seconds, acoustic_seconds, vocoder_seconds = 0.0, 0.0, 0.0
    steps = args.steps or tts.sampling.steps
    with tqdm(total=len(encoded) * steps, desc="tts", unit="step") as bar:
        for utt, ids in encoded:
            start = time.perf_counter()
            synthesis = tts.mel_from_tokens(
                [ids],
                sampler=args.sampler,
                steps=args.steps,
                temperature=args.temperature,
                length_scale=args.length_scale,
                generator=generator,
                callback=lambda _: bar.update(1),
                dtype=args.dtype,
                speaker=args.speaker,
            )[0]
            acoustic_seconds += time.perf_counter() - start
            mel = synthesis.mel.numpy()
            audio_seconds += mel.shape[1] * preset.hop_length / preset.sample_rate
            if args.plot:
                from diffmm.models.gradtts.plot import plot_alignment

                symbols = tts.symbol_table.decode(synthesis.tokens.tolist())
                with atomic_path(out_dir / f"{utt}.png") as temporary:
                    plot_alignment(mel, synthesis.durations.tolist(), symbols, temporary)
            if args.mel_only:
                with atomic_path(out_dir / f"{utt}.npy") as temporary:
                    np.save(temporary, mel)
                continue
            start = time.perf_counter()
            wav = waveform(mel, tts, vocoder, generator, args.dtype)
            vocoder_seconds += time.perf_counter() - start
            with atomic_path(out_dir / f"{utt}.wav") as temporary:
                save_audio(temporary, wav, preset.sample_rate)
    total = max(audio_seconds, 1e-9)
    vocoder_name = "mel only" if args.mel_only else ("vocoder" if vocoder else "Griffin-Lim")
    print(
        f"wrote {len(encoded)} utterances to {out_dir}: {audio_seconds:.2f} s of speech; "
        f"real-time factor acoustic {acoustic_seconds / total:.3f}, {vocoder_name} "
        f"{vocoder_seconds / total:.3f}, total {(acoustic_seconds + vocoder_seconds) / total:.3f} "
        f"({args.device}, {args.dtype})"
    )
    if failures:
        print(f"diffmm tts: {len(failures)} of {len(utterances)} sentences failed", file=sys.stderr)
        return 1
    return 0


def waveform(mel: np.ndarray, tts: TextToMel, vocoder, generator, dtype: str) -> np.ndarray:
    """The vocoder's waveform of ``mel`` (its default fast schedule), else Griffin–Lim's."""
    if vocoder is None:
        from diffmm.audio.griffin_lim import griffin_lim

        return griffin_lim(mel, tts.mel_preset)
    return vocoder.vocode([torch.from_numpy(mel)], generator=generator, dtype=dtype)[0].numpy()
