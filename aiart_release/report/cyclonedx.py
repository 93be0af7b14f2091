"""``export cyclonedx``: a CycloneDX 1.6 ML-BOM (JSON) of the release, built
with cyclonedx-python-lib. docs/exports.md maps each assessment field to its
CycloneDX field; the tests validate the output with the library's JSON
schema validator (strict, 1.6).

- the model: a ``machine-learning-model`` component, its weights files as
  ``file`` components with their sha256, and its ``modelCard`` from the
  cards' metadata and the assessment (tier, misuse scenarios, limitations);
- the datasets: the bundle's own as a ``data`` component with what the
  assessment found in it (``sensitiveData``, ``classification``), and the
  datasets the cards name as ``data`` components with a link;
- code dependencies: ``library`` components from the bundle's
  ``requirements*.txt`` and ``pyproject.toml`` (read as text within limits,
  never executed), with a ``pkg:pypi`` purl, pinned versions kept;
- licences: the licensing check's ``license_of`` per artifact as SPDX
  expressions.

The library (11.x) has no classes for ``modelCard`` and component ``data``
yet: they are added to its JSON output here and the whole document is
validated against the 1.6 schema in the tests.
"""

from __future__ import annotations

import json
import re
import warnings
from typing import TYPE_CHECKING, Any
from uuid import NAMESPACE_URL, uuid5

from .. import __version__, license_catalog
from . import ReportOptions
from .bundle_files import BundleView
from .croissant import PERSONAL_IMAGE_FINDINGS, PERSONAL_PREFIXES

if TYPE_CHECKING:
    from ..assessment import Assessment
    from ..bundle import BundleFile

# Requirements files read, and how much of each: a dependency list is short.
MAX_REQUIREMENTS_BYTES = 256 * 1024
MAX_DEPENDENCIES = 2000
_REQUIREMENTS = re.compile(r"(?:^|/)requirements[\w.-]*\.(?:txt|in)$", re.I)
# PEP 508: a name, optional extras; linear (bounded repetitions).
_REQUIREMENT = re.compile(r"([A-Za-z0-9](?:[A-Za-z0-9._-]{0,200}[A-Za-z0-9])?)\s*"
                          r"(?:\[[^\]]{0,500}\])?\s*(?=$|[;@(<>=!~,\s])")
_VERSION = re.compile(r"[A-Za-z0-9.+!_-]{1,100}")
_TASK_FORMATS = {"image": "image", "audio": "audio", "video": "video", "text": "text",
                 "3d": "3d"}


def render(assessment: Assessment, options: ReportOptions) -> str:
    """The release as a CycloneDX 1.6 JSON ML-BOM."""
    return json.dumps(ml_bom(assessment, options), indent=2, ensure_ascii=False) + "\n"


def ml_bom(assessment: Assessment, options: ReportOptions) -> dict[str, Any]:
    from cyclonedx.model.bom import Bom
    from cyclonedx.model.component import Component, ComponentType
    from cyclonedx.output.json import JsonV1Dot6

    view = BundleView(assessment, options.show_pii)
    bom = Bom()
    # Stable across runs of the same bundle and version: a diff shows changes.
    bom.serial_number = uuid5(NAMESPACE_URL, f"aiart-release:{assessment.bundle_path}:"
                                             f"{__version__}")
    bom.metadata.tools.components.add(Component(
        type=ComponentType.APPLICATION, name="aiart-release", version=__version__))
    # The artifacts asked for (``export --artifact`` narrows the recommendation).
    present = [a for a in assessment.inventory.artifacts_present()
               if a in assessment.recommendation.artifacts]
    model = _model_component(assessment, view) if "model" in present else None
    own_data = _own_dataset(assessment, view) if "dataset" in present else None
    named_data = [_named_dataset(name) for name in _named_datasets(assessment)]
    libraries = _libraries(assessment)
    code = _code_component(assessment) if "code" in present else None
    root = model or code or own_data or Component(type=ComponentType.APPLICATION,
                                                  name=_bundle_name(assessment))
    bom.metadata.component = root
    for component in (model, code, own_data, *named_data, *libraries):
        if component is not None and component is not root:
            bom.components.add(component)
    if model is not None:
        bom.register_dependency(model, [c for c in (own_data, *named_data) if c is not None])
    if code is not None and libraries:
        bom.register_dependency(code, libraries)
    with warnings.catch_warnings():
        # A root with no dependency (a bundle of code with no requirements)
        # is complete as it is: the library's warning would reach the user.
        warnings.simplefilter("ignore", UserWarning)
        document = json.loads(JsonV1Dot6(bom).output_as_string())
    _add_ml_fields(document, assessment, view, model, own_data, named_data)
    return document


