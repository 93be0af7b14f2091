"""Fail closed (issue 10): a plugin that exits, raises a BaseException,
sleeps, dies or registers garbage never passes the gate silently nor ends
the run; a corrupt cache is discarded; SIGTERM and SIGINT leave no worker
behind. The misbehaving plugins are tests/testplugins/hostile_*.py."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
from conftest import TESTS, TOOL, make_bundle, run_tool

from aiart_release.cache import DB_NAME, KIND_CHECK, ResultCache

# A dataset declared open: a failed or unfinished check holds it at gated,
# so the gate fails (exit 1) even without --strict.
CONFIG = ("release: open\nartifacts:\n  dataset: ['data/**']\n"
          "limits:\n  seconds_per_file: {seconds}\n")


def _env(*plugins: str) -> dict[str, str]:
    return {"AIART_RELEASE_PLUGINS": ",".join(f"testplugins.{p}" for p in plugins),
            "PYTHONPATH": str(TESTS), "AIART_RELEASE_DISABLE_PLUGINS": "personal-data"}


def _bundle(root: Path, names: list[str], seconds: float = 120, notes: int = 0) -> Path:
    files = {"aiart-release.yaml": CONFIG.format(seconds=seconds), "LICENSE": "MIT\n"}
    files.update({f"data/{name}": "a caption\n" for name in names})
    # Enough files that --jobs 2 really runs a pool.
    files.update({f"data/n{i:03}.txt": "a note\n" for i in range(notes)})
    return make_bundle(root, files)


def _assess(bundle: Path, *args: str, plugins: tuple[str, ...] = ("hostile_files",),
            timeout: int = 60):
    result = run_tool("assess", bundle, "-f", "json", "--no-cache", *args,
                      env=_env(*plugins), timeout=timeout)
    assert "Traceback" not in result.err
    return result


def _found(result, finding_id: str) -> dict[str, str]:
    """path -> message of each finding with that id."""
    return {f["location"]["path"]: f["message"] for f in result.json()["findings"]
            if f["id"] == finding_id}


def _seen(result) -> set[str]:
    return set(_found(result, "docs.test-seen"))


# --- BaseException from a check ----------------------------------------------

@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_check_calling_sys_exit_is_a_finding_that_fails_the_gate(tmp_path, jobs):
    """It used to end the run with exit 0 and no output, even with --strict."""
    bundle = _bundle(tmp_path / "b", ["exit.txt", "fine.txt"])
    result = _assess(bundle, "--jobs", jobs)
    failed = _found(result, "plugin.check-failed")
    assert "SystemExit" in failed["data/exit.txt"]
    assert "data/fine.txt" in _seen(result)
    assert result.json()["recommendation"]["artifacts"]["dataset"]["tier"] == "gated"
    assert result.code == 1
    strict = _assess(bundle, "--jobs", jobs, "--strict")
    assert strict.code == 3 and "a plugin or check failed" in strict.err


def test_base_exceptions_from_file_checks_bundle_checks_and_facts(tmp_path):
    bundle = _bundle(tmp_path / "b", ["base.txt", "exit-bundle", "fine.txt"])
    result = _assess(bundle, plugins=("hostile_files", "hostile_bundle"))
    failed = _found(result, "plugin.check-failed")
    assert "Escape at hostile_files.py" in failed["data/base.txt"]  # a BaseException subclass
    assert "'hostile-bundle' failed: GeneratorExit" in failed["."]
    assert "data/fine.txt" in _seen(result)
    assert result.code == 1


def test_a_dead_worker_is_a_finding_and_the_scan_goes_on(tmp_path):
    """os._exit in a pool worker used to end the run with BrokenProcessPool (exit 3)."""
    bundle = _bundle(tmp_path / "b", ["die.txt", "segv.txt"], notes=20)
    result = _assess(bundle, "--jobs", "2")
    failed = _found(result, "plugin.check-failed")
    assert sorted(failed) == ["data/die.txt", "data/segv.txt"]
    assert "ended its worker process (exit code 0)" in failed["data/die.txt"]
    assert "ended its worker process (killed by SIGSEGV)" in failed["data/segv.txt"]
    assert len(_seen(result)) == 20
    assert result.code == 1


# --- time budgets ---------------------------------------------------------------

@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_sleeping_check_is_stopped_at_its_budget(tmp_path, jobs):
    bundle = _bundle(tmp_path / "b", ["sleep.txt", "fine.txt"], seconds=1, notes=3)
    started = time.monotonic()
    result = _assess(bundle, "--jobs", jobs)
    assert time.monotonic() - started < 30  # the check sleeps for an hour
    slow = _found(result, "bundle.too-slow")
    assert "'hostile-files' ran past its time budget of 1 s" in slow["data/sleep.txt"]
    assert {"data/fine.txt", "data/n000.txt"} <= _seen(result)
    assert result.code == 1


@pytest.mark.parametrize("mark, where", [("sleep-bundle", "scan_bundle"),
                                         ("sleep-facts", "facts")])
def test_a_sleeping_bundle_check_or_facts_is_stopped_at_its_budget(tmp_path, mark, where):
    bundle = _bundle(tmp_path / "b", [mark, "fine.txt"], seconds=1)
    started = time.monotonic()
    result = _assess(bundle, plugins=("hostile_files", "hostile_bundle"))
    assert time.monotonic() - started < 30, where
    slow = _found(result, "bundle.too-slow")
    assert "'hostile-bundle' ran past its time budget of 1 s" in slow["."]
    assert "data/fine.txt" in _seen(result)
    assert result.code == 1


def _run_checks(bundle: Path, **options):
    """The engine alone on ``bundle`` with the hostile file check."""
    from testplugins import hostile_files

    from aiart_release import pipeline
    from aiart_release.config import load_config
    from aiart_release.engine import Options, run_checks
    from aiart_release.facts import gather_facts
    from aiart_release.plugins import build_registry

    registry = build_registry(extra=[("hostile", hostile_files)])
    config = load_config(bundle, None)
    chosen = Options(use_cache=False, **options)
    inventory = pipeline.take_inventory(bundle, registry, config, chosen)
    return run_checks(bundle, inventory, gather_facts(inventory, config), registry, config,
                      chosen)


def test_a_worker_deaf_to_its_budget_is_ended(tmp_path):
    """A check that blocks the alarm is past the reach of any timer in its
    process: the pool ends the worker and the scan goes on."""
    bundle = _bundle(tmp_path / "b", ["deaf.txt"], seconds=1, notes=4)
    started = time.monotonic()
    run = _run_checks(bundle, jobs=2)
    assert time.monotonic() - started < 30
    [slow] = [f for f in run.findings if f.id == "bundle.too-slow"]
    assert slow.location.path == "data/deaf.txt"
    assert "did not stop, so its worker process was ended" in slow.message
    assert len([f for f in run.findings if f.id == "docs.test-seen"]) == 4


def test_when_no_worker_can_start_the_files_are_scanned_in_process(tmp_path, monkeypatch):
    import multiprocessing.context

    def refuse(self):
        raise BlockingIOError(11, "Resource temporarily unavailable")

    for kind in ("ForkProcess", "SpawnProcess"):
        if hasattr(multiprocessing.context, kind):
            monkeypatch.setattr(getattr(multiprocessing.context, kind), "start", refuse)
    bundle = _bundle(tmp_path / "b", ["fine.txt"], notes=4)
    run = _run_checks(bundle, jobs=2)
    assert len([f for f in run.findings if f.id == "docs.test-seen"]) == 5


@pytest.mark.parametrize("jobs", [1, 2])
def test_the_run_time_limit_reports_what_was_not_assessed(tmp_path, jobs):
    bundle = _bundle(tmp_path / "b", ["sleep.txt"], notes=6)
    started = time.monotonic()
    run = _run_checks(bundle, jobs=jobs, timeout=1)
    assert time.monotonic() - started < 30
    [timeout] = [f for f in run.findings if f.id == "bundle.timeout"]
    assert timeout.severity.value == "high"
    assert "time limit of 1 s passed" in timeout.message and "hostile-files" in timeout.message
    assert timeout.count >= 1


# --- plugins that register or return garbage -----------------------------------

def test_garbage_registrations_and_returns_are_plugin_findings(tmp_path):
    """Each used to be exit 3 (an internal error) without --strict."""
    names = ["int.txt", "str.txt", "obj.txt", "sev.txt", "cp.txt", "loc.txt", "id.txt",
             "msg.txt", "fine.txt"]
    bundle = _bundle(tmp_path / "b", names)
    result = _assess(bundle, plugins=("hostile_garbage",))
    assert result.code == 1
    warned = result.err
    for problem in ("NoneType object is not an aiart_release.checks.Check",
                    "kinds must be a set of file kinds", "version must be a string",
                    "batch_size must be a whole number", "findings must map finding ids",
                    "SystemExit while reading the IdRaises",
                    "a Reporter is not a Reporter", "a int is not a rule pack",
                    "a list is not a rule pack", "a str is not a callable recognizer"):
        assert problem in warned
    assert "plugin.load-failed" in {f["id"] for f in result.json()["findings"]}
    failed = _found(result, "plugin.check-failed")
    assert "severity is not a Severity" in failed["data/sev.txt"]
    assert "checkpoint is not a Checkpoint" in failed["data/cp.txt"]
    assert "location is not a Location" in failed["data/loc.txt"]
    assert "a int, not a list of findings" in failed["data/int.txt"]
    assert _seen(result) == {"data/fine.txt"}
    # The plugin's good contributions still arrive.
    kept = run_tool("assess", bundle, "-f", "keep", "--no-cache", env=_env("hostile_garbage"))
    assert kept.out == "kept\n" and "Traceback" not in kept.err
    assert _assess(bundle, "--strict", plugins=("hostile_garbage",)).code == 3


class _Exits:
    """A plugin whose classifier and commands hook call sys.exit."""

    from aiart_release import hookimpl

    @hookimpl
    def aiart_release_classify_file(self, file):
        raise SystemExit(0)

    @hookimpl
    def aiart_release_register_commands(self, cli):
        raise SystemExit(0)


class _Sleeps:
    from aiart_release import hookimpl

    @hookimpl
    def aiart_release_classify_file(self, file):
        time.sleep(3600)


@pytest.mark.parametrize("plugin, error", [(_Exits(), "SystemExit"),
                                           (_Sleeps(), "TimeBudgetExceeded")])
def test_a_classifier_that_exits_or_sleeps_is_a_plugin_failure(tmp_path, monkeypatch,
                                                                plugin, error):
    from aiart_release import plugins
    from aiart_release.bundle import build_inventory

    monkeypatch.setattr(plugins, "CLASSIFY_SECONDS", 0.5)
    bundle = make_bundle(tmp_path / "b", {"LICENSE": "MIT\n", "a.txt": "hello\n"})
    registry = plugins.build_registry(extra=[("odd", plugin)])
    started = time.monotonic()
    kinds = {f.path: f.kind for f in build_inventory(bundle, registry.classify).files}
    assert time.monotonic() - started < 10
    assert kinds["a.txt"] == "text"  # the next classifier answered
    [failure] = registry.failures
    assert (failure.plugin, failure.stage) == ("odd", "classify_file")
    assert error in failure.error


def test_a_commands_hook_that_exits_is_a_plugin_failure():
    from aiart_release.plugins import build_registry, collect_commands

    registry = build_registry(extra=[("exits", _Exits())], collect=False)
    commands = collect_commands(registry, reserved=["assess"])
    assert "credits" in commands  # the other plugins' commands arrive
    assert [(f.plugin, f.stage) for f in registry.failures] == [("exits", "register_commands")]


# --- the cache -------------------------------------------------------------------

def _db(cache: Path) -> Path:
    return cache / DB_NAME


def _update(cache: Path, sql: str, *params) -> None:
    """Change every stored result (the first run must have stored some)."""
    db = sqlite3.connect(_db(cache))
    assert db.execute("SELECT count(*) FROM results").fetchone()[0], "the first run cached nothing"
    db.execute(sql, params)
    db.commit()
    db.close()


def _replace_db(cache: Path, make) -> None:
    _db(cache).unlink()
    make(_db(cache))


def _edit(cache: Path, **fields) -> None:
    db = sqlite3.connect(_db(cache))
    for rowid, text in db.execute("SELECT rowid, findings FROM results WHERE check_id != ?",
                                  (KIND_CHECK,)).fetchall():  # kinds hold no findings
        data = json.loads(text)
        # A file's results are a list of findings; a bundle check's, a
        # record holding its findings.
        for finding in data["findings"] if isinstance(data, dict) else data:
            finding.update(fields)
        db.execute("UPDATE results SET findings = ? WHERE rowid = ?", (json.dumps(data), rowid))
    db.commit()
    db.close()


CORRUPTIONS = {
    "garbage database": lambda cache: _db(cache).write_bytes(b"garbage{" * 512),
    "truncated database": lambda cache: _db(cache).write_bytes(_db(cache).read_bytes()[:1500]),
    "a trigger in it": lambda cache: _update(
        cache, "CREATE TRIGGER t AFTER INSERT ON results BEGIN DELETE FROM files; END"),
    "garbage results": lambda cache: _update(cache, "UPDATE results SET findings = '{'"),
    "deep results": lambda cache: _update(cache, "UPDATE results SET findings = ?",
                                          "[" * 100_000),
    "results of another type": lambda cache: _update(
        cache, "UPDATE results SET findings = x'00', seconds = 'x'"),
    "findings a dict": lambda cache: _update(cache, "UPDATE results SET findings = ?",
                                             '{"a": 1}'),
    "unknown field": lambda cache: _edit(cache, extra=1),
    "bad severity": lambda cache: _edit(cache, severity="urgent"),
    "folder database": lambda cache: _replace_db(cache, Path.mkdir),
    "fifo database": lambda cache: _replace_db(cache, os.mkfifo),
    "symlinked database": lambda cache: _replace_db(
        cache, lambda db: db.symlink_to(cache.parent / "elsewhere")),
    "file for the cache folder": lambda cache: (shutil.rmtree(cache), cache.write_text("")),
}


@pytest.mark.parametrize("corruption", sorted(CORRUPTIONS))
def test_a_corrupt_cache_is_discarded_with_one_warning(tmp_path, corruption):
    bundle = _bundle(tmp_path / "b", ["fine.txt"])
    env = {**_env("hostile_files"), "AIART_RELEASE_CACHE_DIR": str(tmp_path / "cache")}
    first = run_tool("assess", bundle, "-f", "json", env=env)
    CORRUPTIONS[corruption](tmp_path / "cache")
    second = run_tool("assess", bundle, "-f", "json", env=env, timeout=60)
    assert second.code == first.code == 0
    [warning] = second.err.splitlines()
    assert warning.startswith("aiart-release: warning: ") and "cache" in warning
    assert _seen(second) == _seen(first) == {"data/fine.txt"}


def test_a_file_over_the_size_limit_is_never_hashed(tmp_path, monkeypatch):
    from aiart_release import cache as cache_module

    big = tmp_path / "big.bin"
    big.write_bytes(b"x" * 4096)

    def refuse(path):
        raise AssertionError("hashed a file over the limit")

    monkeypatch.setattr(cache_module, "file_sha256", refuse)
    assert ResultCache(tmp_path / "cache").content_hash(big, max_bytes=1024) == ""


# --- signals -------------------------------------------------------------------

def _children(pid: int) -> list[int]:
    """The live child processes of ``pid`` (from /proc: no psutil needed)."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        found += [int(c) for c in task.read_text().split()]
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
@pytest.mark.parametrize("signum, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_ends_every_worker(tmp_path, signum, code):
    """After SIGTERM during a -j 2 run, two workers used to live on for ever
    and hold the caller's stderr."""
    bundle = _bundle(tmp_path / "b", ["sleep1.txt", "sleep2.txt", "sleep3.txt"])
    proc = subprocess.Popen([str(TOOL), "assess", str(bundle), "-j", "2", "--no-cache"],
                            env={**os.environ, **_env("hostile_files")},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while len(_children(proc.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        workers = _children(proc.pid)
        assert len(workers) == 2
        time.sleep(1)  # the workers are asleep in the check
        proc.send_signal(signum)
        # communicate() returns only once every holder of the pipes is gone.
        proc.communicate(timeout=20)
        assert proc.returncode == code
        assert not [pid for pid in workers if _alive(pid)]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
