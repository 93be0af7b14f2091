"""The assessment, stage by stage: the floor plan of aiart-release.

``assess`` calls each stage once, in the order of DESIGN.md's flow, and each
stage takes what the one before returned and returns a new value:

    bundle path -> inventory -> declared facts -> checks (findings)
                -> derived facts -> misuse scenarios -> decision
                -> Assessment, masked for display

A reader follows a bundle from ``cli.py`` to the exit code by reading
``assess`` and the functions it names; docs/architecture.md says where each
module sits.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from . import baseline, ignores, masking
from .aggregate import aggregate
from .assessment import Assessment
from .bundle import RELEASED_ARTIFACTS, BundleError, Inventory, build_inventory
from .cache import KindMemo
from .checks import Check
from .config import Config
from .engine import Options, run_checks, safe_cache_dir
from .facts import Facts, declared_facts, gather_facts
from .findings import Checkpoint, Finding, Location, Severity
from .plugins import Registry
from .policy import Policy, decide
from .rules import RuleProblem, load_packs, scenarios
from .watchdog import guarded


def released_artifacts(inventory: Inventory, facts: Facts) -> list[str]:
    """The artifacts the release holds: those of its files, and those it
    publishes by link (``published_by_link``: a README describing the
    dataset the release is named after, whose files are downloaded from
    elsewhere; the people in it are released all the same; and
    ``model_downloads``: the release's own download script fetching
    weights named after it, its model published by link; and
    ``dataset_downloads``: the release's own download script fetching its
    dataset's files, its dataset published by link)."""
    present = set(inventory.artifacts_present())
    linked = list(facts.values.get("published_by_link") or [])
    for fact, artifact in (("model_downloads", "model"), ("dataset_downloads", "dataset")):
        if facts.values.get(fact):
            linked.append(artifact)
    present.update(a for a in linked if a in RELEASED_ARTIFACTS)
    return [a for a in RELEASED_ARTIFACTS if a in present]


def assess(path: Path, registry: Registry, config: Config, policy: Policy,
           options: Options | None = None) -> Assessment:
    """Assess the bundle at ``path`` with the plugins of ``registry``, the
    user's ``config`` and ``policy``. Raises BundleError when the bundle
    holds nothing to assess."""
    options = options or Options()
    started = time.perf_counter()
    with masking.using(collect_maskers(registry)) as gate:
        # Read first: a baseline that cannot be used stops the run at once.
        accepted = baseline.load(path)
        inventory = take_inventory(path, registry, config, options)
        declared = gather_facts(inventory, config)
        run = run_checks(path, inventory, declared, registry, config, options)
        if not options.show_pii:
            # Merging names the fields it merges in prose ("also in `x`"):
            # the gate reads them as identifiers while they are fields.
            gate.learn_identifiers([*inventory.findings, *run.findings])
        findings, suppressed, provided = set_aside_accepted(
            inventory, registry, run.findings, run.provided,
            ignores.from_config(path, config, registry.checks.values()), accepted)
        facts = derive_facts(declared, provided)
        raised, findings = raise_scenarios(registry, facts, findings)
        recommendation = decide(policy, facts.values, findings,
                                released_artifacts(inventory, facts), raised)
        assessment = Assessment(
            bundle_path=str(path),
            inventory=inventory,
            facts=facts,
            findings=findings,
            scenarios=raised,
            recommendation=recommendation,
            timings={**run.timings, "total": time.perf_counter() - started},
            registry=registry,
            config=config,
            device_note=run.device_note,
            devices=run.devices,
            cache_hits=run.cache_hits,
            errors=run.errors,
        )
        assessment.suppressed = suppressed
        if options.composition:
            assessment.composition = summarize_composition(inventory, assessment.timings)
        return mask_for_display(assessment, gate, options.show_pii)


def summarize_composition(inventory: Inventory, timings: dict[str, float],
                          ) -> dict[str, Any] | None:
    """The dataset composition summary (counts to reflect on: no finding,
    no tier), timed as its own stage."""
    from . import composition

    started = time.perf_counter()
    summary = composition.summarize(inventory)
    if summary is not None:
        timings["composition"] = time.perf_counter() - started
    return summary


def collect_maskers(registry: Registry) -> list[tuple[str, masking.Masker]]:
    """``(plugin, masker)`` for each masker the plugins register through
    ``aiart_release_register_maskers``. A hook that raises, or registers
    something that is not callable, is a plugin failure (reported as
    ``plugin.load-failed``); the other plugins' maskers still arrive."""
    maskers: list[tuple[str, masking.Masker]] = []
    for impl in registry.pm.hook.aiart_release_register_maskers.get_hookimpls():
        def register(masker: masking.Masker, plugin: str = impl.plugin_name) -> None:
            if not callable(masker):
                raise ValueError(f"{masker!r} is not a callable masker")
            maskers.append((plugin, masker))

        # A third-party hook must not stop the assessment, even by SystemExit.
        _, exc = guarded(None, lambda function=impl.function: function(register=register))
        if exc is not None:
            registry._fail(impl.plugin_name, "register_maskers", exc)
    return maskers


def mask_for_display(assessment: Assessment, gate: masking.Gate,
                     show_pii: bool) -> Assessment:
    """The assessment as reporters may show it: every text taken from the
    bundle through the masking gate and no raw value kept (fingerprints are
    of the raw values, so baselines still match). Under ``--show-pii``,
    unchanged."""
    if show_pii:
        return assessment
    started = time.perf_counter()
    masked = assessment.masked(gate)
    failed = [_masker_failure(plugin, error) for plugin, error in dict(gate.failures).items()]
    masked.findings = sorted([*masked.findings, *failed], key=Finding.sort_key)
    masked.timings["masking"] = time.perf_counter() - started
    return masked


def take_inventory(path: Path, registry: Registry, config: Config,
                   options: Options) -> Inventory:
    """One walk of the bundle, each file classified by the plugins; the kinds
    of files unchanged since an earlier walk come from the result cache
    (``cache.KindMemo``), as the checks' results do."""
    use_cache = options.use_cache and not options.show_pii
    memo = KindMemo(safe_cache_dir(options.cache_dir, path) if use_cache else None,
                    registry, config.sniff_bytes)
    try:
        inventory = build_inventory(
            path,
            registry.classify,
            exclude=[*config.exclude, *options.exclude],
            artifact_globs=config.artifacts,
            max_file_size=config.max_file_size,
            sniff_bytes=config.sniff_bytes,
            remembered=memo,
        )
    finally:
        memo.save()
    if not inventory.files and not inventory.findings:
        raise BundleError(f"'{path}' holds no files to assess")
    return inventory


def derive_facts(declared: Facts, provided: Sequence[tuple[Check, dict[str, Any]]]) -> Facts:
    """The declared facts and those the checks derived from their findings,
    merged in check-id order, as a new value."""
    facts = declared
    for _check, more in provided:
        facts = facts.merged(more)
    return facts


def merge_findings(inventory: Inventory, registry: Registry,
                   found: Sequence[Finding]) -> list[Finding]:
    """Everything found, as a person reads it: the inventory's findings,
    plugins that failed to load, then the checks'; identical findings once,
    one finding per id per file."""
    every = [*inventory.findings, *_plugin_failure_findings(registry), *found]
    return aggregate(_dedupe(every))


def set_aside_accepted(inventory: Inventory, registry: Registry, found: Sequence[Finding],
                       provided: Sequence[tuple[Check, dict[str, Any]]],
                       ignored: ignores.Ignores, accepted: baseline.Baseline,
                       ) -> tuple[list[Finding], list[ignores.Suppressed],
                                  list[tuple[Check, dict[str, Any]]]]:
    """The findings merged as a person reads them (:func:`merge_findings`),
    less those a person accepted, which are set aside with the reason; and
    the checks' facts, derived again without them. What was accepted never
    reaches the rules, the policy or the gate (docs/baseline.md).

    Inline and config ignores and the allow-list judge each finding as its
    check reported it (they need its lines and its value); the baseline
    judges the merged findings, whose fingerprints the report shows."""
    every = [*inventory.findings, *_plugin_failure_findings(registry), *found]
    kept, suppressed, problems = ignored.apply(every)
    merged = _merged_with_parts([*kept, *problems], parts=bool(accepted.entries))
    findings, baselined = accepted.apply([f for f, _ in merged])
    accepted_fingerprints = {s.finding.fingerprint for s in baselined}
    set_aside = {id(s.finding) for s in suppressed}
    set_aside.update(id(part) for f, parts in merged if f.fingerprint in accepted_fingerprints
                     for part in parts)
    if not set_aside:
        return findings, suppressed, list(provided)
    return findings, [*suppressed, *baselined], _facts_without(provided, found, set_aside)


def _merged_with_parts(found: Sequence[Finding], parts: bool,
                       ) -> list[tuple[Finding, list[Finding]]]:
    """The findings merged as :func:`merge_findings` merges them, each with
    the findings it was merged from when ``parts`` is asked for (the
    baseline's facts need them). Found by merging copies whose ``matched``
    names their index: merging groups by ids, paths, contexts and content
    hashes, never by ``matched``, and joins the ``matched`` of what it
    merges."""
    every = _dedupe(list(found))
    merged = aggregate(every)
    if not parts:
        return [(f, []) for f in merged]
    marked = aggregate([replace(f, matched=f"#{i}") for i, f in enumerate(every)])
    return [(f, [every[int(n.strip()[1:])] for n in (m.matched or "").split(",") if n.strip()])
            for f, m in zip(merged, marked, strict=True)]


def _facts_without(provided: Sequence[tuple[Check, dict[str, Any]]], found: Sequence[Finding],
                   set_aside: set[int]) -> list[tuple[Check, dict[str, Any]]]:
    """Each check's facts derived again from its findings less those set
    aside (``id()`` of each). A check whose ``facts`` fails keeps the facts
    it gave with them (fail closed: what was accepted still counts)."""
    out = []
    for check, facts in provided:
        own = [f for f in found if f.check == check.id]
        kept = [f for f in own if id(f) not in set_aside]
        if len(kept) == len(own):
            out.append((check, facts))
            continue
        again, exc = guarded(None, check.provided_facts, kept)
        out.append((check, {**facts, **again} if exc is None and isinstance(again, dict)
                    else facts))
    return out


def raise_scenarios(registry: Registry, facts: Facts, findings: list[Finding],
                    ) -> tuple[list[dict[str, Any]], list[Finding]]:
    """The misuse scenarios the registered rule packs raise on these facts
    and findings, and the findings with a ``plugin.rules-invalid`` finding
    for each pack or rule that could not be used (one naming a fact no check
    declares, say), in report order."""
    # The built-in packs are tested against the built-in checks' facts; at
    # run time a fact of a built-in plugin the user disabled is absent, not
    # misspelt. Third-party packs may name only declared facts.
    builtin = {p.name for p in registry.plugins if p.builtin}
    ours = [(plugin, source) for plugin, source in registry.rule_sources if plugin in builtin]
    theirs = [(plugin, source) for plugin, source in registry.rule_sources
              if plugin not in builtin]
    packs, problems = load_packs(ours)
    more_packs, more = load_packs(theirs, declared_facts(registry.checks.values()))
    packs, problems = [*packs, *more_packs], [*problems, *more]
    raised, more_problems = scenarios(packs, facts.values, findings)
    findings = [*findings, *(_rules_problem(p) for p in [*problems, *more_problems])]
    return raised, sorted(findings, key=Finding.sort_key)


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


def _masker_failure(plugin: str, error: str) -> Finding:
    return Finding(
        id="plugin.masker-failed",
        severity=Severity.HIGH,
        message=f"A masker of plugin {plugin!r} failed ({error}): the texts it was given "
                "were masked whole",
        location=Location(path="."),
        remediation=f"Fix or uninstall the plugin, or set AIART_RELEASE_DISABLE_PLUGINS="
                    f"{plugin} to skip it",
        matched=f"{plugin}:masker",
    ).with_defaults(check="plugins", checkpoint=Checkpoint.PUBLISHING, artifact="docs")


def _rules_problem(problem: RuleProblem) -> Finding:
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
