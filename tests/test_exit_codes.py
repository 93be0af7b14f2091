"""Every documented error path, and its exit code.

README's command-line reference and `aiart-release COMMAND --help` list the
commands and options; each way to get one wrong is here. A usage or
configuration error is exit 2 with one line on stderr and no traceback;
only our own defect, or a failed plugin under --strict, is exit 3 (our own
defect: test_cli.py's test_internal_error_is_one_line_without_debug...).
"""

from __future__ import annotations

import os
import time

import pytest
from conftest import EXAMPLES, make_bundle

OWN_WORK = EXAMPLES / "own-work"


def _bundle(tmp_path, **extra):
    return make_bundle(tmp_path / "b", {"LICENSE": "MIT\n", "README.md": "# hi\n", **extra})


def _fifo(tmp_path):
    path = tmp_path / "pipe"
    os.mkfifo(path)
    return path


def _dangling(tmp_path, name="gone"):
    link = tmp_path / name
    link.symlink_to(tmp_path / "nowhere")
    return link


def _with_config(tmp_path, text):
    return _bundle(tmp_path, **{"aiart-release.yaml": text})


def _existing_report(tmp_path):
    report = tmp_path / "report.json"
    report.write_text("{}\n")
    return report


# (case id, arguments built from tmp_path, what the one line must say)
USAGE_ERRORS = [
    # the command line itself
    ("unknown-command", lambda t: ["publish"], "No such command"),
    ("unknown-option", lambda t: ["assess", OWN_WORK, "--colour"], "No such option"),
    ("missing-path", lambda t: ["assess"], "Missing argument"),
    # assess: the bundle path
    ("path-missing", lambda t: ["assess", t / "nope"], "does not exist"),
    ("path-dangling-link", lambda t: ["assess", _dangling(t)], "does not exist"),
    ("path-is-a-file", lambda t: ["assess", OWN_WORK / "LICENSE"], "is a file"),
    ("path-is-a-fifo", lambda t: ["assess", _fifo(t)], "pipe, socket or device"),
    ("path-is-a-device", lambda t: ["assess", "/dev/null"], "running system"),
    ("path-in-proc", lambda t: ["assess", "/proc"], "running system"),
    ("path-in-proc-self", lambda t: ["assess", "/proc/self"], "running system"),
    ("path-in-sys", lambda t: ["assess", "/sys"], "running system"),
    ("path-empty-folder", lambda t: ["assess", t], "holds no files"),
    # assess: options
    ("format", lambda t: ["assess", OWN_WORK, "--format", "yaml"], "unknown format"),
    ("fail-on", lambda t: ["assess", OWN_WORK, "--fail-on", "severe"], "unknown severity"),
    ("device", lambda t: ["assess", OWN_WORK, "--device", "tpu"], "unknown device"),
    ("jobs-zero", lambda t: ["assess", OWN_WORK, "-j", "0"], "--jobs"),
    ("jobs-word", lambda t: ["assess", OWN_WORK, "-j", "many"], "--jobs"),
    ("timeout-zero", lambda t: ["assess", OWN_WORK, "--timeout", "0"], "--timeout"),
    ("timeout-negative", lambda t: ["assess", OWN_WORK, "--timeout", "-5"], "--timeout"),
    ("timeout-word", lambda t: ["assess", OWN_WORK, "--timeout", "soon"], "--timeout"),
    ("exclude-invalid", lambda t: ["assess", OWN_WORK, "--exclude", "notes\\"],
     "exclude: invalid pattern"),
    ("config-missing", lambda t: ["assess", OWN_WORK, "--config", t / "nope.yaml"], "nope.yaml"),
    ("config-is-a-folder", lambda t: ["assess", OWN_WORK, "--config", t], "--config"),
    ("config-wrong-type", lambda t: ["assess", _with_config(t, "commercial: maybe\n")],
     "aiart-release.yaml:1:13"),
    ("config-artifacts-invalid",
     lambda t: ["assess", _with_config(t, "artifacts:\n  model: ['w\\']\n")],
     "artifacts.model: invalid pattern"),
    ("policy-missing", lambda t: ["assess", OWN_WORK, "--policy", t / "nope.yaml"],
     "cannot read policy"),
    ("output-exists", lambda t: ["assess", _bundle(t), "-o", _existing_report(t)], "--force"),
    ("output-link", lambda t: ["assess", _bundle(t), "-o", _dangling(t, "r.json"), "--force"],
     "symbolic link"),
    ("output-folder", lambda t: ["assess", _bundle(t), "-o", t], "directory"),
    ("output-missing-folder", lambda t: ["assess", _bundle(t), "-o", t / "no" / "r.json"],
     "cannot write into"),
    ("output-fifo", lambda t: ["assess", _bundle(t), "-o", _fifo(t), "--force"],
     "not a regular file"),
    # hook
    ("hook-fail-on", lambda t: ["hook", "--fail-on", "severe"], "unknown severity"),
    ("hook-timeout", lambda t: ["hook", "--timeout", "0"], "--timeout"),
    # plugins, facts
    ("plugins-option", lambda t: ["plugins", "--yaml"], "No such option"),
    ("facts-format", lambda t: ["facts", "-f", "yaml"], "--format"),
    # init
    ("init-missing", lambda t: ["init", t / "nope"], "not a folder"),
    ("init-file", lambda t: ["init", OWN_WORK / "LICENSE"], "is a file"),
    ("init-exists", lambda t: ["init", _with_config(t, "release: open\n")], "--force"),
    ("init-dangling-link", lambda t: ["init", _dangling(t, "aiart-release.yaml").parent,
                                      "--force"], "symbolic link"),
    ("init-proc", lambda t: ["init", "/proc"], "running system"),
    # credits (the provenance plugin's command)
    ("credits-missing", lambda t: ["credits", t / "nope"], "does not exist"),
    ("credits-file", lambda t: ["credits", OWN_WORK / "LICENSE"], "is a file"),
    ("credits-exists", lambda t: ["credits", _bundle(t, **{"CREDITS.md": "x\n"})], "--force"),
    ("credits-link", lambda t: ["credits", _dangling(t, "CREDITS.md").parent, "--force"],
     "symbolic link"),
    ("credits-proc", lambda t: ["credits", "/proc"], "running system"),
    ("credits-bad-config", lambda t: ["credits", _with_config(t, "release: maybe\n")],
     "aiart-release.yaml:1"),
    # rules
    ("rules-show-unknown", lambda t: ["rules", "show", "misuse.nothing-like-it"], "no rule"),
    ("rules-test-missing", lambda t: ["rules", "test", t / "nope.yaml"], "does not exist"),
    ("rules-validate-broken", lambda t: ["rules", "validate", _pack(t, "name: [\n")],
     "pack.yaml"),
    ("rules-test-broken", lambda t: ["rules", "test", _pack(t, "- just a list\n")],
     "pack.yaml:1:1"),
]


