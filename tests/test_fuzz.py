"""Property-based tests of every reader on hostile input (hypothesis).

Each property plants one generated file where a bundle may hold it (a card,
the config, a sources manifest, a table, a notebook, a YAML or JSON data
file, safetensors weights) and assesses the bundle in-process, as
``aiart-release assess`` does. Whatever the content:

- no exception escapes: the exit code is 0, 1, or 2 for the bundle's own
  config, never 3 (an internal error), and stderr holds no traceback;
- time stays within the budget of docs/security.md (10 s a bundle);
- memory stays bounded (the process's peak grows by less than 300 MB).

Rule packs and policies, which users hand in, get the same properties on
their loaders: a DataFileError with a position, or a value.

`make test` runs a few examples of each; `make fuzz` runs many more
(``HYPOTHESIS_PROFILE=fuzz``). See docs/security.md for running under
atheris.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import resource
import tempfile
import time
from pathlib import Path

import pytest
import yaml
from conftest import yaml_bomb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aiart_release.readers.yamlfile import DataFileError

settings.register_profile(
    "default", max_examples=int(os.environ.get("FUZZ_EXAMPLES", 8)), deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True, database=None)
settings.register_profile(
    "fuzz", max_examples=int(os.environ.get("FUZZ_EXAMPLES", 400)), deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

MAX_SECONDS = 10.0
MAX_GROWTH_MB = 300

# --- content ---------------------------------------------------------------

_scalars = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True)
            | st.text(max_size=40))
json_values = st.recursive(
    _scalars, lambda inner: st.lists(inner, max_size=6)
    | st.dictionaries(st.text(max_size=12), inner, max_size=6), max_leaves=40)


def _yaml_dump(value) -> str:
    try:
        return yaml.safe_dump(value, allow_unicode=True)
    except yaml.YAMLError:
        return "x: 1\n"


depths = st.integers(min_value=1, max_value=60_000)
json_texts = st.one_of(
    json_values.map(lambda v: json.dumps(v)),
    depths.map(lambda n: "[" * n + "]" * n),
    depths.map(lambda n: '{"a":' * n + "1" + "}" * n),
    depths.map(lambda n: "[" * n),  # unterminated
    st.text(max_size=300),
)
yaml_texts = st.one_of(
    json_values.map(_yaml_dump),
    st.integers(min_value=1, max_value=12).map(yaml_bomb),
    depths.map(lambda n: "x: " + "[" * n + "]" * n + "\n"),
    depths.map(lambda n: "".join(f"{'  ' * i}k{i}:\n" for i in range(min(n, 3000)))),
    st.text(max_size=300),
)
cells = st.text(alphabet=st.characters(codec="utf-8"), max_size=30) | st.sampled_from(
    ['"', '""', "\n", "\r", "\0", ",", "a" * 200_000, "=cmd|' /C calc'!A0"])
csv_texts = st.lists(st.lists(cells, min_size=1, max_size=5), min_size=1, max_size=8).map(
    lambda rows: "\n".join(",".join(r) for r in rows))
notebooks = st.one_of(
    st.builds(lambda outs, src: json.dumps({"cells": [
        {"cell_type": "code", "source": src, "outputs": outs}], "nbformat": 4}),
        st.lists(json_values, max_size=3), st.text(max_size=80) | json_values),
    json_texts)
safetensors = st.one_of(
    st.builds(lambda n, body: n.to_bytes(8, "little") + body,
              st.integers(min_value=0, max_value=2**64 - 1), st.binary(max_size=200)),
    json_values.map(lambda v: (lambda b: len(b).to_bytes(8, "little") + b)(
        json.dumps({"__metadata__": v}).encode())),
    st.binary(max_size=64))
cards = st.builds(lambda front, body: f"---\n{front}---\n# Model card\n\n{body}\n",
                  yaml_texts, st.text(max_size=200))

# (where in the bundle, what it holds)
PLANTS = {
    "card": ("README.md", cards),
    "config": ("aiart-release.yaml", yaml_texts),
    "pyproject": ("pyproject.toml", st.text(max_size=300).map(
        lambda t: "[tool.aiart-release]\n" + t)),
    "manifest-csv": ("sources.csv", csv_texts.map(lambda t: "path,creator,license\n" + t)),
    "manifest-json": ("sources.json", json_texts),
    "manifest-yaml": ("sources.yaml", yaml_texts),
    "table-csv": ("data/captions.csv", csv_texts),
    "table-jsonl": ("data/captions.jsonl", st.lists(json_texts, max_size=4).map("\n".join)),
    "data-json": ("data/meta.json", json_texts),
    "data-yaml": ("data/meta.yaml", yaml_texts),
    "notebook": ("notebooks/train.ipynb", notebooks),
    "safetensors": ("model/w.safetensors", safetensors),
}


def _assess(files: dict[str, str | bytes]) -> tuple[int, str, float]:
    from aiart_release.cli import main

    with tempfile.TemporaryDirectory() as tmp:
        bundle = Path(tmp) / "bundle"
        for rel, content in {"data/a.png": b"\x89PNG\r\n\x1a\n", **files}.items():
            target = bundle / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, str):
                content = content.encode("utf-8", "surrogatepass")
            target.write_bytes(content)
        err = io.StringIO()
        started = time.perf_counter()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = main(["assess", str(bundle), "--format", "json", "--no-cache", "-j", "1",
                         "--output", str(Path(tmp) / "report.json")])
        return code, err.getvalue(), time.perf_counter() - started


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@pytest.fixture(scope="module", autouse=True)
def _warm():
    """Load the plugins and models once, so the memory bound measures the
    readers, not spaCy."""
    _assess({"data/captions.csv": "caption\nMaria paints harbours\n"})


@pytest.mark.parametrize("plant", sorted(PLANTS))
def test_no_reader_fails_on_hostile_content(plant):
    where, content = PLANTS[plant]
    before = _peak_mb()

    @given(content)
    def holds(value):
        code, err, seconds = _assess({where: value})
        # 2 is allowed only where the file is the bundle's own config.
        allowed = (0, 1, 2) if plant in ("config", "pyproject") else (0, 1)
        assert code in allowed, err[-3000:]
        assert "Traceback" not in err, err[-3000:]
        assert seconds < MAX_SECONDS, seconds

    holds()
    assert _peak_mb() - before < MAX_GROWTH_MB


def _loads_or_names_the_file(load, name: str, text: str) -> None:
    """``load`` (a loader of a file the user hands in) returns a value, or
    raises DataFileError whose every problem starts with the file's path;
    within the time budget either way."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_text(text, "utf-8", errors="surrogatepass")
        started = time.perf_counter()
        try:
            load(path)
        except DataFileError as exc:
            assert all(str(problem).startswith(str(path)) for problem in exc.problems)
        assert time.perf_counter() - started < MAX_SECONDS


@given(yaml_texts)
def test_a_rule_pack_loads_or_says_where_it_is_wrong(text):
    from aiart_release.rules import load_pack

    _loads_or_names_the_file(load_pack, "pack.yaml", text)


@given(yaml_texts)
def test_a_policy_loads_or_says_where_it_is_wrong(text):
    from aiart_release.policy import load_policy

    _loads_or_names_the_file(load_policy, "policy.yaml", text)
