"""Markdown headings, read the same way by every check that reads cards.

An ATX heading is ``#`` to ``######`` after at most three spaces, then a
space or the end of the line. The title's closing ``#``s are stripped with
string methods: the one-pattern form (``\\s+(.+?)\\s*#*\\s*$``) backtracks
cubically on a run of spaces (a 4,000-character line took minutes).
"""

from __future__ import annotations

import re

from ..lazy_pattern import LazyPattern

HEADING_START = LazyPattern(r"[ \t]{0,3}(#{1,6})(?:[ \t]+|$)")


def atx_heading(line: str) -> tuple[int, str] | None:
    """(level, title) of an ATX heading ("## Uses ##"), or None."""
    match = HEADING_START.match(line)
    title = line[match.end():].strip() if match else ""
    bare = title.rstrip("#")
    if bare != title and (not bare or bare[-1] in " \t"):
        title = bare.rstrip()
    return (len(match.group(1)), title) if match and title else None


_DELIMITER_CELL = LazyPattern(r"\s*:?-{1,}:?\s*")


def table_cells(row: str) -> list[str]:
    """The cells of a Markdown table row (its outer pipes optional): the
    personal-data check blanks a table's headers with it, the cards check
    reads a card's table of fields."""
    row = row.strip()
    if row.startswith("|"):
        row = row[1:]
    if row.endswith("|") and not row.endswith("\\|"):
        row = row[:-1]
    return re.split(r"(?<!\\)\|", row)


def is_delimiter_row(text: str) -> bool:
    """Whether ``text`` is the delimiter row of a Markdown table
    ("|---|:--:|", "---- | ----")."""
    return ("|" in text and "-" in text
            and all(_DELIMITER_CELL.fullmatch(cell) for cell in table_cells(text)))
