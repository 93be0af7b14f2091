"""CREDITS.md from the sources manifests: who made what the release is built
on, where it came from, under which licence, and how to ask for removal.

Written only when the user runs ``aiart-release credits`` (command.py): the
one file this tool writes into a bundle on request.

Manifests come from anyone, so what they say is published with care:

- names and links, never a creator's e-mail address or phone number
  (``Mira Holt <mira@example.org>`` is credited as ``Mira Holt``), unless
  the manifest marks that creator's contact as public (a ``contact_public``
  column saying yes/true);
- every cell escaped for Markdown, newlines and control characters
  collapsed to spaces, so that a cell cannot add a line, a heading, a link,
  HTML or a table column to the file; links are written as ``<...>`` with
  the characters that could end them percent-encoded.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING

from aiart_release.origin import vendor_dir_index
from aiart_release.records import dataclass
from aiart_release.writes import shown

from .manifest import Item, Manifest, own_work, read_manifest

if TYPE_CHECKING:
    from aiart_release.bundle import Inventory
    from aiart_release.config import Config


# Bounded as the RFC bounds them (64 before the @, 63 a label), so that a
# long cell without an @ costs linear time, not quadratic.
_EMAIL = re.compile(r"(?:mailto:)?[\w.%+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}", re.I)
# Seven digits or more, in the usual groupings: a phone number, not a year
# or a count. Only looked for outside links (a photo's id in a URL is no phone).
_PHONE = re.compile(r"(?:tel:)?\+?\d(?:[\s().\-/]{0,3}\d){6,}")
_ANGLE_CONTACT = re.compile(r"<[^<>]*>")
_EMPTY_BRACKETS = re.compile(r"\(\s*\)|\[\s*\]|<\s*>")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
# Backslash-escaped wherever they stand: what can open emphasis, code, a
# link or image, HTML or an entity, a table column, strikethrough or maths.
# Block markup (headings, lists, quotes) needs the start of a line, which a
# cell never reaches once its newlines are spaces.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&!$#{}()])")
_URL = re.compile(r"https?://[^\s<>\"'`]+\Z", re.I)
_URL_UNSAFE = re.compile(r"[^A-Za-z0-9\-._~:/?#@!$&'()*+,;=%]")
WITHHELD = "contact withheld"


MAX_CELL = 1000  # characters of one manifest cell shown; a name or a link is shorter


def one_line(text: str) -> str:
    """Newlines, tabs and control characters as single spaces; bytes of a
    file name that are not UTF-8 as escapes; at most MAX_CELL characters."""
    text = shown(text[:MAX_CELL + 1])
    text = " ".join(_CONTROL.sub(" ", text).split())
    return text if len(text) <= MAX_CELL else text[:MAX_CELL - 1] + "…"


def markdown_text(text: str) -> str:
    """``text`` as it reads, on one line, with no Markdown or HTML in it."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", one_line(text))


def markdown_link(text: str) -> str:
    """A web address as a Markdown autolink that cannot end early or break
    a table; anything else as escaped text."""
    text = one_line(text)
    if not _URL.match(text):
        return markdown_text(text)
    encoded = _URL_UNSAFE.sub(lambda m: "".join(f"%{b:02X}" for b in m.group().encode()),
                              text).replace("|", "%7C")
    return f"<{encoded}>"


def without_contact(text: str) -> str:
    """A name as it may be published: e-mail addresses and phone numbers
    taken out (``Name <e-mail>`` is ``Name``)."""
    cleaned = _ANGLE_CONTACT.sub(lambda m: " " if _EMAIL.search(m.group()) or
                                 _PHONE.search(m.group()) else m.group(), text)
    cleaned = _PHONE.sub(" ", _EMAIL.sub(" ", cleaned))
    if cleaned != text:  # what held the address goes with it: "()", a trailing comma
        cleaned = _EMPTY_BRACKETS.sub(" ", cleaned)
        return one_line(cleaned).strip(" ,;:-/")
    return one_line(cleaned)


def credited_name(creator: str, public: bool = False) -> str:
    """How a creator is named in CREDITS.md (before Markdown escaping): as
    written when the manifest marks the contact public, else without
    contact data; the provenance check looks for this name."""
    return one_line(creator) if public else without_contact(creator)


def is_credited(item: Item, credits_text: str) -> bool:
    """Whether the item's creator is named in ``credits_text`` (lower-cased
    cards and CREDITS files): as the manifest writes the name, or as
    CREDITS.md credits it (without contact data, Markdown-escaped)."""
    raw = (item.creator or "").strip()
    name = credited_name(raw, _contact_public(item))
    return any(form.lower() in credits_text
               for form in (raw, name, markdown_text(name)) if form)


def _contact_public(item: Item) -> bool:
    # The manifest's ``contact_public`` column (yes/true); absent: private.
    return bool(getattr(item, "contact_public", False))


@dataclass
class Contributor:
    name: str
    items: list[Item] = field(default_factory=list)

    @property
    def licenses(self) -> list[str]:
        return sorted({i.license for i in self.items if i.license})

    @property
    def sources(self) -> list[str]:
        return sorted({i.source for i in self.items if i.source})


