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
- **Low metadata findings are one per id and folder** (the camera and the
  editor named in each photo of a folder), every file in ``also``.
- **Low occurrence findings in code are one per id and artifact**
  (maintainers' names in file headers, example addresses in docstrings),
  and so is a pattern in the code itself up to medium (``torch.load``
  without ``weights_only`` in sixteen modules), every file in ``also``.
- **Identical content in several files is one finding.** Findings with the
  same id, context, message and matched value (``content``, a hash) in
  different files are merged into the first, whose ``also`` lists the
  other paths.
"""

from __future__ import annotations

import hashlib
import posixpath
from collections.abc import Callable, Hashable, Iterable
from dataclasses import replace

from .findings import Finding, Location, Severity
from .origin import FIXTURE, fixture_root

MAX_FIELDS_NAMED = 3
# Where what a check finds is the authors' own words.
_CODE_CONTEXTS = frozenset({"code", "code-comment", "docstring", "string-literal", "config"})


def aggregate(findings: Iterable[Finding]) -> list[Finding]:
    """The findings, merged as the module says, in their original order."""
    found = _merge(list(findings), _same_file, _merged_in_file)
    found = _merge_copies(found)
    found = _merge(found, _same_test_folder, _merged_in_test_folder)
    found = _merge(found, _low_metadata_in_folder, _merged_in_folder)
    return _merge(found, _low_in_code, _merged_in_code)


def _merge(findings: list[Finding], key: Callable[[Finding], Hashable | None],
           combine: Callable[[Hashable, list[Finding]], Finding]) -> list[Finding]:
    """Findings with the same ``key`` (None: left alone) combined into one,
    at the place of the first."""
    groups: dict[Hashable, list[Finding]] = {}
    order: list[Finding | tuple[Hashable]] = []
    for f in findings:
        k = key(f)
        if k is None:
            order.append(f)
            continue
        if k not in groups:
            groups[k] = []
            order.append((k,))
        groups[k].append(f)
    out = []
    for item in order:
        if isinstance(item, Finding):
            out.append(item)
        else:
            group = groups[item[0]]
            out.append(group[0] if len(group) == 1 else combine(item[0], group))
    return out


# --- one finding per id per file ---------------------------------------------

def _same_file(f: Finding) -> Hashable | None:
    # Occurrence findings only (with a count): two licences found in one
    # file are two findings.
    return (f.id, f.location.path) if f.count is not None else None


def _merged_in_file(_key: Hashable, group: list[Finding]) -> Finding:
    lead = _lead(group)
    rows = sorted({r for f in group for r in _numbers(f.location.rows, f.location.row)})
    lines = sorted({n for f in group for n in _numbers(f.location.lines, f.location.line)})
    fields = [f.location.field for f in group if f.location.field and f is not lead]
    message = lead.message
    if fields:
        named = ", ".join(f"`{name}`" for name in fields[:MAX_FIELDS_NAMED])
        more = len(fields) - MAX_FIELDS_NAMED
        message += f"; also in {named}" + (f" (+{more} more)" if more > 0 else "")
    location = Location(
        path=lead.location.path,
        field=lead.location.field if not fields else None,
        row=rows[0] if len(rows) == 1 else None,
        rows=tuple(rows) if len(rows) > 1 else None,
        line=lines[0] if lines else None,
        lines=tuple(lines) if len(lines) > 1 else None,
    )
    evidence = _joined(f.evidence for f in sorted(group, key=lambda f: -f.severity.rank))
    return _combined(group, message=message, location=location, evidence=evidence)


# --- test data: one finding per id per test folder ---------------------------

def _same_test_folder(f: Finding) -> Hashable | None:
    root = fixture_root(f.location.path) if f.context == FIXTURE else None
    return (f.id, root) if root else None


def _merged_in_test_folder(key: Hashable, group: list[Finding]) -> Finding:
    folder = key[1]  # type: ignore[index]
    paths = _paths(group)
    return _combined(group, message=f"{_lead(group).message} (test data: {len(paths)} files "
                                    f"in {folder})",
                     location=Location(path=folder), also=paths)


# --- low metadata findings: one per id and folder -----------------------------

def _low_metadata_in_folder(f: Finding) -> Hashable | None:
    """Low and info findings in files' metadata (the camera and editor in
    each of thirty photos of one folder): one line per folder; what is high
    (a GPS position) stays one per file."""
    if f.context != "metadata" or f.severity > Severity.LOW:
        return None
    return (f.id, f.artifact or "", f.severity, posixpath.dirname(f.location.path))


def _merged_in_folder(key: Hashable, group: list[Finding]) -> Finding:
    lead = _lead(group)
    paths = _paths(group)
    folder = key[3] + "/" if key[3] else "."  # type: ignore[index]
    return _combined(
        group,
        message=f"In {len(paths)} files of {folder}; for example {lead.location.path}: "
                f"{lead.message}",
        location=Location(path=folder), also=paths)


# --- low findings in code: one per id and artifact ---------------------------

def _low_in_code(f: Finding) -> Hashable | None:
    """Low findings in code comments and strings (maintainers' names in file
    headers, an example address in a docstring), and a pattern in the code
    itself (sixteen modules calling ``torch.load`` without ``weights_only``):
    nobody acts on them file by file, and forty of them bury the findings
    that matter. One finding per id and artifact, at the worst severity.

    So are the credentials the secrets check leaves to the reviewer in code
    (medium: an app's own client ids and keys, which a scraper or an API
    client ships for each site it talks to): the question "whose is it?"
    is asked of them together, and ten of them were a third of a real
    repository's report. A critical secret (a person's token) stays one per
    place."""
    if f.context == "code" and f.severity <= Severity.MEDIUM:
        return (f.id, f.artifact or "")
    if (f.id.startswith("secret.") and f.context in _CODE_CONTEXTS
            and f.severity <= Severity.MEDIUM):
        return (f.id, f.artifact or "")
    if f.context not in _CODE_CONTEXTS or f.severity > Severity.LOW or f.count is None:
        return None
    return (f.id, f.artifact or "")


def _merged_in_code(_key: Hashable, group: list[Finding]) -> Finding:
    lead = _lead(group)
    paths = _paths(group)
    common = posixpath.commonpath(paths)
    folder = common + "/" if common and common not in paths else "."
    count = sum(f.count or 1 for f in group)
    where = "in the code" if lead.context == "code" else "in comments and strings"
    return _combined(
        group,
        message=f"In {len(paths)} files of the {lead.artifact or 'bundle'} ({count} occurrences "
                f"{where}); for example {lead.location.path}: {lead.message}",
        location=Location(path=folder), also=paths)


# --- identical content in several files --------------------------------------

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


# --- helpers ------------------------------------------------------------------

def _lead(group: list[Finding]) -> Finding:
    """The finding whose severity and message stand for the group."""
    return max(group, key=lambda f: (f.severity.rank, f.count or 0))


def _paths(group: list[Finding]) -> tuple[str, ...]:
    return tuple(sorted({p for f in group for p in (f.location.path, *f.also)}))


def _combined(group: list[Finding], *, message: str, location: Location,
              evidence: str | None = None, also: tuple[str, ...] | None = None) -> Finding:
    lead = _lead(group)
    # Stable while the content is: the parts' fingerprints hash the values
    # found, never the lines.
    digest = hashlib.sha256("\0".join(sorted(f.fingerprint for f in group)).encode())
    return replace(
        lead,
        message=message,
        location=location,
        count=sum(f.count or 1 for f in group),
        evidence=evidence if evidence is not None else _joined(f.evidence for f in group),
        confidence=max(f.confidence for f in group),
        also=lead.also if also is None else also,
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
