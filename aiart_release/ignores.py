"""What a person accepted: inline ignores, config ignores and the allow-list.

A reviewer who has read a finding and decided it is no problem says so in
one of four places, and the finding is then *suppressed*: kept in the JSON
(``suppressed``, with the justification), counted in the summary, but no
longer a problem: not shown among the findings, not counted by
``--fail-on``, and not weighed by the rules or the policy.

- **Inline**: ``aiart-release: ignore[pii.email-address] the maintainer's
  published contact`` on the finding's line, or on the line above, in a text
  or code file. The reason is required; several ids may be given
  (``ignore[pii.email-address, pii.person-name]``), and a namespace
  (``ignore[pii.*]``). A finding that spans several lines is suppressed only
  when every one of its lines carries an ignore for it.
- **Config**: ``ignore: [{id: "pii.*", path: "docs/**", reason: "..."}]``.
- **Allow-list**: ``allow: {emails: [...], names: [...]}``: the maintainer's
  own published contact, the names the user confirms are public credits;
  and the configuration's ``contact:`` when it is an e-mail address (it is
  published for opt-out requests). Addresses at names reserved for
  documentation (``jane@example.com``, ``bot@ci.test``: RFC 2606, RFC 6761)
  need no entry: they reach no one, and the personal-data check does not
  report them at all (:func:`is_reserved_email`).
- **Baseline**: ``.aiart-release-baseline.json`` (see :mod:`baseline`).

Inline ignores, config ignores and the allow-list judge each finding as its
check reported it, before aggregation: they need its lines and its value.
The allow-list is compared with the hash of the value (``Finding.content``,
which the cache keeps, so a cached result is judged as a fresh one); the
allowed values themselves are never written anywhere.

An ignore without a reason, or naming an id that no check reports, suppresses
nothing and is itself reported (``bundle.ignore-invalid``, low).
"""

from __future__ import annotations

import bisect
import itertools
import os
import re
import stat
from collections.abc import Iterable, Sequence
from dataclasses import field, replace
from pathlib import Path
from typing import Any

from .checks import FINDING_ID
from .findings import Checkpoint, Finding, Location, Severity, fingerprint
from .globs import GlobError, GlobSet, glob_match
from .lazy_pattern import LazyPattern
from .readers.text import LineTooLong
from .records import dataclass

INVALID_ID = "bundle.ignore-invalid"
# Ids of the core: a check need not declare them to be ignored.
CORE_NAMESPACES = ("bundle.", "plugin.")

# Reading the lines an ignore may be on: a line over this is not text a
# person wrote; a file past this many bytes before the line is not read on.
MAX_LINE_BYTES = 1024 * 1024
MAX_BYTES_READ = 64 * 1024 * 1024
MAX_REASON = 2000

# ``aiart-release: ignore[ids] reason``; the ids as written, up to the bracket.
# The reason runs to the end of the line, or to the next marker.
_MARKER = LazyPattern(r"aiart-release:\s*ignore\[([^\]\n]{0,300})\]((?:(?!aiart-release:)[^\n])*)")
# A line with more markers than this is not a person's annotation.
MAX_MARKERS_PER_LINE = 16
# What closes a comment after the reason (HTML, C, template comments).
# (and what opens the next one, when markers share a line).
_CLOSER = LazyPattern(r"(\s*(-->|\*/|#}|%>|\"\"\"|'''|<!--|/\*|//|#))+\s*$")
# Problems reported for one file: the first few say what to fix.
MAX_PROBLEMS_PER_FILE = 10
_ID_PATTERN = LazyPattern(r"[a-z0-9][a-z0-9._-]*(\.\*)?|[a-z]+\.\*", re.ASCII)


