"""Every structured reader keeps its limits on hostile files
(aiart_release/readers/limits.py): YAML alias bombs, JSON and TOML nested
tens of thousands of levels deep, sparse weights with a bogus header length.

Each case is a real file in tmp_path read by the real reader (or assessed by
the CLI), and must be refused with the limit it passed, quickly: the "under
10 s" bounds prove "does not hang" (these cases took minutes, or gigabytes,
before the limits).
"""

from __future__ import annotations

import json
import random
import time
from pathlib import Path

import pytest
from conftest import make_bundle, nested_json, yaml_bomb

from aiart_release.bundle import BundleFile
from aiart_release.facts import read_card
from aiart_release.readers.jsonfile import JsonShape, check_json, load_json
from aiart_release.readers.limits import (
    CONFIG_LIMITS,
    DATA_LIMITS,
    LimitExceeded,
    Limits,
    check_tree,
)
from aiart_release.readers.safetensors import SafetensorsError, read_header
from aiart_release.readers.tables import TableError, iter_rows
from aiart_release.readers.text import unreadable_finding
from aiart_release.readers.tomlfile import load_toml
from aiart_release.readers.yamlfile import DataFileError, load_yaml

FAST = 10.0  # seconds: "does not hang", on two busy cores


class Timer:
    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start
        return False


# --- YAML --------------------------------------------------------------------


def test_a_yaml_alias_bomb_is_refused_before_it_expands():
    with Timer() as timer, pytest.raises(DataFileError) as info:
        load_yaml(yaml_bomb(10), "bomb.yaml")
    assert timer.seconds < FAST
    assert info.value.limit is not None
    assert info.value.limit.limit in ("max_nodes", "max_aliases")
    # file:line:column, and the limit by name; nothing quoted from the file
    assert str(info.value).startswith("bomb.yaml:")
    assert "too complex to read safely" in str(info.value)
    assert "lol" not in str(info.value)


def test_many_aliases_of_a_small_value_pass_the_alias_count():
    text = "base: &b x\n" + "".join(f"k{i}: *b\n" for i in range(CONFIG_LIMITS.max_aliases + 1))
    with pytest.raises(DataFileError) as info:
        load_yaml(text, "many.yaml")
    assert info.value.limit.limit == "max_aliases"


def test_a_flat_yaml_list_of_many_values_stops_at_the_node_limit():
    """Two bytes a value: the count happens while the document is composed,
    before half a million nodes sit in memory."""
    text = "[" + "1," * 400_000 + "1]"
    with Timer() as timer, pytest.raises(DataFileError) as info:
        load_yaml(text, "flat.yaml", CONFIG_LIMITS)
    assert timer.seconds < FAST
    assert info.value.limit.limit == "max_nodes"
    assert str(info.value).startswith("flat.yaml:1:")


def test_a_recursive_alias_is_refused():
    with pytest.raises(DataFileError) as info:
        load_yaml("a: &a [1, *a]\n", "loop.yaml")
    assert info.value.limit.limit == "recursive"
    assert "loop.yaml:1:" in str(info.value)


@pytest.mark.parametrize("text", [
    "a: " + "[" * 20_000 + "]" * 20_000 + "\n",  # flow: libyaml's own 1000-level guard
    "".join(" " * i + "k:\n" for i in range(200)) + " " * 200 + "v\n",  # block: ours
])
def test_deep_yaml_is_refused_at_a_position(text):
    with Timer() as timer, pytest.raises(DataFileError) as info:
        load_yaml(text, "deep.yaml")
    assert timer.seconds < FAST
    assert info.value.limit.limit == "max_depth"
    assert "deep.yaml:" in str(info.value)


def test_ordinary_yaml_with_a_few_aliases_still_loads():
    text = "defaults: &d {tier: gated}\nmodel: *d\ndataset: *d\nlist: [1, 2, 3]\n"
    loaded = load_yaml(text, "ok.yaml")
    assert loaded.data["model"] == {"tier": "gated"}


def test_a_yaml_document_over_the_size_limit_is_refused_unparsed():
    with pytest.raises(DataFileError) as info:
        load_yaml("a: 1\n" * 10, "big.yaml", Limits(max_bytes=20))
    assert info.value.limit.limit == "max_bytes"


def test_a_bomb_in_a_cards_front_matter_is_a_card_error_not_a_hang(tmp_path):
    card = tmp_path / "README.md"
    card.write_text("---\nlicense: mit\n" + yaml_bomb(10) + "---\n# Model\n")
    file = BundleFile(path="README.md", abspath=card, size=card.stat().st_size,
                      kind="model-card", artifact="model")
    with Timer() as timer:
        parsed = read_card(file)
    assert timer.seconds < FAST
    assert parsed.metadata == {}
    assert "too complex to read safely" in parsed.error


# --- JSON --------------------------------------------------------------------


def test_json_nested_40000_levels_is_refused_before_parsing():
    with Timer() as timer, pytest.raises(LimitExceeded) as info:
        load_json(nested_json(40_000))
    assert timer.seconds < FAST
    assert info.value.limit == "max_depth"
    assert (info.value.line, info.value.column) == (1, DATA_LIMITS.max_depth + 1)