# --- components ------------------------------------------------------------------------


def _bundle_name(assessment: Assessment) -> str:
    return assessment.bundle_path.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1] or "bundle"


def _licenses(assessment: Assessment, artifact: str):
    """The artifact's stated licences as one SPDX expression (all of them
    apply: joined with AND); none when none can be named."""
    from cyclonedx.model.license import LicenseExpression

    stated = (assessment.facts.values.get("license_of") or {}).get(artifact) or []
    resolved = [license_catalog.resolve(s) for s in stated if isinstance(s, str)]
    parts = list(dict.fromkeys(r for r in resolved if r))
    if not parts:
        return []
    joined = " AND ".join(f"({p})" if " " in p else p for p in parts)
    return [LicenseExpression(joined)]


def _hash(view: BundleView, file: BundleFile):
    from cyclonedx.model import HashAlgorithm, HashType

    digest = view.sha256(file)
    return [HashType(alg=HashAlgorithm.SHA_256, content=digest)] if digest else []


def _model_component(assessment: Assessment, view: BundleView):
    from cyclonedx.model.component import Component, ComponentType

    files = [f for f in view.files_of("model") if f.kind == "model-weights"]
    parts = [Component(type=ComponentType.FILE, name=view.identifier(f.path),
                       bom_ref=f"model-file:{view.identifier(f.path)}", hashes=_hash(view, f))
             for f in files]
    card = _card(assessment, "model")
    name = (card.get("model_name") if isinstance(card.get("model_name"), str) else None) \
        or _bundle_name(assessment)
    return Component(
        type=ComponentType.MACHINE_LEARNING_MODEL, name=view.prose(name)[:200],
        bom_ref="model", licenses=_licenses(assessment, "model"),
        hashes=parts[0].hashes if len(parts) == 1 else None,
        components=parts, properties=_decision_properties(assessment, "model"),
    )


def _code_component(assessment: Assessment):
    from cyclonedx.model.component import Component, ComponentType

    return Component(type=ComponentType.APPLICATION, name=f"{_bundle_name(assessment)} code",
                     bom_ref="code", licenses=_licenses(assessment, "code"),
                     properties=_decision_properties(assessment, "code"))


def _own_dataset(assessment: Assessment, view: BundleView):
    from cyclonedx.model.component import Component, ComponentType

    return Component(type=ComponentType.DATA, name=f"{_bundle_name(assessment)} dataset",
                     bom_ref="dataset", licenses=_licenses(assessment, "dataset"),
                     properties=_decision_properties(assessment, "dataset"))


def _named_datasets(assessment: Assessment) -> list[str]:
    values = assessment.facts.values
    names = [*(values.get("datasets") or []), *(values.get("source_datasets") or [])]
    return list(dict.fromkeys(str(n) for n in names if str(n).strip()))[:100]


