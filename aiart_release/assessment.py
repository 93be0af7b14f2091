"""The Assessment: what ``pipeline.assess`` returns and every reporter reads.

It holds each stage's result, judges the gate (the exit code's question) and
writes the JSON form of DESIGN.md.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from . import __version__
from .bundle import Inventory
from .config import Config
from .facts import Facts
from .findings import Finding, Severity, plural
from .plugins import Registry
from .policy import Recommendation, stricter

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
    cache_hits: int = 0
    errors: list[str] = field(default_factory=list)  # tracebacks, shown under --debug

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
