"""Feature dumps (egs stage 2) and training-set statistics (egs stage 3).

    <out_dir>/feats/<utt>.npy     log-mel (n_mels, frames), float32
    <out_dir>/feats.scp           "<utt> <absolute path of the .npy>", sorted
    <out_dir>/utt2num_frames      "<utt> <frames>"
    <out_dir>/mel_preset.json     the preset the features were made with

Statistics (``compute_stats``), over every frame of every utterance:
    mel_mean, mel_std  (n_mels,)  per-bin mean and standard deviation of the log-mel
    energy_min, energy_max        extremes of PriorGrad's frame energy e_t = sqrt(Σ_k m_{k,t}),
                                  m the linear mel magnitude (``diffmm.audio.mel.frame_energy``)

    python -m diffmm.audio.features dump --data-dir data/train --out-dir dump/train --nj 2
    python -m diffmm.audio.features stats --feats-scp dump/train/feats.scp --out dump/train/stats
"""

from __future__ import annotations

import argparse
import json
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import torch
import yaml
from tqdm import tqdm

from diffmm.audio.datadir import (
    DataDir,
    load_utterance,
    read_kaldi_map,
    validate_data_dir,
    write_kaldi_map,
)
from diffmm.audio.mel import (
    MelPreset,
    MelSpectrogram,
    check_same_preset,
    frame_energy,
    get_mel_preset,
)
from diffmm.errors import DiffmmError, run_entry_point

PRESET_FILE = "mel_preset.json"
STATS_KEYS = ("mel_mean", "mel_std", "energy_min", "energy_max")

_worker_state: dict[str, object] = {}


def _init_worker(data: DataDir, preset: MelPreset, feats_dir: Path) -> None:
    torch.set_num_threads(1)
    _worker_state.update(data=data, preset=preset, feats_dir=feats_dir, mel=MelSpectrogram(preset))


def _dump_one(utt: str) -> tuple[str, str, int]:
    data, preset = _worker_state["data"], _worker_state["preset"]
    path = _worker_state["feats_dir"] / f"{utt}.npy"
    if path.is_file():  # a re-run resumes: the preset was checked against mel_preset.json
        return utt, str(path), int(np.load(path, mmap_mode="r").shape[1])
    wav = load_utterance(data, utt, preset.sample_rate)
    with torch.no_grad():
        mel = _worker_state["mel"](torch.from_numpy(wav))[0].numpy().astype(np.float32)
    tmp = path.with_suffix(".tmp.npy")
    np.save(tmp, mel)
    tmp.replace(path)
    return utt, str(path), mel.shape[1]


def dump_features(
    datadir: str | Path | DataDir, out_dir: str | Path, preset: MelPreset | str, *, nj: int = 1
) -> Path:
    """Write one log-mel .npy per utterance and the feats.scp index; returns feats.scp's path."""
    preset = get_mel_preset(preset) if isinstance(preset, str) else preset
    data = datadir if isinstance(datadir, DataDir) else validate_data_dir(datadir)
    out_dir = Path(out_dir).resolve()
    feats_dir = out_dir / "feats"
    feats_dir.mkdir(parents=True, exist_ok=True)
    preset_path = out_dir / PRESET_FILE
    if preset_path.is_file():
        check_same_preset(preset, load_preset(preset_path), what=f"existing dump {out_dir}")
    else:
        preset_path.write_text(json.dumps(preset.to_dict(), indent=2) + "\n")
    utts = data.utt_ids
    results = []
    progress = tqdm(total=len(utts), desc=f"mel {out_dir.name}", unit="utt", file=sys.stderr)
    if nj <= 1:
        _init_worker(data, preset, feats_dir)
        for utt in utts:
            results.append(_dump_one(utt))
            progress.update()
    else:
        with ProcessPoolExecutor(
            nj, initializer=_init_worker, initargs=(data, preset, feats_dir)
        ) as pool:
            for result in pool.map(_dump_one, utts, chunksize=4):
                results.append(result)
                progress.update()
    progress.close()
    write_kaldi_map(out_dir / "utt2num_frames", {u: str(n) for u, _, n in results})
    return write_kaldi_map(out_dir / "feats.scp", {u: p for u, p, _ in results})


def load_preset(path: str | Path) -> MelPreset:
    return MelPreset.from_dict(json.loads(Path(path).read_text()))


def read_feats_scp(path: str | Path) -> dict[str, str]:
    """utt -> .npy path (relative paths are taken relative to the scp's directory)."""
    path = Path(path)
    return {
        utt: str(entry if Path(entry).is_absolute() else path.parent / entry)
        for utt, entry in read_kaldi_map(path).items()
    }


