"""What the personal-data plugin adds to the core's masking gate: names of
people and profile links, in the short texts a report quotes (a file name
``Tomasz Kowalski.png``, a column ``maria_gonzalez``, a caption-map key, a
sentence of a card).

The gate runs on every message, path and field of a report, so this is no
Presidio and no spaCy: a name is a given name of the lexicon
(``recognizers.given_names``, from Faker) followed by a family name
(``recognizers.surnames``, or one with a family-name ending: -ski, -ova,
-enko...), the two joined as names are joined in text and identifiers:

- ``Maria Gonzalez``, ``MARIA GONZALEZ`` (a space; same case),
- ``maria_gonzalez``, ``maria-gonzalez``, ``maria.gonzalez`` (same case).

Two lower-case words joined by a space are words in prose ("the meta
field"); in a path or a field name the gate hands the text over with its
spaces as ``_`` (``masking.Gate.redact_identifier``), so ``maria
gonzalez.jpg`` is a name there.

Camel case is left out: ``UnknownKind`` and ``LineTooLong`` are class
names ("Unknown" and "Line" are given names somewhere, "Kind" and "Long"
family names), and a report quotes class names far more often than a
``MariaGonzalez``.

A lone given name ("Line 18", "Meta") or two lower-case words in a sentence
("the meta field") is no name here: that is the check's business, with its
model, on the bundle's text. The lexicons load on the first text that holds
a candidate pair, never when the plugin loads.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from collections.abc import Set as AbstractSet
from functools import cache

from aiart_release.lazy_pattern import LazyPattern

from .recognizers import PATTERNS

Span = tuple[int, int, str]

_LETTERS = LazyPattern(r"[^\W\d_]+")
# Endings of family names the lexicon may lack (Kowalski, Petrova, Shevchenko).
_FAMILY_ENDING = LazyPattern(r"(?:ski|ska|cki|cka|wicz|owa|ova|eva|ová|enko|chuk|yan|ishvili|"
                            r"dze|oglu|oğlu|escu|ez)$")
MIN_NAME_CHARS = 2


@cache
def _lexicons() -> tuple[AbstractSet[str], AbstractSet[str], frozenset[str]]:
    """Given names, family names, and words that are no part of a name."""
    from .analyzer import settings_data
    from .recognizers import given_names, surnames

    return given_names(), surnames(), frozenset(settings_data()["not_name_words"])


def _style(word: str) -> str | None:
    if word.istitle():
        return "title"
    if word.islower():
        return "lower"
    if word.isupper() and len(word) > 1:
        return "upper"
    return None


# How two words of one name are joined, by their case.
_JOINS = {
    "title": {" ", "_", "-", "."},
    "upper": {" ", "_", "-"},
    "lower": {"_", "-", "."},
}


def _joined(text: str, left: tuple[int, int, str], right: tuple[int, int, str]) -> bool:
    style = _style(left[2])
    return style is not None and style == _style(right[2]) and \
        text[left[1]:right[0]] in _JOINS[style]


def _candidates(text: str) -> list[list[tuple[int, int, str]]]:
    """Runs of joined words, at least two, each long enough to be a name."""
    runs: list[list[tuple[int, int, str]]] = []
    for m in _LETTERS.finditer(text):
        token = (m.start(), m.end(), m.group(0))
        if runs and _joined(text, runs[-1][-1], token):
            runs[-1].append(token)
        else:
            runs.append([token])
    return [run for run in runs
            if len(run) >= 2 and sum(len(t[2]) >= MIN_NAME_CHARS for t in run) >= 2]


def name_spans(text: str) -> Iterator[Span]:
    """A given name and a family name (perhaps a second given name between
    them), joined as names are: masked as words."""
    runs = _candidates(text)
    if not runs:
        return
    given, family, not_name = _lexicons()
    for run in runs:
        words = [t[2].lower() for t in run]
        i = 0
        while i < len(run) - 1:
            end = _name_end(words, i, given, family, not_name)
            if end is None:
                i += 1
                continue
            yield run[i][0], run[end][1], "words"
            i = end + 1


def _name_end(words: list[str], i: int, given: frozenset[str], family: frozenset[str],
              not_name: frozenset[str]) -> int | None:
    """The index of the family name that ends a name starting at ``i``."""
    if words[i] not in given or words[i] in not_name:
        return None
    for j in (i + 1, i + 2):
        if j >= len(words) or words[j] in not_name:
            return None
        if words[j] in family or _FAMILY_ENDING.search(words[j]):
            return j
        if words[j] not in given:  # a second given name may stand between
            return None
    return None


# A bare "@name" is left out: in what a report quotes it is a decorator
# (``@hookimpl``), a JSDoc tag or a BibTeX entry type far more often than a
# handle; the check reports handles in the bundle's text with its context.
_PROFILES = [re.compile(regex, re.IGNORECASE) for name, regex, _ in PATTERNS["SOCIAL_HANDLE"]
             if name != "@handle"]


def profile_spans(text: str) -> Iterator[Span]:
    """Profile links and user names (``u/kit_painter``,
    ``artstation.com/kitpaints``, ``kitpaints.tumblr.com``): masked as
    handles, the site kept."""
    if "/" not in text and "." not in text:
        return
    for pattern in _PROFILES:
        for m in pattern.finditer(text):
            yield m.start(), m.end(), "handle"
