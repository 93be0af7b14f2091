"""Alt text: images a card shows must say what they show.

Field guide, publishing checkpoint: are the outputs accessible, with image
descriptions? A card (model or dataset card, and the top-level README) that
shows a bundle image with Markdown ``![](samples/cat.png)`` (empty alt) or
HTML ``<img src="docs/grid.png">`` (no alt, or ``alt=""``) gets one
``docs.missing-alt-text`` finding listing those images. Only images in the
bundle count (a remote badge is not the project's output).
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from urllib.parse import unquote

from aiart_release.bundle import TEXT_KINDS
from aiart_release.checks import Check
from aiart_release.findings import Checkpoint, Finding, Location, Severity
from aiart_release.lazy_pattern import LazyPattern

# ![alt](target "title") and ![alt](<target with spaces>). Linear on any
# text: every repetition is bounded and possessive, and none can run over
# the bracket that starts the next image, so a failed match costs O(1) per
# start (a card of a million "![" took 4.9 s with plain repetitions).
# Each is compiled on its first use (a bundle without a card never is).
_MARKDOWN_IMAGE = LazyPattern(
    r"!\[([^\[\]\n]{0,500}+)\]\(\s{0,10}+(?:<([^<>\n]{1,500}+)>|([^()\s]{1,500}+))"
    r"(?:\s{1,10}+(?:\"[^\"\n]{0,300}+\"|'[^'\n]{0,300}+'))?\s{0,10}+\)")
_HTML_IMG = LazyPattern(r"<img\b([^<>]{0,2000}+)>", re.I)
_ATTR = LazyPattern(r"""([a-zA-Z-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""")
# Card text read for images: cards are kilobytes; a huge one is cut here.
MAX_CARD_CHARS = 2 * 1024 * 1024
_SHOWN = 10


class AltText(Check):
    id = "alt-text"
    # Reads the cards and READMEs that show images.
    bundle_reads = TEXT_KINDS
    # Reads only the bundle, its facts and its settings (docs/plugins.md).
    bundle_cacheable = True
    checkpoint = Checkpoint.PUBLISHING
    description = "Images shown in cards and the README without alt text"
    kinds = frozenset()
    version = "1"
    findings = {
        "docs.missing-alt-text": "A card or README shows bundle images without alt text",
    }

    def scan_bundle(self, ctx):
        images = {f.path for f in ctx.inventory.files if f.kind == "image"}
        for path, text in _documents(ctx):
            missing = [target for target, alt in images_shown(text)
                       if not alt.strip() and _resolve(path, target) in images]
            if missing:
                yield _finding(path, list(dict.fromkeys(_resolve(path, t) for t in missing)))


def _documents(ctx):
    """(path, text) of each card, and of the top-level README when it is no card."""
    seen = set()
    for card in ctx.facts.cards:
        seen.add(card.path)
        yield card.path, (card.text or "")[:MAX_CARD_CHARS]
    for file in ctx.inventory.files:
        if "/" not in file.path and file.path.lower() in ("readme.md", "readme.markdown") \
                and file.path not in seen:
            from aiart_release.readers.text import TextUnreadable, read_text

            try:
                text, _ = read_text(file.abspath, MAX_CARD_CHARS)
            except (TextUnreadable, OSError):
                continue  # the cards and text checks report unreadable READMEs
            yield file.path, text


def images_shown(text: str) -> list[tuple[str, str]]:
    """(target, alt) of each Markdown image and HTML <img> in ``text``; an
    <img> without alt has alt ''."""
    # Imported when a card is read, not when the check is registered (the
    # pre-commit hook's start-up): html.entities is large.
    import html

    found = [(m.group(2) or m.group(3), m.group(1)) for m in _MARKDOWN_IMAGE.finditer(text)]
    for tag in _HTML_IMG.finditer(text):
        attrs = {m.group(1).lower(): html.unescape(m.group(2) or m.group(3) or m.group(4) or "")
                 for m in _ATTR.finditer(tag.group(1))}
        if attrs.get("src"):
            found.append((attrs["src"], attrs.get("alt", "")))
    return found


def _resolve(document: str, target: str) -> str | None:
    """The bundle path ``target`` names, relative to ``document`` (or to the
    root when it starts with /); None for a URL or a path leaving the bundle."""
    target = unquote(target.split("#", 1)[0].split("?", 1)[0])
    if not target or re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I) or target.startswith("//"):
        return None
    base = PurePosixPath() if target.startswith("/") else PurePosixPath(document).parent
    parts: list[str] = []
    for part in (base / target.lstrip("/")).parts:
        if part == "..":
            if not parts:
                return None
            parts.pop()
        elif part not in (".", ""):
            parts.append(part)
    return "/".join(parts) or None


def _finding(path: str, images: list[str]) -> Finding:
    shown = ", ".join(images[:_SHOWN]) + (f" and {len(images) - _SHOWN} more"
                                          if len(images) > _SHOWN else "")
    return Finding(
        id="docs.missing-alt-text", severity=Severity.LOW,
        message=f"{len(images)} image(s) shown without alt text: {shown}",
        location=Location(path=path), context="prose", checkpoint=Checkpoint.PUBLISHING,
        remediation="Describe each image in its alt text (`![a watercolour fox in snow, "
                    "generated](samples/fox.png)`, `<img src=... alt=\"...\">`): what it shows, "
                    "and that it is generated")
