"""The licences in one licence file, each with its scope.

Real licence files are often several licences in one: the project's own
licence, then "Third-party: the files in vendor/pose are under ..."; a
notice that the source images are CC0 while "the dataset itself" is CC
BY-NC; a LGPL text followed by the GPL it builds on. Reading such a file as
one licence finds one of them, often the wrong one.

The file is cut into paragraphs. A paragraph that names a part ("third
party", "the files in <folder>", "portions of") or starts with the title of
another licence starts a new block; every other paragraph continues the
block before it, so a standard licence with its own headings stays whole.
Each block is identified on its own (``identify_text``); a block that only
names licences yields one part per licence named, scoped by its sentence.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from functools import cache

from aiart_release.records import dataclass

from .identify import (
    any_use_terms,
    contained,
    identify_text,
    non_commercial_terms,
    references,
)
from .modified import Changes, compare

# Bounds: a licence file of 10,000 lines is read, but no more paragraphs
# than this are examined one by one (the rest continue the last block).
MAX_PARAGRAPHS = 2000
# No more licences than this in one file; past it, paragraphs continue the
# last block (each block is identified: a few milliseconds each).
MAX_BLOCKS = 32
HEAD_CHARS = 300
CUSTOM_NC = "LicenseRef-Custom-Non-Commercial"
CUSTOM_ANY_USE = "LicenseRef-Custom-Permissive"
_TEXT_METHODS = ("dice", "phrase", "spdx-identifier", "contains")


# Words that start a paragraph about a part. Only at the start: licence texts
# say "part of" and "third-party notices" inside their own sentences.
@cache
def _scope_pattern() -> re.Pattern[str]:
    return re.compile(
        r"^(?:#+\s*)?(?:third[- ]party|3rd[- ]party|portions? of\b|parts? of\b|files?\b|code\b|"
        r"contents?\b|the (?:files?|code|contents?|folders?|director(?:y|ies)|modules?|weights|"
        r"checkpoints?|models?|images|data(?:set)?) (?:in|under|of|inside|from)\b|"
        r"vendored|bundled|licen[cs]es? (?:for|of) (?:third|other|bundled|vendored|included))",
        re.I)


@cache
def _third_party() -> re.Pattern[str]:
    return re.compile(r"\b(?:third|3rd)[- ]party\b", re.I)


@cache
def _main() -> re.Pattern[str]:
    return re.compile(r"\b(?:the (?:dataset|code|model|software|project|repository|work) itself|"
                      r"this (?:dataset|repository|repo|project|code|software|model|work|library)|"
                      r"all other|the rest of)\b", re.I)


@cache
def _items() -> re.Pattern[str]:
    return re.compile(r"\b(?:source|original|individual|underlying) (?:images?|photos?|pictures?|"
                      r"videos?|works?|data|files|items)\b|\b(?:each|every) (?:image|photo|picture|"
                      r"item|file)\b|\b(?:images?|photos?|pictures?) (?:are|were) (?:taken|sourced|"
                      r"collected|obtained) from\b|\bcourtesy of\b", re.I)


@cache
def _heading() -> re.Pattern[str]:
    return re.compile(r"^\s{0,3}(?:#{1,6}\s|[-=*_]{3,}\s*$)")


@cache
def _url() -> re.Pattern[str]:
    return re.compile(r"https?://|www\.")


# Where a clause that states one licence ends: a sentence, a paragraph, or
# ", except the files in ..." (one sentence, two licences).
@cache
def _sentence_end() -> re.Pattern[str]:
    return re.compile(r"[.!?;](?=\s)|\n\s*\n|,\s*(?=(?:except|but|while|whereas|"
                      r"apart from|excluding)\b)", re.I)


@dataclass(frozen=True)
class Part:
    """One licence found in a licence file, and what it covers."""

    license: str | None
    confidence: float
    method: str
    line: int
    role: str  # main | part | items
    scope: str = ""  # the words that name the part ("" for the main licence)
    folders: tuple[str, ...] = ()  # bundle folders or files the scope names
    changes: Changes | None = None
    non_commercial: str | None = None  # a custom text's words forbidding commercial use
    # The artifacts the statement says it covers ("the dataset is available
    # under CC0": dataset), "" when it names none; and the licence file it
    # links to ("[MIT License](./LICENSE)"), which holds the text, not the scope.
    subject: str = ""
    linked: str = ""


@dataclass
class _Block:
    line: int
    text: str
    scope: str = ""


def parts(text: str, known_paths: frozenset[str] = frozenset()) -> list[Part]:
    """Every licence in ``text`` with its scope, main licence first."""
    if _is_item_list(text):
        return _named(_Block(1, text), known_paths, items=True) + _phrases(text) \
            or _unknown(text)
    found: list[Part] = []
    for number, block in enumerate(_blocks(text, known_paths)):
        if number == 0 and block.scope and not _third_party().search(block.scope) \
                and not _folders(block.scope, known_paths):
            # "Code in this repository is MIT, ..." at the top: the main licence.
            block.scope = ""
        found.extend(_identify(block, known_paths))
    found = _drop_incorporated(found)
    if not any(p.method in _TEXT_METHODS for p in found):
        # A standard text whose own wording looked like parts: read it whole.
        whole = identify_text(text)
        if whole and whole.method in _TEXT_METHODS:
            changes = compare(text, whole.license) if whole.method == "dice" else None
            return [Part(whole.license, whole.confidence, whole.method, 1, "main",
                         changes=changes or None)]
    return found or _unknown(text)


def _unknown(text: str) -> list[Part]:
    terms = non_commercial_terms(text)
    if terms:
        return [Part(CUSTOM_NC, 0.7, "nc-terms", 1, "main", non_commercial=terms)]
    allowed = any_use_terms(text)
    if allowed:
        return [Part(CUSTOM_ANY_USE, 0.6, "own-terms", 1, "main", scope=allowed)]
    return [Part(None, 0.0, "none", 1, "main")]


def _paragraphs(text: str) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    start, lines = 1, []
    for number, line in enumerate(text.split("\n"), start=1):
        if line.strip() and not _heading().match(line):
            if not lines:
                start = number
            lines.append(line)
            continue
        if _heading().match(line) and line.strip("-=*_ \t"):
            # A Markdown heading is a paragraph of its own: it names what follows.
            if lines:
                out.append((start, "\n".join(lines)))
            out.append((number, line))
            lines = []
            continue
        if lines:
            out.append((start, "\n".join(lines)))
            lines = []
    if lines:
        out.append((start, "\n".join(lines)))
    if len(out) > MAX_PARAGRAPHS:  # bounded: the tail is one paragraph
        tail_start = out[MAX_PARAGRAPHS - 1][0]
        out = out[:MAX_PARAGRAPHS - 1] + [(tail_start, "\n".join(p for _, p in
                                                                 out[MAX_PARAGRAPHS - 1:]))]
    return out


def _blocks(text: str, known_paths: frozenset[str]) -> list[_Block]:
    blocks: list[_Block] = []
    current: str | None = None  # the licence of the last block, once asked
    block_title: str | None = None  # the licence the last block's title names
    heading: tuple[int, str] | None = None
    for line, paragraph in _paragraphs(text):
        if _heading().match(paragraph) and "\n" not in paragraph:
            heading = (line, paragraph)  # it names what follows
            continue
        if heading is not None:  # keep the lines where they are in the file
            gap = "\n" * max(1, line - heading[0])
            line, paragraph = heading[0], heading[1] + gap + paragraph
            heading = None
        head = " ".join(paragraph[:HEAD_CHARS].split())
        scope = _scope(paragraph, head, known_paths)
        title = _title(paragraph)
        if title and title != block_title and blocks and not scope and current is None:
            current = _license_of(blocks[-1].text)
        if not blocks or len(blocks) < MAX_BLOCKS and (
                scope or (title and title not in (block_title, current))):
            blocks.append(_Block(line, paragraph, scope))
            current = block_title = title
        else:
            blocks[-1].text += "\n\n" + paragraph
    if heading is not None and blocks:
        blocks[-1].text += "\n\n" + heading[1]
    return blocks


def _title(paragraph: str) -> str | None:
    """The licence a paragraph's title names ("MIT License", "GNU LESSER
    GENERAL PUBLIC LICENSE / Version 3"): its first one or two short lines."""
    lines = [line.strip(" #*") for line in paragraph.split("\n")[:2]]
    if not lines[0] or len(lines[0]) > 80:
        return None
    head = " ".join(line for line in lines if len(line) <= 80)
    found = references(head)
    # A title begins with the licence's name; a definition that mentions
    # other licences ("Secondary License means the GNU GPL ...") is no title.
    return found[0].license if found and found[0].start <= 12 else None


