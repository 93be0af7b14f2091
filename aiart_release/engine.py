"""The engine: runs the checks and returns what they found.

It owns parallelism (a process pool for CPU file checks, in batches), the
accelerator (one check at a time), the result cache, the time budget per
file and progress. It knows nothing of rules or policy: ``pipeline.assess``
hands it the inventory and the declared facts, and takes back the findings,
the facts each check derives from its findings, and the seconds each took.
Checks never print; a check that raises becomes a ``plugin.check-failed``
finding and the run goes on.
"""

from __future__ import annotations

import multiprocessing
import os
import time
import traceback
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .bundle import BundleFile, Inventory
from .cache import ResultCache, settings_hash
from .checks import BundleContext, Check, FileContext
from .config import Config
from .device import DeviceChoice, resolve_device
from .facts import Facts, check_provided
from .findings import CHECKPOINT_OF_ARTIFACT, Finding, Location, Severity
from .origin import GENERATED
from .plugins import Registry
from .watchdog import TimeBudgetExceeded, time_budget

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


class Progress:
    """Receives progress; the default does nothing. The CLI shows a bar."""

    def start(self, total: int) -> None: ...

    def advance(self, n: int = 1, note: str = "") -> None: ...

    def stop(self) -> None: ...


@dataclass(frozen=True)
class CheckRun:
    """What running the checks returned.

    ``findings`` come check by check, in the order the checks first
    reported; ``provided`` holds, in check-id order, the facts each check
    derived from its own findings (``Check.provided_facts``: its ``facts``,
    held to what it declares), for the pipeline to merge into the declared
    facts.
    """

    findings: list[Finding]
    provided: list[tuple[Check, dict[str, Any]]]
    timings: dict[str, float]
    errors: list[str]  # tracebacks, shown under --debug
    device_note: str = ""
    cache_hits: int = 0


def run_checks(path: Path, inventory: Inventory, facts: Facts, registry: Registry,
               config: Config, options: Options | None = None) -> CheckRun:
    """Run every enabled check on the bundle at ``path``: file checks on the
    CPU (in a process pool when there is enough work), accelerator checks
    one at a time, then bundle checks, which see the inventory and ``facts``."""
    options = options or Options()
    checks = [c for cid, c in sorted(registry.checks.items()) if config.check_enabled(cid)]
    # Under --show-pii the raw values must come from a fresh scan, and the
    # cache never holds them, so it is bypassed.
    use_cache = options.use_cache and not options.show_pii
    cache = ResultCache(_safe_cache_dir(options.cache_dir, path) if use_cache else None)
    results = _Results(cache, options.progress or Progress())
    plan = _plan_file_work(inventory, checks, registry, config, results)
    results.progress.start(plan.size)
    _run_cpu_work(plan, checks, registry, config, options.jobs, results)
    device_note = _run_accelerator_work(plan.accelerator, config, options.device, results)
    _run_bundle_checks(checks, inventory, facts, config, results)
    results.progress.stop()
    cache.save()
    provided = _facts_of_checks(checks, results)
    return CheckRun(
        findings=[f for found in results.by_check.values() for f in found],
        provided=provided, timings=dict(results.timings), errors=results.errors,
        device_note=device_note, cache_hits=cache.hits,
    )


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

    def add(self, check_id: str, found: list[Finding], seconds: float,
            error: str | None) -> None:
        self.by_check[check_id].extend(found)
        self.timings[check_id] += seconds
        if error:
            self.errors.append(error)

    def store(self, results: list[Result]) -> None:
        for path, check_id, found, seconds, error in results:
            self.add(check_id, found, seconds, error)
            key = self.cache_keys.get((path, check_id))
            if key and error is None:
                self.cache.put(key, found, seconds)
            self.progress.advance(1, path)


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
                    config: Config, results: _Results) -> _Plan:
    """Which check reads which file; a cached result is taken at once."""
    plan = _Plan()
    cache = results.cache
    batched: dict[str, list[BundleFile]] = defaultdict(list)
    file_checks = [c for c in checks if c.scans_files]
    # Any change to the installed plugins (a new recognizer, say) can change
    # what a check finds: it is part of every cache key.
    plugin_set = sorted(f"{p.name} {p.version}" for p in registry.plugins if p.error is None)
    for file in inventory.files:
        wanted = [c for c in file_checks if file.kind in c.kinds
                  and (c.reads_generated or file.context != GENERATED)]
        if not wanted or not file.readable:
            continue
        work = []
        for check in wanted:
            settings = config.check_settings(check.id)
            if cache.enabled:
                try:
                    content = cache.content_hash(file.abspath)
                except OSError:
                    content = ""
                key = cache.key(check_id=check.id, check_version=check.version,
                                settings=settings_hash([settings, plugin_set]), path=file.path,
                                content=content)
                hit = cache.get(key) if content else None
                if hit is not None:
                    results.add(check.id, hit[0], 0.0, None)
                    continue
                results.cache_keys[(file.path, check.id)] = key
            if check.device == "accelerator":
                plan.accelerator.append((file, check))
            elif check.batch_size > 1:
                batched[check.id].append(file)
            else:
                work.append((check.id, settings))
        if work:
            plan.cpu.append(([file], work))
    for check_id, files in batched.items():
        check = registry.checks[check_id]
        work = [(check_id, config.check_settings(check_id))]
        plan.cpu.extend((batch, work) for batch in _batches(files, check.batch_size))
    return plan


