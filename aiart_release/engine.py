"""The engine: inventory -> facts -> checks -> rules -> policy.

It owns parallelism (a process pool for CPU file checks), the accelerator
(one check at a time), the result cache and progress. Checks never print;
a check that raises becomes a ``plugin.check-failed`` finding and the run
goes on.
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

from . import __version__
from .aggregate import aggregate
from .bundle import BundleError, BundleFile, Inventory, build_inventory
from .cache import ResultCache, settings_hash
from .checks import BundleContext, Check, FileContext
from .config import Config
from .device import DeviceChoice, resolve_device
from .facts import Facts, gather_facts
from .findings import CHECKPOINT_OF_ARTIFACT, Checkpoint, Finding, Location, Severity, plural
from .origin import GENERATED
from .plugins import Registry
from .policy import Policy, Recommendation, decide, stricter
from .rules import load_packs, scenarios
from .watchdog import TimeBudgetExceeded, time_budget

SCHEMA_VERSION = "1"

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


@dataclass
class Assessment:
    """The result of assessing one bundle."""

    bundle_path: str
    inventory: Inventory
    facts: Facts
    findings: list[Finding]
    scenarios: list[dict[str, Any]]
    recommendation: Recommendation
    timings: dict[str, float]
    registry: Registry
    config: Config
    device_note: str = ""
    cache_hits: int = 0
    errors: list[str] = field(default_factory=list)  # tracebacks, shown under --debug

    @property
    def plugin_failed(self) -> bool:
        return any(f.id.startswith("plugin.") and f.id != "plugin.check-skipped"
                   for f in self.findings)

    def gate(self, fail_on: Severity | None) -> list[str]:
        """Why the assessment fails the gate (empty: it passes)."""
        reasons = []
        over_intent: dict[tuple[str, str], list[str]] = defaultdict(list)
        for artifact, decision in self.recommendation.artifacts.items():
            declared = self.config.release.get(artifact)
            if declared and stricter(decision.tier, declared):
                over_intent[(decision.tier, declared)].append(artifact)
        for (tier, declared), artifacts in over_intent.items():
            names = " and ".join([", ".join(artifacts[:-1]), artifacts[-1]] if len(artifacts) > 1
                                 else artifacts)
            reasons.append(f"{names} recommended {tier}, declared {declared}")
        if fail_on is not None:
            over = [f for f in self.findings if f.severity >= fail_on]
            if over:
                reasons.append(f"{plural(len(over), 'finding')} at or above {fail_on.value}")
        return reasons

    def to_dict(self, show_pii: bool = False) -> dict[str, Any]:
        """The assessment in the JSON form of DESIGN.md."""
        plugins = [
            f"{p.name} {p.version}" if p.version else p.name
            for p in self.registry.plugins
            if p.error is None
        ]
        return {
            "schema_version": SCHEMA_VERSION,
            "tool": {"name": "aiart-release", "version": __version__, "plugins": plugins},
            "bundle": {
                "path": self.bundle_path,
                "files": len(self.inventory.files),
                "bytes": self.inventory.total_bytes,
                "skipped": self.inventory.skipped,
            },
            "declared": self.config.declared(),
            "findings": [f.to_dict(show_pii=show_pii) for f in self.findings],
            "scenarios": self.scenarios,
            "recommendation": self.recommendation.to_dict(),
            "timings": {k: round(v, 4) for k, v in sorted(self.timings.items())},
        }


def _plugin_failure_findings(registry: Registry) -> list[Finding]:
    out = []
    for failure in registry.failures:
        out.append(
            Finding(
                id="plugin.load-failed",
                severity=Severity.HIGH,
                message=f"Plugin {failure.plugin!r} failed ({failure.stage}): {failure.error}",
                location=Location(path="."),
                remediation=(
                    f"Fix or uninstall the plugin, or set AIART_RELEASE_DISABLE_PLUGINS="
                    f"{failure.plugin} to skip it"
                ),
                matched=f"{failure.plugin}:{failure.stage}",
            ).with_defaults(check="plugins", checkpoint=Checkpoint.PUBLISHING, artifact="docs")
        )
    return out


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


Work = list[tuple[str, dict[str, Any]]]
Result = tuple[str, str, list[Finding], float, str | None]  # path, check, findings, s, error


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


def assess(
    path: Path,
    registry: Registry,
    config: Config,
    policy: Policy,
    options: Options | None = None,
) -> Assessment:
    """Assess the bundle at ``path``."""
    options = options or Options()
    progress = options.progress or Progress()
    timings: dict[str, float] = defaultdict(float)
    errors: list[str] = []
    started = time.perf_counter()

    inventory = build_inventory(
        path,
        registry.classify,
        exclude=[*config.exclude, *options.exclude],
        artifact_globs=config.artifacts,
        max_file_size=config.max_file_size,
        sniff_bytes=config.sniff_bytes,
    )
    if not inventory.files and not inventory.findings:
        raise BundleError(f"'{path}' holds no files to assess")
    facts = gather_facts(inventory, config)

    checks = [c for cid, c in sorted(registry.checks.items()) if config.check_enabled(cid)]
    findings: list[Finding] = list(inventory.findings) + _plugin_failure_findings(registry)
    by_check: dict[str, list[Finding]] = defaultdict(list)

    def collect(check_id: str, found: list[Finding], seconds: float, error: str | None) -> None:
        by_check[check_id].extend(found)
        timings[check_id] += seconds
        if error:
            errors.append(error)

    # --- per-file checks -------------------------------------------------
    # Under --show-pii the raw values must come from a fresh scan, and the
    # cache never holds them, so it is bypassed.
    use_cache = options.use_cache and not options.show_pii
    cache = ResultCache(_safe_cache_dir(options.cache_dir, path) if use_cache else None)
    cpu_units: list[tuple[list[BundleFile], Work]] = []
    batched: dict[str, list[BundleFile]] = defaultdict(list)
    accel_work: list[tuple[BundleFile, Check]] = []
    cache_keys: dict[tuple[str, str], str] = {}
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
                    collect(check.id, hit[0], 0.0, None)
                    continue
                cache_keys[(file.path, check.id)] = key
            if check.device == "accelerator":
                accel_work.append((file, check))
            elif check.batch_size > 1:
                batched[check.id].append(file)
            else:
                work.append((check.id, settings))
        if work:
            cpu_units.append(([file], work))
    for check_id, files in batched.items():
        check = registry.checks[check_id]
        work = [(check_id, config.check_settings(check_id))]
        cpu_units.extend((batch, work) for batch in _batches(files, check.batch_size))

    progress.start(sum(len(files) * len(work) for files, work in cpu_units) + len(accel_work))

    def store(results: list[Result]) -> None:
        for path, check_id, found, seconds, error in results:
            collect(check_id, found, seconds, error)
            key = cache_keys.get((path, check_id))
            if key and error is None:
                cache.put(key, found, seconds)
            progress.advance(1, path)

    _WORKER_CHECKS.clear()
    _WORKER_CHECKS.update({c.id: c for c in checks})
    _WORKER_RECOGNIZERS[:] = [factory for _, factory in registry.recognizer_factories]
    jobs = _jobs(options.jobs, cpu_units)
    if jobs > 1:
        _run_pool(cpu_units, jobs, store, [c.id for c in checks], config.seconds_per_file)
    else:
        for files, work in cpu_units:
            store(_scan_unit(files, work, "cpu", config.seconds_per_file))

    # --- accelerator checks: one at a time, on the chosen device -----------
    device_note = ""
    if accel_work:
        choice = resolve_device(options.device)
        device_note = choice.note
        for file, check in accel_work:
            if not choice.available:
                collect(check.id, [_skipped(check, file, choice)], 0.0, None)
                progress.advance(1, file.path)
                continue
            store(_scan_unit([file], [(check.id, config.check_settings(check.id))],
                             choice.device or "cpu"))

    # --- bundle checks -----------------------------------------------------
    for check in checks:
        if not check.scans_bundle:
            continue
        ctx = BundleContext(inventory=inventory, facts=facts,
                            settings=config.check_settings(check.id))
        t0 = time.perf_counter()
        try:
            found = _finish(check, None, check.scan_bundle(ctx))
            error = None
        except Exception as exc:
            found = [_failure(check, exc, ".", "docs")]
            error = "".join(traceback.format_exception(exc))
        collect(check.id, found, time.perf_counter() - t0, error)
    progress.stop()
    cache.save()

    # --- facts from checks, rules, policy ---------------------------------
    for check in checks:
        try:
            facts.update(check.facts(by_check.get(check.id, [])))
        except Exception as exc:
            by_check[check.id].append(_failure(check, exc, ".", "docs"))
            errors.append("".join(traceback.format_exception(exc)))
    for found in by_check.values():
        findings.extend(found)
    # One finding per id per file, identical content once: what a person reads.
    findings = aggregate(_dedupe(findings))

    packs, problems = load_packs(registry.rule_sources)
    raised, more_problems = scenarios(packs, facts.values, findings)
    for problem in [*problems, *more_problems]:
        findings.append(_rules_problem(problem))
    findings.sort(key=Finding.sort_key)

    recommendation = decide(policy, facts.values, findings, inventory.artifacts_present(), raised)
    timings["total"] = time.perf_counter() - started
    return Assessment(
        bundle_path=str(path),
        inventory=inventory,
        facts=facts,
        findings=findings,
        scenarios=raised,
        recommendation=recommendation,
        timings=dict(timings),
        registry=registry,
        config=config,
        device_note=device_note,
        cache_hits=cache.hits,
        errors=errors,
    )


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


def _rules_problem(problem) -> Finding:
    return Finding(
        id="plugin.rules-invalid",
        severity=Severity.MEDIUM,
        message=f"Rule pack from plugin {problem.plugin!r} skipped: {problem.problems[0]}"
        + (f" (and {len(problem.problems) - 1} more)" if len(problem.problems) > 1 else ""),
        location=Location(path="."),
        remediation="Run `aiart-release rules validate` on the pack and fix what it reports",
        matched=problem.source,
    ).with_defaults(check="rules", checkpoint=Checkpoint.PUBLISHING, artifact="docs")


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[str] = set()
    out = []
    for f in findings:
        if f.fingerprint in seen:
            continue
        seen.add(f.fingerprint)
        out.append(f)
    return out


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
