"""The dataset composition summary: what a dataset is made of, in counts.

The field guide asks how diverse a dataset is and what it might be missing.
This module answers with counts for the artist to reflect on, never a
verdict: it raises no finding and changes no tier (docs/architecture.md).

    sources      items per source domain (the host of a URL, never the URL;
                 "(none stated)" and "(not a URL)" counted too)
    creators     how many distinct creators, how many items name none
                 (never the names: they are personal data)
    licences     items per licence id
    files        the dataset's files per kind, with their bytes
    captions     whole-word, case-insensitive counts of the words describing
                 people in rules/composition_terms.yaml, as the captions
                 write them (never the caption text)

Reading is bounded: at most MAX_ROWS manifest and caption rows and
MAX_CAPTION_BYTES of caption text in all; a summary that stopped early says
so (``capped``). A file that cannot be read is skipped and counted in
``unreadable``: the checks report it as ``bundle.unreadable``.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import field
from typing import Any
from urllib.parse import urlsplit

from .bundle import BundleFile, Inventory
from .lazy_pattern import LazyPattern
from .readers.tables import TableError, iter_rows, table_format
from .readers.text import TextUnreadable, read_text
from .readers.yamlfile import shipped_data
from .records import dataclass

DATASET = "dataset"
# Rows read from manifests and caption tables together, and bytes of caption
# text: enough for a fine-tuning set, and about a second at most (10,000
# caption rows take 0.2 s; benchmarks in the commit message).
MAX_ROWS = 50_000
MAX_CAPTION_BYTES = 16 * 1024 * 1024
# Per sidecar caption (.txt next to an image): a caption is short.
MAX_SIDECAR_BYTES = 64 * 1024
# At most this many entries per table (the rest summed as "other").
MAX_ENTRIES = 20

# Column names, lower-cased, as manifests and caption tables write them.
_CREATOR = ("creator", "author", "artist", "by", "credit", "photographer", "owner",
            "uploader", "contributor", "attribution")
_SOURCE = ("source", "url", "source_url", "origin", "link", "page", "src", "web_url",
           "original_url", "landing_url", "page_url")
_LICENSE = ("license", "licence", "license_id", "licence_id", "rights", "spdx")
_CAPTION = ("caption", "captions", "text", "prompt", "description", "tags", "title")
_SIDECAR_SUFFIXES = {".txt", ".caption"}
# A licence id (one token), or a licence written out in words all of which
# are licence vocabulary ("CC BY 4.0"); anything else is free text, which
# may name a person ("permission from ...") and is only counted.
_LICENSE_ID = LazyPattern(r"^[A-Za-z0-9][A-Za-z0-9.+\-_]{0,39}$")
_LICENSE_WORDS = frozenset(
    "cc cc0 by sa nc nd creative commons attribution sharealike noncommercial noderivatives "
    "zero public domain gpl lgpl agpl mit apache bsd mpl license licence unlicense all "
    "rights reserved international generic unported only or later other".split())
_VERSION = LazyPattern(r"^v?\d+(\.\d+)*$")
_HOST = LazyPattern(r"^[a-z0-9.-]{1,253}$")
NOT_A_URL = "(not a URL)"
FREE_TEXT = "(free text)"
NONE_STATED = "(none stated)"
OTHER = "(other)"
# The counts' own names, as opposed to a host or a licence id read from the
# bundle: a report may show these as its own words.
PLACEHOLDERS = frozenset({NOT_A_URL, FREE_TEXT, NONE_STATED, OTHER})


@dataclass
class _Budget:
    rows: int = MAX_ROWS
    bytes: int = MAX_CAPTION_BYTES
    capped: bool = False

    def take_row(self) -> bool:
        if self.rows <= 0:
            self.capped = True
            return False
        self.rows -= 1
        return True

    def take_bytes(self, text: str) -> str:
        """``text`` as far as the byte budget lets it be read."""
        size = len(text.encode("utf-8", "surrogatepass"))
        if size <= self.bytes:
            self.bytes -= size
            return text
        self.capped = True
        kept, self.bytes = text[: self.bytes], 0
        return kept


@dataclass
class _Tally:
    sources: Counter = field(default_factory=Counter)
    licenses: Counter = field(default_factory=Counter)
    creators: set = field(default_factory=set)
    items: int = 0
    without_creator: int = 0
    terms: dict[str, Counter] = field(default_factory=dict)
    captions: int = 0
    unreadable: int = 0


def summarize(inventory: Inventory) -> dict[str, Any] | None:
    """The composition of the bundle's dataset, or None when it has none."""
    dataset = inventory.of_artifact(DATASET)
    if not dataset:
        return None
    tally, budget = _Tally(), _Budget(rows=MAX_ROWS, bytes=MAX_CAPTION_BYTES)
    matcher = _TermMatcher(shipped_data("composition_terms.yaml"))
    tally.terms = {category: Counter() for category in matcher.categories}
    captioned = _captioned_stems(dataset)
    for f in dataset:
        if not f.readable:
            continue
        if f.kind == "manifest" and _is_record_table(f):
            _read_table(f, tally, budget, matcher, manifest=True)
        elif table_format(f.abspath) in ("csv", "tsv", "jsonl"):
            _read_table(f, tally, budget, matcher, manifest=False)
        elif f.suffix in _SIDECAR_SUFFIXES and _stem(f) in captioned:
            _read_sidecar(f, tally, budget, matcher)
    return _as_dict(dataset, tally, budget, matcher.note)


def _is_record_table(f: BundleFile) -> bool:
    """A manifest read row by row: a table, or a JSON array of records (a
    JSON object, Croissant say, is the provenance check's to read)."""
    fmt = table_format(f.abspath)
    if fmt == "json":
        return f.head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"[")
    return fmt in ("csv", "tsv", "jsonl")


