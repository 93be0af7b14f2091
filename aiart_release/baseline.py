"""The baseline: ``.aiart-release-baseline.json`` at the bundle root, the
findings a reviewer accepted, each with a justification and a date.

The file is written only by ``aiart-release baseline add|prune``
(:mod:`baseline_cli`), through :mod:`writes` (atomic, never through a link).
It holds fingerprints, never raw data: each entry is the finding's
fingerprint (a hash of its id, path and matched values, never its line or
row: a finding that moves in its file, or a table row inserted above it,
keeps its entry), its id, its path as the report shows it (masked), the
justification (through the masking gate as well) and the ISO date it was
accepted. Entries are sorted, so a change is a small diff.

It is read as untrusted input (a pull request may change it): a regular
file, within :data:`BASELINE_LIMITS`, every entry checked. A baseline that
cannot be used stops the run with one line naming the file and the problem
(exit code 2), never quoting its content: a gate must not pass, or fail,
on a file it could not read.

The baseline judges findings as the report shows them (after aggregation):
its fingerprints are the ones ``--format json`` prints.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from .bundle import BundleError
from .checks import FINDING_ID
from .findings import Finding
from .ignores import MAX_REASON, Suppressed
from .lazy_pattern import LazyPattern
from .readers.jsonfile import load_json
from .readers.limits import MIB, LimitExceeded, Limits, read_problem, read_regular_file
from .records import dataclass

BASELINE_NAME = ".aiart-release-baseline.json"
FORMAT_VERSION = 1
# Hand-reviewed, one entry per accepted finding: 100,000 entries is far more
# than anyone reviews, and reads in well under a second.
MAX_ENTRIES = 100_000
BASELINE_LIMITS = Limits(max_bytes=32 * MIB, max_depth=4, max_nodes=12 * MAX_ENTRIES + 100)
MAX_PATH = 4096

_FINGERPRINT = LazyPattern(r"sha256:[0-9a-f]{64}")
_DATE = LazyPattern(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_KEYS = ("fingerprint", "id", "path", "reason", "date")


class BaselineError(BundleError):
    """The baseline cannot be used (one line, exit code 2)."""


@dataclass(frozen=True)
class Entry:
    """One accepted finding."""

    fingerprint: str
    id: str
    path: str
    reason: str
    date: str  # ISO 8601 date, the day it was accepted

    def to_dict(self) -> dict[str, str]:
        return {key: getattr(self, key) for key in _KEYS}

    def age_days(self, today: _dt.date | None = None) -> int:
        return ((today or _dt.date.today()) - _dt.date.fromisoformat(self.date)).days


@dataclass
class Baseline:
    """The entries of a baseline file, by fingerprint."""

    entries: dict[str, Entry]

    def apply(self, findings: Sequence[Finding]) -> tuple[list[Finding], list[Suppressed]]:
        """``(kept, suppressed)``: findings whose fingerprint is in the
        baseline are suppressed with the entry's justification and date."""
        kept: list[Finding] = []
        suppressed: list[Suppressed] = []
        for f in findings:
            entry = self.entries.get(f.fingerprint)
            if entry is None:
                kept.append(f)
            else:
                suppressed.append(Suppressed(f, "baseline", entry.reason, entry.date))
        return kept, suppressed

    def to_text(self) -> str:
        ordered = sorted(self.entries.values(), key=lambda e: (e.id, e.path, e.fingerprint))
        document = {
            "version": FORMAT_VERSION,
            "tool": "aiart-release",
            "note": "Findings accepted by a reviewer: fingerprints only, no raw data. "
                    "Edit with `aiart-release baseline add|audit|prune`.",
            "entries": [e.to_dict() for e in ordered],
        }
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def path_for(root: Path | str) -> Path:
    """Where the baseline of the bundle at ``root`` lives (the hook checks
    that this file, when modified, is staged)."""
    return Path(root) / BASELINE_NAME


