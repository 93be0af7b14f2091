"""The pre-commit hook: the manifest validates, and real `pre-commit` runs
the hook in a throwaway repository and fails the commit when it should."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import EXAMPLES, ROOT, SAFETENSORS, make_bundle

BIN = Path(sys.executable).parent


def _pre_commit() -> str:
    found = shutil.which("pre-commit", path=str(BIN)) or shutil.which("pre-commit")
    if not found:
        pytest.fail("pre-commit is a dev dependency; run `make test`")
    return found


def test_manifest_validates():
    manifest = str(ROOT / ".pre-commit-hooks.yaml")
    proc = subprocess.run([_pre_commit(), "validate-manifest", manifest],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _repo(path: Path, bundle: Path) -> Path:
    shutil.copytree(bundle, path)
    # The hook as the manifest declares it, run from the installed tool: a
    # `repo: local` hook, so pre-commit installs nothing from the network.
    manifest = (ROOT / ".pre-commit-hooks.yaml").read_text()
    assert "entry: aiart-release hook" in manifest
    (path / ".pre-commit-config.yaml").write_text(
        "repos:\n"
        "  - repo: local\n"
        "    hooks:\n"
        "      - id: aiart-release\n"
        "        name: aiart-release\n"
        "        entry: aiart-release hook\n"
        "        language: system\n"
        "        pass_filenames: false\n"
        "        always_run: true\n"
    )
    env = _env(path)
    for cmd in (["git", "init", "-q"], ["git", "add", "-A"]):
        subprocess.run(cmd, cwd=path, check=True, env=env, capture_output=True)
    return path


def _env(path: Path) -> dict[str, str]:
    return {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
            "PRE_COMMIT_HOME": str(path.parent / "pre-commit-home"),
            "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


def test_hook_passes_on_an_open_bundle(tmp_path):
    repo = _repo(tmp_path / "repo", EXAMPLES / "own-work")
    proc = subprocess.run([_pre_commit(), "run", "--all-files"], cwd=repo, env=_env(repo),
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Passed" in proc.stdout


def test_hook_fails_the_commit_on_a_bundle_below_its_declared_intent(tmp_path):
    repo = _repo(tmp_path / "repo", EXAMPLES / "unlicensed-unfilled")
    proc = subprocess.run([_pre_commit(), "run", "--all-files"], cwd=repo, env=_env(repo),
                          capture_output=True, text=True)
    assert proc.returncode == 1
    assert "Failed" in proc.stdout
    assert "docs.license-missing" in proc.stdout


def test_hook_command_defaults_to_failing_on_high_findings(cli, tmp_path, monkeypatch):
    bundle = make_bundle(tmp_path / "b", {"model/w.safetensors": SAFETENSORS,
                                          "model/README.md": "---\nlicense: mit\n---\n# w\n"})
    monkeypatch.chdir(bundle)
    assert cli("hook").code == 0  # no release declared, nothing high
    (bundle / "model" / "README.md").unlink()
    (bundle / "notes.md").write_text("# notes\n")
    result = cli("hook")
    assert result.code == 1  # docs.license-missing is high
    assert cli("hook", "--fail-on", "critical").code == 0
