"""The licensing check's scan (check.py declares it): the licences the
bundle states (licence files, cards, GGUF metadata, READMEs, pyproject.toml,
source headers), whether they agree, and what the release owes to the base
models and datasets it is built on. Imported when a bundle holds something
the check reads: registering the check, and a bundle without any (the
pre-commit hook on one staged caption), never load these readers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache

from aiart_release import license_catalog
from aiart_release.findings import Finding, Severity
from aiart_release.masking import mask_words
from aiart_release.origin import is_vendored
from aiart_release.records import dataclass

from . import base_models, known_datasets
from .sources import (
    GGUFDeclaration,
    Source,
    attribute_subjects,
    card_sources,
    covers,
    gguf_declarations,
    gguf_sources,
    hub_id,
    in_force,
    known_paths,
    license_files,
    pyproject_source,
    readme_sources,
    scope_parts,
    spdx_headers,
)
from .stated import context as _context
from .stated import detected, modified, noncommercial
from .stated import finding as _finding

CONFIDENT = 0.9


def scan(ctx) -> Iterator[Finding]:
    """The licensing check's findings, and its facts through ``ctx.provide``."""
    inventory, facts = ctx.inventory, ctx.facts
    files, problems = license_files(inventory)
    ggufs = gguf_declarations(inventory)
    # A card's `license` and a GGUF file's `general.license` both
    # declare the licence of their artifact.
    cards = card_sources(facts)
    declared = cards + gguf_sources(ggufs)
    project = pyproject_source(inventory)
    headers = spdx_headers(inventory)
    files = scope_parts(files, headers, known_paths(inventory))
    readmes = [r for r in readme_sources(inventory)
               if not any(c.path == r.path for c in cards if c.license)]
    # "The code is under the [MIT License](./LICENSE)": the LICENSE is the code's.
    files = attribute_subjects(files, readmes + files)
    sources = files + declared + readmes + ([project] if project else []) + headers

    # A header naming the licence already in force (or the one a part's
    # licence file states) says nothing new: one finding per file is noise.
    said = [h for h in headers if h.kind == "header" and any(
        f.license == h.license and (f.applies_to(h.path) or f.role == "part")
        for f in files)]
    yield from detected([s for s in sources if s not in said])
    yield from modified(files)
    for path, reason in problems:
        if reason != "empty":  # an empty file is docs.license-missing's to report
            yield _finding("license.unidentified", Severity.MEDIUM, path,
                           f"Licence file could not be read: {reason}",
                           "Save the licence as UTF-8 text under the name LICENSE",
                           artifact=_artifact(inventory, path))
    yield from _consistency(inventory, facts, files, cards, readmes)
    yield from _gguf_consistency(files, declared)

    by_artifact = _licenses_by_artifact(inventory, files + readmes, declared, project,
                                        headers)
    main = [s for s in files + readmes if s.role == "main" and s.license]
    in_force = _licenses_by_artifact(inventory, main, declared, project, headers)
    reading = base_models.read_release(inventory)
    ctx.provide({
        "model_downloads": list(reading.model_downloads),
        "dataset_downloads": [d.where for d in reading.dataset_downloads],
        "licenses": sorted({s.license for s in sources if s.license}),
        "license_of": {a: sorted(ids) for a, ids in by_artifact.items()},
    })
    model_licenses = _release_model_licenses(inventory, files + readmes, declared)
    claims = base_model_claims(facts, ggufs, inventory, reading.bases)
    yield from _propagation(facts, by_artifact, sources, claims, model_licenses)
    yield from _stated_restrictions(inventory, facts, in_force, main + declared)
    yield from _linked_dataset_unlicensed(inventory, facts, reading.dataset_downloads,
                                          files + readmes, declared, by_artifact)
    # The source datasets the cards name (rules/datasets.yaml).
    yield from known_datasets.scan(ctx)


# --- what was found ------------------------------------------------------

