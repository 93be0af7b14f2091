"""Is this Markdown a model card or a dataset card? Decided by what it says.

Names help (``model-card.md``, ``CLIP_Model_Card.md``, ``DATA_CARD.md``) and
the Hub's YAML front matter decides where it has one, but many releases
have neither: the model card is a heading ("# Model Card: X") and the dataset
card is the README of a dataset repository ("# X Dataset ... The dataset
consists of 1,336 images ... downloaded via ... ## License"). A code
repository's README that mentions a dataset in its training instructions is
not a dataset card: it is scored on how much it says about the data
itself, against how much it says about installing and running code.

Part of the built-in classifier: a card is a kind of file. The cards check
then reads what the classifier found (``facts.cards``); it does not ask again.
"""

from __future__ import annotations

import re
from functools import cache

from aiart_release.readers.markdown import atx_heading as _heading


# File names: "model" and "card" in any order and case, "data"/"dataset" and
# "card" or "sheet".
@cache
def _model_card_name() -> re.Pattern[str]:
    return re.compile(r"(?:^|[-_. ])model[-_ ]?cards?(?:$|[-_. ])|^modelcard", re.I)


@cache
def _data_card_name() -> re.Pattern[str]:
    return re.compile(r"(?:^|[-_. ])data(?:[-_ ]?set)?[-_ ]?(?:cards?|sheets?)(?:$|[-_. ])",
                      re.I)


@cache
def _setext_underline() -> re.Pattern[str]:
    return re.compile(r"(?:=+|-+)\s*")


@cache
def _model_card_title() -> re.Pattern[str]:
    return re.compile(r"\bmodel\s*card\b", re.I)


@cache
def _data_card_title() -> re.Pattern[str]:
    return re.compile(r"\b(?:data(?:\s*set)?\s*card|datasheet)\b", re.I)


@cache
def _data_title() -> re.Pattern[str]:
    return re.compile(r"\b(?:data\s*set|dataset|datasheet|corpus)\b", re.I)


# Sections of the model card template (Mitchell et al., the Hub's template).
@cache
def _model_sections() -> re.Pattern[str]:
    return re.compile(
        r"^\s{0,3}#{1,6}\s*(?:model\s+details|model\s+description|intended\s+uses?|"
        r"out[- ]of[- ]scope|limitations|bias(?:,|\s+and)|risks|training\s+(?:data|procedure)|"
        r"evaluation(?:\s+results)?|ethical\s+considerations|caveats|how\s+to\s+get\s+started)\b",
        re.I | re.M)


@cache
def _data_sections() -> re.Pattern[str]:
    return re.compile(
        r"^\s{0,3}#{1,6}\s*(?:the\s+)?(?:data\s*set|dataset|data(?:\s+(?:collection|format|fields|"
        r"splits?|description|sources?|structure|instances))?|collection(?:\s+process)?|"
        r"annotations?|licen[cs]es?|splits?|curation(?:\s+rationale)?|composition|provenance|"
        r"metadata|personal\s+and\s+sensitive\s+information|image\s+labels)\s*$", re.I | re.M)


@cache
def _code_sections() -> re.Pattern[str]:
    return re.compile(
        r"^\s{0,3}#{1,6}\s*(?:\d+\.\s*)?(?:installation|install|usage|getting\s+started|quick\s*start|"
        r"requirements|training|inference|api|pretrained|demo|how\s+to\s+(?:run|use)|setup|"
        r"features|main\s+features|updates|web\s+demo|examples?|commands?|build(?:ing)?)\b",
        re.I | re.M)


@cache
def _contents() -> re.Pattern[str]:
    return re.compile(
        r"\b(?:the|this|our)\s+(?:data\s*set|dataset|subset|corpus|collection|benchmark)\s+"
        r"(?:contains|consists\s+of|includes|comprises|is\s+made\s+(?:up\s+)?of|holds|"
        r"is\s+composed\s+of|has\s+\d)"
        r"|\b(?:is|are)\s+an?\s+(?:[\w-]+\s+){0,3}(?:data\s*set|dataset|corpus)\s+(?:containing|"
        r"of\s+[\d,.]+|with\s+[\d,.]+|that\s+contains|consisting)", re.I)


@cache
def _counts() -> re.Pattern[str]:
    return re.compile(
        r"\b\d[\d,.]*\s*(?:k|m|million|thousand)?\s+(?:[\w-]+\s+){0,2}(?:images|photos|"
        r"photographs|pictures|captions|pairs|artworks|paintings|drawings|illustrations|videos|"
        r"clips|recordings|subjects|portraits)\b", re.I)


@cache
def _collected() -> re.Pattern[str]:
    return re.compile(
        r"\b(?:images|photos|photographs|pictures|data|captions|videos|recordings|they)\s+"
        r"(?:were|was|have\s+been|are)\s+(?:\w+\s+)?(?:collected|downloaded|scraped|crawled|"
        r"harvested|captured|sourced|gathered|taken|photographed|annotated|curated|obtained|"
        r"licensed|extracted)\b|\bharvested\s+from\b", re.I)


@cache
def _data_licence() -> re.Pattern[str]:
    return re.compile(
        r"\b(?:images|data\s*set|dataset|data|photos|media|captions)\b[^.\n]{0,80}\b(?:licensed|"
        r"made\s+available|released|available|used|provided|distributed)\s+under\b", re.I)


# Enough said about the data itself for a README to be its card.
README_THRESHOLD = 4
# A README inside a data folder needs only to say something about it.
DATA_FOLDER_THRESHOLD = 1


def kind_by_name(name: str) -> str | None:
    """``model-card`` or ``dataset-card`` from a file name, else None."""
    stem = name.rsplit(".", 1)[0]
    if _model_card_name().search(stem):
        return "model-card"
    if _data_card_name().search(stem):
        return "dataset-card"
    return None


def title(text: str) -> str:
    """The first heading of a Markdown text (empty when there is none)."""
    lines = text[:4000].split("\n")
    for number, line in enumerate(lines):
        heading = _heading(line)
        if heading and heading[0] <= 2:
            return heading[1]
        # Setext: a line underlined with === or ---.
        if line and number + 1 < len(lines) and _setext_underline().fullmatch(lines[number + 1]):
            return line
    return ""


def kind_by_heading(text: str) -> str | None:
    """A card that says what it is in its title, or is built from the model
    card template's sections."""
    heading = title(text)
    if _data_card_title().search(heading):
        return "dataset-card"
    if _model_card_title().search(heading):
        return "model-card"
    if len({m.group(0).strip().lower() for m in _model_sections().finditer(text)}) >= 3:
        return "model-card"
    return None


def data_score(text: str) -> int:
    """How much a text says about a dataset itself: what it holds, how it
    was collected, under which licence; less what it says about code."""
    score = 0
    if _data_title().search(title(text)):
        score += 2
    if _contents().search(text):
        score += 2
    score += sum(1 for p in (_counts(), _collected(), _data_licence()) if p.search(text))
    score += min(2, len({m.group(0).strip().lower() for m in _data_sections().finditer(text)}))
    score -= min(3, len({m.group(0).strip().lower() for m in _code_sections().finditer(text)}))
    return score
