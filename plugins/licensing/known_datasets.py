"""The datasets a release says it is built on, matched to what is known about
them (``rules/datasets.yaml``): their licence, whether they may be used
commercially, whether the people in them agreed, and their documented
problems.

Field guide, dataset checkpoint: "Do you understand the existing datasets you
are building on?" A LoRA whose card says ``datasets: [ffhq]`` and a release
declared ``commercial: true`` gets ``license.source-dataset-noncommercial``
(FFHQ is CC BY-NC-SA 4.0); it also gets ``consent.source-dataset-people``
(70,000 Flickr faces, nobody asked) and the fact ``source_people_no_consent``
for the policy and the misuse rules.

Where a dataset is named:

- a dataset card's ``source_datasets`` and a model card's ``datasets`` (Hub
  ids, matched by their glob or by their name part against the aliases);
- the card's prose, where it says where the data comes from: under a heading
  about training or source data, collection or provenance, or in a sentence
  that says the model was trained, fine-tuned or built on it. A dataset named
  in an evaluation section, a motivation or a citation is not a source; a
  dataset named in the card's own title is what the card describes.

Called by the licensing check (scan.py), whose findings and facts these
are (declared in check.py): the non-commercial conflict sits beside the
licences' own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import cache

from aiart_release.findings import Finding, Severity
from aiart_release.globs import glob_match
from aiart_release.readers.markdown import atx_heading as _heading
from aiart_release.records import dataclass

from .stated import finding

_SEVERITY = {"info": Severity.INFO, "low": Severity.LOW, "medium": Severity.MEDIUM,
             "high": Severity.HIGH}


# Headings of sections that say where the data comes from.
@cache
def _source_heading() -> re.Pattern[str]:
    return re.compile(
        r"\b(?:training|train(?:ing)?[- ]set|fine[- ]?tun\w*|source|sources|sourced|provenance|"
        r"collection|collected|data\s*sets?|datasets?|data|corpus|composition|built\s+(?:on|from)|"
        r"based\s+on)\b", re.I)


# ... but not these, even when they name data.
@cache
def _not_source_heading() -> re.Pattern[str]:
    return re.compile(
        r"\b(?:evaluat\w*|test(?:ing)?|benchmark\w*|results?|metrics?|citation|cite|bibtex|"
        r"references?|acknowledg\w*|related|motivation|comparison|baselines?|download\w*|"
        r"install\w*|usage|license|licen[cs]e)\b", re.I)


# A sentence that names a dataset as what the model or data was made from.
@cache
def _source_verb() -> re.Pattern[str]:
    return re.compile(
        r"\b(?:trained|train|fine[- ]?tuned|finetuned|pre-?trained|distilled|built|derived|"
        r"sourced|collected|drawn|taken|scraped|downloaded|sampled|curated|selected|subset|"
        r"images|photos|photographs|pictures|works|paintings|portraits)\b[^.\n]{0,60}?"
        r"\b(?:on|from|of|using|with|in)(?:\s+the)?\s*$", re.I)


# A README sentence that says the data came from the dataset ("We sampled
# the 700 prompts from the X dataset").
@cache
def _readme_source_verb() -> re.Pattern[str]:
    return re.compile(
        r"\b(?:sampled|drawn|taken|collected|generated|gathered|obtained|extracted)\b"
        r"[^.\n]{0,60}?\bfrom(?:\s+the)?\s*$", re.I)


# ... and a README sentence that names a dataset for something else: a
# comparison, an evaluation, an alternative, a citation, an instruction.
@cache
def _readme_not_source() -> re.Pattern[str]:
    return re.compile(
        r"\b(?:consider\w*|compar\w*|evaluat\w*|benchmark\w*|baselines?|validat\w*|"
        r"instead|rather\s+than|unlike|alternative\w*|cit(?:e|ed|ing|ation)|install\w*|"
        r"to\s+download|download\s+(?:the|it|them)|if\s+you|you\s+(?:can|may|could|should)|"
        r"outperform\w*|state[- ]of[- ]the[- ]art|zero[- ]shot)\b"
        # An instruction to the reader ("Download images from Danbooru via
        # tag search"): what a tool can do, not what the release was made of.
        r"|^\W*(?:download|install|run|use|see|get|fetch|clone|try|set|put|place|pass|"
        r"point|edit|change)\b", re.I)


# Where a sentence ends inside a line.
@cache
def _sentence_end() -> re.Pattern[str]:
    return re.compile(r"[.!?](?=\s)")


# Markdown emphasis at a word's edge (``_LAION Aesthetics_``, ``**FFHQ**``):
# blanked, so that the name and the verb before it are seen; an underscore
# inside a name (``improved_aesthetics``) stays.
@cache
def _emphasis() -> re.Pattern[str]:
    return re.compile(r"(?<![\w])[_*]+|[_*]+(?![\w])")


@cache
def _fence() -> re.Pattern[str]:
    return re.compile(r"^\s{0,3}(?:`{3,}|~{3,})")


_MAX_PROSE = 1024 * 1024
# How far before a dataset's name a verb saying it is a source is looked for
# ("fine-tuned it on 40 images from the").
_VERB_WINDOW = 120
# A name repeated on one line is looked at this many times (a line of a
# hundred thousand "LAION"s is read once, not searched a hundred thousand times).
_TRIES_PER_LINE = 20


@dataclass(frozen=True)
class KnownDataset:
    id: str
    name: str
    aliases: tuple[str, ...]
    hub_ids: tuple[str, ...]
    license: str | None
    license_note: str
    commercial: str
    people: str
    consent: str
    issues: tuple[tuple[str, str, str], ...]  # (summary, severity, reference)
    reference: str
    case_sensitive: bool = False

    @property
    def forbids_commercial(self) -> bool:
        return self.commercial in ("non-commercial", "research-only")

    @property
    def people_without_consent(self) -> bool:
        return self.people == "yes" and self.consent in ("none", "unknown")


@dataclass(frozen=True)
class Mention:
    """A known dataset a card names as a source, and how it names it."""

    dataset: KnownDataset
    path: str
    artifact: str
    how: str  # "`datasets: ffhq`" or "line 12"
    line: int | None


@cache
def catalog() -> tuple[KnownDataset, ...]:
    from aiart_release.readers.yamlfile import shipped_data

    out = []
    for e in shipped_data("datasets.yaml")["datasets"]:
        out.append(KnownDataset(
            id=e["id"], name=e["name"], aliases=tuple(e["aliases"]),
            hub_ids=tuple(e.get("hub_ids") or ()), license=e.get("license"),
            license_note=" ".join(str(e.get("license_note") or "").split()),
            commercial=e["commercial"], people=e["people"], consent=e["consent"],
            issues=tuple((" ".join(i["summary"].split()), i["severity"], i["reference"])
                         for i in e.get("issues") or ()),
            reference=e["reference"], case_sensitive=bool(e.get("case_sensitive"))))
    return tuple(out)


def _key(name: str) -> str:
    """A name with case, separators and dots ignored: ``LAION-2B-en`` ->
    ``laion2ben``."""
    return re.sub(r"[\s_.\-]+", "", name.lower())


@cache
def _by_key() -> dict[str, KnownDataset]:
    out: dict[str, KnownDataset] = {}
    for d in catalog():
        for alias in (d.id, *d.aliases):
            out.setdefault(_key(alias), d)
    return out


def match_id(value: str) -> KnownDataset | None:
    """The known dataset a metadata value (a Hub id such as
    ``huggan/wikiart``, or a bare name such as ``ffhq``) stands for."""
    value = value.strip()
    if not value or len(value) > 200:
        return None
    lower = value.lower()
    for d in catalog():
        if any(glob_match(p.lower(), lower) for p in d.hub_ids):
            return d
    return _by_key().get(_key(value.rsplit("/", 1)[-1]))


@cache
def _prose_pattern() -> tuple[re.Pattern, re.Pattern, dict[str, KnownDataset]]:
    """Two alternations of every alias (case-insensitive ones, case-sensitive
    ones), longest first, each a whole word: "COCO" never matches "cocoa",
    "CelebA" never the start of "CelebA-HQ"."""
    by_alias: dict[str, KnownDataset] = {}
    loose, strict = [], []
    for d in catalog():
        for alias in d.aliases:
            by_alias.setdefault(alias.lower(), d)
            (strict if d.case_sensitive else loose).append(alias)

    def alternation(aliases: list[str], flags: int) -> re.Pattern:
        body = "|".join(re.escape(a) for a in sorted(set(aliases), key=len, reverse=True))
        return re.compile(rf"(?<![\w-])(?:{body})(?![\w]|-\w)", flags)

    return alternation(loose, re.I), alternation(strict, 0), by_alias


def prose_mentions(text: str, title: str = "",
                   readme: bool = False) -> list[tuple[KnownDataset, int]]:
    """(dataset, line) for each known dataset the text names as a source,
    first mention only, skipping those named in ``title`` (the card's own
    subject). ``readme``: the text is a README that is no card (stricter:
    see the module's docstring)."""
    loose, strict, by_alias = _prose_pattern()
    own = {by_alias[m.group(0).lower()].id for p in (loose, strict) for m in p.finditer(title)}
    found: dict[str, tuple[KnownDataset, int]] = {}
    headings: list[tuple[int, str]] = []
    in_fence = False
    for number, line in enumerate(text[:_MAX_PROSE].split("\n"), start=1):
        if _fence().match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue  # a "# comment" in a code block is no heading
        heading = _heading(line)
        if heading:
            headings = [h for h in headings if h[0] < heading[0]] + [heading]
            continue
        section = headings[-1][1] if headings else ""
        source_section = bool(section) and bool(_source_heading().search(section)) and not \
            _not_source_heading().search(section)
        if readme and _not_source_heading().search(section):
            continue  # a README's evaluation, citation or install section names no source
        line = _emphasis().sub(lambda m: " " * len(m.group(0)), line)
        tries: dict[str, int] = {}
        for pattern in (loose, strict):
            for m in pattern.finditer(line):
                d = by_alias[m.group(0).lower()]
                if d.id in own or d.id in found or tries.get(d.id, 0) >= _TRIES_PER_LINE:
                    continue
                tries[d.id] = tries.get(d.id, 0) + 1
                # Only the words just before the name: searching the whole
                # line before each of thousands of names is quadratic.
                before = line[max(0, m.start() - _VERB_WINDOW):m.start()]
                if readme and _readme_not_source().search(_sentence(line, m.start())):
                    continue
                if source_section or _source_verb().search(before) or (
                        readme and _readme_source_verb().search(before)):
                    found[d.id] = (d, number)
    return sorted(found.values(), key=lambda dl: dl[1])


def _sentence(line: str, at: int) -> str:
    """The sentence of ``line`` that holds position ``at``."""
    start = 0
    for end in _sentence_end().finditer(line):
        if end.end() > at:
            return line[start:end.end()]
        start = end.end()
    return line[start:]


def mentions(cards: Iterable) -> list[Mention]:
    """The known datasets each card names as a source: its metadata first,
    then its prose."""
    out: list[Mention] = []
    for card in cards:
        seen: set[str] = set()
        for key in ("source_datasets", "datasets"):
            values = card.metadata.get(key) if isinstance(card.metadata, dict) else None
            for value in values if isinstance(values, list) else [values]:
                d = match_id(value) if isinstance(value, str) else None
                if d is not None and d.id not in seen:
                    seen.add(d.id)
                    out.append(Mention(d, card.path, card.artifact, f"`{key}: {value}`", None))
        title = " ".join(str(card.metadata.get(k) or "") for k in ("pretty_name", "model_name")
                         if isinstance(card.metadata, dict)) + " " + _title(card.text)
        offset = card.body_line - 1
        body = card.text.split("\n", offset)[-1] if offset else card.text
        for d, line in prose_mentions(body, title):
            if d.id not in seen:
                seen.add(d.id)
                out.append(Mention(d, card.path, card.artifact, f"line {line + offset}",
                                   line + offset))
    return out


# As much of a README as the licensing check's README reader takes.
_MAX_README = 512 * 1024


def readme_mentions(inventory, cards: Iterable, seen: set[str]) -> list[Mention]:
    """The known datasets the top-level README that is no card names as a
    source (the README that describes the release, as the cards check
    reads it), less those in ``seen`` (already named by a card)."""
    from aiart_release.readers.text import TextUnreadable, read_text

    card_paths = {c.path for c in cards}
    out: list[Mention] = []
    for f in inventory.files:
        if (f.directory or f.path in card_paths or f.kind != "text" or not f.readable
                or not f.name.lower().startswith("readme")):
            continue
        try:
            text, _ = read_text(f.abspath, _MAX_README)
        except TextUnreadable:
            continue  # reported by the checks that read text
        for d, line in prose_mentions(text, _title(text), readme=True):
            if d.id not in seen:
                seen.add(d.id)
                out.append(Mention(d, f.path, f.artifact, f"{f.path} line {line}", line))
    return out


def _title(text: str) -> str:
    """The card's first heading of level 1 or 2 (dataset READMEs often start
    with "## X Dataset")."""
    match = re.search(r"^\s{0,3}#{1,2}\s+(.+)$", text[:4000], re.M)
    return match.group(1) if match else ""


def scan(ctx) -> Iterator[Finding]:
    """Findings and facts for the known datasets the cards name."""
    found = mentions(ctx.facts.cards)
    found += readme_mentions(ctx.inventory, ctx.facts.cards, {m.dataset.id for m in found})
    commercial = ctx.facts.config.commercial
    ctx.provide({
        "known_source_datasets": sorted({m.dataset.id for m in found}),
        "source_people_no_consent": any(m.dataset.people_without_consent for m in found),
        "source_noncommercial": any(m.dataset.forbids_commercial for m in found),
    })
    # A card whose own licence forbids commercial use already gets
    # license.noncommercial-conflict: its sources say nothing more.
    covered = _noncommercial_cards(ctx.facts.cards) if commercial else set()
    done: set[tuple[str, str]] = {("noncommercial", m.dataset.id) for m in found
                                  if m.path in covered}
    for m in found:
        for kind in ("noncommercial", "people", "issues"):
            if (kind, m.dataset.id) not in done:
                f = _finding(kind, m, commercial)
                if f is not None:
                    done.add((kind, m.dataset.id))
                    yield f


def _noncommercial_cards(cards) -> set[str]:
    """The cards whose `license` forbids commercial use."""
    from aiart_release import license_catalog

    out = set()
    for card in cards:
        value = card.metadata.get("license") if isinstance(card.metadata, dict) else None
        for item in value if isinstance(value, list) else [value]:
            resolved = license_catalog.resolve(item) if isinstance(item, str) else None
            terms = [license_catalog.info(i) for i in license_catalog.license_ids(resolved or "")]
            if any(t.non_commercial or t.research_only for t in terms):
                out.add(card.path)
    return out


def _finding(kind: str, m: Mention, commercial: bool | None) -> Finding | None:
    d = m.dataset
    where = m.how
    terms = f"licence ({d.license}) allows" if d.license else "terms of use allow"
    if kind == "noncommercial":
        if not (commercial and d.forbids_commercial):
            return None
        allowed = "non-commercial use" if d.commercial == "non-commercial" else "research use"
        return finding(
            "license.source-dataset-noncommercial", Severity.HIGH, m.path,
            f"The release is declared commercial, but it is built on {d.name}, whose {terms} "
            f"only {allowed} (named in {where}). {d.license_note}",
            f"Train on data whose terms allow commercial use (or obtain a licence from "
            f"{d.name}'s owners), or declare `commercial: false`",
            artifact=m.artifact, evidence=f"{d.id}: {d.commercial}",
            matched=f"{d.id}:{d.commercial}", line=m.line, references=(d.reference,),
            context="metadata" if m.line is None else "prose")
    if kind == "people":
        if not d.people_without_consent:
            return None
        return finding(
            "consent.source-dataset-people", Severity.LOW, m.path,
            f"Built on {d.name} (named in {where}): it holds photographs of people who were "
            f"not asked to be in it (consent: {d.consent})",
            "Say in the card that the source holds people who did not consent, and what you did "
            "about it (filtered faces, no identity prompts); prefer a source whose people "
            "agreed, and do not let the model be prompted by a real person's name",
            artifact=m.artifact, evidence=f"{d.id}: people {d.people}, consent {d.consent}",
            matched=f"{d.id}:people", line=m.line, references=(d.reference,),
            context="metadata" if m.line is None else "prose")
    if not d.issues:
        return None
    # Information for the artist, not a verdict on the release: low where a
    # problem is serious (withdrawn, harmful content), else info.
    worst = max((_SEVERITY[s] for _, s, _ in d.issues), key=lambda s: s.rank)
    severity = Severity.LOW if worst >= Severity.MEDIUM else Severity.INFO
    return finding(
        "provenance.source-dataset-issues", severity, m.path,
        f"Built on {d.name} (named in {where}), which has documented problems: "
        + "; ".join(summary for summary, _, _ in d.issues),
        "Read the references; say in the card how the release deals with them (a cleaned "
        "re-release, filtering, removal on request), or build on another source",
        artifact=m.artifact, evidence=d.id, matched=f"{d.id}:issues", line=m.line,
        references=tuple(dict.fromkeys(ref for _, _, ref in d.issues)),
        context="metadata" if m.line is None else "prose")
