"""Configuration (aiart_release/config.py) and the YAML loader it shares with
the policy and the rules (aiart_release/readers/yamlfile.py).

A user writes ``aiart-release.yaml`` (or ``[tool.aiart-release]`` in
pyproject.toml, or a file named with ``--config``); what they get back is a
validated :class:`Config`, or a :class:`ConfigError` whose every line starts
with ``file:line:column`` so that they can go straight to the mistake.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import make_bundle

from aiart_release.config import (
    DEFAULT_MAX_FILE_SIZE,
    DEFAULT_SNIFF_BYTES,
    Config,
    ConfigError,
    find_config,
    load_config,
    parse_size,
)
from aiart_release.readers.yamlfile import DataFileError, load_yaml


def write(tmp_path: Path, text: str, name: str = "aiart-release.yaml") -> Path:
    bundle = tmp_path / "b"
    bundle.mkdir(exist_ok=True)
    (bundle / name).write_text(text, encoding="utf-8")
    return bundle


def config_error(bundle: Path, explicit: Path | None = None) -> str:
    with pytest.raises(ConfigError) as info:
        load_config(bundle, explicit)
    return str(info.value)


# --- valid files -------------------------------------------------------------

def test_a_full_valid_config(tmp_path):
    bundle = write(tmp_path, """\
release: gated
commercial: false
artifacts:
  model: ["weights/**"]
  dataset: ["data/**", "captions.csv"]
exclude: ["drafts/", "*.tmp"]
checks:
  cards: {enabled: false}
  pii: {threshold: 0.8}
policy: policies/strict.yaml
fail_on: high
limits:
  max_file_size: 100MB
  sniff_bytes: 4096
""")
    config = load_config(bundle)
    assert config.source == str(bundle / "aiart-release.yaml")
    assert config.release == {"model": "gated", "code": "gated", "dataset": "gated"}
    assert config.commercial is False
    assert config.artifacts == {"model": ["weights/**"], "dataset": ["data/**", "captions.csv"]}
    assert config.exclude == ["drafts/", "*.tmp"]
    assert config.check_enabled("cards") is False
    assert config.check_enabled("pii") is True
    assert config.check_enabled("not-configured") is True
    # `enabled` is the engine's business; a check gets only its own settings.
    assert config.check_settings("pii") == {"threshold": 0.8}
    assert config.check_settings("cards") == {}
    # The policy path is relative to the config file, not to the working directory.
    assert config.policy == bundle / "policies" / "strict.yaml"
    assert config.fail_on == "high"
    assert config.max_file_size == 100_000_000
    assert config.sniff_bytes == 4096
    assert config.declared() == {"release": "gated", "commercial": False}


def test_no_config_means_defaults(tmp_path):
    bundle = make_bundle(tmp_path / "b", {"README.md": "# hi\n"})
    assert find_config(bundle) is None
    config = load_config(bundle)
    assert config == Config()
    assert (config.max_file_size, config.sniff_bytes) == (DEFAULT_MAX_FILE_SIZE,
                                                          DEFAULT_SNIFF_BYTES)
    assert config.declared() == {}


@pytest.mark.parametrize("text", ["", "# only a comment\n", "---\n"])
def test_an_empty_config_file_is_the_defaults(tmp_path, text):
    config = load_config(write(tmp_path, text))
    assert config.source is not None
    assert (config.release, config.commercial, config.exclude) == ({}, None, [])


@pytest.mark.parametrize("release, expected, declared", [
    ("open", {"model": "open", "code": "open", "dataset": "open"}, "open"),
    ("{model: gated, code: open, dataset: closed}",
     {"model": "gated", "code": "open", "dataset": "closed"},
     {"code": "open", "dataset": "closed", "model": "gated"}),
    # Only the artifacts named are declared; the others are free.
    ("{dataset: closed}", {"dataset": "closed"}, {"dataset": "closed"}),
    # One tier for all three, spelled out, reads back as the scalar.
    ("{model: gated, code: gated, dataset: gated}",
     {"model": "gated", "code": "gated", "dataset": "gated"}, "gated"),
])
def test_release_is_one_tier_or_one_per_artifact(tmp_path, release, expected, declared):
    config = load_config(write(tmp_path, f"release: {release}\n"))
    assert config.release == expected
    assert config.declared()["release"] == declared


@pytest.mark.parametrize("name", ["aiart-release.yaml", "aiart-release.yml",
                                  ".aiart-release.yaml"])
def test_each_config_file_name_is_found(tmp_path, name):
    bundle = write(tmp_path, "release: closed\n", name)
    assert find_config(bundle) == bundle / name
    assert load_config(bundle).release["model"] == "closed"


def test_the_yaml_file_wins_over_pyproject(tmp_path):
    bundle = write(tmp_path, '[tool.aiart-release]\nrelease = "closed"\n', "pyproject.toml")
    write(tmp_path, "release: open\n")
    assert find_config(bundle).name == "aiart-release.yaml"
    assert load_config(bundle).release["code"] == "open"


# --- pyproject.toml ----------------------------------------------------------

def test_the_pyproject_table_is_a_config(tmp_path):
    bundle = write(tmp_path, """\
