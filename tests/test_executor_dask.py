"""The Dask executor (--executor dask): the same findings as a local run,
on a LocalCluster of two worker processes, whatever the workers do (die,
raise), and nothing raw in what comes back from them.

One cluster serves the module (a scheduler the user runs, as with
``dask=ADDRESS``); one test starts its own (plain ``dask``)."""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path

import pytest
from conftest import make_bundle, tree_state

distributed = pytest.importorskip("distributed")

ROOT = Path(__file__).resolve().parent.parent
TESTS = Path(__file__).resolve().parent
EXAMPLES = ("own-work", "unlicensed-unfilled", "portrait-sessions", "nc-base-lora",
            "forum-fanart", "geotagged-portraits", "pickled-checkpoint", "fine-tune-declared")
PEOPLE = ["Maria Gonzalez", "Kwame Asante", "Julien Moreau", "Ngozi Eze", "Kenji Watanabe"]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """Two worker processes, one thread each, configured as the cluster the
    engine starts (LOCAL_CLUSTER_CONFIG). One module-wide cluster also
    shows that runs one after another on warm workers do not mix (task
    keys, plugin sets)."""
    import dask

    markers = tmp_path_factory.mktemp("markers")
    before = {k: os.environ.get(k) for k in ("PYTHONPATH", "AIART_TEST_MARKERS")}
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(TESTS),
                                                             before["PYTHONPATH"]]))
    os.environ["AIART_TEST_MARKERS"] = str(markers)
    from aiart_release.executors.dask_cluster import LOCAL_CLUSTER_CONFIG, LOCAL_CLUSTER_HTTP

    # Held for the cluster's life, as DaskExecutor holds it: a worker that
    # is restarted after a death is started the same way (forked on Linux).
    with dask.config.set(LOCAL_CLUSTER_CONFIG):
        local = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                         host="127.0.0.1", silence_logs=50,
                                         **LOCAL_CLUSTER_HTTP)
        try:
            yield local
        finally:
            local.close()
        for key, value in before.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _assess_json(path: Path, executor: str, monkeypatch, capsys, *extra: str) -> dict:
    """What `aiart-release assess PATH -f json --no-cache --executor EXECUTOR`
    prints."""
    from aiart_release import cli

    code = cli.main(["assess", str(path), "-f", "json", "--no-cache", "--executor", executor,
                     *extra])
    report = json.loads(capsys.readouterr().out)
    report.pop("timings", None)
    report["exit_code"] = code
    return report