def _named_dataset(name: str):
    from cyclonedx.model import ExternalReference, ExternalReferenceType, XsUri
    from cyclonedx.model.component import Component, ComponentType

    refs = []
    if re.fullmatch(r"[\w.-]+(?:/[\w.-]+)?", name):
        refs.append(ExternalReference(type=ExternalReferenceType.DISTRIBUTION,
                                      url=XsUri(f"https://huggingface.co/datasets/{name}")))
    return Component(type=ComponentType.DATA, name=name, bom_ref=f"named-dataset:{name}",
                     external_references=refs)


def _decision_properties(assessment: Assessment, artifact: str):
    from cyclonedx.model import Property

    decision = assessment.recommendation.artifacts.get(artifact)
    if decision is None:
        return []
    return [Property(name="aiart-release:tier", value=decision.tier),
            Property(name="aiart-release:retention", value=decision.retention)]


def _card(assessment: Assessment, artifact: str) -> dict[str, Any]:
    for card in assessment.facts.cards:
        if card.artifact == artifact and card.metadata:
            return card.metadata
    return {}


# --- code dependencies ---------------------------------------------------------------------


def _libraries(assessment: Assessment):
    """A ``library`` component per requirement the bundle states, once."""
    from cyclonedx.model.component import Component, ComponentType
    from packageurl import PackageURL

    found: dict[str, str | None] = {}
    for requirement in _requirement_lines(assessment):
        name, version = _parse_requirement(requirement)
        if name and name.lower() not in found:
            found[name.lower()] = version
        if len(found) >= MAX_DEPENDENCIES:
            break
    return [Component(type=ComponentType.LIBRARY, name=name, version=version,
                      bom_ref=f"pypi:{name}",
                      purl=PackageURL(type="pypi", name=name, version=version))
            for name, version in sorted(found.items())]


def _requirement_lines(assessment: Assessment) -> list[str]:
    from ..facts import pyproject_project
    from ..readers.text import TextUnreadable, read_text

    lines: list[str] = []
    for file in assessment.inventory.files:
        if not (_REQUIREMENTS.search(file.path) and file.readable):
            continue
        try:
            text, _ = read_text(file.abspath, MAX_REQUIREMENTS_BYTES)
        except TextUnreadable:
            continue
        lines.extend(line.split(" #", 1)[0].strip() for line in text.splitlines())
    project = pyproject_project(assessment.inventory)
    dependencies = project.get("dependencies")
    if isinstance(dependencies, list):
        lines.extend(d for d in dependencies if isinstance(d, str))
    return lines


def _parse_requirement(line: str) -> tuple[str | None, str | None]:
    """The distribution name and the pinned version (a lone ``==``) of one
    PEP 508 requirement; nothing for options (``-r``, ``--index-url``) and
    lines that are not requirements. A URL (``name @ https://…``) is never
    copied: it may hold a token."""
    line = line.strip()
    if not line or line.startswith(("#", "-")) or len(line) > 1000:
        return None, None
    match = _REQUIREMENT.match(line)
    if match is None:
        return None, None
    name, rest = match.group(1), line[match.end():].split(";", 1)[0].strip()
    if rest.startswith("@"):
        return name, None
    specifiers = [s.strip() for s in rest.strip("()").split(",") if s.strip()]
    if len(specifiers) == 1 and specifiers[0].startswith("==") and "*" not in specifiers[0]:
        version = specifiers[0].lstrip("=").strip()
        if _VERSION.fullmatch(version):
            return name, version
    return name, None


# --- the ML fields the library does not model yet --------------------------------------------


def _add_ml_fields(document: dict[str, Any], assessment: Assessment, view: BundleView,
                   model, own_data, named_data) -> None:
    components = [document["metadata"].get("component"), *document.get("components", [])]
    by_ref = {c.get("bom-ref"): c for c in components if c}
    if model is not None:
        data_refs = [c.bom_ref.value for c in (own_data, *named_data) if c is not None]
        by_ref["model"]["modelCard"] = model_card(assessment, data_refs)
    if own_data is not None:
        by_ref["dataset"]["data"] = [dataset_data(assessment, view)]
    for component in named_data:
        ref = component.bom_ref.value
        by_ref[ref]["data"] = [{"type": "dataset", "name": component.name,
                                "description": "A dataset the cards name (not in the bundle)."}]


