"""The optional speaker embedding (Grad-TTS's multi-speaker variant): a 2-speaker tiny model
speaks differently per speaker, its speaker table round-trips through a bundle, ``diffmm tts
--speaker`` picks the voice, and single-speaker models stay as they were."""

from __future__ import annotations

import pytest
import torch
from test_gradtts_model import GRAD_TTS, TINY_SIZES

from diffmm.audio.mel import get_mel_preset
from diffmm.cli.main import main
from diffmm.diffusion.config import build_schedule
from diffmm.errors import DiffmmError
from diffmm.models.gradtts import DecoderSetup, GradTTS, GradTTSConfig
from diffmm.models.gradtts.data import pad_text_mel
from diffmm.models.gradtts.synthesizer import SamplingDefaults, TextToMel
from diffmm.text.frontend import english_symbol_table

pytestmark = pytest.mark.tts

PRESET = get_mel_preset("hifigan", sample_rate=16000)
TABLE = english_symbol_table()
SPEAKERS = ["alice", "bob"]
DECODERS = ["unet", "grad_unet", "wavenet"]


def two_speaker_tts(decoder: str = "unet") -> TextToMel:
    torch.manual_seed(0)
    cfg = GradTTSConfig(
        **{**TINY_SIZES, "decoder_channels": 8 if decoder != "wavenet" else 16},
        n_vocab=len(TABLE),
        n_feats=80,
        decoder=decoder,
        decoder_layers=2,
        n_speakers=2,
        speaker_channels=8,
    )
    model = GradTTS(cfg).eval()
    for name, p in model.decoder.named_parameters():  # open the zero-initialised output layers
        if "out" in name:
            torch.nn.init.normal_(p, std=0.1)
    return TextToMel(
        model, GRAD_TTS, PRESET, TABLE, True, None, SamplingDefaults("euler", 2), SPEAKERS
    )


def mel(tts: TextToMel, speaker: str | None) -> torch.Tensor:
    ids = tts.encode("Hello world.")
    durations = [torch.full((len(ids),), 2.0)]  # the same frame count for both speakers
    generator = torch.Generator().manual_seed(3)
    return tts.mel_from_tokens([ids], generator=generator, durations=durations, speaker=speaker)[
        0
    ].mel


@pytest.mark.parametrize("decoder", DECODERS)
def test_output_differs_by_speaker_and_only_by_it(decoder: str) -> None:
    tts = two_speaker_tts(decoder)
    alice, bob = mel(tts, "alice"), mel(tts, "bob")
    assert torch.equal(alice, mel(tts, "alice")) and torch.equal(alice, mel(tts, None))
    assert (alice - bob).abs().mean() > 1e-3
    # the decoder itself reads the speaker channel: same x_t, μ and t, two speaker vectors
    x, mu, mask = torch.randn(1, 80, 8), torch.randn(1, 80, 8), torch.ones(1, 1, 8)
    s = torch.randn(2, 80)
    outs = [
        tts.model.decoder(x, torch.tensor([500.0]), mu, mask, speaker=s[i : i + 1]) for i in (0, 1)
    ]
    assert (outs[0] - outs[1]).abs().mean() > 1e-4


def test_speaker_table_round_trips_through_a_bundle(tmp_path) -> None:
    tts = two_speaker_tts("grad_unet")
    loaded = TextToMel.from_bundle(tts.export(tmp_path / "bundle"))
    assert loaded.speakers == SPEAKERS and loaded.model.cfg.n_speakers == 2
    assert torch.equal(loaded.model.speaker_embedding.weight, tts.model.speaker_embedding.weight)
    assert torch.equal(mel(loaded, "bob"), mel(tts, "bob"))
    with pytest.raises(DiffmmError, match="unknown speaker 'carol'"):
        loaded.speaker_index("carol")


def test_single_speaker_models_have_no_speaker_parts(tmp_path) -> None:
    model = GradTTS(GradTTSConfig(**TINY_SIZES, n_vocab=len(TABLE), n_feats=80))
    assert not any("speaker" in key for key in model.state_dict())
    tts = TextToMel(model, GRAD_TTS, PRESET, TABLE)
    assert "speakers" not in tts.to_bundle_config() and tts.speaker_index(None) is None
    with pytest.raises(DiffmmError, match="single-speaker"):
        tts.speaker_index("alice")


def test_a_multi_speaker_batch_trains_the_speaker_table() -> None:
    tts = two_speaker_tts("wavenet")
    model = tts.model.train()
    items = [
        (torch.randint(1, len(TABLE), (5,)), torch.randn(80, 20), torch.tensor(i)) for i in (0, 1)
    ]
    tokens, token_lengths, mels, mel_lengths, speakers = pad_text_mel(items)
    assert speakers.tolist() == [0, 1]
    setup = DecoderSetup(build_schedule(GRAD_TTS), GRAD_TTS, 16)
    losses = model(tokens, token_lengths, mels, mel_lengths, setup, speakers=speakers)
    sum(losses.values()).backward()
    assert model.speaker_embedding.weight.grad.abs().sum() > 0
    with pytest.raises(ValueError, match="speaker ids needed"):
        model(tokens, token_lengths, mels, mel_lengths, setup)


def test_tts_speaker_option(tmp_path, capsys) -> None:
    bundle = two_speaker_tts("unet").export(tmp_path / "bundle")
    out = tmp_path / "out"
    args = ["tts", str(bundle), "--text", "Hi.", "--mel-only", "-o"]
    assert main([*args, str(out), "--speaker", "bob"]) == 0
    assert (out / "utt0001.npy").is_file()
    capsys.readouterr()
    bad = tmp_path / "bad"
    assert main([*args, str(bad), "--speaker", "carol"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "unknown speaker 'carol'" in err[0], err
    assert not bad.exists() or not any(bad.iterdir())