def _without_plugins_env(monkeypatch):
    for name in ("AIART_RELEASE_PLUGINS", "AIART_RELEASE_DISABLE_PLUGINS",
                 "AIART_RELEASE_DEBUG"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize("name", EXAMPLES)
def test_same_json_as_local_on_every_example(name, cluster, monkeypatch, capsys):
    _without_plugins_env(monkeypatch)
    monkeypatch.chdir(ROOT)
    local = _assess_json(Path("examples") / name, "local", monkeypatch, capsys)
    on_dask = _assess_json(Path("examples") / name, f"dask={cluster.scheduler_address}",
                           monkeypatch, capsys)
    assert on_dask == local


def _big_caption_bundle(root: Path, rows: int = 3000) -> Path:
    lines = ["id,caption,contact"]
    for i in range(1, rows + 1):
        who = PEOPLE[(i // 7) % len(PEOPLE)] if i % 40 == 0 else ""
        caption = (f'"portrait of {who},\nsecond line"' if who
                   else f"still life with apples and pears, number {i}, " + "oil " * 20)
        contact = f"sitter{i % 9}@mailhost.net" if i % 50 == 0 else ""
        lines.append(f"{i},{caption},{contact}")
    return make_bundle(root, {"data/captions.csv": "\n".join(lines) + "\n",
                              "README.md": "# Still lifes\n\nCaptions of our paintings.\n"})


def test_big_table_in_parts_same_as_local_and_as_whole(tmp_path, cluster, monkeypatch,
                                                        capsys):
    """A table over the split size is cut into parts on both executors; the
    findings name the rows a scan of the whole file names."""
    from aiart_release.executors import parts
    from aiart_release.readers import tables

    _without_plugins_env(monkeypatch)
    bundle = _big_caption_bundle(tmp_path / "bundle")
    before = tree_state(bundle)
    whole = _assess_json(bundle, "local", monkeypatch, capsys)
    monkeypatch.setattr(parts, "SPLIT_MIN_BYTES", 1024)
    monkeypatch.setattr(tables, "PART_ROWS", 400)
    local = _assess_json(bundle, "local", monkeypatch, capsys)
    on_dask = _assess_json(bundle, f"dask={cluster.scheduler_address}", monkeypatch, capsys)
    assert on_dask == local
    pii = [f for f in local["findings"] if f["id"].startswith("pii.")]
    assert {f["id"] for f in pii} >= {"pii.person-name", "pii.email-address"}

    def rows(report):  # fingerprints differ by design: see docs/scale.md
        return sorted((f["id"], f["location"].get("rows"), f.get("count"), f.get("evidence"),
                       f["message"]) for f in report["findings"] if f["id"].startswith("pii."))

    assert rows(local) == rows(whole)
    # ...and it was cut: the fingerprints of a table read in parts hash the
    # values' hashes.
    prints = lambda r: {f["fingerprint"] for f in r["findings"]  # noqa: E731
                        if f["id"].startswith("pii.")}
    assert prints(local) != prints(whole)
    assert tree_state(bundle) == before  # nothing written into the bundle


def test_dask_started_for_the_run(tmp_path, monkeypatch, capsys):
    _without_plugins_env(monkeypatch)
    bundle = make_bundle(tmp_path / "b", {
        "captions/001.txt": "portrait of Maria Gonzalez, maria@mailhost.net\n",
        "README.md": "# Portraits\n"})
    local = _assess_json(bundle, "local", monkeypatch, capsys)
    assert _assess_json(bundle, "dask", monkeypatch, capsys) == local


def _worker_state() -> tuple[int, bool, bool]:
    import signal
    import sys

    return (os.getpid(), signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
            and signal.getsignal(signal.SIGINT) is signal.SIG_IGN,
            # Imported by the client, never by a worker's own start-up.
            "aiart_release.pipeline" in sys.modules)


def test_workers_started_for_the_run_end_quietly_on_sigterm(monkeypatch, capfd):
    """The workers of a LocalCluster started for the run are forked on
    Linux (they have what this process imported), yet they do not keep the
    engine's SIGTERM handler, which raises (kept, it left the worker alive
    after SIGTERM): a nanny ends a worker that does not stop in time by
    SIGTERM, and that ends it at once, quietly. Ctrl-C is left to the
    client, as in the local pool (a SIGINT to a worker printed a
    traceback)."""
    import signal
    import sys
    import time

    from aiart_release import engine, pipeline  # noqa: F401 - imported before the fork
    from aiart_release.executors import ExecutorChoice
    from aiart_release.executors.dask_cluster import DaskExecutor

    _without_plugins_env(monkeypatch)
    capfd.readouterr()
    with engine._sigterm_raises(), DaskExecutor(ExecutorChoice("dask"), 1) as executor:
        [(pid, pool_signals, inherited)] = executor.client.run(_worker_state).values()
        assert pool_signals
        assert inherited == sys.platform.startswith("linux")
        os.kill(pid, signal.SIGINT)  # ignored: the worker still answers
        assert list(executor.client.run(os.getpid).values()) == [pid]
        os.kill(pid, signal.SIGTERM)
        waited = time.monotonic()
        while time.monotonic() - waited < 10:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        else:
            pytest.fail("the worker lived on after SIGTERM")
    err = capfd.readouterr().err
    assert "Traceback" not in err and "Terminated" not in err, err


def _fault_bundle(root: Path) -> Path:
    files = {f"notes/ok{i}.txt": f"fine{i} text\n" for i in range(6)}
    files.update({"notes/dies-once.txt": "DIE-ONCE then fine\n",
                  "notes/dies-always.txt": "DIE-ALWAYS\n",
                  "notes/boom.txt": "BOOM maria.gonzalez@mailhost.net\n"})
    return make_bundle(root, files)


def _findings_of(report, path):
    return [f for f in report["findings"] if f["location"]["path"] == path]


def test_killed_worker_and_raising_unit(tmp_path, cluster, monkeypatch, capsys):
    _without_plugins_env(monkeypatch)
    monkeypatch.setenv("AIART_RELEASE_PLUGINS", "testplugins.cluster_faults")
    monkeypatch.setenv("PYTHONPATH", str(TESTS))
    bundle = _fault_bundle(tmp_path / "b")
    report = _assess_json(bundle, f"dask={cluster.scheduler_address}", monkeypatch, capsys)
    # Killed once: the retry scanned it.
    once = _findings_of(report, "notes/dies-once.txt")
    assert [f["id"] for f in once if f["check"] == "cluster-faults"] == ["pii.test-marker"]
    # Killed every time: one finding for that unit, and the run went on.
    always = [f for f in _findings_of(report, "notes/dies-always.txt")
              if f["check"] == "cluster-faults"]
    assert [f["id"] for f in always] == ["plugin.check-failed"]
    assert "KilledWorker" in always[0]["message"]
    # Raised: failed, as in a local run, naming the exception, not the content.
    boom = [f for f in _findings_of(report, "notes/boom.txt") if f["check"] == "cluster-faults"]
    assert [f["id"] for f in boom] == ["plugin.check-failed"]
    assert "ValueError" in boom[0]["message"] and "maria" not in json.dumps(report)
    for i in range(6):
        assert [f["id"] for f in _findings_of(report, f"notes/ok{i}.txt")
                if f["check"] == "cluster-faults"] == ["pii.test-marker"]


def test_a_unit_fails_on_its_second_death_and_no_neighbour_is_blamed(tmp_path, monkeypatch,
                                                                    capsys):
    """allowed-failures 1 with root tasks, on the LocalCluster started for
    the run: three units, fewer than Dask queues by itself (twice the
    threads), so each would have been sent to a worker beside another.
    Each death is held against the one unit that caused it (the scheduler
    runs in this process: its removals of dead workers are watched); the
    unit that dies every time fails on its second death; the others are
    scanned. (A cluster of the user's may hold an earlier run's task still
    running in a worker's thread: docs/scale.md.)"""
    from distributed.scheduler import Scheduler

    from aiart_release.executors.dask_cluster import LOCAL_CLUSTER_CONFIG, ROOT_TASKS

    if not ROOT_TASKS:
        pytest.skip("this dask cannot mark root tasks: allowed-failures stays 2")
    assert LOCAL_CLUSTER_CONFIG["distributed.scheduler.allowed-failures"] == 1
    _without_plugins_env(monkeypatch)
    monkeypatch.setenv("AIART_RELEASE_PLUGINS", "testplugins.cluster_faults")
    monkeypatch.setenv("PYTHONPATH", str(TESTS))
    monkeypatch.setenv("AIART_TEST_MARKERS", str(tmp_path))
    held: list[list[str]] = []  # the units each removed worker held
    remove_worker = Scheduler.remove_worker

    def watched(self, address, *args, **kwargs):
        worker = self.workers.get(address)
        if worker is not None:
            held.append([str(task.key) for task in worker.processing])
        return remove_worker(self, address, *args, **kwargs)

    monkeypatch.setattr(Scheduler, "remove_worker", watched)
    bundle = make_bundle(tmp_path / "b", {
        "notes/dies-always.txt": "DIE-ALWAYS\n", "notes/dies-once.txt": "DIE-ONCE\n",
        "notes/ok.txt": "fine text\n"})
    report = _assess_json(bundle, "dask", monkeypatch, capsys, "-j", "2")
    ours = {path: [f["id"] for f in _findings_of(report, path) if f["check"] == "cluster-faults"]
            for path in ("notes/dies-always.txt", "notes/dies-once.txt", "notes/ok.txt")}
    assert ours == {"notes/dies-always.txt": ["plugin.check-failed"],
                    "notes/dies-once.txt": ["pii.test-marker"],
                    "notes/ok.txt": ["pii.test-marker"]}
    deaths = [units for units in held if units]  # the cluster's close removes idle workers
    assert len(deaths) == 3 and all(len(units) == 1 for units in deaths), held


def test_nothing_raw_comes_back_from_the_workers(tmp_path, cluster, monkeypatch):
    """Every result a worker sends, whole files and parts of a table, holds
    none of the personal data planted in the bundle."""
    from aiart_release.bundle import BundleFile
    from aiart_release.executors import ExecutorChoice
    from aiart_release.executors.dask_cluster import DaskExecutor, plugin_env, run_unit
    from aiart_release.executors.parts import PartDone, table_parts

    _without_plugins_env(monkeypatch)
    bundle = _big_caption_bundle(tmp_path / "b", rows=1200)
    (bundle / "captions").mkdir()
    (bundle / "captions" / "kenji_watanabe.txt").write_text(
        "Kenji Watanabe, kenji.w@mailhost.net, +44 20 7946 0958\n", encoding="utf-8")
    table = bundle / "data" / "captions.csv"
    text = bundle / "captions" / "kenji_watanabe.txt"
    as_file = lambda p, kind: BundleFile(  # noqa: E731
        path=p.relative_to(bundle).as_posix(), abspath=p, size=p.stat().st_size, kind=kind,
        artifact="dataset")
    from aiart_release.executors import parts as parts_module

    monkeypatch.setattr(parts_module, "SPLIT_MIN_BYTES", 1024)
    pieces = table_parts(as_file(table, "table"), rows_per_part=300)
    assert len(pieces) == 4
    units = [([piece], [("pii", {})]) for piece in pieces]
    units.append(([as_file(text, "text")], [("pii", {})]))
    with DaskExecutor(ExecutorChoice("dask", cluster.scheduler_address)) as executor:
        futures = [executor.client.submit(run_unit, files, work, 120.0, ["pii"], plugin_env(),
                                          pure=False) for files, work in units]
        sent = [future.result() for future in futures]
    wire = pickle.dumps(sent)
    raw = [*PEOPLE, "Kenji", "Watanabe", "kenji", "watanabe", "mailhost", "sitter1@", "7946"]
    assert [value for value in raw if value.encode() in wire] == []
    findings = [f for result in sent for _, _, found, _, _ in result
                if isinstance(found, list) for f in found]
    assert {f.id for f in findings} >= {"pii.person-name", "pii.email-address"}
    assert all(f.matched is None for f in findings)
    assert sum(1 for result in sent for _, _, found, _, _ in result
               if isinstance(found, PartDone)) == 4


def test_a_scheduler_that_does_not_answer_is_a_usage_error(tmp_path, monkeypatch):
    import socket

    from aiart_release import pipeline
    from aiart_release.config import load_config
    from aiart_release.engine import Options, run_checks
    from aiart_release.executors import ExecutorError
    from aiart_release.facts import gather_facts
    from aiart_release.plugins import build_registry

    _without_plugins_env(monkeypatch)
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    bundle = make_bundle(tmp_path / "b", {"notes.txt": "a note\n"})
    registry = build_registry()
    config = load_config(bundle, None)
    options = Options(use_cache=False, executor=f"dask=tcp://127.0.0.1:{port}")
    inventory = pipeline.take_inventory(bundle, registry, config, options)
    with pytest.raises(ExecutorError, match="cannot reach the Dask scheduler"):
        run_checks(bundle, inventory, gather_facts(inventory, config), registry, config,
                   options)


# --- Bundles at URLs: the workers read a table's parts where it lives --------


def _split_small_tables(monkeypatch):
    from aiart_release.executors import parts
    from aiart_release.readers import tables

    monkeypatch.setattr(parts, "SPLIT_MIN_BYTES", 1024)
    monkeypatch.setattr(tables, "PART_ROWS", 400)


def _same_but_root(url_report: dict, folder_report: dict, url: str) -> None:
    assert url_report["bundle"].pop("path") == url
    folder_report["bundle"].pop("path")
    assert url_report == folder_report


def test_file_url_parts_are_read_by_the_workers_at_the_url(tmp_path, cluster, monkeypatch):
    """The client cuts the table at its URL and copies none of it; each
    worker reads its rows from the URL (there is no copy to read)."""
    from aiart_release.bundle import build_inventory
    from aiart_release.executors import ExecutorChoice
    from aiart_release.executors.dask_cluster import DaskExecutor, plugin_env, run_unit
    from aiart_release.executors.parts import PartDone, parts_on_disk_or_at_url
    from aiart_release.remote_source import url_bundle

    _without_plugins_env(monkeypatch)
    _split_small_tables(monkeypatch)
    folder = _big_caption_bundle(tmp_path / "b", rows=1200)
    url = f"file://{folder}"
    with url_bundle(url) as bundle:
        inventory = build_inventory(bundle.root, lambda info: "table"
                                    if info.suffix == ".csv" else "text")
        table = inventory.get("data/captions.csv")
        assert "data/captions.csv" in bundle.lazy
        pieces = parts_on_disk_or_at_url(table, inventory.materialize)
        assert len(pieces) == 3
        assert {p.part.url for p in pieces} == {f"{url}/data/captions.csv"}
        assert not table.abspath.exists() and bundle.fetched == set()
        with DaskExecutor(ExecutorChoice("dask", cluster.scheduler_address)) as executor:
            futures = [executor.client.submit(run_unit, [piece], [("pii", {})], 120.0,
                                              ["pii"], plugin_env(), pure=False)
                       for piece in pieces]
            sent = [future.result() for future in futures]
        assert [type(found) for result in sent for _, _, found, _, _ in result] == \
            [PartDone] * 3
        assert not table.abspath.exists() and bundle.fetched == set()


def test_file_url_on_dask_same_as_the_folder_locally(tmp_path, cluster, monkeypatch, capsys):
    _without_plugins_env(monkeypatch)
    _split_small_tables(monkeypatch)
    folder = _big_caption_bundle(tmp_path / "b")
    before = tree_state(folder)
    url = f"file://{folder}"
    local = _assess_json(folder, "local", monkeypatch, capsys)
    on_dask = _assess_json(url, f"dask={cluster.scheduler_address}", monkeypatch, capsys)
    assert any(f["id"] == "pii.person-name" for f in local["findings"])
    _same_but_root(on_dask, local, url)
    assert tree_state(folder) == before


def test_memory_url_on_both_executors_same_as_the_folder(tmp_path, cluster, monkeypatch,
                                                         capsys):
    """memory:// lives in the client's process alone: the client copies the
    table and the workers read the copy; the findings are the folder's."""
    import fsspec

    _without_plugins_env(monkeypatch)
    _split_small_tables(monkeypatch)
    folder = _big_caption_bundle(tmp_path / "b")
    memory = fsspec.filesystem("memory")
    memory.store.clear()
    try:
        for path in folder.rglob("*"):
            if path.is_file():
                memory.pipe(f"/captions/{path.relative_to(folder).as_posix()}",
                            path.read_bytes())
        local = _assess_json(folder, "local", monkeypatch, capsys)
        for executor in ("local", f"dask={cluster.scheduler_address}"):
            report = _assess_json("memory://captions", executor, monkeypatch, capsys)
            _same_but_root(report, json.loads(json.dumps(local)), "memory://captions")
    finally:
        memory.store.clear()


def test_a_cluster_that_does_not_close_does_not_hold_the_run(caplog):
    """Closing is given CLOSE_SECONDS: a LocalCluster whose killed worker's
    nanny never answers (seen once, under load, after the results were in)
    is left to end with the process, said in a warning, not waited on."""
    from aiart_release.executors import ExecutorChoice
    from aiart_release.executors.dask_cluster import CLOSE_SECONDS, DaskExecutor

    asked = []

    class Stuck:
        def close(self, timeout=None):
            asked.append(timeout)
            raise TimeoutError

    executor = DaskExecutor(ExecutorChoice("dask", None))
    executor.client, executor.cluster = Stuck(), Stuck()
    executor.close()
    assert asked == [CLOSE_SECONDS, CLOSE_SECONDS]
    assert executor.client is None and executor.cluster is None
    assert "did not close within" in caplog.text