def _consistency(inventory, facts, files: list[Source], cards: list[Source],
                 readmes: list[Source]) -> Iterator[Finding]:
    for s in files:
        if s.license is None and s.role == "main":
            yield _finding(
                "license.unidentified", Severity.MEDIUM, s.path,
                # Not its first line: that is often a copyright holder's name.
                "Licence file matches no licence this tool knows",
                "Use the licence's standard text, or add a line `SPDX-License-Identifier: "
                "<id>` (https://spdx.org/licenses/)", artifact=s.artifact,
                references=("https://spdx.org/licenses/",), context="license-text")
    for card in facts.cards:
        value = card.metadata.get("license")
        if isinstance(value, str) and value.strip().lower() == "other":
            missing = [k for k in ("license_name", "license_link")
                       if not str(card.metadata.get(k) or "").strip()]
            if missing:
                yield _finding(
                    "license.other-incomplete", Severity.MEDIUM, card.path,
                    f"`license: other` without {' and '.join(missing)}",
                    "Give license_name (a short id) and license_link (the licence text: a "
                    "file in the repository or a URL)", artifact=card.artifact,
                    references=("https://huggingface.co/docs/hub/repositories-licenses",),
                    context="metadata")
    for c in cards:
        if c.license is None:
            continue
        other = _disagreeing(c, files, readmes)
        if other is not None:
            said = other.path if other.kind == "file" else f"{other.path} (line {other.line})"
            yield _finding(
                "license.card-mismatch", Severity.HIGH, c.path,
                f"The card declares {c.license}, but {said} says {other.where} is "
                f"{other.license}" if other.subject else
                f"The card declares {c.license}, but {other.path} is {other.license}",
                f"Make the card's `license` and {other.path} say the same thing; if the "
                "parts differ (code MIT, weights CC BY), say which licence covers which "
                "artifact", artifact=c.artifact, evidence=f"{c.license} / {other.license}",
                matched=f"{c.license}/{other.license}", context="metadata")


# --- what the release owes ----------------------------------------------

def _propagation(facts, by_artifact: dict[str, set[str]], sources: list[Source],
                 claims: list[BaseModelClaim], model_licenses: set[str]
                 ) -> Iterator[Finding]:
    commercial = facts.config.commercial
    for claim in claims:
        license_id = license_catalog.base_model_license(claim.base)
        if license_id is None and claim.declared_license:
            license_id = license_catalog.resolve(claim.declared_license)
        if license_id is None:
            yield _finding(
                "license.base-model-unknown", Severity.LOW, claim.path,
                f"Base model {claim.base} has a licence this tool does not know",
                "Check the base model's licence and what it asks of derivatives; "
                "name it in the card (`base_model_license`)", artifact="model",
                matched=claim.base, context=claim.context)
            continue
        base_info = license_catalog.info(license_id)
        yield from _base_obligations(claim, base_info, model_licenses, commercial)
    # Every licence stated, with the part it covers: the main licences,
    # the third-party parts of a licence file, per-folder licences,
    # cards, READMEs, SPDX headers.
    if commercial:
        yield from noncommercial(sources)
    files = [s for s in sources if s.kind == "file"]
    headers = [s for s in sources if s.kind in ("spdx-header", "header")]
    yield from _relicensing(by_artifact, files, headers)


def _base_obligations(claim: BaseModelClaim, terms: license_catalog.LicenseInfo,
                      model_licenses: set[str], commercial: bool | None):
    base, read = claim.base, claim.read_from
    if commercial and (terms.non_commercial or terms.research_only):
        yield _finding(
            "license.noncommercial-conflict", Severity.CRITICAL, claim.path,
            f"Fine-tuned from {base} ({terms.name}), which forbids commercial use, but "
            f"the release is declared commercial{read}",
            "Train from a base model whose licence allows commercial use, obtain a "
            "commercial licence, or declare `commercial: false`", artifact="model",
            evidence=f"{base}: {terms.id}", matched=f"{base}:{terms.id}",
            line=claim.line, context=claim.context)
    if terms.use_restrictions and model_licenses and not any(
            license_catalog.info(lid).use_restrictions for lid in model_licenses):
        yield _finding(
            "license.rail-restrictions-missing", Severity.HIGH, claim.path,
            f"Fine-tuned from {base} ({terms.name}): its use restrictions must pass on to "
            f"derivatives, but the model is released under "
            f"{', '.join(sorted(model_licenses))}{read}",
            terms.obligations or "Release the model under a licence that carries the base "
            "model's use restrictions (the same RAIL licence)", artifact="model",
            evidence=f"{base}: {terms.id}", matched=f"{base}:{terms.id}", line=claim.line,
            references=("https://www.licenses.ai/",), context=claim.context)
    if terms.llama:
        yield from _llama(claim, terms)


