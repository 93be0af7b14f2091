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
from dataclasses import dataclass
from functools import cache
from importlib import resources

from .catalog import phrases, resolve
from .normalize import words

# Dice at or above this is a match (licensee uses 0.98 for an exact match and
# reports lower scores as close matches; copyright lines and small edits
# stay above 0.9).
DICE_MATCH = 0.90
# Words common to most licences tell none apart: candidates come from the
# rarer ones, and Dice is computed only for the best of those.
CANDIDATES = 12
_SPDX_LINE = re.compile(r"SPDX-License-Identifier:[ \t]*([^\n*]+?)\s*(?:\*/|-->|$)",
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
    return _Index(vocabulary, sets, postings)


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


def identify_text(text: str) -> Identification | None:
    """Identify the licence a licence file holds, or None."""
    declared = _SPDX_LINE.search(text)
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


# "licensed under the MIT License", "CC BY-NC 4.0", "Apache License, Version 2.0"
_REFERENCES = [
    (re.compile(r"\bcc[ -]?(by(?:[ -](?:nc|sa|nd)){0,2})[ -]?(\d\.\d)\b", re.I),
     lambda m: f"CC-{m.group(1).upper().replace(' ', '-')}-{m.group(2)}"),
    (re.compile(r"creative commons attribution[- ]non[- ]?commercial[- ]share[- ]?alike (\d\.\d)",
                re.I), lambda m: f"CC-BY-NC-SA-{m.group(1)}"),
    (re.compile(r"creative commons attribution[- ]non[- ]?commercial[- ]no[- ]?deriv\w* (\d\.\d)",
                re.I), lambda m: f"CC-BY-NC-ND-{m.group(1)}"),
    (re.compile(r"creative commons attribution[- ]non[- ]?commercial (\d\.\d)", re.I),
     lambda m: f"CC-BY-NC-{m.group(1)}"),
    (re.compile(r"creative commons attribution[- ]share[- ]?alike (\d\.\d)", re.I),
     lambda m: f"CC-BY-SA-{m.group(1)}"),
    (re.compile(r"creative commons attribution (\d\.\d)", re.I), lambda m: f"CC-BY-{m.group(1)}"),
    (re.compile(r"\b(?:cc0|creative commons zero)\b", re.I), lambda m: "CC0-1.0"),
    (re.compile(r"apache license,? (?:version )?2\.0", re.I), lambda m: "Apache-2.0"),
    (re.compile(r"\bmit license\b", re.I), lambda m: "MIT"),
    (re.compile(r"\bgnu general public license,? (?:version |v)?3", re.I),
     lambda m: "GPL-3.0-only"),
    (re.compile(r"\bgnu general public license,? (?:version |v)?2", re.I),
     lambda m: "GPL-2.0-only"),
    (re.compile(r"\bbsd[ -]3[ -]clause\b", re.I), lambda m: "BSD-3-Clause"),
    (re.compile(r"\bbsd[ -]2[ -]clause\b", re.I), lambda m: "BSD-2-Clause"),
    (re.compile(r"\bthe unlicense\b", re.I), lambda m: "Unlicense"),
]


def reference(text: str) -> str | None:
    """A licence a short notice names instead of quoting."""
    for pattern, make in _REFERENCES:
        match = pattern.search(text)
        if match:
            found = resolve(make(match))
            if found:
                return found
    return None
