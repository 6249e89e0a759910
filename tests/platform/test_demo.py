"""``diffmm demo`` end to end on tiny bundles the test builds (``demo_bundles``): every clip
decodes and is not silent, every number in the table is finite and is what the written
outputs give when scored again, the report renders in headless Chromium with every audio
source decoded, and bad requests are one-line errors that write nothing."""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch
from demo_bundles import VOCODER_PROVENANCE, write_demo_bundles

from diffmm.cli.main import main
from diffmm.demo import PARTS, run_demo
from diffmm.demo.parts import forecast as forecast_part
from diffmm.demo.parts import images as images_part
from diffmm.demo.parts import vocode as vocode_part
from diffmm.errors import DiffmmError

pytestmark = pytest.mark.platform


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("demo")
    bundles = write_demo_bundles(root / "bundles")
    with pytest.MonkeyPatch.context() as patch:  # fewer images and paths: seconds, not a minute
        patch.setattr(images_part, "PER_CLASS", 2)
        patch.setattr(forecast_part, "NUM_SAMPLES", 8)
        report = run_demo(root / "out", bundle_dir=bundles)
    return {"bundles": bundles, "out": root / "out", "report": report}


def scores(demo: dict[str, Path]) -> dict:
    return json.loads((demo["out"] / "scores.json").read_text())["parts"]


class ReportElements(HTMLParser):
    """The report's audio elements, images and score cells, as attribute dicts."""

    def __init__(self) -> None:
        super().__init__()
        self.audio, self.images, self.cells = [], [], []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if tag == "audio":
            self.audio.append(found)
        elif tag == "img":
            self.images.append(found)
        elif tag == "td" and "data-value" in found:
            self.cells.append(found)


def elements(html: str) -> ReportElements:
    parser = ReportElements()
    parser.feed(html)
    return parser


def test_every_wav_decodes_and_is_not_silent(demo) -> None:
    wavs = sorted(demo["out"].rglob("*.wav"))
    assert len(wavs) == 2 * len(vocode_part.UTTERANCES) + 3  # recordings + vocoded, 3 sentences
    for path in wavs:
        audio, rate = sf.read(path)
        assert rate == 16000 and audio.ndim == 1 and len(audio) > rate // 2, path
        assert np.sqrt(np.mean(audio**2)) > 1e-3, f"{path} is silent"


