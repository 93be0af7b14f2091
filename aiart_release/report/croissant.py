"""``export croissant``: a Croissant 1.0 ``metadata.json`` for the bundle's
dataset, with the Responsible AI vocabulary (Croissant RAI 1.0) filled from
the assessment. docs/exports.md maps each assessment field to its Croissant
field; the tests validate the output with mlcroissant.

- ``distribution``: tables, manifests and cards of the dataset as
  ``cr:FileObject`` with their sha256; media files as one ``cr:FileSet`` per
  folder and format (``data/images/*.png``), so that a dataset of a hundred
  thousand images is a few lines, not a hundred thousand. A file that could
  not be hashed (too large, the export's hashing budget spent) is listed as a
  ``cr:FileSet`` of its own path: Croissant requires a digest of a
  ``FileObject``.
- ``recordSet``: one per table whose columns could be read, every column a
  text field.
- ``rai:*``: what the assessment found about collection, personal and
  sensitive information, biases, use, limitations, social impact and
  retention.

Paths and column names are masked as the findings are (a masked name no
longer loads its column: the metadata says what the data holds without
publishing a name); creators and citations are credits, shown in full with
their contact data masked.
"""

from __future__ import annotations

import json
import mimetypes
import re
from collections import defaultdict
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from .. import __version__, license_catalog
from . import NothingToExport, ReportOptions
from .bundle_files import BundleView

if TYPE_CHECKING:
    from ..assessment import Assessment
    from ..bundle import BundleFile
    from ..findings import Finding

CROISSANT = "http://mlcommons.org/croissant/1.0"
CROISSANT_RAI = "http://mlcommons.org/croissant/RAI/1.0"
MEDIA_KINDS = frozenset({"image", "audio", "video"})
# Beyond this many files listed one by one, the rest are listed by folder.
MAX_FILE_OBJECTS = 500
# Findings whose messages describe what the data holds about people.
PERSONAL_PREFIXES = ("pii.", "sensitive.", "consent.")
PERSONAL_IMAGE_FINDINGS = frozenset({"image.faces", "image.gps-location", "image.device-serial",
                                     "image.creator-metadata", "image.text-personal-data"})
COLLECTION_PREFIXES = ("provenance.", "attribution.", "license.")
# The @context of Croissant 1.0, as mlcroissant writes it.
CONTEXT: dict[str, Any] = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "equivalentProperty": "cr:equivalentProperty",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "samplingRate": "cr:samplingRate",
    "sc": "https://schema.org/",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
}
_ID_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def render(assessment: Assessment, options: ReportOptions) -> str:
    """The dataset's Croissant metadata as JSON-LD; raises NothingToExport
    when the bundle holds no dataset."""
    return json.dumps(croissant(assessment, options), indent=2, ensure_ascii=False) + "\n"


def croissant(assessment: Assessment, options: ReportOptions) -> dict[str, Any]:
    view = BundleView(assessment, options.show_pii)
    files = view.files_of("dataset")
    if not files:
        raise NothingToExport("the bundle holds no dataset: no Croissant file written")
    if "dataset" not in assessment.recommendation.artifacts:  # narrowed by --artifact
        raise NothingToExport("the dataset is not among the artifacts asked for: "
                              "no Croissant file written")
    distribution, tables = _distribution(files, view)
    doc: dict[str, Any] = {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "conformsTo": CROISSANT,
        "name": _dataset_name(assessment, view),
        "description": _description(assessment, files),
    }
    licenses = _licenses(assessment)
    if licenses:
        doc["license"] = licenses if len(licenses) > 1 else licenses[0]
    creators = view.creators("dataset")
    if creators:
        doc["creator"] = [{"@type": "sc:Person", "name": name} for name in creators]
    citations = view.citations("dataset")
    if citations:
        doc["citeAs"] = citations[0]
    doc["distribution"] = distribution
    record_sets = _record_sets(tables, view)
    if record_sets:
        doc["recordSet"] = record_sets
    doc.update(rai_fields(assessment, view))
    return doc


# --- distribution -----------------------------------------------------------------


def _distribution(files: list[BundleFile], view: BundleView
                  ) -> tuple[list[dict[str, Any]], list[tuple[BundleFile, str]]]:
    """FileObjects (with their digests) and FileSets; the tables among the
    FileObjects with their ids, for the record sets."""
    objects: list[dict[str, Any]] = []
    tables: list[tuple[BundleFile, str]] = []
    grouped: dict[tuple[str, str, str], int] = defaultdict(int)
    used_ids: set[str] = set()
    for file in files:
        suffix = PurePosixPath(file.path).suffix.lower()
        listed = file.kind not in MEDIA_KINDS and len(objects) < MAX_FILE_OBJECTS
        digest = view.sha256(file) if listed else None
        if digest is None:
            folder = str(PurePosixPath(file.path).parent)
            grouped[(folder, suffix, _mime(file.path))] += 1
            continue
        shown = view.identifier(file.path)
        ident = _unique_id(shown, used_ids)
        objects.append({"@type": "cr:FileObject", "@id": ident, "name": shown,
                        "contentUrl": shown, "contentSize": f"{file.size} B",
                        "encodingFormat": _mime(file.path), "sha256": digest})
        if file.kind == "table":
            tables.append((file, ident))
    sets = []
    for (folder, suffix, mime), count in sorted(grouped.items()):
        pattern = ("" if folder == "." else folder + "/") + "*" + suffix
        shown = view.identifier(pattern)
        sets.append({"@type": "cr:FileSet", "@id": _unique_id(shown, used_ids), "name": shown,
                     "description": f"{count} file(s)", "encodingFormat": mime,
                     "includes": shown})
    return objects + sets, tables


