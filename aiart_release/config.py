"""The user's declarations: ``aiart-release.yaml`` in the bundle, or
``[tool.aiart-release]`` in its ``pyproject.toml``, or a file named with
``--config``. Validated against ``schemas/config.schema.json``; an invalid
file raises :class:`ConfigError` naming the file and the line.

The configuration is read as untrusted: only a regular file, at most 1 MiB,
within the limits of :mod:`readers.limits`. A configuration found in the
bundle may name a policy only inside the bundle (one from ``--config`` may
name any). A declaration source that exists but cannot be read is an error,
never "nothing declared": a gate must not pass because a file broke.
"""

from __future__ import annotations

import os
import re
from dataclasses import field
from pathlib import Path
from typing import Any

from .ignores import AllowList, ConfigIgnore, parse_allow, parse_config_ignores
from .lazy_pattern import LazyPattern
from .readers.limits import CONFIG_LIMITS, LimitExceeded
from .readers.yamlfile import (
    DataFileError,
    LoadedYaml,
    decode_data,
    load_yaml,
    read_data_bytes,
    read_data_file,
    validate,
)
from .records import dataclass
from .sizes import DEFAULT_MAX_FILE_SIZE, DEFAULT_SNIFF_BYTES

CONFIG_NAMES = ("aiart-release.yaml", "aiart-release.yml", ".aiart-release.yaml")
PYPROJECT_TABLE = "aiart-release"

DEFAULT_SECONDS_PER_FILE = 120.0  # see watchdog.py

# The model declaration's defaults (``model:``; docs/model-files.md).
DEFAULT_SAMPLES = 256
DEFAULT_BATCH_SIZE = 32
DEFAULT_SEED = 0


# The gate's one default rule (docs/configuration.md, "The gate"): with no
# release declared there is no tier to hold the bundle to, so findings at or
# above this severity fail the run; with ``release`` declared the tier gate
# judges it, and ``fail_on`` adds a severity gate only when set. ``assess``
# and ``hook`` both follow it.
DEFAULT_FAIL_ON = "high"


class ConfigError(DataFileError):
    """The configuration cannot be used (exit code 2)."""


@dataclass(frozen=True)
class ModelDeclaration:
    """``model:`` of the configuration: the generator the bundle declares.

    Nothing here is imported or run unless the user passes
    ``--trust-bundle-code``; then only in a child process (the generation
    check). ``weights`` is a path relative to the bundle root that stays
    inside it (checked when the configuration is loaded)."""

    module: str
    function: str
    weights: str
    samples: int = DEFAULT_SAMPLES
    batch_size: int = DEFAULT_BATCH_SIZE
    seed: int = DEFAULT_SEED

    @property
    def generator(self) -> str:
        return f"{self.module}:{self.function}"


@dataclass
class Config:
    """Validated declarations, with defaults filled in."""

    source: str | None = None
    release: dict[str, str] = field(default_factory=dict)
    commercial: bool | None = None
    artifacts: dict[str, list[str]] = field(default_factory=dict)
    exclude: list[str] = field(default_factory=list)
    checks: dict[str, dict[str, Any]] = field(default_factory=dict)
    policy: Path | None = None
    fail_on: str | None = None
    contact: str | None = None
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    sniff_bytes: int = DEFAULT_SNIFF_BYTES
    # Time one check may spend on one file before the watchdog stops it.
    seconds_per_file: float = DEFAULT_SECONDS_PER_FILE
    # The generator the bundle declares (``model:``), if any.
    model: ModelDeclaration | None = None
    # ``training:`` as written: the training check validates its fields and
    # reports bad values as findings (plugins/training/declared.py).
    training: dict[str, Any] | None = None
    # Findings accepted by id and path glob, and values published on purpose
    # (``ignore:``, ``allow:``; ignores.py, docs/baseline.md).
    ignore: list[ConfigIgnore] = field(default_factory=list)
    allow: AllowList = field(default_factory=AllowList)

    def check_settings(self, check_id: str) -> dict[str, Any]:
        settings = dict(self.checks.get(check_id, {}))
        settings.pop("enabled", None)
        return settings

    def check_enabled(self, check_id: str) -> bool:
        return bool(self.checks.get(check_id, {}).get("enabled", True))

    def declared(self) -> dict[str, Any]:
        """The ``declared`` block of the assessment JSON."""
        out: dict[str, Any] = {}
        if self.release:
            tiers = set(self.release.values())
            if len(tiers) == 1 and len(self.release) == 3:
                out["release"] = tiers.pop()
            else:
                out["release"] = dict(sorted(self.release.items()))
        if self.commercial is not None:
            out["commercial"] = self.commercial
        return out


