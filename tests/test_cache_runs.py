"""The result cache as the tool uses it: real runs, in parallel and
against a locked database, with the database's bytes searched for the
personal data the bundle holds, and `cache info|clear`."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time

import pytest
from conftest import TESTS, TOOL, make_bundle, run_tool

from aiart_release.cache import DB_NAME, describe

EMAIL = "maria.gonzalez@postbox-mail.org"
NAME = "Maria Gonzalez"
TOKEN = "hf_" + "kQ7vX2pL9mZ4tR8wY3nB6cD1fG5hJ0sA2e"


def _env(cache, **extra) -> dict[str, str]:
    return {"AIART_RELEASE_PLUGINS": "testplugins.echo_pii", "PYTHONPATH": str(TESTS),
            "AIART_RELEASE_CACHE_DIR": str(cache), **extra}


def _mail_bundle(root, files: int = 40):
    return make_bundle(root, {"LICENSE": "MIT\n", **{
        f"data/t{i:02}.txt": f"mail me at a{i}@example.com\n" for i in range(files)}})


def _start(bundle, env) -> subprocess.Popen:
    return subprocess.Popen([str(TOOL), "assess", str(bundle), "-f", "json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **env})


def _findings(out: str) -> list[dict]:
    return json.loads(out)["findings"]


def test_two_runs_at_once_share_the_cache_and_neither_fails(tmp_path):
    bundle = _mail_bundle(tmp_path / "b")
    cache = tmp_path / "cache"
    env = _env(cache)
    runs = [_start(bundle, env) for _ in range(2)]
    done = [run.communicate(timeout=300) for run in runs]
    assert [run.returncode for run in runs] == [1, 1]
    for _, err in done:
        assert "Traceback" not in err and "warning" not in err, err
    assert _findings(done[0][0]) == _findings(done[1][0])
    db = sqlite3.connect(cache / DB_NAME)
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    db.close()
    # A third run finds every result the two wrote.
    third = run_tool("assess", bundle, "-f", "json", env=env)
    assert _findings(third.out) == _findings(done[0][0])
    assert json.loads(third.out)["timings"]["echo-emails"] == 0
    assert describe(cache)["last_run"]["misses"] == 0


HOLD_LOCK = """
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN IMMEDIATE")
db.execute("DELETE FROM runs")
print("locked", flush=True)
time.sleep(120)
"""


def test_a_run_meeting_a_held_lock_waits_then_goes_on_without_the_cache(tmp_path):
    bundle = _mail_bundle(tmp_path / "b", files=3)
    cache = tmp_path / "cache"
    env = _env(cache)
    fresh = run_tool("assess", bundle, "-f", "json", "--no-cache", env=env)
    run_tool("assess", make_bundle(tmp_path / "other", {"a.txt": "x\n"}), env=env)  # creates it
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(cache / DB_NAME)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        started = time.monotonic()
        held = run_tool("assess", bundle, "-f", "json", env=env, timeout=120)
        assert time.monotonic() - started < 100  # waited a bounded time, did not hang
    finally:
        holder.kill()
        holder.wait()
    assert held.code == fresh.code == 1
    [warning] = held.err.splitlines()
    assert warning.startswith("aiart-release: warning: the cache in ")
    assert "locked by another run" in warning
    assert _findings(held.out) == _findings(fresh.out)


# --- nothing personal in the database --------------------------------------------

@pytest.fixture
def personal_bundle(tmp_path):
    return make_bundle(tmp_path / "b", {
        "LICENSE": "MIT\n",
        "data/captions.txt": f"portrait of {NAME}, commissioned by {EMAIL}\n",
        f"data/{NAME}.txt": f"sitter: {NAME}\n",
        "src/train.py": f'HF_TOKEN = "{TOKEN}"\nprint("training")\n',
    })


def _stored_bytes(cache) -> bytes:
    """Every file of the cache but the name lists built from Faker (which
    hold everyone's given names)."""
    return b"".join(p.read_bytes() for p in sorted(cache.rglob("*"))
                    if p.is_file() and "derived" not in p.parts)


def _kinds(result) -> list[tuple[str, str | None]]:
    return sorted((f["id"], f.get("evidence")) for f in result.json()["findings"])


def test_the_database_holds_masked_findings_and_no_raw_value(personal_bundle, cli, tmp_path,
                                                              monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("AIART_RELEASE_CACHE_DIR", str(cache))
    cold = cli("assess", personal_bundle, "-f", "json")
    warm = cli("assess", personal_bundle, "-f", "json")
    assert cold.code == warm.code == 1
    # (The full cached-equals-fresh comparison is test_masking_gate's.)
    assert _kinds(warm) == _kinds(cold)
    assert describe(cache)["last_run"]["misses"] == 0  # all of it came from the database
    ids = {f["id"] for f in cold.json()["findings"]}
    assert {"pii.email-address", "pii.person-name", "secret.huggingface-token"} <= ids
    # The file named after her is cached under its masked path, and the
    # cached run still masks her name wherever it quotes it.
    assert "data/M**** G*******.txt" in warm.out and NAME not in warm.out
    stored = _stored_bytes(cache)
    assert b"M**** G*******" in stored  # the masked findings are there
    for raw in (EMAIL, NAME, "Gonzalez", TOKEN, TOKEN[3:20]):
        assert raw.encode() not in stored, raw
    shown = cli("assess", personal_bundle, "-f", "json", "--show-pii")
    assert EMAIL in shown.out
    assert _stored_bytes(cache) == stored  # --show-pii neither reads nor writes it


# --- cache info and clear ----------------------------------------------------------

@pytest.fixture
def with_cache_command(monkeypatch):
    from aiart_release.cache_cli import cache
    from aiart_release.cli import cli as group

    monkeypatch.setitem(group.commands, "cache", cache)


def test_cache_info_and_clear(with_cache_command, cli, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("AIART_RELEASE_CACHE_DIR", str(cache))
    monkeypatch.setenv("AIART_RELEASE_PLUGINS", "testplugins.echo_pii")
    empty = cli("cache", "info")
    assert empty.code == 0 and "empty" in empty.out and str(cache / DB_NAME) in empty.out
    bundle = _mail_bundle(tmp_path / "b", files=3)
    cli("assess", bundle, "-f", "json")
    cli("assess", bundle, "-f", "json")
    shown = cli("cache", "info")
    assert shown.code == 0
    assert "results," in shown.out and "last run:" in shown.out
    info = cli("cache", "info", "-f", "json").json()
    assert info["state"] == "ok" and info["results"] > 0
    assert info["last_run"]["hits"] > 0 and info["last_run"]["misses"] == 0
    cleared = cli("cache", "clear")
    assert cleared.code == 0 and "cleared the cache" in cleared.out
    assert not (cache / DB_NAME).exists()
    assert cli("cache", "info", "-f", "json").json()["state"] == "absent"


def test_cache_clear_removes_a_symlink_but_not_its_target(with_cache_command, cli, tmp_path,
                                                          monkeypatch):
    cache = tmp_path / "cache"
    cache.mkdir()
    target = tmp_path / "precious.txt"
    target.write_text("keep\n")
    (cache / DB_NAME).symlink_to(target)
    monkeypatch.setenv("AIART_RELEASE_CACHE_DIR", str(cache))
    assert "is a symlink" in cli("cache", "info").out
    assert cli("cache", "clear").code == 0
    assert not (cache / DB_NAME).is_symlink() and target.read_text() == "keep\n"


def test_cache_clear_refuses_a_folder_in_the_way_in_one_line(with_cache_command, cli,
                                                              tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    (cache / DB_NAME).mkdir(parents=True)
    monkeypatch.setenv("AIART_RELEASE_CACHE_DIR", str(cache))
    result = cli("cache", "clear")
    assert result.code == 2
    [line] = result.err.splitlines()
    assert line.startswith("aiart-release: error: cannot clear the cache")