def _mime(path: str) -> str:
    guessed, _ = mimetypes.guess_type(path, strict=False)
    if guessed:
        return guessed
    return {".jsonl": "application/jsonlines", ".parquet": "application/x-parquet",
            ".md": "text/markdown"}.get(PurePosixPath(path).suffix.lower(),
                                        "application/octet-stream")


def _unique_id(text: str, used: set[str]) -> str:
    base = _ID_UNSAFE.sub("_", text).strip("_") or "file"
    ident, n = base, 1
    while ident in used:
        n += 1
        ident = f"{base}_{n}"
    used.add(ident)
    return ident


def _record_sets(tables: list[tuple[BundleFile, str]], view: BundleView) -> list[dict[str, Any]]:
    out = []
    used: set[str] = set()
    for file, file_id in tables:
        columns = view.columns(file)
        if not columns:
            continue
        set_id = _unique_id(PurePosixPath(file_id).stem or file_id, used)
        fields, field_ids = [], set()
        for column in columns:
            shown = view.identifier(column)
            fields.append({
                "@type": "cr:Field", "@id": f"{set_id}/{_unique_id(shown, field_ids)}",
                "name": shown, "dataType": "sc:Text",
                "source": {"fileObject": {"@id": file_id}, "extract": {"column": shown}},
            })
        out.append({"@type": "cr:RecordSet", "@id": set_id, "name": set_id, "field": fields})
    return out


# --- the dataset's description ------------------------------------------------------------


def _dataset_name(assessment: Assessment, view: BundleView) -> str:
    for card in assessment.facts.cards:
        name = card.metadata.get("pretty_name")
        if card.artifact == "dataset" and isinstance(name, str) and name.strip():
            return view.prose(" ".join(name.split()))[:200]
    bundle = PurePosixPath(assessment.bundle_path.replace("\\", "/")).name or "bundle"
    return f"{bundle} dataset"


def _description(assessment: Assessment, files: list[BundleFile]) -> str:
    kinds: dict[str, int] = defaultdict(int)
    for f in files:
        kinds[f.kind] += 1
    composition = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))
    decision = assessment.recommendation.artifacts.get("dataset")
    tier = f" Recommended release: {decision.tier}." if decision else ""
    return (f"The dataset of this release: {len(files)} file(s) ({composition}). Described by "
            f"aiart-release {__version__} from its assessment.{tier}")


def _licenses(assessment: Assessment) -> list[str]:
    """The dataset's licences: an SPDX licence page where the licence is
    one SPDX id, else its canonical id or expression as the catalogue
    resolves it."""
    values = assessment.facts.values
    stated = (values.get("license_of") or {}).get("dataset") or []
    if not stated:
        stated = [c.metadata.get("license") for c in assessment.facts.cards
                  if c.artifact == "dataset" and isinstance(c.metadata.get("license"), str)]
    out = []
    for lic in stated:
        resolved = license_catalog.resolve(lic) if isinstance(lic, str) else None
        if not resolved:
            continue
        out.append(f"https://spdx.org/licenses/{resolved}.html"
                   if re.fullmatch(r"[A-Za-z0-9.+-]+", resolved) else resolved)
    return list(dict.fromkeys(out))


# --- Responsible AI -------------------------------------------------------------------------


def rai_fields(assessment: Assessment, view: BundleView) -> dict[str, Any]:
    """The ``rai:`` properties (Croissant RAI 1.0) from the assessment."""
    facts = assessment.facts.values
    dataset_findings = [f for f in assessment.findings if f.artifact == "dataset"]
    out: dict[str, Any] = {
        # A text where Croissant RAI allows one value, a list where it allows many.
        "rai:dataCollection": _sentences(_collection(facts, dataset_findings)),
        "rai:personalSensitiveInformation": _personal(facts, dataset_findings),
        "rai:dataBiases": _biases(facts),
        "rai:dataUseCases": _use_cases(assessment),
        "rai:dataLimitations": _limitations(assessment, view),
        "rai:dataSocialImpact": _sentences(_social_impact(assessment)),
    }
    collection_types = _collection_types(facts)
    if collection_types:
        out["rai:dataCollectionType"] = collection_types
    decision = assessment.recommendation.artifacts.get("dataset")
    if decision:
        retention = ("kept indefinitely" if decision.retention == "indefinite"
                     else f"kept for {decision.retention} (ISO 8601)")
        plan = f"Raw data {retention}: {decision.retention_reason}".strip().rstrip(":")
        out["rai:dataReleaseMaintenancePlan"] = _sentences([plan, *decision.to_lower])
    return out


