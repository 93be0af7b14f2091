"""The engine: runs the checks and returns what they found.

It owns parallelism (a process pool for CPU file checks, in batches), the
accelerator (one check at a time), the result cache, the time budget per
file, the time limit of the run, and progress. It knows nothing of rules or
policy: ``pipeline.assess`` hands it the inventory and the declared facts,
and takes back the findings, the facts each check derives from its
findings, and the seconds each took.

It fails closed. Checks never print; every call into a check (``scan_file``,
``scan_batch``, ``scan_bundle``, ``facts``) goes through
``watchdog.guarded``: whatever it raises, ``SystemExit`` and other
``BaseException`` included, or whatever garbage it returns, becomes a
``plugin.check-failed`` finding, and a call past its time budget becomes
``bundle.too-slow``; the run goes on. A pool worker that dies (``os._exit``,
a crash in C) or does not stop when its budget runs out is ended and
replaced, and the file it was reading reported. When the run's time limit
(``Options.timeout``) passes, what was not assessed is one
``bundle.timeout`` finding. SIGINT and SIGTERM end every worker before the
run stops: nothing is left behind.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections import defaultdict, deque
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .bundle import BundleFile, Inventory
from .cache import CacheKey, ResultCache, allow_derived, settings_hash
from .checks import BundleContext, Check, FileContext, environment_key, finding_problem
from .config import Config
from .device import DeviceChoice, DeviceLease, DeviceResolver, DeviceUnavailable
from .executors import ExecutorChoice, ExecutorError, parse_executor
from .facts import Facts, check_provided
from .findings import CHECKPOINT_OF_ARTIFACT, Finding, Location, Severity
from .masking import current_gate, redact_findings
from .origin import GENERATED
from .plugins import Registry
from .records import dataclass
from .watchdog import Terminated, TimeBudgetExceeded, guarded

if TYPE_CHECKING:
    # Cutting tables into parts (executors/parts.py) is imported for a
    # bundle with a table: a pre-commit run on one caption has none.
    from .executors.parts import FilePart, PartDone, PartMerger

# Below this much file work, a process pool costs more than it saves.
PARALLEL_MIN_UNITS = 64
PARALLEL_MIN_BYTES = 16 * 1024 * 1024


@dataclass
class Options:
    """How to run an assessment (the CLI's flags)."""

    jobs: int | None = None
    device: str = "auto"
    use_cache: bool = True
    cache_dir: Path | None = None
    show_pii: bool = False
    debug: bool = False
    exclude: Sequence[str] = ()
    progress: Progress | None = None
    # Seconds the checks may take in all (the CLI's --timeout); None: no
    # limit. Past it, the work left is reported as one bundle.timeout.
    timeout: float | None = None
    # --trust-bundle-code: the only permission for a check to import or run
    # the bundle's own code (in a child process; BundleContext).
    trust_bundle_code: bool = False
    # --executor: where file work runs, ``local`` (this machine's process
    # pool) or ``dask`` / ``dask=ADDRESS`` (a distributed cluster); see
    # aiart_release/executors and docs/scale.md.
    executor: str = "local"
    # Whether the assessment carries the dataset's composition summary
    # (counts to reflect on). The pre-commit hook shows none, so it does
    # not pay for it.
    composition: bool = True


class Progress:
    """Receives progress; the default does nothing. The CLI shows a bar."""

    def start(self, total: int) -> None: ...

    def advance(self, n: int = 1, note: str = "") -> None: ...

    def add_rows(self, n: int) -> None:
        """``n`` more table rows read (a part of a large table done), for a
        rows-per-second figure."""

    def stop(self) -> None: ...


@dataclass(frozen=True)
class CheckRun:
    """What running the checks returned.

    ``findings`` come check by check, in the order the checks first
    reported; ``provided`` holds, in check-id order, the facts each check
    derived from its own findings (``Check.provided_facts``: its ``facts``,
    held to what it declares), for the pipeline to merge into the declared
    facts. ``devices`` names the device each accelerator check ran on
    (``cpu``, ``cuda:0``); every other check ran on the CPU.
    """

    findings: list[Finding]
    provided: list[tuple[Check, dict[str, Any]]]
    timings: dict[str, float]
    errors: list[str]  # tracebacks, shown under --debug
    device_note: str = ""
    cache_hits: int = 0
    devices: dict[str, str] = field(default_factory=dict)


def run_checks(path: Path, inventory: Inventory, facts: Facts, registry: Registry,
               config: Config, options: Options | None = None) -> CheckRun:
    """Run every enabled check on the bundle at ``path``: file checks on the
    CPU (in a process pool when there is enough work), accelerator checks
    one at a time, then bundle checks, which see the inventory and ``facts``."""
    options = options or Options()
    executor = _executor(options)
    deadline = _Deadline.after(options.timeout)
    checks = [c for cid, c in sorted(registry.checks.items()) if config.check_enabled(cid)]
    # Under --show-pii the raw values must come from a fresh scan, and the
    # cache never holds them, so it is bypassed.
    use_cache = options.use_cache and not options.show_pii
    cache_dir = safe_cache_dir(options.cache_dir, path) if use_cache else None
    cache = ResultCache(cache_dir)
    allow_derived(cache_dir)  # the name lexicons may be kept there too
    results = _Results(cache, options.progress or Progress())
    if any(f.kind == "table" for f in inventory.files):
        from .executors.parts import PartMerger

        results.parts = PartMerger(_merger(registry, config.seconds_per_file))
    # Under --show-pii a table is scanned whole: merging parts keeps only
    # masked examples, and the raw ones are what was asked for.
    plan = _plan_file_work(inventory, checks, registry, config, results,
                           split=not options.show_pii)
    results.progress.start(plan.size)
    _run_cpu_work(plan, checks, registry, config, options.jobs, results, deadline, executor)
    # Resolved when an accelerator check first needs it (``auto`` imports torch).
    devices = DeviceResolver(options.device)
    _run_accelerator_work(plan.accelerator, config, devices, results, deadline)
    _run_bundle_checks(checks, inventory, facts, config, results, deadline,
                       _Bundle(devices, options.trust_bundle_code))
    results.progress.stop()
    cache.save()
    provided = _facts_of_checks(checks, results, config.seconds_per_file, deadline)
    found = [f for found in results.by_check.values() for f in found]
    if results.unassessed.any:
        found.append(_timed_out(results.unassessed, options.timeout))
    return CheckRun(
        findings=found, provided=provided, timings=dict(results.timings),
        errors=results.errors, device_note=devices.note, cache_hits=cache.hits,
        devices=dict(sorted(results.devices.items())),
    )


@dataclass(frozen=True)
class _Deadline:
    """When the run's time limit passes (``time.monotonic``), if it has one."""

    at: float | None = None

    @classmethod
    def after(cls, seconds: float | None) -> _Deadline:
        return cls(time.monotonic() + seconds if seconds and seconds > 0 else None)

    @property
    def passed(self) -> bool:
        return self.at is not None and time.monotonic() >= self.at

    def budget(self, seconds: float | None, floor: float = 0.001) -> float | None:
        """The budget of one unit of work: its own, cut at the deadline (but
        never below ``floor``)."""
        if self.at is None:
            return seconds
        left = max(self.at - time.monotonic(), floor)
        return min(seconds, left) if seconds else left


@dataclass
class _Unassessed:
    """What the run's time limit left undone."""

    pairs: int = 0
    files: set[str] = field(default_factory=set)
    checks: set[str] = field(default_factory=set)
    bundle_checks: set[str] = field(default_factory=set)

    @property
    def any(self) -> bool:
        return bool(self.pairs or self.bundle_checks)

    def add_file_work(self, files: list[BundleFile], work: Work) -> None:
        self.pairs += len(files) * len(work)
        self.files.update(getattr(f, "whole", f).path for f in files)
        self.checks.update(check_id for check_id, _ in work)


Work = list[tuple[str, dict[str, Any]]]
Result = tuple[str, str, list[Finding], float, str | None]  # path, check, findings, s, error


@dataclass
class _Results:
    """Findings, seconds and tracebacks per check, as results come in; a
    fresh result is also written to the cache and counted as progress."""

    cache: ResultCache
    progress: Progress
    cache_keys: dict[tuple[str, str], str] = field(default_factory=dict)
    by_check: dict[str, list[Finding]] = field(default_factory=lambda: defaultdict(list))
    timings: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    errors: list[str] = field(default_factory=list)
    # Facts bundle checks provided through ``BundleContext.provide``.
    from_bundle: dict[str, dict[str, Any]] = field(default_factory=dict)
    unassessed: _Unassessed = field(default_factory=_Unassessed)
    # The device each accelerator check ran on.
    devices: dict[str, str] = field(default_factory=dict)
    # The parts of large tables, merged as they come in.
    parts: PartMerger | None = None

    def add(self, check_id: str, found: list[Finding], seconds: float,
            error: str | None) -> None:
        self.by_check[check_id].extend(found)
        self.timings[check_id] += seconds
        if error:
            self.errors.append(error)

    def store(self, results: list[Result]) -> None:
        for path, check_id, found, seconds, error in results:
            complete = True
            if self.parts is not None and self.parts.owns(path, check_id):
                # A part of a table: counted as done, stored with the
                # table's findings once the last part is in.
                self.progress.add_rows(self.parts.rows(path, check_id))
                self.progress.advance(1, path)
                merged = self.parts.take(path, check_id, found, seconds, error)
                if merged is None:
                    continue
                path, check_id, found, seconds, error, complete = merged
            else:
                self.progress.advance(1, path)
            self.add(check_id, found, seconds, error)
            key = self.cache_keys.get((path, check_id))
            if key and error is None and complete:
                # The cache is an output too: only what passed the masking gate.
                self.cache.put(key, redact_findings(found), seconds)

    def store_unit(self, files: list[BundleFile], work: Work, done: list[Result]) -> None:
        """Store what a unit of work returned; the pairs it did not return
        (the run's time ran out) are counted as not assessed."""
        self.store(done)
        returned = {(path, check_id) for path, check_id, *_ in done}
        for check_id, settings in work:
            left = [f for f in files if (f.path, check_id) not in returned]
            if left:
                self.unassessed.add_file_work(left, [(check_id, settings)])


@dataclass
class _Plan:
    """The file work left after the cache answered: units for the CPU (one
    file with its checks, or a batch of files for one check) and the files
    for accelerator checks."""

    cpu: list[tuple[list[BundleFile], Work]] = field(default_factory=list)
    accelerator: list[tuple[BundleFile, Check]] = field(default_factory=list)

    @property
    def size(self) -> int:
        return sum(len(files) * len(work) for files, work in self.cpu) + len(self.accelerator)


def _plan_file_work(inventory: Inventory, checks: list[Check], registry: Registry,
                    config: Config, results: _Results, split: bool = True) -> _Plan:
    """Which check reads which file; a cached result is taken at once. A
    large table read by a check that scans tables in parts (``split``) is
    one unit per part (executors/parts.py)."""
    plan = _Plan()
    to_split: list[tuple[BundleFile, Work]] = []
    cache = results.cache
    batched: dict[str, list[BundleFile]] = defaultdict(list)
    file_checks = [c for c in checks if c.scans_files]
    # Any change to the installed plugins (a new recognizer, say) can change
    # what a check finds: it is part of every cache key.
    plugin_set = sorted(f"{p.name} {p.version}" for p in registry.plugins if p.error is None)
    cache.note_plugins(plugin_set)
    # Once per check, not once per file and check.
    settings_keys = {c.id: settings_hash([config.check_settings(c.id), plugin_set,
                                          environment_key(c, config.check_settings(c.id))])
                     for c in file_checks}
    read = [(index, file, wanted) for index, file in enumerate(inventory.files)
            if file.readable and (wanted := [c for c in file_checks if file.kind in c.kinds
                                             and (c.reads_generated
                                                  or file.context != GENERATED)])]
    # Nothing the plan covers changed since a run that stored it: its
    # findings in one lookup, not one a file.
    whole = cache.plan_key(inventory, read, settings_keys) if cache.enabled else None
    if whole is not None and _replayed(cache.get_plan(whole, len(inventory.files)), inventory,
                                       read, results):
        return plan
    if cache.enabled:
        # Every file's content key and stored results, in a few queries.
        cache.prefetch([file for _, file, _ in read], config.max_file_size)
    expected: dict[CacheKey, int] | None = {}  # the plan's results, by the file's place
    for index, file, wanted in read:
        work = []
        # Once per file, not once per check that reads it.
        content = cache.file_content(file, config.max_file_size) if cache.enabled else ""
        if not content:
            expected = None  # a result not cached: the plan cannot be stored whole
        place = f"{file.artifact}:{file.path}"
        for check in wanted:
            settings = config.check_settings(check.id)
            if cache.enabled:
                # The artifact is part of the key: what a check reports can
                # depend on it (a face in the dataset, or in a README figure).
                key = cache.key(check_id=check.id, check_version=check.version,
                                settings=settings_keys[check.id],
                                path=place, content=content)
                if expected is not None:
                    expected[key] = index
                hit = cache.get(key) if content else None
                if hit is not None:
                    # The path was cached masked: what it hid is to be
                    # masked wherever else this run quotes the path.
                    for f in hit[0]:
                        current_gate().learn_masked(file.path, f.location.path)
                    results.add(check.id, hit[0], 0.0, None)
                    continue
                if content:  # a file not hashed is not cached either
                    results.cache_keys[(file.path, check.id)] = key
            if check.device == "accelerator":
                plan.accelerator.append((file, check))
            elif split and file.kind == "table" and _cut_in_parts(check, file):
                to_split.append((file, [(check.id, settings)]))
            elif check.batch_size > 1:
                batched[check.id].append(file)
            else:
                work.append((check.id, settings))
        if work:
            plan.cpu.append(([file], work))
    if whole is not None and expected:
        cache.expect_plan(whole, expected)
    for check_id, files in batched.items():
        check = registry.checks[check_id]
        work = [(check_id, config.check_settings(check_id))]
        plan.cpu.extend((batch, work) for batch in _batches(files, check.batch_size))
    # Only now are the files some check must read known: a staged view
    # writes those out, and no other (a table cut into parts: _plan_parts).
    inventory.materialize([*(f for files, _ in plan.cpu for f in files),
                           *(f for f, _ in plan.accelerator)])
    if to_split:
        _plan_parts(plan, to_split, results, inventory)
    return plan


def _replayed(found: list[tuple[int, str, list[Finding]]] | None, inventory: Inventory,
              read: list[tuple[int, BundleFile, list[Check]]], results: _Results) -> bool:
    """Take a stored plan's findings (ResultCache.get_plan) as each file's
    cached results would have been taken, in the same order; False when
    there is none, or it names a check the plan does not give that file."""
    if found is None:
        return False
    by_pair: dict[tuple[int, str], list[Finding]] = {}
    wanted_by_file = {index: {c.id for c in wanted} for index, _, wanted in read}
    for index, check_id, findings in found:
        if check_id not in wanted_by_file.get(index, ()):
            return False
        by_pair[(index, check_id)] = findings
    gate = current_gate()
    for index, file, wanted in read:
        for check in wanted:
            findings = by_pair.get((index, check.id), [])
            for f in findings:
                gate.learn_masked(file.path, f.location.path)
            results.add(check.id, findings, 0.0, None)
    return True


def _cut_in_parts(check: Check, table: BundleFile) -> bool:
    """Whether ``check`` scans ``table`` in parts (a large one)."""
    from .executors.parts import SPLIT_MIN_BYTES, splits_tables

    return table.size >= SPLIT_MIN_BYTES and splits_tables(check)


def _plan_parts(plan: _Plan, tables: list[tuple[BundleFile, Work]], results: _Results,
                inventory: Inventory) -> None:
    """Each table as its parts, one unit each (the same units for every
    executor: the findings do not depend on where they ran), or whole when
    it is not cut (one part, or not safely cut). A URL bundle's table whose
    parts workers read at its URL is not copied (docs/scale.md)."""
    from .executors.parts import parts_on_disk_or_at_url

    cut: dict[str, list[FilePart]] = {}
    for file, work in tables:
        if file.path not in cut:
            cut[file.path] = parts_on_disk_or_at_url(file, inventory.materialize)
        pieces = cut[file.path]
        if not pieces:
            plan.cpu.append(([file], work))
            continue
        for piece in pieces:
            assert results.parts is not None
            results.parts.expect(piece, work[0][0])
            plan.cpu.append(([piece], work))


def _run_cpu_work(plan: _Plan, checks: list[Check], registry: Registry, config: Config,
                  requested_jobs: int | None, results: _Results, deadline: _Deadline,
                  executor: ExecutorChoice | None = None) -> None:
    _WORKER_CHECKS.clear()
    _WORKER_CHECKS.update({c.id: c for c in checks})
    _WORKER_RECOGNIZERS[:] = [factory for _, factory in registry.recognizer_factories]
    if executor is not None and executor.distributed and plan.cpu:
        _run_distributed(plan.cpu, executor, requested_jobs, results, [c.id for c in checks],
                         config.seconds_per_file, deadline)
        return
    jobs = _jobs(requested_jobs, plan.cpu)
    left = plan.cpu
    if jobs > 1:
        left = _run_pool(plan.cpu, jobs, results, [c.id for c in checks],
                         config.seconds_per_file, deadline)
    for files, work in left:
        if deadline.passed:
            results.unassessed.add_file_work(files, work)
            continue
        results.store_unit(files, work, _scan_unit(files, work, "cpu", config.seconds_per_file,
                                                   deadline.at))


def _run_accelerator_work(work: list[tuple[BundleFile, Check]], config: Config,
                          devices: DeviceResolver, results: _Results,
                          deadline: _Deadline) -> None:
    """Accelerator file checks, one at a time on the chosen device."""
    for file, check in work:
        unit = [(check.id, config.check_settings(check.id))]
        choice = devices.choice
        if not choice.available:
            results.add(check.id, [_skipped(check, file.path, file.artifact, choice)], 0.0, None)
            results.progress.advance(1, file.path)
        elif deadline.passed:
            results.unassessed.add_file_work([file], unit)
        else:
            results.devices[check.id] = choice.device or "cpu"
            results.store_unit([file], unit, _scan_unit(
                [file], unit, choice.device or "cpu", config.seconds_per_file, deadline.at))


# Seconds an accelerator bundle check (one that runs the released model) may
# take by default (checks.<id>.time_limit), and the grace the engine adds to
# it: the check ends its own child process at the limit and reports it,
# before the engine's budget stops the check itself.
ACCELERATOR_SECONDS = 300.0
ACCELERATOR_GRACE_SECONDS = 5.0


@dataclass(frozen=True)
class _Bundle:
    """What the run gives bundle checks besides the inventory and facts."""

    devices: DeviceResolver
    trust_bundle_code: bool = False


def _run_bundle_checks(checks: list[Check], inventory: Inventory, facts: Facts,
                       config: Config, results: _Results, deadline: _Deadline,
                       run: _Bundle) -> None:
    # What a bundle check provides (``ctx.provide``) comes back through
    # ``CheckRun.provided``: the facts given to checks never change. Bundle
    # checks run one at a time in this process, accelerator checks among them.
    from .lazy_paths import copy_on_open

    cache = results.cache
    inputs = ""  # the digest of what every bundle check is given, made once
    # From here on a file left lazy is copied when something opens it (a
    # file a check picks at run time, a report's hash of it): lazy_paths.py.
    copy_on_open(inventory)
    for check in checks:
        if not check.scans_bundle:
            continue
        if deadline.passed:
            results.unassessed.bundle_checks.add(check.id)
            continue
        settings = config.check_settings(check.id)
        key = None
        if cache.enabled and check.caches_bundle_results:
            inputs = inputs or cache.bundle_inputs(inventory, facts, config,
                                                   run.trust_bundle_code)
            key = cache.bundle_key(check, settings, inputs)
            hit = cache.get_bundle(key, inventory)
            if hit is not None:
                results.add(check.id, hit[0], 0.0, None)
                if hit[1]:
                    results.from_bundle[check.id] = hit[1]
                continue
        # A bundle at a URL (or the hook's staged view) copies what the
        # check reads, and only that: not a million images for a card. The
        # kinds it declares are copied at once (in batches, outside its
        # time budget); anything else it opens, when it opens it.
        inventory.materialize(bundle_reads(check, inventory))
        lease, budget = None, config.seconds_per_file
        if check.device == "accelerator":
            lease = DeviceLease(run.devices)
            budget = float(settings.get("time_limit", ACCELERATOR_SECONDS))
        ctx = BundleContext(inventory=inventory, facts=facts, settings=settings,
                            trust_bundle_code=run.trust_bundle_code, model=config.model,
                            time_limit=deadline.budget(budget), device_lease=lease)
        if lease is not None:
            budget += ACCELERATOR_GRACE_SECONDS
        started = time.perf_counter()
        value, exc = guarded(deadline.budget(budget), _scan_bundle, check, ctx)
        if isinstance(exc, TimeBudgetExceeded) and deadline.passed:
            results.unassessed.bundle_checks.add(check.id)
            continue
        if isinstance(exc, DeviceUnavailable):
            found, provided, exc = [_skipped(check, ".", "model", exc.choice)], {}, None
        elif exc is None:
            found, provided = value
        else:
            found, provided = [_failed(check, exc, budget, ".", "docs")], {}
        if lease is not None and lease.used:
            results.devices[check.id] = lease.used
        seconds = time.perf_counter() - started
        # A result the time limit cut short depends on the machine's speed.
        if key is not None and exc is None and not ctx.cut_short:
            cache.put_bundle(key, found, provided, seconds, inventory)
        results.add(check.id, found, seconds, _traceback(exc))
        if provided:
            results.from_bundle[check.id] = provided


def bundle_reads(check: Check, inventory: Inventory) -> list[BundleFile]:
    """The files ``check.scan_bundle`` may open, which must be on disk
    before it runs: those of the kinds it declares in ``bundle_reads``
    (docs/plugins.md), or every file when it declares none (or declares
    something that is not a set of kinds: the safe reading). Nothing to
    say for a folder on disk, whose files all are."""
    if inventory.fetch is None:
        return []
    kinds = getattr(check, "bundle_reads", None)
    if not isinstance(kinds, (set, frozenset)) or not all(isinstance(k, str) for k in kinds):
        return inventory.files
    return [f for f in inventory.files if f.kind in kinds]


def _scan_bundle(check: Check, ctx: BundleContext) -> tuple[list[Finding], dict[str, Any]]:
    return _finish(check, None, check.scan_bundle(ctx)), dict(ctx.provided)


# Past the run's time limit, a check's facts still count (a fact left out
# could open the gate), but each gets only this long.
FACTS_SECONDS_AFTER_DEADLINE = 5.0


def _facts_of_checks(checks: list[Check], results: _Results, budget: float | None,
                     deadline: _Deadline) -> list[tuple[Check, dict]]:
    """Each check's facts from its own findings. A check whose ``facts``
    raises, takes longer than its budget, or returns a fact it does not
    declare, provides none and gets a finding that says so."""
    provided = []
    for check in checks:
        # Facts found while scanning the bundle, then those derived from
        # the check's findings: both held to what the check declares.
        scanned = results.from_bundle.get(check.id, {})
        found = results.by_check.get(check.id, [])
        seconds = deadline.budget(budget, floor=FACTS_SECONDS_AFTER_DEADLINE)
        value, exc = guarded(seconds, _facts_of, check, scanned, found)
        if exc is None:
            provided.append((check, value))
            continue
        results.by_check[check.id].append(_failed(check, exc, seconds, ".", "docs"))
        if (error := _traceback(exc)) is not None:
            results.errors.append(error)
    return provided


def _facts_of(check: Check, scanned: dict[str, Any], found: list[Finding]) -> dict[str, Any]:
    check_provided(check, scanned)
    derived = check.provided_facts(found)
    if not isinstance(derived, dict):
        raise BadReturn(f"from facts a {type(derived).__name__}, not a dict")
    return {**scanned, **derived}


class BadReturn(TypeError):
    """A check returned something the engine cannot use. Its message names
    types only, never values (a value may quote the file)."""


def _failed(check: Check, exc: BaseException, budget: float | None, path: str,
            artifact: str) -> Finding:
    """The finding for a call into a check that did not return: too slow,
    or failed."""
    if isinstance(exc, TimeBudgetExceeded):
        return _too_slow(check, path, artifact, budget or exc.seconds)
    return _failure(check, exc, path, artifact)


def _traceback(exc: BaseException | None) -> str | None:
    """The traceback shown under --debug; none for a timeout, which is not
    the check's defect but the input's."""
    if exc is None or isinstance(exc, TimeBudgetExceeded):
        return None
    import traceback  # a check failed: rare

    return "".join(traceback.format_exception(exc))


def _failure(check: Check, exc: BaseException, path: str, artifact: str) -> Finding:
    # Name the exception and where it was raised, not its message: a message
    # may quote the content the check was reading (personal data included).
    # A bad return value is described by its type, which we wrote.
    if isinstance(exc, BadReturn):
        what = f"returned {exc}"
    else:
        import traceback

        frames = traceback.extract_tb(exc.__traceback__)
        where = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
        what = f"{type(exc).__name__}{where}"
    return _check_failed(check, f"Check {check.id!r} failed: {what}", path, artifact)


def _check_failed(check: Check, message: str, path: str, artifact: str) -> Finding:
    return Finding(
        id="plugin.check-failed",
        severity=Severity.HIGH,
        message=message,
        location=Location(path=path),
        remediation="Run with --debug to see the traceback, and report it to the check's author",
        matched=check.id,
    ).with_defaults(
        check=check.id, checkpoint=CHECKPOINT_OF_ARTIFACT.get(artifact, check.checkpoint),
        artifact=artifact,
    )


def _finish(check: Check, file: BundleFile | None, found: Any) -> list[Finding]:
    """What a check returned, as findings with the check's defaults; raises
    BadReturn when it is not an iterable of well-formed Findings."""
    artifact = file.artifact if file else "docs"
    if found is None:
        return []
    if isinstance(found, (str, bytes, dict)) or not hasattr(found, "__iter__"):
        raise BadReturn(f"a {type(found).__name__}, not a list of findings")
    out = []
    for finding in found:
        problem = finding_problem(finding)
        if problem is not None:
            raise BadReturn(problem)
        out.append(
            finding.with_defaults(check=check.id, checkpoint=check.checkpoint, artifact=artifact)
        )
    return out


# Set in the parent before the pool forks; rebuilt from entry points in a
# spawned worker.
_WORKER_CHECKS: dict[str, Check] = {}
_WORKER_RECOGNIZERS: list = []


def _init_worker(check_ids: list[str]) -> None:
    if not _WORKER_CHECKS:
        from .plugins import build_registry

        registry = build_registry()
        _WORKER_CHECKS.update({cid: registry.checks[cid] for cid in check_ids
                               if cid in registry.checks})
        _WORKER_RECOGNIZERS[:] = [factory for _, factory in registry.recognizer_factories]


def _scan_unit(files: list[BundleFile], work: Work, device: str,
               budget: float | None = None, deadline: float | None = None) -> list[Result]:
    """Run checks on files: every check of ``work`` on each file, through
    ``scan_batch`` when there are several files, each file within ``budget``
    seconds (a batch within its files' budgets together). Never raises but
    for the user's interrupts; returns nothing for the pairs the run's
    ``deadline`` (``time.monotonic``) left undone."""
    run = _Deadline(deadline)
    results: list[Result] = []
    for check_id, settings in work:
        check = _WORKER_CHECKS[check_id]
        ctx = FileContext(settings=settings, device=device,
                          recognizers=tuple(_WORKER_RECOGNIZERS))
        if len(files) > 1:
            started = time.perf_counter()
            done, exc = guarded(run.budget(budget * len(files) if budget else None),
                                _scan_batch, check, files, ctx)
            if exc is None:
                share = (time.perf_counter() - started) / len(files)
                results.extend((f.path, check_id, found, share, None) for f, found in done)
                continue
            # Find the file that fails (or is slow): run them one by one.
        for file in files:
            if run.passed:
                break
            started = time.perf_counter()
            scan = _scan_file if isinstance(file, BundleFile) else _scan_part
            found, exc = guarded(run.budget(budget), scan, check, file, ctx)
            if isinstance(exc, TimeBudgetExceeded) and run.passed:
                break  # the run's time ran out, not the file's
            if exc is not None:
                found = [_failed(check, exc, budget, file.path, file.artifact)]
            results.append((file.path, check_id, found, time.perf_counter() - started,
                            _traceback(exc)))
    return results


def _scan_file(check: Check, file: BundleFile, ctx: FileContext) -> list[Finding]:
    return _finish(check, file, check.scan_file(file, ctx))


def _scan_part(check: Check, file: FilePart, ctx: FileContext) -> PartDone:
    """One part of a table: what ``scan_part`` returned, merged in the
    engine's process when every part is in (``_merger``)."""
    from .executors.parts import PartDone

    return PartDone(check.scan_part(file.whole, file.part, ctx))


def _merger(registry: Registry, budget: float | None):
    """``merge(check_id, file, partials)``: the check's ``merge``, held to the
    contract as any call into a check is (``_finish``, within ``budget``);
    returns the findings and a traceback for --debug, or None."""
    def merge(check_id: str, file: BundleFile, partials: list) -> tuple[list[Finding],
                                                                         str | None]:
        check = registry.checks[check_id]
        found, exc = guarded(budget, lambda: _finish(check, file, check.merge(file, partials)))
        if exc is not None:
            return [_failed(check, exc, budget, file.path, file.artifact)], _traceback(exc)
        return found, None

    return merge


def _executor(options: Options) -> ExecutorChoice:
    """The executor the options name; raises ExecutorError (a usage error)."""
    choice = parse_executor(options.executor)
    if choice.distributed and options.show_pii:
        raise ExecutorError("--show-pii shows raw personal data, which never leaves a Dask "
                            "worker: use --executor local with it")
    return choice


def _run_distributed(units: list[tuple[list[BundleFile], Work]], choice: ExecutorChoice,
                     workers: int | None, results: _Results, check_ids: list[str],
                     budget: float | None, deadline: _Deadline) -> None:
    """The units as tasks on a Dask cluster (executors/dask_cluster.py),
    stored in unit order as a local run stores them; a unit that failed
    there (its workers died under it, or it raised twice) is a
    ``plugin.check-failed`` for each of its files and checks; what the
    run's time limit left undone is not assessed."""
    from .executors.dask_cluster import DaskExecutor

    def store(slot: int, done: list[Result]) -> None:
        # The paths came back masked: what they hid is to be masked
        # wherever else this run quotes them (as for a cached result).
        for path, _, found, _, _ in done:
            for f in found if isinstance(found, list) else ():
                current_gate().learn_masked(path, f.location.path)
        results.store_unit(*units[slot], done)

    def fail(slot: int, exc: BaseException) -> None:
        files, work = units[slot]
        results.store([(f.path, check_id, [_failed_on_cluster(_WORKER_CHECKS[check_id], f, exc)],
                        0.0, None) for check_id, _ in work for f in files])

    with _sigterm_raises(), DaskExecutor(choice, workers) as executor:
        left = executor.run(units, check_ids, budget, store, fail, deadline.at)
    for slot in left:
        results.unassessed.add_file_work(*units[slot])


def _failed_on_cluster(check: Check, file: BundleFile, exc: BaseException) -> Finding:
    # The type only: a message may quote what the check was reading.
    return _check_failed(check, f"Check {check.id!r} failed on the Dask cluster "
                         f"({type(exc).__name__}: the workers that ran it died, or it raised "
                         "twice) on this file", file.path, file.artifact)


def _scan_batch(check: Check, files: list[BundleFile], ctx: FileContext,
                ) -> list[tuple[BundleFile, list[Finding]]]:
    """``scan_batch`` held to its contract: each file given, once."""
    by_path = {f.path: f for f in files}
    done = {}
    for pair in check.scan_batch(files, ctx):
        if not isinstance(pair, tuple) or len(pair) != 2 or getattr(
                pair[0], "path", None) not in by_path:
            raise BadReturn("from scan_batch something that is not a (file, findings) pair")
        file = by_path[pair[0].path]
        done[file.path] = (file, _finish(check, file, pair[1]))
    if len(done) != len(files):
        raise BadReturn("from scan_batch findings for some of its files only")
    return [done[f.path] for f in files]


# Files given to one scan_batch call: by count, and by bytes so that a few
# large tables are not held back behind each other.
BATCH_MAX_BYTES = 8 * 1024 * 1024


def _batches(files: list[BundleFile], size: int) -> list[list[BundleFile]]:
    out: list[list[BundleFile]] = []
    current: list[BundleFile] = []
    weight = 0
    for file in files:
        if current and (len(current) >= size or weight + file.size > BATCH_MAX_BYTES):
            out.append(current)
            current, weight = [], 0
        current.append(file)
        weight += file.size
    if current:
        out.append(current)
    return out


def _jobs(requested: int | None, units: list) -> int:
    if requested is not None:
        return max(1, min(requested, len(units) or 1))
    size = sum(f.size for files, _ in units for f in files)
    if len(units) < PARALLEL_MIN_UNITS and size < PARALLEL_MIN_BYTES:
        return 1
    return max(1, min(os.cpu_count() or 1, len(units)))


# A worker gets twice its budget (a batch that failed is run again file by
# file) and this much more before it is ended: time to answer. A spawned
# worker (no fork: macOS, Windows) first loads the plugins again, so its
# first task gets the start-up grace too.
WORKER_GRACE_SECONDS = 2.0
WORKER_STARTUP_SECONDS = 30.0


@dataclass
class _Task:
    """A unit of CPU work for the pool; ``slot`` is the unit it came from
    (a unit whose worker died is split into one task per file and check)."""

    slot: int
    files: list[BundleFile]
    work: Work

    @property
    def pairs(self) -> int:
        return len(self.files) * len(self.work)

    def split(self) -> list[_Task]:
        return [_Task(self.slot, [f], [w]) for w in self.work for f in self.files]


@dataclass
class _Worker:
    process: Any
    conn: Any
    task: _Task | None = None
    started: float = 0.0
    tasks_done: int = 0


def _run_pool(units: list[tuple[list[BundleFile], Work]], jobs: int, results: _Results,
              check_ids: list[str], budget: float | None,
              deadline: _Deadline) -> list[tuple[list[BundleFile], Work]]:
    """Run ``units`` in ``jobs`` worker processes and store what they return,
    in the order of ``units``. A worker that dies, or that runs past its
    budget without stopping, is ended and replaced, and each file and check
    it held becomes a finding. SIGINT and SIGTERM end every worker before
    they stop the run. Returns the units left for the caller to run in
    this process (when workers cannot even start)."""
    pool = _Pool(jobs, check_ids, budget, len(units))
    tasks = deque(_Task(i, files, work) for i, (files, work) in enumerate(units))
    with _sigterm_raises():
        try:
            pool.run(tasks, results, deadline)
        finally:
            held = pool.close()
    pool.flush(results, everything=True)
    left = [*held, *tasks]
    if deadline.passed:
        for task in left:
            results.unassessed.add_file_work(task.files, task.work)
        return []
    return [(task.files, task.work) for task in left]


class _Pool:
    """Worker processes, each fed one task at a time through a pipe, so
    that the parent knows which task each one holds and since when."""

    def __init__(self, jobs: int, check_ids: list[str], budget: float | None, slots: int):
        # Imported here: a run of one small file (a pre-commit hook) starts no pool.
        import multiprocessing

        methods = multiprocessing.get_all_start_methods()
        # fork shares the loaded plugins with the workers; elsewhere they reload.
        self.context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        self.jobs = jobs
        self.check_ids = check_ids
        self.budget = budget
        self.workers: list[_Worker] = []
        self.failed_starts = 0
        # Results per unit, stored in unit order once every task is back.
        self.done: list[list[Result]] = [[] for _ in range(slots)]
        self.open = [1] * slots
        self.flushed = 0

    def run(self, tasks: deque[_Task], results: _Results, deadline: _Deadline) -> None:
        from multiprocessing.connection import wait as wait_for_any

        while (tasks or self._busy()) and not deadline.passed:
            self._hand_out(tasks)
            if self.failed_starts > self.jobs:
                return  # workers cannot start here: the caller runs the rest
            busy = self._busy()
            if not busy:
                continue
            ready = wait_for_any([w.conn for w in busy] + [w.process.sentinel for w in busy],
                                 self._next_wake(busy, deadline))
            for worker in busy:
                self._collect(worker, ready, tasks)
            self.flush(results)

    def _busy(self) -> list[_Worker]:
        return [w for w in self.workers if w.task is not None]

    def _hand_out(self, tasks: deque[_Task]) -> None:
        while len(self.workers) < self.jobs and len(self.workers) < len(tasks) + len(
                self._busy()):
            try:
                self.workers.append(self._start())
            except OSError:  # no more processes to be had (EAGAIN, ENOMEM)
                self.failed_starts += 1
                break
        for worker in list(self.workers):
            if worker.task is not None or not tasks:
                continue
            if not worker.process.is_alive():  # died between two tasks
                self._end(worker)
                continue
            task = tasks.popleft()
            try:
                worker.conn.send((task.files, task.work, self.budget))
            except (OSError, ValueError):  # it died before it could start
                tasks.appendleft(task)
                self.failed_starts += 1
                self._end(worker)
                continue
            worker.task, worker.started = task, time.monotonic()

    def _start(self) -> _Worker:
        parent_end, child_end = self.context.Pipe()
        process = self.context.Process(target=_worker_main, args=(child_end, self.check_ids),
                                       name="aiart-release-worker")
        # The worker sets its own signal handlers first thing; until then a
        # Ctrl-C is held back, so that it never prints a KeyboardInterrupt.
        try:
            with _signals_blocked():
                process.start()
        except OSError:
            parent_end.close()
            raise
        finally:
            child_end.close()
        return _Worker(process, parent_end)

    def _limit(self, worker: _Worker) -> float | None:
        """Seconds the worker may hold its task before it is ended."""
        if not self.budget or worker.task is None:
            return None
        first = worker.tasks_done == 0 and self.context.get_start_method() != "fork"
        grace = WORKER_GRACE_SECONDS + (WORKER_STARTUP_SECONDS if first else 0.0)
        return 2 * self.budget * worker.task.pairs + grace

    def _next_wake(self, busy: list[_Worker], deadline: _Deadline) -> float | None:
        ends = [w.started + limit for w in busy if (limit := self._limit(w)) is not None]
        if deadline.at is not None:
            ends.append(deadline.at)
        return max(min(ends) - time.monotonic(), 0.0) if ends else None

    def _collect(self, worker: _Worker, ready: list, tasks: deque[_Task]) -> None:
        """Take the worker's answer, or deal with its death or overrun."""
        task = worker.task
        assert task is not None
        if worker.conn in ready or worker.process.sentinel in ready:
            try:
                if worker.conn.poll():
                    self._finish(task, worker.conn.recv())
                    worker.task = None
                    worker.tasks_done += 1
                    return
            except Exception:  # noqa: BLE001 - EOF, or half an answer: it died sending
                pass
            self._end(worker)
            self._lost(task, tasks, lambda check, file: _worker_died(
                check, file, worker.process.exitcode))
            return
        limit = self._limit(worker)
        if limit is not None and time.monotonic() > worker.started + limit:
            self._end(worker)
            self._lost(task, tasks, lambda check, file: _too_slow(
                check, file.path, file.artifact, self.budget, ended=True))

    def _lost(self, task: _Task, tasks: deque[_Task], finding) -> None:
        """A task whose worker was ended: run each of its files and checks
        again on its own, to find the one to blame; that one gets
        ``finding(check, file)``."""
        if task.pairs > 1:
            parts = task.split()
            self.open[task.slot] += len(parts) - 1
            tasks.extendleft(reversed(parts))
            return
        [file], [(check_id, _)] = task.files, task.work
        self._finish(task, [(file.path, check_id, [finding(_WORKER_CHECKS[check_id], file)],
                             0.0, None)])

    def _finish(self, task: _Task, done: list[Result]) -> None:
        self.done[task.slot].extend(done)
        self.open[task.slot] -= 1

    def flush(self, results: _Results, everything: bool = False) -> None:
        while self.flushed < len(self.done) and (everything or self.open[self.flushed] == 0):
            results.store(self.done[self.flushed])
            self.done[self.flushed] = []
            self.flushed += 1

    def _end(self, worker: _Worker) -> None:
        if worker.process.is_alive():
            worker.process.kill()
        worker.process.join()
        worker.conn.close()
        self.workers.remove(worker)

    def close(self) -> list[_Task]:
        """End every worker: idle ones are asked to leave, busy ones are
        killed; none is left behind. Returns the tasks the busy ones held."""
        for worker in self.workers:
            if worker.task is None:
                try:
                    worker.conn.send(None)
                except (OSError, ValueError):
                    pass
        held = []
        for worker in list(self.workers):
            if worker.task is None:
                worker.process.join(timeout=5)
            else:
                held.append(worker.task)
            self._end(worker)
        return held


def _worker_main(conn: Any, check_ids: list[str]) -> None:
    """A pool worker: runs the tasks it is sent until told to stop (None)
    or until the parent is gone."""
    # The parent handles Ctrl-C and ends the workers; SIGTERM ends a worker
    # at once (the handler inherited from the parent is the parent's).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_SETMASK, set())
    die_with_parent()
    _init_worker(check_ids)
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        files, work, budget = task
        try:
            _send(conn, _scan_unit(files, work, "cpu", budget), files, work)
        except OSError:
            return  # the parent is gone


def _send(conn: Any, done: list[Result], files: list[BundleFile], work: Work) -> None:
    """Send a task's results; ones that cannot be pickled (a plugin's odd
    finding) become a failure of each of its files and checks."""
    try:
        conn.send(done)
    except OSError:
        raise
    except Exception as exc:  # noqa: BLE001
        conn.send([(f.path, check_id, [_failure(_WORKER_CHECKS[check_id], exc, f.path,
                                                f.artifact)], 0.0, _traceback(exc))
                   for check_id, _ in work for f in files])


def die_with_parent() -> None:
    """On Linux, have the kernel kill this process (a pool worker, a child
    that runs a model) when the parent dies, even by SIGKILL: an orphan would
    run on and hold the caller's terminal."""
    parent = os.getppid()
    try:
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    except (OSError, AttributeError):
        return  # not Linux: the parent's clean-up is all there is
    if os.getppid() != parent:  # the parent died before prctl
        os._exit(1)


@contextmanager
def _signals_blocked() -> Iterator[None]:
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


@contextmanager
def _sigterm_raises() -> Iterator[None]:
    """While the pool runs, SIGTERM raises Terminated in the parent (exit
    143), so that the workers are ended on the way out; by default it would
    end the parent alone and leave them running."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminate(signum, frame):  # noqa: ARG001 - signal handler signature
        raise Terminated()

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _too_slow(check: Check, path: str, artifact: str, seconds: float | None,
              ended: bool = False) -> Finding:
    what = "the bundle" if path == "." else "this file"
    how = ("and did not stop, so its worker process was ended" if ended
           else "and was stopped")
    budget = f"its time budget of {seconds:g} s" if seconds else "its time budget"
    return Finding(
        id="bundle.too-slow",
        severity=Severity.MEDIUM,
        message=f"Check {check.id!r} ran past {budget} on {what} {how}; what the rest of "
                f"{'it' if path == '.' else 'the file'} holds is unknown",
        location=Location(path=path),
        remediation="Split the file, or raise limits.seconds_per_file in aiart-release.yaml "
                    "and assess again",
        matched=check.id,
    ).with_defaults(check=check.id, checkpoint=CHECKPOINT_OF_ARTIFACT.get(
        artifact, check.checkpoint), artifact=artifact)


def how_it_ended(exitcode: int | None) -> str:
    """A process's end in words: ``killed by SIGKILL``, ``exit code 1``."""
    if exitcode is not None and exitcode < 0:
        try:
            return f"killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"killed by signal {-exitcode}"
    return f"exit code {exitcode}"


def _worker_died(check: Check, file: BundleFile, exitcode: int | None) -> Finding:
    how = how_it_ended(exitcode)
    return _check_failed(check, f"Check {check.id!r} ended its worker process ({how}) on "
                         "this file", file.path, file.artifact)


def _timed_out(unassessed: _Unassessed, seconds: float | None) -> Finding:
    parts = []
    if unassessed.pairs:
        parts.append(f"{unassessed.pairs} file check(s) on {len(unassessed.files)} file(s)")
    if unassessed.bundle_checks:
        parts.append(f"{len(unassessed.bundle_checks)} bundle check(s)")
    names = ", ".join(sorted(unassessed.checks | unassessed.bundle_checks))
    return Finding(
        id="bundle.timeout",
        severity=Severity.HIGH,
        message=f"The run's time limit of {seconds:g} s passed: {' and '.join(parts)} "
                f"were not run ({names}); what they would have found is unknown",
        location=Location(path="."),
        remediation="Assess again with a longer --timeout (or none), or exclude what is "
                    "slow to scan",
        count=unassessed.pairs + len(unassessed.bundle_checks),
    ).with_defaults(check="engine", checkpoint=CHECKPOINT_OF_ARTIFACT["docs"], artifact="docs")


def _skipped(check: Check, path: str, artifact: str, choice: DeviceChoice) -> Finding:
    return Finding(
        id="plugin.check-skipped",
        severity=Severity.INFO,
        message=f"Check {check.id!r} needs an accelerator: {choice.note}; skipped",
        location=Location(path=path),
        remediation="Run with --device auto or --device cpu to run it on the CPU",
    ).with_defaults(check=check.id, checkpoint=check.checkpoint, artifact=artifact)


def safe_cache_dir(requested: Path | None, bundle: Path) -> Path | None:
    """The cache directory, unless it would be inside the bundle (which we
    never write to)."""
    from .cache import default_cache_dir

    directory = requested or default_cache_dir()
    try:
        directory.resolve().relative_to(bundle.resolve())
    except ValueError:
        return directory
    return None
