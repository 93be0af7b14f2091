"""Misuse rules: YAML packs, contributed by plugins, that read the facts and
findings of an assessment and raise misuse scenarios.

A pack is data: loaded with the safe YAML loader, validated against
``schemas/rules.schema.json``, evaluated with :mod:`aiart_release.conditions`
(no ``eval``). A pack that is invalid is reported and skipped.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .conditions import ConditionError, evaluate, fact_names
from .conditions import check as check_condition
from .findings import Finding
from .policy import tier_rank
from .readers.jsonfile import load_json
from .readers.limits import RULES_LIMITS
from .readers.yamlfile import (
    DataFileError,
    LoadedYaml,
    load_remembered,
    read_data_bytes,
    read_data_file,
    validate,
)
from .records import dataclass

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
        loaded = load_remembered(text, name, RULES_LIMITS)
    if not isinstance(loaded.data, dict):
        raise DataFileError([f"{loaded.filename}:1:1: a rule pack must be a mapping"])
    validate(loaded, "rules.schema.json")
    data = loaded.data
    for i, rule in enumerate(data["rules"]):
        for path, cond in _conditions(rule, ("rules", i)):
            try:
                check_condition(cond, f"{rule['id']}: {'.'.join(map(str, path[2:]))}")
            except ConditionError as exc:
                raise DataFileError([f"{loaded.where(list(path))}: {exc}"]) from None
        problem = _relaxation_problem(rule)
        if problem:
            raise DataFileError([f"{loaded.where(['rules', i, 'relaxes_to'])}: {rule['id']}: "
                                 f"{problem}"])
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
        for cond_path, cond in _conditions(rule, ("rules", i)):
            for path, name in fact_names(cond, cond_path):
                why = facts.unknown(name)
                if why:
                    problems.append(f"{loaded.where(path, key=True)}: {rule['id']}: {why}")
    if problems:
        raise DataFileError(problems)


# --- mitigations that may already be in place ----------------------------------
#
# A mitigation is a string, or {text, in_place: CONDITION}: the condition holds
# when the release already has it (its samples carry content credentials, a
# card asks for gated access). A rule may name `relaxes_to` tiers, which
# replace its `min_tier` only when every mitigation with an `in_place`
# condition holds; without `relaxes_to` a mitigation in place is reported as
# done and moves no tier (the conservative default).

def mitigation_text(item: Any) -> str:
    return item["text"] if isinstance(item, Mapping) else str(item)


def _conditions(rule: Mapping[str, Any], where: tuple) -> Iterator[tuple[tuple, Any]]:
    """``(path, condition)`` of a rule's `when` and of each `in_place`."""
    yield (*where, "when"), rule["when"]
    for j, item in enumerate(rule.get("mitigations", [])):
        if isinstance(item, Mapping) and "in_place" in item:
            yield (*where, "mitigations", j, "in_place"), item["in_place"]


def _relaxation_problem(rule: Mapping[str, Any]) -> str | None:
    """Why a rule's `relaxes_to` cannot stand, or None. It may only lower
    tiers the rule sets, and only behind at least one `in_place` condition."""
    relaxes = rule.get("relaxes_to")
    if not relaxes:
        return None
    if not any(isinstance(m, Mapping) and "in_place" in m for m in rule["mitigations"]):
        return "relaxes_to needs at least one mitigation with an in_place condition"
    minimum = rule.get("min_tier") or {}
    for artifact, tier in relaxes.items():
        if artifact not in minimum:
            return f"relaxes_to names {artifact}, which min_tier does not"
        if tier_rank(tier) > tier_rank(minimum[artifact]):
            return (f"relaxes_to {artifact}: {tier} is stricter than min_tier "
                    f"{artifact}: {minimum[artifact]}")
    return None


@dataclass
class Mitigations:
    """A raised rule's mitigations, split into those already in place (with
    the reasons) and those that remain."""

    in_place: list[dict[str, Any]] = field(default_factory=list)
    remaining: list[str] = field(default_factory=list)
    checkable: int = 0

    @property
    def all_checkable_in_place(self) -> bool:
        return self.checkable > 0 and len(self.in_place) == self.checkable