def load(root: Path | str) -> Baseline:
    """The baseline of the bundle at ``root``; an empty one when there is no
    file. Raises :class:`BaselineError`."""
    path = path_for(root)
    if not os.path.lexists(path):
        return Baseline({})
    shown = str(path)
    if not Path(os.path.realpath(path)).is_relative_to(os.path.realpath(root)):
        raise BaselineError(f"{shown}: the baseline is a link that leaves the bundle; not read")
    try:
        raw = read_regular_file(path, BASELINE_LIMITS.max_bytes)
    except LimitExceeded as exc:
        raise BaselineError(f"{exc.at(shown)}; not a baseline") from None
    except OSError as exc:
        raise BaselineError(f"{shown}: cannot read the baseline: {read_problem(exc)}") from None
    try:
        document = load_json(raw, BASELINE_LIMITS)
    except LimitExceeded as exc:
        raise BaselineError(f"{exc.at(shown)}; not a baseline") from None
    except ValueError:
        raise BaselineError(f"{shown}: not a baseline: invalid JSON or not UTF-8 "
                            f"{_REMEDY}") from None
    return Baseline(_entries(document, shown))


_REMEDY = "(restore it from version control, or remove it and run `aiart-release baseline add`)"


def _entries(document: Any, shown: str) -> dict[str, Entry]:
    if not isinstance(document, dict):
        raise BaselineError(f"{shown}: not a baseline: the top level must be an object "
                            f"{_REMEDY}")
    if document.get("version") != FORMAT_VERSION:
        raise BaselineError(f"{shown}: not a baseline of format version {FORMAT_VERSION} "
                            f"{_REMEDY}")
    items = document.get("entries")
    if not isinstance(items, list):
        raise BaselineError(f"{shown}: not a baseline: `entries` must be a list {_REMEDY}")
    if len(items) > MAX_ENTRIES:
        raise BaselineError(f"{shown}: more than {MAX_ENTRIES:,} entries; not read")
    entries: dict[str, Entry] = {}
    # Many entries share an id, a date and a reason: each is checked once.
    checked: set[tuple[str, str]] = set()
    for i, item in enumerate(items):
        entry = _entry(item, lambda i=i: f"{shown}: entries[{i}]", checked)
        entries[entry.fingerprint] = entry
    return entries


def _entry(item: Any, where, checked: set[tuple[str, str]]) -> Entry:
    if not isinstance(item, dict):
        raise BaselineError(f"{where()}: must be an object with {', '.join(_KEYS)}")
    for key in _KEYS:
        if not isinstance(item.get(key), str):
            raise BaselineError(f"{where()}.{key}: missing or not a string")
    if not _FINGERPRINT.fullmatch(item["fingerprint"]):
        raise BaselineError(f"{where()}.fingerprint: not sha256: and 64 hexadecimal digits")
    if not item["path"] or len(item["path"]) > MAX_PATH:
        raise BaselineError(f"{where()}.path: empty or longer than {MAX_PATH} characters")
    for key, test, problem in _SHARED_CHECKS:
        if (key, item[key]) not in checked:
            if not test(item[key]):
                raise BaselineError(f"{where()}.{key}: {problem}")
            checked.add((key, item[key]))
    return Entry(item["fingerprint"], item["id"], item["path"], item["reason"].strip(),
                 item["date"])


def _is_reason(text: str) -> bool:
    return re.search(r"\w", text) is not None and len(text.strip()) <= MAX_REASON


def _is_date(text: str) -> bool:
    if not _DATE.fullmatch(text):
        return False
    try:
        _dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


_SHARED_CHECKS = (
    ("id", lambda text: FINDING_ID.fullmatch(text) is not None, "not a finding id"),
    ("reason", _is_reason, f"a justification is required (at most {MAX_REASON} characters)"),
    ("date", _is_date, "not an ISO date (YYYY-MM-DD)"),
)


def check_reason(reason: str | None) -> str:
    """A justification as the baseline keeps it; raises ValueError when it
    is empty or too long."""
    reason = (reason or "").strip()
    if not re.search(r"\w", reason):
        raise ValueError("--reason: a justification is required (why this is no problem)")
    if len(reason) > MAX_REASON:
        raise ValueError(f"--reason: at most {MAX_REASON} characters")
    return " ".join(reason.split())


def entries_for(findings: Iterable[Finding], reason: str,
                today: _dt.date | None = None) -> list[Entry]:
    """New entries accepting ``findings`` (as the report shows them: masked
    paths, no raw value) with ``reason``, dated today."""
    date = (today or _dt.date.today()).isoformat()
    return [Entry(f.fingerprint, f.id, f.location.path, reason, date) for f in findings]