def _llama(claim: BaseModelClaim, terms: license_catalog.LicenseInfo):
    base, text, title = claim.base, claim.text, claim.title
    missing = []
    if "built with llama" not in text.lower() and "built with meta llama" not in text.lower():
        missing.append('the notice "Built with Llama"')
    if not title.lower().startswith("llama"):
        missing.append(f'a model name that begins with "Llama" (it is {title!r})')
    if missing:
        yield _finding(
            "license.llama-obligations", Severity.MEDIUM, claim.path,
            f"Derived from {base} ({terms.name}), but the card lacks "
            f"{' and '.join(missing)}", terms.obligations, artifact="model",
            evidence=terms.id, matched=f"{base}:llama", context="prose")


def _relicensing(by_artifact, files: list[Source], headers: list[Source]):
    own = [s for s in files if s.license and not s.vendored and s.covers == ""
           and s.role == "main"]
    own_terms = [license_catalog.info(lid) for s in own
                 for lid in license_catalog.license_ids(s.license)]
    if not own_terms or any(t.copyleft for t in own_terms):
        return
    for s in files + headers:
        if not s.license or s.path in {o.path for o in own}:
            continue
        for lid in license_catalog.license_ids(s.license):
            terms = license_catalog.info(lid)
            if terms.cls == "copyleft":
                yield _finding(
                    "license.permissive-relicense", Severity.HIGH, s.path,
                    f"{s.path} is under {terms.name} (copyleft), but the release is "
                    f"licensed {', '.join(t.id for t in own_terms)}: copyleft code cannot "
                    "be re-licensed permissively",
                    "License the release under the copyleft licence, or replace that code",
                    artifact=s.artifact, evidence=lid, matched=f"{s.path}:{lid}",
                    context=_context(s))


# --- restrictions written outside the licence -------------------------

def _stated_restrictions(inventory, facts, by_artifact,
                  stated: list[Source]) -> Iterator[Finding]:
    everything = {lid for ids in by_artifact.values() for lid in ids}
    for path, artifact, text in _prose(inventory, facts):
        # The licences in force where this text is: the main licence of
        # its folder (a third-party folder's own licence is not the one a
        # top-level README documents) and its own card's; else those of
        # the part it documents, or all of them.
        here = in_force(stated, path) + [s for s in stated
                                         if s.kind == "card" and s.path == path]
        ids = {lid for s in here for lid in license_catalog.license_ids(s.license or "")}
        ids = ids or by_artifact.get(artifact) or everything
        terms = [license_catalog.info(lid) for lid in sorted(ids)]
        if not terms or not all(t.cls in ("permissive", "public-domain") for t in terms):
            continue
        public_domain = all(t.cls == "public-domain" for t in terms)
        lines = text.split("\n")
        for number, line in enumerate(lines, start=1):
            # A sentence often runs onto the next line of a Markdown file.
            sentence = line + " " + (lines[number] if number < len(lines) else "")
            for kind, pattern in _restrictions():
                match = pattern.search(line)
                if not match or (kind == "attribution" and not public_domain
                                 and not _demands_more(sentence)):
                    continue
                quote = _quote(sentence, match)
                licenses = ", ".join(t.id for t in terms)
                yield _finding(
                    "license.restriction-outside-license", Severity.MEDIUM, path,
                    f"Line {number} adds a restriction ({kind}) that the licence "
                    f"({licenses}) does not have: {quote}",
                    "Put the restriction in the licence (choose one that has it, such as "
                    "CC BY-NC or a RAIL licence), or remove the sentence: a restriction "
                    "outside the licence does not bind anyone",
                    artifact=artifact, line=number, evidence=quote, matched=line.strip(),
                    context="prose")
                break

