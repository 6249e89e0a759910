"""``diffmm evaluate forecast`` on a tiny GluonTS-layout folder: exact paths score CRPS 0."""

from __future__ import annotations

import json

import numpy as np
import pytest

from diffmm.cli.main import main

PREDICTION_LENGTH = 4
TRAIN_LENGTH = 20
WINDOWS = 2


def write_dataset(folder, rng) -> np.ndarray:
    """Two hourly series; test entries extend train by 1 and 2 prediction lengths. Returns
    the truth of each test window (W, P, D)."""
    full = rng.uniform(1.0, 5.0, (2, TRAIN_LENGTH + WINDOWS * PREDICTION_LENGTH))
    for split, lengths in (
        ("train", [TRAIN_LENGTH]),
        ("test", [TRAIN_LENGTH + PREDICTION_LENGTH * (k + 1) for k in range(WINDOWS)]),
    ):
        (folder / split).mkdir(parents=True)
        lines = [
            json.dumps(
                {"start": "2020-01-01 00:00", "target": full[d, :n].tolist(), "item_id": str(d)}
            )
            for n in lengths
            for d in range(2)
        ]
        (folder / split / "data.json").write_text("\n".join(lines) + "\n")
    (folder / "metadata.json").write_text(
        json.dumps({"freq": "H", "prediction_length": PREDICTION_LENGTH})
    )
    starts = [TRAIN_LENGTH + PREDICTION_LENGTH * k for k in range(WINDOWS)]
    return np.stack([full[:, s : s + PREDICTION_LENGTH].T for s in starts])


def test_exact_paths_score_zero_and_noisy_paths_do_not(tmp_path, capsys):
    rng = np.random.default_rng(0)
    truth = write_dataset(tmp_path / "data", rng)
    exact = np.repeat(truth[:, None], 8, axis=1)  # (W, S, P, D)
    noisy = exact + rng.normal(0.0, 1.0, exact.shape)
    for name, samples in (("exact", exact), ("noisy", noisy)):
        np.save(tmp_path / f"{name}.npy", samples)
        argv = ["evaluate", "forecast", "--samples", str(tmp_path / f"{name}.npy"),
                "--data", str(tmp_path / "data"), "-o", str(tmp_path / name)]  # fmt: skip
        assert main(argv) == 0
        assert (tmp_path / name / "fan_chart.png").read_bytes()[:4] == b"\x89PNG"
    scores = {
        n: json.loads((tmp_path / n / "metrics.json").read_text()) for n in ("exact", "noisy")
    }
    assert scores["exact"]["num_windows"] == WINDOWS
    assert scores["exact"]["CRPS-sum"] == pytest.approx(0.0, abs=1e-6)  # float32 data
    assert scores["exact"]["CRPS"] == pytest.approx(0.0, abs=1e-6)  # float32 data
    assert scores["noisy"]["CRPS-sum"] > 0.01 and scores["noisy"]["CRPS"] > 0.01
    assert "CRPS-sum 0.0000" in capsys.readouterr().out

    # a samples file that does not fit the windows, or is missing: one-line errors
    np.save(tmp_path / "bad.npy", exact[:, :, :2])
    for samples in ("bad.npy", "missing.npy"):
        assert main(["evaluate", "forecast", "--samples", str(tmp_path / samples), "--data",
                     str(tmp_path / "data"), "-o", str(tmp_path / "bad")]) == 2  # fmt: skip
        assert len(capsys.readouterr().err.strip().splitlines()) == 1
