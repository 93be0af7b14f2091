"""Policy: findings + facts -> a tier and a retention per artifact, with the
reasons and what would allow a more open release.

The default policy is ``rules/policy.yaml`` (shipped as
``aiart_release.rules_data``); a user's file replaces or extends it. Every line
that raises an artifact above ``open`` becomes a reason, so the decision can
always be explained.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .conditions import ConditionError, evaluate, fact_names
from .conditions import check as check_condition
from .findings import RELEASE_ARTIFACTS, Finding
from .readers.limits import CONFIG_LIMITS
from .readers.yamlfile import (
    DataFileError,
    LoadedYaml,
    load_yaml,
    parsed_shipped,
    read_data_file,
    validate,
)
from .records import dataclass

if TYPE_CHECKING:
    from .facts import DeclaredFacts

TIERS = ("open", "gated", "closed")
INDEFINITE = "indefinite"


class PolicyError(DataFileError):
    """The policy file cannot be used (exit code 2)."""


def tier_rank(tier: str) -> int:
    return TIERS.index(tier)


@dataclass
class PolicyLine:
    id: str
    when: dict[str, Any]
    tier: str
    artifacts: str | list[str]
    because: str
    to_lower: str
    data_class: str | None = None
    # "artifact": for each named artifact, the condition sees only the
    # findings in that artifact. "bundle": it sees them all.
    scope: str = "bundle"


@dataclass
class Policy:
    source: str
    lines: list[PolicyLine]
    default_retention: str
    classes: dict[str, dict[str, str]]


@dataclass
class ArtifactDecision:
    tier: str = "open"
    retention: str = INDEFINITE
    retention_reason: str = ""
    reasons: list[str] = field(default_factory=list)
    to_lower: list[str] = field(default_factory=list)
    data_classes: list[str] = field(default_factory=list)
    forced_by: list[str] = field(default_factory=list)
    # Fingerprints of the findings that raised this tier, with the tier
    # each raised it to: what to fix first.
    raised_by: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "tier": self.tier,
            "retention": self.retention,
            "reasons": self.reasons,
            "to_lower": self.to_lower,
        }
        if self.retention_reason:
            out["retention_reason"] = self.retention_reason
        if self.data_classes:
            out["data_classes"] = self.data_classes
        return out


@dataclass
class Recommendation:
    overall: str
    artifacts: dict[str, ArtifactDecision]

    def to_dict(self) -> dict[str, Any]:
        return {
            "overall": self.overall,
            "artifacts": {name: d.to_dict() for name, d in self.artifacts.items()},
        }

    def holds_back(self, finding: Finding) -> list[tuple[str, str]]:
        """``(artifact, tier)`` for each artifact this finding holds back from
        open, strictest first."""
        out = [(name, d.raised_by[finding.fingerprint]) for name, d in self.artifacts.items()
               if finding.fingerprint in d.raised_by]
        return sorted(out, key=lambda item: -tier_rank(item[1]))


def _default_text() -> str:
    return resources.files("aiart_release.rules_data").joinpath("policy.yaml").read_text("utf-8")


def _load_file(text: str, filename: str, check_schema: bool = True,
               facts: DeclaredFacts | None = None) -> LoadedYaml:
    try:
        loaded = load_yaml(text, filename, CONFIG_LIMITS)
        if not isinstance(loaded.data, dict):
            raise DataFileError([f"{filename}:1:1: a policy must be a mapping"])
        if check_schema:
            validate(loaded, "policy.schema.json")
            _check_conditions(loaded)
        if facts is not None:
            _check_facts(loaded, facts)
    except DataFileError as exc:
        raise PolicyError(exc.problems, exc.limit) from None
    return loaded


def _check_conditions(loaded: LoadedYaml) -> None:
    """Reject a policy whose conditions use unknown operators or severities,
    at the line of the condition."""
    problems = []
    for i, line in enumerate(loaded.data.get("lines", [])):
        if "when" not in line or line.get("disabled"):
            continue
        try:
            check_condition(line["when"], "when")
        except ConditionError as exc:
            problems.append(f"{loaded.where(['lines', i, 'when'])}: line {line['id']!r}: {exc}")
    if problems:
        raise DataFileError(problems)


def _check_facts(loaded: LoadedYaml, facts: DeclaredFacts) -> None:
    """Reject a policy whose conditions name a fact nobody declares, at the
    line that names it: a misspelt fact would make its line never fire."""
    problems = []
    for i, line in enumerate(loaded.data.get("lines", [])):
        if not isinstance(line, dict) or line.get("disabled"):
            continue
        for path, name in fact_names(line.get("when"), ("lines", i, "when")):
            why = facts.unknown(name)
            if why:
                problems.append(f"{loaded.where(path, key=True)}: line {line.get('id')!r}: {why}")
    if problems:
        raise DataFileError(problems)


def load_policy(override: Path | None = None, facts: DeclaredFacts | None = None) -> Policy:
    """The default policy, merged with (or replaced by) ``override``.

    With ``facts`` (the declared facts, :func:`aiart_release.facts.declared_facts`),
    the override may name only those; the shipped policy is checked against
    the built-in checks' facts by the test suite."""
    # The shipped policy is validated by the test suite, not on every run
    # (that would import jsonschema for every assessment).
    base = parsed_shipped(_default_text(), "policy.yaml")
    if override is None:
        return _build(base, "default")
    # Read as untrusted: a regular file within the limit, never quoted.
    text = read_data_file(override, CONFIG_LIMITS.max_bytes, "policy", PolicyError)
    user = _load_file(text, str(override), facts=facts).data
    if user.get("extends", "default") == "none":
        merged = user
        if "lines" not in merged or "retention" not in merged:
            raise PolicyError([f"{override}:1:1: with `extends: none` a policy needs "
                               "`retention` and `lines`"])
    else:
        merged = _merge(base, user)
    return _build(merged, str(override))


