"""Findings: what a check reports, in the form DESIGN.md fixes for JSON.

A finding never holds raw personal data in a serialised field. A check that
matched a value passes it as ``matched``: it feeds the fingerprint and, only
under ``--show-pii``, the displayed evidence, and is never written to JSON,
the cache or a baseline. The text around it (message, path, field,
remediation, ``also``) may hold some too (a column named after someone, a
file named after an e-mail address): the pipeline passes every finding
through the masking gate (``masking.redact_finding``) before a reporter or
the cache sees it, which masks those fields and drops ``matched``; the
fingerprint, computed here from the raw value, is kept.
"""

from __future__ import annotations

import hashlib
from dataclasses import field, replace
from enum import Enum
from functools import total_ordering
from typing import Any

from .records import dataclass


@total_ordering
class Severity(Enum):
    """How much a finding weighs; ordered ``info < low < medium < high < critical``."""

    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_ORDER.index(self)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank < other.rank

    @classmethod
    def parse(cls, value: str | Severity) -> Severity:
        """Accept ``"high"``, ``"HIGH"`` or a Severity; raise ValueError otherwise."""
        if isinstance(value, Severity):
            return value
        try:
            return cls(str(value).strip().lower())
        except ValueError:
            names = ", ".join(s.value for s in cls)
            raise ValueError(f"unknown severity {value!r} (expected one of: {names})") from None


_SEVERITY_ORDER = list(Severity)


class Checkpoint(Enum):
    """The four checkpoints of the Partnership on AI field guide, in its order."""

    DATASET = "dataset"
    MODEL_CODE = "model-code"
    TRAINING = "training-resources"
    PUBLISHING = "publishing"

    @property
    def title(self) -> str:
        return _CHECKPOINT_TITLES[self]


_CHECKPOINT_TITLES = {
    Checkpoint.DATASET: "Dataset",
    Checkpoint.MODEL_CODE: "Model code",
    Checkpoint.TRAINING: "Training resources",
    Checkpoint.PUBLISHING: "Publishing & attribution",
}

CONTEXTS = (
    "caption",         # a table cell or caption file: the data itself
    "prose",           # card or README text
    "code",            # the statements themselves (a call that unpickles)
    "code-comment",
    "docstring",
    "string-literal",
    "citation",        # references, BibTeX, acknowledgements, CITATION.cff
    "license-text",
    "config",
    "metadata",        # EXIF, PNG chunks, safetensors header
    "file-name",
    "generated",       # minified, vendored, lock and source-map files
    "fixture",         # test data
)
"""Where the matched content of a finding lives (DESIGN.md, ``context``).
Detectors, severities and the policy weigh a finding by it: an e-mail
address in a caption is data about someone, the same address in a code
header is its author's published contact."""

ARTIFACTS = ("model", "code", "dataset", "docs")
"""Artifacts a file may belong to. ``docs`` is not released on its own."""

RELEASE_ARTIFACTS = ("model", "code", "dataset")

# Where a finding lands when its check did not say: the checkpoint that owns
# questions about that artifact.
CHECKPOINT_OF_ARTIFACT = {
    "dataset": Checkpoint.DATASET,
    "code": Checkpoint.MODEL_CODE,
    "model": Checkpoint.PUBLISHING,
    "docs": Checkpoint.PUBLISHING,
}


