"""Which licence is this text? The methods licensee uses, in its order:

1. an ``SPDX-License-Identifier:`` line (exact);
2. a sentence only one licence has (the AI licences, whose texts are not in
   the SPDX list: "CreativeML Open RAIL-M", "LLAMA 2 COMMUNITY LICENSE
   AGREEMENT");
3. the Sørensen–Dice coefficient between the text's set of normalised words
   and each SPDX licence text's (fingerprints in
   ``rules/license_index.json.gz``, built by ``tools/build_license_index.py``);
4. a reference by name ("licensed under the MIT License", "CC BY-NC 4.0").
"""

from __future__ import annotations

import gzip
import json
import re
from functools import cache
from importlib import resources

from aiart_release.license_catalog import phrases, resolve
from aiart_release.records import dataclass

from .normalize import words

# Dice at or above this is a match (licensee uses 0.98 for an exact match and
# reports lower scores as close matches; copyright lines and small edits
# stay above 0.9).
DICE_MATCH = 0.90
# Words common to most licences tell none apart: candidates come from the
# rarer ones, and Dice is computed only for the best of those.
CANDIDATES = 12


@cache
def _spdx_line() -> re.Pattern[str]:
    return re.compile(r"SPDX-License-Identifier:[ \t]*([^\n*]+?)\s*(?:\*/|-->|$)",
                      re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class Identification:
    """A licence found in a text: its id (or expression), how sure, how."""

    license: str
    confidence: float
    method: str  # spdx-identifier | phrase | dice | reference


@dataclass
class _Index:
    vocabulary: dict[str, int]
    sets: dict[str, frozenset[int]]
    postings: dict[int, list[str]]
    sequences: dict[str, str]


@cache
def _index() -> _Index:
    path = resources.files("aiart_release.rules_data").joinpath("license_index.json.gz")
    with path.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as handle:
        data = json.load(handle)
    vocabulary = {word: i for i, word in enumerate(data["vocabulary"])}
    sets = {lid: frozenset(entry["words"]) for lid, entry in data["licenses"].items()}
    postings: dict[int, list[str]] = {}
    limit = len(sets) // 2  # a word in most licences tells none apart
    counts: dict[int, int] = {}
    for members in sets.values():
        for word in members:
            counts[word] = counts.get(word, 0) + 1
    for lid, members in sets.items():
        for word in members:
            if counts[word] <= limit:
                postings.setdefault(word, []).append(lid)
    return _Index(vocabulary, sets, postings, data.get("sequences", {}))


def original_words(license_id: str) -> list[str] | None:
    """The normalised words, in order, of a licence's standard text (only
    for the licences ``rules/licenses.yaml`` describes), or None."""
    sequence = _index().sequences.get(license_id)
    return sequence.split(" ") if sequence else None


def dice(text: str) -> list[tuple[str, float]]:
    """The best-matching SPDX licences of a text, by Dice coefficient."""
    index = _index()
    found = {index.vocabulary[w] for w in words(text) if w in index.vocabulary}
    extra = len(words(text)) - len(found)  # words no licence has
    if not found:
        return []
    votes: dict[str, int] = {}
    for word in found:
        for lid in index.postings.get(word, ()):
            votes[lid] = votes.get(lid, 0) + 1
    candidates = sorted(votes, key=votes.get, reverse=True)[:CANDIDATES]  # type: ignore[arg-type]
    scored = _score(index, found, extra, candidates)
    if not scored or scored[0][1] < DICE_MATCH:
        # The rare words misled us (a short text of common words): compare
        # with every licence, a few milliseconds.
        scored = _score(index, found, extra, index.sets)
    return scored


def _score(index: _Index, found: set[int], extra: int, candidates) -> list[tuple[str, float]]:
    scored = []
    for lid in candidates:
        members = index.sets[lid]
        overlap = len(found & members)
        scored.append((lid, 2 * overlap / (len(found) + extra + len(members))))
    return sorted(scored, key=lambda item: (-item[1], item[0]))


# A section that holds a licence's text among other words (a third-party
# notice: the component's name, its copyright lines, a contribution note)
# contains nearly all of that licence's words, though its Dice is lower.
CONTAINED = 0.97


def contained(text: str) -> Identification | None:
    """The licence whose words a longer text holds nearly all of, among the
    best Dice candidates; None when there is none."""
    index = _index()
    found = {index.vocabulary[w] for w in words(text) if w in index.vocabulary}
    best: tuple[float, int, str] | None = None
    for license_id, _ in dice(text)[:5]:
        members = index.sets[license_id]
        share = len(found & members) / len(members)
        if share >= CONTAINED and (best is None or (share, len(members)) > best[:2]):
            best = (share, len(members), license_id)
    return Identification(best[2], round(0.9 * best[0], 3), "contains") if best else None


def identify_text(text: str) -> Identification | None:
    """Identify the licence a licence file holds, or None."""
    declared = _spdx_line().search(text)
    if declared:
        expression = resolve(declared.group(1))
        if expression:
            return Identification(expression, 1.0, "spdx-identifier")
    for phrase, license_id in phrases():
        if phrase.lower() in text.lower():
            return Identification(license_id, 0.95, "phrase")
    best = dice(text)
    if best and best[0][1] >= DICE_MATCH:
        license_id, score = best[0]
        # Texts that differ only in their name ("-only"/"-or-later", the
        # GFDL variants) tie: prefer "-only", then the shortest id, as SPDX
        # does for a text without a header.
        ties = [lid for lid, s in best if s == score]
        chosen = sorted(ties, key=lambda lid: ("-or-later" in lid, len(lid), lid))[0]
        return Identification(chosen, round(score, 3), "dice")
    referenced = reference(text)
    if referenced:
        return Identification(referenced, 0.8, "reference")
    return None


# "licensed under the MIT License", "CC BY-NC 4.0", "Apache License, Version 2.0".
# Whitespace is folded to one space before matching, so a title split over
# two lines ("Apache License\n  Version 2.0") still matches.
@cache
def _references():
    return [
        (re.compile(r"\b(?:cc|creative commons)[ -]?(by(?:[ -](?:nc|sa|nd)){0,2})[ -]?(\d\.\d)\b",
                    re.I), lambda m: f"CC-{m.group(1).upper().replace(' ', '-')}-{m.group(2)}"),
        (re.compile(r"creative commons attribution[- ]non[- ]?commercial[- ]share[- ]?alike "
                    r"(\d\.\d)",
                    re.I), lambda m: f"CC-BY-NC-SA-{m.group(1)}"),
        (re.compile(r"creative commons attribution[- ]non[- ]?commercial[- ]no[- ]?deriv\w* "
                    r"(\d\.\d)",
                    re.I), lambda m: f"CC-BY-NC-ND-{m.group(1)}"),
        (re.compile(r"creative commons attribution[- ]non[- ]?commercial (\d\.\d)", re.I),
         lambda m: f"CC-BY-NC-{m.group(1)}"),
        (re.compile(r"creative commons attribution[- ]share[- ]?alike (\d\.\d)", re.I),
         lambda m: f"CC-BY-SA-{m.group(1)}"),
        (re.compile(r"creative commons attribution (\d\.\d)", re.I),
         lambda m: f"CC-BY-{m.group(1)}"),
        (re.compile(r"\b(?:cc0|creative commons zero)\b", re.I), lambda m: "CC0-1.0"),
        (re.compile(r"\bapache(?: license,?)?(?: version| v)?[ -]?2(?:\.0)?\b", re.I),
         lambda m: "Apache-2.0"),
        (re.compile(r"\bmit licen[cs]e\b|\b(?:licen[cs]ed|released|available|distributed) under "
                    r"(?:the |an? )?mit\b", re.I), lambda m: "MIT"),
        (re.compile(r"\bgnu (?:lesser|library) general public licen[cs]e,? (?:version |v)?"
                    r"(\d(?:\.\d)?)", re.I),
         lambda m: {"2": "LGPL-2.1-only", "2.1": "LGPL-2.1-only",
                    "3": "LGPL-3.0-only"}.get(m.group(1), "x")),
        (re.compile(r"\b(?:lgpl)[ -]?v?(3|2\.1)(?:\.0)?\b", re.I),
         lambda m: "LGPL-3.0-only" if m.group(1) == "3" else "LGPL-2.1-only"),
        (re.compile(r"\bgnu general public licen[cs]e,? (?:version |v)?3", re.I),
         lambda m: "GPL-3.0-only"),
        (re.compile(r"\bgnu general public licen[cs]e,? (?:version |v)?2", re.I),
         lambda m: "GPL-2.0-only"),
        (re.compile(r"\b(?:a)?gpl[ -]?v?3(?:\.0)?\b", re.I),
         lambda m: "AGPL-3.0-only" if m.group(0).lower().startswith("a") else "GPL-3.0-only"),
        (re.compile(r"\bmozilla public licen[cs]e,? (?:version |v)?2\.0|\bmpl[ -]?2\.0\b", re.I),
         lambda m: "MPL-2.0"),
        (re.compile(r"\bbsd[ -]3[ -]clause\b|\b3-clause bsd\b", re.I), lambda m: "BSD-3-Clause"),
        (re.compile(r"\bbsd[ -]2[ -]clause\b|\b2-clause bsd\b", re.I), lambda m: "BSD-2-Clause"),
        (re.compile(r"\bthe unlicense\b", re.I), lambda m: "Unlicense"),
    ]


@dataclass(frozen=True)
class Reference:
    """A licence a text names, and where (character offset) it names it."""

    license: str
    start: int
    end: int


# A notice names a few licences; a file that names thousands is read for
# the first ones only (the overlap test below is quadratic in this number).
MAX_REFERENCES = 200
# Licences are named near the top of a notice: a 1 MB file is searched in
# its first 256 KB (linear, but 20 patterns).
REFERENCE_CHARS = 256 * 1024


def references(text: str) -> list[Reference]:
    """Every licence a text names instead of quoting, in text order
    (overlapping names keep the first, longest one), at most MAX_REFERENCES."""
    folded = re.sub(r"\s", " ", text[:REFERENCE_CHARS])  # same offsets, one line
    found: list[Reference] = []
    for pattern, make in _references():
        for match in pattern.finditer(folded):
            if len(found) >= MAX_REFERENCES:
                break
            if any(r.start < match.end() and match.start() < r.end for r in found):
                continue
            resolved = resolve(make(match))
            if resolved:
                found.append(Reference(resolved, match.start(), match.end()))
    return sorted(found, key=lambda r: r.start)


def reference(text: str) -> str | None:
    """The first licence a short notice names instead of quoting."""
    found = references(text)
    return found[0].license if found else None


# Terms of a licence of its own (not a standard text) that forbid commercial
# use: "NONCOMMERCIAL RESEARCH USE ONLY", "for non-commercial purposes".
@cache
def _nc_terms() -> re.Pattern[str]:
    return re.compile(
        r"\bnon[- ]?commercial (?:research |academic )?(?:use|purposes?|research)\b|"
        r"\bnot (?:be )?(?:used )?for (?:any )?commercial (?:use|purposes?)\b|"
        r"\bno commercial use\b|\bcommercial use (?:is )?(?:not permitted|prohibited|forbidden)\b|"
        r"\bresearch (?:use |purposes )?only\b|\bacademic (?:use|research) only\b", re.I)


# Terms of a licence of its own that allow any use: "may be freely used for
# any purpose".
@cache
def _any_use() -> re.Pattern[str]:
    return re.compile(
        r"\b(?:may|can) be (?:freely )?used(?:, copied,? (?:and|or) modified)? for any purpose\b|"
        r"\bpermission is (?:hereby )?granted[^.]{0,80}\bfor any purpose\b|"
        r"\b(?:free|freely) (?:to|for) (?:use|anyone to use) for any purpose\b", re.I)


def any_use_terms(text: str) -> str | None:
    """The words by which a text of its own allows any use, or None."""
    match = _any_use().search(re.sub(r"\s+", " ", text))
    return match.group(0) if match else None


def non_commercial_terms(text: str) -> str | None:
    """The words by which a text of its own forbids commercial use, or None."""
    match = _nc_terms().search(re.sub(r"\s+", " ", text))
    return match.group(0) if match else None
