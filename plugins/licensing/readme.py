"""A licence named only in a README: a "## License" section that says "MIT",
or a sentence "released under the Apache 2.0 license".

Many repositories have no LICENSE file and state their licence this way. It
counts (as a licence of the README's folder), and the finding says where it
was read, so that a reviewer can judge how binding it is.
"""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING

from aiart_release.license_catalog import resolve
from aiart_release.readers.text import TextUnreadable, read_text

if TYPE_CHECKING:  # the sections reader is imported when a README is read
    from .sections import Part

MAX_README_BYTES = 512 * 1024


@cache
def _readme() -> re.Pattern[str]:
    return re.compile(r"(?i)^readme(?:[._-].*)?\.(?:md|markdown|txt|rst)$|^readme$")


@cache
def _section() -> re.Pattern[str]:
    return re.compile(r"^(#{1,6})\s*(?:licen[cs]e|licen[cs]ing|copyright and licen[cs]e)s?\b.*$",
                      re.I | re.M)


@cache
def _underlined() -> re.Pattern[str]:
    return re.compile(r"^(?:licen[cs]e|licen[cs]ing)s?\s*\n[=-]{3,}\s*$", re.I | re.M)


@cache
def _released() -> re.Pattern[str]:
    return re.compile(r"\b(?:(?:is|are) (?:licen[cs]ed|released|distributed|made available|"
                      r"available)|(?:used|shared|published|provided)) under\b", re.I)


# A sentence about someone else's licence: the base model's, the source's.
@cache
def _upstream() -> re.Pattern[str]:
    return re.compile(r"\b(?:which|base model|based on|fine-?tuned (?:from|on)|derived from|"
                      r"trained on|upstream|original)\b", re.I)


def is_readme(name: str) -> bool:
    return _readme().match(name) is not None


# A section body of one bare licence id: "## License\n\nMIT".
@cache
def _bare() -> re.Pattern[str]:
    return re.compile(r"^\s*([A-Za-z0-9.+-]{2,40})\s*\.?\s*$")


# The two licence checks both ask; each README is read and parsed once per
# inventory (keyed by identity: an Inventory is a mutable dataclass, and the
# newest one is the only one asked about).
_LAST: list = [None, None, None]  # [inventory, known_paths, answer]


def readme_licenses(inventory, known_paths: frozenset[str]) -> list[tuple[object, list[Part]]]:
    """(README file, [sections.Part]) for every README that names a licence."""
    if _LAST[0] is inventory and _LAST[1] == known_paths:
        return _LAST[2]
    answer = _readme_licenses(inventory, known_paths)
    _LAST[:] = [inventory, known_paths, answer]
    return answer


def _readme_licenses(inventory, known_paths: frozenset[str]) -> list[tuple[object, list[Part]]]:
    out = []
    for f in inventory.files:
        if not is_readme(f.name) or not f.readable or f.size > MAX_README_BYTES:
            continue
        try:
            text, _ = read_text(f.abspath, MAX_README_BYTES)
        except TextUnreadable:
            continue
        found = licence_section(text, known_paths) or released_under(text, known_paths)
        if found:
            out.append((f, found))
    return out


def licence_section(text: str, known_paths: frozenset[str] = frozenset()) -> list[Part]:
    """The licences a README's licence section names, lines counted in the
    whole README."""
    match = _section().search(text) or _underlined().search(text)
    if not match:
        return []
    from .sections import Part, named

    level = len(match.group(1)) if match.re is _section() else 2
    body_start = match.end()
    end = re.compile(rf"^#{{1,{level}}}\s", re.M).search(text, body_start)
    body = text[body_start:end.start() if end else None]
    line = text.count("\n", 0, body_start) + 1
    found = named(body, line, known_paths)
    if not found:
        bare = next((b for b in body.split("\n") if b.strip()), "")
        value = _bare().match(bare)
        resolved = resolve(value.group(1)) if value else None
        if resolved:
            number = line + body[:body.find(bare)].count("\n")
            found = [Part(resolved, 0.8, "reference", number, "main")]
    return found


def released_under(text: str, known_paths: frozenset[str] = frozenset()) -> list[Part]:
    """Licences a README names in a sentence saying the work is released
    under them, outside any licence section."""
    from .sections import named

    out = []
    for match in _released().finditer(text):
        start = text.rfind("\n\n", 0, match.start()) + 1
        end = text.find("\n\n", match.end())
        line = text.count("\n", 0, start) + 1
        paragraph = text[start:end if end != -1 else None]
        sentence = paragraph[max(0, match.start() - start - 200):match.end() - start + 120]
        if _upstream().search(sentence):
            continue
        out.extend(named(paragraph[:600], line, known_paths))
    return out[:5]
