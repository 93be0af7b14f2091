"""Where prose stops being prose: headings, fenced code, front matter,
BibTeX entries and the citation sections of Markdown, reStructuredText and
HTML.

:func:`marked_lines` takes the numbered lines of one file and gives each its
context: ``prose``; ``citation`` under a "Citation", "References",
"Acknowledgements", "Credits" or "Contributors" heading (or a line that
is only such a word, "References:") and in BibTeX entries;
``string-literal`` for example code in a fence; ``config`` for a card's
front matter. Headings, fences and rules come back blank, so that
they end a paragraph and their Title Case never reaches the NER model
("## Bias, Risks, and Limitations" is no person). So do the header row of a
Markdown table (the row over its ``|---|`` line: "Num of Unique Prompts")
and the label of a row of figures ("Unique Images | 11.4M | 58K"): both
name what a column or row counts, and their Title Case is no name. The
other cells of a table are read (a table of contributors is still found).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator

from aiart_release.lazy_pattern import LazyPattern
from aiart_release.readers.markdown import is_delimiter_row, table_cells

PROSE, CITATION, EXAMPLE_CODE, CONFIG = "prose", "citation", "string-literal", "config"
# A line that holds only markup (an HTML tag): it neither adds text nor ends
# the paragraph around it.
JOIN = "join"

# Headings that open a list of authors, credits or references: the names
# under them are published on purpose, not data about people.
_CITATION_HEADING = LazyPattern(
    r"\b(?:cit(?:e|es|ing|ations?)|references?|bibliography|bibtex|"
    r"acknowledge?ments?|credits?|contributors?|authors?|thanks|maintainers?|team)\b",
    re.IGNORECASE,
)
# A line that is only such a word, as a label ("References:", "**Credits**"):
# a heading in all but markup; what follows is under it until a heading.
_CITATION_LABEL = LazyPattern(
    r"\s*(?:\*\*|__)?\s*(?:cit(?:e|ations?)|references?|bibliography|acknowledge?ments?|"
    r"credits?|contributors?|authors?|thanks)\s*:?\s*(?:\*\*|__)?\s*:?\s*",
    re.IGNORECASE,
)
LABEL_LEVEL = 7  # below every heading: the next heading of any level ends it
_ATX = LazyPattern(r"^\s{0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t#]*$")
_RULE = LazyPattern(r"^\s*([=\-~^\"'`#*+:._])\1{2,}\s*$")
_FENCE = LazyPattern(r"^\s{0,3}(`{3,}|~{3,})\s*([^\s`{]*)")
_BIB_LANGS = {"bibtex", "bib", "biblatex", "tex-bib"}
# "@article{key," / "@inproceedings{": the first line of a BibTeX entry.
_BIBTEX = LazyPattern(r"^[\s`]*@[A-Za-z]+\s*[{(]")
_HTML_HEADING = LazyPattern(r"<h([1-6])\b[^>]*>(.*?)</h\1\s*>", re.IGNORECASE)
_HIDDEN_OPEN = LazyPattern(r"<(script|style)\b", re.IGNORECASE)

# One line, its number, and what it is: ("text", None), ("code", None) inside
# a fence, ("fence", language or None), ("heading", (level, title)),
# ("front", None) inside front matter.
Line = tuple[int, str, str, object]


def marked_lines(lines: Iterable[tuple[int, str]],
                 markup: str | None = None) -> Iterator[tuple[int, str, str]]:
    """``(number, text, context)`` for each line; ``markup`` is "markdown",
    "rst", "html" or None (plain text: only BibTeX entries are told apart)."""
    if markup == "html":
        source: Iterable[Line] = _html(lines)
    elif markup in ("markdown", "rst"):
        source = _structured(lines, markup)
    else:
        source = ((n, text, "text", None) for n, text in lines)
    section: int | None = None  # level of the citation heading the lines are under
    fence_context: str | None = None
    bibtex = False
    for number, text, what, info in source:
        if what == "heading":
            level, title = info  # type: ignore[misc]
            if section is not None and level <= section:
                section = None
            if section is None and _CITATION_HEADING.search(title):
                section = level
            bibtex = False
            yield number, "", PROSE
        elif what == "fence":
            # Opening fence: its language may say BibTeX; otherwise the first
            # line of code decides. Closing fence: nothing to decide.
            fence_context = CITATION if str(info or "").lower() in _BIB_LANGS else None
            yield number, "", PROSE
        elif what == "code":
            if fence_context is None and text.strip():
                fence_context = CITATION if _BIBTEX.match(text) else EXAMPLE_CODE
            yield number, text, CITATION if section is not None else (
                fence_context or EXAMPLE_CODE)
        elif what == "front":
            yield number, text, CONFIG
        elif what == "tags":
            yield number, "", JOIN
        else:
            if not text.strip():
                bibtex = False
            elif _BIBTEX.match(text):
                bibtex = True  # until the paragraph ends
            elif section is None and _CITATION_LABEL.fullmatch(text):
                section = LABEL_LEVEL
            yield number, text, CITATION if (section is not None or bibtex) else PROSE


def _structured(lines: Iterable[tuple[int, str]], markup: str) -> Iterator[Line]:
    """Markdown or reStructuredText lines, with headings (ATX, setext and
    RST underlines), fences and front matter recognised."""
    markdown = markup == "markdown"
    underlines: list[str] = []  # RST: heading levels in order of first use
    fence: str | None = None
    front = False
    it = iter(lines)
    current = next(it, None)
    while current is not None:
        following = next(it, None)
        number, text = current
        if number == 1 and markdown and text.strip() == "---":
            front = True
            yield number, "", "text", None
        elif front:
            front = text.strip() not in ("---", "...")
            yield number, text if front else "", "front" if front else "text", None
        elif fence is not None:
            stripped = text.strip()
            if stripped.startswith(fence) and not stripped.strip(fence[0]):
                fence = None
                yield number, "", "fence", None
            else:
                yield number, text, "code", None
        elif markdown and (match := _FENCE.match(text)):
            fence = match.group(1)
            yield number, "", "fence", match.group(2) or None
        elif markdown and (match := _ATX.match(text)):
            yield number, "", "heading", (len(match.group(1)), match.group(2) or "")
        elif following is not None and _underlines(following[1], text, markdown):
            char = following[1].strip()[0]
            if markdown:
                level = 1 if char == "=" else 2
            else:
                if char not in underlines:
                    underlines.append(char)
                level = underlines.index(char) + 1
            yield number, "", "heading", (level, text.strip())
            yield following[0], "", "text", None
            following = next(it, None)
        elif not markdown and _definition_term(text, following):
            yield number, "", "text", None  # "Valid Values" over its indented definition
        elif _RULE.match(text):
            yield number, "", "text", None  # a rule or an RST overline holds no text
        elif markdown and following is not None and _table_header(text, following[1]):
            # The row over a table's delimiter row names its columns; the
            # rows under it are read, less the labels of rows of figures.
            table_people = _names_people(table_cells(text)[:1])
            yield number, "", "text", None
            yield following[0], "", "text", None
            following = next(it, None)
            while following is not None and "|" in following[1] and following[1].strip():
                yield following[0], _without_figures_label(following[1], table_people), \
                    "text", None
                following = next(it, None)
        else:
            # Inline HTML in Markdown ("<td><code>...</code></td>"): its tags
            # are no text. Autolinks (<https://...>, <a@b.org>) are.
            bare = _ELEMENT.sub(_element_text, text) if markdown and "<" in text else text
            yield number, bare, "tags" if text.strip() and not bare.strip() else "text", None
        current = following


# The delimiter row of a Markdown table: cells of dashes, each with an
# optional colon at either end ("|---|:---:|", "---- | ----").
# A cell that holds a figure: "11.4M", "1,803,225", "3.5%", "1.6TB", "-",
# "17.2M / 16.7M".
_ONE_FIGURE = r"[-+~≈<>]?[ \t]*+\d[\d,.]*+[ \t]*+(?:[KMGTP]i?B|[%KMBkmb])?\+?"
_FIGURE = LazyPattern(rf"\s*+(?:[-–—]|{_ONE_FIGURE}(?:[ \t]*+/[ \t]*+{_ONE_FIGURE}){{0,3}})?\s*+")
# A first column whose header says it names people ("Name", "Contributor"):
# its cells stay read even beside figures.
_PEOPLE_COLUMN = LazyPattern(
    r"\b(?:names?|authors?|contributors?|annotators?|members?|persons?|people|artists?|"
    r"creators?|maintainers?|users?|who|participants?|photographers?)\b", re.IGNORECASE)


def _table_header(text: str, following: str) -> bool:
    """Whether ``text`` is the header row of a Markdown table: it has a pipe,
    and the line under it is a delimiter row with as many cells."""
    return ("|" in text and is_delimiter_row(following)
            and len(table_cells(following)) == len(table_cells(text)))


def _names_people(cells: list[str]) -> bool:
    return any(_PEOPLE_COLUMN.search(cell) for cell in cells)


def _without_figures_label(row: str, people_column: bool) -> str:
    """A body row of a table, its first cell blanked (spaces, so that the
    other cells keep their columns) when every other cell holds a figure:
    the cell labels the row ("Unique Images"), as a header labels a column."""
    cells = table_cells(row)
    if people_column or len(cells) < 2 or not all(_FIGURE.fullmatch(c) for c in cells[1:]):
        return row
    label = cells[0].strip()
    if not label:
        return row
    start = row.index(label)
    return row[:start] + " " * len(label) + row[start + len(label):]


def _definition_term(text: str, following: tuple[int, str] | None) -> bool:
    """A reStructuredText definition-list term: a short line of a few words,
    not indented, over an indented definition."""
    if following is None or not text.strip() or text[:1].isspace():
        return False
    nxt = following[1]
    return (nxt[:1].isspace() and bool(nxt.strip()) and len(text.split()) <= 4
            and not text.rstrip().endswith((".", ",", ":", ";", "!", "?")))


def _element_text(match: re.Match[str]) -> str:
    """What an HTML tag leaves in the text: a backtick for code elements
    (their content is code, as in `code`), a space for the others."""
    return "`" if _CODE_ELEMENT.match(match.group(0)) else " "


def _underlines(candidate: str, title: str, markdown: bool) -> bool:
    if not title.strip() or _RULE.match(title) or not _RULE.match(candidate):
        return False
    char = candidate.strip()[0]
    if markdown:
        return char in "=-"
    return len(candidate.strip()) >= len(title.strip())


def _html(lines: Iterable[tuple[int, str]]) -> Iterator[Line]:
    """The text of HTML lines: tags, scripts and styles blanked, entities
    decoded; a line with an ``<h1>``-``<h6>`` is a heading."""
    in_tag = False
    hidden: str | None = None  # inside <script> or <style>
    for number, raw in lines:
        heading = _HTML_HEADING.search(raw)
        out: list[str] = []
        i = 0
        while i < len(raw):
            if hidden is not None:
                end = raw.lower().find(f"</{hidden}", i)
                if end == -1:
                    break
                hidden, i, in_tag = None, end, True
                continue
            if in_tag:
                end = raw.find(">", i)
                if end == -1:
                    break
                in_tag, i = False, end + 1
                out.append(" ")
                continue
            start = raw.find("<", i)
            if start == -1:
                out.append(raw[i:])
                break
            out.append(raw[i:start])
            opened = _HIDDEN_OPEN.match(raw, start)
            end = raw.find(">", start)
            if opened:
                hidden = opened.group(1).lower()
                i = len(raw) if end == -1 else end + 1
                in_tag = end == -1
                continue
            if _CODE_ELEMENT.match(raw, start):
                out.append("`")
            in_tag, i = True, start
        text = html.unescape("".join(out))
        if heading:
            title = _HTML_TAG.sub(" ", heading.group(2))
            yield number, "", "heading", (int(heading.group(1)), html.unescape(title))
        elif raw.strip() and not text.strip():
            yield number, "", "tags", None
        else:
            yield number, text, "text", None


_HTML_TAG = LazyPattern(r"<[^>]*>")
_ELEMENT = LazyPattern(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>")
_CODE_ELEMENT = LazyPattern(r"</?(?:code|kbd|samp|tt|var)\b", re.IGNORECASE)