def compute_stats(
    feats_scp: str | Path, preset: MelPreset | None = None
) -> dict[str, np.ndarray | float]:
    """Per-bin log-mel mean/std and the frame-energy range over every frame (float64 sums).

    ``preset`` (needed to undo the log for the energy) defaults to mel_preset.json beside the scp.
    """
    feats_scp = Path(feats_scp)
    if preset is None:
        preset_path = feats_scp.parent / PRESET_FILE
        if not preset_path.is_file():
            raise DiffmmError(f"no preset given and {preset_path} not found")
        preset = load_preset(preset_path)
    entries = read_feats_scp(feats_scp)
    if not entries:
        raise DiffmmError(f"{feats_scp} is empty")
    total = np.zeros(preset.n_mels)
    total_sq = np.zeros(preset.n_mels)
    count = 0
    energy_min, energy_max = np.inf, -np.inf
    for utt, path in tqdm(entries.items(), desc="stats", unit="utt", file=sys.stderr):
        mel = np.load(path).astype(np.float64)
        if mel.ndim != 2 or mel.shape[0] != preset.n_mels:
            raise DiffmmError(
                f"{path} ({utt}): expected ({preset.n_mels}, frames), got {mel.shape}"
            )
        total += mel.sum(axis=1)
        total_sq += np.square(mel).sum(axis=1)
        count += mel.shape[1]
        energy = frame_energy(mel, preset)
        energy_min, energy_max = min(energy_min, energy.min()), max(energy_max, energy.max())
    mean = total / count
    variance = np.maximum(total_sq / count - np.square(mean), 0.0)
    return {
        "mel_mean": mean.astype(np.float32),
        "mel_std": np.sqrt(variance).astype(np.float32),
        "energy_min": float(energy_min),
        "energy_max": float(energy_max),
    }


def save_stats(stats: dict[str, np.ndarray | float], path: str | Path) -> tuple[Path, Path]:
    """Write ``<path>.npz`` and a human-readable ``<path>.json`` (suffix of ``path`` ignored)."""
    base = Path(path).with_suffix("")
    base.parent.mkdir(parents=True, exist_ok=True)
    npz, js = base.with_suffix(".npz"), base.with_suffix(".json")
    np.savez(npz, **{k: np.asarray(stats[k]) for k in STATS_KEYS})
    js.write_text(
        json.dumps({k: np.asarray(stats[k]).tolist() for k in STATS_KEYS}, indent=1) + "\n"
    )
    return npz, js


def load_stats(path: str | Path) -> dict[str, np.ndarray | float]:
    path = Path(path).with_suffix(".npz")
    if not path.is_file():
        raise DiffmmError(f"statistics file not found: {path}")
    with np.load(path) as npz:
        missing = [k for k in STATS_KEYS if k not in npz]
        if missing:
            raise DiffmmError(f"{path} lacks {missing}")
        return {k: (npz[k] if npz[k].ndim else float(npz[k])) for k in STATS_KEYS}


def parse_preset_args(name: str, overrides: list[str]) -> MelPreset:
    """``--preset hifigan --mel hop_length=200 --mel sample_rate=16000`` -> MelPreset."""
    values = {}
    for item in overrides:
        key, sep, value = item.partition("=")
        if not sep:
            raise DiffmmError(f"--mel expects key=value, got '{item}'")
        values[key] = yaml.safe_load(value)
    try:
        return get_mel_preset(name, **values)
    except ValueError as error:
        raise DiffmmError(str(error)) from error


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m diffmm.audio.features",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    dump = sub.add_parser("dump", help="stage 2: log-mel features of a data dir")
    dump.add_argument("--data-dir", required=True)
    dump.add_argument("--out-dir", required=True)
    dump.add_argument("--preset", default="hifigan")
    dump.add_argument("--mel", action="append", default=[], metavar="KEY=VALUE")
    dump.add_argument("--nj", type=int, default=1)
    stats = sub.add_parser("stats", help="stage 3: training-set statistics of a feats.scp")
    stats.add_argument("--feats-scp", required=True)
    stats.add_argument("--out", required=True, help="output base path (writes .npz and .json)")
    args = parser.parse_args(argv)
    if args.command == "dump":
        preset = parse_preset_args(args.preset, args.mel)
        scp = dump_features(args.data_dir, args.out_dir, preset, nj=args.nj)
        print(f"wrote {scp}")
    else:
        npz, js = save_stats(compute_stats(args.feats_scp), args.out)
        print(f"wrote {npz} and {js}")
    return 0


if __name__ == "__main__":
    sys.exit(run_entry_point("python -m diffmm.audio.features", main))
