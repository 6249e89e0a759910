"""The ``gradtts`` bundle and ``diffmm tts`` end to end on tiny untrained bundles: schema round
trip, temperature and length scale, the flow decoder and PriorGrad-AM prior at synthesis, every
output form and the bad inputs the issue lists."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch
from test_gradtts_model import GRAD_TTS, TINY_SIZES

from diffmm.audio.mel import get_mel_preset
from diffmm.cli.main import main
from diffmm.diffusion.config import DiffusionConfig
from diffmm.models.gradtts import GradTTS, GradTTSConfig, PhonemePrior
from diffmm.models.gradtts.synthesizer import SamplingDefaults, TextToMel
from diffmm.models.vocoder import Vocoder
from diffmm.text.frontend import english_symbol_table

pytestmark = pytest.mark.tts

PRESET = get_mel_preset("hifigan", sample_rate=16000)
TABLE = english_symbol_table()
TINY = dict(TINY_SIZES, n_vocab=len(TABLE), n_feats=80, encoder_layers=1)
FLOW = DiffusionConfig(schedule="flow", sigma_min=1e-4, time_scale=1000.0, parameterization="flow")


def tiny_tts(diffusion=GRAD_TTS, prior=None, decoder="unet") -> TextToMel:
    torch.manual_seed(0)
    model = GradTTS(GradTTSConfig(**TINY, decoder=decoder)).eval()
    # log-durations of about log 3: three frames per token
    torch.nn.init.zeros_(model.encoder.duration_predictor.projection.weight)
    torch.nn.init.constant_(model.encoder.duration_predictor.projection.bias, float(np.log(3.0)))
    return TextToMel(model, diffusion, PRESET, TABLE, True, prior, SamplingDefaults("euler", 3))


@pytest.fixture(scope="module")
def bundles(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("bundles")
    from diffmm.models.diffwave import DiffWave, DiffWaveConfig

    def vocoder(preset, name):
        net = DiffWave(DiffWaveConfig(residual_layers=2, residual_channels=4, hop=256))
        schedule = DiffusionConfig(schedule="linear", num_steps=6, beta_start=1e-4, beta_end=0.05)
        return Vocoder(net, schedule, preset).export(root / name)

    return {
        # the flow decoder: an untrained one keeps x_T's scale (a zero score would not)
        "acoustic": tiny_tts(FLOW).export(root / "acoustic"),
        "vocoder": vocoder(PRESET, "vocoder"),
        "vocoder_22k": vocoder(get_mel_preset("hifigan"), "vocoder_22k"),
    }


def test_bundle_round_trip_gives_the_same_mel(bundles):
    original, loaded = tiny_tts(FLOW), TextToMel.from_bundle(bundles["acoustic"])
    assert loaded.symbol_table == TABLE and loaded.mel_preset == PRESET
    assert loaded.sampling == SamplingDefaults("euler", 3)
    a = original.synthesize("Hello world.", generator=torch.Generator().manual_seed(1))
    b = loaded.synthesize("Hello world.", generator=torch.Generator().manual_seed(1))
    assert torch.equal(a.mel, b.mel) and torch.equal(a.durations, b.durations)


def test_length_scale_and_durations_set_the_frame_count():
    tts = tiny_tts()
    ids = tts.encode("Hello world.")
    normal = tts.mel_from_tokens([ids])[0]
    assert normal.mel.shape == (80, int(normal.durations.sum()))
    assert (normal.durations == 3).all()  # ⌈exp(log 3)⌉ per token, exactly
    slow = tts.mel_from_tokens([ids], length_scale=2.0)[0]
    assert slow.mel.shape[1] == 6 * len(ids)
    given = torch.arange(len(ids)) % 2 + 1
    assert tts.mel_from_tokens([ids], durations=[given])[0].mel.shape[1] == int(given.sum())


def test_untrained_decoder_returns_the_prior_mean_at_infinite_temperature():
    """An untrained UNet outputs 0 (zero-initialised output conv): a score of 0 keeps z = x − μ
    scaled by the sampler's α ratios, so with ε/τ → 0 the mel is exactly μ for Grad-TTS; the
    flow decoder's u = 0 moves it to μ as well."""
    for diffusion in (GRAD_TTS, FLOW):
        tts = tiny_tts(diffusion)
        ids = tts.encode("Speech.")
        synthesis = tts.mel_from_tokens([ids], temperature=1e9)[0]
        mu, _, _ = tts.model.encoder(torch.tensor([ids]), torch.tensor([len(ids)]))
        expected = torch.repeat_interleave(mu[0], synthesis.durations.long(), dim=1)
        assert torch.allclose(synthesis.mel, expected, atol=1e-4)


