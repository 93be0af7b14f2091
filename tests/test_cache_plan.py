"""A whole plan from the cache: an unchanged bundle assessed again takes
every file check's findings from one stored row (no lookup a file), and
reports exactly what a run without the cache reports; any change to a file
goes back to the lookups a file; a spoiled row is one warning."""

from __future__ import annotations

import json
import os
import sqlite3

import pytest
from conftest import make_bundle

from aiart_release.cache import DB_NAME, PLAN_CHECK, ResultCache, describe

EMAIL = "maria.gonzalez@postbox-mail.org"
NAME = "Maria Gonzalez"


@pytest.fixture
def bundle(tmp_path):
    return make_bundle(tmp_path / "b", {
        "LICENSE": "MIT\n",
        "data/captions.txt": f"portrait of {NAME}, commissioned by {EMAIL}\n",
        f"data/{NAME}.txt": f"sitter: {NAME}\n",
        "data/plain.txt": "a bowl of lemons on a table\n",
        "src/train.py": 'print("training")\n',
    })


FINDING = {"id": "pii.email-address", "check": "pii", "checkpoint": "dataset",
           "artifact": "dataset", "severity": "high", "confidence": 1.0,
           "location": {"path": "LICENSE"}, "message": "E-mail address"}


def report(result) -> dict:
    """The JSON report, the seconds each stage took left out (their names kept)."""
    out = json.loads(result.out)
    out["timings"] = sorted(out["timings"])
    return out


def no_lookups_a_file(monkeypatch):
    def refuse(self, files, max_bytes=None):
        if list(files):
            raise AssertionError("the plan was not taken whole")

    monkeypatch.setattr(ResultCache, "prefetch", refuse)


def test_an_unchanged_bundle_takes_its_plan_whole_and_reports_as_without_the_cache(
        bundle, cli, tmp_path, monkeypatch):
    monkeypatch.setenv("AIART_RELEASE_CACHE_DIR", str(tmp_path / "cache"))
    fresh = cli("assess", bundle, "-f", "json", "--no-cache")
    cold = cli("assess", bundle, "-f", "json")
    with monkeypatch.context() as patched:
        no_lookups_a_file(patched)
        again = cli("assess", bundle, "-f", "json")
    assert fresh.code == cold.code == again.code == 1
    assert report(again) == report(cold) == report(fresh)
    assert "data/M**** G*******.txt" in again.out and NAME not in again.out
    with sqlite3.connect(tmp_path / "cache" / DB_NAME) as db:
        [(stored,)] = db.execute("SELECT findings FROM results WHERE check_id = ?",
                                 (PLAN_CHECK,)).fetchall()
    assert "M**** G*******" in stored
    for raw in (EMAIL, NAME, "Gonzalez", "lemons"):
        assert raw not in stored


def test_a_changed_file_is_seen(bundle, cli, tmp_path, monkeypatch):
    monkeypatch.setenv("AIART_RELEASE_CACHE_DIR", str(tmp_path / "cache"))
    cli("assess", bundle, "-f", "json")
    plain = bundle / "data/plain.txt"
    info = plain.stat()
    plain.write_text("a bowl of lemons, by ana@postbox-mail.org\n")
    os.utime(plain, ns=(info.st_atime_ns, info.st_mtime_ns + 1_000_000_000))
    again = cli("assess", bundle, "-f", "json")
    assert report(again) == report(cli("assess", bundle, "-f", "json", "--no-cache"))
    assert "data/plain.txt" in {f["location"]["path"] for f in again.json()["findings"]
                                if f["id"] == "pii.email-address"}


def _with(**changes):
    return lambda record: json.dumps({**record, **changes})


@pytest.mark.parametrize(("spoil", "warnings"), [
    (lambda record: "[]", 1),
    (_with(places=[99], checks=["pii"], findings=[FINDING]), 1),  # no such file
    (_with(files="x"), 1),
    (_with(places=[0], checks=["nope"], findings=[FINDING]), 0),  # no such check: unused
    (_with(state="0" * 64), 0),  # of another state of the bundle: a miss
])
def test_a_spoiled_plan_is_one_warning_and_the_lookups_a_file(bundle, cli, tmp_path,
                                                              monkeypatch, spoil, warnings):
    monkeypatch.setenv("AIART_RELEASE_CACHE_DIR", str(tmp_path / "cache"))
    cold = cli("assess", bundle, "-f", "json")
    with sqlite3.connect(tmp_path / "cache" / DB_NAME) as db:
        [(rowid, stored)] = db.execute("SELECT rowid, findings FROM results WHERE check_id = ?",
                                       (PLAN_CHECK,)).fetchall()
        db.execute("UPDATE results SET findings = ? WHERE rowid = ?",
                   (spoil(json.loads(stored)), rowid))
    again = cli("assess", bundle, "-f", "json")
    assert report(again) == report(cold)
    assert len([line for line in again.err.splitlines() if "warning" in line]) == warnings


def test_a_run_after_a_change_stores_the_new_plan(bundle, cli, tmp_path, monkeypatch):
    monkeypatch.setenv("AIART_RELEASE_CACHE_DIR", str(tmp_path / "cache"))
    cli("assess", bundle, "-f", "json")
    (bundle / "data/plain.txt").write_text("a bowl of lemons and pears on a table\n")
    changed = cli("assess", bundle, "-f", "json")  # the other files from their results
    with monkeypatch.context() as patched:
        no_lookups_a_file(patched)
        again = cli("assess", bundle, "-f", "json")
    assert report(again) == report(changed)
    assert describe(tmp_path / "cache")["plans"] == 1  # the folder's plan, replaced
