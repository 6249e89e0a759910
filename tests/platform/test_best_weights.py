"""Best-validation weights: kept on a lower metric only, across a resume, exported by the trainer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from tiny_training import make_trainer
from torch import nn

from diffmm.errors import DiffmmError
from diffmm.training.best import BestWeights


def filled(value: float) -> nn.Module:
    model = nn.Linear(2, 1)
    nn.init.constant_(model.weight, value)
    nn.init.constant_(model.bias, value)
    return model


def test_only_a_lower_finite_metric_replaces_the_kept_weights(tmp_path: Path) -> None:
    best = BestWeights(tmp_path / "best", "crps")
    assert best.record is None and best.load_into(filled(0.0)) is None
    assert best.offer(filled(1.0), 10, {"crps": 0.5})
    assert not best.offer(filled(2.0), 20, {"crps": 0.7})
    assert not best.offer(filled(3.0), 30, {"crps": float("nan")})
    assert not best.offer(filled(4.0), 40, {"crps": 0.5})  # a tie keeps the earlier weights
    # a new object over the same directory (a resumed run) compares with what is on disk
    again = BestWeights(tmp_path / "best", "crps")
    assert again.offer(filled(5.0), 50, {"crps": 0.25})
    model = filled(0.0)
    assert again.load_into(model) == {"step": 50, "crps": 0.25}
    assert torch.all(model.weight == 5.0)
    assert sorted(p.name for p in (tmp_path / "best").iterdir()) == [
        "best.json",
        "model.safetensors",
    ]
    with pytest.raises(DiffmmError, match="not the metric 'crps'"):
        again.offer(filled(6.0), 60, {"loss": 0.1})


def test_trainer_exports_the_best_validation_weights(tmp_path: Path) -> None:
    scores = {5: 0.3, 10: 0.1, 15: 0.2, 20: 0.4}
    seen: dict[int, torch.Tensor] = {}

    def val_fn(model: nn.Module, step: int) -> dict[str, float]:
        seen[step] = model[0].weight.detach().clone()
        return {"score": scores[step]}

    trainer = make_trainer(
        tmp_path, 20, hooks={"val_fn": val_fn, "keep_best": "score"}, val_every=5
    )
    trainer.train()
    model, chosen = trainer.export_model()
    assert chosen == {"weights": "best validation score (EMA)", "step": 10, "score": 0.1}
    torch.testing.assert_close(model[0].weight, seen[10], rtol=0, atol=0)
    assert json.loads((tmp_path / "best/best.json").read_text())["step"] == 10
    plain = make_trainer(tmp_path / "plain", 5)
    plain.train()
    assert plain.export_model()[1] == {"weights": "final EMA", "step": 5}