def _stem(f: BundleFile) -> str:
    return f.path.rsplit(".", 1)[0] if "." in f.name else f.path


def _captioned_stems(dataset: list[BundleFile]) -> set[str]:
    """Paths less suffix of the dataset's other files: a .txt sharing one
    with an image is that image's caption (a README.txt is not)."""
    return {_stem(f) for f in dataset if f.suffix not in _SIDECAR_SUFFIXES}


def _read_table(f: BundleFile, tally: _Tally, budget: _Budget, matcher: _TermMatcher,
                manifest: bool) -> None:
    try:
        for _row, _line, cells in iter_rows(f.abspath):
            if not budget.take_row():
                return
            record = {k.strip().lower().replace(" ", "_"): v for k, v in cells.items()}
            if manifest or _first(record, _CREATOR + _SOURCE + _LICENSE):
                _count_item(record, tally)
            caption = _first(record, _CAPTION)
            if caption:
                tally.captions += 1
                matcher.count(budget.take_bytes(caption), tally.terms)
    except (TableError, OSError):
        tally.unreadable += 1


def _read_sidecar(f: BundleFile, tally: _Tally, budget: _Budget,
                  matcher: _TermMatcher) -> None:
    if budget.bytes <= 0 or not budget.take_row():
        budget.capped = True
        return
    try:
        text, _truncated = read_text(f.abspath, min(MAX_SIDECAR_BYTES, budget.bytes))
    except TextUnreadable:
        tally.unreadable += 1
        return
    if text.strip():
        tally.captions += 1
        matcher.count(budget.take_bytes(text), tally.terms)


def _count_item(record: dict[str, str], tally: _Tally) -> None:
    tally.items += 1
    creator = _first(record, _CREATOR)
    if creator:
        tally.creators.add(creator.strip().lower())
    else:
        tally.without_creator += 1
    source = _first(record, _SOURCE)
    tally.sources[_domain(source) if source else NONE_STATED] += 1
    license_id = (_first(record, _LICENSE) or "").strip()
    if not license_id:
        license_id = NONE_STATED
    elif not _is_license_id(license_id):
        license_id = FREE_TEXT
    tally.licenses[license_id] += 1


def _is_license_id(text: str) -> bool:
    if len(text) > 40:
        return False
    from .license_catalog import info

    # An SPDX id or a catalogued licence is shown as written. Anything else
    # must be spelled from licence words and versions, with at least one word:
    # a single word ("Quintavalle") or digit groups ("020-7946-0958") may be a
    # person's name or number, and are counted as free text, never shown.
    if info(text).known:
        return True
    words = text.lower().replace("-", " ").split()
    return any(w in _LICENSE_WORDS for w in words) and all(
        w in _LICENSE_WORDS or _VERSION.match(w) for w in words)


def _first(record: dict[str, str], names: tuple[str, ...]) -> str | None:
    for name in names:
        value = record.get(name)
        if value and value.strip():
            return value
    return None


def _domain(source: str) -> str:
    """The host of a URL (``www.`` dropped), never its path: paths name people."""
    text = source.strip()
    if "://" not in text:
        return NOT_A_URL
    try:
        host = (urlsplit(text).hostname or "").removeprefix("www.")
    except ValueError:
        return NOT_A_URL
    return host if _HOST.match(host) else NOT_A_URL


class _TermMatcher:
    """Whole-word, case-insensitive counts of the shipped terms."""

    def __init__(self, data: dict[str, Any]):
        self.note = str(data.get("note", "")).strip()
        self.categories = list(data["categories"])
        # One pattern for every term (one pass over each caption); the
        # longest first, so that "middle-aged" wins over "aged".
        self._category = {str(term).lower(): category
                          for category, terms in data["categories"].items() for term in terms}
        self._pattern = re.compile(
            r"(?<![\w-])(" + "|".join(re.escape(t) for t in
                                      sorted(self._category, key=len, reverse=True))
            + r")(?![\w-])", re.IGNORECASE)

    def count(self, text: str, into: dict[str, Counter]) -> None:
        for match in self._pattern.finditer(text):
            term = match.group(1).lower()
            into[self._category[term]][term] += 1


def _top(counter: Counter) -> dict[str, int]:
    """The MAX_ENTRIES most common, the rest summed as OTHER."""
    ranked = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))
    out = dict(ranked[:MAX_ENTRIES])
    rest = sum(n for _, n in ranked[MAX_ENTRIES:])
    if rest:
        out[OTHER] = rest
    return out


def _as_dict(dataset: list[BundleFile], tally: _Tally, budget: _Budget,
             note: str) -> dict[str, Any]:
    kinds: dict[str, dict[str, int]] = {}
    for f in dataset:
        entry = kinds.setdefault(f.kind, {"files": 0, "bytes": 0})
        entry["files"] += 1
        entry["bytes"] += f.size
    return {
        "note": "Information to reflect on, not a verdict: no finding, no effect on tiers.",
        "files": dict(sorted(kinds.items())),
        "items": tally.items,
        "sources": _top(tally.sources),
        "creators": {"distinct": len(tally.creators), "items_without": tally.without_creator},
        "licenses": _top(tally.licenses),
        "captions": {
            "read": tally.captions,
            "terms": {category: _top(counts) for category, counts in tally.terms.items()},
            "note": note,
        },
        "capped": budget.capped,
        "limits": {"rows": MAX_ROWS, "caption_bytes": MAX_CAPTION_BYTES},
        "unreadable": tally.unreadable,
    }