def _merge(base: dict[str, Any], user: dict[str, Any]) -> dict[str, Any]:
    lines = {line["id"]: line for line in base.get("lines", [])}
    for line in user.get("lines", []):
        lines[line["id"]] = line
    retention = dict(base.get("retention", {}))
    user_retention = user.get("retention", {})
    if "default" in user_retention:
        retention["default"] = user_retention["default"]
    classes = dict(retention.get("classes", {}))
    classes.update(user_retention.get("classes", {}))
    retention["classes"] = classes
    return {"version": 1, "retention": retention, "lines": list(lines.values())}


def _build(data: dict[str, Any], source: str) -> Policy:
    retention = data.get("retention", {})
    classes = retention.get("classes", {})
    lines = []
    for raw in data.get("lines", []):
        if raw.get("disabled"):
            continue
        if raw.get("data_class") and raw["data_class"] not in classes:
            raise PolicyError(
                [f"{source}: line {raw['id']!r} names data class {raw['data_class']!r}, "
                 "which has no retention"]
            )
        lines.append(
            PolicyLine(
                id=raw["id"],
                when=raw["when"],
                tier=raw["tier"],
                artifacts=raw["artifacts"],
                because=" ".join(raw["because"].split()),
                to_lower=" ".join(raw["to_lower"].split()),
                data_class=raw.get("data_class"),
                scope=raw.get("scope", "bundle"),
            )
        )
    return Policy(
        source=source,
        lines=lines,
        default_retention=retention.get("default", INDEFINITE),
        classes=classes,
    )


def duration_days(duration: str) -> float:
    """Approximate length of an ISO 8601 duration in days, for ordering."""
    if duration == INDEFINITE:
        return float("inf")
    match = re.fullmatch(r"P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?", duration)
    if not match:
        raise ValueError(f"not an ISO 8601 duration: {duration!r}")
    years, months, weeks, days = (int(g or 0) for g in match.groups())
    return years * 365.25 + months * 30.44 + weeks * 7 + days