# Sentences that restrict what a permissive licence allows.
@cache
def _restrictions():
    return [
        ("commercial-use", re.compile(
            r"\b(?:non[- ]?commercial(?: use)? only|not for (?:commercial|resale)|"
            r"no commercial use|"
            r"do not (?:sell|resell|monetise|monetize)|don'?t (?:sell|resell)|"
            r"(?:commercial use|selling)[^.]{0,30}"
            r"(?:not (?:allowed|permitted)|prohibited|forbidden)|"
            r"personal use only|for personal use only)\b", re.I)),
        ("research-only", re.compile(r"\b(?:research (?:use )?only|for research purposes only|"
                                     r"academic use only)\b", re.I)),
        ("out-of-scope use", re.compile(
            r"\b(?:commercial|deployed) use(?: cases?)?\b[^.]{0,80}\b(?:is|are) (?:currently )?"
            r"out of scope\b", re.I)),
        ("attribution", re.compile(r"\b(?:credit me|you must credit|please credit|"
                                   r"give (?:me )?credit|"
                                   r"attribution (?:is )?required|must (?:be )?credit(?:ed)?)\b",
                                   re.I)),
        ("proprietary", re.compile(
            r"\b(?:(?:this|the|our) (?:model|dataset|data|code|software|work|project|weights)"
            r"(?: is| are)? (?:strictly )?proprietary|"
            r"proprietary (?:and confidential|licen[cs]e|model|dataset|weights)|"
            r"licen[cs]e:\s*proprietary)\b", re.I)),
        ("redistribution", re.compile(
            r"\b(?:do not|don'?t) (?:redistribute|re-?upload|repost|share)\b", re.I)),
    ]


@cache
def _card_name() -> re.Pattern[str]:
    return re.compile(r"(?:model|data(?:set)?)[-_ ]?card")


def _demands_more(line: str) -> bool:
    """Permissive licences ask to keep the copyright notice, not to credit
    the author where the work is used: "credit me in your posts" asks more."""
    return bool(re.search(r"\b(?:post|posts|output|outputs|image|images|work|publication|"
                          r"everywhere|when you|if you use)\b", line, re.I))


def _quote(line: str, match: re.Match) -> str:
    """The clause around the restriction, capitalised words (names) masked."""
    start = max(line.rfind(".", 0, match.start()), line.rfind(";", 0, match.start())) + 1
    ends = [i for i in (line.find(".", match.end()), line.find(";", match.end())) if i != -1]
    clause = line[start:min(ends) + 1 if ends else len(line)].strip()[:160]
    words = clause.split(" ")
    masked = [words[0]] + [mask_words(w) if re.match(r"[A-Z][a-z]", w) else w for w in words[1:]]
    return "“" + " ".join(masked) + "”"


def _prose(inventory, facts) -> Iterator[tuple[str, str, str]]:
    """Cards, READMEs, terms of use, and files named as cards
    ("model-card.md", "Lantern_Model_Card.md") that the card reader did not
    take for one."""
    cards = {card.path for card in facts.cards}
    for card in facts.cards:
        if card.text:
            yield card.path, card.artifact, card.text
    from aiart_release.readers.text import TextUnreadable, read_text

    for f in inventory.of_kind("text"):
        name = f.name.lower()
        if f.readable and f.path not in cards and f.size < 2 * 1024 * 1024 and (
                name.startswith(("readme", "terms", "usage")) or _card_name().search(name)):
            try:
                text, _ = read_text(f.abspath, 2 * 1024 * 1024)
            except TextUnreadable:
                continue
            yield f.path, f.artifact, text


@dataclass(frozen=True)
class BaseModelClaim:
    """A base model the release names: where (a model card, a GGUF file, a
    script, a configuration, a README sentence), the licence it declares for
    it, and the words and title the licence's naming duties are checked in."""

    path: str
    base: str
    declared_license: str | None
    text: str
    title: str
    line: int | None = None
    context: str = "metadata"
    how: str = ""  # where it was read, in words, when not in metadata

    @property
    def read_from(self) -> str:
        return f" (the base model read from {self.how})" if self.how else ""


