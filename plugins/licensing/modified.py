"""Is a licence text the standard one, or the standard one with clauses
added, removed or changed? A BSD licence with a patent clause, an MPL whose
name was changed or an Apache licence with terms appended is a different
licence: reading it as the original hides what was changed.

The text is compared, word by word after normalisation (case, punctuation,
copyright lines, template fields), with the standard text of the licence it
matched (``original_words``). Runs of changed words that carry no meaning
(numbers, a title line, the optional "how to apply" appendix) are ignored.
"""

from __future__ import annotations

from dataclasses import field
from difflib import SequenceMatcher

from aiart_release.records import dataclass

from .identify import original_words
from .normalize import word_sequence

# A text this many times longer than the original is not a copy of it; the
# diff stops there (it is quadratic at worst).
MAX_RATIO = 3
QUOTE_WORDS = 14
SHOWN = 3
# Where the terms end: what follows is an appendix on how to apply the
# licence, which copies often leave out.
_TERMS_END = ("end of terms and conditions", "how to apply these terms")
_MEANINGLESS = {"c", "copyright", "url", "the", "a", "an", "and", "or", "of", "license",
                "version", "v", "s", "i", "ii", "iii", "iv", "1", "2", "3", "4", "5", "6", "7",
                "8", "9", "0"}


@dataclass
class Changes:
    """How a text differs from a standard licence text."""

    license: str
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[tuple[str, str]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed)

    def summary(self) -> str:
        parts = []
        for label, items in (("added", self.added), ("removed", self.removed)):
            if items:
                shown = "; ".join(f"“{q}”" for q in items[:SHOWN])
                more = f" (+{len(items) - SHOWN} more)" if len(items) > SHOWN else ""
                parts.append(f"{label} {shown}{more}")
        if self.changed:
            shown = "; ".join(f"“{a}” → “{b}”" for a, b in self.changed[:SHOWN])
            more = f" (+{len(self.changed) - SHOWN} more)" if len(self.changed) > SHOWN else ""
            parts.append(f"changed {shown}{more}")
        return "; ".join(parts)


def compare(text: str, license_id: str) -> Changes | None:
    """The changes from the standard text of ``license_id``; None when that
    text is not shipped. A text far longer than the standard one is not
    compared word by word: its length is the change."""
    original = original_words(license_id)
    if not original:
        return None
    words = word_sequence(text)
    if len(words) > MAX_RATIO * len(original) + 200:
        return Changes(license_id, added=[f"{len(words) - len(original)} words more than the "
                                          "standard text (too long to compare word by word)"])
    terms_end = _terms_end(original)
    title_end = min(8, len(original) // 20)
    title, vocabulary = set(original[:12]), set(original)
    out = Changes(license_id)
    matcher = SequenceMatcher(None, original, words, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        before, after = original[i1:i2], words[j1:j2]
        if _meaningless(before) and _meaningless(after) or _link(before, after):
            continue
        if op == "delete" and (i1 >= terms_end or i2 <= title_end):
            continue  # the optional appendix or the title left out
        if op == "insert" and (len(after) <= 4 and set(after) <= title | _MEANINGLESS
                               or i1 <= title_end and "copyright" in after and len(after) <= 20
                               or i1 >= terms_end and not _new_words(after, vocabulary)):
            continue  # a title repeated, or the appendix in another edition
        if op == "insert":
            out.added.append(_quote(words, j1, j2))
        elif op == "delete":
            out.removed.append(_quote(original, i1, i2))
        else:
            out.changed.append((_quote(original, i1, i2), _quote(words, j1, j2)))
    return out


def _link(before: list[str], after: list[str]) -> bool:
    """A link written as its text in one copy and as its address in the other."""
    return (before == ["url"] and len(after) <= 6) or (after == ["url"] and len(before) <= 6)


def _new_words(run: list[str], vocabulary: set[str]) -> bool:
    """Words the licence never uses: terms of someone else's, not another
    edition of the licence's own appendix."""
    return sum(w not in vocabulary for w in run) >= max(1, len(run) // 5)


def _terms_end(original: list[str]) -> int:
    joined = " ".join(original)
    ends = [joined.find(marker) for marker in _TERMS_END if marker in joined]
    if not ends:
        return len(original)
    return joined[:min(ends)].count(" ")


def _meaningless(run: list[str]) -> bool:
    return all(w in _MEANINGLESS or w.isdigit() or len(w) == 1 for w in run)


def _quote(words: list[str], start: int, end: int) -> str:
    """The changed words with a little context, at most QUOTE_WORDS."""
    if end - start >= QUOTE_WORDS:
        return " ".join(words[start:start + QUOTE_WORDS]) + " …"
    before = max(0, start - (QUOTE_WORDS - (end - start)) // 2)
    return " ".join(words[before:end + 2]).strip()