@dataclass(frozen=True)
class Suppressed:
    """A finding a person accepted: how (``kind``: ``baseline``, ``inline``,
    ``config`` or ``allow-list``), why, and since when (baselines only)."""

    finding: Finding
    kind: str
    justification: str
    date: str | None = None

    def masked(self, gate) -> Suppressed:
        """Through the masking gate, as every finding a reporter shows."""
        return replace(self, finding=gate.finding(self.finding),
                       justification=gate.redact(self.justification))

    def to_dict(self, show_pii: bool = False) -> dict[str, Any]:
        out = self.finding.to_dict(show_pii=show_pii)
        out["suppression"] = {"kind": self.kind, "justification": self.justification}
        if self.date:
            out["suppression"]["date"] = self.date
        return out


# --- inline ignores -----------------------------------------------------------

@dataclass(frozen=True)
class InlineIgnore:
    """One ``aiart-release: ignore[...]`` marker, read from a line."""

    ids: tuple[str, ...]
    reason: str

    def covers(self, finding_id: str) -> bool:
        return bool(self.reason) and any(_id_matches(i, finding_id) for i in self.ids)


def _id_matches(pattern: str, finding_id: str) -> bool:
    if pattern.endswith(".*"):
        return finding_id.startswith(pattern[:-1])
    return pattern == finding_id


def parse_markers(line: str) -> list[InlineIgnore]:
    """The ignore markers on one line of text."""
    out = []
    for match in itertools.islice(_MARKER.finditer(line), MAX_MARKERS_PER_LINE):
        ids = tuple(part.strip() for part in match.group(1).split(",") if part.strip())
        reason = _CLOSER.sub("", match.group(2)).strip()
        out.append(InlineIgnore(ids, reason if re.search(r"\w", reason) else ""))
    return out


def read_lines(root: Path, rel: str, wanted: set[int]) -> dict[int, str]:
    """The lines ``wanted`` of the bundle file ``rel`` (1-based), read
    bounded: a regular file inside the bundle, no line over
    :data:`MAX_LINE_BYTES`, at most :data:`MAX_BYTES_READ` bytes, a file
    with NUL bytes (binary) not at all. Nothing readable: an empty dict."""
    if not wanted or rel in ("", ".") or rel.endswith("/"):
        return {}
    path = root / rel
    try:
        real = os.path.realpath(path)
        if not Path(real).is_relative_to(os.path.realpath(root)):
            return {}
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return {}
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return {}
        with os.fdopen(fd, "rb", closefd=False) as handle:
            return _lines_of(handle, sorted(wanted))
    except (OSError, LineTooLong):
        return {}
    finally:
        os.close(fd)


_CHUNK = 1024 * 1024


def _lines_of(handle, wanted: list[int]) -> dict[int, str]:
    """The ``wanted`` lines (sorted) of a binary file, read in chunks: a
    chunk that holds none of them is only counted (the line with an
    ignore may be the millionth)."""
    out: dict[int, str] = {}
    pending = b""  # the start of a line begun in an earlier chunk
    number = 1  # the line ``pending`` belongs to
    read = 0
    while number <= wanted[-1]:
        chunk = handle.read(_CHUNK)
        read += len(chunk)
        if not chunk:
            if pending and number in wanted:
                out[number] = pending.decode("utf-8", "replace")
            break
        if b"\0" in chunk or read > MAX_BYTES_READ:
            return {}
        newlines = chunk.count(b"\n")
        at = bisect.bisect_left(wanted, number)
        if at < len(wanted) and wanted[at] <= number + newlines:
            parts = (pending + chunk).split(b"\n")
            for offset, part in enumerate(parts[:-1]):
                if number + offset in wanted:
                    out[number + offset] = part.decode("utf-8", "replace") + "\n"
            pending = parts[-1]
        else:
            pending = pending + chunk if not newlines else chunk[chunk.rfind(b"\n") + 1:]
        if len(pending) > MAX_LINE_BYTES:
            raise LineTooLong(number + newlines, MAX_LINE_BYTES)
        number += newlines
    return out


def finding_lines(f: Finding) -> tuple[int, ...]:
    """The lines a finding is on, in its own file (none: not one file)."""
    if f.also:
        return ()  # the same content in other files too: one file's comment is not enough
    loc = f.location
    return tuple(loc.lines) if loc.lines else ((loc.line,) if loc.line else ())


