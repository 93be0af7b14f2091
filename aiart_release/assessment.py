"""The Assessment: what ``pipeline.assess`` returns and every reporter reads.

It holds each stage's result, judges the gate (the exit code's question) and
writes the JSON form of DESIGN.md. What ``pipeline.assess`` returns has
passed the masking gate (:meth:`Assessment.masked`) unless the user asked
for ``--show-pii``: its findings, scenarios, reasons, bundle path and errors
hold no raw personal data, and its findings no raw matched value. The
inventory and the facts are the stages' own values, for the gate and the
policy; a reporter shows counts of them, never their paths or values.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import field, replace
from typing import TYPE_CHECKING, Any

from . import __version__
from .bundle import Inventory
from .config import Config
from .facts import Facts
from .findings import Finding, Severity, plural
from .ignores import Suppressed
from .plugins import Registry
from .policy import Recommendation, stricter
from .records import dataclass

if TYPE_CHECKING:
    from .masking import Gate

SCHEMA_VERSION = "1"


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
    # The device each accelerator check ran on (engine.CheckRun.devices).
    devices: dict[str, str] = field(default_factory=dict)
    cache_hits: int = 0
    errors: list[str] = field(default_factory=list)  # tracebacks, shown under --debug
    # Findings a person accepted (baseline, inline or config ignore, allow-list):
    # in the JSON and the summary, never in the gate, the rules or the policy.
    suppressed: list[Suppressed] = field(default_factory=list)
    # The dataset composition summary (composition.py): counts only, to
    # reflect on, never a verdict; None when the bundle has no dataset.
    composition: dict[str, Any] | None = None

    @property
    def plugin_failed(self) -> bool:
        """Whether a plugin or check failed (``--strict`` exits 3 on it)."""
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

    def masked(self, gate: Gate) -> Assessment:
        """This assessment with every text a reporter shows through ``gate``:
        findings (raw values dropped, fingerprints kept), scenarios, the
        recommendation's reasons, the bundle path and the errors."""
        redact = gate.redact
        gate.learn_identifiers(self.findings)
        recommendation = Recommendation(
            overall=self.recommendation.overall,
            artifacts={name: replace(d, reasons=[redact(r) for r in d.reasons],
                                     to_lower=[redact(t) for t in d.to_lower],
                                     retention_reason=redact(d.retention_reason),
                                     raised_by=dict(d.raised_by))
                       for name, d in self.recommendation.artifacts.items()},
        )
        return replace(
            self,
            bundle_path=redact(self.bundle_path),
            findings=[gate.finding(f) for f in self.findings],
            scenarios=[_masked_scenario(s, redact) for s in self.scenarios],
            recommendation=recommendation,
            timings=dict(self.timings),
            errors=[redact(e) for e in self.errors],
            suppressed=[s.masked(gate) for s in self.suppressed],
        )

    def to_dict(self, show_pii: bool = False) -> dict[str, Any]:
        """The assessment in the JSON form of DESIGN.md."""
        plugins = [
            f"{p.name} {p.version}" if p.version else p.name
            for p in self.registry.plugins
            if p.error is None
        ]
        out = {
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
        if self.suppressed:  # only when something was accepted: other JSON is unchanged
            out["suppressed"] = [s.to_dict(show_pii=show_pii) for s in self.suppressed]
        if self.composition is not None:  # only with a dataset: other JSON is unchanged
            out["composition"] = self.composition
        if self.devices:  # only when a check ran the model: the JSON of others is unchanged
            out["devices"] = dict(sorted(self.devices.items()))
        return out


# Scenario fields that are the rule's own codes, not text.
_SCENARIO_CODES = frozenset({"id", "likelihood", "impact", "min_tier", "relaxed_from"})


def _masked_scenario(scenario: dict[str, Any], redact) -> dict[str, Any]:
    def walk(value: Any) -> Any:
        if isinstance(value, str):
            return redact(value)
        if isinstance(value, list):
            return [walk(v) for v in value]
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        return value

    return {key: value if key in _SCENARIO_CODES else walk(value)
            for key, value in scenario.items()}
