"""The pre-commit hook as people use it: the shipped manifest validates, the
real `pre-commit try-repo` runs this checkout's hook in a throwaway
repository, and `git commit` through the README's `repo: local` snippet is
blocked, with a message a person can act on, and passes when it should."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import pytest
from conftest import EXAMPLES, ROOT

BIN = Path(sys.executable).parent
CAPTION = "a photo sent by jane.doe@gmail.com at the beach\n"
CARDS = "".join(f"4111 1111 1111 1111 {n}\n5500 0000 0000 0004\n" for n in range(200))
# The README's snippet for a clone (aiart-release installed where git runs).
LOCAL_CONFIG = """\
repos:
  - repo: local
    hooks:
      - id: aiart-release
        name: aiart-release
        entry: aiart-release hook
        language: system
        require_serial: true
"""


def _pre_commit() -> str:
    found = shutil.which("pre-commit", path=str(BIN)) or shutil.which("pre-commit")
    if not found:
        pytest.fail("pre-commit is a dev dependency; run `make test`")
    return found


def _env(tmp_path: Path, **more: str) -> dict[str, str]:
    return {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
            "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
            "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
            "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org", **more}


def _run(cmd: list[str], repo: Path, env: dict[str, str], timeout: int = 300):
    return subprocess.run(cmd, cwd=repo, env=env, capture_output=True, text=True,
                          timeout=timeout)


def _git(repo: Path, env: dict[str, str], *args: str) -> None:
    proc = _run(["git", *args], repo, env)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _throwaway_repo(path: Path, env: dict[str, str]) -> Path:
    """A release repository with what the issue's user had around it: a
    gitignored virtual environment whose pip `cacert.pem` is full of
    card-like numbers, an untracked scratch file, and files that hang or
    fail whoever opens them. None of it may be read."""
    venv = path / ".venv" / "lib" / "site-packages" / "pip" / "_vendor" / "certifi"
    venv.mkdir(parents=True)
    (venv / "cacert.pem").write_text(CARDS)
    (path / ".gitignore").write_text(".venv/\n")
    (path / "scratch.txt").write_text("call me: john.smith@gmail.com\n")
    os.mkfifo(path / "untracked.fifo")
    os.mkfifo(path / ".venv" / "pipe")
    unreadable = path / ".venv" / "private.txt"
    unreadable.write_text(CAPTION)
    unreadable.chmod(0)
    _git(path, env, "init", "-q")
    _git(path, env, "add", ".gitignore")
    _git(path, env, "commit", "-qm", "start")
    return path


def _assert_not_read(output: str) -> None:
    for name in (".venv", "cacert", "credit-card", "scratch", "untracked.fifo"):
        assert name not in output, output


def test_manifest_validates():
    manifest = ROOT / ".pre-commit-hooks.yaml"
    proc = subprocess.run([_pre_commit(), "validate-manifest", str(manifest)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = manifest.read_text()
    # pre-commit passes the staged files, so that files:/exclude: apply.
    assert "pass_filenames: true" in text and "always_run" not in text


def test_try_repo_blocks_a_caption_with_an_email(tmp_path):
    """The real `pre-commit try-repo` on this checkout, offline.

    try-repo installs the checkout into a fresh virtualenv with pip. Offline
    that works only without fetching anything: PIP_NO_INDEX refuses the
    network, PIP_NO_DEPS installs the checkout alone, PIP_NO_BUILD_ISOLATION=0
    (pip's inverted spelling of --no-build-isolation) builds it with the
    setuptools already installed, and PYTHONPATH lets the hook's environment
    import the dependencies installed beside this Python."""
    env = _env(tmp_path, PIP_NO_INDEX="1", PIP_NO_DEPS="1", PIP_NO_BUILD_ISOLATION="0",
               PYTHONPATH=sysconfig.get_paths()["purelib"])
    repo = _throwaway_repo(tmp_path / "repo", env)
    (repo / "captions").mkdir()
    (repo / "captions" / "001.txt").write_text(CAPTION)
    _git(repo, env, "add", "captions/001.txt")
    proc = _run([_pre_commit(), "try-repo", str(ROOT), "aiart-release", "--verbose"], repo,
                env, timeout=600)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 1, output
    assert "Failed" in output
    assert "captions/001.txt:1: high pii.email-address" in output
    assert "fix: " in output and "baseline add" in output
    assert "jane.doe" not in output  # masked
    _assert_not_read(output)


def _installed_repo(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    env = _env(tmp_path)
    repo = _throwaway_repo(tmp_path / "repo", env)
    (repo / ".pre-commit-config.yaml").write_text(LOCAL_CONFIG)
    _git(repo, env, "add", ".pre-commit-config.yaml")
    _git(repo, env, "commit", "-qm", "config", "--no-verify")
    proc = _run([_pre_commit(), "install"], repo, env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return repo, env


def test_git_commit_is_blocked_then_an_unrelated_commit_passes(tmp_path):
    repo, env = _installed_repo(tmp_path)
    (repo / "captions").mkdir()
    (repo / "captions" / "001.txt").write_text(CAPTION)
    _git(repo, env, "add", "captions/001.txt")
    blocked = _run(["git", "commit", "-qm", "captions"], repo, env)
    output = blocked.stdout + blocked.stderr
    assert blocked.returncode != 0, output
    assert "captions/001.txt:1: high pii.email-address" in output
    assert "commit blocked" in output and "fix: " in output
    assert "jane.doe" not in output
    _assert_not_read(output)

    # An unrelated file: the commit passes, and nothing else is read.
    _git(repo, env, "rm", "-q", "--cached", "captions/001.txt")
    (repo / "train.py").write_text("print('training')\n")
    _git(repo, env, "add", "train.py")
    started = time.monotonic()
    passed = _run(["git", "commit", "-qm", "train"], repo, env)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    _assert_not_read(passed.stdout + passed.stderr)
    assert time.monotonic() - started < 120  # does not walk the .venv (256 s before)


def test_after_baseline_add_the_same_commit_passes(tmp_path):
    pytest.importorskip("aiart_release.baseline",
                        reason="the baseline (issue 13 item 3) is not in this checkout")
    repo, env = _installed_repo(tmp_path)
    (repo / "captions").mkdir()
    (repo / "captions" / "001.txt").write_text(CAPTION)
    _git(repo, env, "add", "captions/001.txt")
    assert _run(["git", "commit", "-qm", "captions"], repo, env).returncode != 0
    added = _run([str(BIN / "aiart-release"), "baseline", "add", "--id", "pii.email-address",
                  "--reason", "the photographer's published studio address"], repo, env)
    assert added.returncode == 0, added.stdout + added.stderr
    # Not staged yet: refused, with what to do.
    refused = _run(["git", "commit", "-qm", "captions"], repo, env)
    assert refused.returncode != 0
    assert "git add .aiart-release-baseline.json" in refused.stdout + refused.stderr
    _git(repo, env, "add", ".aiart-release-baseline.json")
    passed = _run(["git", "commit", "-qm", "captions"], repo, env)
    assert passed.returncode == 0, passed.stdout + passed.stderr


def _example_repo(tmp_path: Path, example: str) -> tuple[Path, dict[str, str]]:
    env = _env(tmp_path)
    repo = tmp_path / "repo"
    shutil.copytree(EXAMPLES / example, repo)
    (repo / ".pre-commit-config.yaml").write_text(LOCAL_CONFIG)
    _git(repo, env, "init", "-q")
    _git(repo, env, "add", "-A")
    return repo, env


def test_run_all_files_passes_on_an_open_bundle(tmp_path):
    repo, env = _example_repo(tmp_path, "own-work")
    proc = _run([_pre_commit(), "run", "--all-files"], repo, env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Passed" in proc.stdout


def test_run_all_files_fails_a_bundle_below_its_declared_intent(tmp_path):
    repo, env = _example_repo(tmp_path, "unlicensed-unfilled")
    proc = _run([_pre_commit(), "run", "--all-files"], repo, env)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Failed" in proc.stdout
    assert "docs.license-missing" in proc.stdout
    assert "declared open" in proc.stdout