def _license_of(text: str) -> str | None:
    found = identify_text(text)
    return found.license if found else None


def _scope(paragraph: str, head: str, known_paths: frozenset[str]) -> str:
    """The words naming a part at the start of a paragraph, or "": a
    paragraph that starts by naming a part, or that names a folder of the
    bundle and a licence."""
    lines = [line.strip(" #:*") for line in paragraph.split("\n") if line.strip(" #:*")]
    start = " ".join(" ".join(lines[:3]).split())
    named = _folders(head, known_paths) and (references(paragraph) or
                                             non_commercial_terms(paragraph))
    if _scope_pattern().match(start) or named:
        sentence = re.split(r"(?<=[.:;])\s", start, maxsplit=1)[0]
        return sentence.strip(" #:")[:120]
    return ""


@cache
def _path_token() -> re.Pattern[str]:
    return re.compile(r"[\w.-]+(?:/[\w.-]+)+/?|[\w-]+/(?=\s|$|[),.;:])|(?<=\]\()[\w.-]+(?=\))")


@cache
def _licence_file_name() -> re.Pattern[str]:
    return re.compile(r"(?i)^(?:licen[cs]es?|copying|notice)(?:$|[-_.])")


def _paths(text: str, known_paths: frozenset[str]) -> list[str]:
    """The bundle paths a text names, in order (a link target "./LICENSE" too)."""
    out = []
    for token in _path_token().findall(text):
        path = token.strip("/.").removeprefix("./")
        if path in known_paths and path not in out:
            out.append(path)
    return out