def weigh_mitigations(rule: Mapping[str, Any], facts: Mapping[str, Any],
                      findings: Sequence[Finding]) -> Mitigations:
    """Which of the rule's mitigations the release already has. A condition
    that cannot be evaluated counts as not in place."""
    out = Mitigations()
    for item in rule["mitigations"]:
        text = mitigation_text(item)
        cond = item.get("in_place") if isinstance(item, Mapping) else None
        if cond is None:
            out.remaining.append(text)
            continue
        out.checkable += 1
        try:
            outcome = evaluate(cond, facts, findings)
        except ConditionError:
            outcome = None
        if outcome is not None and outcome.holds:
            out.in_place.append({"mitigation": text, "because": outcome.because})
        else:
            out.remaining.append(text)
    return out


def effective_min_tier(rule: Mapping[str, Any], mitigations: Mitigations,
                       ) -> tuple[dict[str, str], bool]:
    """The rule's minimum tiers, relaxed to `relaxes_to` when every
    checkable mitigation is in place; and whether it was relaxed."""
    minimum = dict(rule.get("min_tier") or {})
    relaxes = rule.get("relaxes_to")
    if not relaxes or not mitigations.all_checkable_in_place:
        return minimum, False
    return {**minimum, **relaxes}, True


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
                scenario = raise_scenario(rule, facts, findings, f"{pack.name} {pack.version}")
            except ConditionError as exc:
                problems.append(RuleProblem(pack.plugin, pack.source, [f"{rule['id']}: {exc}"]))
                continue
            if scenario is not None:
                raised.append(scenario)
    raised.sort(key=lambda s: s["id"])
    return raised, problems


def raise_scenario(rule: Mapping[str, Any], facts: Mapping[str, Any],
                   findings: Sequence[Finding], pack: str = "") -> dict[str, Any] | None:
    """The scenario of one rule, or None when its condition does not hold.
    ``mitigations`` lists what remains to do; ``in_place`` what the release
    already has; ``min_tier`` is relaxed (``relaxed_from`` the rule's own)
    only as the rule's ``relaxes_to`` says. Raises ConditionError."""
    outcome = evaluate(rule["when"], facts, findings)
    if not outcome.holds:
        return None
    mitigations = weigh_mitigations(rule, facts, findings)
    scenario: dict[str, Any] = {
        "id": rule["id"],
        "title": rule["title"],
        **({"pack": pack} if pack else {}),
        "likelihood": rule["likelihood"],
        "impact": rule["impact"],
        "because": outcome.because,
        "mitigations": mitigations.remaining,
    }
    if mitigations.in_place:
        scenario["in_place"] = mitigations.in_place
    if rule.get("scenario"):
        scenario["scenario"] = dict(rule["scenario"])
    if rule.get("min_tier"):
        scenario["min_tier"], relaxed = effective_min_tier(rule, mitigations)
        if relaxed:
            scenario["relaxed_from"] = dict(rule["min_tier"])
    if rule.get("references"):
        scenario["references"] = list(rule["references"])
    return scenario


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
                scenario = raise_scenario(rule, data.get("facts", {}),
                                          _fixture_findings(data.get("findings", [])))
                error = _unexpected(data.get("expect"), scenario)
                results.append(FixtureResult(rule["id"], name, expected, scenario is not None,
                                             error))
            except (ValueError, DataFileError, KeyError, TypeError, ConditionError) as exc:
                results.append(FixtureResult(rule["id"], name, expected, False,
                                             f"{type(exc).__name__}: {exc}"))
    return results


def _unexpected(expect: Any, scenario: Mapping[str, Any] | None) -> str | None:
    """What a raised scenario does not do that the fixture's ``expect`` says
    it does: ``min_tier`` (after any relaxation) and ``in_place`` (a part of
    the text of each mitigation in place, and of no other)."""
    if not expect or scenario is None:
        return None
    if "min_tier" in expect and scenario.get("min_tier", {}) != expect["min_tier"]:
        return f"expected min_tier {expect['min_tier']}, got {scenario.get('min_tier', {})}"
    if "in_place" in expect:
        done = [m["mitigation"] for m in scenario.get("in_place", [])]
        wanted = list(expect["in_place"])
        if len(done) != len(wanted) or not all(
                any(w.lower() in d.lower() for d in done) for w in wanted):
            return f"expected in place {wanted}, got {done}"
    return None
