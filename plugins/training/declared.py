"""What a release says about its training: the ``training:`` section of
``aiart-release.yaml``, a model card's ``co2_eq_emissions``, and what the
training tools left in the bundle (kohya's metadata in a LoRA's safetensors
header, a Weights & Biases run's ``wandb-metadata.json`` and
``wandb-summary.json`` and ``config.yaml``, a kohya/diffusers/accelerate
TOML, JSON or YAML config).

Every value is checked before use: a value of the wrong type, out of any
sensible range, or naming hardware or a place the tables do not know is a
:class:`Problem` naming the field and the file, never an exception. Values
from the training tools' files only fill what the release did not declare,
and are dropped quietly when they are absurd (those files were not written
by a person for this purpose).
"""

from __future__ import annotations

import math
import re
from dataclasses import field
from functools import cache
from pathlib import Path, PurePosixPath
from typing import Any

from aiart_release.readers.jsonfile import load_json
from aiart_release.readers.limits import (
    CONFIG_LIMITS,
    LimitExceeded,
    Limits,
    read_regular_file,
)
from aiart_release.readers.text import TextUnreadable, decode
from aiart_release.readers.yamlfile import DataFileError, load_yaml
from aiart_release.records import dataclass

from .tool_files import MAX_HINT_BYTES, tool_files

# The fields of the ``training:`` section, with what each must be.
FIELDS = {
    "hardware": "the GPU (or TPU, CPU) model, as its maker names it: RTX 4090, A100",
    "count": "how many of them, a whole number from 1 to 100,000 (with `instance`: how many "
             "instances)",
    "hours": "wall-clock hours of training, more than 0 and at most 100,000",
    "provider": "the cloud provider's id: aws, gcp, azure, ovh, scaleway, coreweave, seeweb",
    "region": "the cloud region's id or name: us-east-1, europe-west4",
    "instance": "a cloud instance type (p3.8xlarge): gives the GPU and its count",
    "country": "where the machines ran, when not in a listed cloud region: France, USA, "
               "or an electricity zone such as US-CAL-CISO",
    "pue": "the data centre's power usage effectiveness, from 1.0 to 3.0",
    "from_scratch": "true when no pre-trained model was started from",
    "base_model": "the model it was fine-tuned from (a Hub id or a name)",
    "steps": "optimizer steps (information only)",
}
MAX_COUNT = 100_000
MAX_HOURS = 100_000.0
PUE_RANGE = (1.0, 3.0)
MAX_TEXT = 200
# How many of the bundle's weight files and run logs are read for hints.
MAX_HINT_FILES = 20
# Training tools' files are small: a run's metadata, an accelerate or kohya
# config hold tens of values. Parsing YAML costs about 10 µs a value, so a
# tight node limit keeps twenty hostile files to a few seconds.
# How many configs are read to look for the keys (in path order).
MAX_CONFIG_CANDIDATES = 200
# A LoRA's or a checkpoint's header lists its tensors in a few hundred KB.
MAX_WEIGHTS_HEADER = 8 * 1024 * 1024
HINT_LIMITS = Limits(max_bytes=MAX_HINT_BYTES, max_depth=32, max_aliases=20, max_nodes=10_000)


@dataclass(frozen=True)
class Problem:
    """A declared value that cannot be used: which finding, field and file."""

    id: str  # training.declaration-invalid, training.unknown-hardware, training.unknown-region
    field: str
    path: str
    message: str
    line: int | None = None
    context: str = "config"
    blocks_estimate: bool = True


@dataclass(frozen=True)
class Stated:
    """A value and where it was stated (``aiart-release.yaml: training.hours``)."""

    value: Any
    source: str
    path: str = ""


@dataclass
class CardStatement:
    """A model card's ``co2_eq_emissions``."""

    path: str
    line: int | None
    grams: float | None = None
    source: str | None = None
    training_type: str | None = None
    geographical_location: str | None = None
    hardware_used: str | None = None


