"""Shared test configuration: each test folder is a pytest marker (``pytest -m engine``)."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
AREAS = ("engine", "nn", "platform", "toy")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        parts = Path(str(item.fspath)).relative_to(REPO_ROOT / "tests").parts
        if len(parts) > 1 and parts[0] in AREAS:
            item.add_marker(getattr(pytest.mark, parts[0]))


@pytest.fixture
def repo_root() -> Path:
    return REPO_ROOT
