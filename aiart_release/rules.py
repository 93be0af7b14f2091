"""Misuse rules: YAML packs, contributed by plugins, that read the facts and
findings of an assessment and raise misuse scenarios.

A pack is data: loaded with the safe YAML loader, validated against
``schemas/rules.schema.json``, evaluated with :mod:`aiart_release.conditions`
(no ``eval``). A pack that is invalid is reported and skipped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .conditions import ConditionError, evaluate, fact_names
from .conditions import check as check_condition
from .findings import Finding
from .readers.jsonfile import load_json
from .readers.limits import RULES_LIMITS
from .readers.yamlfile import (
    DataFileError,
    LoadedYaml,
    load_yaml,
    read_data_bytes,
    read_data_file,
    validate,
)

if TYPE_CHECKING:
    from .facts import DeclaredFacts


@dataclass
class RulePack:
    name: str
    version: str
    plugin: str
    source: str
    rules: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class RuleProblem:
    plugin: str
    source: str
    problems: list[str]


def _read(source: Any) -> tuple[str, str]:
    """(text, name) of a pack given as a path or traversable: a regular file
    within RULES_LIMITS; raises DataFileError naming the file."""
    name = str(source) if isinstance(source, (str, Path)) else str(getattr(source, "name", source))
    return read_data_file(source, RULES_LIMITS.max_bytes, "rule pack"), name


def load_pack(source: Any, plugin: str = "", facts: DeclaredFacts | None = None) -> RulePack:
    """Load and validate one pack; raise DataFileError with positions. With
    ``facts`` (the declared facts), its conditions may name only those."""
    if isinstance(source, Mapping):
        loaded = LoadedYaml(data=dict(source), node=None, filename=f"<pack from {plugin}>")
    else:
        text, name = _read(source)
        loaded = load_yaml(text, name, RULES_LIMITS)
    if not isinstance(loaded.data, dict):
        raise DataFileError([f"{loaded.filename}:1:1: a rule pack must be a mapping"])
    validate(loaded, "rules.schema.json")
    data = loaded.data
    for i, rule in enumerate(data["rules"]):
        try:
            check_condition(rule["when"], f"{rule['id']}: when")
        except ConditionError as exc:
            raise DataFileError([f"{loaded.where(['rules', i, 'when'])}: {exc}"]) from None
    if facts is not None:
        _check_facts(loaded, facts)
    return RulePack(
        name=data["pack"],
        version=str(data["version"]),
        plugin=plugin,
        source=loaded.filename,
        rules=list(data["rules"]),
    )


def _check_facts(loaded: LoadedYaml, facts: DeclaredFacts) -> None:
    """Every fact the pack's conditions name must be declared: a misspelt
    fact would make its rule silently never fire."""
    problems = []
    for i, rule in enumerate(loaded.data["rules"]):
        for path, name in fact_names(rule["when"], ("rules", i, "when")):
            why = facts.unknown(name)
            if why:
                problems.append(f"{loaded.where(path, key=True)}: {rule['id']}: {why}")
    if problems:
        raise DataFileError(problems)


def load_packs(sources: Sequence[tuple[str, Any]], facts: DeclaredFacts | None = None,
               ) -> tuple[list[RulePack], list[RuleProblem]]:
    """Every registered pack that loads; problems for the others."""
    packs, problems = [], []
    seen_ids: dict[str, str] = {}
    for plugin, source in sources:
        try:
            pack = load_pack(source, plugin, facts)
        except DataFileError as exc:
            problems.append(RuleProblem(plugin, str(source), exc.problems))
            continue
        duplicates = [r["id"] for r in pack.rules if r["id"] in seen_ids]
        if duplicates:
            problems.append(
                RuleProblem(plugin, pack.source, [
                    f"{pack.source}: rule {rid!r} is already defined by pack {seen_ids[rid]!r}"
                    for rid in duplicates
                ])
            )
            continue
        for rule in pack.rules:
            seen_ids[rule["id"]] = pack.name
        packs.append(pack)
    return packs, problems


def scenarios(
    packs: Sequence[RulePack], facts: Mapping[str, Any], findings: Sequence[Finding]
) -> tuple[list[dict[str, Any]], list[RuleProblem]]:
    """The misuse scenarios whose conditions hold, in rule-id order."""
    raised, problems = [], []
    for pack in packs:
        for rule in pack.rules:
            try:
                outcome = evaluate(rule["when"], facts, findings)
            except ConditionError as exc:
                problems.append(RuleProblem(pack.plugin, pack.source, [f"{rule['id']}: {exc}"]))
                continue
            if not outcome.holds:
                continue
            scenario = {
                "id": rule["id"],
                "title": rule["title"],
                "pack": f"{pack.name} {pack.version}",
                "likelihood": rule["likelihood"],
                "impact": rule["impact"],
                "because": outcome.because,
                "mitigations": list(rule["mitigations"]),
            }
            if rule.get("scenario"):
                scenario["scenario"] = dict(rule["scenario"])
            if rule.get("min_tier"):
                scenario["min_tier"] = dict(rule["min_tier"])
            if rule.get("references"):
                scenario["references"] = list(rule["references"])
            raised.append(scenario)
    raised.sort(key=lambda s: s["id"])
    return raised, problems


# --- fixtures: positive and negative examples beside each rule ----------------

@dataclass
class FixtureResult:
    rule: str
    name: str
    expected: bool
    held: bool
    error: str | None = None

    @property
    def passed(self) -> bool:
        return self.error is None and self.expected == self.held


def fixtures_of(source: Any) -> Any | None:
    """The fixtures folder of a pack file: ``fixtures/`` beside it."""
    if isinstance(source, (str, Path)):
        folder = Path(source).parent / "fixtures"
        return folder if folder.is_dir() else None
    parent = getattr(source, "parent", None)
    if parent is not None:
        folder = parent / "fixtures"
        return folder if folder.is_dir() else None
    return None


def _fixture_findings(items: list[dict[str, Any]]) -> list[Finding]:
    from .findings import Location, Severity

    out = []
    for item in items:
        out.append(Finding(
            id=item["id"], severity=Severity.parse(item.get("severity", "medium")),
            message="fixture", location=Location(path=item.get("path", "fixture")),
            artifact=item.get("artifact", "dataset"), count=item.get("count"),
            context=item.get("context"),
        ).with_defaults(check=item.get("check", "fixture"), checkpoint=_checkpoint(),
                        artifact=item.get("artifact", "dataset")))
    return out


def _checkpoint():
    from .findings import Checkpoint

    return Checkpoint.DATASET


def run_fixtures(pack: RulePack, folder: Any) -> list[FixtureResult]:
    """Evaluate each rule on its fixtures: ``positive-*.json`` must raise the
    scenario, ``negative-*.json`` must not. A rule with no positive and no
    negative fixture fails."""
    results = []
    for rule in pack.rules:
        rule_dir = folder / rule["id"] if folder is not None else None
        names = sorted(p.name for p in rule_dir.iterdir()) if rule_dir is not None and \
            rule_dir.is_dir() else []
        kinds = {n.split("-", 1)[0] for n in names}
        if not {"positive", "negative"} <= kinds:
            results.append(FixtureResult(rule["id"], "(fixtures)", True, False,
                                         "needs at least one positive-*.json and one "
                                         "negative-*.json fixture"))
        for name in names:
            if not name.endswith(".json") or name.split("-", 1)[0] not in ("positive",
                                                                            "negative"):
                continue
            expected = name.startswith("positive")
            try:
                data = load_json(read_data_bytes(rule_dir / name, RULES_LIMITS.max_bytes,
                                                 "fixture"), RULES_LIMITS)
                outcome = evaluate(rule["when"], data.get("facts", {}),
                                   _fixture_findings(data.get("findings", [])))
                results.append(FixtureResult(rule["id"], name, expected, outcome.holds))
            except (ValueError, DataFileError, KeyError, TypeError, ConditionError) as exc:
                results.append(FixtureResult(rule["id"], name, expected, False,
                                             f"{type(exc).__name__}: {exc}"))
    return results