@dataclass
class Declared:
    """Everything stated about the training, valid values only."""

    training: dict[str, Stated] = field(default_factory=dict)
    card: CardStatement | None = None
    hints: dict[str, Stated] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    config_path: str | None = None
    # The line of each field of the training section (of ``training:`` itself
    # under the key "").
    lines: dict[str, int | None] = field(default_factory=dict)

    def get(self, name: str) -> Stated | None:
        """The declared value, else the training tools' one."""
        return self.training.get(name) or self.hints.get(name)

    def config_problem(self, finding: str, name: str, message: str) -> None:
        """A problem with the field ``name`` of the training section."""
        self.problems.append(Problem(finding, f"training.{name}",
                                     self.config_path or "aiart-release.yaml", message,
                                     self.lines.get(name, self.lines.get(""))))


# --- aiart-release.yaml ------------------------------------------------------

def config_place(config: Any, root: Path) -> tuple[str, Any]:
    """The configuration's path as findings show it (relative to the bundle
    when it is inside), and its positions (a LoadedYaml) when it is a YAML
    file that reads again; None when they cannot be had."""
    source = getattr(config, "source", None) or "aiart-release.yaml"
    try:
        shown = Path(source).resolve().relative_to(root.resolve()).as_posix()
    except (ValueError, OSError):
        shown = source
    if not source.endswith((".yaml", ".yml")):
        return shown, None
    try:
        text = decode(read_regular_file(Path(source), CONFIG_LIMITS.max_bytes))
        return shown, load_yaml(text, shown, CONFIG_LIMITS)
    except (OSError, TextUnreadable, LimitExceeded, DataFileError):
        return shown, None


def read_training_section(section: Any, path: str, positions: Any, out: Declared) -> None:
    """Check each field of ``training:`` and keep the valid ones."""
    out.config_path = path

    def line_of(*keys: str) -> int | None:
        if positions is None:
            return None
        return positions.key_position(["training", *keys])[0]

    invalid = "training.declaration-invalid"
    out.lines[""] = line_of()
    if not isinstance(section, dict):
        out.problems.append(Problem(invalid, "training", path, "`training` must be a mapping "
                                    f"of fields ({', '.join(FIELDS)})", line_of()))
        return
    for key in section:
        out.lines[str(key)[:40]] = line_of(str(key))
        if key not in FIELDS:
            out.config_problem(invalid, str(key)[:40], f"`training.{str(key)[:40]}` is not a "
                               f"field of the training section (known: {', '.join(FIELDS)})")
    for name, value in section.items():
        if name not in FIELDS or value is None:
            continue
        reason = _invalid(name, value)
        if reason:
            out.config_problem(invalid, name, f"`training.{name}` {reason}")
        else:
            out.training[name] = Stated(value, f"{path}: training.{name}", path)
    if section.get("from_scratch") is True and section.get("base_model"):
        out.config_problem(invalid, "from_scratch", "`training.from_scratch` is true but "
                           "`training.base_model` names a model it started from: say one or "
                           "the other")


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) \
        and math.isfinite(value)


def _invalid(name: str, value: Any) -> str | None:
    """Why ``value`` cannot be the field ``name``, or None."""
    if name in ("hardware", "provider", "region", "instance", "country", "base_model"):
        if not isinstance(value, str) or not value.strip():
            return "must be a non-empty text"
        if len(value) > MAX_TEXT:
            return f"is longer than {MAX_TEXT} characters"
        return None
    if name == "from_scratch":
        return None if isinstance(value, bool) else "must be true or false"
    if name in ("count", "steps"):
        if not isinstance(value, int) or isinstance(value, bool):
            return "must be a whole number"
        if name == "count" and not 1 <= value <= MAX_COUNT:
            return (f"is {value:,}: a count of accelerators from 1 to {MAX_COUNT:,} "
                    "(the largest training clusters)")
        if name == "steps" and value < 0:
            return "must not be negative"
        return None
    if name == "hours":
        if not _number(value):
            return "must be a number of hours (6, 1.5)"
        if not 0 < value <= MAX_HOURS:
            return f"is {value:g}: hours must be more than 0 and at most {MAX_HOURS:,.0f}"
        return None
    if name == "pue":
        if not _number(value) or not PUE_RANGE[0] <= value <= PUE_RANGE[1]:
            return f"must be a number from {PUE_RANGE[0]} to {PUE_RANGE[1]}"
    return None


