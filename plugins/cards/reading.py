"""How the cards check reads a card: its Markdown lines and headings, the
template text left in it, which of its template's questions it answers,
the Hub identifiers in its metadata, what it says of the people in its
data (people_described.py, pseudonymous.py).

Imported by the check (check.py) only when the bundle holds a card or a
top-level README; the names tests and other modules use are also reachable
from the package (``aiart_release.default_plugins.cards.placeholder_lines``).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from functools import cache
from pathlib import PurePosixPath

from aiart_release.facts import Card
from aiart_release.findings import Checkpoint, Finding, Location, Severity, plural
from aiart_release.readers.markdown import atx_heading
from aiart_release.readers.text import TextUnreadable, read_text
from aiart_release.records import dataclass

from .check import NOT_RELEASED, top_readme_files
from .people_described import aside_heading, no_people, people_statement, self_described
from .pseudonymous import anonymity_claim, described_identifiers

# Every pattern is compiled on first use (a cached accessor): a run that
# reads no card, as a pre-commit hook on one caption, compiles none of them.


# Text a card template leaves behind. Each is unambiguous outside code blocks.
@cache
def _placeholders() -> list[re.Pattern[str]]:
    return [
        # The Hugging Face model and dataset card templates fill every unanswered
        # field with this.
        re.compile(r"\[More Information Needed\]", re.IGNORECASE),
        # Unrendered Jinja from a card template.
        re.compile(r"\{\{\s*[\w.|()' \"-]{1,80}\s*\}\}"),
        re.compile(r"\{%-?\s*\w+[^%]{0,80}%\}"),
        # Writer's markers.
        re.compile(r"(?<![\w-])(TODO|TBD|FIXME|TKTK)(?![\w-])"),
        re.compile(r"\blorem ipsum\b", re.IGNORECASE),
        re.compile(r"[\[<](?:your|insert|add|enter) [^\]>\n]{1,40}[\]>]", re.IGNORECASE),
    ]


# Sections whose emptiness matters most: the questions the field guide asks.
@cache
def _key_sections() -> re.Pattern[str]:
    return re.compile(
        r"bias|risk|limitation|out-of-scope|misuse|training data|\buses?\b|consent|personal"
        r"|sensitive",
        re.IGNORECASE,
    )


@cache
def _fence() -> re.Pattern[str]:
    return re.compile(r"^\s{0,3}(`{3,}|~{3,})")


_MAX_SECTIONS_SHOWN = 5


# A name that says the file is meant as a card: ``model_card.md``,
# ``DATASET-CARD.md``, ``datasheet.md``. (The classifier may also find a
# card by its content; such a page owes no metadata.)
@cache
def _meant_as_card() -> re.Pattern[str]:
    return re.compile(
        r"(?:^|[-_. ])(?:model[-_ ]?cards?|data(?:[-_ ]?set)?[-_ ]?(?:cards?|sheets?))(?:$|[-_. ])"
        r"|^modelcard", re.I)


def _is_the_card(path: str) -> bool:
    name = PurePosixPath(path).name
    return (name.lower().startswith("readme")
            or bool(_meant_as_card().search(name.rsplit(".", 1)[0])))


def _nested(card, cards) -> bool:
    """Whether another card of the same kind sits in a folder above this
    one's (a README of a test-images folder inside a dataset's repository)."""
    folder = PurePosixPath(card.path).parent
    return any(other.kind == card.kind and other.path != card.path
               and PurePosixPath(other.path).parent in folder.parents for other in cards)


@dataclass(frozen=True)
class MarkdownLine:
    number: int
    text: str  # the line outside comments; the raw line inside code
    code: bool  # inside a fenced code block
    heading: tuple[int, str] | None  # (level, title) when it is a heading


def markdown_lines(text: str, first_line: int = 1) -> Iterator[MarkdownLine]:
    """Each line of a Markdown text, with HTML comments removed and fenced
    code blocks and headings told apart (fences opening and closing line
    themselves are left out)."""
    fence: str | None = None  # the opening fence (``` or ~~~~), while inside one
    in_comment = False
    for offset, line in enumerate(text.split("\n")):
        number = first_line + offset
        opening = _fence().match(line)
        if fence is not None:
            # CommonMark: a fence closes only with the same character, at
            # least as long, and nothing after it.
            if opening and opening.group(1)[0] == fence[0] and len(opening.group(1)) >= len(fence) \
                    and not line.strip()[len(opening.group(1)):].strip():
                fence = None
            else:
                yield MarkdownLine(number, line, True, None)
            continue
        if opening:
            fence = opening.group(1)
            continue
        visible, in_comment = strip_comments(line, in_comment)
        yield MarkdownLine(number, visible, False, atx_heading(visible))


def placeholder_lines(text: str, first_line: int = 1) -> list[tuple[int, str]]:
    """(line number, section path) of each line that holds template text,
    outside fenced code blocks and HTML comments. The section path joins the
    headings above the line (``Uses > Direct Use``)."""
    hits = []
    headings: list[tuple[int, str]] = []  # (level, title), the open sections
    for line in markdown_lines(text, first_line):
        if line.code:
            continue
        if line.heading:
            level = line.heading[0]
            headings = [h for h in headings if h[0] < level] + [line.heading]
        if any(p.search(line.text) for p in _placeholders()):
            hits.append((line.number, " > ".join(title for _, title in headings)))
    return hits


# --- completeness ---------------------------------------------------------------
#
# The questions a card should answer, and the headings that answer them.
# Model cards: the Hugging Face model card template and ABOUT ML; dataset
# cards: Datasheets for Datasets (Gebru et al.). Headings vary ("Intended
# Uses", "Direct Use", "How to use"): each question has a small table of the
# words its headings use. A heading answers the first question it matches
# (most specific first: "Out-of-Scope Use" is not "Uses"); a section answers
# when its text (its subsections included), less template text and HTML
# comments, has at least _MIN_WORDS words. A few metadata keys answer a
# question too (`co2_eq_emissions` is the environmental impact).


@dataclass(frozen=True)
class Question:
    key: str
    label: str
    heading: re.Pattern
    metadata: tuple[str, ...] = ()
    # Words in the card's prose that answer it without a heading of its own
    # (an opt-out process stated in the introduction answers consent).
    prose: re.Pattern | None = None
    # Questions a heading that matches this one does not answer, though it
    # matches them too ("Out-of-Scope Use" is no intended use, "Testing
    # Data" no training data).
    shadows: tuple[str, ...] = ()


def _words(pattern: str) -> re.Pattern:
    return re.compile(pattern, re.I)


@cache
def model_questions() -> tuple[Question, ...]:
    return (
        Question(
 "out-of-scope", "out-of-scope use",
 _words(r"out[- ]of[- ]scope|misuse|malicious|prohibited|acceptable\s+use|"
        r"not\s+(?:intended|allowed|permitted)|restrict(?:ed|ions)\s+(?:use|uses)|"
        r"use\s+restrictions"),
 prose=_words(r"\bshould\s+not\s+be\s+used|\bnot\s+(?:be\s+)?(?:intended|meant)\s+"
              r"(?:for|to)\b|\bout[- ]of[- ]scope\b|\bmust\s+not\s+be\s+used|"
              r"\bdo\s+not\s+use\s+(?:it|this)"),
 shadows=("intended-use",)),
        Question(
 "environmental-impact", "environmental impact",
 # "Training resources" is the field guide's name for it.
 _words(r"environment|carbon|emissions?|co2|energy|compute\s+(?:used|budget)|"
        r"training\s+(?:resources|compute|cost)|resources\s+used"),
 metadata=("co2_eq_emissions",),
 prose=_words(r"\bco2\b|\bcarbon\b|\bkwh\b|\bgpu[- ]hours?\b|\bemissions?\b"),
 shadows=("training-data",)),
        Question(
 "evaluation", "evaluation",
 _words(r"evaluat|results?\b|metrics?|benchmarks?|performance|testing|"
        r"model\s+examination"),
 metadata=("model-index", "model_index"),
 prose=_words(r"\bevaluated\s+(?:\w+\s+){0,2}(?:on|with|against)\b|\bfid\b|"
              r"\bclip[- ]score\b|\bbenchmark"),
 shadows=("training-data",)),
        Question(
 "training-data", "training data",
 _words(r"training|train\s+(?:set|data)|data\s*sets?|\bdata\b|fine[- ]?tun|corpus"),
 metadata=("datasets",),
 # "fine-tuned on", not "Finetuned from model" (the base model).
 prose=_words(r"\b(?:trained|fine-?tuned|finetuned|pre-?trained)\s+(?:\w+\s+){0,3}"
              r"(?:on|with)\b")),
        Question(
 "limitations", "bias, risks and limitations",
 _words(r"bias|risks?|limitations?|ethic|caveats?|harms?|safety|fairness|"
        r"considerations"),
 prose=_words(r"\blimitations?\b|\bbias(?:es|ed)?\b|\bmay\s+(?:generate|produce|"
              r"reproduce|fail)\b")),
        Question(
 "intended-use", "intended use",
 _words(r"\buses?\b|use\s+cases?|intended|how\s+to\s+use|usage|purpose|applications?"),
 prose=_words(r"\bintended\s+(?:for|to|use)|\b(?:is|was)\s+(?:meant|made|designed)\s+"
              r"(?:for|to)\b")),
    )


@cache
def dataset_questions() -> tuple[Question, ...]:
    return (
        Question(
"consent", "consent",
_words(r"consent|opt[- ]?out|permission|takedown|take[- ]down|removal\s+request|"
      r"privacy"),
prose=_words(r"\bconsent(?:ed|s)?\b|\bopt(?:ed)?[- ]?out\b|\bsigned\s+(?:a\s+)?"
            r"(?:model\s+)?release|request\s+(?:the\s+)?remov|removed?\s+(?:up)?on\s+"
            r"request|\bpermission\s+(?:of|from)\s+(?:the|each|every|all)\b")),
        Question(
"people", "who is in it",
_words(r"who\s+(?:is|are)\s+in|people|persons?|individuals|"
      r"personal(?:\s+and\s+sensitive)?\s+information|demographic|data\s+producers|"
      r"participants|sitters|models\s+depicted|human\s+subjects|data\s+subjects"),
prose=_words(r"\b(?:photo(?:graph)?s?|images?|pictures?)\s+of\s+(?:\w+\s+){0,2}"
            r"(?:people|persons|individuals|faces|humans)\b|\b(?:no|contains?|"
            r"depicts?|shows?)\s+(?:no\s+)?(?:people|persons|identifiable|human\s+faces)"
            r"\b|\bdata\s*set\s+of\s+(?:\w+\s+){0,2}(?:people|persons|faces|portraits)\b"
            r"|\b(?:variation|diversity|balance)\b[^.\n]{0,40}\b(?:age|ethnicity|"
            r"gender|race|skin\s+tones?)\b")),
        Question(
"maintenance", "maintenance",
_words(r"mainten|maintain|contact|updates?\b|versions?\b|changelog|errat|support|"
      r"card\s+authors"),
prose=_words(r"\b(?:maintained|contact|updated|erratum|errata)\b|"
            r"\bopen\s+an\s+issue\b")),
        Question(
"distribution", "distribution",
_words(r"distribut|licen[cs]|terms\s+of\s+use|download|access|availability|"
      r"how\s+to\s+get|copyright"),
metadata=("license",),
prose=_words(r"\blicen[cs](?:e|ed|es)\b|\bmade\s+available\s+under\b|\bdownload")),
        Question(
"preprocessing", "preprocessing",
_words(r"pre-?process|processing|cleaning|filter|align|labell?ing|annotations?|"
      r"curation\s+process|cropp"),
prose=_words(r"\b(?:aligned|cropped|resized|filtered|deduplicated|cleaned|"
            r"pre-?processed|annotated|captioned|labell?ed)\b")),
        Question(
"collection", "collection process",
_words(r"collect|source\s+data|data\s+sources?|\bsources?\b|provenance|acquisition|"
      r"gather|crawl|scrap|how\s+(?:it|the\s+data)\s+was|origin"),
prose=_words(r"\b(?:collected|crawled|scraped|downloaded|harvested|gathered|sourced|"
            r"obtained|captured|photographed|taken)\s+(?:\w+\s+){0,3}"
            r"(?:from|via|using|through|by)\b")),
        Question(
"motivation", "motivation",
_words(r"motivation|rationale|purpose|why\b|background"),
prose=_words(r"\b(?:created|built|designed|collected|assembled|made)\s+"
            r"(?:as\s+part\s+of|for|to)\b|\bmotivat")),
        Question(
"uses", "uses",
_words(r"\buses?\b|intended|usage|applications?|out[- ]of[- ]scope|tasks?\b"),
prose=_words(r"\b(?:can|may|should)\s+(?:not\s+)?be\s+used\b|\bintended\s+"
            r"(?:for|to|use)|\bfor\s+(?:training|evaluating|research)\b")),
        Question(
"composition", "composition",
_words(r"composition|structure|data\s+(?:fields|instances|splits|format)|contents?|"
      r"statistics|overview|description|summary|what'?s\s+in|\bsplits?\b|format"),
prose=_words(r"\b(?:consists?|composed)\s+of\b|\b(?:contains|includes|holds)\s+"
            r"(?:\w+\s+){0,2}[\d,.]+|\b(?:[\d,.]+\s*k?|(?:twenty|thirty|forty|fifty|"
            r"sixty|seventy|eighty|ninety|hundred|thousand|dozen)s?)\s+(?:\w+\s+){0,2}"
            r"(?:images|photos|photographs|captions|pairs|pictures|clips|recordings|"
            r"samples|paintings|drawings|sketches|studies|artworks|works|scans|"
            r"illustrations|watercolou?rs)\b")),
    )


# The order in which a finding lists them (the template's order).
MODEL_ORDER = ("intended-use", "out-of-scope", "limitations", "training-data", "evaluation",
               "environmental-impact")
DATASET_ORDER = ("motivation", "composition", "collection", "people", "consent",
                 "preprocessing", "uses", "distribution", "maintenance")
_MIN_WORDS = 4


# Sentences the Hugging Face card templates write under a section by
# default: they answer nothing (a line holding one is skipped).
@cache
def _template_lines() -> list[re.Pattern[str]]:
    return [
        re.compile(r"More information needed for further recommendations", re.I),
        re.compile(r"Carbon emissions can be estimated using the \[Machine Learning Impact", re.I),
        re.compile(r"Use the code below to get started with the model", re.I),
        re.compile(r"This (?:model|dataset)\s?card (?:aims to be a base template|has been "
        r"automatically generated)", re.I),
    ]


# Words saying that a dataset card's data shows people: then a missing
# consent section matters (medium).
@cache
def _people_cues() -> re.Pattern[str]:
    return re.compile(
        r"\b(?:faces?|portraits?|selfies?|people|persons?|headshots?|celebrit(?:y|ies)|"
        r"photos?\s+of\s+(?:me|my|him|her|them|us|friends|family|models?)|sitters?|"
        r"human\s+subjects?|individuals)\b", re.I)


# ... unless it says the images are artworks and never photographs.
@cache
def _artwork_cues() -> re.Pattern[str]:
    return re.compile(r"\b(?:works?\s+of\s+art|artworks?|paintings?|sculptures?|museums?)\b",
                      re.I)


@cache
def _photo_cues() -> re.Pattern[str]:
    return re.compile(r"\b(?:photo(?:graph)?s?|selfies?|snapshots?|webcam)\b", re.I)


@cache
def _word() -> re.Pattern[str]:
    return re.compile(r"[^\W\d_]{2,}")


def shows_people(card) -> bool:
    """Whether a dataset card says its data shows people: photographs of
    faces, portraits, people (not portraits in paintings)."""
    prose = outline(card.text).prose
    if not _people_cues().search(prose) or no_people().search(prose):
        return False
    return bool(_photo_cues().search(prose)) or not _artwork_cues().search(prose)


@dataclass(frozen=True)
class Completeness:
    answered: tuple[str, ...]
    missing: tuple[str, ...]  # no heading for it
    unanswered: tuple[str, ...]  # a heading with nothing (or template text) under it

    @property
    def total(self) -> int:
        return len(self.answered) + len(self.missing) + len(self.unanswered)


@dataclass(frozen=True)
class Outline:
    """A card's body as the completeness check reads it: each heading with
    the text under it (subsections and code included), and the prose (no
    headings, no code). Comments are removed, and so is every line that
    holds template text ("- **License:** [More Information Needed]" answers
    nothing, though it says "License")."""

    sections: tuple[tuple[str, str], ...]
    prose: str


def outline(text: str) -> Outline:
    opened: list[tuple[int, int]] = []  # (level, index) of the open sections
    titles: list[str] = []
    bodies: list[list[str]] = []
    prose: list[str] = []
    for line in markdown_lines(text):
        if line.heading:
            level, title = line.heading
            opened = [(lv, i) for lv, i in opened if lv < level]
            titles.append(title)
            bodies.append([])
            opened.append((level, len(titles) - 1))
            continue
        if not line.code:
            if any(p.search(line.text) for p in _placeholders() + _template_lines()):
                continue
            prose.append(line.text)
        for _, i in opened:
            bodies[i].append(line.text)  # code in a section is part of its answer
    return Outline(tuple(zip(titles, ("\n".join(b) for b in bodies), strict=True)),
                   "\n".join(prose))


def completeness(card) -> Completeness:
    """Which of the card's questions it answers (under a heading that names
    the question, in a sentence that answers it, or in its metadata), heads
    with nothing under it, or leaves out."""
    questions = model_questions() if card.kind == "model-card" else dataset_questions()
    order = MODEL_ORDER if card.kind == "model-card" else DATASET_ORDER
    body = card.text.split("\n", card.body_line - 1)[-1] if card.body_line > 1 else card.text
    read = outline(body)
    headed: dict[str, bool] = {}  # key -> answered under some heading
    for title, text in read.sections:
        matched = [q for q in questions if q.heading.search(title)]
        shadowed = {key for q in matched for key in q.shadows}
        says_something = len(_word().findall(text)) >= _MIN_WORDS
        for q in matched:
            if q.key not in shadowed:
                headed[q.key] = headed.get(q.key, False) or says_something
    metadata = card.metadata if isinstance(card.metadata, dict) else {}
    nobody = card.kind == "dataset-card" and bool(no_people().search(read.prose))
    answered, missing, unanswered = [], [], []
    by_key = {q.key: q for q in questions}
    for key in order:
        q = by_key[key]
        if headed.get(key) or any(metadata.get(k) for k in q.metadata) or (
                q.prose is not None and q.prose.search(read.prose)) or (
                nobody and key in ("people", "consent")):
            answered.append(key)
        elif key in headed:
            unanswered.append(key)
        else:
            missing.append(key)
    return Completeness(tuple(answered), tuple(missing), tuple(unanswered))


def strip_comments(text: str, in_comment: bool) -> tuple[str, bool]:
    """``text`` without its HTML comments, and whether a comment is still
    open at its end. Linear: one pass of ``str.find`` (a regular
    expression's lazy match rescans the rest of the text for each
    ``<!--`` that is never closed)."""
    kept: list[str] = []
    i = 0
    while i < len(text):
        if in_comment:
            end = text.find("-->", i)
            if end == -1:
                return "".join(kept), True
            i, in_comment = end + 3, False
        else:
            start = text.find("<!--", i)
            if start == -1:
                kept.append(text[i:])
                break
            kept.append(text[i:start])
            i, in_comment = start + 4, True
    return "".join(kept), in_comment


def _label(key: str) -> str:
    return next(q.label for q in model_questions() + dataset_questions() if q.key == key)


def completeness_severity(card, result: Completeness, is_the_card: bool) -> Severity:
    """What the gaps weigh. A dataset card of people with no consent answer:
    medium. A gap in what the field guide asks first (a model's uses, limits,
    training data; a dataset's collection, people, consent, uses): low.
    Only evaluation, environmental impact, maintenance and the like: info.
    A page found by its content, not meant as the card: one step less."""
    gaps = set(result.missing) | set(result.unanswered)
    if card.kind == "dataset-card":
        key = {"collection", "people", "consent", "uses"}
        if "consent" in gaps and shows_people(card):
            severity = Severity.MEDIUM
        else:
            severity = Severity.LOW if gaps & key else Severity.INFO
    else:
        key = {"intended-use", "limitations", "out-of-scope", "training-data"}
        severity = Severity.LOW if gaps & key else Severity.INFO
    if not is_the_card and severity > Severity.INFO:
        severity = Severity.LOW if severity == Severity.MEDIUM else Severity.INFO
    return severity


def incomplete_finding(card, is_the_card: bool) -> Finding | None:
    """``docs.card-incomplete`` for a card that leaves questions open, with
    its completeness figure; None when it answers them all."""
    result = completeness(card)
    gaps = result.missing + result.unanswered
    if not gaps:
        return None
    label = "Model card" if card.kind == "model-card" else "Dataset card"
    parts = []
    if result.missing:
        parts.append("missing: " + ", ".join(_label(k) for k in result.missing))
    if result.unanswered:
        parts.append("unanswered: " + ", ".join(_label(k) for k in result.unanswered))
    framework = ("the Hugging Face model card template and ABOUT ML" if card.kind == "model-card"
                 else "Datasheets for Datasets")
    return Finding(
        id="docs.card-incomplete",
        severity=completeness_severity(card, result, is_the_card),
        message=(f"{label} answers {len(result.answered)} of {result.total} questions of "
                 f"{framework}; " + "; ".join(parts)),
        location=Location(path=card.path, line=card.body_line),
        evidence="; ".join(parts),
        remediation=(
            "Add a section for each: "
            + ", ".join(_label(k) for k in gaps)
            + (". Say who is in the data, whether they know and agreed, and how to ask for "
               "removal" if "consent" in gaps else "")
        ),
        artifact=card.artifact,
        checkpoint=Checkpoint.DATASET if card.kind == "dataset-card" else Checkpoint.PUBLISHING,
        references=(("https://huggingface.co/docs/hub/model-cards",
                     "https://partnershiponai.org/workstream/about-ml/")
                    if card.kind == "model-card" else
                    ("https://arxiv.org/abs/1803.09010",
                     "https://huggingface.co/docs/hub/datasets-cards")),
        context="prose",
    )


def consent_answered(card) -> bool:
    return "consent" in completeness(card).answered


# --- metadata values -----------------------------------------------------------
#
# The Hub reads `license`, `base_model`, `datasets`, `language` and
# `pipeline_tag` as identifiers: a value it does not know is not shown, not
# linked and not searchable ("MIT License" is no licence to it, "english" no
# language). The lists are the Hub's own, shipped in rules/hub/ with their
# source and date.


@cache
def _hub_id() -> re.Pattern[str]:
    return re.compile(r"^[A-Za-z0-9][\w.-]{0,95}/[\w.-]{1,96}$")


@cache
def _hub_url() -> re.Pattern[str]:
    return re.compile(r"^https?://(?:www\.)?huggingface\.co/(?:datasets/)?([\w.-]+/[\w.-]+)",
                      re.I)


_SHOWN = 60  # characters of a value quoted in a finding


@cache
def _local_path() -> re.Pattern[str]:
    return re.compile(r"^(?:/|~|\.{1,2}[\\/]|[A-Za-z]:[\\/]|\\\\)")


_MAX_VALUES = 50  # values of one key read (a list of 10,000 languages is read in part)


@cache
def _hub_data(name: str) -> dict:
    from aiart_release.readers.yamlfile import shipped_data

    return shipped_data(f"hub/{name}.yaml")


@cache
def hub_licenses() -> frozenset[str]:
    return frozenset(e["id"] for e in _hub_data("licenses")["licenses"])


@cache
def hub_tasks() -> frozenset[str]:
    return frozenset(_hub_data("pipeline_tags")["pipeline_tags"])


@cache
def hub_languages() -> frozenset[str]:
    data = _hub_data("languages")
    return frozenset(data["iso639_1"].split()) | frozenset(data["iso639_3"].split())


def _quote(value) -> str:
    """A metadata value as a finding shows it: a local path by its last
    part only (``/home/<name>/...`` names the person whose disk it is)."""
    text = str(value)
    if _local_path().match(text):
        text = "…/" + re.split(r"[\\/]", text.rstrip("/\\"))[-1]
    return text if len(text) <= _SHOWN else text[:_SHOWN] + "…"


def _values(value) -> list:
    return (value if isinstance(value, list) else [value])[:_MAX_VALUES]


def _license_problem(value) -> str | None:
    if not isinstance(value, str):
        return "not a licence id"
    if value in hub_licenses():
        return None
    lower = value.strip().lower()
    if lower in hub_licenses():
        return f"write it `{lower}`"
    # "MIT License" -> mit, "Apache License, Version 2.0" -> apache-2.0,
    # "CC BY-NC 4.0" -> cc-by-nc-4.0
    short = re.sub(r"\b(?:the|licen[cs]e|version)\b|,", " ", lower)
    short = re.sub(r"[\s_]+", "-", re.sub(r"\bv(?=\d)", "", short)).strip("-")
    if short in hub_licenses():
        return f"not a Hub licence id: `{short}`?"
    close = difflib.get_close_matches(short, sorted(hub_licenses()), n=1, cutoff=0.75)
    if close:
        return f"not a Hub licence id: `{close[0]}`?"
    return ("not a Hub licence id: use one from https://huggingface.co/docs/hub/"
            "repositories-licenses, or `other` with license_name and license_link")


def _id_problem(value, kind: str) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return f"not a {kind} id"
    value = value.strip()
    if _hub_id().match(value):
        return None
    url = _hub_url().match(value)
    if url:
        return f"a URL: write the id `{url.group(1)}`"
    if re.fullmatch(r"[\w.-]{1,96}", value):
        return f"no owner: write the Hub id as `owner/name` (the {kind}'s page on the Hub)"
    if _local_path().match(value):
        return f"a local path: write the Hub id of the {kind} (`owner/name`)"
    return f"not a Hub {kind} id (`owner/name`); name it in the card's text instead"


def _language_problem(value) -> str | None:
    if not isinstance(value, str):
        return "not a language code"
    lower = value.strip().lower()
    if lower in hub_languages() and value == value.strip() and value.islower():
        return None
    if lower in hub_languages():
        return f"write it `{lower}`"
    base = re.split(r"[-_]", lower, maxsplit=1)[0]
    if base != lower and base in hub_languages():
        return f"a regional code: write `{base}` (regional codes go in `language_details`)"
    code = _hub_data("languages").get("names", {}).get(lower)
    if code:
        return f"a language name: write the ISO 639 code `{code}`"
    return "not an ISO 639-1 or 639-3 code"


def _task_problem(value) -> str | None:
    if isinstance(value, str) and value in hub_tasks():
        return None
    if isinstance(value, str):
        close = difflib.get_close_matches(value.strip().lower().replace(" ", "-").replace("_", "-"),
                                          sorted(hub_tasks()), n=1, cutoff=0.8)
        if close:
            return f"not a Hub task: `{close[0]}`?"
    return "not a Hub task (https://huggingface.co/tasks)"


# key -> (check of one value, the card kinds it applies to)
_VALUE_CHECKS = {
    "license": (_license_problem, ("model-card", "dataset-card")),
    "base_model": (lambda v: _id_problem(v, "model"), ("model-card",)),
    "datasets": (lambda v: _id_problem(v, "dataset"), ("model-card",)),
    "language": (_language_problem, ("model-card", "dataset-card")),
    "pipeline_tag": (_task_problem, ("model-card",)),
    "task_categories": (_task_problem, ("dataset-card",)),
}


def metadata_problems(card) -> list[str]:
    """``key: value`` (why, and the fix) for each metadata value the Hub will
    not read as meant."""
    metadata = card.metadata if isinstance(card.metadata, dict) else {}
    out = []
    for key, (problem_of, kinds) in _VALUE_CHECKS.items():
        if card.kind not in kinds or metadata.get(key) in (None, "", []):
            continue
        for value in _values(metadata[key]):
            problem = problem_of(value)
            if problem:
                out.append(f"`{key}: {_quote(value)}` ({problem})")
    return out


def metadata_value_finding(card) -> Finding | None:
    problems = metadata_problems(card)
    if not problems:
        return None
    label = "Model card" if card.kind == "model-card" else "Dataset card"
    return Finding(
        id="docs.card-metadata-value",
        severity=Severity.LOW,
        message=f"{label} metadata the Hub will not read as meant: " + "; ".join(problems[:5])
        + (f"; +{len(problems) - 5} more" if len(problems) > 5 else ""),
        location=Location(path=card.path, line=1),
        evidence="; ".join(problems)[:500],
        count=len(problems),
        remediation="Use the Hub's identifiers: licence ids, `owner/name` model and dataset "
                    "ids, ISO 639 language codes, Hub task names",
        artifact=card.artifact,
        checkpoint=Checkpoint.DATASET if card.kind == "dataset-card" else Checkpoint.PUBLISHING,
        references=("https://huggingface.co/docs/hub/model-cards#model-card-metadata",
                    "https://huggingface.co/docs/hub/repositories-licenses"),
        context="metadata",
    )


_GATING_KEYS = ("extra_gated_prompt", "extra_gated_fields")


def gating_finding(card, release: dict) -> Finding | None:
    """``docs.card-gating-missing``: the release plan says gated, the card
    asks nothing of those who download."""
    if release.get(card.artifact) != "gated":
        return None
    metadata = card.metadata if isinstance(card.metadata, dict) else {}
    # The terms people agree to and what they tell you: what
    # `export hf-gating` writes; a heading and a button text are optional.
    missing = [key for key in _GATING_KEYS if not metadata.get(key)]
    if not missing:
        return None
    lacks = (" and ".join(f"`{key}`" for key in missing) if len(missing) < len(_GATING_KEYS)
             else "no `extra_gated_*` fields")
    return Finding(
        id="docs.card-gating-missing",
        severity=Severity.MEDIUM,
        message=(f"The release declares the {card.artifact} gated, but its card "
                 f"{'lacks ' if len(missing) < len(_GATING_KEYS) else 'has '}{lacks}: on the "
                 "Hub it would ask nothing of those who request access"),
        location=Location(path=card.path, line=1),
        remediation=(
            "Add `extra_gated_prompt` (the terms people agree to) and `extra_gated_fields` "
            "(what they tell you: name, affiliation, intended use) to the card's metadata, and "
            "turn on access requests in the repository settings"),
        artifact=card.artifact,
        checkpoint=Checkpoint.DATASET if card.kind == "dataset-card" else Checkpoint.PUBLISHING,
        references=("https://huggingface.co/docs/hub/models-gated",),
        context="metadata",
    )


def read_cards(ctx, data: list) -> Iterator[Finding]:
    """The findings and facts of what the cards say, and of what a top-level
    README that is no card says of the dataset the release is named after.
    ``data``: the dataset's released files."""
    inventory, facts = ctx.inventory, ctx.facts
    released = [c for c in facts.cards if (inventory.get(c.path) is None
                                           or inventory.get(c.path).context
                                           not in NOT_RELEASED)]
    ctx.provide({"dataset_consent_undocumented": bool(data) and not any(
        consent_answered(c) for c in released if c.kind == "dataset-card" and c.text)})
    described = [found for card in released if card.kind == "dataset-card" and card.text
                 for found in [people_described_finding(card)] if found is not None]
    linked: list[str] = []
    if not described:
        described = [found for readme in _top_readmes(inventory, facts)
                     for found in [people_described_finding(readme, itself=True)]
                     if found is not None]
        if described and not inventory.of_artifact("dataset"):
            linked = ["dataset"]
    ctx.provide({"card_shows_people": bool(described), "published_by_link": linked})
    yield from described
    identified = pseudonymous_id_findings(
        [c for c in released if c.kind == "dataset-card" and c.text])
    ctx.provide({"card_pseudonymous_ids": bool(identified)})
    yield from identified
    for card in facts.cards:
        yield from card_findings(card)
    release = dict(facts.config.release or {})
    for card in released:
        if not card.text or (card.error and not card.metadata):
            continue
        main = ((card.has_front_matter or _is_the_card(card.path))
                and not _nested(card, released))
        for found in (incomplete_finding(card, main),
                      metadata_value_finding(card), gating_finding(card, release)):
            if found is not None:
                yield found


def card_findings(card) -> Iterator[Finding]:
    """A card's metadata that cannot be parsed or is missing, and the
    template text it still holds."""
    label = "Model card" if card.kind == "model-card" else "Dataset card"
    checkpoint = Checkpoint.DATASET if card.kind == "dataset-card" else Checkpoint.PUBLISHING
    if card.error and not card.text:
        return  # unreadable: reported by the inventory or below
    if card.error:
        yield Finding(
            id="docs.card-metadata-invalid",
            severity=Severity.MEDIUM,
            message=f"{label} metadata cannot be parsed: {card.error}",
            location=Location(path=card.path, line=1),
            remediation="Fix the YAML between the --- lines at the top of the card",
            artifact=card.artifact,
            checkpoint=checkpoint,
        )
    elif not card.has_front_matter and _is_the_card(card.path):
        # The Hub reads a README's metadata, and a file named as a card
        # is meant as one; a page of a data folder that happens to
        # describe a dataset is documentation, and needs none.
        yield Finding(
            id="docs.card-metadata-missing",
            severity=Severity.LOW,
            message=f"{label} has no YAML metadata (license, tags, base model)",
            location=Location(path=card.path, line=1),
            remediation=(
                "Start the card with a --- block declaring at least `license` and `tags`"
            ),
            artifact=card.artifact,
            checkpoint=checkpoint,
            references=("https://huggingface.co/docs/hub/model-cards#model-card-metadata",),
        )
    hits = placeholder_lines(card.text)
    if not hits:
        return
    sections: list[str] = []  # the innermost heading of each hit
    key: list[str] = []  # those under a section the field guide asks about
    for _, path in hits:
        leaf = path.rsplit(" > ", 1)[-1]
        if leaf and leaf not in sections:
            sections.append(leaf)
            if _key_sections().search(path):
                key.append(leaf)
    shown = sections[:_MAX_SECTIONS_SHOWN]
    more = f", +{len(sections) - len(shown)} more" if len(sections) > len(shown) else ""
    lines = tuple(n for n, _ in hits)
    yield Finding(
        id="docs.card-placeholder",
        severity=Severity.MEDIUM if key else Severity.LOW,
        message=(
            f"{label} still holds template text on {plural(len(lines), 'line')}"
            + (f"; unanswered: {', '.join(key[:_MAX_SECTIONS_SHOWN])}" if key else "")
        ),
        location=Location(path=card.path, line=lines[0], lines=lines),
        evidence=("sections: " + ", ".join(shown) + more) if shown else None,
        count=len(lines),
        remediation=(
            "Answer each section or delete it; the field guide's questions on uses, "
            "risks and training data deserve real answers"
        ),
        artifact=card.artifact,
        checkpoint=checkpoint,
    )


_CONSENT_SAID = {
    "given": "it says they consented",
    "opt-out": "people may ask to be removed, but it does not say they consented",
    "none": "it does not say whether they consented",
}


def _top_readmes(inventory, facts) -> list:
    """The top-level READMEs that are no card, read as cards are (a
    ``Card`` of kind ``readme``), for what they say of the dataset the
    release is named after."""
    found = []
    for file in top_readme_files(inventory, facts):
        try:
            text, _cut = read_text(file.abspath, _README_BYTES)
        except TextUnreadable:
            continue  # reported by the checks that read text
        found.append(Card(path=file.path, kind="readme", artifact="docs", text=text))
    return found


_README_BYTES = 256 * 1024


def people_described_finding(card, itself: bool = False) -> Finding | None:
    """``consent.people-described`` where a dataset card says its data shows
    real people (people_described.py): the data need not be in the bundle
    (a card and a download script) for the people in it to be identifiable.
    ``itself``: ``card`` is a README that is no card, and only what it says
    of the dataset named in its title counts."""
    body = card.text.split("\n", card.body_line - 1)[-1] if card.body_line > 1 else card.text
    lines = markdown_lines(body, card.body_line)
    said = self_described(body, lines) if itself else people_statement(body, lines)
    if said is None:
        return None
    return Finding(
        id="consent.people-described",
        severity=Severity.LOW if said.consent == "given" else Severity.MEDIUM,
        message=("The README says the dataset it is named after shows people; "
                 if itself else "The dataset card says its data shows people; ")
        + _CONSENT_SAID[said.consent],
        location=Location(path=card.path, line=said.line),
        evidence=f"“{said.sentence}”",
        remediation=(
            "Record each person's consent (or the terms under which their photos were "
            "published) in the dataset manifest and say so in the card's consent section; "
            "or blur or remove the faces before release, and keep a way for people to ask "
            "to be removed"),
        artifact="dataset",
        checkpoint=Checkpoint.DATASET,
        matched=said.sentence,
        references=("https://arxiv.org/abs/1803.09010",),  # Datasheets for Datasets: consent
    )


_HASHED_NOTE = (
    "A hash of an id is pseudonymisation, not anonymisation (GDPR Art. 4(5), Recital 26): "
    "anyone who knows a username can compute its hash and find that person's records, so "
    "the data stays personal data. ")


def pseudonymous_id_findings(cards) -> list[Finding]:
    """``pii.pseudonymous-ids`` for each dataset card whose schema (a table of
    fields, ``dataset_info.features``, a sentence) says the records hold
    identifiers of the people who made them (pseudonymous.py). A claim in
    any of the cards that nobody can be identified is named beside it."""
    claim = next((found for card in cards
                  for found in [anonymity_claim(card.path, card.text)] if found), None)
    findings = []
    for card in cards:
        body = card.text.split("\n", card.body_line - 1)[-1] if card.body_line > 1 else card.text
        metadata = card.metadata if isinstance(card.metadata, dict) else {}
        said = described_identifiers(card.text, markdown_lines(body, card.body_line),
                                     metadata, aside_heading())
        if said is None:
            continue
        what = ", ".join(said.kinds[:-1]) + (" and " if len(said.kinds) > 1 else "") \
            + said.kinds[-1]
        message = f"The dataset card says its records hold {what} of the people who made them"
        if said.hashed:
            message += ": hashed ids are pseudonymous, not anonymous"
        if claim is not None:
            message += (f"; yet {claim.path}:{claim.line} claims the people cannot be "
                        "identified")
        findings.append(Finding(
            id="pii.pseudonymous-ids",
            severity=Severity.MEDIUM,
            message=message,
            location=Location(path=card.path, line=said.line),
            evidence=f"“{said.quote}”",
            remediation=(
                (_HASHED_NOTE if said.hashed or claim is not None else "")
                + "Drop the identifier fields (and the timestamps that tie records to them) "
                "from the released data, or replace them with random ids whose key is kept "
                "nowhere; until then treat the dataset as personal data: gate access, set a "
                "retention period, offer a way to be removed, and say in the card that the ids "
                "are pseudonymous" + (" (correct the claim that nobody can be identified)"
                                      if claim is not None else "")),
            artifact="dataset",
            checkpoint=Checkpoint.DATASET,
            matched=said.quote,
            references=("https://gdpr-info.eu/recitals/no-26/",
                        "https://gdpr-info.eu/art-4-gdpr/"),
            context=said.context,
        ))
    return findings