def model_card(assessment: Assessment, data_refs: list[str]) -> dict[str, Any]:
    """CycloneDX ``modelCard`` from the cards' metadata and the assessment."""
    facts = assessment.facts.values
    card = _card(assessment, "model")
    parameters: dict[str, Any] = {}
    tasks = [str(t) for t in facts.get("pipeline_tag") or []]
    if tasks:
        parameters["task"] = tasks[0]
    base = [str(b) for b in facts.get("base_model") or []]
    if base:
        parameters["modelArchitecture"] = base[0]
    library = [str(lib) for lib in facts.get("library_name") or []]
    if library:
        parameters["architectureFamily"] = library[0]
    if data_refs:
        parameters["datasets"] = [{"ref": ref} for ref in data_refs]
    outputs = [{"format": _TASK_FORMATS[m]} for m in facts.get("modality") or []
               if m in _TASK_FORMATS]
    if outputs:
        parameters["outputs"] = outputs
    out: dict[str, Any] = {"bom-ref": "model-card"}
    if parameters:
        out["modelParameters"] = parameters
    metrics = [{"type": name, "value": str(facts[name])}
               for name in ("near_copies", "text_overlaps") if facts.get(name) is not None]
    if metrics:
        out["quantitativeAnalysis"] = {"performanceMetrics": metrics}
    out["considerations"] = _considerations(assessment, card)
    return out


def _considerations(assessment: Assessment, card: dict[str, Any]) -> dict[str, Any]:
    decision = assessment.recommendation.artifacts.get("model")
    use = []
    if decision:
        use.append(f"Recommended release of the model: {decision.tier} "
                   f"(retention {decision.retention}).")
        use.extend(decision.reasons)
    limitations = [f"{f.id}: {f.message}" for f in assessment.findings
                   if f.id.startswith(("bundle.", "plugin.")) and f.artifact in ("model", None, "")]
    limitations.append("Not checked: output quality, representational bias, and the licences "
                       "of code dependencies.")
    ethical = [{"name": f"{s.get('title') or s.get('id')} (likelihood {s.get('likelihood')}, "
                        f"impact {s.get('impact')})",
                "mitigationStrategy": "; ".join(s.get("mitigations") or []) or "none stated"}
               for s in assessment.scenarios]
    out: dict[str, Any] = {"useCases": use or ["No recommendation was made."],
                           "technicalLimitations": limitations}
    if ethical:
        out["ethicalConsiderations"] = ethical
    facts = assessment.facts.values
    environment = [{"name": f"aiart-release:{name}", "value": str(facts[name])}
                   for name in ("training_energy_kwh", "training_emissions_kg")
                   if facts.get(name) is not None]
    if environment:
        out["environmentalConsiderations"] = {"properties": environment}
    return out


def dataset_data(assessment: Assessment, view: BundleView) -> dict[str, Any]:
    """CycloneDX ``componentData`` for the bundle's dataset."""
    files = view.files_of("dataset")
    sensitive = [f"{f.id}: {f.message}" for f in assessment.findings
                 if f.artifact == "dataset" and (f.id.startswith(PERSONAL_PREFIXES)
                                                 or f.id in PERSONAL_IMAGE_FINDINGS)]
    decision = assessment.recommendation.artifacts.get("dataset")
    out: dict[str, Any] = {
        "type": "dataset",
        "name": f"{_bundle_name(assessment)} dataset",
        "description": f"{len(files)} file(s) in the release bundle.",
        "contents": {"properties": [{"name": "aiart-release:files", "value": str(len(files))}]},
    }
    if decision and decision.data_classes:
        out["classification"] = ", ".join(decision.data_classes)
    if sensitive:
        out["sensitiveData"] = sensitive
    return out
