"""The Dask executor: the engine's work units as tasks on a ``distributed``
cluster (``--executor dask`` or ``dask=ADDRESS``).

Each unit (a file with its checks, a batch of small files for one check, a
part of a large table) is one task. On the worker, the task builds the
registry of checks and the masking gate once per worker process (the
checks' own caches, such as the personal-data analyzer, are kept per
process too), runs the unit exactly as a local pool worker does
(``engine._scan_unit``), and sends back only masked results: findings
through the gate, with their raw ``matched`` value dropped; a part's
partial result holds nothing raw by the ``scan_part`` contract; tracebacks
through the gate. The engine stores what comes back in unit order, so the
findings are those of a local run.

A task that raises is retried once (``retries=1``); a worker that dies
holding a task has it rescheduled, and a second death ends it
(``allowed-failures`` 1 for a LocalCluster started here, with one task at
a time per worker: see LOCAL_CLUSTER_CONFIG; a scheduler of the user's
keeps its own settings): a unit that fails twice, either way, becomes
``plugin.check-failed`` for its files and checks, and the run goes on.
Nothing is written into the bundle: workers read the files at their paths
(the same path on a shared filesystem for a remote cluster).

Imported only when Dask is chosen: ``dask`` and ``distributed`` are the
``[dask]`` extra.
"""

from __future__ import annotations

import inspect
import logging
import os
import signal
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from . import ExecutorChoice, ExecutorError

# Per worker process: the checks, recognizers and maskers of each plugin set
# the clients asked for, built by the first task that needs them (a lock: a
# worker may run several tasks in threads).
_WORKER_LOCK = threading.Lock()
_WORKER_PLUGINS: dict[tuple, tuple[dict, list, list]] = {}

Unit = tuple[list, list]  # (files, work) as the engine plans them
# What the engine does with a unit's results, and with a unit that failed.
Store = Callable[[int, list], None]
Fail = Callable[[int, BaseException], None]  # a unit that failed on the cluster


def plugin_env() -> tuple[tuple[str, str], ...]:
    """The client's choice of plugins (``AIART_RELEASE_PLUGINS``,
    ``AIART_RELEASE_DISABLE_PLUGINS``): workers load the same ones."""
    from ..plugins import ENV_DISABLED_PLUGINS, ENV_EXTRA_PLUGINS

    return tuple((name, os.environ.get(name, "")) for name in (ENV_EXTRA_PLUGINS,
                                                               ENV_DISABLED_PLUGINS))


def run_unit(files: list, work: list, budget: float | None, check_ids: list[str],
             plugins: tuple[tuple[str, str], ...] = ()) -> list:
    """A task: one unit of work on a worker, its results masked."""
    from .. import engine
    from ..masking import Gate

    maskers = _prepare_worker(check_ids, plugins)
    done = engine._scan_unit(files, work, "cpu", budget)
    # Each file by its place in the unit: a path may name a person, and the
    # client knows it already.
    place = {f.path: i for i, f in enumerate(files)}
    return [(place[path], *rest) for path, *rest in masked_results(done, Gate(maskers))]


def _prepare_worker(check_ids: list[str], plugins: tuple[tuple[str, str], ...]) -> list:
    """The engine's worker globals set to the checks of the client's plugin
    set, built once per worker process and plugin set; the maskers."""
    from .. import engine

    key = (plugins, tuple(check_ids))
    with _WORKER_LOCK:
        if key not in _WORKER_PLUGINS:
            _WORKER_PLUGINS[key] = _load_plugins(check_ids, plugins)
        checks, recognizers, maskers = _WORKER_PLUGINS[key]
        engine._WORKER_CHECKS.clear()
        engine._WORKER_CHECKS.update(checks)
        engine._WORKER_RECOGNIZERS[:] = recognizers
        return maskers