class LoadedToml:
    """The ``[tool.aiart-release]`` table, with approximate line positions
    (tomllib keeps none): the line of the key, else of the table header."""

    def __init__(self, data: Any, text: str, filename: str):
        self.data = data
        self.filename = filename
        self._lines = text.splitlines()
        header = re.compile(r"^\s*\[\s*tool\.(\"aiart-release\"|aiart-release)\s*[\].]")
        self._start = next((i for i, ln in enumerate(self._lines) if header.match(ln)), 0)

    def position(self, path: list[str | int]) -> tuple[int, int]:
        line = self._start
        for key in path:
            if isinstance(key, int):
                continue
            pattern = re.compile(rf"^\s*(\[.*\b)?\"?{re.escape(key)}\"?\s*(=|\])")
            for i in range(line, len(self._lines)):
                if pattern.search(self._lines[i]):
                    line = i
                    break
        return line + 1, 1

    key_position = position  # a TOML key and its value share a line

    def where(self, path: list[str | int], key: bool = False) -> str:
        line, column = self.position(path)
        return f"{self.filename}:{line}:{column}"


def default_fail_on(config: Config) -> str | None:
    """The severity gate when neither ``--fail-on`` nor ``fail_on`` says one:
    ``high`` when the configuration declares no release, none when it does
    (the declared tiers are then the gate)."""
    return None if config.release else DEFAULT_FAIL_ON


def find_config(bundle: Path) -> Path | None:
    """The config file a bundle declares, if any. Raises ConfigError when a
    file that may hold the declarations cannot be read or leaves the bundle."""
    for name in CONFIG_NAMES:
        candidate = bundle / name
        if os.path.lexists(candidate):
            _check_inside(candidate, bundle, name)
            return candidate
    pyproject = bundle / "pyproject.toml"
    if not os.path.lexists(pyproject):
        return None
    _check_inside(pyproject, bundle, "pyproject.toml")
    raw = read_data_bytes(pyproject, CONFIG_LIMITS.max_bytes, "configuration", ConfigError)
    if PYPROJECT_TABLE.encode() not in raw:
        return None  # someone else's file, whatever state it is in
    # From here on the file may hold our declarations: if they cannot be
    # read, the run stops (fail closed) rather than assess undeclared.
    text = decode_data(raw, str(pyproject), "configuration", ConfigError)
    import tomllib  # only for a pyproject.toml or a TOML configuration

    from .readers.tomlfile import load_toml

    try:
        data = load_toml(text, CONFIG_LIMITS)
    except (tomllib.TOMLDecodeError, LimitExceeded):
        # Broken TOML that holds our table is our configuration, and the
        # user must hear about it; otherwise it is someone else's file.
        return pyproject if re.search(r"^\s*\[\s*tool\.\"?aiart-release", text, re.M) else None
    if PYPROJECT_TABLE in data.get("tool", {}):
        return pyproject
    return None


def _check_inside(path: Path, bundle: Path, name: str) -> None:
    if not _inside(path, bundle):
        raise ConfigError([f"{path}: {name} is a link that leaves the bundle: not read "
                           "(pass --config to use a configuration from elsewhere)"])


def _inside(path: Path, folder: Path) -> bool:
    """Whether ``path``, links resolved, lies in ``folder``."""
    real = Path(os.path.realpath(path))
    return real.is_relative_to(os.path.realpath(folder))


def load_config(bundle: Path, explicit: Path | None = None) -> Config:
    """Load and validate the bundle's configuration (or ``explicit``, the
    user's own, which may name files outside the bundle)."""
    path = explicit or find_config(bundle)
    if path is None:
        return Config()
    shown = str(path)
    text = read_data_file(path, CONFIG_LIMITS.max_bytes, "configuration", ConfigError)

    loaded: LoadedYaml | LoadedToml
    if path.suffix == ".toml":
        import tomllib

        from .readers.tomlfile import load_toml

        try:
            doc = load_toml(text, CONFIG_LIMITS)
        except LimitExceeded as exc:
            raise ConfigError.from_limit(exc, shown) from None
        except tomllib.TOMLDecodeError as exc:
            message = str(exc)
            place = re.search(r"\(at line (\d+), column (\d+)\)", message)
            where = f"{shown}:{place.group(1)}:{place.group(2)}" if place else shown
            message = re.sub(r"\s*\(at line \d+, column \d+\)", "", message)
            raise ConfigError([f"{where}: invalid TOML: {message}"]) from None
        table = doc.get("tool", {}).get(PYPROJECT_TABLE, {})
        loaded = LoadedToml(table, text, shown)
    else:
        try:
            loaded = load_yaml(text, shown, CONFIG_LIMITS)
        except DataFileError as exc:
            raise ConfigError(exc.problems, exc.limit) from None
        if loaded.data is None:
            loaded.data = {}
    if not isinstance(loaded.data, dict):
        raise ConfigError([f"{loaded.where([])}: the configuration must be a mapping of keys"])
    try:
        validate(loaded, "config.schema.json")  # type: ignore[arg-type]
    except DataFileError as exc:
        raise ConfigError(exc.problems) from None
    _check_policy_path(loaded, path, bundle, from_bundle=explicit is None)
    _check_model(loaded, bundle)
    _check_ignores(loaded)
    try:
        return _from_data(loaded.data, path, shown)
    except ValueError:  # a size the schema's pattern let through (0.5 bytes)
        where = loaded.where(["limits", "max_file_size"])
        raise ConfigError([f"{where}: limits.max_file_size: not a size of at least one "
                           "byte (4096, 100MB, 2 GiB)"]) from None