def _run_cpu_work(plan: _Plan, checks: list[Check], registry: Registry, config: Config,
                  requested_jobs: int | None, results: _Results) -> None:
    _WORKER_CHECKS.clear()
    _WORKER_CHECKS.update({c.id: c for c in checks})
    _WORKER_RECOGNIZERS[:] = [factory for _, factory in registry.recognizer_factories]
    jobs = _jobs(requested_jobs, plan.cpu)
    if jobs > 1:
        _run_pool(plan.cpu, jobs, results.store, [c.id for c in checks], config.seconds_per_file)
    else:
        for files, work in plan.cpu:
            results.store(_scan_unit(files, work, "cpu", config.seconds_per_file))


def _run_accelerator_work(work: list[tuple[BundleFile, Check]], config: Config,
                          requested_device: str, results: _Results) -> str:
    """Accelerator checks, one at a time on the chosen device; returns the
    note on that device (empty when no check needed one)."""
    if not work:
        return ""
    choice = resolve_device(requested_device)
    for file, check in work:
        if not choice.available:
            results.add(check.id, [_skipped(check, file, choice)], 0.0, None)
            results.progress.advance(1, file.path)
            continue
        results.store(_scan_unit([file], [(check.id, config.check_settings(check.id))],
                                 choice.device or "cpu"))
    return choice.note


def _run_bundle_checks(checks: list[Check], inventory: Inventory, facts: Facts,
                       config: Config, results: _Results) -> None:
    # What a bundle check provides (``ctx.provide``) comes back through
    # ``CheckRun.provided``: the facts given to checks never change.
    for check in checks:
        if not check.scans_bundle:
            continue
        ctx = BundleContext(inventory=inventory, facts=facts,
                            settings=config.check_settings(check.id))
        started = time.perf_counter()
        try:
            found = _finish(check, None, check.scan_bundle(ctx))
            error = None
        except Exception as exc:
            found = [_failure(check, exc, ".", "docs")]
            error = "".join(traceback.format_exception(exc))
        results.add(check.id, found, time.perf_counter() - started, error)
        if ctx.provided:
            results.from_bundle[check.id] = dict(ctx.provided)


def _facts_of_checks(checks: list[Check], results: _Results) -> list[tuple[Check, dict]]:
    """Each check's facts from its own findings. A check whose ``facts``
    raises, or returns a fact it does not declare, provides none and gets a
    ``plugin.check-failed`` finding."""
    provided = []
    for check in checks:
        try:
            # Facts found while scanning the bundle, then those derived from
            # the check's findings: both held to what the check declares.
            scanned = results.from_bundle.get(check.id, {})
            check_provided(check, scanned)
            derived = check.provided_facts(results.by_check.get(check.id, []))
            provided.append((check, {**scanned, **derived}))
        except Exception as exc:
            results.by_check[check.id].append(_failure(check, exc, ".", "docs"))
            results.errors.append("".join(traceback.format_exception(exc)))
    return provided