[project]
name = "ink-wash"

[tool.aiart-release]
release = {model = "gated", dataset = "closed"}
commercial = true
exclude = ["drafts/"]

[tool.aiart-release.limits]
max_file_size = "2 GiB"
""", "pyproject.toml")
    assert find_config(bundle) == bundle / "pyproject.toml"
    config = load_config(bundle)
    assert config.source == str(bundle / "pyproject.toml")
    assert config.release == {"model": "gated", "dataset": "closed"}
    assert config.commercial is True
    assert config.exclude == ["drafts/"]
    assert config.max_file_size == 2 * 1024**3


def test_a_pyproject_without_the_table_is_no_config(tmp_path):
    bundle = write(tmp_path, '[project]\nname = "x"\n\n[tool.black]\nline-length = 100\n',
                   "pyproject.toml")
    assert find_config(bundle) is None
    assert load_config(bundle) == Config()


@pytest.mark.parametrize("text, where, message", [
    # The key's own line, though another table before it has a key of the same name.
    ('[project]\nname = "x"\n\n[tool.other]\ncommercial = 1\n\n'
     '[tool.aiart-release]\nrelease = "gated"\ncommercial = "maybe"\n',
     "9:1", "commercial: the string is not of type 'boolean'"),
    ('[tool.aiart-release]\nrelease = "gated"\n\n[tool.aiart-release.limits]\n'
     'max_file_size = "big"\n',
     "5:1", "limits.max_file_size"),
    ('[tool."aiart-release"]\nexclude = "drafts/"\n', "2:1", "exclude: the string is not of type"),
])
def test_a_wrong_type_in_pyproject_names_the_file_and_line(tmp_path, text, where, message):
    bundle = write(tmp_path, text, "pyproject.toml")
    error = config_error(bundle)
    assert error.startswith(f"{bundle / 'pyproject.toml'}:{where}: ")
    assert message in error


def test_a_broken_pyproject_holding_our_table_is_an_error_not_ignored(tmp_path):
    # Was a bug: broken TOML meant "no configuration", so the declared release
    # (and the gate on it) vanished without a word.
    bundle = write(tmp_path, '[tool.aiart-release]\nrelease = "open"\n\n[project]\nname = \n',
                   "pyproject.toml")
    assert find_config(bundle) == bundle / "pyproject.toml"
    assert config_error(bundle).startswith(f"{bundle / 'pyproject.toml'}:5:8: invalid TOML")


def test_a_broken_pyproject_without_our_table_is_not_our_business(tmp_path):
    bundle = write(tmp_path, '[project]\nname = \n', "pyproject.toml")
    assert find_config(bundle) is None
    assert load_config(bundle) == Config()


# --- --config FILE -----------------------------------------------------------

def test_an_explicit_config_outside_the_bundle_replaces_the_bundle_own(tmp_path):
    bundle = write(tmp_path, "release: open\n")
    elsewhere = tmp_path / "ci" / "release.yaml"
    elsewhere.parent.mkdir()
    elsewhere.write_text("release: closed\npolicy: strict.yaml\n")
    config = load_config(bundle, elsewhere)
    assert config.source == str(elsewhere)
    assert config.release["dataset"] == "closed"
    # Relative paths in it are relative to where it is.
    assert config.policy == tmp_path / "ci" / "strict.yaml"


def test_an_explicit_config_through_the_cli(cli, tmp_path):
    bundle = make_bundle(tmp_path / "b", {
        "LICENSE": "MIT License\n", "notes.txt": "hello\n", "aiart-release.yaml": "release: open\n",
    })
    outside = tmp_path / "other.yaml"
    outside.write_text("release: {model: gated}\ncommercial: true\n")
    report = cli("assess", bundle, "-f", "json", "--config", outside).json()
    assert report["declared"] == {"release": {"model": "gated"}, "commercial": True}


def test_an_explicit_toml_config_reads_its_tool_table(tmp_path):
    outside = tmp_path / "settings.toml"
    outside.write_text('[tool.aiart-release]\nrelease = "gated"\n')
    assert load_config(tmp_path, outside).release["code"] == "gated"


# --- errors ------------------------------------------------------------------

ERROR_TABLE = [
    # wrong types
    ("commercial: maybe\n", "1:13", "commercial: the string is not of type 'boolean'"),
    ("release: open\nexclude: drafts/\n", "2:10", "exclude: the string is not of type 'array'"),
    ("limits:\n  sniff_bytes: 12\n", "2:16", "limits.sniff_bytes: 12 is less than the minimum"),
    ("checks:\n  cards: false\n", "2:10", "checks.cards: False is not of type 'object'"),
    ("limits:\n  max_file_size: lots\n", "2:18", "limits.max_file_size: the string does not match"),
    ("limits:\n  max_file_size: 0\n", "2:18", "limits.max_file_size: 0 is less than"),
    # values outside the vocabulary
    ("release: opn\n", "1:10", "the string is not one of ['open', 'gated', 'closed']"),
    ("release:\n  model: private\n", "2:3", "the string is not one of"),
    ("fail_on: severe\n", "1:10", "fail_on: the string is not one of"),
    ("release: {}\n", "1:10", "should be non-empty"),
    # unknown keys (typos) are errors, not silently ignored
    # (a bare line number: the column is not pinned down)
    ("relase: open\n", "1", "relase: unknown key 'relase' (did you mean 'release'?)"),
    ("release: open\ncommercial: true\n\nrelase: closed\n", "4", "unknown key 'relase'"),
    ("release:\n  modle: open\n", "2:3", "'modle'"),
    ("artifacts:\n  weights: ['w/**']\n", "2",
     "artifacts.weights: unknown key 'weights' (expected one of: code, dataset, docs, model)"),
    ("limits:\n  max_size: 10\n", "2", "did you mean 'max_file_size'?"),
    # YAML syntax, with the parser's line and column
    ("release: [open\n", "2:1", "invalid YAML"),
    ("release: open\n\tcommercial: true\n", "2:1", "invalid YAML"),
    ("release: open: gated\n", "1:14", "mapping values are not allowed"),
    ("release: open\n---\ncommercial: true\n", "2:1", "invalid YAML"),
    # tags that would build Python objects are refused by the safe loader
    ("release: !!python/object/apply:os.system ['echo hi']\n", "1:10", "invalid YAML"),
    # duplicate keys: YAML would keep the last one silently
    ("release: open\ncommercial: true\nrelease: closed\n", "3:1",
     "key 'release' appears twice"),
    ("limits:\n  sniff_bytes: 1024\n  sniff_bytes: 2048\n", "3:3",
     "key 'sniff_bytes' appears twice"),
    # not a mapping at all
    ("- release: open\n", "1:1", "must be a mapping"),
    ("open\n", "1:1", "must be a mapping"),
]


@pytest.mark.parametrize("text, where, message", ERROR_TABLE,
                         ids=[t.splitlines()[0][:30] for t, _, _ in ERROR_TABLE])
def test_config_errors_name_file_line_and_column(tmp_path, text, where, message):
    bundle = write(tmp_path, text)
    error = config_error(bundle)
    position = re.escape(where) if ":" in where else rf"{where}:\d+"
    assert re.match(rf"{re.escape(str(bundle / 'aiart-release.yaml'))}:{position}: ", error), \
        error
    assert message in error


@pytest.mark.parametrize("text", [t for t, _, _ in ERROR_TABLE] + [
    # several problems at once: one line each, in file order
    "commercial: maybe\nfail_on: severe\nlimits:\n  sniff_bytes: 1\n",
])
def test_every_line_of_every_config_error_starts_with_file_line_column(tmp_path, text):
    bundle = write(tmp_path, text)
    shown = re.escape(str(bundle / "aiart-release.yaml"))
    lines = config_error(bundle).splitlines()
    assert lines
    for line in lines:
        assert re.match(rf"{shown}:\d+:\d+: \S", line), line


def test_several_problems_are_all_reported_in_file_order(tmp_path):
    # Not alphabetical and not in schema order: the file's own order.
    bundle = write(tmp_path, "limits:\n  sniff_bytes: 1\nfail_on: severe\ncommercial: maybe\n")
    lines = config_error(bundle).splitlines()
    positions = [tuple(int(n) for n in re.search(r":(\d+):(\d+): ", ln).groups())
                 for ln in lines]
    assert positions == [(2, 16), (3, 10), (4, 13)]


# Was a bug (fixed): see git history.
@pytest.mark.parametrize("text, where", [
    ("limitz:\n  max_file_size: 10MB\n", "1:1"),
    ("release: open\nexcludes:\n  - drafts/\n", "2:1"),
])
def test_an_unknown_key_with_a_block_value_is_reported_on_its_own_line(tmp_path, text, where):
    bundle = write(tmp_path, text)
    assert config_error(bundle).startswith(f"{bundle / 'aiart-release.yaml'}:{where}: ")


def test_invalid_toml_in_an_explicit_config_names_file_line_and_column(tmp_path):
    # Was a bug: the position was left in tomllib's "(at line L, column C)".
    path = tmp_path / "settings.toml"
    path.write_text('[tool.aiart-release]\nrelease = "open"\ncommercial = \n')
    error = config_error(tmp_path, path)
    assert error.startswith(f"{path}:3:14: invalid TOML")
    assert "at line" not in error


def test_an_unreadable_config_names_the_file(tmp_path):
    missing = tmp_path / "nope.yaml"
    assert config_error(tmp_path, missing).startswith(f"{missing}: cannot read configuration")
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("# café\nrelease: open\n".encode("latin-1"))
    assert config_error(tmp_path, latin).startswith(f"{latin}: cannot read configuration")


def test_a_config_error_through_the_cli_is_exit_2_with_the_position(cli, tmp_path):
    bundle = make_bundle(tmp_path / "b", {"notes.txt": "x\n",
                                          "aiart-release.yaml": "release: open\nrelase: gated\n"})
    result = cli("assess", bundle, "-f", "json")
    assert result.code == 2
    assert re.search(r"aiart-release\.yaml:2:\d+: relase: unknown key 'relase'", result.err)
    assert "did you mean 'release'?" in result.err
    assert result.out == ""


# --- the YAML loader ---------------------------------------------------------

def test_positions_of_nested_values(tmp_path):
    loaded = load_yaml("a: 1\nb:\n  - x\n  - {c: 3}\n", "f.yaml")
    assert loaded.data == {"a": 1, "b": ["x", {"c": 3}]}
    assert loaded.position(["a"]) == (1, 4)
    assert loaded.position(["b", 0]) == (3, 5)
    assert loaded.position(["b", 1, "c"]) == (4, 9)
    # A path that does not exist falls back to its deepest existing ancestor.
    assert loaded.position(["b", "zz"]) == (3, 3)
    assert loaded.position(["zz"]) == (1, 1)
    assert loaded.where(["b", 1, "c"]) == "f.yaml:4:9"


def test_duplicate_keys_are_reported_at_every_depth():
    with pytest.raises(DataFileError) as info:
        load_yaml("a: 1\nb:\n  - {c: 1, c: 2}\na: 3\n", "f.yaml")
    assert info.value.problems == [
        "f.yaml:3:12: key 'c' appears twice",
        "f.yaml:4:1: key 'a' appears twice",
    ]


# --- sizes -------------------------------------------------------------------

@pytest.mark.parametrize("value, size", [
    (4096, 4096),
    ("4096", 4096),
    ("7B", 7),
    ("100MB", 100 * 1000**2),
    ("100 MB", 100 * 1000**2),
    ("2 GiB", 2 * 1024**3),
    ("2GiB", 2 * 1024**3),
    (" 1 kib ", 1024),  # units ignore case here
    ("1.5KB", 1500),
    ("1.5 TB", 1_500_000_000_000),
    ("3 TiB", 3 * 1024**4),
])
def test_parse_size(value, size):
    assert parse_size(value) == size


@pytest.mark.parametrize("value", ["", "lots", "10 XB", "-1", "1e3", "10 MBs", "MB", "1,000",
                                   "10 M", "ten MB"])
def test_parse_size_rejects_what_is_not_a_size(value):
    with pytest.raises(ValueError, match="not a size"):
        parse_size(value)


@pytest.mark.parametrize("size, expected", [("500KB", 500_000), ("3 GiB", 3 * 1024**3),
                                            (1024, 1024)])
def test_sizes_in_the_config_file(tmp_path, size, expected):
    config = load_config(write(tmp_path, f"limits:\n  max_file_size: {size}\n"))
    assert config.max_file_size == expected


@pytest.mark.parametrize("size", ["500kB", "3 gib", "10 mb", "1.5 KiB"])
def test_the_config_accepts_every_unit_spelling_parse_size_accepts(tmp_path, size):
    # Was a bug: the schema's pattern was case-sensitive while parse_size is not,
    # so the SI spelling "kB" was refused.
    config = load_config(write(tmp_path, f"limits:\n  max_file_size: {size}\n"))
    assert config.max_file_size == parse_size(size)


# --- model: the generator a bundle declares ----------------------------------

MODEL = "model:\n  generator: {generator}\n  weights: {weights}\n{extra}"


def model_config(generator="sample:generate", weights="model/w.safetensors", extra=""):
    return MODEL.format(generator=generator, weights=weights, extra=extra)


def test_a_model_declaration_with_its_defaults(tmp_path):
    from aiart_release.config import ModelDeclaration

    config = load_config(write(tmp_path, model_config("pkg.sub.sample:generate")))
    assert config.model == ModelDeclaration(module="pkg.sub.sample", function="generate",
                                            weights="model/w.safetensors", samples=256,
                                            batch_size=32, seed=0)
    assert config.model.generator == "pkg.sub.sample:generate"
    assert load_config(write(tmp_path, "release: open\n")).model is None


def test_a_model_declaration_in_pyproject(tmp_path):
    bundle = write(tmp_path, '[tool.aiart-release.model]\ngenerator = "g:make"\n'
                             'weights = "w.safetensors"\nsamples = 8\nbatch_size = 4\nseed = 3\n',
                   name="pyproject.toml")
    model = load_config(bundle).model
    assert (model.module, model.function, model.samples, model.batch_size, model.seed) == (
        "g", "make", 8, 4, 3)


@pytest.mark.parametrize("text, where, message", [
    (model_config("sample.generate"), "2", "model.generator: not module:function"),
    (model_config("sample:gen-erate"), "2", "model.generator: not module:function"),
    (model_config("../up:run"), "2", "model.generator: not module:function"),
    (model_config(weights="model/w.ckpt"), "3", "model.weights: not a .safetensors file"),
    (model_config(weights="../elsewhere/w.safetensors"), "3", "the path leaves the bundle"),
    (model_config(weights="/etc/w.safetensors"), "3", "the path leaves the bundle"),
    (model_config(extra="  samples: 0\n"), "4", "model.samples: 0 is less than the minimum"),
    (model_config(extra="  samples: 100000\n"), "4", "model.samples: 100000 is greater"),
    (model_config(extra="  batch_size: 5000\n"), "4", "model.batch_size: 5000 is greater"),
    (model_config(extra="  seed: -1\n"), "4", "model.seed: -1 is less than the minimum"),
    (model_config(extra="  samples: many\n"), "4", "model.samples: the string is not of type"),
    (model_config(extra="  weigths: x\n"), "4", "did you mean 'weights'?"),
    ("model:\n  generator: a:b\n", "2", "'weights' is a required property"),
    ("checks:\n  generation:\n    time_limit: 0\n", "3", "time_limit: 0 is less than"),
    ("checks:\n  generation:\n    time_limit: 100000\n", "3", "is greater than the maximum"),
])
def test_a_bad_model_declaration_is_one_line_naming_the_place(tmp_path, text, where, message):
    bundle = write(tmp_path, text)
    error = config_error(bundle)
    assert re.match(rf"{re.escape(str(bundle / 'aiart-release.yaml'))}:{where}:\d+: ", error), \
        error
    assert message in error and len(error.splitlines()) == 1


def test_weights_through_a_link_out_of_the_bundle_are_refused(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    bundle = write(tmp_path, model_config(weights="model/w.safetensors"))
    (bundle / "model").symlink_to(outside)
    assert "the path leaves the bundle" in config_error(bundle)


def test_a_bad_model_declaration_through_the_cli_is_exit_2(cli, tmp_path):
    bundle = make_bundle(tmp_path / "b", {
        "notes.txt": "x\n", "aiart-release.yaml": model_config(weights="w.pkl")})
    result = cli("assess", bundle, "--trust-bundle-code")
    assert result.code == 2 and result.out == ""
    assert "model.weights: not a .safetensors file" in result.err
    assert len(result.err.strip().splitlines()) == 1