def _check_policy_path(loaded: LoadedYaml | LoadedToml, path: Path, bundle: Path,
                       from_bundle: bool) -> None:
    """A bundle's own configuration may name a policy only inside the bundle:
    a bundle someone else made must not make the tool read (and quote) any
    file of the machine. The user's ``--config`` may name any."""
    policy = loaded.data.get("policy")
    if not policy or not from_bundle:
        return
    if not _inside(path.parent / policy, bundle):
        raise ConfigError([f"{loaded.where(['policy'])}: policy: the path leaves the bundle; "
                           "a bundle's own configuration may name only files inside it "
                           "(pass --policy to use a policy from elsewhere)"])


# module:function, each part a Python identifier (the module dotted).
_GENERATOR = LazyPattern(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*:[A-Za-z_]\w*", re.ASCII)


def _check_model(loaded: LoadedYaml | LoadedToml, bundle: Path) -> None:
    """What the schema cannot say of ``model:``: the generator is
    ``module:function``, and the weights are the bundle's own safetensors
    file, a path relative to the bundle root that, links resolved, stays
    inside it, whichever file declared it (the generator that reads them is
    the bundle's code). The messages quote nothing of the file."""
    model = loaded.data.get("model")
    if not isinstance(model, dict):
        return
    if not _GENERATOR.fullmatch(model["generator"]):
        raise ConfigError([f"{loaded.where(['model', 'generator'])}: model.generator: not "
                           "module:function (a module inside the bundle, dotted, and the "
                           "name of a function in it, e.g. sample:generate)"])
    weights = model["weights"]
    where = loaded.where(["model", "weights"])
    if not weights.endswith(".safetensors"):
        raise ConfigError([f"{where}: model.weights: not a .safetensors file (pickled weights "
                           "are never loaded: convert them to safetensors)"])
    if Path(weights).is_absolute() or ".." in Path(weights).parts or not _inside(
            bundle / weights, bundle):
        raise ConfigError([f"{where}: model.weights: the path leaves the bundle; name the "
                           "weights file relative to the bundle root, inside it"])


def _check_ignores(loaded: LoadedYaml | LoadedToml) -> None:
    """``ignore:`` and ``allow:`` as ignores.py reads them; the message
    names the key, never a value."""
    for key, parse in (("ignore", parse_config_ignores), ("allow", parse_allow)):
        try:
            parse(loaded.data.get(key))
        except ValueError as exc:
            raise ConfigError([f"{loaded.where([key])}: {exc}"]) from None


def _model_declaration(model: dict[str, Any] | None) -> ModelDeclaration | None:
    if not model:
        return None
    module, function = model["generator"].split(":")
    return ModelDeclaration(
        module=module, function=function, weights=Path(model["weights"]).as_posix(),
        samples=model.get("samples", DEFAULT_SAMPLES),
        batch_size=model.get("batch_size", DEFAULT_BATCH_SIZE),
        seed=model.get("seed", DEFAULT_SEED),
    )


def _from_data(data: dict[str, Any], path: Path, shown: str) -> Config:
    release = data.get("release")
    if isinstance(release, str):
        release_map = {artifact: release for artifact in ("model", "code", "dataset")}
    else:
        release_map = dict(release or {})
    limits = data.get("limits", {})
    policy = data.get("policy")
    return Config(
        source=shown,
        release=release_map,
        commercial=data.get("commercial"),
        artifacts={k: list(v) for k, v in data.get("artifacts", {}).items()},
        exclude=list(data.get("exclude", [])),
        checks={k: dict(v) for k, v in data.get("checks", {}).items()},
        policy=(path.parent / policy) if policy else None,
        fail_on=data.get("fail_on"),
        contact=data.get("contact"),
        max_file_size=parse_size(limits.get("max_file_size", DEFAULT_MAX_FILE_SIZE)),
        sniff_bytes=int(limits.get("sniff_bytes", DEFAULT_SNIFF_BYTES)),
        seconds_per_file=float(limits.get("seconds_per_file", DEFAULT_SECONDS_PER_FILE)),
        model=_model_declaration(data.get("model")),
        training=data.get("training"),
        ignore=parse_config_ignores(data.get("ignore")),
        allow=parse_allow(data.get("allow")),
    )


_UNITS = {"": 1, "B": 1, "KB": 1000, "MB": 1000**2, "GB": 1000**3, "TB": 1000**4,
          "KIB": 1024, "MIB": 1024**2, "GIB": 1024**3, "TIB": 1024**4}


def parse_size(value: int | str) -> int:
    """``4096``, ``"100MB"`` or ``"2 GiB"`` as a number of bytes."""
    if isinstance(value, int):
        return value
    match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([KMGT]i?B|B)?\s*", value, re.IGNORECASE)
    if not match:
        raise ValueError(f"not a size: {value!r}")
    number, unit = match.groups()
    size = int(float(number) * _UNITS[(unit or "").upper()])
    if size < 1:
        raise ValueError(f"not a size: {value!r} is less than one byte")
    return size