def _load_plugins(check_ids: list[str], plugins: tuple[tuple[str, str], ...]):
    from ..pipeline import collect_maskers
    from ..plugins import build_registry

    before = {name: os.environ.get(name) for name, _ in plugins}
    try:
        for name, value in plugins:
            os.environ[name] = value
        registry = build_registry()
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    checks = {cid: registry.checks[cid] for cid in check_ids if cid in registry.checks}
    recognizers = [factory for _, factory in registry.recognizer_factories]
    return checks, recognizers, collect_maskers(registry)


def masked_results(done: Iterable[tuple], gate) -> list:
    """Results as they may leave a worker: every finding through ``gate``
    (its raw value dropped, its fingerprint of the raw value kept), every
    traceback through it; a part's result as its check returned it (masked
    by the ``scan_part`` contract)."""
    from .parts import PartDone

    out = []
    for path, check_id, found, seconds, error in done:
        if not isinstance(found, PartDone):
            found = list(found)
            gate.learn_identifiers(found)
            found = [gate.finding(f) for f in found]
        out.append((path, check_id, found, seconds, gate.redact(error) if error else error))
    return out


def _root_tasks() -> bool:
    """Whether this Dask can mark a task as a root task (``Task(...,
    _data_producer=True)``, dask 2025 and later): one the scheduler keeps
    in its own queue until a worker has a free thread."""
    try:
        from dask._task_spec import Task
    except ImportError:
        return False
    return "_data_producer" in inspect.signature(Task.__init__).parameters


# Root tasks are queued on the scheduler and handed to a worker only when
# it has a free thread (worker-saturation 1.0, one thread per worker): the
# only task a worker holds when it dies is the one it was running, the
# only one Dask holds the death against. Dask counts a task as a root task
# by itself only in a group larger than twice the cluster's threads, and
# sent the first few of a run, or all of a small one, to the workers at
# once: a neighbour queued on a dying worker was blamed for its death, and
# with allowed-failures 1 a unit failed for its neighbour's deaths. Marked
# root tasks make the count exact, and a unit fails on its second death,
# as on its second exception (docs/scale.md). A Dask too old to mark them
# keeps 2: a unit is failed on the third death, never for a neighbour's.
# No work stealing: a queued cluster hands out a task as a thread frees,
# and stealing is the one other way a task moves onto a busy worker.
# Worker processes may start processes of their own (spaCy's).
ROOT_TASKS = _root_tasks()
# How the nannies start the worker processes of a LocalCluster started
# here: by fork on Linux, as the local pool does (engine._Pool). A forked
# worker has the plugins, pyarrow and the rest of this process imported
# already, is up in milliseconds rather than a second or more, and leaves
# by os._exit without tearing down spaCy: on a 20,000-row bundle, start
# and close took 1.2 s and 1.4 s spawned, 0.2 s and 0.05 s forked
# (docs/scale.md). Only on Linux: the nanny forks from the cluster's event
# loop thread, in a process with other threads, which macOS's system
# libraries do not survive (Python spawns there by default).
WORKER_START_METHOD = "fork" if sys.platform.startswith("linux") else "spawn"
LOCAL_CLUSTER_CONFIG = {
    "distributed.scheduler.allowed-failures": 1 if ROOT_TASKS else 2,
    "distributed.scheduler.worker-saturation": 1.0,
    "distributed.scheduler.work-stealing": False,
    "distributed.worker.daemon": False,
    # Read when a worker process starts, a restart too: this config is held
    # for the cluster's life (DaskExecutor.__enter__).
    "distributed.worker.multiprocessing-method": WORKER_START_METHOD,
    # dask_setup below, in each worker as it starts.
    "distributed.worker.preload": [__name__],
    # Nobody reads the profile of a cluster that ends with the run (there
    # is no dashboard): it samples the task's thread every 10 ms.
    "distributed.worker.profile.enabled": False,
    # Each process's check for a blocked event loop (a log line, silenced
    # here) ran every 20 ms, the dashboard's system figures every 500 ms:
    # idle, the scheduler and nannies (in this process) and two workers
    # used 1.15 s of CPU in 15 s, 0.39 s with these. The memory monitor,
    # which ends a worker near its memory limit, keeps its 100 ms.
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "2s",
}

