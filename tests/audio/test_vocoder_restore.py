"""Gap filling with a mel-conditioned vocoder (``restore_with_mel``, ``diffmm restore --mel``)
on a tiny random-weight DiffWave: what holds for any weights (the known samples are the
input's, the gaps are the sampler's, a posterior mean of K samples averages them) and the
one-line errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from diffmm.audio.mel import get_mel_preset
from diffmm.audio.restoration import gap_measurement
from diffmm.cli.main import main
from diffmm.diffusion.config import DiffusionConfig
from diffmm.errors import DiffmmError
from diffmm.models.diffwave import DiffWave, DiffWaveConfig
from diffmm.models.priorgrad import PriorGradStats, priorgrad_diffusion
from diffmm.models.restoration import restore_with_mel
from diffmm.models.vocoder import FAST_BETAS, Vocoder

pytestmark = pytest.mark.audio

RATE, HOP = 8000, 32


@pytest.fixture(scope="module")
def vocoder() -> Vocoder:
    preset = get_mel_preset(
        "hifigan", sample_rate=RATE, n_mels=8, hop_length=HOP, n_fft=128, win_length=128,
        fmax=4000.0,
    )  # fmt: skip
    torch.manual_seed(0)
    model = DiffWave(DiffWaveConfig(2, 4, 2, preset.n_mels, HOP)).eval()
    torch.nn.init.normal_(model.output_projection.weight, std=0.05)  # not the zero init
    return Vocoder(model, DiffusionConfig(num_steps=50, beta_end=0.05), preset, FAST_BETAS)


def speech_like(frames: int) -> np.ndarray:
    t = np.arange(frames * HOP) / RATE
    return (0.3 * np.sin(2 * np.pi * 220 * t) * np.sin(2 * np.pi * 3 * t)).astype(np.float32)


def test_known_samples_stay_and_the_gap_is_sampled(vocoder: Vocoder) -> None:
    wave = speech_like(40)
    mel = vocoder.mel_from_wav(wave)
    assert mel.shape[-1] == 40
    measurement = gap_measurement(wave, RATE, [(0.05, 0.06)], len(wave))
    known = measurement.operator.mask.reshape(-1).bool()
    out = restore_with_mel(vocoder, mel, measurement, num_samples=2, seed=0)
    assert out.shape == (2, 1, len(wave))
    assert torch.allclose(out[:, 0, known], torch.from_numpy(wave)[known], atol=1e-6)
    # the 80 gap samples are drawn afresh for each sample, and differ from the truth
    gap = out[:, 0, ~known]
    assert gap.numel() == 2 * 80 and float((gap[0] - gap[1]).abs().mean()) > 1e-3
    again = restore_with_mel(vocoder, mel, measurement, num_samples=2, seed=0)
    assert torch.equal(out, again)  # the seed fixes the draw


def test_priorgrad_keeps_the_known_samples(vocoder: Vocoder) -> None:
    # its prior N(0, Σ_mel) is whitened elementwise, which the mask commutes with
    stats = PriorGradStats(vocoder.mel_preset, energy_min=0.05, energy_max=6.0)
    priorgrad = Vocoder(
        vocoder.model, priorgrad_diffusion(vocoder.diffusion), vocoder.mel_preset, FAST_BETAS, stats
    )
    wave = speech_like(20)
    measurement = gap_measurement(wave, RATE, [(0.03, 0.04)], len(wave))
    known = measurement.operator.mask.reshape(-1).bool()
    out = restore_with_mel(priorgrad, priorgrad.mel_from_wav(wave), measurement)
    assert torch.allclose(out[0, 0, known], torch.from_numpy(wave)[known], atol=1e-6)
    assert float(out[0, 0, ~known].abs().max()) > 0


def test_frames_must_cover_the_measurement(vocoder: Vocoder) -> None:
    wave = speech_like(40)
    measurement = gap_measurement(wave, RATE, [(0.05, 0.06)], len(wave))
    with pytest.raises(DiffmmError, match="39 frames"):
        restore_with_mel(vocoder, vocoder.mel_from_wav(wave)[:, :39], measurement)


def test_cli_fills_gaps_given_the_mel(vocoder: Vocoder, tmp_path: Path) -> None:
    bundle = vocoder.export(tmp_path / "bundle")
    wave = speech_like(40)
    wave_path, mel_path = tmp_path / "in.wav", tmp_path / "mel.npy"
    # 20 samples more than the mel covers: kept as recorded
    sf.write(wave_path, np.concatenate([wave, wave[:20]]), RATE, subtype="FLOAT")
    np.save(mel_path, vocoder.mel_from_wav(wave).numpy())
    common = [
        "restore", str(bundle), "gap-fill", "-i", str(wave_path), "--gaps", "0.05-0.06",
        "--mel", str(mel_path),
    ]  # fmt: skip
    out_one, out_two = tmp_path / "one.wav", tmp_path / "two.wav"
    assert main([*common, "-o", str(out_one), "--samples-npy", str(tmp_path / "s.npy")]) == 0
    assert main([*common, "-o", str(out_two), "--num-samples", "2"]) == 0
    one, rate = sf.read(out_one, dtype="float32")
    two, _ = sf.read(out_two, dtype="float32")
    assert rate == RATE and len(one) == len(wave) + 20 and len(two) == len(one)
    known = np.ones(len(one), dtype=bool)
    known[400:480] = False
    assert np.allclose(one[known], np.concatenate([wave, wave[:20]])[known], atol=1e-4)
    assert np.allclose(two[known], one[known], atol=1e-4)
    # the raw sample is the written gap; the mean of two is another waveform
    samples = np.load(tmp_path / "s.npy")
    assert samples.shape == (1, 1, len(wave))
    assert np.allclose(samples[0, 0, ~known[: len(wave)]], one[~known], atol=1e-4)
    assert not np.allclose(two[~known], one[~known], atol=1e-3)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ([], "needs --mel"),
        (["--mel", "MEL30"], "frames are"),
        (["--mel", "MEL", "--task-bandwidth"], "does not apply"),
    ],
)
def test_cli_errors(vocoder: Vocoder, tmp_path: Path, capsys, extra, message) -> None:
    bundle = vocoder.export(tmp_path / "bundle")
    wave = speech_like(40)
    sf.write(tmp_path / "in.wav", wave, RATE, subtype="FLOAT")
    np.save(tmp_path / "mel.npy", vocoder.mel_from_wav(wave).numpy())
    np.save(tmp_path / "mel30.npy", vocoder.mel_from_wav(wave)[:, :30].numpy())
    task = "bandwidth" if "--task-bandwidth" in extra else "gap-fill"
    extra = [
        {"MEL": str(tmp_path / "mel.npy"), "MEL30": str(tmp_path / "mel30.npy")}.get(e, e)
        for e in extra
        if e != "--task-bandwidth"
    ]
    argv = ["restore", str(bundle), task, "-i", str(tmp_path / "in.wav"), "--gaps", "0.05-0.06"]
    assert main([*argv, *extra, "-o", str(tmp_path / "out.wav")]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]