def decide(
    policy: Policy,
    facts: Mapping[str, Any],
    findings: Sequence[Finding],
    present: Sequence[str],
    scenarios: Sequence[Mapping[str, Any]] = (),
) -> Recommendation:
    """Apply every policy line (and each misuse scenario's minimum tiers)."""
    decisions = {artifact: ArtifactDecision() for artifact in present}
    raised: dict[str, list[tuple[int, str, str]]] = {a: [] for a in present}

    for line in policy.lines:
        for artifact, outcome in _outcomes(policy, line, facts, findings, present):
            # The findings in this artifact (or its docs) are what hold it back.
            own = ([f for f in outcome.findings if f.artifact in (artifact, "docs")]
                   or outcome.findings)
            evidence = _evidence(own) or "; ".join(outcome.because)
            decision = decisions[artifact]
            if line.data_class and line.data_class not in decision.data_classes:
                decision.data_classes.append(line.data_class)
            if line.tier == "open":
                continue
            decision.tier = max(decision.tier, line.tier, key=tier_rank)
            for f in own:
                known = decision.raised_by.get(f.fingerprint, "open")
                decision.raised_by[f.fingerprint] = max(known, line.tier, key=tier_rank)
            reason = f"{line.tier}: {line.because} [{line.id}: {evidence}]"
            raised[artifact].append((tier_rank(line.tier), reason, line.to_lower))
            decision.forced_by.append(line.id)

    for scenario in scenarios:
        for artifact, tier in (scenario.get("min_tier") or {}).items():
            if artifact in decisions and tier in TIERS and tier != "open":
                decision = decisions[artifact]
                decision.tier = max(decision.tier, tier, key=tier_rank)
                reason = f"{tier}: misuse scenario {scenario['id']}: {scenario.get('title', '')}"
                if scenario.get("because"):
                    reason += " [" + "; ".join(scenario["because"][:3]) + "]"
                mitigation = "; ".join(scenario.get("mitigations", [])) or "Mitigate the scenario"
                raised[artifact].append((tier_rank(tier), reason.rstrip(": "), mitigation))
                decision.forced_by.append(scenario["id"])

    for artifact, decision in decisions.items():
        # Strictest first: what to fix to step down from closed comes first.
        ordered = sorted(raised[artifact], key=lambda r: -r[0])
        decision.reasons = list(dict.fromkeys(r[1] for r in ordered))
        decision.to_lower = list(dict.fromkeys(r[2] for r in ordered))
        decision.retention, decision.retention_reason = _retention(policy, decision.data_classes)

    overall = max((d.tier for d in decisions.values()), key=tier_rank, default="open")
    return Recommendation(overall=overall, artifacts=decisions)


def _outcomes(policy: Policy, line: PolicyLine, facts: Mapping[str, Any],
              findings: Sequence[Finding], present: Sequence[str]):
    """``(artifact, outcome)`` for each artifact the line holds for.

    A line scoped to the artifact weighs only what is in each of them:
    personal data in a code comment moves the code's tier, never the
    dataset's. A ``matched`` line holds for the artifacts of the findings
    that made it hold (documentation ships with every artifact). Otherwise
    the line holds for every artifact it names (a failed plugin gates all)."""
    def run(scoped: Sequence[Finding]):
        try:
            return evaluate(line.when, facts, scoped)
        except ConditionError as exc:
            raise PolicyError([f"{policy.source}: line {line.id!r}: {exc}"]) from None

    if line.artifacts == "matched" or line.scope != "artifact":
        outcome = run(findings)
        if outcome.holds:
            for artifact in _targets(line.artifacts, outcome.findings, present):
                yield artifact, outcome
        return
    for artifact in present:
        if artifact in line.artifacts:
            outcome = run([f for f in findings if f.artifact == artifact])
            if outcome.holds:
                yield artifact, outcome


def _targets(
    spec: str | list[str], matched: Sequence[Finding], present: Sequence[str]
) -> list[str]:
    if spec == "matched":
        wanted: set[str] = set()
        for f in matched:
            if f.artifact in RELEASE_ARTIFACTS:
                wanted.add(f.artifact)
            else:  # docs ship with every artifact
                wanted.update(present)
        if not matched:
            wanted.update(present)
    else:
        wanted = set(spec)
    return [a for a in present if a in wanted]


def _evidence(findings: Sequence[Finding]) -> str:
    places = []
    for f in findings[:3]:
        places.append(f"{f.id} at {f.location.path}")
    if len(findings) > 3:
        places.append(f"and {len(findings) - 3} more")
    return ", ".join(places)


def _retention(policy: Policy, classes: list[str]) -> tuple[str, str]:
    if not classes:
        return policy.default_retention, (
            "no personal, special-category or unlicensed third-party data was found"
        )
    shortest = min(classes, key=lambda c: duration_days(policy.classes[c]["retention"]))
    entry = policy.classes[shortest]
    return entry["retention"], f"{shortest}: {' '.join(entry['why'].split())}"


def stricter(recommended: str, declared: str) -> bool:
    return tier_rank(recommended) > tier_rank(declared)
