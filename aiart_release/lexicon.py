"""Large word lists (the name lexicons built from Faker's locales and the
spaCy model) kept as sorted files and looked up in place.

A first pre-commit run on one new caption asks whether a handful of words
are names. Loading five lexicons of about 30,000 words into sets cost
35-45 ms of that run; looking the few words up by binary search in the
file's bytes costs well under one. A run that asks many questions (a
table of a million captions) loads the set after ``PROMOTE_AFTER``
lookups, when the searches would have cost about as much as loading.

File format: a header line ``aiart-release lexicon 1 COUNT SHA256`` (the
hash of what follows), then the words, sorted by their UTF-8 bytes, one a
line, no duplicates. A file whose body does not match its header (cut
short, damaged) is not used: :func:`read` returns None and the caller
builds the list again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Set

HEADER = b"aiart-release lexicon 1 "
# Lookups by search before the whole list is loaded into a set: a search
# is about 20 microseconds, loading 30,000 words about 5 ms.
PROMOTE_AFTER = 256


def encode(words: Iterable[str]) -> bytes | None:
    """The file for ``words``; None when a word holds a line break (such a
    list is kept in memory only)."""
    lines = sorted({w.encode("utf-8", "surrogatepass") for w in words})
    if any(b"\n" in line or b"\r" in line for line in lines):
        return None
    body = b"\n".join(lines)
    return (HEADER + f"{len(lines)} {hashlib.sha256(body).hexdigest()}\n".encode()
            + body)


def read(data: bytes) -> SortedLexicon | None:
    """The lexicon in ``data`` (a file :func:`encode` wrote), or None when
    the body is not what the header says."""
    if not data.startswith(HEADER):
        return None
    header, newline, body = data.partition(b"\n")
    fields = header[len(HEADER):].split(b" ")
    if not newline or len(fields) != 2 or not fields[0].isdigit():
        return None
    count = int(fields[0])
    if hashlib.sha256(body).hexdigest().encode() != fields[1]:
        return None
    if (body.count(b"\n") + 1 != count) if body else count > 1:
        return None
    return SortedLexicon(body, count)


class SortedLexicon(Set):
    """A read-only set of words over the sorted lines of ``body``."""

    def __init__(self, body: bytes, count: int):
        self._body = body
        self._count = count
        self._lookups = 0
        self._set: frozenset[str] | None = None

    def __contains__(self, word: object) -> bool:
        if not isinstance(word, str):
            return False
        if self._set is not None:
            return word in self._set
        self._lookups += 1
        if self._lookups > PROMOTE_AFTER or not self._body:
            return word in self._loaded()
        return _search(self._body, word.encode("utf-8", "surrogatepass"))

    @classmethod
    def _from_iterable(cls, iterable: Iterable[str]) -> frozenset[str]:
        # What set operations (``given - english``) return: a plain set.
        return frozenset(iterable)

    def __iter__(self) -> Iterator[str]:
        return iter(self._loaded())

    def __len__(self) -> int:
        return self._count

    def _loaded(self) -> frozenset[str]:
        if self._set is None:
            lines = self._body.split(b"\n") if self._count else []
            self._set = frozenset(line.decode("utf-8", "surrogatepass") for line in lines)
        return self._set


def _search(body: bytes, key: bytes) -> bool:
    """Whether ``key`` is a whole line of ``body``, whose lines are sorted."""
    if b"\n" in key:
        return False
    low, high = 0, len(body)  # the lines that start in [low, high) are left
    while low < high:
        middle = (low + high) // 2
        start = body.rfind(b"\n", low, middle) + 1 or low
        end = body.find(b"\n", middle)
        if end == -1:
            end = len(body)
        line = body[start:end]
        if line == key:
            return True
        if line < key:
            low = end + 1
        else:
            high = start
    return False
