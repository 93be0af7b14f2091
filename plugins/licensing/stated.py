"""The licence statements found, as findings: what each licence is and what
it covers (``license.detected``), standard texts with changes
(``license.modified``), and non-commercial licences in a release declared
commercial (``license.noncommercial-conflict``)."""

from __future__ import annotations

from collections.abc import Iterator

import aiart_release.findings as F
from aiart_release import license_catalog
from aiart_release.findings import Finding, Severity

from .sources import Source


def detected(sources: list[Source]) -> Iterator[Finding]:
    """One finding per licence stated, with what it covers and how it was read."""
    for s in sources:
        if s.license is None:
            continue
        how = {"dice": f"text matches the SPDX text ({s.confidence:.0%})",
               "spdx-identifier": "SPDX-License-Identifier",
               "phrase": "its own wording", "reference": "named in a notice",
               "nc-terms": f"its words: “{s.non_commercial}”",
               "own-terms": f"its words: “{s.scope}”",
               "readme": f"named in {s.path}, line {s.line}",
               "header-notice": f"named in the file's header, line {s.line}",
               "contains": f"the section holds its SPDX text ({s.confidence / 0.9:.0%} "
                           "of its words)",
               "card": f"card metadata `license: {s.detail}`",
               "gguf-metadata": f"GGUF metadata `general.license: {s.detail}`",
               "pyproject": "pyproject.toml `license`"}.get(s.method, s.method)
        called = name(s.license)
        if s.role == "items":
            what = f"{called}, the licence of {s.where}: not the licence of the collection"
        elif s.kind == "header":
            what = f"{called} for {s.path}"
        elif s.role == "part" or (s.covers and s.kind in ("file", "readme")) or s.subject or (
                s.role == "main" and s.scope and s.method != "own-terms"):
            what = f"{called} for {s.where}"
        else:
            what = called
        yield finding(
            "license.detected", Severity.INFO, s.path,
            f"{what} ({how}){' in vendored code' if s.vendored else ''}",
            "", artifact=s.artifact, evidence=s.license, confidence=s.confidence,
            # Not the line: a statement that moves keeps its fingerprint.
            matched=f"{s.license}:{s.kind}:{s.role or ''}",
            line=s.line if s.kind not in ("card", "gguf") else None,
            context=context(s),
        )


def modified(files: list[Source]) -> Iterator[Finding]:
    """Standard licence texts with clauses added, removed or changed."""
    for s in files:
        if not s.changes:
            continue
        original = license_catalog.info(s.changes.license)
        yield finding(
            "license.modified", Severity.MEDIUM, s.path,
            f"{s.path} is {original.name} with changes, so it is not {original.id}: "
            f"{s.changes.summary()}",
            f"Use the standard text of {original.id} unchanged and put extra terms in a "
            "separate file that says what they add; or, if the changes are meant, name it "
            "as a licence of its own (card: `license: other`, license_name, license_link), "
            "so that nobody reads it as the standard licence",
            artifact=s.artifact, evidence=s.changes.summary()[:300], line=s.line,
            matched=f"{s.path}:{s.changes.license}", context="license-text",
            references=("https://spdx.org/licenses/",))


def noncommercial(sources: list[Source]) -> Iterator[Finding]:
    """Licences that forbid commercial use, once per licence and part (call
    it only for a release declared commercial)."""
    # One finding per licence and part: a README that repeats what the
    # LICENSE says is the same conflict (licence files come first).
    seen: set[tuple[str, str]] = {("file", lid) for s in sources if s.kind == "file"
                                  and s.license for lid in license_catalog.license_ids(s.license)}
    in_headers: dict[str, list[str]] = {}
    for s in sources:
        if s.kind == "header" and s.license:
            in_headers.setdefault(s.license, []).append(s.path)
    for s in sorted(sources, key=lambda s: s.kind != "file"):
        if not s.license:
            continue
        for license_id in license_catalog.license_ids(s.license):
            terms = license_catalog.info(license_id)
            if not (terms.non_commercial or terms.research_only or s.non_commercial):
                continue
            # Source files whose headers name the licence: one finding.
            part = (license_id, "header" if s.kind == "header" else
                    s.role + ":" + (",".join(s.paths) or s.covers or s.scope))
            if (s.path, license_id) in seen or part in seen or (
                    s.kind == "header" and ("file", license_id) in seen):
                continue
            seen.update({(s.path, license_id), part})
            why = f" (“{s.non_commercial}”)" if s.non_commercial else ""
            others = len(in_headers.get(license_id, [])) - 1 if s.kind == "header" else 0
            why += f" (and {F.plural(others, 'more file')} with the same header)" \
                if others > 0 else ""
            yield finding(
                "license.noncommercial-conflict", Severity.HIGH, s.path,
                f"The release is declared commercial, but {s.where} is under "
                f"{name(license_id)}{why}, which forbids commercial use"
                f" ({s.path}{f', line {s.line}' if s.line else ''})",
                "Replace or remove the non-commercial part, obtain a commercial licence "
                "from its owner, or declare `commercial: false`", artifact=s.artifact,
                evidence=license_id, matched=f"{s.path}:{license_id}",
                line=s.line if s.kind not in ("card", "gguf") else None, context=context(s))


def name(license_id: str) -> str:
    if " " in license_id:  # an expression
        return license_id
    if license_id.startswith("LicenseRef-Modified-"):
        modified = license_id.removeprefix("LicenseRef-Modified-")
        return f"a modified {license_catalog.info(modified).name}"
    return license_catalog.info(license_id).name


def finding(finding_id: str, severity: Severity, path: str, message: str, remediation: str,
             *, artifact: str, evidence: str | None = None, confidence: float = 1.0,
             matched: str | None = None, line: int | None = None,
             references: tuple[str, ...] = (), context: str | None = None) -> Finding:
    return Finding(
        id=finding_id, severity=severity, message=message,
        location=F.Location(path=path, line=line), remediation=remediation,
        evidence=evidence, confidence=confidence, matched=matched, artifact=artifact,
        checkpoint=F.CHECKPOINT_OF_ARTIFACT.get(artifact, F.Checkpoint.PUBLISHING),
        references=references, context=context,
    )


# Where the words of a licence statement were read (findings' `context`).
_CONTEXT = {"file": "license-text", "readme": "prose", "card": "metadata", "gguf": "metadata",
            "pyproject": "config", "spdx-header": "code-comment", "header": "code-comment"}


def context(source: Source) -> str | None:
    return _CONTEXT.get(source.kind)
