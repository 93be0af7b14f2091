"""A masker for the gate of the core: every span of a text that one of the
enabled detect-secrets pattern plugins matches is masked as a secret. And
the check's line prefilter (``line_prefilter``), kept the same way.

Only the pattern plugins: the keyword and URL-password plugins find a
value by the name before it, which the core's own ``password = …`` rule
already masks. A text is first tested for the words their matches must
hold (``prefilter.py``), so a text with no secret in it (most of them)
costs a few substring searches.

The patterns and their prefilter come from detect-secrets' plugins, which
take a tenth of a second to import (detect-secrets imports ``requests``)
and a few hundredths to read for their words. A run that only masks the
cached findings of a pre-commit hook would spend most of its time there, so
both are kept beside the result cache (:func:`aiart_release.cache.derived`),
keyed by detect-secrets' version and the source of this plugin's own
detectors: a later run reads one small file, and compiles the patterns only
when a text passes the prefilter.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from aiart_release.records import dataclass

from .prefilter import Prefilter

# Bumped when the layout of the rows below changes.
TABLE_FORMAT = "1"
# The modules whose code decides the patterns and their words.
_SOURCES = ("detectors.py", "prefilter.py", "maskers.py")


def secret_spans(text: str) -> Iterator[tuple[int, int, str]]:
    """``(start, end, "secret")`` for each secret-shaped span of ``text``."""
    from .detectors import name_length, secret_span

    if not _table().prefilter.may_match(text):
        return
    for pattern in _compiled():
        for match in pattern.finditer(text):
            start, end = secret_span(match)
            start += name_length(text[start:end])  # "AccountKey=": the name stays
            if end > start:
                yield start, end, "secret"


@dataclass(frozen=True)
class _Table:
    """The pattern plugins' patterns (as written, with their flags) and the
    prefilter of the words their matches hold."""

    patterns: tuple[tuple[str, int], ...]
    prefilter: Prefilter


@cache
def _compiled() -> tuple[re.Pattern[str], ...]:
    """The patterns, compiled when a text first passes the prefilter."""
    return tuple(re.compile(pattern, flags) for pattern, flags in _table().patterns)


@cache
def _table() -> _Table:
    return _stored("secrets-masker", _build_rows)


@cache
def line_prefilter() -> Prefilter:
    """Which lines some enabled detect-secrets plugin could match, the
    keyword plugin's words included: the detectors' own prefilter
    (``detectors.Detectors``), kept beside the result cache like the
    masker's table, so that the secrets check passes over a file with no
    such line (a caption) without importing detect-secrets."""
    return _stored("secrets-lines", _build_line_rows).prefilter


def _stored(name: str, build_rows) -> _Table:
    from aiart_release.cache import derived

    key = _key()
    rows = derived(name, key, build_rows) if key else build_rows()
    try:
        return _from_rows(rows)
    except (ValueError, re.error):  # a damaged file: built again, never trusted
        return _from_rows(build_rows())


def _key() -> str | None:
    """What the table is built from: detect-secrets' version and this
    plugin's code; None when either cannot be read (then it is built, not
    kept)."""
    from aiart_release.plugins import installed_version

    version = installed_version("detect-secrets")
    digest = hashlib.sha256(TABLE_FORMAT.encode())
    try:
        for name in _SOURCES:
            digest.update((Path(__file__).parent / name).read_bytes())
    except OSError:
        return None
    return f"detect-secrets {version} masker {digest.hexdigest()}" if version else None


def _build_rows() -> list[str]:
    """The table as lines of text: ``pattern <flags> <regex>`` for each
    pattern, ``word <w>`` and ``lower <w>`` for the prefilter's words, and
    ``rest <flags> <regex>`` for the patterns that have none; ``end <n>
    <digest>`` last."""
    from detect_secrets.plugins.base import RegexBasedDetector

    from .detectors import detectors
    from .prefilter import build

    patterns = [regex for plugin, _, _ in detectors().plugins
                if isinstance(plugin, RegexBasedDetector)
                and type(plugin).__name__ != "BasicAuthDetector"
                for regex in plugin.denylist]
    return _rows(patterns, build(patterns))


def _build_line_rows() -> list[str]:
    from .detectors import detectors

    return _rows([], detectors().prefilter)


def _rows(patterns: list[re.Pattern[str]], prefilter: Prefilter) -> list[str]:
    rows = [f"pattern {p.flags} {p.pattern}" for p in patterns]
    rows += [f"word {w}" for w in prefilter.words]
    rows += [f"lower {w}" for w in prefilter.lower_words]
    if prefilter.rest is not None:
        rows.append(f"rest {prefilter.rest.flags} {prefilter.rest.pattern}")
    return [*rows, _end(rows)]


def _end(rows: list[str]) -> str:
    """The last row: how many rows came before it and their digest, so that
    a file cut short or damaged is told from a whole one."""
    digest = hashlib.sha256("\n".join(rows).encode("utf-8", "surrogatepass")).hexdigest()
    return f"end {len(rows)} {digest}"


def _from_rows(rows: list[str]) -> _Table:
    patterns: list[tuple[str, int]] = []
    words: list[str] = []
    lower: list[str] = []
    rest = None
    if not rows or rows[-1] != _end(rows[:-1]):
        raise ValueError("the table is not whole")
    for row in rows[:-1]:
        kind, _, value = row.partition(" ")
        if kind in ("pattern", "rest"):
            flags, _, regex = value.partition(" ")
            if kind == "pattern":
                patterns.append((regex, int(flags)))
            else:
                rest = re.compile(regex, int(flags))
        elif kind in ("word", "lower") and value:
            (words if kind == "word" else lower).append(value)
        else:
            raise ValueError(f"not a row of the masker's table: {kind!r}")
    if not (patterns or words or lower or rest):
        raise ValueError("an empty table")
    return _Table(tuple(patterns), Prefilter(tuple(words), tuple(lower), rest))
