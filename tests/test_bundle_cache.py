"""Bundle checks' results in the result cache: reused when nothing a check
is given changed, dropped when anything did (a file's content, a setting,
the check's version, a fact it reads), stored masked, and never for a
check that has not declared itself a pure function of its inputs."""

from __future__ import annotations

import sqlite3

import pytest
from conftest import make_bundle

from aiart_release import hookimpl, pipeline
from aiart_release.cache import DB_NAME
from aiart_release.checks import Check, validate_check
from aiart_release.config import load_config
from aiart_release.engine import Options, run_checks
from aiart_release.facts import Fact, gather_facts
from aiart_release.findings import Checkpoint, Finding, Location, Severity
from aiart_release.masking import using
from aiart_release.plugins import build_registry
from aiart_release.policy import load_policy

NAME_FILE = "people/maria_gonzalez.txt"
EMAIL = "maria.gonzalez@example.com"


class Counting(Check):
    """Reads every text file; reports each e-mail it finds as a bundle
    finding at the file, and provides how many text files there are."""

    id = "counting"
    checkpoint = Checkpoint.DATASET
    version = "1"
    bundle_cacheable = True
    findings = {"pii.test-email": "an e-mail"}
    provides = {"text_files": Fact(int, "text files read"),
                "says_license": Fact(bool, "the card names a licence")}
    calls = 0

    def scan_bundle(self, ctx):
        type(self).calls += 1
        texts = [f for f in ctx.inventory.files if f.kind == "text"]
        ctx.provide({"text_files": len(texts),
                     "says_license": bool(ctx.facts.values.get("license"))})
        for file in texts:
            for word in file.abspath.read_text(encoding="utf-8").split():
                if "@" in word:
                    yield Finding(id="pii.test-email", severity=Severity.HIGH,
                                  message="E-mail in the bundle", evidence="m***@***",
                                  matched=word, location=Location(path=file.path))


class Uncached(Counting):
    id = "uncached"
    bundle_cacheable = False


class Plugin:
    def __init__(self, *checks):
        self.checks = checks

    @hookimpl
    def aiart_release_register_checks(self, register):
        for check in self.checks:
            register(check)


@pytest.fixture(autouse=True)
def fresh_counts():
    Counting.calls = Uncached.calls = 0


def bundle(tmp_path):
    return make_bundle(tmp_path / "b", {
        "LICENSE": "MIT\n",
        "README.md": "---\nlicense: mit\n---\n# Portraits\n",
        "notes.txt": "hello\n",
        NAME_FILE: f"write to {EMAIL}\n",
        "aiart-release.yaml": "checks:\n  counting:\n    level: 1\n",
    })


def run(path, cache, *checks, show_pii=False, names=(), quoted=None):
    """Only our checks run (the built-in ones are switched off by config).
    ``names``: values the masking gate knows before the run; ``quoted``: a
    text to put through the run's gate afterwards, returned beside the run."""
    checks = checks or (Counting(),)
    registry = build_registry(extra=[("counting", Plugin(*checks))])
    config = load_config(path)
    for cid in registry.checks:
        if cid not in {c.id for c in checks}:
            config.checks.setdefault(cid, {})["enabled"] = False
    options = Options(cache_dir=cache, show_pii=show_pii, jobs=1)
    with using(()) as gate:
        gate.learn_values(names)
        inventory = pipeline.take_inventory(path, registry, config, options)
        result = run_checks(path, inventory, gather_facts(inventory, config), registry,
                            config, options)
        return result if quoted is None else (result, gate.redact(quoted))


def provided(result, check_id="counting"):
    return next(values for check, values in result.provided if check.id == check_id)


def test_an_unchanged_bundle_is_answered_from_the_cache(tmp_path):
    path, cache = bundle(tmp_path), tmp_path / "cache"
    first = run(path, cache)
    again = run(path, cache)
    assert Counting.calls == 1
    assert again.cache_hits == 1 and again.timings["counting"] == 0
    assert [(f.id, f.location.path) for f in again.findings] == [
        (f.id, f.location.path) for f in first.findings]
    assert len(again.findings) == 1
    assert provided(again) == provided(first) == {"text_files": 2, "says_license": True}


@pytest.mark.parametrize("change", ["content", "new file", "setting", "version", "fact"])
def test_any_change_to_what_the_check_is_given_runs_it_again(tmp_path, change):
    path, cache = bundle(tmp_path), tmp_path / "cache"
    run(path, cache)
    check = Counting()
    if change == "content":
        (path / "notes.txt").write_text("hello, again\n", encoding="utf-8")
    elif change == "new file":
        (path / "more.txt").write_text("more\n", encoding="utf-8")
    elif change == "setting":
        (path / "aiart-release.yaml").write_text("checks:\n  counting:\n    level: 2\n",
                                                 encoding="utf-8")
    elif change == "version":
        check.version = "2"
    elif change == "fact":  # the card's licence, a fact the check reads
        (path / "README.md").write_text("---\nlicense: apache-2.0\n---\n# Portraits\n",
                                        encoding="utf-8")
    again = run(path, cache, check)
    assert Counting.calls == 2
    assert again.cache_hits == 0