def _is_licence_file(path: str) -> bool:
    return any(_licence_file_name().match(part) for part in path.split("/"))


def _folders(text: str, known_paths: frozenset[str]) -> tuple[str, ...]:
    """The bundle paths a text names as what a licence covers ("annotator/openpose",
    "op/"). A licence file's own path ("the code is under the [MIT License](./LICENSE)")
    says where the licence's text is, never what it covers."""
    return tuple(p for p in _paths(text, known_paths) if not _is_licence_file(p))


def _linked_licence(text: str, known_paths: frozenset[str]) -> str:
    """The licence file of the bundle a statement links to or names, or ""."""
    return next((p for p in _paths(text, known_paths) if _is_licence_file(p)), "")


# The artifacts a licence statement covers, by the words it uses for them.
@cache
def _artifact_words() -> tuple[tuple[str, re.Pattern[str]], ...]:
    return (
        ("dataset", re.compile(r"\b(?:data ?sets?|corpus|corpora|annotations|captions|"
                               r"(?:training |image )?data)\b", re.I)),
        ("model", re.compile(r"\b(?:models?|(?:model )?weights|checkpoints?|LoRAs?|"
                             r"adapters?)\b", re.I)),
        ("code", re.compile(r"\b(?:(?:source )?code|codebase|software|scripts?|"
                            r"implementation|library)\b", re.I)),
    )


# Words after which an artifact is someone else's ("trained on the LAION
# dataset", "fine-tuned from the base model"), not the one the licence covers.
@cache
def _other_artifact() -> re.Pattern[str]:
    return re.compile(r"\b(?:trained on|fine-?tuned (?:from|on)|based on|derived from|"
                      r"built on|generated (?:by|with)|of the|from the)\b", re.I)


def subject(words: str) -> str:
    """The artifacts a statement says a licence covers, as "code", "dataset",
    "model" or "dataset,model" (in that fixed order): the artifact nouns of
    the words before the licence is named ("The DiffusionDB dataset is
    available under ..."), not those of a clause about something else."""
    clause = _other_artifact().split(words, maxsplit=1)[0]
    found = [name for name, pattern in _artifact_words() if pattern.search(clause)]
    return ",".join(sorted(found))


