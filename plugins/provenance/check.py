"""Provenance, consent and attribution of the dataset.

Field guide, dataset checkpoint: "Where does it come from? Did the people in
it, and the artists whose work it holds, agree? How might I contact the
creators for permission, and can they opt out? Who must be credited?"

A sources manifest (CSV, JSON, YAML or Croissant) is reconciled with the
files by path and content hash; each item should say who made it, where it
came from, under which licence and whether they consented. Items taken from
forums or social platforms without recorded permission, code that scrapes
websites (once per tool: scraping.py and tools.py; downloading the project's
own weights is not scraping), data taken without permission (only where a
scraper's output folders hold the dataset's media, or a card says the data
was collected from a forum or social platform: evidence.py), a release with
no opt-out route (optout.py), and creators a CC BY licence says must be
credited are reported. Findings
about the dataset as a whole land on the data they are about
(aiart_release/placement.py, which the cards check uses too).

Example: ``data/sources.csv`` lists ``art/fox.png`` from deviantart.com with
consent ``unknown``: ``consent.scraped-without-permission`` (high), and the
default policy gates the dataset.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from typing import TYPE_CHECKING

from aiart_release.bundle import TEXT_KINDS
from aiart_release.cache import file_sha256
from aiart_release.checks import Check
from aiart_release.facts import Fact
from aiart_release.findings import Checkpoint, Finding, Location, Severity, plural
from aiart_release.masking import mask_words
from aiart_release.readers.limits import too_complex_finding
from aiart_release.readers.text import TextUnreadable, read_text

if TYPE_CHECKING:
    from .manifest import Item, Manifest
    from .tools import Tool

MEDIA = ("image", "audio", "video")
# What every finding and fact of the check starts from, besides the cards:
# a manifest, code (scrapers, vendored packages) or the dataset's media.
READ_KINDS = frozenset({"manifest", "code", *MEDIA})
MAX_HASH_BYTES = 512 * 1024 * 1024
SHOWN = 5

class Provenance(Check):
    id = "provenance"
    # 2: downloads of published files are not scraping; scraping is tied
    # to the data or to a card's harvest statement.
    version = "2"
    # Manifests (text and tables), cards and code; a hashed item is copied when opened.
    bundle_reads = TEXT_KINDS | {"table"}
    # Reads only the bundle, its facts and its settings (docs/plugins.md).
    bundle_cacheable = True
    checkpoint = Checkpoint.DATASET
    covers = frozenset({Checkpoint.DATASET, Checkpoint.MODEL_CODE, Checkpoint.PUBLISHING})
    description = ("Dataset sources manifest reconciled with the files; creators, licences, "
                   "consent, opt-out and credits; scraping code")
    provides = {
        "scraped": Fact(bool, "the dataset was scraped: code in the bundle collects works "
                              "from websites into its folders, or its card says the data was "
                              "collected from a forum or social platform"),
        "manifest_items": Fact(int, "how many items the sources manifests list"),
        "third_party_items": Fact(int, "manifest items that are neither own work nor public "
                                       "domain"),
        "consent_unknown": Fact(int, "third-party manifest items with no consent recorded"),
    }
    findings = {
        "provenance.manifest-missing": "Third-party or collected data with no sources manifest",
        "provenance.unlisted-file": "Dataset files the manifest does not list",
        "provenance.missing-file": "Manifest entries whose file is not in the bundle",
        "provenance.hash-mismatch": "A file whose content does not match its manifest hash",
        "provenance.duplicate-entry": "A file listed twice in the manifest",
        "provenance.incomplete-entry": "Manifest entries with no creator, source or licence",
        "provenance.scraping-code": "Code that collects third-party works from websites "
                                    "(once per package or script set)",
        "consent.refused": "Items whose creator or subject refused consent",
        "consent.unknown": "Third-party items with no consent recorded",
        "consent.scraped-without-permission": "Items taken from forums or social platforms "
                                              "without recorded permission",
        "consent.no-opt-out": "No way for creators or people in the data to ask for removal",
        "attribution.missing": "Creators, code or base model a licence or the field guide says "
                               "to credit are not credited",
    }

    def scan_bundle(self, ctx):
        inventory, facts = ctx.inventory, ctx.facts
        if not _anything_to_read(inventory, facts):
            ctx.provide(_facts(scraped=False, items=[], third_party=[]))
            return
        # Imported only when there is something to read: registering the
        # check, and a bundle without any (one staged caption), stay quick
        # (the pre-commit hook's start-up).
        from aiart_release.placement import data_folder, tool_folders

        from .evidence import dataset_evident, harvest_statements, sources_described
        from .manifest import own_work, public_domain, read_manifest
        from .optout import opt_out_route
        from .tools import find_tools

        manifests = [read_manifest(f, inventory.root) for f in inventory.of_kind("manifest")
                     if f.readable]
        manifests = [m for m in manifests if m.items or m.error]
        for m in manifests:
            if m.limit is not None:
                yield too_complex_finding(m.path, "dataset", m.limit, self.id)
            elif m.error:
                yield Finding(
                    id="bundle.unreadable", severity=Severity.MEDIUM,
                    message=f"Manifest could not be read: {m.error}",
                    location=Location(path=m.path),
                    remediation="Fix the manifest (one row per item: file, creator, source, "
                                "license, consent)", artifact="dataset")
        cards = facts.cards_of("dataset-card")
        tools = find_tools(inventory, tuple(c.text for c in facts.cards))
        yield from (_tool_finding(t, inventory) for t in tools)
        items = [item for m in manifests for item in m.items]
        media = [f for f in inventory.of_artifact("dataset")
                 if f.kind in MEDIA and f.context not in ("generated", "fixture")]
        # Evidence that the data was scraped: a scraper whose output folders
        # hold the dataset's media, or a card that says so. A scraper that
        # nothing ties to the data is reported as a tool, not as the data's origin.
        filling = [t for t in tools if tool_folders([t], media)]
        harvests = harvest_statements(cards)
        scraped = bool(filling)
        original = _declared_original(facts)
        where = data_folder(media, cards, tools)
        route = opt_out_route(inventory, facts)

        if media and not manifests and (scraped or not original):
            described = [] if scraped else sources_described(inventory, cards, where)
            evident = scraped or dataset_evident(inventory, media, cards)
            severity = Severity.HIGH if scraped else Severity.LOW if described or not evident \
                else Severity.MEDIUM
            yield _f("provenance.manifest-missing", severity, where,
                     f"{plural(len(media), 'dataset file')} with no sources manifest"
                     + (" (and code in the bundle scrapes websites into their folder)"
                        if scraped else
                        f" (code in the bundle fetches from websites, {_tool_names(tools)}, but "
                        "nothing ties it to these files)" if tools else "")
                     + (f"; {', '.join(described)} "
                        f"{'describes' if len(described) == 1 else 'describe'} the sources, "
                        "but no manifest lists them file by file" if described else "")
                     + ("; nothing says these are training data (no dataset card, data "
                        "folder or captions): if they are examples, declare them `docs` under "
                        "`artifacts:` in aiart-release.yaml" if not (evident or described)
                        else ""),
                     "Add data/sources.csv with one row per file: file, creator, source, "
                     "license, consent (or declare `source_datasets: [original]` in the dataset "
                     "card if it is all your own work)")
            if scraped:
                yield _f("consent.scraped-without-permission", Severity.HIGH, where,
                         "The dataset was collected by scraping code, with no record of the "
                         "creators' permission", "Record each item's source and permission in a "
                         "sources manifest, or remove what you have no permission for",
                         count=len(media))
        said = next((h for h in harvests if h.platform and not h.openly_licensed), None)
        if said and not scraped and not items:
            # No manifest records the items' permission; the card says where
            # they were taken from. A removal route answers part of it.
            yield _f("consent.scraped-without-permission",
                     Severity.MEDIUM if route else Severity.HIGH, said.path,
                     f"The dataset card says the data was collected from {said.platform.title()} "
                     "(a forum or social platform whose users grant no licence to collectors), "
                     "and nothing records the creators' permission"
                     + (f"; {route} gives a removal route" if route else ""),
                     "Record the permission (or the platform's terms that grant it) in a sources "
                     "manifest and the card; keep the removal route and honour it",
                     evidence=f"“{said.sentence}”", line=said.line,
                     matched=f"harvest:{said.platform}")
        for m in manifests:
            yield from self._reconcile(inventory, m, media)
            yield from self._items(m, facts)
        third_party = [i for i in items if not (own_work(i) or public_domain(i))]
        harvested = harvests[0] if harvests else None
        if (third_party or (scraped and media) or harvested) and route is None:
            # On the data it is about: the manifest's items, the scraper's
            # output, else the card that says the data was harvested.
            place, line = (manifests[0].path, None) if manifests else \
                (where, None) if scraped and media else \
                (harvested.path, harvested.line) if harvested else (where, None)
            yield _f("consent.no-opt-out", Severity.MEDIUM, place,
                     "The release holds others' work or data but documents no way to ask for "
                     "removal (opt-out)",
                     "Set `contact:` in aiart-release.yaml and say in the card how creators and "
                     "people in the data can ask to be removed", artifact="dataset", line=line)
        yield from self._attribution(inventory, facts, items)
        ctx.provide(_facts(scraped=scraped or said is not None, items=items,
                           third_party=third_party))

    # --- manifest against files ---------------------------------------------

    def _reconcile(self, inventory, m: Manifest, media) -> Iterator[Finding]:
        listed: dict[str, list[Item]] = defaultdict(list)
        for item in m.items:
            if item.path:
                listed[item.path].append(item)
        unlisted = [f.path for f in media if f.path not in listed]
        if unlisted and not any(i.declared_path for i in m.items):
            # A manifest without a file column cannot be reconciled at all.
            yield _f("provenance.unlisted-file", Severity.MEDIUM, m.path,
                     "The manifest names no files (no column called file, file_name, path or "
                     f"image), so none of the {plural(len(unlisted), 'dataset file')} can be "
                     "matched to an entry", "Add a `file` column with each item's path",
                     evidence=_paths(unlisted), count=len(unlisted), matched=" ".join(unlisted))
        elif unlisted:
            yield _f("provenance.unlisted-file", Severity.MEDIUM, m.path,
                     f"{plural(len(unlisted), 'dataset file')} not listed in the manifest",
                     "Add a row for each file (or remove files you cannot account for)",
                     evidence=_paths(unlisted), count=len(unlisted), matched=" ".join(unlisted))
        missing = [i for i in m.items if i.path and inventory.get(i.path) is None]
        if missing:
            yield _f("provenance.missing-file", Severity.LOW, m.path,
                     f"{plural(len(missing), 'entry', 'entries')} name a file that is not in "
                     "the bundle", "Remove the rows, or add the files",
                     rows=[i.row for i in missing], evidence=_paths([i.path for i in missing]),
                     count=len(missing), matched=" ".join(i.path or "" for i in missing))
        duplicates = [items[1] for items in listed.values() if len(items) > 1]
        if duplicates:
            yield _f("provenance.duplicate-entry", Severity.LOW, m.path,
                     f"{plural(len(duplicates), 'file')} listed more than once",
                     "Keep one row per file", rows=[i.row for i in duplicates],
                     evidence=_paths([i.path for i in duplicates]), count=len(duplicates))
        wrong = []
        for path, items in listed.items():
            f = inventory.get(path)
            sha = items[0].sha256
            if f is None or not sha or not f.readable or f.size > MAX_HASH_BYTES:
                continue
            if file_sha256(f.abspath) != sha:
                wrong.append(items[0])
        if wrong:
            yield _f("provenance.hash-mismatch", Severity.HIGH, m.path,
                     f"{plural(len(wrong), 'file')} differ from the sha256 the manifest records",
                     "Find out what changed: re-export the file from its source or update the "
                     "hash", rows=[i.row for i in wrong], evidence=_paths([i.path for i in wrong]),
                     count=len(wrong), matched=" ".join(i.path or "" for i in wrong))

    # --- each item: creator, source, licence, consent -----------------------

    def _items(self, m: Manifest, facts) -> Iterator[Finding]:
        from aiart_release import license_catalog

        from .manifest import from_platform, own_work, public_domain

        third_party = [i for i in m.items if not (own_work(i) or public_domain(i))]
        for field_name, severity in (("creator", Severity.MEDIUM), ("source", Severity.MEDIUM),
                                     ("license", Severity.HIGH)):
            lacking = [i for i in third_party if not getattr(i, field_name)]
            if lacking:
                yield _items("provenance.incomplete-entry", severity, m.path, lacking, field_name,
                             f"{plural(len(lacking), 'third-party item')} with no {field_name}",
                             f"Record the {field_name} of each item (the field guide: who made "
                             "it, where it came from, under which licence)")
        refused = [i for i in m.items if i.consent == "no"]
        if refused:
            yield _items("consent.refused", Severity.CRITICAL, m.path, refused, "consent",
                         f"{plural(len(refused), 'item')} whose creator or subject refused "
                         "consent",
                         "Remove these items from the dataset and from any model trained on it")
        # A licence that lets anyone reuse the work is its creator's permission.
        scraped = [i for i in third_party if from_platform(i) and i.consent != "yes"
                   and not _openly_licensed(i)]
        if scraped:
            sites = sorted({_site(i.source or "") for i in scraped})
            yield _items("consent.scraped-without-permission", Severity.HIGH, m.path, scraped,
                         "consent",
                         f"{plural(len(scraped), 'item')} taken from forums or social platforms "
                         f"({', '.join(sites[:4])}) with no permission recorded",
                         "Ask the creators and record their answer in the `consent` column, or "
                         "remove their work")
        unknown = [i for i in third_party if i.consent == "unknown" and i not in scraped]
        if unknown:
            # Items under an open licence have their creators' permission to
            # be reused; only consent to this use is unrecorded.
            licensed = all(_openly_licensed(i) for i in unknown)
            yield _items("consent.unknown", Severity.LOW if licensed else Severity.MEDIUM,
                         m.path, unknown, "consent",
                         f"{plural(len(unknown), 'third-party item')} with no consent recorded"
                         + (" (each under an open licence)" if licensed else ""),
                         "Record `yes` or `no` for each item once you have asked")
        # Item licences: what the release owes to them.
        non_commercial: list[tuple[Item, str]] = []
        for item in third_party:
            resolved = license_catalog.resolve(item.license) if item.license else None
            if resolved:
                terms = [license_catalog.info(lid) for lid in license_catalog.license_ids(resolved)]
                if all(t.non_commercial or t.research_only for t in terms):
                    non_commercial.append((item, resolved))
        if non_commercial and facts.config.commercial:
            ids = sorted({lid for _, lid in non_commercial})
            verb = "is" if len(non_commercial) == 1 else "are"
            yield _f("license.noncommercial-conflict", Severity.HIGH, m.path,
                     f"The release is declared commercial, but "
                     f"{plural(len(non_commercial), 'dataset item')} {verb} licensed for "
                     f"non-commercial use only ({', '.join(ids)})",
                     "Remove those items, license them for commercial use, or declare "
                     "`commercial: false`", rows=[i.row for i, _ in non_commercial],
                     field="license", count=len(non_commercial), evidence=", ".join(ids),
                     matched="nc:" + ",".join(sorted(_identity(i) for i, _ in non_commercial)))

    # --- credits ---------------------------------------------------------------

    def _attribution(self, inventory, facts, items: list[Item]) -> Iterator[Finding]:
        from aiart_release import license_catalog

        from .credits import is_credited  # the credits writer loads only when asked
        from .manifest import own_work

        credits_text = _credits_text(inventory, facts).lower()
        needed: dict[str, list[Item]] = defaultdict(list)
        for item in items:
            if own_work(item) or not item.creator:
                continue
            resolved = license_catalog.resolve(item.license) if item.license else None
            if resolved and any(license_catalog.info(lid).attribution
                                for lid in license_catalog.license_ids(resolved)):
                if not is_credited(item, credits_text):
                    needed[item.creator].append(item)
        if needed:
            rows = sorted(i.row for group in needed.values() for i in group)
            yield _f("attribution.missing", Severity.MEDIUM, "CREDITS.md",
                     f"{plural(len(needed), 'creator')} whose licence asks for credit "
                     f"({plural(len(rows), 'item')}) are not credited in the card or a CREDITS "
                     "file", "Run `aiart-release credits` to write CREDITS.md from the manifest",
                     evidence=", ".join(mask_words(c) for c in sorted(needed)[:3]),
                     count=len(rows), artifact="dataset", matched=",".join(sorted(needed)),
                     rows=rows)
        for card in facts.cards_of("model-card"):
            bases = card.metadata.get("base_model")
            for base in bases if isinstance(bases, list) else [bases]:
                if isinstance(base, str) and base.strip():
                    short = base.split("/")[-1].lower()
                    if short not in card.text.lower() and base.lower() not in credits_text:
                        yield _f("attribution.missing", Severity.LOW, card.path,
                                 f"The model card's text does not credit its base model {base}",
                                 "Name the base model and its authors in the card",
                                 artifact="model", matched=f"base:{base}")
        from .credits import vendored_packages

        for name in vendored_packages(inventory):
            if name.lower() not in credits_text:
                yield _f("attribution.missing", Severity.LOW, ".",
                         f"Vendored code `{name}` is not credited in the card or a CREDITS file",
                         "Credit the authors of the code you build on", artifact="code",
                         matched=f"code:{name}", checkpoint=Checkpoint.MODEL_CODE)


def _anything_to_read(inventory, facts) -> bool:
    """A card, or a file of READ_KINDS or of the code: without one the
    check finds nothing, and its facts are false and zero."""
    return bool(facts.cards) or any(f.kind in READ_KINDS or f.artifact == "code"
                                    for f in inventory.files)


def _facts(*, scraped: bool, items: list[Item], third_party: list[Item]) -> dict:
    return {
        "scraped": scraped,
        "manifest_items": len(items),
        "third_party_items": len(third_party),
        "consent_unknown": sum(1 for i in third_party if i.consent == "unknown"),
    }


def _credits_text(inventory, facts) -> str:
    parts = [card.text for card in facts.cards]
    for f in inventory.files:
        if f.readable and f.name.lower().split(".")[0] in ("credits", "attribution",
                                                            "acknowledgements", "acknowledgments",
                                                            "authors", "contributors", "notice",
                                                            "readme"):
            try:
                parts.append(read_text(f.abspath, 2 * 1024 * 1024)[0])
            except TextUnreadable:
                continue
    return "\n".join(parts)


def _tool_finding(tool: Tool, inventory) -> Finding:
    has_data = any(f.artifact == "dataset" and f.kind in MEDIA for f in inventory.files)
    return _f("provenance.scraping-code", Severity.MEDIUM, tool.path,
              f"Scraping tool ({tool.label}"
              + (f"; {len(tool.files)} of its files fetch" if len(tool.files) > 1 else "") + "): "
              f"{'; '.join(tool.reasons)}. What it collects needs a recorded source and "
              "permission for each item",
              "List each downloaded item with its source, creator, licence and consent in the "
              "sources manifest" + ("" if has_data else
                                    "; say in the README what users must respect (the sites' "
                                    "terms, the creators' wishes)"),
              artifact=inventory.get(tool.path).artifact if inventory.get(tool.path) else "code",
              evidence=", ".join(sorted(tool.collectors | tool.clients)),
              checkpoint=Checkpoint.MODEL_CODE, matched=f"tool:{tool.kind}:{tool.name}")


def _tool_names(tools: list[Tool]) -> str:
    return ", ".join(t.label for t in tools[:2]) + (f" and {len(tools) - 2} more"
                                                    if len(tools) > 2 else "")


def _declared_original(facts) -> bool:
    """The dataset card says it is all original work."""
    for card in facts.cards_of("dataset-card"):
        sources = card.metadata.get("source_datasets")
        values = sources if isinstance(sources, list) else [sources]
        if any(isinstance(v, str) and v.strip().lower() == "original" for v in values):
            return True
    return False


# Licence classes that let anyone reuse a work (some with conditions).
_OPEN_CLASSES = {"permissive", "copyleft", "weak-copyleft", "share-alike", "public-domain",
                 "non-commercial", "responsible-ai"}


def _openly_licensed(item: Item) -> bool:
    from aiart_release import license_catalog

    resolved = license_catalog.resolve(item.license) if item.license else None
    return bool(resolved) and all(license_catalog.info(lid).cls in _OPEN_CLASSES
                                  for lid in license_catalog.license_ids(resolved))


def _site(url: str) -> str:
    match = re.search(r"(?:https?://)?(?:www\.)?([^/\s]+)", url)
    return match.group(1).lower() if match else url


def _paths(paths: list[str | None]) -> str:
    shown = [p for p in paths if p][:SHOWN]
    more = len([p for p in paths if p]) - len(shown)
    return ", ".join(shown) + (f" (+{more} more)" if more > 0 else "")


def _items(finding_id: str, severity: Severity, path: str, items: list[Item], field: str,
           message: str, remediation: str) -> Finding:
    """A finding about some rows of a manifest: every row listed, and a
    fingerprint made of which entries (not their rows) and which field."""
    return _f(finding_id, severity, path, message, remediation, rows=[i.row for i in items],
              field=field, count=len(items),
              matched=f"{field}:" + ",".join(sorted(_identity(i) for i in items)))


def _identity(item: Item) -> str:
    """What an entry is about, not where it stands: a row inserted above
    it leaves the fingerprint (and a baseline entry) as it was."""
    return item.path or item.declared_path or item.source or \
        f"{item.creator or ''}|{item.license or ''}"


def _f(finding_id: str, severity: Severity, path: str, message: str, remediation: str, *,
       artifact: str = "dataset", evidence: str | None = None, count: int | None = None,
       rows: list[int] | None = None, field: str | None = None, matched: str | None = None,
       checkpoint: Checkpoint | None = None, line: int | None = None) -> Finding:
    rows = sorted(set(rows or []))
    location = Location(path=path, field=field, line=line,
                        row=rows[0] if len(rows) == 1 else None,
                        rows=tuple(rows) if len(rows) > 1 else None)
    return Finding(
        id=finding_id, severity=severity, message=message, location=location,
        remediation=remediation, evidence=evidence, count=count, artifact=artifact,
        matched=matched, checkpoint=checkpoint or (
            Checkpoint.PUBLISHING if finding_id.startswith("attribution.") else
            Checkpoint.DATASET),
    )
