"""Licence text normalisation, as licensee does it before comparing texts:
case, punctuation, spelling variants, copyright lines and template fields do
not make two licences different."""

from __future__ import annotations

import re
from functools import cache


@cache
def _copyright() -> re.Pattern[str]:
    return re.compile(r"^\s*(?:copyright|\(c\)|©|all rights reserved).*$",
                      re.IGNORECASE | re.MULTILINE)


@cache
def _fields() -> re.Pattern[str]:
    return re.compile(r"<[^>\n]{1,80}>|\[[^\]\n]{1,80}\]|\{[^}\n]{1,80}\}")


@cache
def _url() -> re.Pattern[str]:
    return re.compile(r"https?://\S+|www\.\S+")


@cache
def _word() -> re.Pattern[str]:
    return re.compile(r"[a-z0-9]+")


# British and American spellings, and words licences write either way.
_VARIANTS = {
    "licence": "license", "licences": "licenses", "licensor": "licensor",
    "organisation": "organization", "authorised": "authorized", "utilise": "utilize",
    "favour": "favor", "offence": "offense", "acknowledgement": "acknowledgment",
    "per": "per", "sublicence": "sublicense", "non": "non",
}
# Words that carry no meaning for telling licences apart.
_STOP = {"the", "a", "an", "of", "and", "or", "to", "in", "this", "that", "is", "be", "by",
         "for", "on", "as", "with", "any", "are", "it", "its", "at", "from"}


def normalize(text: str) -> str:
    text = text.lower()
    text = _copyright().sub(" ", text)
    text = _url().sub(" url ", text)
    text = _fields().sub(" ", text)
    return text


def words(text: str) -> set[str]:
    """The set of normalised words of a licence text."""
    found = set()
    for word in _word().findall(normalize(text)):
        word = _VARIANTS.get(word, word)
        if word not in _STOP and not word.isdigit():
            found.add(word)
    return found


# For the word sequence: a copyright notice is a line that starts with
# "Copyright (c)", "Copyright 2021", "©" (not a wrapped line that happens to
# begin with the word), and a web address is any host name with a path.
@cache
def _notice() -> re.Pattern[str]:
    return re.compile(r"^\s*(?:copyright\s*(?:\(c\)|©)?\s*\d{4}|copyright\s*(?:\(c\)|©)|"
                      r"(?:\(c\)|©)\s*\d{4}|all rights reserved).*$", re.IGNORECASE | re.MULTILINE)


@cache
def _host() -> re.Pattern[str]:
    return re.compile(r"\b(?:https?://)?(?:[a-z0-9-]+\.)+(?:org|com|net|io|edu|gov)\b[^\s)>\]]*")


def word_sequence(text: str) -> list[str]:
    """The normalised words of a text in order, stop words kept: what the
    diff of a modified licence compares, and what it quotes."""
    text = " ".join(_notice().sub(" ", text.lower()).split())  # a field may span two lines
    text = _fields().sub(" ", _host().sub(" url ", text))
    return [_VARIANTS.get(w, w) for w in _word().findall(text)]
