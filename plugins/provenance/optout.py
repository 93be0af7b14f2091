"""Opt-out and removal routes, however a card or README words them.

"How to get your photo removed", "if you'd like your image taken down",
"request removal", "contact us to be excluded", "opt out", "if you do not
want your work included": each tells the people in the data, or the artists
whose work it holds, how to leave it; so does an address for concerns
about the data ("to report concerns, e-mail us at ..."). Ordinary uses of the same verbs ("we
removed blurry images", "remove the cache folder", "take down the server")
do not.

Read one sentence at a time, so that a removal verb in one sentence and a
"contact us" in the next do not make a route.
"""

from __future__ import annotations

import re
from functools import cache

from aiart_release.readers.text import TextUnreadable, read_text

# What people ask to have removed: their own works, images, likeness, data.
_THEIRS = (r"(?:your|their|his|her|my)\s+(?:own\s+)?(?:personal\s+)?(?:photo|image|picture|pic|"
           r"work|art|artwork|painting|drawing|illustration|likeness|face|content|creation|"
           r"contribution|item|video|recording|voice|portrait|data|post|submission|entry|"
           r"entries|material)s?")
_GONE = r"(?:removed|deleted|excluded|taken\s+down|taken\s+out|left\s+out|withdrawn|purged|erased)"
_VERB = r"(?:remove|delete|exclude|take\s+down|withdraw|purge|erase)"
_ASK = (r"(?:contact|e-?mail|write\s+to|reach\s+out|let\s+(?:us|me)\s+know|ask|request|notify|"
        r"message|open\s+an?\s+issue|submit|file|fill\s+(?:in|out)|send|wish|want|like|prefer)")


@cache
def route_patterns():
    return [
        # "opt out", "opt-out form", "opting out", "Do Not Train" registries
        re.compile(r"\bopt(?:s|ed|ing)?[- ]?out\b", re.I),
        re.compile(r"\bdo[- ]not[- ]train\b|\bhaveibeentrained\b|\bspawning\.ai\b", re.I),
        # "takedown request", "DMCA notice"
        re.compile(r"\btake[- ]?downs?\s+(?:request|notice|form|polic|process)|\bdmca\b", re.I),
        # "request removal", "removal request", "a deletion form"
        re.compile(r"\brequest(?:s|ed|ing)?\s+(?:the\s+|its\s+|their\s+|a\s+|an\s+)?"
                   r"(?:removal|deletion|exclusion|take[- ]?down)", re.I),
        re.compile(r"\b(?:removal|deletion|exclusion|take[- ]?down)\s+"
                   r"(?:request|form|polic|process)", re.I),
        # "get your photo removed", "if you'd like your image taken down"
        re.compile(_THEIRS + r"\b[^.!?\n]{0,60}?\b" + _GONE + r"\b", re.I),
        # "remove your work from the dataset" (asked of us, not told to the reader:
        # the sentence also asks, contacts or says "we")
        re.compile(r"\b(?:we\s+(?:will|can|'ll|shall)|us\s+to)\s+(?:promptly\s+)?" + _VERB + r"\s+"
                   + _THEIRS, re.I),
        # "contact us to be excluded", "wish to be removed"
        re.compile(r"\b" + _ASK + r"\b[^.!?\n]{0,60}?\bto\s+(?:be|have\s+(?:it|them))\s+" + _GONE
                   + r"\b", re.I),
        # "if you do not want your work included / used"
        re.compile(r"\b(?:do\s+not|don't|doesn't|does\s+not|not)\s+(?:want|wish|like)\s+"
                   + _THEIRS + r"\s+(?:to\s+be\s+)?(?:included|used|in\b|part\s+of)", re.I),
        # "to report concerns, please email us at ...": a contact for objections
        re.compile(r"\b(?:concerns?|complaints?|objections?|grievances?)\b[^.!?\n]{0,80}?\b"
                   r"(?:e-?mail|contact|write\s+to|reach)\b|\b(?:e-?mail|contact|write\s+to)\b"
                   r"[^.!?\n]{0,60}?\b(?:concerns?|complaints?|objections?)\b", re.I),
        # "... and we will remove it / take it down"
        re.compile(r"\b(?:we|they)\s+(?:will|'ll|can|shall)\s+(?:promptly\s+)?(?:remove|delete|"
                   r"take\s+down|exclude)\s+(?:it|them|the\s+(?:image|photo|item|work|file)s?)\b",
                   re.I),
    ]


@cache
def _sentence() -> re.Pattern[str]:
    return re.compile(r"(?<=[.!?])\s+|\n\s*\n|\n(?=\s*(?:[-*#>]|\d+\.)\s)")


def route_sentence(text: str) -> str | None:
    """The first sentence of ``text`` that gives an opt-out or removal route."""
    for sentence in _sentence().split(text):
        flat = " ".join(sentence.split())
        if any(p.search(flat) for p in route_patterns()):
            return flat
    return None


# Files, besides cards and READMEs, where a release says how to leave it.
@cache
def _route_files() -> re.Pattern[str]:
    return re.compile(r"^(?:credits|attributions?|acknowledge?ments|authors|contributors|"
                      r"notice|readme|privacy|takedown|opt[-_]?out|removals?|consent|contact|"
                      r"data[-_]?policy|faq)\b", re.I)


MAX_ROUTE_TEXT = 2 * 1024 * 1024


def opt_out_route(inventory, facts) -> str | None:
    """Where the release says how to ask for removal: the configured
    contact, or the file whose sentence gives a route; None when nowhere."""
    if facts.config.contact:
        return "aiart-release.yaml"
    for card in facts.cards:
        if route_sentence(card.text):
            return card.path
    for f in inventory.files:
        if not f.readable or f.context in ("generated", "fixture") or f.size > MAX_ROUTE_TEXT:
            continue
        manifest = f.kind == "manifest"
        if manifest and f.suffix in _TABLE_SUFFIXES:
            continue  # cells, not sentences: a consent cell may say "opt-out"
        if not (manifest or f.kind == "text" and _route_files().match(f.name)):
            continue
        try:
            text, _ = read_text(f.abspath, MAX_ROUTE_TEXT)
        except TextUnreadable:
            continue
        if manifest:
            text = _consent_field().sub("", text)  # an item's answer is not a route
        if route_sentence(text):
            return f.path
    return None


_TABLE_SUFFIXES = {".csv", ".tsv", ".jsonl", ".ndjson"}


@cache
def _consent_field() -> re.Pattern[str]:
    return re.compile(r"[\"']?\b(?:consent|permissions?|opt_in|consent_given)[\"']?\s*:"
                      r"\s*[\"']?[\w -]*[\"']?", re.I)


