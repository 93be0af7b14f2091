"""Which data a consent or provenance finding is about.

A finding about where data came from belongs on that data: the folder a
manifest lists, the folder the dataset card describes or names, or the folder
a scraper writes into. Failing those, the folder that holds most of the
dataset's media. Never simply the first folder with images in it, which is
as often sample outputs or a web page's assets.

In the core because two plugins place findings on the data: provenance
(consent, manifests) and cards (a dataset with no card).
"""

from __future__ import annotations

from collections import Counter
from pathlib import PurePosixPath

from .lazy_pattern import LazyPattern

# Path-like words in a card: "dataset/", "data/images/cat.png", `train/`.
_PATH_WORD = LazyPattern(r"(?<![\w/.:-])\.?/?((?:[\w.-]+/)+[\w.-]*)")


def _ancestors(path: str) -> list[str]:
    parent = PurePosixPath(path).parent
    return [p.as_posix() for p in [parent, *parent.parents] if p.as_posix() != "."]


def _covering(folder: str, media) -> int:
    return sum(1 for f in media if f.path.startswith(folder + "/"))


def _best(folders: set[str], media) -> str | None:
    counted = [(c, folder) for folder in folders if (c := _covering(folder, media))]
    if not counted:
        return None
    # Most media first; of equals, the shallowest folder.
    return max(counted, key=lambda cf: (cf[0], -cf[1].count("/"), cf[1]))[1]


def card_folders(cards, media) -> set[str]:
    """Folders holding media that dataset cards describe: the card's own
    folder, and the folders its text names."""
    known = {a for f in media for a in _ancestors(f.path)}
    found: set[str] = set()
    for card in cards:
        folder = PurePosixPath(card.path).parent.as_posix()
        if folder != "." and folder in known:
            found.add(folder)
        for match in _PATH_WORD.finditer(card.text[:200_000]):
            word = match.group(1).strip("/")
            # "dataset/references.txt" names its folder; "dataset/" itself.
            for candidate in (word, PurePosixPath(word).parent.as_posix()):
                if folder != ".":
                    candidate = f"{folder}/{candidate}"
                if candidate in known:
                    found.add(candidate)
    return found


def tool_folders(tools, media) -> set[str]:
    """Folders holding media that a scraper's code names (where it writes)."""
    known = {a for f in media for a in _ancestors(f.path)}
    found = set()
    for tool in tools:
        for literal in tool.folders:
            literal = literal.strip("/")
            if not literal:
                continue
            found.update(k for k in known if k == literal or k.endswith("/" + literal))
    return found


def data_folder(media, cards=(), tools=()) -> str:
    """The folder (``name/``, or ``.``) a dataset-wide finding belongs on."""
    chosen = _best(card_folders(cards, media), media) or _best(tool_folders(tools, media), media)
    if chosen is None:
        tops = Counter(f.path.split("/")[0] if "/" in f.path else "." for f in media)
        if not tops:
            return "."
        chosen = max(tops.items(), key=lambda kv: (kv[1], kv[0] != "."))[0]
    return "." if chosen == "." else chosen + "/"