# --- the model card -----------------------------------------------------------

def read_card_statement(cards: list[Any], out: Declared) -> None:
    """The first model card's ``co2_eq_emissions`` (the Hub's card metadata:
    a number of grams, or a mapping with ``emissions`` in grams)."""
    for card in cards:
        if "co2_eq_emissions" not in card.metadata:
            continue
        value = card.metadata["co2_eq_emissions"]
        line = _metadata_line(card.text, "co2_eq_emissions")
        statement = CardStatement(card.path, line)
        out.card = statement
        if isinstance(value, dict):
            grams = value.get("emissions")
            for key in ("source", "training_type", "geographical_location", "hardware_used"):
                text = value.get(key)
                if isinstance(text, (str, int, float)) and not isinstance(text, bool):
                    setattr(statement, key, str(text)[:MAX_TEXT])
        else:
            grams = value
        if _number(grams) and grams >= 0:
            statement.grams = float(grams)
        else:
            out.problems.append(Problem(
                "training.declaration-invalid", "co2_eq_emissions.emissions", card.path,
                "`co2_eq_emissions.emissions` must be a number of grams of CO2e, 0 or more",
                line, context="metadata", blocks_estimate=False))
        return


def _metadata_line(text: str, key: str) -> int | None:
    pattern = re.compile(rf"^\s*{re.escape(key)}\s*:")
    for number, line in enumerate(text.split("\n")[:5000], start=1):
        if pattern.match(line):
            return number
    return None


@cache
def _count_and_name() -> re.Pattern[str]:
    return re.compile(r"^\s*(\d{1,7})\s*(?:x|×|\*)?\s+(.+?)\s*$", re.IGNORECASE)


def split_hardware_used(text: str) -> tuple[int | None, str]:
    """``"8 V100 GPUs"`` -> (8, "V100 GPUs"); ``"RTX 4090"`` -> (None, ...)."""
    match = _count_and_name().match(text)
    if match:
        return int(match.group(1)), match.group(2)
    return None, text


# --- what the training tools left ----------------------------------------------

def read_tool_hints(inventory: Any, out: Declared) -> None:
    """Fill hints from kohya's safetensors metadata, Weights & Biases run
    files and training configs. Unreadable or absurd ones are skipped: the
    model-files and other checks report broken files."""
    weights, runs, configs = tool_files(inventory)
    for file in weights[:MAX_HINT_FILES]:
        _kohya_metadata(file, out)
    for file in runs[:MAX_HINT_FILES]:
        _wandb_run(inventory, file, out)
    # Only the configs that name a key we read are parsed.
    parsed = 0
    for file in configs[:MAX_CONFIG_CANDIDATES]:
        if parsed >= MAX_HINT_FILES:
            break
        raw = _raw(file)
        if raw is not None and any(key in raw for key in _CONFIG_KEYS):
            parsed += 1
            _training_config(file, raw, out)


def _hint(out: Declared, name: str, value: Any, source: str, path: str) -> None:
    if name not in out.hints and value is not None and _invalid(name, value) is None:
        out.hints[name] = Stated(value, source, path)


def _kohya_metadata(file: Any, out: Declared) -> None:
    from aiart_release.readers.safetensors import SafetensorsError, read_header

    try:
        with open(file.abspath, "rb") as handle:
            length = int.from_bytes(handle.read(8), "little")
        # kohya's metadata is a few kilobytes; a header of tensors past this
        # is not read again for it (the model-files check reads it).
        if length > MAX_WEIGHTS_HEADER:
            return
        header = read_header(file.abspath)
    except (OSError, SafetensorsError):
        return
    meta = header.get("__metadata__") if isinstance(header, dict) else None
    if not isinstance(meta, dict):
        return
    where = f"{file.path} (kohya metadata)"
    started = _float(meta.get("ss_training_started_at"))
    finished = _float(meta.get("ss_training_finished_at"))
    if started is not None and finished is not None and finished > started:
        _hint(out, "hours", round((finished - started) / 3600, 3), where, file.path)
    base = meta.get("ss_sd_model_name") or meta.get("ss_base_model_version")
    if isinstance(base, str):
        _hint(out, "base_model", base[:MAX_TEXT], where, file.path)
    steps = _float(meta.get("ss_max_train_steps") or meta.get("ss_steps"))
    if steps is not None and steps.is_integer():
        _hint(out, "steps", int(steps), where, file.path)


