"""What says the bundle holds a dataset, where its items come from, and
that it was harvested from the web: dataset cards, references files and
folder names, read for the provenance check's severities and placement."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from functools import cache
from itertools import islice

from aiart_release.masking import redact
from aiart_release.records import dataclass

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
# How far apart, within one sentence, the verb, its "from" and the place may be.
VERB_TO_FROM = 100
FROM_TO_PLACE = 60


@cache
def _verb() -> re.Pattern[str]:
    return re.compile(rf"\b{_HARVEST_VERB}\b", re.I)


@cache
def _from() -> re.Pattern[str]:
    return re.compile(r"\b(?:from|on|off)\s+", re.I)


@cache
def _from_web() -> re.Pattern[str]:
    return re.compile(rf"\b(?:from|on|off)\s+{_WEB}", re.I)


@cache
def _web_named() -> re.Pattern[str]:
    """"web-scraped", "Common Crawl": a web harvest in a word."""
    return re.compile(r"\bweb[- ](?:scraped|crawled|harvested)\b|\bcommon\s*crawl\b", re.I)


@cache
def _sentence_break() -> re.Pattern[str]:
    return re.compile(r"[.!?](?=\s|$)|\n[ \t]*\n")


def _harvests(text: str) -> Iterator[tuple[int, int, str | None]]:
    """``(start, end, platform)`` of each statement that data was harvested:
    "harvested from the web" (platform None), "web-scraped", "Common Crawl",
    and a harvest from a named platform ("by scraping user-generated images
    on the Stable Diffusion Discord server", "collected from Flickr").

    Each part is found in one linear pass; the parts are then joined by
    position (bisect), so that no text, however many verbs and "from"s it
    repeats, makes the search backtrack."""
    breaks = [m.start() for m in _sentence_break().finditer(text)]
    verbs = [m.span() for m in _verb().finditer(text)]
    verb_ends = [end for _, end in verbs]
    froms = [m.span() for m in _from().finditer(text)]
    from_ends = [end for _, end in froms]

    def one_sentence(start: int, end: int) -> bool:
        i = bisect_left(breaks, start)
        return i == len(breaks) or breaks[i] >= end

    def verb_before(at: int) -> int | None:
        i = bisect_right(verb_ends, at) - 1
        if i >= 0 and at - verb_ends[i] <= VERB_TO_FROM and one_sentence(verb_ends[i], at):
            return verbs[i][0]
        return None

    for match in _from_web().finditer(text):
        if (start := verb_before(match.start())) is not None:
            yield start, match.end(), None
    for match in _web_named().finditer(text):
        yield match.start(), match.end(), None
    for match in platform_names().finditer(text):
        # The nearest "from"/"on" before the name, then a verb before that.
        i = bisect_right(from_ends, match.start()) - 1
        if i < 0 or match.start() - from_ends[i] > FROM_TO_PLACE or \
                not one_sentence(from_ends[i], match.start()):
            continue
        if (start := verb_before(froms[i][0])) is not None:
            yield start, match.end(), " ".join(match.group(0).lower().split())


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
SENTENCE_WINDOW = 4 * MAX_SENTENCE


_SENTENCE_ENDS = (". ", "! ", "? ", ".\n", "\n\n", "\n#", "\n- ", "\n* ")


def _sentence_at(text: str, start: int, end: int) -> str:
    """The sentence around ``text[start:end]``, on one line, shortened. A
    "sentence" with no end in sight (a wall of text) is cut near the match."""
    low, high = max(0, start - SENTENCE_WINDOW), min(len(text), end + SENTENCE_WINDOW)
    begin = max((i + 1 for sep in _SENTENCE_ENDS
                 if (i := text.rfind(sep, low, start)) >= 0), default=low)
    stop = min((i + 1 for sep in _SENTENCE_ENDS if (i := text.find(sep, end, high)) >= 0),
               default=high)
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


# Collector tools named in a card: the first few are read for a platform.
MAX_TOOL_MENTIONS = 20


def harvest_statements(cards) -> list[Harvest]:
    """Each card's statement that its data was harvested, one per card (a
    platform named beats the web at large): a harvest verb with where from,
    or the collector tool it names (DiscordChatExporter, gallery-dl)."""
    found = []
    for card in cards:
        text = card.text[:MAX_CARD_TEXT]
        said = [*_harvests(text)]
        for match in islice(_collector_named().finditer(text), MAX_TOOL_MENTIONS):
            # A general collector (gallery-dl): the platform its sentence names.
            platform = _platform_in(match.group(0), inside=True) or \
                _platform_in(_sentence_at(text, match.start(), match.end()))
            said.append((match.start(), match.end(), platform))
        if said:
            start, end, platform = min(said, key=lambda s: (s[2] is None,
                                                            _weakness(text[s[0]:s[1]]), s[0]))
            found.append(Harvest(card.path, text.count("\n", 0, start) + 1,
                                 _sentence_at(text, start, end), platform))
    # A platform named first; then the plainest verb; then the release's main
    # card (the shallowest, its README) before a datasheet's answers.
    return sorted(found, key=lambda h: (h.platform is None, _weakness(h.sentence),
                                        h.path.count("/"),
                                        not h.path.lower().rsplit("/", 1)[-1].startswith("readme"),
                                        h.path))


@cache
def _weak_verbs() -> re.Pattern[str]:
    return re.compile(r"^\W*(?:extract|gather|mine|mining)", re.I)


def _weakness(statement: str) -> int:
    """1 for a statement whose verb also names processing ("extracted from
    the chat log", "mined"); 0 for one that names taking ("scraped",
    "collected", "crawled", "downloaded") or a collector tool."""
    verb = _verb().search(statement)
    return int(bool(verb and _weak_verbs().match(verb.group(0))))


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