def test_brackets_and_escaped_quotes_inside_strings_do_not_count():
    text = json.dumps({"caption": "[[[[{{{{" * 100 + '\\"]]]"', "tags": ['"[', "]\\"]})
    assert load_json(text)["tags"] == ['"[', "]\\"]


def test_the_depth_scan_agrees_with_the_parser_whatever_the_chunks():
    """Random documents with brackets, quotes and backslashes in their
    strings, fed in chunks of every size: refused exactly when deeper than
    the limit, and the position named is an opening bracket."""
    limits = Limits(max_bytes=1 << 20, max_depth=4, max_nodes=1 << 20)
    rnd = random.Random(10)

    def value(level):
        pick = rnd.random()
        if level > 6 or pick < 0.3:
            return rnd.choice(['a"b\\', "[{]}", "x\\\\", 1, None, '\\"[[[', "é[", ""])
        if pick < 0.65:
            return [value(level + 1) for _ in range(rnd.randint(0, 3))]
        return {rnd.choice(["k", "[", '"', "\\"]) + str(i): value(level + 1)
                for i in range(rnd.randint(0, 3))}

    def depth(v):
        children = list(v.values()) if isinstance(v, dict) else v if isinstance(v, list) else None
        return 0 if children is None else 1 + max(map(depth, children), default=0)

    for _ in range(400):
        doc = value(0)
        text = json.dumps(doc, ensure_ascii=rnd.random() < 0.5,
                          indent=rnd.choice([None, 1])).encode()
        for size in (1, 2, 3, 7, len(text)):
            shape = JsonShape(limits)
            try:
                for start in range(0, len(text), size):
                    shape.feed(text[start:start + size])
            except LimitExceeded as exc:
                assert depth(doc) > limits.max_depth, text
                line = text.split(b"\n")[exc.line - 1]
                assert line[exc.column - 1:exc.column] in (b"[", b"{"), (text, size)
            else:
                assert depth(doc) <= limits.max_depth, text
                assert shape.depth == 0 and not shape.in_string


def test_json_with_too_many_keys_is_refused():
    with pytest.raises(LimitExceeded) as info:
        check_json(json.dumps({f"k{i}": i for i in range(50)}), Limits(max_bytes=1 << 20,
                                                                     max_nodes=20))
    assert info.value.limit == "max_nodes"


@pytest.mark.parametrize("name, text", [
    ("captions.json", nested_json(40_000)),
    ("captions.json", '[{"caption": ' + nested_json(40_000) + "}]"),
    ("captions.jsonl", '{"a": ' * 40_000 + "1" + "}" * 40_000 + "\n"),
])
def test_a_deep_json_table_stops_with_the_limit(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    with Timer() as timer, pytest.raises(TableError) as info:
        list(iter_rows(path))
    assert timer.seconds < FAST
    assert info.value.limit is not None and info.value.limit.limit == "max_depth"


def test_a_large_ordinary_json_table_still_streams(tmp_path):
    path = tmp_path / "captions.json"
    path.write_text(json.dumps([{"caption": f'photo [{i}] "x"', "file": f"{i}.png"}
                                for i in range(20_000)]))
    rows = list(iter_rows(path))
    assert len(rows) == 20_000
    assert rows[-1][2]["caption"] == 'photo [19999] "x"'


def test_a_reader_past_its_limit_makes_a_too_complex_finding():
    exceeded = LimitExceeded("max_depth", 100, line=1, column=101)
    finding = unreadable_finding("data/x.json", "dataset", TableError("x", limit=exceeded),
                                 "pii")
    assert finding.id == "bundle.too-complex"
    assert finding.location.line == 1
    assert "nest deeper than 100 levels" in finding.message
    plain = unreadable_finding("data/x.json", "dataset", "not UTF-8", "pii")
    assert plain.id == "bundle.unreadable"


# --- TOML --------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "x = " + "[" * 50_000 + "]" * 50_000 + "\n",  # one character per level
    "x = " + "{a=" * 5_000 + "1" + "}" * 5_000 + "\n",
    "".join(f"[{'.'.join(['t'] * 80)}]\n"),  # dotted tables 80 deep
])
def test_deep_toml_is_refused(text):
    with Timer() as timer, pytest.raises(LimitExceeded) as info:
        load_toml(text, CONFIG_LIMITS)
    assert timer.seconds < FAST
    assert info.value.limit == "max_depth"


def test_check_tree_counts_keys_and_values():
    with pytest.raises(LimitExceeded) as info:
        check_tree({str(i): [1, 2] for i in range(100)}, Limits(max_bytes=1, max_nodes=50))
    assert info.value.limit == "max_nodes"


# --- safetensors ---------------------------------------------------------------


def _sparse(path: Path, length: int, head: bytes = b"") -> Path:
    with open(path, "wb") as handle:
        handle.write(length.to_bytes(8, "little") + head)
        handle.truncate(2 * 1024**3)
    return path


