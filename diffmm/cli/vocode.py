"""``diffmm vocode BUNDLE``: mel spectrograms → waveforms with a DiffWave or PriorGrad bundle.

    diffmm vocode BUNDLE --mel a.npy [b.npy ...] -o OUT       (n_mels, frames) arrays
    diffmm vocode BUNDLE --feats-scp dump/valid/feats.scp -o OUT
    diffmm vocode BUNDLE --wav-dir wavs/ -o OUT               copy-synthesis from wav/flac

By default DiffWave's 6-step fast schedule; ``--steps N`` runs the training schedule respaced
to N steps (N = T: the full schedule) with any engine ``--sampler``. Utterances are vocoded
in batches (sorted by length, padded, cropped back) with the conditioner computed once per
batch. A file that cannot be read or does not fit the bundle is reported by name; the others
are still written and the exit code is 1. ``OUT/<utt>.wav`` follows ``diffmm.cli.outputs``:
existing wavs are kept unless ``--overwrite``, two inputs of one stem are refused, and each
wav appears only once complete.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
from tqdm.auto import tqdm

from diffmm.atomic import atomic_path
from diffmm.cli.options import add_precision_option, check_writable
from diffmm.cli.outputs import add_overwrite_option, check_outputs, output_folder
from diffmm.diffusion.samplers import SAMPLERS
from diffmm.errors import DiffmmError
from diffmm.models.precision import check_precision

if TYPE_CHECKING:
    from torch import Tensor

    from diffmm.models.vocoder import Vocoder

AUDIO_SUFFIXES = (".wav", ".flac")


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("vocode", help="mel spectrograms to waveforms (DiffWave, PriorGrad)")
    parser.add_argument("bundle", help="vocoder bundle directory")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--mel", nargs="+", help="(n_mels, frames) .npy file(s)")
    source.add_argument("--feats-scp", help="feats.scp index of per-utterance .npy mels")
    source.add_argument("--wav-dir", help="folder of wav/flac files (copy-synthesis)")
    parser.add_argument("-o", "--output-dir", required=True, help="where <utt>.wav are written")
    parser.add_argument("--sampler", default="ddpm", choices=sorted(SAMPLERS))
    parser.add_argument(
        "--steps", type=int, default=None, help="steps of the training schedule (default: --fast)"
    )
    parser.add_argument(
        "--fast", action="store_true", help="DiffWave's 6-step fast schedule (the default)"
    )
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument(
        "--no-resample",
        action="store_true",
        help="--wav-dir: reject files at another sample rate instead of resampling them",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu")
    add_precision_option(parser)
    add_overwrite_option(parser)
    parser.set_defaults(run=run)


MelLoader = Callable[[], "Tensor"]


def mel_sources(args: argparse.Namespace, vocoder: Vocoder) -> list[tuple[str, str, MelLoader]]:
    """(utterance id, file name for messages, loader returning a checked mel) per input."""
    if args.mel:
        return [(Path(p).stem, p, lambda p=p: read_mel(p, vocoder)) for p in args.mel]
    if args.feats_scp:
        from diffmm.audio.features import read_feats_scp

        if not Path(args.feats_scp).is_file():
            raise DiffmmError(f"--feats-scp {args.feats_scp} does not exist")
        check_dump_preset(Path(args.feats_scp).parent, vocoder, args.feats_scp)
        return [
            (utt, path, lambda u=utt, p=path: vocoder.check_mel(read_npy(p), f"{u} ({p})"))
            for utt, path in read_feats_scp(args.feats_scp).items()
        ]
    folder = Path(args.wav_dir)
    if not folder.is_dir():
        raise DiffmmError(f"--wav-dir {folder} is not a directory")
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in AUDIO_SUFFIXES)
    if not files:
        raise DiffmmError(f"--wav-dir {folder} holds no {'/'.join(AUDIO_SUFFIXES)} files")

    def from_wav(path: Path):
        from diffmm.audio.io import load_audio

        wav, _ = load_audio(
            path, sample_rate=vocoder.sample_rate, allow_resample=not args.no_resample
        )
        if wav.shape[0] < vocoder.hop:
            raise DiffmmError(f"{path}: {wav.shape[0]} samples, shorter than one frame")
        return vocoder.mel_from_wav(wav)

    return [(p.stem, str(p), lambda p=p: from_wav(p)) for p in files]


def check_dump_preset(dump_dir: Path, vocoder: Vocoder, what: str) -> None:
    """Refuse features whose dump records another mel preset than the bundle's."""
    from diffmm.audio.features import PRESET_FILE, load_preset
    from diffmm.audio.mel import check_same_preset

    if (dump_dir / PRESET_FILE).is_file():
        check_same_preset(vocoder.mel_preset, load_preset(dump_dir / PRESET_FILE), what=what)


