"""Mel presets against librosa on a real CMU ARCTIC clip; framing, batching, presets."""

from __future__ import annotations

import warnings

import librosa
import numpy as np
import pytest
import torch

from diffmm.audio.io import load_audio
from diffmm.audio.mel import (
    MEL_PRESETS,
    MelPreset,
    MelSpectrogram,
    check_same_preset,
    compress,
    decompress,
    get_mel_preset,
)
from diffmm.errors import DiffmmError

ARCTIC = "tests/data/speech/arctic_a0007.wav"


def arctic(repo_root, sample_rate: int) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_audio(repo_root / ARCTIC, sample_rate=sample_rate)[0]


def librosa_log_mel(wav: np.ndarray, p: MelPreset) -> np.ndarray:
    """Independent reference: numpy reflect padding, librosa.stft, librosa.filters.mel, float64."""
    padded = np.pad(wav.astype(np.float64), p.padding, mode="reflect")
    magnitude = np.abs(
        librosa.stft(padded, n_fft=p.n_fft, hop_length=p.hop_length, win_length=p.win_length,
                     window="hann", center=False)
    )  # fmt: skip
    if p.normalized:
        window = librosa.filters.get_window("hann", p.win_length, fftbins=True)
        magnitude /= np.sqrt(np.sum(window**2))
    basis = librosa.filters.mel(sr=p.sample_rate, n_fft=p.n_fft, n_mels=p.n_mels, fmin=p.fmin,
                                fmax=p.max_frequency, htk=p.mel_scale == "htk", norm=p.mel_norm)  # fmt: skip
    mel = np.maximum(basis @ magnitude**p.power, p.clamp_min)
    if p.log == "natural":
        return np.log(mel)
    return np.clip((20 * np.log10(mel) - 20 + 100) / 100, 0.0, 1.0)


@pytest.mark.parametrize("name", ["hifigan", "diffwave_lmnt"])
@pytest.mark.parametrize("sample_rate", [22050, 16000])
def test_presets_match_librosa_on_real_speech(repo_root, name, sample_rate):
    preset = get_mel_preset(name, sample_rate=sample_rate)
    wav = arctic(repo_root, sample_rate)
    ours = MelSpectrogram(preset)(torch.from_numpy(wav))
    reference = librosa_log_mel(wav, preset)
    assert ours.dtype == torch.float32 and ours.shape == (1, 80, reference.shape[1])
    assert ours.shape[2] == preset.num_frames(len(wav))
    # float32 STFT vs float64: the log of magnitudes above the 1e-5 clamp differs by < 1e-4
    np.testing.assert_allclose(ours[0].double().numpy(), reference, atol=1e-4, rtol=0)
    assert reference.std() > 0.1  # real speech, not a degenerate all-clamped spectrogram


def test_filterbank_is_librosa_slaney_for_hifigan():
    module = MelSpectrogram("hifigan")
    expected = librosa.filters.mel(sr=22050, n_fft=1024, n_mels=80, fmin=0.0, fmax=8000.0)
    np.testing.assert_allclose(module.mel_basis.numpy(), expected, rtol=1e-6, atol=1e-9)
    assert "mel_basis" not in module.state_dict()  # rebuilt from the preset, never stored


@pytest.mark.parametrize("hop", [200, 256, 300])
def test_num_frames_for_any_hop(hop):
    hifigan = get_mel_preset("hifigan", hop_length=hop)
    lmnt = get_mel_preset("diffwave_lmnt", hop_length=hop, win_length=min(4 * hop, 1024))
    for num_samples in (hop * 7, hop * 7 + 1, hop * 8 - 1, 5000):
        wav = torch.randn(num_samples, generator=torch.Generator().manual_seed(0))
        frames = MelSpectrogram(hifigan)(wav).shape[-1]
        assert frames == hifigan.num_frames(num_samples) == num_samples // hop
        frames = MelSpectrogram(lmnt)(wav).shape[-1]
        assert frames == lmnt.num_frames(num_samples) == 1 + num_samples // hop


