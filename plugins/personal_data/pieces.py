"""Long texts analysed in bounded pieces, hits mapped back to the text.

What a recognizer or the context enhancer costs may grow faster than the
text (Presidio walks token lists per result; spaCy's attention to a long doc
is not free either), so no text is analysed whole past ``PIECE_CHARS``. It is
cut into *cores* at line ends (else sentence ends, else spaces) that tile
the text; each core is analysed inside a *window* that reaches up to
``OVERLAP_CHARS`` into its neighbours, so a context word on the line before
still counts and a name that runs over the cut is seen whole. A hit belongs
to the piece whose core holds its first character: none is lost at a cut,
none is reported twice.
"""

from __future__ import annotations

import re

from aiart_release.lazy_pattern import LazyPattern
from aiart_release.records import dataclass

PIECE_CHARS = 2000
# Longer than any hit we look for (an address, an e-mail address, a name).
OVERLAP_CHARS = 200

_SENTENCE_END = LazyPattern(r"[.!?]\s")
_SPACE = LazyPattern(r"\s")


@dataclass(frozen=True)
class Piece:
    """``text[start:end]`` is analysed; hits starting in
    ``[core_start, core_end)`` are kept."""

    start: int
    end: int
    core_start: int
    core_end: int

    def owns(self, offset: int) -> bool:
        """Whether a hit starting at ``offset`` (in the piece) is this piece's."""
        return self.core_start <= self.start + offset < self.core_end


def pieces(text: str, size: int = PIECE_CHARS, overlap: int = OVERLAP_CHARS) -> list[Piece]:
    """The pieces of ``text``: one for a short text, else cores of at most
    ``size`` characters cut at natural boundaries, in windows widened by at
    most ``overlap`` characters on each side, never in the middle of a word
    when a space is near."""
    n = len(text)
    if n <= size:
        return [Piece(0, n, 0, n)]
    out = []
    core_start = 0
    while core_start < n:
        core_end = n if n - core_start <= size else _cut(text, core_start, core_start + size)
        start = _word_start(text, max(0, core_start - overlap), core_start)
        end = _word_end(text, core_end, min(n, core_end + overlap))
        out.append(Piece(start, end, core_start, core_end))
        core_start = core_end
    return out


def _cut(text: str, lo: int, hi: int) -> int:
    """Where to end a core that starts at ``lo`` and may not pass ``hi``: after
    the last line end in its second half, else after the last sentence end,
    else after the last space, else at ``hi``."""
    half = lo + (hi - lo) // 2
    newline = text.rfind("\n", half, hi)
    if newline != -1:
        return newline + 1
    for pattern in (_SENTENCE_END, _SPACE):
        last = _last(pattern, text, half, hi)
        if last is not None:
            return last.end()
    return hi


def _word_start(text: str, lo: int, core_start: int) -> int:
    """The first word start at or after ``lo`` (not past the core)."""
    if lo == 0 or text[lo - 1].isspace():
        return lo
    space = _SPACE.search(text, lo, core_start)
    return space.end() if space else core_start


def _word_end(text: str, core_end: int, hi: int) -> int:
    """The last word end at or before ``hi`` (not before the core's end)."""
    if hi == len(text) or text[hi].isspace():
        return hi
    last = _last(_SPACE, text, core_end, hi)
    return last.start() if last else core_end


def _last(pattern: re.Pattern[str], text: str, lo: int, hi: int) -> re.Match[str] | None:
    found = None
    for found in pattern.finditer(text, lo, hi):  # noqa: B007 - the last one is wanted
        pass
    return found
