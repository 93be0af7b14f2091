"""Provenance, consent and attribution of the dataset.

Field guide, dataset checkpoint: "Where does it come from? Did the people in
it, and the artists whose work it holds, agree? How might I contact the
creators for permission, and can they opt out? Who must be credited?"

A sources manifest (CSV, JSON, YAML or Croissant) is reconciled with the
files by path and content hash; each item should say who made it, where it
came from, under which licence and whether they consented. Items taken from
forums or social platforms without recorded permission, code that scrapes
websites, a release with no opt-out route, and creators a CC BY licence says
must be credited are reported.

Example: ``data/sources.csv`` lists ``art/fox.png`` from deviantart.com with
consent ``unknown``: ``consent.scraped-without-permission`` (high), and the
default policy gates the dataset.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Iterator

from aiart_release.checks import Check
from aiart_release.findings import Checkpoint, Finding, Location, Severity, plural
from aiart_release.manifest import Item, Manifest, from_platform, own_work, public_domain
from aiart_release.masking import mask_words
from aiart_release.textio import TextUnreadable, read_text

from .scraping import scrapers

MEDIA = ("image", "audio", "video")
MAX_HASH_BYTES = 512 * 1024 * 1024
SHOWN = 5
_OPT_OUT = re.compile(r"\bopt[- ]?out\b|\bremoval request|\brequest (?:the )?removal|"
                      r"\btake ?down\b|\bto be removed\b|\bremove (?:your|their) work\b", re.I)


class Provenance(Check):
    id = "provenance"
    checkpoint = Checkpoint.DATASET
    covers = frozenset({Checkpoint.DATASET, Checkpoint.MODEL_CODE, Checkpoint.PUBLISHING})
    description = ("Dataset sources manifest reconciled with the files; creators, licences, "
                   "consent, opt-out and credits; scraping code")
    findings = {
        "provenance.manifest-missing": "Third-party or collected data with no sources manifest",
        "provenance.unlisted-file": "Dataset files the manifest does not list",
        "provenance.missing-file": "Manifest entries whose file is not in the bundle",
        "provenance.hash-mismatch": "A file whose content does not match its manifest hash",
        "provenance.duplicate-entry": "A file listed twice in the manifest",
        "provenance.incomplete-entry": "Manifest entries with no creator, source or licence",
        "provenance.scraping-code": "Code that downloads from websites",
        "consent.refused": "Items whose creator or subject refused consent",
        "consent.unknown": "Third-party items with no consent recorded",
        "consent.scraped-without-permission": "Items taken from forums or social platforms "
                                              "without recorded permission",
        "consent.no-opt-out": "No way for creators or people in the data to ask for removal",
        "attribution.missing": "Creators, code or base model a licence or the field guide says "
                               "to credit are not credited",
    }

    def scan_bundle(self, ctx):
        from aiart_release.manifest import read_manifest

        inventory, facts = ctx.inventory, ctx.facts
        manifests = [read_manifest(f, inventory.root) for f in inventory.of_kind("manifest")
                     if f.readable]
        manifests = [m for m in manifests if m.items or m.error]
        for m in manifests:
            if m.error:
                yield Finding(
                    id="bundle.unreadable", severity=Severity.MEDIUM,
                    message=f"Manifest could not be read: {m.error}",
                    location=Location(path=m.path),
                    remediation="Fix the manifest (one row per item: file, creator, source, "
                                "license, consent)", artifact="dataset")
        scraping = list(self._scraping(inventory))
        yield from (f for f, _ in scraping)
        scraped = bool(scraping)
        items = [item for m in manifests for item in m.items]
        media = [f for f in inventory.of_artifact("dataset") if f.kind in MEDIA]
        original = _declared_original(facts)

        if media and not manifests and (scraped or not original):
            yield _f("provenance.manifest-missing", Severity.HIGH if scraped else Severity.MEDIUM,
                     _folder(media), f"{plural(len(media), 'dataset file')} with no sources "
                     "manifest" + (" (and code in the bundle scrapes websites)" if scraped else ""),
                     "Add data/sources.csv with one row per file: file, creator, source, "
                     "license, consent (or declare `source_datasets: [original]` in the dataset "
                     "card if it is all your own work)")
            if scraped:
                yield _f("consent.scraped-without-permission", Severity.HIGH, _folder(media),
                         "The dataset was collected by scraping code, with no record of the "
                         "creators' permission", "Record each item's source and permission in a "
                         "sources manifest, or remove what you have no permission for",
                         count=len(media))
        for m in manifests:
            yield from self._reconcile(inventory, m, media)
            yield from self._items(m, facts)
        third_party = [i for i in items if not (own_work(i) or public_domain(i))]
        if (third_party or scraped) and not _opt_out(inventory, facts):
            yield _f("consent.no-opt-out", Severity.MEDIUM,
                     manifests[0].path if manifests else _folder(media) if media else ".",
                     "The release holds others' work or data but documents no way to ask for "
                     "removal (opt-out)",
                     "Set `contact:` in aiart-release.yaml and say in the card how creators and "
                     "people in the data can ask to be removed", artifact="dataset")
        yield from self._attribution(inventory, facts, items)
        facts.update({
            "scraped": scraped,
            "manifest_items": len(items),
            "third_party_items": len(third_party),
            "consent_unknown": sum(1 for i in third_party if i.consent == "unknown"),
        })

    # --- scraping code --------------------------------------------------------

    def _scraping(self, inventory) -> Iterator[tuple[Finding, list[str]]]:
        for f in inventory.of_kind("code"):
            if not f.readable or f.size > 4 * 1024 * 1024:
                continue
            try:
                source, _ = read_text(f.abspath, 4 * 1024 * 1024)
            except TextUnreadable:
                continue
            found = scrapers(source, f.suffix)
            if found:
                yield _f("provenance.scraping-code", Severity.MEDIUM, f.path,
                         f"Code that downloads from websites ({', '.join(found)}): the data it "
                         "collects needs a recorded source and permission for each item",
                         "List each downloaded item with its source, creator, licence and "
                         "consent in the sources manifest", artifact=f.artifact,
                         evidence=", ".join(found), checkpoint=Checkpoint.MODEL_CODE), found

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
            if _sha256(f.abspath) != sha:
                wrong.append(items[0])
        if wrong:
            yield _f("provenance.hash-mismatch", Severity.HIGH, m.path,
                     f"{plural(len(wrong), 'file')} differ from the sha256 the manifest records",
                     "Find out what changed: re-export the file from its source or update the "
                     "hash", rows=[i.row for i in wrong], evidence=_paths([i.path for i in wrong]),
                     count=len(wrong), matched=" ".join(i.path or "" for i in wrong))

    # --- each item: creator, source, licence, consent -----------------------

    def _items(self, m: Manifest, facts) -> Iterator[Finding]:
        from aiart_release.default_plugins.licensing import catalog

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
        scraped = [i for i in third_party if from_platform(i) and i.consent != "yes"]
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
            yield _items("consent.unknown", Severity.MEDIUM, m.path, unknown, "consent",
                         f"{plural(len(unknown), 'third-party item')} with no consent recorded",
                         "Record `yes` or `no` for each item once you have asked")
        # Item licences: what the release owes to them.
        non_commercial: list[tuple[Item, str]] = []
        for item in third_party:
            resolved = catalog.resolve(item.license) if item.license else None
            if resolved:
                terms = [catalog.info(lid) for lid in catalog.license_ids(resolved)]
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
                     matched="nc:" + ",".join(str(i.row) for i, _ in non_commercial))

    # --- credits ---------------------------------------------------------------

    def _attribution(self, inventory, facts, items: list[Item]) -> Iterator[Finding]:
        from aiart_release.default_plugins.licensing import catalog

        credits_text = _credits_text(inventory, facts).lower()
        needed: dict[str, list[Item]] = defaultdict(list)
        for item in items:
            if own_work(item) or not item.creator:
                continue
            resolved = catalog.resolve(item.license) if item.license else None
            if resolved and any(catalog.info(lid).attribution
                                for lid in catalog.license_ids(resolved)):
                if item.creator.lower() not in credits_text:
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
        from aiart_release.credits import vendored_packages

        for name in vendored_packages(inventory):
            if name.lower() not in credits_text:
                yield _f("attribution.missing", Severity.LOW, ".",
                         f"Vendored code `{name}` is not credited in the card or a CREDITS file",
                         "Credit the authors of the code you build on", artifact="code",
                         matched=f"code:{name}", checkpoint=Checkpoint.MODEL_CODE)


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


def _opt_out(inventory, facts) -> bool:
    if facts.config.contact:
        return True
    return bool(_OPT_OUT.search(_credits_text(inventory, facts)))


def _declared_original(facts) -> bool:
    """The dataset card says it is all original work."""
    for card in facts.cards_of("dataset-card"):
        sources = card.metadata.get("source_datasets")
        values = sources if isinstance(sources, list) else [sources]
        if any(isinstance(v, str) and v.strip().lower() == "original" for v in values):
            return True
    return False


def _sha256(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _site(url: str) -> str:
    match = re.search(r"(?:https?://)?(?:www\.)?([^/\s]+)", url)
    return match.group(1).lower() if match else url


def _folder(files) -> str:
    first = files[0].path
    return first.split("/")[0] + "/" if "/" in first else "."


def _paths(paths: list[str | None]) -> str:
    shown = [p for p in paths if p][:SHOWN]
    more = len([p for p in paths if p]) - len(shown)
    return ", ".join(shown) + (f" (+{more} more)" if more > 0 else "")


def _items(finding_id: str, severity: Severity, path: str, items: list[Item], field: str,
           message: str, remediation: str) -> Finding:
    """A finding about some rows of a manifest: every row listed, and a
    fingerprint made of which rows and which field."""
    return _f(finding_id, severity, path, message, remediation, rows=[i.row for i in items],
              field=field, count=len(items),
              matched=f"{field}:" + ",".join(str(i.row) for i in items))


def _f(finding_id: str, severity: Severity, path: str, message: str, remediation: str, *,
       artifact: str = "dataset", evidence: str | None = None, count: int | None = None,
       rows: list[int] | None = None, field: str | None = None, matched: str | None = None,
       checkpoint: Checkpoint | None = None) -> Finding:
    rows = sorted(set(rows or []))
    location = Location(path=path, field=field,
                        row=rows[0] if len(rows) == 1 else None,
                        rows=tuple(rows) if len(rows) > 1 else None)
    return Finding(
        id=finding_id, severity=severity, message=message, location=location,
        remediation=remediation, evidence=evidence, count=count, artifact=artifact,
        matched=matched, checkpoint=checkpoint or (
            Checkpoint.PUBLISHING if finding_id.startswith("attribution.") else
            Checkpoint.DATASET),
    )
