"""Model families: a name → a function that builds the network from a bundle's config.

A bundle's ``config.yaml`` names its family; ``diffmm.load`` looks the family up here to
rebuild the network before loading its weights, so inference never needs the recipe.
Families register at import time:

    @register_family("toy")
    def build_toy(config: dict) -> nn.Module: ...

A family named ``foo`` that is not registered yet is looked for in ``diffmm.models.foo``
(imported on first use), so families need no central list.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from torch import nn

from diffmm.errors import DiffmmError

BuildModel = Callable[[dict], nn.Module]

_FAMILIES: dict[str, BuildModel] = {}


def register_family(name: str, build_model: BuildModel | None = None):
    """Register ``build_model`` under ``name``; without ``build_model``, return a decorator."""
    if build_model is None:
        return lambda fn: register_family(name, fn)
    existing = _FAMILIES.get(name)
    if existing is not None and _qualified(existing) != _qualified(build_model):
        raise DiffmmError(f"model family '{name}' is already registered by {_qualified(existing)}")
    _FAMILIES[name] = build_model
    return build_model


def _qualified(fn: Callable) -> str:
    return f"{fn.__module__}.{getattr(fn, '__qualname__', repr(fn))}"


def get_family(name: str) -> BuildModel:
    """The builder of family ``name``; ``DiffmmError`` listing the known families if none."""
    if name not in _FAMILIES and name.isidentifier():
        module = f"diffmm.models.{name}"
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as err:
            if err.name != module:  # the family module exists but one of its imports is missing
                raise
    if name not in _FAMILIES:
        _import_every_family()
        raise DiffmmError(
            f"unknown model family '{name}'; known families: {', '.join(known_families()) or 'none'}"
        )
    return _FAMILIES[name]


def _import_every_family() -> None:
    """Import each module of ``diffmm.models`` so that every family is registered (a module
    whose optional dependency is missing is skipped): the error must list them all."""
    import pkgutil

    import diffmm.models

    for module in pkgutil.iter_modules(diffmm.models.__path__):
        try:
            importlib.import_module(f"diffmm.models.{module.name}")
        except ImportError:
            continue


def known_families() -> list[str]:
    return sorted(_FAMILIES)
