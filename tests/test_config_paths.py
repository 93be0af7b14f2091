"""Configuration, policy and rule paths are read as untrusted
(aiart_release/config.py, policy.py, rules.py, readers/limits.py):

- only regular files within a size limit: a FIFO, /dev/zero or a /proc file
  is a one-line error (exit 2) at once, not a hang or gigabytes read;
- a limit passed in the user's own files is exit 2 naming the file and the
  limit;
- a bundle's own aiart-release.yaml may name a policy only inside the bundle;
  --policy and --config may name any file;
- errors name files, keys and positions, never values from the file;
- a declaration that cannot be read stops the run: never "nothing declared".
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from conftest import SAFETENSORS, make_bundle
from test_hostile_readers import yaml_bomb

FAST = 10.0  # seconds: "does not hang"
SECRET = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY"
CREDENTIALS = f"aws_access_key_id: AKIAIOSFODNN7EXAMPLE\naws_secret_access_key: {SECRET}\n"
# A policy that lets everything be open: when it is used, a bundle declared
# open passes its gate (the default policy would hold it back).
POLICY = "version: 1\nextends: none\nretention: {default: indefinite}\nlines: []\n"


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    return make_bundle(tmp_path / "b", {"model/w.safetensors": SAFETENSORS,
                                        "README.md": "# Model\n"})


@pytest.fixture
def assess(cli):
    """Run ``assess ARGS --format json`` and check it ends quickly."""

    def run(*args):
        start = time.perf_counter()
        result = cli("assess", *args, "--format", "json", "--no-cache")
        assert time.perf_counter() - start < FAST * 3  # a run, models loaded
        return result

    return run


def one_line_error(result) -> str:
    assert result.code == 2, (result.code, result.err)
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert "Traceback" not in result.err
    return lines[0]


# --- special files -------------------------------------------------------------


@pytest.mark.parametrize("option, what", [("--policy", "policy"),
                                          ("--config", "configuration")])
def test_a_fifo_given_on_the_command_line_is_refused_at_once(assess, bundle, tmp_path,
                                                             option, what):
    fifo = tmp_path / "file.yaml"
    os.mkfifo(fifo)
    error = one_line_error(assess(bundle, option, fifo))
    assert f"{fifo}: cannot read {what}: is a FIFO" in error


def test_dev_zero_as_policy_is_refused_at_once(assess, bundle):
    error = one_line_error(assess(bundle, "--policy", "/dev/zero"))
    assert "/dev/zero: cannot read policy: is under /dev, not a regular file" in error


def test_a_proc_file_as_policy_is_refused(assess, bundle):
    error = one_line_error(assess(bundle, "--policy", "/proc/self/environ"))
    assert "is under /proc, not a regular file" in error


def test_a_fifo_named_like_the_bundles_config_is_refused(assess, bundle):
    os.mkfifo(bundle / "aiart-release.yaml")
    error = one_line_error(assess(bundle))
    assert "aiart-release.yaml: cannot read configuration: is a FIFO" in error


def test_a_policy_over_the_size_limit_is_refused(assess, bundle, tmp_path):
    big = tmp_path / "policy.yaml"
    big.write_text(POLICY + "#" * (1024 * 1024) + "\n")
    error = one_line_error(assess(bundle, "--policy", big))
    assert f"{big}: too complex to read safely: the document is larger than" in error
    assert "(limit max_bytes)" in error


def test_a_fifo_rule_pack_is_refused(cli, tmp_path):
    fifo = tmp_path / "pack.yaml"
    os.mkfifo(fifo)
    result = cli("rules", "validate", fifo)
    assert result.code == 2
    assert f"{fifo}: cannot read rule pack: is a FIFO" in result.err


def test_a_bomb_in_a_rule_pack_is_refused(cli, tmp_path):
    pack = tmp_path / "pack.yaml"
    pack.write_text("pack: x\nversion: 1\n" + yaml_bomb(10))
    start = time.perf_counter()
    result = cli("rules", "validate", pack)
    assert time.perf_counter() - start < FAST
    assert result.code == 2
    assert f"{pack}:" in result.err and "too complex to read safely" in result.err


# --- limits in the user's configuration ------------------------------------------


def test_a_yaml_bomb_in_the_bundles_config_is_exit_2_naming_file_and_limit(assess, bundle):
    (bundle / "aiart-release.yaml").write_text("release: open\n" + yaml_bomb(10))
    error = one_line_error(assess(bundle))
    assert f"{bundle / 'aiart-release.yaml'}:" in error
    assert "too complex to read safely" in error and "(limit max_" in error


def test_a_yaml_bomb_in_check_settings_is_exit_2(assess, bundle):
    text = "checks:\n  pii:\n    x:\n" + yaml_bomb(9, indent="      ")
    (bundle / "aiart-release.yaml").write_text(text)
    error = one_line_error(assess(bundle))
    assert "aiart-release.yaml:" in error and "too complex to read safely" in error


@pytest.mark.parametrize("value", [
    "[" * 50_000 + "]" * 50_000,  # one character per level
    "{a=" * 2_000 + "1" + "}" * 2_000,
])
def test_deeply_nested_toml_in_pyproject_is_exit_2_naming_the_limit(assess, bundle, value):
    (bundle / "pyproject.toml").write_text(f'[tool.aiart-release]\nrelease = "open"\nx = {value}\n')
    error = one_line_error(assess(bundle))
    assert f"{bundle / 'pyproject.toml'}: too complex to read safely" in error
    assert "(limit max_depth)" in error


def test_deeply_nested_toml_given_with_config_is_exit_2(assess, bundle, tmp_path):
    config = tmp_path / "mine.toml"
    config.write_text("[tool.aiart-release]\nx = " + "[" * 50_000 + "]" * 50_000 + "\n")
    error = one_line_error(assess(bundle, "--config", config))
    assert f"{config}: too complex to read safely" in error


def test_someone_elses_deep_pyproject_is_not_our_config(assess, bundle):
    (bundle / "pyproject.toml").write_text("[tool.other]\nx = " + "[" * 5_000 + "]" * 5_000
                                           + "\n")
    assert assess(bundle).code in (0, 1)


# --- paths in a bundle's own config ------------------------------------------------


def _outside_policy(tmp_path: Path, text: str = CREDENTIALS) -> Path:
    path = tmp_path / "elsewhere" / "credentials.yaml"
    path.parent.mkdir()
    path.write_text(text)
    return path


def test_a_bundle_config_naming_a_policy_outside_the_bundle_is_refused(assess, bundle,
                                                                        tmp_path):
    secret = _outside_policy(tmp_path)
    (bundle / "aiart-release.yaml").write_text(f"release: open\npolicy: {secret}\n")
    result = assess(bundle)
    error = one_line_error(result)
    assert f"{bundle / 'aiart-release.yaml'}:2:9: policy: the path leaves the bundle" in error
    assert "--policy" in error
    # Nothing of the outside file reaches the user
    assert SECRET not in result.err + result.out and "aws_" not in result.err


@pytest.mark.parametrize("policy", ["../elsewhere/credentials.yaml", "link.yaml"])
def test_relative_paths_and_links_out_of_the_bundle_are_refused(assess, bundle, tmp_path,
                                                                policy):
    secret = _outside_policy(tmp_path)
    (bundle / "link.yaml").symlink_to(secret)
    (bundle / "aiart-release.yaml").write_text(f"policy: {policy}\n")
    error = one_line_error(assess(bundle))
    assert "policy: the path leaves the bundle" in error


def test_a_bundle_config_that_is_a_link_out_of_the_bundle_is_refused(assess, bundle,
                                                                     tmp_path):
    outside = tmp_path / "theirs.yaml"
    outside.write_text("release: open\n")
    (bundle / "aiart-release.yaml").symlink_to(outside)
    error = one_line_error(assess(bundle))
    assert "aiart-release.yaml is a link that leaves the bundle" in error


def test_a_policy_inside_the_bundle_is_used(assess, bundle):
    make_bundle(bundle, {"policies/relaxed.yaml": POLICY,
                         "aiart-release.yaml": "release: open\npolicy: policies/relaxed.yaml\n"})
    result = assess(bundle)
    assert result.code == 0, result.err
    assert result.json()["recommendation"]["overall"] == "open"


def test_the_users_own_config_may_name_a_policy_anywhere(assess, bundle, tmp_path):
    policy = _outside_policy(tmp_path, POLICY)
    mine = tmp_path / "mine.yaml"
    mine.write_text(f"release: open\npolicy: {policy}\n")
    result = assess(bundle, "--config", mine)
    assert result.code == 0, result.err
    assert result.json()["recommendation"]["overall"] == "open"


def test_policy_on_the_command_line_may_be_anywhere(assess, bundle, tmp_path):
    policy = _outside_policy(tmp_path, POLICY)
    (bundle / "aiart-release.yaml").write_text("release: open\n")
    result = assess(bundle, "--policy", policy)
    assert result.code == 0, result.err


# --- messages never quote the file --------------------------------------------------


def test_a_credentials_file_given_as_policy_is_not_echoed(assess, bundle, tmp_path):
    secret = _outside_policy(tmp_path)
    result = assess(bundle, "--policy", secret)
    assert result.code == 2
    assert f"{secret}:" in result.err
    assert SECRET not in result.err + result.out
    assert "AKIAIOSFODNN7EXAMPLE" not in result.err + result.out


def test_a_wrong_value_is_described_by_its_type_not_quoted(assess, bundle, tmp_path):
    policy = tmp_path / "p.yaml"
    policy.write_text(f"version: 1\nextends: {SECRET}\n")
    error = one_line_error(assess(bundle, "--policy", policy))
    assert f"{policy}:2:10: extends: the string is not one of ['default', 'none']" in error
    assert SECRET not in error


# --- fail closed ---------------------------------------------------------------------


def test_an_unreadable_pyproject_declaring_a_release_stops_the_run(assess, bundle):
    (bundle / "pyproject.toml").write_bytes(b'# caf\xe9\n[tool.aiart-release]\nrelease = "open"\n')
    error = one_line_error(assess(bundle))
    assert f"{bundle / 'pyproject.toml'}: cannot read configuration: not UTF-8" in error


def test_an_unreadable_pyproject_without_our_table_is_someone_elses(assess, bundle):
    (bundle / "pyproject.toml").write_bytes(b'# caf\xe9\n[project]\nname = "x"\n')
    assert assess(bundle).code in (0, 1)


def test_a_config_that_is_a_folder_is_an_error_not_nothing_declared(assess, bundle):
    (bundle / "aiart-release.yaml").mkdir()
    error = one_line_error(assess(bundle))
    assert "aiart-release.yaml: cannot read configuration: is a folder" in error