def _sentences(lines: list[str]) -> str:
    """Lines as one text (a property Croissant RAI allows once), each
    ending with a full stop."""
    return " ".join(line if line.endswith((".", "!", "?")) else line + "." for line in lines
                    if line)


def _finding_line(f: Finding) -> str:
    where = f" ({f.location.path})" if f.location.path and f.location.path != "." else ""
    return f"{f.id} [{f.severity.value}]: {f.message}{where}"


def _collection(facts, findings: list[Finding]) -> list[str]:
    lines = []
    if facts.get("scraped"):
        lines.append("Code in the release collects works from websites (scraping).")
    items = facts.get("manifest_items")
    if items:
        lines.append(f"A sources manifest lists {items} item(s): "
                     f"{facts.get('third_party_items') or 0} by third parties, "
                     f"{facts.get('consent_unknown') or 0} with no consent recorded.")
    sources = [str(s) for s in (facts.get("source_datasets") or []) + (facts.get("datasets") or [])]
    if sources:
        lines.append("Built on the datasets: " + ", ".join(dict.fromkeys(sources)) + ".")
    if facts.get("generated_images"):
        lines.append("Some images hold generation parameters: they are AI-generated.")
    lines.extend(_finding_line(f) for f in findings if f.id.startswith(COLLECTION_PREFIXES))
    return lines or ["No sources manifest or collection record was found in the bundle."]


def _collection_types(facts) -> list[str]:
    types = []
    if facts.get("scraped"):
        types.append("Web Scraping")
    if facts.get("source_datasets") or facts.get("datasets"):
        types.append("Secondary Data Analysis")
    return types


def _personal(facts, findings: list[Finding]) -> list[str]:
    lines = [_finding_line(f) for f in findings if f.id.startswith(PERSONAL_PREFIXES)
             or f.id in PERSONAL_IMAGE_FINDINGS]
    flags = {
        "special_category_data": "Special-category data (GDPR Art. 9) tied to people.",
        "minors": "The data is about children.",
        "source_people_no_consent": "A source dataset holds photographs of people who did not "
                                    "consent.",
    }
    lines.extend(text for name, text in flags.items() if facts.get(name))
    counts = {
        "people_identifiable": "identifying item(s) (names, addresses, handles, ids, faces)",
        "images_with_faces": "image(s) show a face",
        "geotagged_images": "image(s) hold a GPS position",
    }
    lines.extend(f"{facts[name]} {text}." for name, text in counts.items() if facts.get(name))
    return lines or [f"None found by aiart-release {__version__} (personal data, special "
                     "categories, faces, locations)."]


def _biases(facts) -> list[str]:
    lines = ["Representational bias was not measured by aiart-release; describe the "
             "dataset's composition and who is missing from it in the dataset card."]
    if facts.get("near_duplicate_images"):
        lines.append(f"{facts['near_duplicate_images']} training image(s) have a near-duplicate "
                     "in the set: they weigh more in training.")
    if facts.get("known_source_datasets"):
        lines.append("Known source datasets with documented issues: "
                     + ", ".join(map(str, facts["known_source_datasets"])) + ".")
    return lines


def _use_cases(assessment: Assessment) -> list[str]:
    decision = assessment.recommendation.artifacts.get("dataset")
    lines = []
    if decision:
        lines.append(f"Recommended release of the dataset: {decision.tier}.")
        lines.extend(decision.reasons)
    declared = (assessment.facts.values.get("release") or {}).get("dataset")
    if declared:
        lines.append(f"Declared release: {declared}.")
    if assessment.facts.values.get("commercial") is not None:
        lines.append("Commercial use: " + ("intended." if assessment.facts.values["commercial"]
                                           else "not intended."))
    lines.extend(f"Not for: {s.get('title') or s.get('id')}." for s in assessment.scenarios)
    return lines


def _limitations(assessment: Assessment, view: BundleView) -> list[str]:
    lines = [_finding_line(f) for f in assessment.findings
             if f.id.startswith(("bundle.", "plugin.")) and f.artifact in ("dataset", None, "")]
    skipped = sum(1 for f in view.files_of("dataset") if not f.readable)
    if skipped:
        lines.append(f"{skipped} dataset file(s) were not read (too large or unreadable).")
    if view.unhashed:
        lines.append(f"{view.unhashed} file(s) are listed without a digest (too large to hash "
                     "within the export's budget).")
    lines.append("Not checked: representational bias, the accuracy of captions and labels, "
                 "and consent not recorded in the bundle.")
    return lines


def _social_impact(assessment: Assessment) -> list[str]:
    lines = []
    for s in assessment.scenarios:
        harm = (s.get("scenario") or {}).get("harm") if isinstance(s.get("scenario"), dict) else ""
        mitigations = "; ".join(s.get("mitigations") or [])
        lines.append(f"{s.get('title') or s.get('id')} (likelihood {s.get('likelihood')}, "
                     f"impact {s.get('impact')}): {harm or 'see the assessment'}."
                     + (f" Mitigations: {mitigations}." if mitigations else ""))
    return lines or ["No misuse scenario was raised by the assessment."]
