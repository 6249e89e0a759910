"""Typed YAML configs: a recipe declares nested ``@dataclass`` configs, YAML fills them in.

    @dataclass
    class RecipeConfig:
        data_dir: str
        trainer: TrainerConfig = field(default_factory=TrainerConfig)

    cfg = load_config(RecipeConfig, "conf/base.yaml", ["trainer.max_steps=10"])

Every key is checked against the dataclass: unknown keys, wrong types and missing required
fields raise ``ConfigError`` naming the dotted key. Supported field types: int, float (ints
accepted), bool, str, Path, Any, Optional/unions, Literal choices, list[...] and tuple[...],
dict[str, ...] and nested dataclasses. ``a.b.c=value`` overrides parse the value as YAML.
"""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import os
import types
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, TypeVar, Union

import yaml

from diffmm.errors import DiffmmError

T = TypeVar("T")


class ConfigError(DiffmmError, ValueError):
    """A config file or override that does not fit the recipe's dataclasses."""


def load_config(cls: type[T], path: str | Path | None = None, overrides: Sequence[str] = ()) -> T:
    """Read YAML from ``path`` (or start empty), apply ``key=value`` overrides, validate into ``cls``."""
    data: dict[str, Any] = {}
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"config file '{path}' does not exist")
        try:
            loaded = yaml.safe_load(path.read_text())
        except yaml.YAMLError as err:
            raise ConfigError(f"config file '{path}' is not valid YAML: {err}") from err
        if loaded is not None and not isinstance(loaded, dict):
            raise ConfigError(f"config file '{path}' must hold a mapping at the top level")
        data = loaded or {}
    for override in overrides:
        apply_override(data, override)
    return _convert(cls, data, "")


def config_from_command_line(
    cls: type[T], description: str | None, argv: Sequence[str] | None = None
) -> T:
    """A recipe's command line, ``--config FILE [key=value ...]``, loaded into ``cls``."""
    parser = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--config", required=True)
    parser.add_argument("overrides", nargs="*", help="dotted key=value overrides")
    args = parser.parse_args(argv)
    return load_config(cls, args.config, args.overrides)


def apply_override(data: dict[str, Any], override: str) -> None:
    """Set ``data[a][b][c]`` from ``"a.b.c=value"``; the value is parsed as YAML (``[1, 2]``, ``null``)."""
    key, sep, raw_value = override.partition("=")
    key = key.strip()
    if not sep or not key or any(not part for part in key.split(".")):
        raise ConfigError(f"override '{override}' must look like key=value or a.b.c=value")
    try:
        value = yaml.safe_load(raw_value)
    except yaml.YAMLError as err:
        raise ConfigError(f"override '{override}': value is not valid YAML ({err})") from err
    *parents, leaf = key.split(".")
    node = data
    for depth, part in enumerate(parents):
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            dotted = ".".join(parents[: depth + 1])
            raise ConfigError(f"override '{override}': '{dotted}' is not a section")
        node = child
    node[leaf] = value