def test_batch_equals_per_item(repo_root):
    wav = torch.from_numpy(arctic(repo_root, 22050))
    batch = torch.stack([wav[:20000], wav[20000:40000], wav[40000:60000]])
    module = MelSpectrogram("hifigan")
    together = module(batch)
    for i in range(3):
        torch.testing.assert_close(together[i], module(batch[i])[0], rtol=0, atol=1e-5)


def test_input_checks_and_dtype():
    module = MelSpectrogram("hifigan")
    assert module(torch.zeros(2048, dtype=torch.float64)).dtype == torch.float32
    with pytest.raises(ValueError, match="too short"):
        module(torch.zeros(100))
    with pytest.raises(ValueError, match=r"\(T,\) or \(B, T\)"):
        module(torch.zeros(1, 1, 4096))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no GPU")
def test_gpu_matches_cpu(repo_root):
    wav = torch.from_numpy(arctic(repo_root, 22050)).repeat(4, 1)
    module = MelSpectrogram("hifigan")
    cpu = module(wav)
    gpu = module.to("cuda")(wav.to("cuda"))
    assert gpu.device.type == "cuda"
    torch.testing.assert_close(gpu.cpu(), cpu, rtol=0, atol=1e-4)


@pytest.mark.parametrize("name", ["hifigan", "diffwave_lmnt"])
def test_decompress_inverts_compress_inside_the_clamps(name):
    preset = MEL_PRESETS[name]
    magnitude = torch.tensor([1e-3, 0.02, 0.5, 3.0], dtype=torch.float64)  # within both ranges
    torch.testing.assert_close(decompress(compress(magnitude, preset), preset), magnitude)
    log_mel = compress(magnitude, preset).numpy()
    np.testing.assert_allclose(decompress(log_mel, preset), magnitude.numpy(), rtol=1e-12)


def test_db_unit_values():
    preset = MEL_PRESETS["diffwave_lmnt"]
    # 20·log10(m) − 20, mapped from [−100, 0] dB to [0, 1]: m = 1 -> 0.8, 10 -> 1, 1e-4 -> 0
    out = compress(torch.tensor([1.0, 10.0, 100.0, 1e-4, 1e-7]), preset)
    torch.testing.assert_close(out, torch.tensor([0.8, 1.0, 1.0, 0.0, 0.0]))


def test_preset_dict_round_trip_overrides_and_errors():
    preset = get_mel_preset("hifigan", sample_rate=16000, hop_length=200)
    assert preset.fmax == 8000.0 and preset.hop_length == 200 and preset.name == "hifigan"
    assert MelPreset.from_dict(preset.to_dict()) == preset
    assert get_mel_preset("diffwave_lmnt", sample_rate=16000).max_frequency == 8000.0
    with pytest.raises(ValueError, match=r"unknown mel preset 'nope'.*diffwave_lmnt.*hifigan"):
        get_mel_preset("nope")
    with pytest.raises(ValueError, match="unknown mel preset fields"):
        get_mel_preset("hifigan", hop=200)
    with pytest.raises(ValueError, match="fmax"):
        get_mel_preset("hifigan", sample_rate=8000)  # fmax 8000 above Nyquist 4000
    with pytest.raises(ValueError, match="unknown mel preset keys"):
        MelPreset.from_dict({**preset.to_dict(), "extra": 1})


def test_check_same_preset_names_the_differences():
    check_same_preset(MEL_PRESETS["hifigan"], get_mel_preset("hifigan"))
    with pytest.raises(DiffmmError, match=r"hop_length: 200 \(expected 256\)"):
        check_same_preset(MEL_PRESETS["hifigan"], get_mel_preset("hifigan", hop_length=200))
    with pytest.raises(DiffmmError, match="'diffwave_lmnt' vs 'hifigan'"):
        check_same_preset(MEL_PRESETS["hifigan"], MEL_PRESETS["diffwave_lmnt"])