def read_mel(path: str, vocoder: Vocoder) -> Tensor:
    """A loose .npy mel, checked against the preset its dump recorded (in its folder or the
    folder above, the layout of ``diffmm.audio.features``) when there is one."""
    for folder in (Path(path).parent, Path(path).parent.parent):
        check_dump_preset(folder, vocoder, path)
    return vocoder.check_mel(read_npy(path), path)


def read_npy(path: str | Path) -> np.ndarray:
    """A numeric array from a .npy file (never pickled objects), or a DiffmmError naming it."""
    path = Path(path)
    if not path.is_file():
        raise DiffmmError(f"mel file not found: {path}")
    try:
        array = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as err:
        raise DiffmmError(f"cannot read mel file {path}: {err}") from err
    if not np.issubdtype(array.dtype, np.number):
        raise DiffmmError(f"mel file {path} holds {array.dtype} values, not numbers")
    return array


def run(args: argparse.Namespace) -> int:
    from diffmm.audio.io import save_audio
    from diffmm.models.vocoder import Vocoder

    if args.batch_size < 1:
        raise DiffmmError("--batch-size must be positive")
    out_dir = output_folder(args.output_dir)
    check_writable(out_dir / "utt.wav")
    vocoder = Vocoder.from_bundle(args.bundle, device=args.device)
    check_precision(args.dtype, args.device)
    fast = True if args.fast else None
    # a bad --steps/--fast fails here, before any file is read
    steps_per_batch = vocoder.schedule(args.steps, fast).grid(args.steps).num_steps
    sources = mel_sources(args, vocoder)
    check_outputs(
        [(name, out_dir / f"{utt}.wav") for utt, name, _ in sources],
        inputs=[name for _, name, _ in sources],
        overwrite=args.overwrite,
    )

    mels, failures = [], []
    for utt, name, loader in sources:
        try:
            mels.append((utt, loader()))
        except (DiffmmError, ValueError) as err:  # unreadable, or does not fit the bundle
            if len(sources) == 1:
                raise
            failures.append(f"{name}: {err}")
            print(f"diffmm vocode: skipping {name}: {err}", file=sys.stderr)
    if not mels:
        raise DiffmmError(f"none of the {len(sources)} inputs could be read")

    mels.sort(key=lambda item: item[1].shape[-1], reverse=True)
    batches = [mels[i : i + args.batch_size] for i in range(0, len(mels), args.batch_size)]
    out_dir.mkdir(parents=True, exist_ok=True)
    generator = torch.Generator(args.device).manual_seed(args.seed)
    seconds_of_audio, seconds_of_compute = 0.0, 0.0
    with tqdm(total=len(batches) * steps_per_batch, desc="vocoding", unit="step") as bar:
        for batch in batches:
            start = time.perf_counter()
            waves = vocoder.vocode(
                [mel for _, mel in batch],
                sampler=args.sampler,
                steps=args.steps,
                fast=fast,
                generator=generator,
                callback=lambda _: bar.update(1),
                dtype=args.dtype,
            )
            seconds_of_compute += time.perf_counter() - start
            for (utt, _), wave in zip(batch, waves):
                with atomic_path(out_dir / f"{utt}.wav") as temporary:
                    save_audio(temporary, wave.numpy(), vocoder.sample_rate)
                seconds_of_audio += wave.numel() / vocoder.sample_rate
    rtf = seconds_of_compute / max(seconds_of_audio, 1e-9)
    print(
        f"wrote {len(mels)} files to {out_dir}: {seconds_of_audio:.2f} s of audio in "
        f"{seconds_of_compute:.2f} s, real-time factor {rtf:.3f} ({args.device}, {args.dtype})"
    )
    if failures:
        print(f"diffmm vocode: {len(failures)} of {len(sources)} inputs failed:", file=sys.stderr)
        for failure in failures:
            print(f"  {failure}", file=sys.stderr)
        return 1
    return 0
