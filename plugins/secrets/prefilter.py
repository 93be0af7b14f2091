"""Which lines could hold a secret: a test that costs a few substring
searches, so that detect-secrets' plugins run only on those lines.

Most lines of a repository hold no secret, and running ~50 patterns on every
line is what makes ``detect-secrets scan`` slow (one pattern made of all of
them is no faster: Python's ``re`` loses each pattern's literal-prefix scan
in an alternation, about 1.4 s per MB). Instead, each plugin pattern is read
(with the standard library's own regular-expression parser) for the words
that **every** match must contain: ``ghp_``/``gho_``/… for a GitHub token,
``akia``/``asia``/… for an AWS key, ``key``/``pass``/``token`` for an
assignment such as ``ibm_api_key = …``. A line holding none of a pattern's
words cannot match it. A pattern with no such word (a Discord token is
letters and dots) is searched as it is, in one alternation of the few of
them. The test only saves time; it never decides that something is a secret.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from aiart_release.records import dataclass

try:  # Python 3.11+
    from re import _constants as _ops
    from re import _parser as _sre
except ImportError:  # pragma: no cover - Python < 3.11
    import sre_constants as _ops  # type: ignore[no-redef]
    import sre_parse as _sre  # type: ignore[no-redef]

# Shorter words are too common to save anything ("-" is in every line).
MIN_WORD = 2
# A character class of at most this many characters ([po] in gh[po]_) is
# expanded into words; past it, the words so far end there.
MAX_CLASS = 6
MAX_WORDS = 64


@dataclass(frozen=True)
class Prefilter:
    """Words every match contains (as written, and lower-cased for the
    case-insensitive patterns), and the patterns that have none."""

    words: tuple[str, ...]
    lower_words: tuple[str, ...]
    rest: re.Pattern[str] | None

    def may_match(self, line: str) -> bool:
        if any(word in line for word in self.words):
            return True
        if self.lower_words:
            lowered = line.lower()
            if any(word in lowered for word in self.lower_words):
                return True
        return self.rest is not None and self.rest.search(line) is not None


def build(patterns: Iterable[re.Pattern[str]]) -> Prefilter:
    words: set[str] = set()
    lower_words: set[str] = set()
    rest: list[re.Pattern[str]] = []
    for pattern in patterns:
        found = required_words(pattern)
        if found is None:
            rest.append(pattern)
        elif _ignores_case(pattern):
            lower_words |= {w.lower() for w in found}
        else:
            words |= found
    # A word that holds another is redundant: "ghp_" once "gh" is there.
    return Prefilter(_shortest(words), _shortest(lower_words), union(rest) if rest else None)


def union(patterns: Iterable[re.Pattern[str]]) -> re.Pattern[str]:
    """One pattern that matches where any of ``patterns`` does, each keeping
    its own case-insensitivity."""
    return re.compile("|".join(f"(?i:{p.pattern})" if p.flags & re.IGNORECASE
                               else f"(?:{p.pattern})" for p in patterns))


def required_words(pattern: re.Pattern[str]) -> frozenset[str] | None:
    """Words one of which every match of ``pattern`` contains, or None when
    the pattern has none of at least MIN_WORD characters."""
    try:
        parsed = _sre.parse(pattern.pattern, pattern.flags)
    except re.error:  # pragma: no cover - the pattern compiled already
        return None
    found = _required(list(parsed))
    return frozenset(found) if found else None


def _ignores_case(pattern: re.Pattern[str]) -> bool:
    return bool(pattern.flags & re.IGNORECASE) or "(?i" in pattern.pattern


# How rare a character is in code and prose, roughly (English letter
# frequencies): a word of rare characters lets fewer lines through. "cl" is
# in every other line of code, "pw" seldom.
_COMMON = "etaoinsrhdlcumwfgypbvkjxqz"


def _rarity(word: str) -> float:
    return sum(0.5 + _COMMON.index(c) / 10 if c in _COMMON else 2.0 for c in word)


def _score(words: set[str]) -> tuple[float, int]:
    """Better words are rarer, and fewer."""
    return min(_rarity(w) for w in words), -len(words)


def _required(sequence: list) -> set[str] | None:
    """The best set of words one of which every match of this parsed
    sequence contains (see :func:`required_words`)."""
    best: set[str] | None = None
    runs: set[str] = {""}

    def offer(candidate: set[str] | None) -> None:
        nonlocal best
        if candidate and min(map(len, candidate)) >= MIN_WORD and len(candidate) <= MAX_WORDS \
                and (best is None or _score(candidate) > _score(best)):
            best = candidate

    for op, value in sequence:
        if op is _ops.LITERAL:
            runs = {run + chr(value) for run in runs}
            continue
        members = _small_class(op, value)
        if members is not None and len(runs) * len(members) <= MAX_WORDS:
            runs = {run + char for run in runs for char in members}
            continue
        offer(runs)
        runs = {""}
        offer(_inner(op, value))
    offer(runs)
    return best


def _inner(op, value) -> set[str] | None:
    """The words a group, a branch or a repetition requires, if any."""
    if op is _ops.SUBPATTERN:
        return _required(list(value[-1]))
    if op in (_ops.MAX_REPEAT, _ops.MIN_REPEAT, getattr(_ops, "POSSESSIVE_REPEAT", None)):
        low, _high, item = value
        return _required(list(item)) if low >= 1 else None
    if op is getattr(_ops, "ATOMIC_GROUP", None):
        return _required(list(value))
    if op is _ops.BRANCH:
        alternatives = [_required(list(branch)) for branch in value[1]]
        if all(alternatives):
            merged = set().union(*alternatives)  # type: ignore[arg-type]
            return merged if len(merged) <= MAX_WORDS else None
    return None


def _small_class(op, value) -> list[str] | None:
    """The characters of a small class of single characters ([po]), else None."""
    if op is not _ops.IN or len(value) > MAX_CLASS:
        return None
    chars = []
    for kind, item in value:
        if kind is not _ops.LITERAL:
            return None
        chars.append(chr(item))
    return chars


def _shortest(words: set[str]) -> tuple[str, ...]:
    kept = sorted(words, key=len)
    out: list[str] = []
    for word in kept:
        if not any(shorter in word for shorter in out):
            out.append(word)
    return tuple(out)
