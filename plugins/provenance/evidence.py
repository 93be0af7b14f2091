"""What says the bundle holds a dataset, where its items come from, and
that it was harvested from the web: dataset cards, references files and
folder names, read for the provenance check's severities and placement."""

from __future__ import annotations

import re
from functools import cache


@cache
def _sources_file() -> re.Pattern[str]:
    return re.compile(r"(?:^|[-_.])(?:references?|sources?|credits?|attributions?|"
                      r"provenance|licen[cs]es)(?:[-_.]|$)", re.I)


@cache
def _sources_prose() -> re.Pattern[str]:
    return re.compile(r"\b(?:sourced|collected|downloaded|obtained|taken|captured|"
                      r"photographed|gathered|licensed|harvested|crawled)\s+(?:from|by|via|"
                      r"at|under)\b", re.I)


@cache
def _harvested() -> re.Pattern[str]:
    return re.compile(
        r"\b(?:harvested|scraped|crawled|collected|downloaded|gathered|mined)\s+from\s+(?:the\s+)?"
        r"(?:web|internet|websites?|online|social\s+media|open\s+web|public\s+(?:web|websites?))\b"
        r"|\bweb[- ](?:scraped|crawled|harvested)\b|\bcommon\s*crawl\b", re.I)


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


def card_says_harvested(cards) -> str | None:
    """The dataset card that says the data was harvested from the web."""
    return next((c.path for c in cards if _harvested().search(c.text)), None)
