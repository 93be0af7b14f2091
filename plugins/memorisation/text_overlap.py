"""How much of a generated text a text model copied from its training text.

Both sides are cut into words (``\\w+`` runs, lower-cased) and every run of
N consecutive words (an N-gram, N = 8) becomes a 64-bit hash: words get
ids, an N-gram's hash is a polynomial of its ids, computed for a whole text
at once with numpy. The training N-grams are kept as one sorted array; a
sample's are looked up in it with ``searchsorted``. What comes out, per
sample:

- ``share``: the fraction of its N-grams found anywhere in the training
  text (unrelated English texts share well under 1% of their 8-grams);
- ``longest``: the longest run of words whose every N-gram is found, a
  verbatim passage of at least that many words (consecutive N-grams may,
  rarely, come from two places in the training text: the run is then a
  splice of two passages, each at least N words).

Nothing is kept of the texts but ids and hashes, and a sample's words for
the evidence of the finding, which the check masks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

N = 8
# Training words held at most (ids and hashes: 16 bytes a word, 320 MB).
MAX_TRAINING_WORDS = 20_000_000
_WORD = re.compile(r"\w+")
_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)  # odd: every id changes the hash


@dataclass(frozen=True)
class Overlap:
    """What one sample shares with the training text."""

    grams: int  # the sample's N-grams
    share: float  # of them, found in the training text
    longest: int  # words in the longest run found verbatim (0: none)
    start: int  # where that run starts, in the sample's words
    text: str = ""  # the sample
    spans: tuple[tuple[int, int], ...] = ()  # where each of its words is in it

    def passage(self, limit: int = 12) -> str:
        """The first ``limit`` words of the longest shared run, as the
        sample writes them (punctuation kept, so that masking still sees
        an e-mail address as one)."""
        if not self.longest:
            return ""
        first = self.spans[self.start][0]
        last = self.spans[self.start + min(self.longest, limit) - 1][1]
        return " ".join(self.text[first:last].split()) + (" …" if self.longest > limit else "")


class TrainingText:
    """The N-grams of a training text, added a segment (a file, a caption)
    at a time, at most MAX_TRAINING_WORDS words; then :meth:`overlap`."""

    def __init__(self, n: int = N, max_words: int = MAX_TRAINING_WORDS):
        self.n = n
        self.max_words = max_words
        self.words = 0
        self.full = False  # more text was offered than max_words
        self._vocabulary: dict[str, int] = {}
        self._parts: list[np.ndarray] = []
        self._grams: np.ndarray | None = None

    def add(self, text: str) -> None:
        """Add one segment: N-grams never span two segments."""
        words = [word.lower() for word in _WORD.findall(text)]
        room = self.max_words - self.words
        if len(words) > room:
            words, self.full = words[:room], True
        self.words += len(words)
        vocabulary = self._vocabulary
        ids = np.fromiter((vocabulary.setdefault(w, len(vocabulary) + 1) for w in words),
                          dtype=np.uint64, count=len(words))
        grams = _gram_hashes(ids, self.n)
        if len(grams):
            self._parts.append(grams)
            self._grams = None

    def add_all(self, texts: Iterable[str]) -> None:
        for text in texts:
            if self.full:
                return
            self.add(text)

    def overlap(self, text: str) -> Overlap:
        """What the sample ``text`` shares with the training text."""
        matches = list(_WORD.finditer(text))
        vocabulary = self._vocabulary
        # 0: a word the training text never has, so no N-gram holding it matches.
        ids = np.fromiter((vocabulary.get(m.group().lower(), 0) for m in matches), dtype=np.uint64,
                          count=len(matches))
        grams = _gram_hashes(ids, self.n)
        known = self._known()
        if not len(grams) or not len(known):
            return Overlap(len(grams), 0.0, 0, 0)
        found = known[np.minimum(np.searchsorted(known, grams), len(known) - 1)] == grams
        start, run = _longest_run(found)
        longest = run + self.n - 1 if run else 0
        return Overlap(len(grams), float(found.mean()), longest, start, text,
                       tuple(m.span() for m in matches))

    def _known(self) -> np.ndarray:
        if self._grams is None:
            self._grams = (np.unique(np.concatenate(self._parts)) if self._parts
                           else np.empty(0, dtype=np.uint64))
            self._parts = [self._grams]
        return self._grams


def _gram_hashes(ids: np.ndarray, n: int) -> np.ndarray:
    """One uint64 per run of ``n`` consecutive ids (arithmetic wraps mod 2**64)."""
    count = len(ids) - n + 1
    if count <= 0:
        return np.empty(0, dtype=np.uint64)
    hashes = np.zeros(count, dtype=np.uint64)
    for k in range(n):
        hashes = hashes * _MULTIPLIER + ids[k:k + count]
    # Mix the bits so that nearby polynomials do not land near each other.
    hashes ^= hashes >> np.uint64(29)
    return hashes * _MULTIPLIER


def _longest_run(found: np.ndarray) -> tuple[int, int]:
    """(start, length) of the longest run of True in ``found``; (0, 0) when none."""
    if not found.any():
        return 0, 0
    edges = np.diff(np.concatenate(([0], found.astype(np.int8), [0])))
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1)
    best = int(np.argmax(ends - starts))
    return int(starts[best]), int(ends[best] - starts[best])