def _identify(block: _Block, known_paths: frozenset[str]) -> list[Part]:
    found = identify_text(block.text)
    if block.scope and (found is None or found.method == "reference"):
        found = contained(block.text) or found  # a notice around a component's licence
    folders = _folders(block.text[:HEAD_CHARS * 2], known_paths) if block.scope else ()
    role = ("items" if _items().search(block.scope) and not folders else "part") if block.scope \
        else "main"
    if found and found.method != "reference":
        changes = compare(block.text, found.license) if found.method == "dice" else None
        return [Part(found.license, found.confidence, found.method, block.line, role,
                     block.scope, folders, changes or None)]
    named = _named(block, known_paths)
    if named:
        return named
    terms = non_commercial_terms(block.text)
    if terms:
        return [Part(CUSTOM_NC, 0.7, "nc-terms", block.line, role, block.scope, folders,
                     non_commercial=terms)]
    return []


def named(text: str, line: int = 1, known_paths: frozenset[str] = frozenset()) -> list[Part]:
    """The licences a notice or a README names, one part per licence."""
    return _named(_Block(line, text), known_paths)


def _named(block: _Block, known_paths: frozenset[str], items: bool = False) -> list[Part]:
    """One part per licence a notice names, scoped by the sentence naming it."""
    out: list[Part] = []
    seen: set[tuple[str, str]] = set()
    ends = [m.end() for m in _sentence_end().finditer(block.text)]
    for ref in references(block.text):
        before = bisect_right(ends, ref.start) - 1
        after = bisect_left(ends, ref.end + 1)
        sentence = " ".join(block.text[ends[before] if before >= 0 else 0:
                                       ends[after] if after < len(ends) else None].split())
        folders = _folders(sentence, known_paths)
        before_reference = " ".join(block.text[ends[before] if before >= 0 else 0:
                                               ref.start].split())
        covered = ""
        if folders:
            role, scope = "part", sentence
        elif _main().search(sentence) and not items:
            role, scope = "main", _main().search(sentence).group(0)
            covered = subject(before_reference)
        elif items or _items().search(sentence):
            role, scope = "items", sentence
        elif block.scope:
            role, scope = "part", block.scope
        else:
            # "The DiffusionDB dataset is available under CC0": the licence
            # of the artifact the sentence names, if it names one.
            covered = subject(before_reference)
            role, scope = "main", sentence if covered else ""
        if (ref.license, role, covered) in seen:
            continue
        seen.add((ref.license, role, covered))
        line = block.line + block.text.count("\n", 0, ref.start)  # at most MAX_REFERENCES
        out.append(Part(ref.license, 0.8, "reference", line, role, scope[:160], folders,
                        subject=covered, linked=_linked_licence(sentence, known_paths)))
    return out


def _phrases(text: str) -> list[Part]:
    """Licences a list of items names by their own words ("Unsplash grants
    you ..."): item licences too."""
    from aiart_release.license_catalog import phrases

    lowered, out, seen = text.lower(), [], set()
    for phrase, license_id in phrases():
        at = lowered.find(phrase.lower())
        if at != -1 and license_id not in seen:
            seen.add(license_id)
            line = text.count("\n", 0, at) + 1
            out.append(Part(license_id, 0.9, "phrase", line, "items",
                            " ".join(text[at:at + 80].split())))
    return out


def _is_item_list(text: str) -> bool:
    """A list of items with a source and a licence each (one image, one URL,
    one licence per line): the items' licences, not the collection's."""
    lines = [line for line in text.split("\n") if line.strip()]
    with_url = sum(1 for line in lines if _url().search(line))
    return with_url >= 10 and with_url >= 0.3 * len(lines)


def _drop_incorporated(found: list[Part]) -> list[Part]:
    """The LGPL-3.0 builds on the GPL-3.0, and a copy of the LGPL often
    comes with the GPL's text: that GPL text is part of the LGPL, not a
    second licence."""
    ids = {p.license for p in found}
    if ids & {"LGPL-3.0-only", "LGPL-3.0-or-later"}:
        return [p for p in found if p.license not in ("GPL-3.0-only", "GPL-3.0-or-later")]
    return found