@dataclass(frozen=True)
class Location:
    """Where a finding is: a bundle-relative POSIX path, and optionally a place in it."""

    path: str
    line: int | None = None
    row: int | None = None
    field: str | None = None
    lines: tuple[int, ...] | None = None
    rows: tuple[int, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path}
        for name in ("line", "row", "field"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        if self.lines is not None:
            out["lines"] = list(self.lines)
        if self.rows is not None:
            out["rows"] = list(self.rows)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Location:
        return cls(
            path=data["path"],
            line=data.get("line"),
            row=data.get("row"),
            field=data.get("field"),
            lines=tuple(data["lines"]) if "lines" in data else None,
            rows=tuple(data["rows"]) if "rows" in data else None,
        )


@dataclass(frozen=True)
class Finding:
    """One thing a check found.

    ``check``, ``checkpoint`` and ``artifact`` may be left empty by a check:
    the engine fills them from the check and from the file the finding is in.
    """

    id: str
    severity: Severity
    message: str
    location: Location
    remediation: str = ""
    confidence: float = 1.0
    evidence: str | None = None
    references: tuple[str, ...] = ()
    count: int | None = None
    check: str = ""
    checkpoint: Checkpoint | None = None
    artifact: str | None = None
    fingerprint: str = ""
    # One of CONTEXTS, or None where the check cannot tell.
    context: str | None = None
    # Other files that hold the same content (same id and value): merged
    # into this finding by the engine, every path kept.
    also: tuple[str, ...] = ()
    # Hash of id + matched value, without the path: the same content in two
    # files has the same one. Kept in the cache, never in reports.
    content: str = ""
    # The raw matched value: hashed into the fingerprint, shown only under
    # --show-pii, never serialised.
    matched: str | None = field(default=None, repr=False, compare=False)

    def with_defaults(self, *, check: str, checkpoint: Checkpoint, artifact: str) -> Finding:
        """Fill what the check left empty and compute the fingerprint."""
        done = replace(
            self,
            check=self.check or check,
            checkpoint=self.checkpoint or checkpoint,
            artifact=self.artifact or artifact,
        )
        if not done.fingerprint:
            done = replace(done, fingerprint=fingerprint(done.id, done.location.path, done.matched))
        if not done.content and done.matched is not None:
            done = replace(done, content=fingerprint(done.id, "", done.matched))
        return done

    def shown_evidence(self, show_pii: bool) -> str | None:
        """The evidence to display: masked, or the raw value under ``--show-pii``."""
        if show_pii and self.matched is not None:
            return self.matched
        return self.evidence

    def to_dict(self, show_pii: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "check": self.check,
            "checkpoint": self.checkpoint.value if self.checkpoint else None,
            "artifact": self.artifact,
            "severity": self.severity.value,
            "confidence": round(self.confidence, 3),
            "location": self.location.to_dict(),
            "message": self.message,
        }
        if self.context is not None:
            out["context"] = self.context
        if self.also:
            out["also"] = list(self.also)
        evidence = self.shown_evidence(show_pii)
        if evidence is not None:
            out["evidence"] = evidence
        if self.count is not None:
            out["count"] = self.count
        out["fingerprint"] = self.fingerprint
        out["remediation"] = self.remediation
        out["references"] = list(self.references)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        """Rebuild a finding from its JSON form (as stored in the cache)."""
        return cls(
            id=data["id"],
            check=data.get("check", ""),
            checkpoint=Checkpoint(data["checkpoint"]) if data.get("checkpoint") else None,
            artifact=data.get("artifact"),
            severity=Severity(data["severity"]),
            confidence=data.get("confidence", 1.0),
            location=Location.from_dict(data["location"]),
            message=data["message"],
            evidence=data.get("evidence"),
            count=data.get("count"),
            fingerprint=data.get("fingerprint", ""),
            remediation=data.get("remediation", ""),
            references=tuple(data.get("references", ())),
            context=data.get("context"),
            also=tuple(data.get("also", ())),
            content=data.get("content", ""),
        )

    def sort_key(self) -> tuple:
        order = list(Checkpoint)
        cp = order.index(self.checkpoint) if self.checkpoint else len(order)
        loc = self.location
        return (
            cp,
            -self.severity.rank,
            self.id,
            loc.path,
            loc.line or 0,
            loc.row or 0,
            loc.field or "",
            self.fingerprint,
        )


def fingerprint(finding_id: str, path: str, matched: str | None) -> str:
    """Hash id + path + matched value, never the line: baselines survive edits
    elsewhere in the file (as detect-secrets does)."""
    digest = hashlib.sha256()
    for part in (finding_id, path, matched or ""):
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
    return "sha256:" + digest.hexdigest()


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """``"1 file"``, ``"3 files"``: for finding messages."""
    return f"{count} {noun if count == 1 else (nouns or noun + 's')}"