def base_model_claims(facts, ggufs: list[GGUFDeclaration], inventory=None,
                      inferred: tuple[base_models.InferredBase, ...] = ()
                      ) -> list[BaseModelClaim]:
    """The model cards' ``base_model`` entries, then the base models of GGUF
    files that no card already names (a GGUF file converted from a card's
    model names the same one), then the known base models the release's
    scripts, training configurations and READMEs name (base_models.infer).
    A copied-in upstream project's card is its authors' claim, not this
    release's."""
    claims: list[BaseModelClaim] = []
    cards = [card for card in facts.cards_of("model-card")
             if inventory is None or _own_path(inventory, card.path)]
    for card in cards:
        bases = card.metadata.get("base_model")
        declared = card.metadata.get("base_model_license")
        title = str(card.metadata.get("model_name") or _title(card.text) or "")
        for base in bases if isinstance(bases, list) else [bases]:
            if isinstance(base, str) and base.strip():
                claims.append(BaseModelClaim(card.path, base.strip(),
                                             declared if isinstance(declared, str) else None,
                                             card.text, title))
    named = {hub_id(c.base).lower() for c in claims}
    text = "\n".join(card.text for card in cards)
    card_title = next((c.title for c in claims if c.title), "")
    for d in ggufs:
        for base in d.base_models:
            if base.lower() not in named:
                named.add(base.lower())
                claims.append(BaseModelClaim(d.path, base, None, text,
                                             card_title or d.name or ""))
    for base in inferred:
        if base.base.lower() in named:
            continue
        named.add(base.base.lower())
        where = base.where
        claims.append(BaseModelClaim(where.path, base.base, None, text, card_title,
                                     line=where.line, context=where.context,
                                     how=base.described()))
    return claims


def _linked_dataset_unlicensed(inventory, facts, downloads: tuple[base_models.DataDownload, ...],
                               stated: list[Source], declared: list[Source],
                               by_artifact: dict[str, set[str]]) -> Iterator[Finding]:
    """A dataset the release's own scripts download, with no licence
    statement for it: not a dataset card's `license`, not a README or
    licence file that names the dataset, not a licence over dataset files in
    the bundle. The repository's licence file covers the repository; data
    served from elsewhere is not in it. A Hub dataset has a card on the Hub
    this offline tool cannot read: low, to check; the release's own host
    has none: medium."""
    if not downloads or by_artifact.get("dataset") or any(
            s.license and not s.vendored and "dataset" in s.subject.split(",")
            for s in stated) or any(
            s.license and s.artifact == "dataset" and _own_path(inventory, s.path)
            for s in declared):
        return
    first = downloads[0]
    carded = any(_own_path(inventory, c.path) for c in facts.cards_of("dataset-card"))
    hub_only = all(d.hub_dataset for d in downloads)
    more = f" and {len(downloads) - 1} more" if len(downloads) > 1 else ""
    yield _finding(
        "license.linked-dataset-unlicensed", Severity.LOW if hub_only else Severity.MEDIUM,
        first.path,
        f"{first.path} downloads the release's dataset ({first.url}{more}), but nothing in "
        "the release states its licence" + ("" if carded else " and no dataset card describes it")
        + (": its Hub card may, which this offline check cannot read" if hub_only
           else ": nobody can tell what they may do with it"),
        "State the dataset's licence where it is downloaded and in the release (a dataset card "
        "with `license:` metadata, or a README sentence such as \"The <name> dataset is "
        "released under CC BY 4.0\")"
        + ("" if carded else ", and write a dataset card saying where the data comes from "
           "(which sources, which generators), who is in it and what it may be used for"),
        artifact="dataset", line=first.line, evidence=first.url, matched=first.url,
        references=("https://huggingface.co/docs/hub/datasets-cards",), context="code")


def _own_path(inventory, path: str) -> bool:
    """A file of this release, not of a copied-in (vendored, generated) project."""
    f = inventory.get(path)
    return f is None or (f.context is None and not is_vendored(path))


def _disagreeing(card: Source, files: list[Source], readmes: list[Source]) -> Source | None:
    """The statement a card's licence contradicts, if it agrees with none of
    those covering its artifact. Statements that name the card's artifact
    ("the dataset is available under CC0") are compared when there are any;
    else the main licence files over the card's folder, except those said to
    be for another artifact ("the code is under the MIT License")."""
    scoped = [s for s in readmes + files if s.license and s.role == "main" and s.subject
              and not s.vendored and s.covers_artifact(card.artifact)
              and covers(s.covers, card.path)]
    near = scoped or [s for s in files if s.license and s.confidence >= CONFIDENT
                      and s.role == "main" and not s.vendored and covers(s.covers, card.path)
                      and s.covers_artifact(card.artifact)]
    if near and all(not _same_terms(card.license, s.license) for s in near):
        return near[0]
    return None


