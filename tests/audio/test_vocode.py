"""The DiffWave/PriorGrad recipe and ``diffmm vocode`` end to end on real ARCTIC clips.

A two-utterance corpus is written as Kaldi data dirs with its feature dump and statistics,
tiny DiffWave and PriorGrad bundles are trained for a few steps by ``recipes/diffwave.py``,
and ``diffmm vocode`` runs on each input form and on bad inputs.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from diffmm.audio.datadir import DataDir
from diffmm.audio.features import compute_stats, dump_features, save_stats
from diffmm.audio.io import load_audio
from diffmm.audio.mel import get_mel_preset

BIN = Path(sys.executable).parent
CLIPS = ("arctic_a0007", "arctic_a0009")
PRESET = get_mel_preset("hifigan", sample_rate=16000)  # the ARCTIC clips are 16 kHz
HOP = PRESET.hop_length


def run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, cwd=cwd)


def ok(*args: str | Path, cwd: Path | None = None) -> str:
    out = run(*args, cwd=cwd)
    assert out.returncode == 0, f"{args}:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}"
    return out.stdout + out.stderr


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory, repo_root: Path) -> Path:
    root = tmp_path_factory.mktemp("speech")
    clips = repo_root / "tests/data/speech"
    for name, utts in (("train", CLIPS), ("valid", CLIPS[1:])):
        wav_scp = {u: str(clips / f"{u}.wav") for u in utts}
        DataDir(wav_scp=wav_scp, utt2spk=dict.fromkeys(utts, "slt")).write(root / "data" / name)
        dump_features(root / "data" / name, root / "dump" / name, PRESET)
    save_stats(compute_stats(root / "dump/train/feats.scp"), root / "dump/train/stats")
    (root / "wavs").mkdir()
    for utt in CLIPS:
        shutil.copy(clips / f"{utt}.wav", root / "wavs")
    return root


def train(repo_root: Path, corpus: Path, name: str, *overrides: str) -> Path:
    exp = corpus / "exp" / name
    ok(
        sys.executable,
        repo_root / "recipes/diffwave.py",
        "--config",
        repo_root / "recipes/configs/diffwave/mini.yaml",
        f"exp_dir={exp}",
        "mel.sample_rate=16000",
        "model.residual_layers=2",
        "model.residual_channels=4",
        "trainer.max_steps=3",
        "trainer.batch_size=2",
        "trainer.val_every=3",
        "trainer.sample_every=0",
        "trainer.save_every=0",
        *overrides,
        cwd=corpus,
    )
    return exp / "bundle"


@pytest.fixture(scope="module")
def bundles(corpus: Path, repo_root: Path) -> dict[str, Path]:
    return {
        "diffwave": train(repo_root, corpus, "diffwave"),
        "priorgrad": train(repo_root, corpus, "priorgrad", "prior.kind=priorgrad"),
    }


def frames_of(corpus: Path, utt: str, split: str = "train") -> int:
    return np.load(corpus / f"dump/{split}/feats/{utt}.npy").shape[1]


def test_recipe_exports_bundles_with_preset_and_priorgrad_statistics(
    bundles: dict[str, Path], corpus: Path
) -> None:
    from diffmm.bundle import load

    for family, path in bundles.items():
        bundle = load(path, expected_family=family)
        assert bundle.config["mel_preset"] == PRESET.to_dict()
        assert bundle.config["fast_betas"] == [1e-4, 1e-3, 1e-2, 0.05, 0.2, 0.5]
    stats = json.loads((corpus / "dump/train/stats.json").read_text())
    tensors = load(bundles["priorgrad"]).tensors
    assert float(tensors["energy_max"]) == pytest.approx(stats["energy_max"])
    assert float(tensors["energy_min"]) == pytest.approx(stats["energy_min"])
    log = [json.loads(x) for x in (path.parent / "logs/val.jsonl").read_text().splitlines()]
    assert any("valid_logmel_l1" in entry for entry in log)


@pytest.mark.parametrize("family", ["diffwave", "priorgrad"])
def test_vocode_each_input_form(bundles: dict[str, Path], corpus: Path, family: str) -> None:
    out = corpus / f"out_{family}"
    mel = corpus / "dump/train/feats/arctic_a0007.npy"
    log = ok(BIN / "diffmm", "vocode", bundles[family], "--mel", mel, "-o", out / "mel")
    assert "real-time factor" in log
    wav, sr = sf.read(out / "mel/arctic_a0007.wav")
    assert sr == 16000 and len(wav) == frames_of(corpus, "arctic_a0007") * HOP

    scp = corpus / "dump/train/feats.scp"
    ok(BIN / "diffmm", "vocode", bundles[family], "--feats-scp", scp, "-o", out / "scp",
       "--steps", "50", "--sampler", "ddim", "--batch-size", "2")  # fmt: skip
    for utt in CLIPS:
        wav, _ = sf.read(out / f"scp/{utt}.wav")
        assert len(wav) == frames_of(corpus, utt) * HOP  # padded in the batch, cropped back

    ok(BIN / "diffmm", "vocode", bundles[family], "--wav-dir", corpus / "wavs", "-o", out / "wav",
       "--sampler", "dpmpp_2m", "--steps", "8")  # fmt: skip
    assert sorted(p.name for p in (out / "wav").iterdir()) == [f"{u}.wav" for u in CLIPS]


def test_vocode_refuses_mels_of_another_shape_or_preset(
    bundles: dict[str, Path], corpus: Path, tmp_path: Path
) -> None:
    wrong_bins = tmp_path / "bins.npy"
    np.save(wrong_bins, np.zeros((40, 30), dtype=np.float32))
    out = run(BIN / "diffmm", "vocode", bundles["diffwave"], "--mel", wrong_bins, "-o", tmp_path)
    assert out.returncode == 2 and "(80, frames)" in out.stderr and "bins.npy" in out.stderr

    other = get_mel_preset("diffwave_lmnt", sample_rate=16000)
    dump_features(corpus / "data/valid", tmp_path / "lmnt", other)
    out = run(BIN / "diffmm", "vocode", bundles["diffwave"], "--feats-scp",
              tmp_path / "lmnt/feats.scp", "-o", tmp_path / "o")  # fmt: skip
    assert out.returncode == 2 and "another mel preset" in out.stderr, out.stderr
    loose = tmp_path / "lmnt/feats/arctic_a0009.npy"  # a loose .npy: its dump's preset is read
    out = run(BIN / "diffmm", "vocode", bundles["diffwave"], "--mel", loose, "-o", tmp_path / "o")
    assert out.returncode == 2 and "diffwave_lmnt" in out.stderr

    good = corpus / "dump/valid/feats/arctic_a0009.npy"
    for extra, named in ((["--steps", "51"], "51"), (["--fast", "--steps", "10"], "--fast")):
        out = run(BIN / "diffmm", "vocode", bundles["diffwave"], "--mel", good, "-o", tmp_path / "o",
                  *extra)  # fmt: skip
        assert out.returncode == 2 and named in out.stderr, out.stderr


def test_batch_mode_writes_the_good_files_and_names_the_bad_one(
    bundles: dict[str, Path], corpus: Path, tmp_path: Path
) -> None:
    good = corpus / "dump/train/feats/arctic_a0009.npy"
    corrupt = tmp_path / "corrupt.npy"
    corrupt.write_bytes(b"\x93NUMPY garbage")
    empty = tmp_path / "empty.npy"
    empty.write_bytes(b"")
    out = run(BIN / "diffmm", "vocode", bundles["diffwave"], "--mel", good, corrupt, empty,
              "-o", tmp_path / "out")  # fmt: skip
    assert out.returncode == 1
    assert "corrupt.npy" in out.stderr and "empty.npy" in out.stderr
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["arctic_a0009.wav"]


def test_wav_dir_resamples_and_downmixes_with_warnings(
    bundles: dict[str, Path], repo_root: Path, tmp_path: Path
) -> None:
    wav, _ = load_audio(repo_root / "tests/data/speech/arctic_a0009.wav")
    folder = tmp_path / "wavs"
    folder.mkdir()
    sf.write(folder / "at22k.wav", np.interp(np.arange(0, len(wav), 16 / 22.05),
             np.arange(len(wav)), wav), 22050)  # fmt: skip
    sf.write(folder / "stereo.wav", np.stack([wav, 0.5 * wav], axis=1), 16000)
    out = run(
        BIN / "diffmm", "vocode", bundles["diffwave"], "--wav-dir", folder, "-o", tmp_path / "o"
    )
    assert out.returncode == 0, out.stderr
    assert "resampling 22050 Hz -> 16000 Hz" in out.stderr and "downmixed" in out.stderr
    assert sf.info(tmp_path / "o/at22k.wav").samplerate == 16000
    strict = run(BIN / "diffmm", "vocode", bundles["diffwave"], "--wav-dir", folder,
                 "-o", tmp_path / "o2", "--no-resample")  # fmt: skip
    assert strict.returncode == 1 and "at22k.wav" in strict.stderr and "22050" in strict.stderr
    assert (tmp_path / "o2/stereo.wav").is_file()


def test_unconditional_bundle_samples_wavs(tmp_path: Path) -> None:
    from diffmm.bundle import export_bundle
    from diffmm.models.diffwave import DiffWave, DiffWaveConfig

    model_cfg = DiffWaveConfig(2, 4, 2, None)
    config = {
        "model": vars(model_cfg),
        "diffusion": {"num_steps": 20, "beta_start": 1e-4, "beta_end": 0.02},
        "sample_rate": 8000,
        "data_shape": [1, 800],
    }
    bundle = export_bundle(
        tmp_path / "b", family="diffwave", config=config, model=DiffWave(model_cfg)
    )
    ok(BIN / "diffmm", "sample", bundle, "-o", tmp_path / "clips", "-n", "3")
    names = sorted(p.name for p in (tmp_path / "clips").iterdir())
    assert names == ["sample_0000.wav", "sample_0001.wav", "sample_0002.wav"]
    assert sf.info(tmp_path / "clips/sample_0001.wav").frames == 800
    ok(BIN / "diffmm", "sample", bundle, "-o", tmp_path / "one.wav", "-n", "1")
    assert sf.info(tmp_path / "one.wav").samplerate == 8000