def manifests(inventory: Inventory) -> list[Manifest]:
    found = [read_manifest(f, inventory.root) for f in inventory.of_kind("manifest")
             if f.readable]
    return [m for m in found if m.items]


def contributors(found: list[Manifest]) -> list[Contributor]:
    by_name: dict[str, Contributor] = {}
    for m in found:
        for item in m.items:
            raw = (item.creator or "").strip()
            if not raw or own_work(item):
                continue
            name = credited_name(raw, _contact_public(item))
            # A creator named only by an address is still one creator.
            key = name.lower() if name else "\0" + raw.lower()
            by_name.setdefault(key, Contributor(name or WITHHELD)).items.append(item)
    return sorted(by_name.values(), key=lambda c: c.name.lower())


def vendored_packages(inventory: Inventory) -> list[str]:
    """Names of the folders of third-party code copied into the bundle."""
    names = set()
    for f in inventory.of_artifact("code"):
        parts = f.path.split("/")
        index = vendor_dir_index(f.path)
        # A package is a folder below the vendor folder, not a loose file in it.
        if index is not None and index < len(parts) - 2:
            names.add(parts[index + 1])
    return sorted(names)


def base_models(facts) -> list[str]:
    out = []
    for card in facts.cards_of("model-card"):
        bases = card.metadata.get("base_model")
        for base in bases if isinstance(bases, list) else [bases]:
            if isinstance(base, str) and base.strip() and base not in out:
                out.append(base.strip())
    return out


def render(bundle_name: str, people: list[Contributor], found: list[Manifest],
           config: Config, bases: list[str] = (), code: list[str] = ()) -> str:
    lines = [f"# Credits: {markdown_text(bundle_name)}", ""]
    if bases or code:
        lines += ["## Models and code this release builds on", ""]
        lines += [f"- base model: {markdown_text(b)} "
                  f"({markdown_link('https://huggingface.co/' + b)})" for b in bases]
        lines += [f"- code: {markdown_text(name)} (vendored; see its licence file)"
                  for name in code]
        lines.append("")
        if people:
            lines += ["## Data", ""]
    if people:
        lines += ["This release is built on the work of these creators:", ""]
        lines += ["| creator | items | licence | source |", "|---|---:|---|---|"]
        for person in people:
            lines.append(_row(person))
        lines.append("")
    own = sum(1 for m in found for i in m.items if own_work(i))
    if own:
        lines += [f"{own} item(s) are the release authors' own work.", ""]
    licences: dict[str, int] = defaultdict(int)
    for m in found:
        for item in m.items:
            licences[item.license or "not recorded"] += 1
    if licences:
        lines += ["Items by licence: " + ", ".join(f"{markdown_text(k)} ({v})" for k, v in
                                                   sorted(licences.items())) + ".", ""]
    lines += ["## Removal (opt-out)", ""]
    if config.contact:
        # The release authors' own address, given to be published.
        lines.append(f"If your work or your likeness is in this release and you want it "
                     f"removed, write to {markdown_text(str(config.contact))}.")
    else:
        lines.append("If your work or your likeness is in this release and you want it "
                     "removed, contact the release authors. (Set `contact:` in "
                     "aiart-release.yaml to name an address here.)")
    sources = ", ".join(markdown_text(m.path) for m in found)
    lines += ["", f"_Generated by aiart-release from {sources}._", ""]
    return "\n".join(lines)


def _row(person: Contributor) -> str:
    """One creator's row of the table: every cell escaped, sources as links,
    no contact data in a licence or a source unless it is public."""
    public = any(_contact_public(i) for i in person.items)

    def shown(value: str) -> str:
        return one_line(value) if public else without_contact(value)

    licences = ", ".join(markdown_text(shown(x)) for x in person.licenses) or "not recorded"
    sources = [s for s in (_source(x, public) for x in person.sources[:3]) if s]
    more = f" (+{len(person.sources) - 3} more)" if len(person.sources) > 3 else ""
    return (f"| {markdown_text(person.name)} | {len(person.items)} | {licences} | "
            f"{', '.join(sources) + more if sources else 'not recorded'} |")


def _source(value: str, public: bool) -> str:
    """A link is shown as a link, unless it carries an e-mail address
    (``mailto:``, ``?email=``) that is not public."""
    if not public and _EMAIL.search(value):
        return markdown_text(without_contact(value))
    return markdown_link(value)


def credits_text(root: Path, inventory: Inventory, config: Config) -> tuple[str, int, int]:
    """CREDITS.md as text, the number of contributors and of items; the
    command writes it (through the core's safe write)."""
    from aiart_release.facts import gather_facts

    found = manifests(inventory)
    people = contributors(found)
    facts = gather_facts(inventory, config)
    text = render(root.resolve().name, people, found, config, base_models(facts),
                  vendored_packages(inventory))
    return text, len(people), sum(len(m.items) for m in found)
