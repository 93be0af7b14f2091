"""Is there a licence for each artifact at all?

Field guide, model-code and publishing checkpoints: "under which licence?"
Without one, nobody may lawfully reuse the work and users cannot tell what
they may do with it. Which licence, and whether the licences agree, is the
licence-identification check's job; this one only asks that one exists.

A licence covers an artifact when a licence file (``LICENSE*``, ``COPYING*``,
``LICENSES/``) sits at the bundle root or in a folder that holds the
artifact's files, when a README there names one in its licence section
("## License" then "MIT") or says the work "is released under" one, when
the artifact's card names one in its ``license`` metadata, or, for code,
when ``pyproject.toml`` declares one or source files carry
``SPDX-License-Identifier`` headers.

It is a plugin of its own (``license-presence``), kept beside the licensing
check because both read licences the same way (:mod:`.sources`, :mod:`.readme`).

Example: a bundle with ``model/lora.safetensors`` and ``model/README.md``
(no ``license:``) and no LICENSE file gets ``docs.license-missing`` for the
model, and the default policy holds the model at ``gated``.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from aiart_release import hookimpl
from aiart_release.checks import Check
from aiart_release.facts import pyproject_project
from aiart_release.findings import (
    CHECKPOINT_OF_ARTIFACT,
    Checkpoint,
    Finding,
    Location,
    Severity,
    plural,
)

# The licence readers (.sources, .readme, aiart_release.spdx) are imported
# when there is a licence file, a README or code to read: a bundle of data
# alone (the pre-commit hook on one caption) imports none of them.

_PLACEHOLDER_LICENSES = {"", "todo", "tbd", "none", "?", "???"}


def _common_dir(paths: list[str]) -> str:
    split = [PurePosixPath(p).parts[:-1] for p in paths]
    common: list[str] = []
    for level in zip(*split, strict=False):
        if len(set(level)) != 1:
            break
        common.append(level[0])
    return "/".join(common) + "/" if common else "."


class LicensePresence(Check):
    id = "license-presence"
    # 2: licence statements scoped by the artifact they name.
    version = "2"
    # Reads file names and the licences the core found: no file.
    bundle_reads = frozenset()
    # Reads only the bundle, its facts and its settings (docs/plugins.md).
    bundle_cacheable = True
    checkpoint = Checkpoint.PUBLISHING
    covers = frozenset({Checkpoint.DATASET, Checkpoint.MODEL_CODE, Checkpoint.PUBLISHING})
    description = "Each released artifact (model, code, dataset) is covered by a licence"
    findings = {
        "docs.license-missing": "No licence file, card `license` or SPDX header covers an artifact",
    }

    def scan_bundle(self, ctx):
        inventory = ctx.inventory
        license_dirs = _license_dirs(inventory)
        empty = [f.path for f in inventory.of_kind("license") if f.size == 0]
        for artifact in inventory.artifacts_present():
            files = inventory.of_artifact(artifact)
            if self._card_declares(ctx.facts, artifact):
                continue
            if artifact == "code" and self._project_declares(inventory):
                continue
            # Every file needs a licence: a vendored library's LICENSE covers
            # that library, not the studio's own code beside it.
            uncovered = [f for f in files
                         if not _covered(f.path, license_dirs) and not _spdx_header(f)]
            if not uncovered:
                continue
            where = _common_dir([f.path for f in uncovered])
            extra = f" ({', '.join(empty)} is empty)" if empty else ""
            if len(uncovered) == len(files):
                what = f"the {artifact} ({plural(len(files), 'file')})"
            else:
                what = f"{len(uncovered)} of {len(files)} {artifact} files"
            yield Finding(
                id="docs.license-missing",
                severity=Severity.HIGH,
                message=f"No licence covers {what}{extra}",
                location=Location(path=where),
                evidence=", ".join(f.path for f in uncovered[:3])
                + (f", +{len(uncovered) - 3} more" if len(uncovered) > 3 else ""),
                remediation=(
                    "Add a LICENSE file with the licence text, and name the licence in the "
                    "card's `license` field (an SPDX id such as cc-by-4.0, or `other` with "
                    "license_name and license_link)"
                ),
                artifact=artifact,
                checkpoint=CHECKPOINT_OF_ARTIFACT[artifact],
                references=("https://huggingface.co/docs/hub/repositories-licenses",),
            )

    @staticmethod
    def _card_declares(facts, artifact: str) -> bool:
        kind = {"model": "model-card", "dataset": "dataset-card"}.get(artifact)
        if kind is None:
            return False
        for card in facts.cards_of(kind):
            value = card.metadata.get("license")
            values = value if isinstance(value, list) else [value]
            if any(isinstance(v, str) and v.strip().lower() not in _PLACEHOLDER_LICENSES
                   for v in values):
                return True
        return False

    @staticmethod
    def _project_declares(inventory) -> bool:
        project = pyproject_project(inventory)
        return bool(project.get("license")) or any(
            "License ::" in c for c in project.get("classifiers", [])
        )


def _license_dirs(inventory) -> list[str]:
    """The folders a licence file, or a README naming a licence, covers."""
    # An empty, binary or unreadable licence file licenses nothing.
    files = [f for f in inventory.of_kind("license") if f.size > 0 and f.readable]
    if not files and not any(f.name.lower().startswith("readme") for f in inventory.files):
        return []
    from .sources import covering_dir

    return [covering_dir(f.path) for f in files] + _readme_dirs(inventory)


def _covered(path: str, license_dirs: list[str]) -> bool:
    if not license_dirs:
        return False
    from .sources import covers

    return any(covers(folder, path) for folder in license_dirs)


def _spdx_header(file) -> bool:
    if file.kind != "code":
        return False
    from aiart_release.spdx import has_spdx_identifier

    return has_spdx_identifier(file.head)


def _readme_dirs(inventory) -> list[str]:
    """The folders whose README names the licence of what is in them."""
    from .readme import readme_licenses
    from .sources import known_paths

    return [f.directory for f, found in readme_licenses(inventory, known_paths(inventory))
            if any(p.license and p.role == "main" for p in found)]


@hookimpl
def aiart_release_register_checks(register):
    register(LicensePresence())
