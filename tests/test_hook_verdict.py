"""The hook's stored verdicts (aiart_release/hook_verdict.py): a commit
checked again unchanged is answered without loading the plugins, with the
same output and exit code; anything that decides the output makes it run
in full again; a run that failed somewhere is never stored."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_hook import CLEAN_CAPTION, EMAIL_CAPTION, GIT_ENV, git, new_repo

from aiart_release import pipeline
from aiart_release.cache import DB_NAME, describe

PROBE = ("import json, sys\nfrom aiart_release.entry import main\n"
         "code = main(['hook', *sys.argv[1:]])\n"
         "print(json.dumps({'code': code, 'modules': sorted(sys.modules)}))\n")
# Loaded only when the plugins are: the built-in checks' modules.
PLUGIN_MODULES = ("aiart_release.default_plugins.personal_data", "aiart_release.pipeline",
                  "aiart_release.engine")


@pytest.fixture
def counted(monkeypatch):
    """How many full assessments the hook ran (pipeline.assess calls)."""
    calls = []
    real = pipeline.assess

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "assess", counting)
    return calls


@pytest.fixture
def caption_repo(tmp_path, monkeypatch):
    repo = new_repo(tmp_path / "r", {"data/caption.txt": EMAIL_CAPTION,
                                     "data/other.txt": CLEAN_CAPTION},
                    staged=("data/caption.txt",))
    monkeypatch.chdir(repo)
    return repo


def _twice(cli, *args):
    first, second = cli("hook", *args), cli("hook", *args)
    assert (first.code, first.out, first.err) == (second.code, second.out, second.err)
    return first


def _verdict_rows(cache: Path) -> int:
    return describe(cache)["hook_verdicts"]


def test_a_second_identical_run_is_answered_without_loading_the_plugins(tmp_path):
    repo = new_repo(tmp_path / "r", {"data/caption.txt": EMAIL_CAPTION},
                    staged=("data/caption.txt",))
    env = {**os.environ, **GIT_ENV, "AIART_RELEASE_CACHE_DIR": str(tmp_path / "cache")}
    runs = [subprocess.run([sys.executable, "-c", PROBE, "--fail-on", "low",
                            "data/caption.txt"], cwd=repo, env=env, capture_output=True,
                           text=True, timeout=120) for _ in range(2)]
    first, second = (json.loads(r.stdout.splitlines()[-1]) for r in runs)
    assert first["code"] == second["code"] == 1
    # Byte-identical output: the report before the probe's own line, and stderr.
    assert runs[0].stdout.splitlines()[:-1] == runs[1].stdout.splitlines()[:-1]
    assert "data/caption.txt:1: high pii.email-address" in runs[1].stdout
    assert runs[0].stderr == runs[1].stderr
    assert all(m in first["modules"] for m in PLUGIN_MODULES)
    assert not any(m in second["modules"] for m in PLUGIN_MODULES), second["modules"]


def test_a_blocked_commit_replays_exit_1_and_its_message(cli, caption_repo, counted):
    run = _twice(cli, "--fail-on", "low", "data/caption.txt")
    assert run.code == 1 and "commit blocked" in run.out
    assert len(counted) == 1


def test_the_stored_verdict_holds_no_raw_e_mail(cli, caption_repo, tmp_path, counted):
    _twice(cli, "--fail-on", "low", "data/caption.txt")
    cache = Path(os.environ["AIART_RELEASE_CACHE_DIR"])
    assert _verdict_rows(cache) == 1
    stored = b"".join(p.read_bytes() for p in cache.iterdir() if p.is_file())
    assert b"jane.doe" not in stored and b"gmail.com" not in stored
    assert b"j*******@g****.com" in stored  # the masked line is what is kept


@pytest.mark.parametrize("change", [
    "content", "new file", "config", "baseline", "fail-on", "environment", "plugin version"])
def test_each_input_of_the_verdict_makes_it_run_again(cli, caption_repo, counted,
                                                      monkeypatch, change):
    args = ["--fail-on", "low", "data/caption.txt"]
    before = _twice(cli, *args)
    assert before.code == 1 and len(counted) == 1
    expected_code, expected_text = 1, "data/caption.txt:1: high pii.email-address"
    if change == "content":
        (caption_repo / "data/caption.txt").write_text(CLEAN_CAPTION)
        git(caption_repo, "add", "data/caption.txt")
        expected_code, expected_text = 0, "1 staged file passed"
    elif change == "new file":
        (caption_repo / "data/new.txt").write_text("write to bob.smith@gmail.com\n")
        git(caption_repo, "add", "data/new.txt")
        args = [*args, "data/new.txt"]
        expected_text = "data/new.txt:1: high pii.email-address"
    elif change == "config":
        (caption_repo / "aiart-release.yaml").write_text("release: closed\nfail_on: none\n")
        git(caption_repo, "add", "aiart-release.yaml")
        args = ["data/caption.txt"]  # the configuration's own gate, on the whole bundle
        expected_code, expected_text = 0, "the staged bundle passed"
    elif change == "baseline":
        assert cli("baseline", "add", ".", "--id", "pii.email-address", "--reason",
                   "the sender agreed to publish it").code == 0
        git(caption_repo, "add", ".aiart-release-baseline.json")
        expected_code, expected_text = 0, "1 staged file passed"
    elif change == "fail-on":
        args = ["--fail-on", "critical", "data/caption.txt"]
        expected_code, expected_text = 0, "1 staged file passed"
    elif change == "environment":
        monkeypatch.setenv("AIART_RELEASE_DISABLE_PLUGINS", "personal-data")
        expected_code = 0
        expected_text = "1 staged file passed"
    elif change == "plugin version":
        from aiart_release import plugins

        installed = dict(plugins._installed())
        installed["aiart_release_studio"] = "99.0"
        monkeypatch.setattr(plugins, "_installed", lambda: installed)
    assessed = len(counted)  # `baseline add` assesses too
    after = cli("hook", *args)
    assert len(counted) == assessed + 1, after.out + after.err
    assert after.code == expected_code, after.out + after.err
    assert expected_text in after.out
    assert _twice(cli, *args).out == after.out  # stored in turn
    assert len(counted) == assessed + 1


def test_a_run_with_a_failed_plugin_stores_nothing(cli, caption_repo, counted, monkeypatch):
    monkeypatch.setenv("AIART_RELEASE_PLUGINS", "testplugins.failing")
    (caption_repo / "data/boom.txt").write_text("BOOM\n")
    git(caption_repo, "add", "data/boom.txt")
    first = cli("hook", "data/boom.txt")
    assert "plugin.check-failed" in first.out, first.out + first.err
    cli("hook", "data/boom.txt")
    assert len(counted) == 2
    assert _verdict_rows(Path(os.environ["AIART_RELEASE_CACHE_DIR"])) == 0


def test_no_cache_neither_reads_nor_stores_a_verdict(cli, caption_repo, counted):
    cli("hook", "--no-cache", "data/caption.txt")
    cli("hook", "--no-cache", "data/caption.txt")
    assert len(counted) == 2
    cache = Path(os.environ["AIART_RELEASE_CACHE_DIR"])
    assert not (cache / DB_NAME).exists() or _verdict_rows(cache) == 0


def test_an_unstaged_baseline_is_refused_before_any_verdict(cli, caption_repo, counted):
    assert cli("baseline", "add", ".", "--id", "pii.email-address", "--reason",
               "the sender agreed to publish it").code == 0
    git(caption_repo, "add", ".aiart-release-baseline.json")
    assert _twice(cli, "--fail-on", "low", "data/caption.txt").code == 0
    baseline = caption_repo / ".aiart-release-baseline.json"
    baseline.write_text(baseline.read_text().replace("agreed", "AGREED"))
    refused = cli("hook", "--fail-on", "low", "data/caption.txt")
    assert refused.code == 2 and "changed but not staged" in refused.err


def test_the_names_the_hook_keeps_are_those_of_the_baseline_and_the_configuration():
    from aiart_release import baseline, config, hook

    assert hook.BASELINE_NAME == baseline.BASELINE_NAME
    assert hook.CONFIG_NAMES == config.CONFIG_NAMES


def test_a_verdict_of_another_shape_is_not_replayed(cli, caption_repo, counted):
    """The database is state an earlier run left: a stored verdict edited to
    say something else (an exit code the hook never stores) is dropped."""
    import sqlite3

    from aiart_release.cache import VERDICT_CHECK

    first = _twice(cli, "--fail-on", "low", "data/caption.txt")
    db = sqlite3.connect(Path(os.environ["AIART_RELEASE_CACHE_DIR"]) / DB_NAME)
    db.execute("UPDATE results SET findings = ? WHERE check_id = ?",
               (json.dumps({"stdout": "all fine\n", "stderr": [], "code": 5}), VERDICT_CHECK))
    db.commit()
    db.close()
    again = cli("hook", "--fail-on", "low", "data/caption.txt")
    assert (again.code, again.out) == (first.code, first.out) and len(counted) == 2
    assert "corrupt" in again.err  # said once, like any cache entry of another shape


def test_cache_clear_removes_the_verdicts(cli, caption_repo, counted):
    _twice(cli, "--fail-on", "low", "data/caption.txt")
    cache = Path(os.environ["AIART_RELEASE_CACHE_DIR"])
    assert _verdict_rows(cache) == 1
    assert "among the results: 1 hook verdicts" in cli("cache", "info").out
    assert cli("cache", "clear").code == 0
    assert _verdict_rows(cache) == 0
    assert cli("hook", "--fail-on", "low", "data/caption.txt").code == 1 and len(counted) == 2


def test_installing_tesseract_changes_the_key(tmp_path, monkeypatch):
    # OCR (checks: {pii: {ocr: true}}) finds text only where tesseract is
    # installed: a verdict stored without it must not answer once it is.
    from aiart_release import hook_verdict

    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    without = hook_verdict._tool_state()["programs"]
    program = tmp_path / "bin" / "tesseract"
    program.parent.mkdir()
    program.write_text("#!/bin/sh\n", encoding="utf-8")
    program.chmod(0o755)
    monkeypatch.setenv("PATH", str(program.parent))
    assert without == {"tesseract": None}
    assert hook_verdict._tool_state()["programs"] == {"tesseract": str(program)}