def _failure(check: Check, exc: BaseException, path: str, artifact: str) -> Finding:
    # Name the exception and where it was raised, not its message: a message
    # may quote the content the check was reading (personal data included).
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
    return Finding(
        id="plugin.check-failed",
        severity=Severity.HIGH,
        message=f"Check {check.id!r} failed: {type(exc).__name__}{where}",
        location=Location(path=path),
        remediation="Run with --debug to see the traceback, and report it to the check's author",
        matched=check.id,
    ).with_defaults(
        check=check.id, checkpoint=CHECKPOINT_OF_ARTIFACT.get(artifact, check.checkpoint),
        artifact=artifact,
    )


def _finish(check: Check, file: BundleFile | None, found: Any) -> list[Finding]:
    artifact = file.artifact if file else "docs"
    out = []
    for finding in found or ():
        if not isinstance(finding, Finding):
            raise TypeError(f"check {check.id!r} yielded {type(finding).__name__}, not a Finding")
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
               budget: float | None = None) -> list[Result]:
    """Run checks on files: every check of ``work`` on each file, through
    ``scan_batch`` when there are several files, each file within ``budget``
    seconds (a batch within its files' budgets together). Never raises."""
    results: list[Result] = []
    for check_id, settings in work:
        check = _WORKER_CHECKS[check_id]
        ctx = FileContext(settings=settings, device=device,
                          recognizers=tuple(_WORKER_RECOGNIZERS))
        if len(files) > 1:
            started = time.perf_counter()
            try:
                with time_budget(budget * len(files) if budget else None):
                    done = [(f, _finish(check, f, found))
                            for f, found in check.scan_batch(files, ctx)]
            except Exception:
                done = None  # find the file that fails: run them one by one
            if done is not None and {f.path for f, _ in done} == {f.path for f in files}:
                share = (time.perf_counter() - started) / len(files)
                results.extend((f.path, check_id, found, share, None) for f, found in done)
                continue
        for file in files:
            started = time.perf_counter()
            try:
                with time_budget(budget):
                    found = _finish(check, file, check.scan_file(file, ctx))
                error = None
            except TimeBudgetExceeded as exc:
                found = [_too_slow(check, file, exc)]
                error = None
            except Exception as exc:
                found = [_failure(check, exc, file.path, file.artifact)]
                error = "".join(traceback.format_exception(exc))
            results.append((file.path, check_id, found, time.perf_counter() - started, error))
    return results


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


def _run_pool(units, jobs: int, store: Callable, check_ids: list[str],
              budget: float | None = None) -> None:
    methods = multiprocessing.get_all_start_methods()
    # fork shares the loaded plugins with the workers; elsewhere they reload.
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    with ProcessPoolExecutor(
        max_workers=jobs, mp_context=context, initializer=_init_worker, initargs=(check_ids,)
    ) as pool:
        futures = [pool.submit(_scan_unit, files, work, "cpu", budget) for files, work in units]
        for future in futures:
            store(future.result())


def _too_slow(check: Check, file: BundleFile, exc: TimeBudgetExceeded) -> Finding:
    return Finding(
        id="bundle.too-slow",
        severity=Severity.MEDIUM,
        message=f"Check {check.id!r} {exc} on this file and was stopped; what the rest of the "
                "file holds is unknown",
        location=Location(path=file.path),
        remediation="Split the file, or raise limits.seconds_per_file in aiart-release.yaml "
                    "and assess again",
    ).with_defaults(check=check.id, checkpoint=CHECKPOINT_OF_ARTIFACT.get(
        file.artifact, check.checkpoint), artifact=file.artifact)


def _skipped(check: Check, file: BundleFile, choice: DeviceChoice) -> Finding:
    return Finding(
        id="plugin.check-skipped",
        severity=Severity.INFO,
        message=f"Check {check.id!r} needs an accelerator: {choice.note}; skipped",
        location=Location(path=file.path),
        remediation="Run with --device auto or --device cpu to run it on the CPU",
    ).with_defaults(check=check.id, checkpoint=check.checkpoint, artifact=file.artifact)


def _safe_cache_dir(requested: Path | None, bundle: Path) -> Path | None:
    """The cache directory, unless it would be inside the bundle (which we
    never write to)."""
    from .cache import default_cache_dir

    directory = requested or default_cache_dir()
    try:
        directory.resolve().relative_to(bundle.resolve())
    except ValueError:
        return directory
    return None