@pytest.mark.parametrize("length, head, why", [
    (100 * 1024 * 1024, b"", "not a JSON object"),  # 100 MB of zeros
    (1_500_000_000, b'{"__metadata__":{', "100 MB"),  # over the format's cap
    (100 * 1024 * 1024, b'{"a":', "NUL"),  # an object, then zeros
])
def test_a_sparse_safetensors_with_a_bogus_header_is_refused_at_once(tmp_path, length, head,
                                                                    why):
    path = _sparse(tmp_path / "w.safetensors", length, head)
    with Timer() as timer, pytest.raises(SafetensorsError) as info:
        read_header(path)
    assert timer.seconds < FAST
    assert why in str(info.value)


def test_a_safetensors_header_longer_than_its_file_is_refused(tmp_path):
    path = tmp_path / "w.safetensors"
    path.write_bytes((1000).to_bytes(8, "little") + b'{"a": 1}')
    with pytest.raises(SafetensorsError, match="exceeds the file"):
        read_header(path)


def test_a_deep_safetensors_header_is_too_complex(tmp_path):
    body = ('{"__metadata__": ' + nested_json(5_000) + "}").encode()
    path = tmp_path / "w.safetensors"
    path.write_bytes(len(body).to_bytes(8, "little") + body)
    with pytest.raises(SafetensorsError) as info:
        read_header(path)
    assert info.value.limit is not None and info.value.limit.limit == "max_depth"


def test_an_ordinary_safetensors_header_is_read(tmp_path):
    body = json.dumps({"__metadata__": {"ss_dataset_dirs": "x"}, "w": {
        "dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}).encode()
    path = tmp_path / "w.safetensors"
    path.write_bytes(len(body).to_bytes(8, "little") + body + b"\0" * 4)
    assert read_header(path)["__metadata__"] == {"ss_dataset_dirs": "x"}


# --- the plugins' readers ------------------------------------------------------


@pytest.mark.parametrize("name, kind, text", [
    ("meta_cap.json", "config", '{"a.png": ' * 40_000 + "1" + "}" * 40_000),
    ("train.ipynb", "code", '{"cells": ' + nested_json(40_000) + "}"),
])
def test_personal_data_sources_stop_at_the_limit(tmp_path, name, kind, text):
    from aiart_release.default_plugins.personal_data.sources import SourceError, records

    path = tmp_path / name
    path.write_text(text)
    with Timer() as timer, pytest.raises(SourceError) as info:
        list(records(path, kind, path.suffix))
    assert timer.seconds < FAST
    assert info.value.limit is not None and info.value.limit.limit == "max_depth"


@pytest.mark.parametrize("name, text", [
    ("sources.json", '{"items": ' + nested_json(40_000) + "}"),
    ("sources.yaml", yaml_bomb(10)),
])
def test_a_hostile_manifest_records_the_limit(tmp_path, name, text):
    from aiart_release.default_plugins.provenance.manifest import read_manifest

    path = tmp_path / name
    path.write_text(text)
    file = BundleFile(path=name, abspath=path, size=path.stat().st_size, kind="manifest",
                      artifact="dataset")
    with Timer() as timer:
        manifest = read_manifest(file, tmp_path)
    assert timer.seconds < FAST
    assert manifest.limit is not None
    assert "too complex to read safely" in manifest.error


def test_a_deep_notebook_gives_an_empty_scraping_profile():
    from aiart_release.default_plugins.provenance.scraping import profile_notebook

    profile = profile_notebook("train.ipynb", '{"cells": ' + nested_json(40_000) + "}")
    assert not profile.downloads and not profile.targets


# --- through the CLI -----------------------------------------------------------


@pytest.mark.parametrize("files", [
    {"README.md": "---\nlicense: mit\n" + yaml_bomb(10) + "---\n# Model\n"},
    {"data/sources.yaml": yaml_bomb(10), "data/a.png": b"\x89PNG\r\n\x1a\n"},
    {"data/captions.json": nested_json(40_000), "data/a.png": b"\x89PNG\r\n\x1a\n"},
    {"data/sources.json": '{"items": ' + nested_json(40_000) + "}",
     "data/a.png": b"\x89PNG\r\n\x1a\n"},
])
def test_a_hostile_bundle_file_is_a_finding_and_the_scan_goes_on(cli, tmp_path, files):
    bundle = make_bundle(tmp_path / "b", {**files, "model/w.safetensors":
                                          (2).to_bytes(8, "little") + b"{}"})
    with Timer() as timer:
        result = cli("assess", bundle, "--format", "json", "--no-cache")
    assert timer.seconds < FAST * 3  # the whole assessment, models loaded
    assert result.code in (0, 1), result.err
    report = result.json()
    hostile = next(iter(files))
    said = [f for f in report["findings"] if f["location"]["path"] == hostile
            and "too complex to read safely" in f["message"]]
    assert said, [(f["id"], f["location"]["path"], f["message"]) for f in report["findings"]]
    # the rest of the bundle was still assessed
    assert report["bundle"]["files"] == len(files) + 1