def config_to_dict(obj: Any) -> Any:
    """Plain YAML-safe data (dicts, lists, scalars) from a config dataclass or nested containers."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: config_to_dict(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, Mapping):
        return {str(key): config_to_dict(value) for key, value in obj.items()}
    if isinstance(obj, list | tuple):
        return [config_to_dict(value) for value in obj]
    if isinstance(obj, Path):
        return str(obj)
    return obj


def save_config(obj: Any, path: str | Path) -> None:
    """Write a config (dataclass or dict) as YAML, via a temporary file so readers never see half of it."""
    path = Path(path)
    tmp = path.with_name(f".tmp-{path.name}")
    tmp.write_text(yaml.safe_dump(config_to_dict(obj), sort_keys=False))
    os.replace(tmp, path)


def _convert(tp: Any, value: Any, key: str) -> Any:
    if dataclasses.is_dataclass(tp):
        return _convert_dataclass(tp, value, key)
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp is Any:
        return value
    if origin in (Union, types.UnionType):
        return _convert_union(tp, args, value, key)
    if origin is Literal:
        if value not in args or isinstance(value, bool) != isinstance(
            args[args.index(value)], bool
        ):
            raise ConfigError(f"config key '{key}': expected one of {list(args)}, got {value!r}")
        return value
    if origin in (list, tuple):
        return _convert_sequence(tp, origin, args, value, key)
    if origin is dict:
        if not isinstance(value, dict):
            raise _type_error(key, tp, value)
        value_type = args[1] if args else Any
        if not all(isinstance(k, str) for k in value):
            raise ConfigError(f"config key '{key}': mapping keys must be strings")
        return {k: _convert(value_type, v, f"{key}.{k}") for k, v in value.items()}
    return _convert_scalar(tp, value, key)


def _convert_dataclass(cls: Any, value: Any, key: str) -> Any:
    if value is None:
        value = {}
    if not isinstance(value, dict):
        raise ConfigError(
            f"config key '{key or '<root>'}': expected a section (mapping), got {value!r}"
        )
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    prefix = f"{key}." if key else ""
    for name in value:
        if name not in fields:
            close = difflib.get_close_matches(str(name), list(fields), n=1)
            hint = f" (did you mean '{prefix}{close[0]}'?)" if close else ""
            raise ConfigError(f"unknown config key '{prefix}{name}'{hint}")
    kwargs = {}
    for name, f in fields.items():
        if name in value:
            kwargs[name] = _convert(hints[name], value[name], prefix + name)
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise ConfigError(f"missing required config key '{prefix}{name}'")
    try:
        return cls(**kwargs)
    except ConfigError:
        raise
    except (TypeError, ValueError) as err:
        raise ConfigError(f"config section '{key or '<root>'}': {err}") from err


def _convert_union(tp: Any, args: tuple, value: Any, key: str) -> Any:
    if value is None:
        if type(None) in args:
            return None
        raise _type_error(key, tp, value)
    options = [a for a in args if a is not type(None)]
    if len(options) == 1:  # Optional[X]: keep X's precise message
        return _convert(options[0], value, key)
    for option in options:
        try:
            return _convert(option, value, key)
        except ConfigError:
            continue
    raise _type_error(key, tp, value)


def _convert_sequence(tp: Any, origin: type, args: tuple, value: Any, key: str) -> Any:
    if not isinstance(value, list | tuple):
        raise _type_error(key, tp, value)
    if origin is tuple and args and args[-1] is not Ellipsis:
        if len(value) != len(args):
            raise ConfigError(f"config key '{key}': expected {len(args)} items, got {len(value)}")
        item_types = list(args)
    else:
        item_types = [args[0] if args else Any] * len(value)
    items = [_convert(t, v, f"{key}[{i}]") for i, (t, v) in enumerate(zip(item_types, value))]
    return tuple(items) if origin is tuple else items


def _convert_scalar(tp: Any, value: Any, key: str) -> Any:
    if tp is bool:
        if isinstance(value, bool):
            return value
    elif tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif tp is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        # PyYAML follows YAML 1.1, where "1e-4" (no dot) is a string, not a float.
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                pass
    elif tp is str:
        if isinstance(value, str):
            return value
    elif tp is Path:
        if isinstance(value, str | Path):
            return Path(value)
    else:
        raise ConfigError(f"config key '{key}': unsupported field type {tp!r}")
    raise _type_error(key, tp, value)


def _type_error(key: str, tp: Any, value: Any) -> ConfigError:
    return ConfigError(
        f"config key '{key}': expected {_type_name(tp)}, got {type(value).__name__} {value!r}"
    )


def _type_name(tp: Any) -> str:
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (Union, types.UnionType):
        return " or ".join(_type_name(a) for a in args)
    if origin is Literal:
        return f"one of {list(args)}"
    if origin is not None:
        return f"{origin.__name__}[{', '.join(_type_name(a) for a in args)}]"
    if tp is type(None):
        return "null"
    return getattr(tp, "__name__", repr(tp))