def test_the_same_bundle_in_another_folder_is_answered_from_the_cache(tmp_path):
    import shutil

    path, cache = bundle(tmp_path), tmp_path / "cache"
    first = run(path, cache)
    moved = shutil.copytree(path, tmp_path / "elsewhere" / "b")
    again = run(moved, cache)
    assert Counting.calls == 1
    assert [f.location.path for f in again.findings] == [f.location.path for f in first.findings]


def test_a_content_change_that_keeps_size_and_mtime_is_seen(tmp_path):
    path, cache = bundle(tmp_path), tmp_path / "cache"
    run(path, cache)
    target = path / NAME_FILE
    stat = target.stat()
    target.write_text(f"write to {EMAIL.upper()}\n", encoding="utf-8")
    import os
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    # The inode is the same too: only a new hash would tell. Another file
    # (same size, same time) takes its place, so the stat key differs.
    replacement = tmp_path / "replacement.txt"
    replacement.write_text(f"write to {EMAIL.upper()}\n", encoding="utf-8")
    os.utime(replacement, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    os.replace(replacement, target)
    run(path, cache)
    assert Counting.calls == 2


def test_cached_bundle_findings_hold_no_raw_value(tmp_path):
    path, cache = bundle(tmp_path), tmp_path / "cache"
    run(path, cache)
    stored = (cache / DB_NAME).read_bytes()
    for wal in cache.glob(f"{DB_NAME}-*"):
        stored += wal.read_bytes()
    assert EMAIL.encode() not in stored
    again = run(path, cache)
    [finding] = again.findings
    assert finding.matched in (None, "") and EMAIL not in str(finding.to_dict(show_pii=True))


def test_a_cached_masked_path_is_learned_again_so_it_stays_masked_elsewhere(tmp_path):
    path, cache = bundle(tmp_path), tmp_path / "cache"
    [fresh] = run(path, cache, names=["Maria Gonzalez"]).findings
    # The next run's gate knows no name: only the cached, masked path tells it.
    again, quoted = run(path, cache, quoted=f"see {NAME_FILE}")
    [cached] = again.findings
    assert Counting.calls == 1 and fresh.location.path == NAME_FILE
    assert "*" in cached.location.path and "gonzalez" not in cached.location.path
    assert "gonzalez" not in quoted.lower()


def test_a_check_that_does_not_declare_itself_pure_runs_every_time(tmp_path):
    path, cache = bundle(tmp_path), tmp_path / "cache"
    run(path, cache, Uncached())
    run(path, cache, Uncached())
    assert Uncached.calls == 2


class CutShort(Counting):
    """Says the time limit cut its work short."""

    id = "cut-short"

    def scan_bundle(self, ctx):
        yield from super().scan_bundle(ctx)
        ctx.stopped_early()


def test_a_result_the_time_limit_cut_short_is_not_kept(tmp_path):
    path, cache = bundle(tmp_path), tmp_path / "cache"
    CutShort.calls = 0
    run(path, cache, CutShort())
    again = run(path, cache, CutShort())
    assert CutShort.calls == 2 and again.cache_hits == 0
    assert [f.id for f in again.findings] == ["pii.test-email"]


def test_accelerator_checks_are_never_cached(tmp_path):
    check = Counting()
    check.device = "accelerator"
    assert not check.caches_bundle_results
    assert Counting().caches_bundle_results and not Uncached().caches_bundle_results


def test_show_pii_and_no_cache_bypass_it(tmp_path):
    path, cache = bundle(tmp_path), tmp_path / "cache"
    run(path, cache)
    shown = run(path, cache, show_pii=True)
    assert Counting.calls == 2 and shown.findings[0].matched == EMAIL


def test_facts_the_gate_would_mask_are_not_cached(tmp_path):
    class Naming(Counting):
        id = "naming"
        provides = {"creators": Fact(list, "who made it")}

        def scan_bundle(self, ctx):
            type(self).calls += 1
            ctx.provide({"creators": [EMAIL]})
            return ()

    path, cache = bundle(tmp_path), tmp_path / "cache"
    Naming.calls = 0
    run(path, cache, Naming())
    again = run(path, cache, Naming())
    assert Naming.calls == 2 and provided(again, "naming") == {"creators": [EMAIL]}
    db = sqlite3.connect(cache / DB_NAME)
    assert EMAIL not in str(db.execute("SELECT findings FROM results").fetchall())
    db.close()


def test_bundle_cacheable_must_be_a_bool():
    check = Counting()
    check.bundle_cacheable = "yes"
    assert "bundle_cacheable must be True or False" in validate_check(check)


def test_the_decision_is_the_same_from_the_cache(tmp_path):
    path, cache = bundle(tmp_path), tmp_path / "cache"
    registry = build_registry(extra=[("counting", Plugin(Counting()))])
    config, policy = load_config(path), load_policy()
    first = pipeline.assess(path, registry, config, policy, Options(cache_dir=cache, jobs=1))
    again = pipeline.assess(path, registry, config, policy, Options(cache_dir=cache, jobs=1))
    assert again.cache_hits >= 1
    assert again.recommendation == first.recommendation
    assert [(f.id, f.location.path, f.severity) for f in again.findings] == [
        (f.id, f.location.path, f.severity) for f in first.findings]