def test_priorgrad_am_starts_from_the_phoneme_statistics():
    mean = torch.randn(len(TABLE), 80)
    prior = PhonemePrior(mean, torch.full((len(TABLE), 80), 0.5))
    diffusion = DiffusionConfig(
        schedule="linear", num_steps=20, beta_start=1e-4, beta_end=0.05, parameterization="eps_x"
    )
    tts = tiny_tts(diffusion, prior, decoder="wavenet")
    ids = tts.encode("Speech.")
    # a zero ε̂_x network and τ → ∞: DDIM keeps z at α_s/α_t · z → μ_phone
    synthesis = tts.mel_from_tokens([ids], sampler="ddim", temperature=1e9)[0]
    expected = torch.repeat_interleave(mean[ids].T, synthesis.durations.long(), dim=1)
    assert torch.allclose(synthesis.mel, expected, atol=1e-4)


def test_tts_writes_wavs_mels_and_plots(bundles, tmp_path, capsys):
    out = tmp_path / "gl"
    assert (
        main(
            [
                "tts",
                "--acoustic",
                str(bundles["acoustic"]),
                "--text",
                "Hi there.",
                "-o",
                str(out),
                "--plot",
            ]
        )
        == 0
    )
    wav, rate = sf.read(out / "utt0001.wav")
    assert rate == 16000 and wav.ndim == 1 and len(wav) % 256 == 0
    assert (out / "utt0001.png").stat().st_size > 0
    assert "real-time factor acoustic" in capsys.readouterr().out
    voc = tmp_path / "voc"
    assert (
        main(
            [
                "tts",
                str(bundles["acoustic"]),
                "--vocoder",
                str(bundles["vocoder"]),
                "--text",
                "Hi.",
                "-o",
                str(voc),
            ]
        )
        == 0
    )
    assert sf.read(voc / "utt0001.wav")[0].shape[0] > 0
    mels = tmp_path / "mels"
    args = ["--mel-only", "--steps", "2", "--temperature", "2", "--length-scale", "1.2"]
    assert main(["tts", str(bundles["acoustic"]), "--text", "Hi.", "-o", str(mels), *args]) == 0
    assert np.load(mels / "utt0001.npy").shape[0] == 80
    assert sorted(p.name for p in tmp_path.rglob(".tmp-*")) == []


def test_text_file_skips_blank_lines_and_names_bad_ones(bundles, tmp_path, capsys):
    text = tmp_path / "lines.txt"
    text.write_text("First line.\n\n♪♪\nLast line.\n")
    out = tmp_path / "out"
    assert (
        main(
            [
                "tts",
                str(bundles["acoustic"]),
                "--text-file",
                str(text),
                "-o",
                str(out),
                "--mel-only",
            ]
        )
        == 1
    )
    err = capsys.readouterr().err
    assert "lines.txt:2: blank line skipped" in err and "lines_0003" in err
    assert sorted(p.name for p in out.iterdir()) == ["lines_0001.npy", "lines_0004.npy"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--text", "  "], "empty text"),
        (["--text", "♪♪ ☃"], "no words"),
        (["--text-file", "missing.txt"], "does not exist"),
        (["--text", "Hi.", "--vocoder", "VOC22"], "another mel preset"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(bundles, tmp_path, capsys, args, message):
    args = [a.replace("VOC22", str(bundles["vocoder_22k"])) for a in args]
    args = [str(tmp_path / a) if a == "missing.txt" else a for a in args]
    out = tmp_path / "out"
    assert main(["tts", str(bundles["acoustic"]), *args, "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    # one error line (after a warning naming dropped characters, if any)
    assert message in err[-1] and all(line.startswith("diffmm tts: ") for line in err), err
    assert not out.exists() or not any(out.iterdir())