def _float(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _raw(file: Any) -> bytes | None:
    if file.size > MAX_HINT_BYTES:
        return None
    try:
        return read_regular_file(file.abspath, MAX_HINT_BYTES)
    except OSError:
        return None


def _read_json(file: Any, raw: bytes | None = None) -> Any:
    raw = raw if raw is not None else _raw(file)
    if raw is None:
        return None
    try:
        return load_json(raw, HINT_LIMITS)
    except (LimitExceeded, ValueError, RecursionError):
        return None


def _wandb_run(inventory: Any, file: Any, out: Declared) -> None:
    meta = _read_json(file)
    if not isinstance(meta, dict):
        return
    where = f"{file.path} (Weights & Biases run)"
    gpu = meta.get("gpu")
    if isinstance(gpu, str):
        _hint(out, "hardware", gpu[:MAX_TEXT], where, file.path)
    _hint(out, "count", meta.get("gpu_count"), where, file.path)
    folder = PurePosixPath(file.path).parent.as_posix()
    summary = inventory.get(f"{folder}/wandb-summary.json" if folder != "." else
                            "wandb-summary.json")
    if summary is not None and summary.readable:
        values = _read_json(summary)
        runtime = _float(values.get("_runtime")) if isinstance(values, dict) else None
        if runtime is not None and runtime > 0:
            _hint(out, "hours", round(runtime / 3600, 3), f"{summary.path} (Weights & Biases run)",
                  summary.path)


# Keys training scripts use for the model they start from, and for steps.
_BASE_KEYS = ("pretrained_model_name_or_path", "base_model", "pretrained_model")
_STEP_KEYS = ("max_train_steps",)
# A config is parsed only when its bytes hold one of these.
_CONFIG_KEYS = (b"compute_environment", *(k.encode() for k in (*_BASE_KEYS, *_STEP_KEYS)))


def _training_config(file: Any, raw: bytes, out: Declared) -> None:
    """kohya TOML, diffusers/accelerate JSON or YAML, and a W&B run's
    ``config.yaml`` (whose values are wrapped as ``{value: ...}``)."""
    readers = {".json": _read_json, ".toml": _read_toml}
    data = readers.get(file.suffix, _read_yaml)(file, raw)
    if not isinstance(data, dict):
        return
    where = f"{file.path} (training config)"
    # accelerate's config: how many processes, one per GPU.
    if "compute_environment" in data:
        _hint(out, "count", data.get("num_processes"), where, file.path)
    for table in [data, *(v for v in data.values() if isinstance(v, dict))]:
        for key in (*_BASE_KEYS, *_STEP_KEYS):
            value = table.get(key)
            if isinstance(value, dict):  # W&B: {desc: ..., value: ...}
                value = value.get("value")
            if key in _BASE_KEYS and isinstance(value, str):
                _hint(out, "base_model", value[:MAX_TEXT], where, file.path)
            elif key in _STEP_KEYS:
                _hint(out, "steps", value, where, file.path)


def _read_yaml(file: Any, raw: bytes) -> Any:
    try:
        return load_yaml(decode(raw), file.path, HINT_LIMITS).data
    except (TextUnreadable, LimitExceeded, DataFileError):
        return None


def _read_toml(file: Any, raw: bytes) -> Any:
    import tomllib

    from aiart_release.readers.tomlfile import load_toml

    try:
        return load_toml(decode(raw), HINT_LIMITS)
    except (TextUnreadable, LimitExceeded, tomllib.TOMLDecodeError):
        return None
