"""What says the bundle holds a dataset, where its items come from, and
that it was harvested from the web: dataset cards, references files and
folder names, read for the provenance check's severities and placement."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from aiart_release.masking import redact

from .manifest import COLLECTORS, EXPORTERS, PLATFORMS, SHELL_COLLECTORS, platform_names


@cache
def _sources_file() -> re.Pattern[str]:
    return re.compile(r"(?:^|[-_.])(?:references?|sources?|credits?|attributions?|"
                      r"provenance|licen[cs]es)(?:[-_.]|$)", re.I)


@cache
def _sources_prose() -> re.Pattern[str]:
    return re.compile(r"\b(?:sourced|collected|downloaded|obtained|taken|captured|"
                      r"photographed|gathered|licensed|harvested|crawled)\s+(?:from|by|via|"
                      r"at|under)\b", re.I)


# A web-wide harvest, named without a site.
_WEB = (r"(?:the\s+)?(?:web|internet|websites?|online|social\s+media|open\s+web|"
        r"public\s+(?:web|websites?))\b"
        # "downloaded from the web page / web UI": one page, not a harvest
        r"(?![- ]?(?:pages?|sites?|ui|interfaces?|demo|app|browser|form)\b)")
_HARVEST_VERB = (r"(?:scrap(?:e|ed|es|ing)|extract(?:ed|s|ing)?|collect(?:ed|s|ing)?|"
                 r"crawl(?:ed|s|ing)?|download(?:ed|s|ing)?|harvest(?:ed|s|ing)?|"
                 r"gather(?:ed|s|ing)?|mined|mining)")
# Within one sentence: a line break, but no blank line or sentence end.
_GAP = r"(?:[^.!?\n]|\n(?![ \t]*\n)){0,%d}?"


@cache
def _harvested() -> re.Pattern[str]:
    """"harvested from the web", "web-scraped", "Common Crawl", and a
    harvest from a named platform: "by scraping user-generated images on the
    Stable Diffusion Discord server", "collected from Flickr"."""
    return re.compile(
        rf"\b{_HARVEST_VERB}\b{_GAP % 100}\b(?:from|on|off)\s+(?:{_WEB}|"
        rf"(?P<site>{_GAP % 60}(?:{platform_names().pattern})))"
        r"|\bweb[- ](?:scraped|crawled|harvested)\b|\bcommon\s*crawl\b", re.I)


@cache
def _collector_named() -> re.Pattern[str]:
    """A card naming the tool the data was collected with."""
    names = sorted({*COLLECTORS.values(), *SHELL_COLLECTORS, *EXPORTERS}, key=len, reverse=True)
    return re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(n.split(" (")[0]) for n in names)
                      + r")(?![\w-])", re.I)


@dataclass(frozen=True)
class Harvest:
    """A card's statement that its data was collected from the web or a platform."""

    path: str
    line: int
    sentence: str  # the card's own words, personal data masked
    platform: str | None  # the forum or social platform it names; None: the web at large

    @property
    def openly_licensed(self) -> bool:
        """The sentence says the items carry an open licence ("collected from
        Flickr under CC BY"): their creators' permission to reuse them."""
        return bool(_open_licence().search(self.sentence))


@cache
def _open_licence() -> re.Pattern[str]:
    return re.compile(r"\bcreative\s+commons\b|\bcc[- ]?(?:by|0|zero)\b|\bpublic[- ]domain\b|"
                      r"\bopen(?:ly)?[- ]licen[cs]ed\b", re.I)


MAX_SENTENCE = 240


_SENTENCE_ENDS = (". ", "! ", "? ", ".\n", "\n\n", "\n#", "\n- ", "\n* ")


def _sentence_at(text: str, start: int, end: int) -> str:
    """The sentence around ``text[start:end]``, on one line, shortened."""
    begin = max((i + 1 for sep in _SENTENCE_ENDS if (i := text.rfind(sep, 0, start)) >= 0),
                default=0)
    stop = min((i + 1 for sep in _SENTENCE_ENDS if (i := text.find(sep, end)) >= 0),
               default=len(text))
    flat = " ".join(text[begin:stop].lstrip("#-* ").split())
    flat = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", flat)  # links: their text
    if len(flat) > MAX_SENTENCE:
        flat = flat[:MAX_SENTENCE - 1].rsplit(" ", 1)[0] + "…"
    return redact(flat)


def _platform_in(words: str, *, inside: bool = False) -> str | None:
    """The forum or social platform ``words`` name; ``inside``: also within a
    longer name ("DiscordChatExporter" names Discord)."""
    pattern = "|".join(name for _, name in PLATFORMS if name) if inside \
        else platform_names().pattern
    match = re.search(pattern, words, re.I)
    return " ".join(match.group(0).lower().split()) if match else None


MAX_CARD_TEXT = 1_000_000


def harvest_statements(cards) -> list[Harvest]:
    """Each card's statement that its data was harvested, one per card (a
    platform named beats the web at large): a harvest verb with where from,
    or the collector tool it names (DiscordChatExporter, gallery-dl)."""
    found = []
    for card in cards:
        text = card.text[:MAX_CARD_TEXT]
        best: Harvest | None = None
        for match in [*_harvested().finditer(text), *_collector_named().finditer(text)]:
            sentence = _sentence_at(text, match.start(), match.end())
            if match.re is _collector_named():
                platform = _platform_in(match.group(0), inside=True) or _platform_in(sentence)
            else:
                platform = _platform_in(match.group("site")) if match.group("site") else None
            if best is None or (platform and not best.platform):
                best = Harvest(card.path, text.count("\n", 0, match.start()) + 1, sentence,
                               platform)
            if best.platform:
                break
        if best:
            found.append(best)
    # A platform named first; of those, the release's main card (the
    # shallowest, its README) before a datasheet's answers.
    return sorted(found, key=lambda h: (h.platform is None, h.path.count("/"),
                                        not h.path.lower().rsplit("/", 1)[-1].startswith("readme"),
                                        h.path))


def sources_described(inventory, cards, where: str) -> list[str]:
    """Files that describe where the dataset's items come from in prose: a
    card that says so, a references or credits file in the data folder."""
    found = [c.path for c in cards if _sources_prose().search(c.text)]
    prefix = "" if where == "." else where
    found += [f.path for f in inventory.files
              if f.kind in ("text", "table") and f.path.startswith(prefix)
              and _sources_file().search(f.name.rsplit(".", 1)[0])]
    return found[:3]


# Folder names that say "this is the data" (bundle.py's hints, less the
# generic "images" and "raw" that also hold figures and examples).
_DATA_FOLDERS = {"data", "dataset", "datasets", "training_data", "training-data", "train",
                 "corpus", "captions", "instance_images", "class_images", "instance_data"}
MANY_MEDIA = 100


def dataset_evident(inventory, media, cards) -> bool:
    """Something besides the pictures says the bundle holds a dataset: a
    dataset card, a folder named as data, caption files beside the media,
    a table in the dataset, or more media than examples ever are."""
    if cards or len(media) >= MANY_MEDIA:
        return True
    if any(part.lower() in _DATA_FOLDERS for f in media for part in f.path.split("/")[:-1]):
        return True
    stems = {f.path.rsplit(".", 1)[0] for f in media}
    return any(f.artifact == "dataset" and (f.kind == "table" or f.kind == "text" and
                                            f.path.rsplit(".", 1)[0] in stems)
               for f in inventory.files)
