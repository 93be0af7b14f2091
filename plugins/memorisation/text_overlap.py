"""How much of a generated text a text model copied from its training text.

Both sides are cut into words (``\\w+`` runs, lower-cased) and every run of
N consecutive words (an N-gram, N = 8) becomes a 64-bit hash: a word's id
is its string hash (no vocabulary is kept, so a corpus of millions of
distinct tokens costs no more than one of common words), an N-gram's hash
is a polynomial of its ids, computed for a whole text at once with numpy.
The training N-grams are kept as one sorted array; a sample's are looked
up in it with ``searchsorted``. What comes out, per
sample:

- ``share``: the fraction of its N-grams found anywhere in the training
  text (unrelated English texts share well under 1% of their 8-grams);
- ``longest``: the longest run of words whose every N-gram is found, a
  verbatim passage of at least that many words (consecutive N-grams may,
  rarely, come from two places in the training text: the run is then a
  splice of two passages, each at least N words).

Nothing is kept of the training text but N-gram hashes; a sample's text
is kept for the evidence of the finding, which the check masks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from itertools import islice

import numpy as np

from aiart_release.records import dataclass

N = 8
# Training words read at most: about 30 MB of English text, whose N-gram
# hashes take 40 MB. Ten million distinct tokens took 36 s on a busy 2-core
# machine (Python hashes each word), more than a bundle check should spend.
MAX_TRAINING_WORDS = 5_000_000
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

    def passage(self, limit: int = 12) -> str:
        """The first ``limit`` words of the longest shared run, as the
        sample writes them (punctuation kept, so that masking still sees
        an e-mail address as one)."""
        if not self.longest:
            return ""
        shown = list(islice(_WORD.finditer(self.text), self.start,
                            self.start + min(self.longest, limit)))
        first, last = shown[0].start(), shown[-1].end()
        return " ".join(self.text[first:last].split()) + (" …" if self.longest > limit else "")


class TrainingText:
    """The N-grams of a training text, added a segment (a file, a caption)
    at a time, at most MAX_TRAINING_WORDS words; then :meth:`overlap`."""

    def __init__(self, n: int = N, max_words: int | None = None):
        self.n = n
        self.max_words = MAX_TRAINING_WORDS if max_words is None else max_words
        self.words = 0
        self.full = False  # more text was offered than max_words
        self._parts: list[np.ndarray] = []
        self._grams: np.ndarray | None = None

    def add(self, text: str) -> None:
        """Add one segment: N-grams never span two segments."""
        words = _WORD.findall(text)
        room = self.max_words - self.words
        if len(words) > room:
            words, self.full = words[:room], True
        self.words += len(words)
        grams = _gram_hashes(_ids(words), self.n)
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
        grams = _gram_hashes(_ids(_WORD.findall(text)), self.n)
        known = self._known()
        if not len(grams) or not len(known):
            return Overlap(len(grams), 0.0, 0, 0)
        found = known[np.minimum(np.searchsorted(known, grams), len(known) - 1)] == grams
        start, run = _longest_run(found)
        longest = run + self.n - 1 if run else 0
        return Overlap(len(grams), float(found.mean()), longest, start, text)

    def _known(self) -> np.ndarray:
        """The training N-grams, sorted, each once. Sorted in place and
        deduplicated by a mask: np.unique would hold two more copies."""
        if self._grams is None:
            grams = np.concatenate(self._parts) if self._parts else np.empty(0, np.uint64)
            self._parts.clear()
            grams.sort()
            keep = np.ones(len(grams), dtype=bool)
            np.not_equal(grams[1:], grams[:-1], out=keep[1:])
            self._grams = grams[keep]
            self._parts = [self._grams]
        return self._grams


def _ids(words: list[str]) -> np.ndarray:
    """One uint64 per word, the same for the same word in any case. Python's
    string hash is salted per process, and both sides are hashed in one."""
    return np.fromiter((hash(word.lower()) & 0xFFFF_FFFF_FFFF_FFFF for word in words),
                       dtype=np.uint64, count=len(words))


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