# --- config ignores -----------------------------------------------------------

@dataclass(frozen=True)
class ConfigIgnore:
    """One entry of the configuration's ``ignore:`` list."""

    id: str
    path: str
    reason: str

    def covers(self, f: Finding) -> bool:
        if not glob_match(self.id, f.id):
            return False
        if self.path in ("", "**", "*"):
            return True
        paths = GlobSet([self.path])
        return all(paths.match_file(p) for p in (f.location.path, *f.also))


def parse_config_ignores(value: Any) -> list[ConfigIgnore]:
    """The ``ignore:`` list of a configuration. Raises ValueError with a
    message naming the entry (``ignore[2].reason: ...``), quoting nothing."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError("ignore: must be a list of {id, path, reason}")
    out = []
    for i, item in enumerate(value):
        where = f"ignore[{i}]"
        if not isinstance(item, dict):
            raise ValueError(f"{where}: must be a mapping with id, path and reason")
        unknown = set(item) - {"id", "path", "reason"}
        if unknown:
            raise ValueError(f"{where}: unknown key(s): {', '.join(sorted(map(str, unknown)))}")
        finding_id, path, reason = item.get("id", "*"), item.get("path", "**"), item.get("reason")
        if not isinstance(finding_id, str) or not re.fullmatch(r"[a-z0-9.*?_-]{1,200}",
                                                                finding_id):
            raise ValueError(f"{where}.id: not a finding id or a glob of ids (pii.*)")
        if not isinstance(path, str) or not path or len(path) > 1000:
            raise ValueError(f"{where}.path: not a gitignore-style glob")
        try:
            GlobSet([path])
        except GlobError:
            raise ValueError(f"{where}.path: not a gitignore-style glob") from None
        if not isinstance(reason, str) or not re.search(r"\w", reason) or len(reason) > MAX_REASON:
            raise ValueError(f"{where}.reason: required, a sentence saying why "
                             f"(at most {MAX_REASON} characters)")
        if finding_id == "*" and path in ("**", "*"):
            raise ValueError(f"{where}: ignores every finding; name an id or a path")
        out.append(ConfigIgnore(finding_id, path, reason.strip()))
    return out


# --- the allow-list -------------------------------------------------------------

@dataclass(frozen=True)
class AllowList:
    """``allow:`` of the configuration: e-mail addresses and names that are
    published on purpose. Kept as given only in memory; compared by hash."""

    emails: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    # The configuration's ``contact:`` when it is an e-mail address: published
    # on purpose, for opt-out requests.
    contact: tuple[str, ...] = ()
    _hashes: dict = field(default_factory=dict, compare=False, repr=False)

    def __bool__(self) -> bool:
        return bool(self.emails or self.names or self.contact)

    def which(self, f: Finding) -> str | None:
        """``emails``, ``names`` or ``contact`` when the finding's whole value
        is on the list (its ``content`` hash is that of allowed values)."""
        if not f.content:
            return None
        for kind in ("contact", "emails", "names"):
            if f.content in self._allowed(f.id, kind, pairs=f.check == "pii"):
                return kind
        return None

    def justification(self, kind: str) -> str:
        if kind == "contact":
            return "the configuration's contact, published for opt-out requests"
        return f"on the configuration's allow-list (allow.{kind})"

    def _allowed(self, finding_id: str, kind: str, pairs: bool) -> frozenset[str]:
        key = (finding_id, kind, pairs)
        if key not in self._hashes:
            values = _variants(getattr(self, kind), lower=kind != "names")
            joined = list(values)
            # The personal-data check's ``matched`` lists up to three values
            # it found; with two listed, those two are all it found.
            if pairs and len(values) <= 50:
                joined += [f"{a}, {b}" for a in values for b in values if a != b]
            self._hashes[key] = frozenset(fingerprint(finding_id, "", v) for v in joined)
        return self._hashes[key]


def _variants(values: Iterable[str], lower: bool) -> list[str]:
    out: list[str] = []
    for value in values:
        for v in (value.strip(), value.strip().lower() if lower else None):
            if v and v not in out:
                out.append(v)
    return out


def parse_allow(value: Any) -> AllowList:
    """The ``allow:`` mapping of a configuration. Raises ValueError naming
    the key, never a value."""
    if value is None:
        return AllowList()
    if not isinstance(value, dict):
        raise ValueError("allow: must be a mapping with emails and names")
    unknown = set(value) - {"emails", "names"}
    if unknown:
        raise ValueError(f"allow: unknown key(s): {', '.join(sorted(map(str, unknown)))}")
    lists = {}
    for key in ("emails", "names"):
        items = value.get(key, [])
        if not isinstance(items, list) or len(items) > 1000 or not all(
                isinstance(v, str) and 0 < len(v.strip()) <= 320 for v in items):
            raise ValueError(f"allow.{key}: must be a list of at most 1000 non-empty strings")
        if key == "emails" and not all("@" in v for v in items):
            raise ValueError("allow.emails: an entry is not an e-mail address")
        lists[key] = tuple(items)
    return AllowList(**lists)


# RFC 2606 and RFC 6761: names reserved for documentation and tests. An
# address there reaches nobody: it is no one's personal data (the
# personal-data check drops it before it becomes a finding).
RESERVED_DOMAINS = ("example.com", "example.net", "example.org")
RESERVED_TLDS = ("example", "test", "invalid", "localhost")


def is_reserved_email(address: str) -> bool:
    """Whether ``address`` is at a domain reserved for examples (RFC 2606,
    RFC 6761): ``jane@example.com``, ``bot@ci.test``."""
    domain = address.rpartition("@")[2].strip().rstrip(".").lower()
    if not domain:
        return False
    if any(domain == d or domain.endswith("." + d) for d in RESERVED_DOMAINS):
        return True
    return domain.rpartition(".")[2] in RESERVED_TLDS


# --- the stage ------------------------------------------------------------------

@dataclass
class Ignores:
    """Inline and config ignores and the allow-list of one assessment."""

    root: Path
    config_ignores: Sequence[ConfigIgnore] = ()
    allow: AllowList = field(default_factory=AllowList)
    known_ids: frozenset[str] = frozenset()
    _known_memo: dict[str, bool] = field(default_factory=dict, repr=False)

    def apply(self, findings: Sequence[Finding],
              ) -> tuple[list[Finding], list[Suppressed], list[Finding]]:
        """``(kept, suppressed, problems)``: the findings no ignore covers,
        those one does, and a ``bundle.ignore-invalid`` finding for each
        ignore marker that cannot be used."""
        markers = self._markers(findings)
        kept: list[Finding] = []
        suppressed: list[Suppressed] = []
        for f in findings:
            done = self._suppression(f, markers)
            if done is None:
                kept.append(f)
            else:
                suppressed.append(done)
        return kept, suppressed, self._problems(markers)

    def _suppression(self, f: Finding, markers: dict[str, dict[int, list[InlineIgnore]]],
                     ) -> Suppressed | None:
        lines = finding_lines(f)
        in_file = markers.get(f.location.path, {})
        if lines and in_file:
            reasons = [_covering(in_file, line, f.id) for line in lines]
            if all(reasons):
                return Suppressed(f, "inline", "; ".join(dict.fromkeys(reasons)))
        for ignore in self.config_ignores:
            if ignore.covers(f):
                return Suppressed(f, "config", ignore.reason)
        kind = self.allow.which(f) if self.allow else None
        if kind is not None:
            return Suppressed(f, "allow-list", self.allow.justification(kind))
        return None

    def _markers(self, findings: Sequence[Finding]) -> dict[str, dict[int, list[InlineIgnore]]]:
        """The ignore markers on the lines findings are on, and the lines
        above them, by path and line: only those lines are read."""
        wanted: dict[str, set[int]] = {}
        for f in findings:
            for line in finding_lines(f):
                wanted.setdefault(f.location.path, set()).update((line, line - 1))
        out: dict[str, dict[int, list[InlineIgnore]]] = {}
        for path, lines in wanted.items():
            lines.discard(0)
            found = {n: parse_markers(text) for n, text in read_lines(self.root, path,
                                                                       lines).items()}
            found = {n: m for n, m in found.items() if m}
            if found:
                out[path] = found
        return out

    def _problems(self, markers: dict[str, dict[int, list[InlineIgnore]]]) -> list[Finding]:
        out = []
        for path, by_line in markers.items():
            seen: set[str] = set()  # one finding per problem and file, at its first line
            for line, found in sorted(by_line.items()):
                for marker in found:
                    why = self._invalid(marker)
                    if why is not None and why[1] not in seen and len(seen) < \
                            MAX_PROBLEMS_PER_FILE:
                        seen.add(why[1])
                        out.append(_invalid_finding(path, line, *why))
        return out

    def _invalid(self, marker: InlineIgnore) -> tuple[str, str] | None:
        """``(what is wrong, a key for the fingerprint)``, or None."""
        if not marker.ids:
            return "names no finding id", "no-id"
        bad = [i for i in marker.ids if not self._known(i)]
        if bad:
            shown = [f"`{i}`" for i in bad if _ID_PATTERN.fullmatch(i)]
            named = f" ({', '.join(shown)})" if shown else ""
            return f"names an id that no check reports{named}", "unknown:" + ",".join(bad)
        if not marker.reason:
            return "gives no reason", "no-reason:" + ",".join(marker.ids)
        return None

    def _known(self, finding_id: str) -> bool:
        known = self._known_memo.get(finding_id)
        if known is None:
            known = self._known_memo[finding_id] = self._is_known(finding_id)
        return known

    def _is_known(self, finding_id: str) -> bool:
        if not _ID_PATTERN.fullmatch(finding_id):
            return False
        if finding_id.endswith(".*"):
            prefix = finding_id[:-1]
            return prefix in CORE_NAMESPACES or any(k.startswith(prefix)
                                                    for k in self.known_ids)
        return (finding_id in self.known_ids or finding_id.startswith(CORE_NAMESPACES)) and \
            FINDING_ID.fullmatch(finding_id) is not None


def _covering(markers: dict[int, list[InlineIgnore]], line: int, finding_id: str) -> str:
    """The reason of an ignore for ``finding_id`` on ``line`` or the one
    above it ('' when none)."""
    for n in (line, line - 1):
        for marker in markers.get(n, ()):
            if marker.covers(finding_id):
                return marker.reason
    return ""


def _invalid_finding(path: str, line: int, what: str, key: str) -> Finding:
    return Finding(
        id=INVALID_ID,
        severity=Severity.LOW,
        message=f"An `aiart-release: ignore[…]` comment {what}: it suppresses nothing",
        location=Location(path=path, line=line),
        remediation="Write `aiart-release: ignore[finding.id] why it is no problem`, with an id "
                    "from docs/findings.md and a reason, or remove the comment",
        matched=key,
        # Like every fingerprint: the place in the file left out.
        fingerprint=fingerprint(INVALID_ID, path, key),
    ).with_defaults(check="ignores", checkpoint=Checkpoint.PUBLISHING, artifact="docs")


def known_finding_ids(checks: Iterable[Any]) -> frozenset[str]:
    """Every finding id the registered checks declare."""
    return frozenset(i for check in checks for i in getattr(check, "findings", {}) or {})


def from_config(root: Path, config: Any, checks: Iterable[Any]) -> Ignores:
    """The ignores of an assessment: the config's ``ignore`` and ``allow``
    (already validated by config.py; absent in an older Config) and the ids
    the checks declare."""
    allow = getattr(config, "allow", None) or AllowList()
    contact = getattr(config, "contact", None) or ""
    if "@" in contact and "://" not in contact:
        allow = replace(allow, contact=(contact.removeprefix("mailto:"),), _hashes={})
    return Ignores(
        root=Path(root),
        config_ignores=tuple(getattr(config, "ignore", ()) or ()),
        allow=allow,
        known_ids=known_finding_ids(checks),
    )