def _release_model_licenses(inventory, stated: list[Source], declared: list[Source]) -> set[str]:
    """The licences this release gives its model: those in force on its own
    model files and its own cards (not a copied-in project's); a model
    published by link has none, and the release's root licence is the one
    it is offered under."""
    own = [f for f in inventory.of_artifact("model") if _own_path(inventory, f.path)]
    ids: set[str] = set()
    for f in own:
        for s in in_force(stated, f.path):
            if s.license and not s.vendored and s.covers_artifact("model"):
                ids.update(license_catalog.license_ids(s.license))
    for s in declared:
        if s.license and s.artifact == "model" and _own_path(inventory, s.path):
            ids.update(license_catalog.license_ids(s.license))
    if not ids:
        for s in stated:
            if s.license and s.role == "main" and s.covers == "" and not s.vendored \
                    and s.kind in ("file", "readme") and s.covers_artifact("model"):
                ids.update(license_catalog.license_ids(s.license))
    return ids


def _gguf_consistency(files: list[Source], declared: list[Source]) -> Iterator[Finding]:
    """A GGUF file's ``general.license`` against the model card's
    ``license`` and the licence file that covers it: a conflict when it
    agrees with none of them."""
    for g in declared:
        if g.kind != "gguf" or g.license is None:
            continue
        others = [c for c in declared if c.kind == "card" and c.license
                  and c.artifact == g.artifact]
        others += [s for s in files if s.license and s.confidence >= CONFIDENT
                   and s.role == "main" and not s.vendored and covers(s.covers, g.path)]
        if not others or any(_same_terms(g.license, o.license) for o in others):
            continue
        said = "; ".join(f"{o.path} is {o.license}" for o in others[:3])
        yield _finding(
            "license.gguf-mismatch", Severity.HIGH, g.path,
            f"The GGUF metadata declares `general.license: {g.detail}` ({g.license}), but "
            f"{said}",
            "Make the GGUF file's general.license, the card's `license` and the licence file "
            "say the same thing (llama.cpp's gguf_set_metadata.py rewrites a key; or convert "
            "the model again from a card with the right licence)",
            artifact=g.artifact, evidence=f"{g.license} / {others[0].license}",
            matched=f"{g.license}/{others[0].license}", context="metadata")


def _licenses_by_artifact(inventory, files: list[Source], cards: list[Source],
                          project: Source | None, headers: list[Source]) -> dict[str, set[str]]:
    """The licences that apply to each artifact: licence files covering its
    files, its card's `license`, pyproject and SPDX headers for code."""
    out: dict[str, set[str]] = {}
    for artifact in inventory.artifacts_present():
        ids: set[str] = set()
        members = inventory.of_artifact(artifact)
        for f in members:
            for s in in_force(files, f.path):
                if s.license and s.covers_artifact(artifact):
                    ids.update(license_catalog.license_ids(s.license))
        for s in cards:
            if s.license and s.artifact == artifact:
                ids.update(license_catalog.license_ids(s.license))
        if artifact == "code":
            if project and project.license:
                ids.update(license_catalog.license_ids(project.license))
            for s in headers:
                if s.license and s.artifact == "code":
                    ids.update(license_catalog.license_ids(s.license))
        if ids:
            out[artifact] = ids
    return out


def _same_terms(a: str, b: str) -> bool:
    ids_a, ids_b = set(license_catalog.license_ids(a)), set(license_catalog.license_ids(b))
    return bool(ids_a & ids_b) or {license_catalog.info(i).id for i in ids_a} == {
        license_catalog.info(i).id for i in ids_b}


def _title(text: str) -> str | None:
    return base_models.heading(text).strip() or None


def _artifact(inventory, path: str) -> str:
    f = inventory.get(path)
    return f.artifact if f else "docs"