# The scheduler serves HTTP whatever is asked (health, metrics): on a free
# port, not 8787 (a warning when taken), and without the dashboard, which
# would import bokeh where it is installed and is not looked at.
LOCAL_CLUSTER_HTTP = {"dashboard_address": ":0", "scheduler_kwargs": {"dashboard": False}}


def dask_setup(worker) -> None:  # noqa: ARG001 - Dask's preload interface
    """Run by each worker of a LocalCluster started here as it starts
    (``distributed.worker.preload``); its signals set as a local pool
    worker's are (engine._worker_main).

    SIGTERM ends it at once. A forked worker inherits this process's
    handlers, and the engine's SIGTERM handler raises
    (engine._sigterm_raises): raised inside the worker's event loop, it
    left the worker process alive, out of the cluster, seconds after the
    SIGTERM that should have ended it (a nanny ends a worker that does not
    stop in time by SIGTERM).

    SIGINT is ignored: Ctrl-C reaches every process of the terminal's
    group, and each worker printed a KeyboardInterrupt traceback (forked
    or spawned). The client handles it and closes the cluster, which ends
    the workers."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_IGN)


# How long the client and a cluster started for the run are given to close.
CLOSE_SECONDS = 30.0


class DaskExecutor:
    """A client of the cluster for the time of a run (a context manager):
    the scheduler at ``choice.address``, or a LocalCluster of ``workers``
    processes (one thread each: the checks are CPU-bound Python) started
    and ended with the run."""

    def __init__(self, choice: ExecutorChoice, workers: int | None = None):
        self.choice = choice
        self.workers = workers
        self.cluster: Any = None
        self.client: Any = None
        self._config: Any = None  # LOCAL_CLUSTER_CONFIG, set while our cluster lives

    def __enter__(self) -> DaskExecutor:
        try:
            import dask
            from distributed import Client, LocalCluster
        except ImportError:
            raise ExecutorError("--executor dask needs dask and distributed: "
                                "pip install 'aiart-release[dask]'") from None
        try:
            if self.choice.address:
                self.client = Client(self.choice.address, timeout="10s",
                                     set_as_default=False)
            else:
                self._config = dask.config.set(LOCAL_CLUSTER_CONFIG)
                self.cluster = LocalCluster(
                    n_workers=self.workers or os.cpu_count() or 1, threads_per_worker=1,
                    processes=True, host="127.0.0.1", silence_logs=logging.CRITICAL,
                    **LOCAL_CLUSTER_HTTP)
                self.client = Client(self.cluster, set_as_default=False)
        except (OSError, TimeoutError, RuntimeError) as exc:  # RuntimeError: a nanny failed
            self.close()
            where = self.choice.address or "a local cluster"
            raise ExecutorError(f"cannot reach the Dask scheduler at {where}: "
                                f"{type(exc).__name__}") from None
        except BaseException:
            self.close()  # no cluster left running, no config left set
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        """End the client and the cluster started for the run, each given
        CLOSE_SECONDS: a LocalCluster whose worker was killed mid-task could
        wait on its nanny for ever (a run seen hanging there after its
        results were in); past the time it is left to end with this process."""
        client, cluster, self.client, self.cluster = self.client, self.cluster, None, None
        for part in (client, cluster):
            if part is not None:
                try:
                    part.close(timeout=CLOSE_SECONDS)
                except (TimeoutError, OSError):
                    logging.getLogger(__name__).warning(
                        "the Dask %s did not close within %s s", type(part).__name__,
                        CLOSE_SECONDS)
        if self._config is not None:
            self._config.__exit__(None, None, None)
            self._config = None

    def run(self, units: list[Unit], check_ids: list[str], budget: float | None,
            store: Store, fail: Fail, deadline_at: float | None) -> list[int]:
        """Send every unit, one task each, and hand what comes back to
        ``store(slot, results)`` in unit order (``fail(slot, exc)`` for a
        unit that failed twice). Returns the slots not done when the
        run's deadline (``time.monotonic``) passed; their tasks are
        cancelled."""
        from distributed import as_completed

        plugins = plugin_env()
        # Keys unique to this run (and to each sending): a scheduler
        # remembers a key for a while, and another run's key would bring
        # back that run's result.
        run = uuid.uuid4().hex

        def send(slots: list[int], attempt: int = 0) -> dict[int, Any]:
            tasks = {slot: (f"aiart-release-unit-{slot}-{attempt}-{run}",
                            (*units[slot], budget, check_ids, plugins)) for slot in slots}
            return dict(zip(slots, self._submit(list(tasks.values())), strict=True))

        futures = send(list(range(len(units))))
        slot_of = {future.key: slot for slot, future in futures.items()}
        answers: dict[int, tuple[bool, Any]] = {}
        resent: set[int] = set()
        flushed = 0
        pending = as_completed(list(futures.values()), with_results=False,
                               loop=self.client.loop)
        while flushed < len(units):
            timeout = None if deadline_at is None else max(deadline_at - time.monotonic(), 0)
            batch = _next_done(pending, timeout)
            if batch is None:
                break  # the run's time ran out
            for future in batch:
                slot = slot_of[future.key]
                ok, value = _answer(future, units[slot][0])
                if not ok and isinstance(value, _Lost) and slot not in resent:
                    # Computed, then lost with the worker that held it
                    # before it was fetched: not the unit's fault; sent again.
                    resent.add(slot)
                    futures[slot] = again = send([slot], 1)[slot]
                    slot_of[again.key] = slot
                    pending.add(again)
                    continue
                answers[slot] = (ok, value)
                # Fetched: let the cluster forget it, so that a worker
                # dying later does not compute it again.
                futures.pop(slot).release()
            while flushed in answers:
                ok, value = answers.pop(flushed)
                (store if ok else fail)(flushed, value)
                flushed += 1
        left = list(range(flushed, len(units)))
        self.client.cancel([futures[i] for i in left if i in futures])
        return left

    def _submit(self, tasks: list[tuple[str, tuple]]) -> list:
        """A future for each ``(key, arguments of run_unit)``, retried once
        if it raises: root tasks, all in one graph, where Dask can mark
        them (ROOT_TASKS), else one ``submit`` each."""
        if not ROOT_TASKS:
            return [self.client.submit(run_unit, *args, pure=False, retries=1, key=key)
                    for key, args in tasks]
        from dask._task_spec import Task, parse_input

        graph = {key: Task(key, run_unit, *(parse_input(a) for a in args),
                           _data_producer=True) for key, args in tasks}
        return self.client.get(graph, [key for key, _ in tasks], sync=False, retries=1)


class _Lost(RuntimeError):
    """A task's result is gone (its worker died after computing it, or the
    scheduler cancelled it)."""


def _next_done(pending, timeout: float | None) -> list | None:
    """The futures done next (at least one), or None past ``timeout``."""
    if timeout is None:
        return [next(pending)]
    waited = time.monotonic()
    while time.monotonic() - waited < timeout:
        ready = pending.next_batch(block=False)
        if ready:
            return ready
        time.sleep(0.02)
    return None


def _answer(future, files: list) -> tuple[bool, Any]:
    """``(True, results)`` with each file's path back in place, or
    ``(False, exception)``."""
    if future.status == "finished":
        try:
            return True, [(files[place].path, *rest) for place, *rest in future.result()]
        except Exception as exc:  # noqa: BLE001 - lost between done and fetched
            return False, _Lost(type(exc).__name__)
    try:
        exc = future.exception()
    except Exception as lost:  # noqa: BLE001 - cancelled, or the scheduler is gone
        return False, _Lost(type(lost).__name__)
    if not isinstance(exc, BaseException):
        return False, _Lost(f"task {future.status}")
    return False, exc