def test_every_number_is_finite_and_what_the_outputs_give(demo) -> None:
    from diffmm.audio.mel import get_mel_preset
    from diffmm.metrics.audio import log_mel_l1
    from diffmm.models.image_classifier import FeatureClassifier
    from diffmm.timeseries.fpp3 import pedestrian_table
    from diffmm.timeseries.tables import table_to_series

    parts = scores(demo)
    assert list(parts) == list(PARTS)
    for part in parts.values():
        assert part["scores"] and all(math.isfinite(v) for v in part["scores"].values())

    # vocoding: the mean log-mel L1 of the written wavs against the written recordings
    preset = get_mel_preset("hifigan", sample_rate=16000)
    distances = []
    for utt in vocode_part.UTTERANCES:
        generated, rate = sf.read(demo["out"] / f"vocode/{utt}.wav", dtype="float32")
        reference, _ = sf.read(demo["out"] / f"vocode/{utt}_reference.wav", dtype="float32")
        distances.append(log_mel_l1(reference[: len(generated)], generated, rate, preset))
    assert parts["vocode"]["scores"]["log_mel_l1"] == pytest.approx(np.mean(distances), rel=1e-3)

    # images: the classifier's accuracy on the written samples, each row the class asked for
    with np.load(demo["out"] / "images/samples.npz") as samples:
        pixels, labels = samples["arr_0"], samples["labels"]
    assert pixels.shape == (10 * 2, 28, 28, 1)
    assert labels.tolist() == sorted(labels.tolist())
    classifier = FeatureClassifier.from_bundle(demo["bundles"] / "images_classifier")
    _, probabilities = classifier.features_and_probabilities(
        torch.from_numpy(pixels).permute(0, 3, 1, 2)
    )
    accuracy = 100 * float((probabilities.argmax(-1).numpy() == labels).mean())
    assert parts["images"]["scores"]["class_accuracy"] == pytest.approx(accuracy)

    # forecasting: CRPS-sum of the written paths against the held-out truth
    from diffmm.timeseries.evaluation import evaluate
    from diffmm.timeseries.windows import rolling_windows

    paths = np.load(demo["out"] / "forecast/samples.npy")
    assert paths.shape == (forecast_part.HELD_OUT_HOURS // 24, 8, 24, 4)
    series = table_to_series(pedestrian_table(), freq="h", layout="long")
    _, targets, starts = rolling_windows(series, paths.shape[0], 24)
    crps_sum = evaluate(paths, targets, starts, "h")["CRPS-sum"]
    assert parts["forecast"]["scores"]["crps_sum"] == pytest.approx(crps_sum, rel=1e-4)


def test_report_holds_the_table_media_and_provenance(demo) -> None:
    html = demo["report"].read_text()
    found = elements(html)
    wavs = sorted(demo["out"].rglob("*.wav"))
    assert sorted(a["data-file"] for a in found.audio) == sorted(p.name for p in wavs)
    assert all(a["src"].startswith("data:audio/wav;base64,") for a in found.audio)
    assert len(found.images) == 4  # two spectrogram figures, the fan chart, the image grid
    assert all(i["src"].startswith("data:image/png;base64,") for i in found.images)
    measured = [v for part in scores(demo).values() for v in part["scores"].values()]
    assert [float(c["data-value"]) for c in found.cells] == measured
    assert VOCODER_PROVENANCE["command"] in html
    assert scores(demo)["vocode"]["stated"] == VOCODER_PROVENANCE["scores"]
    assert not re.search(r"(src|href)=\"(https?:|file:|/)", html), "the report must stand alone"


def chromium_dom(page: Path, tmp_path: Path) -> str:
    """The DOM headless Chromium holds once the page's audio has had time to load."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip(
            "chromium is not installed (Debian package `chromium`; .ci/run and "
            "scripts/setup.sh install it when run as root with apt-get): report not rendered"
        )
    done = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={tmp_path}",
         "--virtual-time-budget=15000", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_chromium_decodes_every_audio_source(demo, tmp_path) -> None:
    # a copy of the report with one broken clip: the page must tell it from the good ones
    page = tmp_path / "report.html"
    broken = '<audio data-state="pending" data-file="broken.wav" src="data:audio/wav;base64,AAAA">'
    page.write_text(demo["report"].read_text().replace("<script>", f"{broken}</audio><script>"))
    found = elements(chromium_dom(page, tmp_path / "profile"))
    states = {a["data-file"]: a["data-state"] for a in found.audio}
    assert states.pop("broken.wav") == "error"
    assert states and set(states.values()) == {"loaded"}, states
    for audio in found.audio[:-1]:
        seconds = sf.info(next(demo["out"].rglob(audio["data-file"]))).duration
        assert float(audio["data-duration"]) == pytest.approx(seconds, abs=0.01)
    assert len(found.images) == 4 and len(found.cells) == sum(
        len(part["scores"]) for part in scores(demo).values()
    )


def test_existing_outputs_are_kept_and_a_missing_bundle_is_named(demo, tmp_path, capsys) -> None:
    before = demo["report"].stat().st_mtime_ns
    with pytest.raises(DiffmmError, match="--overwrite"):
        run_demo(demo["out"], parts=["vocode"], bundle_dir=demo["bundles"])
    assert demo["report"].stat().st_mtime_ns == before

    empty = tmp_path / "no_bundles"
    empty.mkdir()
    assert main(["demo", "-o", str(tmp_path / "out"), "--part", "images", "--bundle-dir",
                 str(empty)]) == 2  # fmt: skip
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1
    assert "'images'" in error and "egs/fashion_mnist/ddpm/run.sh" in error
    assert not (tmp_path / "out/report.html").exists()
