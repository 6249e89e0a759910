"""Shared test configuration: each test folder is a pytest marker (``pytest -m engine``).

Tests use tiny models, for which intra-op threads only add overhead, and on a loaded 2-core
machine OpenMP's spinning threads made a 64-wide MLP step ~100x slower. So the session (and
every subprocess it starts, through the environment) runs PyTorch on one thread.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

from pathlib import Path

import pytest
import torch

torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))

REPO_ROOT = Path(__file__).resolve().parents[1]
AREAS = (
    "engine",
    "nn",
    "platform",
    "toy",
    "audio",
    "timeseries",
    "vision",
    "text",
    "tts",
    "pointcloud",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        parts = Path(str(item.fspath)).relative_to(REPO_ROOT / "tests").parts
        if len(parts) > 1 and parts[0] in AREAS:
            item.add_marker(getattr(pytest.mark, parts[0]))


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT
