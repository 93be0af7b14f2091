"""Findings a person reads: one per id per file, identical content once.

A check reports what it sees where it sees it: the same name in three
columns of one table, the same licence header copied into forty files.
A reviewer wants one line for each of those, with every place kept for the
machines (JSON ``location.rows``/``lines`` and ``also``).

- **One finding per id per file.** Occurrence findings (those with a
  ``count``) of one id in one file are merged: counts add up, rows and lines
  are joined, the worst severity and its message lead, and the other fields
  are named.
- **Test data is one body of data.** Findings in test fixtures are merged
  per id and test folder (``tests/``), every file kept in ``also``.
- **Low occurrence findings in code are one per id and artifact**
  (maintainers' names in file headers, example addresses in docstrings),
  every file in ``also``.
- **Identical content in several files is one finding.** Findings with the
  same id, context, message and matched value (``content``, a hash) in
  different files are merged into the first, whose ``also`` lists the
  other paths.
"""

from __future__ import annotations

import hashlib
import posixpath
from collections.abc import Iterable
from dataclasses import replace

from .findings import Finding, Location, Severity
from .origin import FIXTURE, fixture_root

MAX_FIELDS_NAMED = 3


def aggregate(findings: Iterable[Finding]) -> list[Finding]:
    """The findings, merged as the module says, in their original order."""
    merged = _merge_fixtures(_merge_copies(_merge_per_file(list(findings))))
    return _merge_low_in_code(merged)


# Where what a check finds is the authors' own words, rated low.
_CODE_CONTEXTS = frozenset({"code-comment", "docstring", "string-literal", "config"})


def _merge_low_in_code(findings: list[Finding]) -> list[Finding]:
    """Low findings in code comments and strings (maintainers' names in
    file headers, an example address in a docstring) are one line per id
    and artifact: nobody acts on them file by file, and forty of them bury
    the findings that matter. Every file stays in ``also``."""
    groups: dict[tuple[str, str], list[Finding]] = {}
    order: list[object] = []
    for f in findings:
        # Occurrence findings only (with a count): a licence found in a
        # header says something different in each file.
        if f.context not in _CODE_CONTEXTS or f.severity > Severity.LOW or f.count is None:
            order.append(f)
            continue
        key = (f.id, f.artifact or "")
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append(f)
    out = []
    for item in order:
        if isinstance(item, Finding):
            out.append(item)
            continue
        group = groups[item]
        if len(group) == 1:
            out.append(group[0])
            continue
        lead = max(group, key=lambda f: (f.severity.rank, f.count or 0))
        paths = sorted({p for f in group for p in (f.location.path, *f.also)})
        common = posixpath.commonpath(paths) if len(paths) > 1 else paths[0]
        folder = common + "/" if common and common not in paths else "."
        count = sum(f.count or 1 for f in group)
        digest = hashlib.sha256("\0".join(sorted(f.fingerprint for f in group)).encode())
        out.append(replace(
            lead,
            message=f"In {len(paths)} files of the {lead.artifact or 'bundle'} ({count} "
                    f"occurrences in comments and strings); for example {lead.location.path}: "
                    f"{lead.message}",
            location=Location(path=folder),
            count=count,
            evidence=_joined(f.evidence for f in group),
            also=tuple(paths),
            fingerprint="sha256:" + digest.hexdigest(),
            matched=_joined(f.matched for f in group),
        ))
    return out


def _merge_fixtures(findings: list[Finding]) -> list[Finding]:
    """Test data is one body of data: one finding per id per test folder."""
    groups: dict[tuple[str, str], list[Finding]] = {}
    order: list[object] = []
    for f in findings:
        root = fixture_root(f.location.path) if f.context == FIXTURE else None
        if root is None:
            order.append(f)
            continue
        key = (f.id, root)
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append(f)
    out = []
    for item in order:
        if isinstance(item, Finding):
            out.append(item)
            continue
        group = groups[item]
        if len(group) == 1:
            out.append(group[0])
            continue
        lead = max(group, key=lambda f: (f.severity.rank, f.count or 0))
        paths = sorted({p for f in group for p in (f.location.path, *f.also)})
        digest = hashlib.sha256("\0".join(sorted(f.fingerprint for f in group)).encode())
        out.append(replace(
            lead,
            message=f"{lead.message} (test data: {len(paths)} files in {item[1]})",
            location=Location(path=item[1]),
            count=sum(f.count or 1 for f in group),
            evidence=_joined(f.evidence for f in group),
            also=tuple(paths),
            fingerprint="sha256:" + digest.hexdigest(),
            matched=_joined(f.matched for f in group),
        ))
    return out


def _merge_per_file(findings: list[Finding]) -> list[Finding]:
    groups: dict[tuple[str, str], list[Finding]] = {}
    order: list[object] = []
    for f in findings:
        if f.count is None:
            order.append(f)
            continue
        key = (f.id, f.location.path)
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append(f)
    out = []
    for item in order:
        if isinstance(item, Finding):
            out.append(item)
        else:
            group = groups[item]
            out.append(group[0] if len(group) == 1 else _merged(group))
    return out


def _merged(group: list[Finding]) -> Finding:
    lead = max(group, key=lambda f: (f.severity.rank, f.count or 0))
    rows = sorted({r for f in group for r in _numbers(f.location.rows, f.location.row)})
    lines = sorted({n for f in group for n in _numbers(f.location.lines, f.location.line)})
    fields = [f.location.field for f in group if f.location.field and f is not lead]
    message = lead.message
    if fields:
        named = ", ".join(f"`{name}`" for name in fields[:MAX_FIELDS_NAMED])
        more = len(fields) - MAX_FIELDS_NAMED
        message += f"; also in {named}" + (f" (+{more} more)" if more > 0 else "")
    evidence = _joined(f.evidence for f in sorted(group, key=lambda f: -f.severity.rank))
    location = Location(
        path=lead.location.path,
        field=lead.location.field if not fields else None,
        row=rows[0] if len(rows) == 1 else None,
        rows=tuple(rows) if len(rows) > 1 else None,
        line=lines[0] if lines else None,
        lines=tuple(lines) if len(lines) > 1 else None,
    )
    # Stable while the file's content is: the parts' fingerprints hash the
    # values found, never the lines.
    digest = hashlib.sha256("\0".join(sorted(f.fingerprint for f in group)).encode())
    return replace(
        lead,
        message=message,
        location=location,
        count=sum(f.count or 1 for f in group),
        evidence=evidence,
        confidence=max(f.confidence for f in group),
        fingerprint="sha256:" + digest.hexdigest(),
        matched=_joined(f.matched for f in group),
    )


def _numbers(many: tuple[int, ...] | None, one: int | None) -> tuple[int, ...]:
    if many:
        return many
    return (one,) if one is not None else ()


def _joined(values: Iterable[str | None]) -> str | None:
    seen: list[str] = []
    for value in values:
        if value and value not in seen:
            seen.append(value)
    return ", ".join(seen) if seen else None


def _merge_copies(findings: list[Finding]) -> list[Finding]:
    first: dict[tuple, int] = {}
    out: list[Finding] = []
    for f in findings:
        if not f.content:
            out.append(f)
            continue
        key = (f.id, f.context, f.severity, f.message, f.content, f.count)
        if key in first:
            kept = out[first[key]]
            if f.location.path != kept.location.path and f.location.path not in kept.also:
                out[first[key]] = replace(kept, also=(*kept.also, f.location.path))
            continue
        first[key] = len(out)
        out.append(f)
    return out