def _pack(tmp_path, text):
    path = tmp_path / "pack.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("case, build, needle", USAGE_ERRORS, ids=[c[0] for c in USAGE_ERRORS])
def test_every_usage_error_is_one_line_and_exit_2(cli, tmp_path, monkeypatch, case, build,
                                                   needle):
    if case.startswith("hook"):
        monkeypatch.chdir(_bundle(tmp_path))
    args = build(tmp_path)
    started = time.monotonic()
    result = cli(*args)
    assert result.code == 2, (result.code, result.err)
    assert "Traceback" not in result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert needle in lines[0], lines[0]
    # Refused at once: /proc used to be walked forever, a FIFO read forever.
    assert time.monotonic() - started < 30


def test_hook_outside_a_git_repository_is_a_usage_error(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = cli("hook")
    assert result.code == 2 and "not inside a git repository" in result.err
    assert len(result.err.strip().splitlines()) == 1


def test_a_failed_plugin_is_exit_3_only_under_strict(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("AIART_RELEASE_PLUGINS", "testplugins.failing")
    bundle = _bundle(tmp_path, **{"b.txt": "BOOM\n"})
    assert cli("assess", bundle).code in (0, 1)
    strict = cli("assess", bundle, "--strict")
    assert strict.code == 3
    assert "Traceback" not in strict.err


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["assess", "--help"],
                                  ["hook", "--help"], ["plugins"], ["facts"], ["init", "--help"],
                                  ["credits", "--help"], ["rules", "list"]])
def test_asking_for_help_or_a_listing_is_exit_0(cli, args):
    assert cli(*args).code == 0


def test_the_gate_is_exit_1_not_an_error(cli, tmp_path):
    bundle = _bundle(tmp_path, **{"notes.txt": "write to jane.doe@postbox-mail.org\n"})
    result = cli("assess", bundle, "--fail-on", "info")
    assert result.code == 1
    assert "error" not in result.err


# The gate's one default rule (config.default_fail_on), for assess and hook
# alike: with no release declared, findings at or above high fail; with a
# release declared, the declared tiers are the gate and fail_on only adds to
# it when set.
HIGH_FINDING = {"data/captions.txt": "a photo sent by jane.doe@gmail.com at the beach\n"}


def test_with_nothing_declared_a_high_finding_fails_assess(cli, tmp_path):
    bundle = _bundle(tmp_path, **HIGH_FINDING)
    result = cli("assess", bundle)
    assert result.code == 1, result.out
    assert "at or above high" in result.out
    assert cli("assess", bundle, "--fail-on", "none").code == 0
    assert cli("assess", bundle, "--fail-on", "critical").code == 0


def test_with_nothing_declared_a_medium_finding_passes(cli, tmp_path):
    bundle = _bundle(tmp_path, **{"notes.txt": "see https://example.org\n"})
    result = cli("assess", bundle, "-f", "json")
    assert all(f["severity"] not in ("high", "critical") for f in result.json()["findings"])
    assert result.code == 0


@pytest.mark.parametrize("declared, expected", [
    # Declared open: the email holds the dataset back from open; the tier gate fails.
    ("release: open\n", 1),
    # Declared closed: the tiers are within intent and no fail_on is set.
    ("release: closed\n", 0),
    # fail_on set: it gates as well as the tiers.
    ("release: closed\nfail_on: high\n", 1),
    # A configuration that declares no release keeps the default severity gate.
    ("commercial: false\n", 1),
])
def test_a_declared_release_makes_the_tiers_the_gate(cli, tmp_path, declared, expected):
    bundle = _bundle(tmp_path, **HIGH_FINDING, **{"aiart-release.yaml": declared})
    assert cli("assess", bundle).code == expected
