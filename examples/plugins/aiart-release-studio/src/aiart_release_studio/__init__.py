"""A small studio's house rules, as an aiart-release plugin.

Registered through the ``aiart_release`` entry-point group in this
package's pyproject.toml; nothing in aiart-release names it.
"""

from __future__ import annotations

import zipfile
from importlib import resources

from aiart_release import hookimpl
from aiart_release.checks import Check
from aiart_release.findings import Checkpoint, Finding, Location, Severity

# Layered working formats and the bytes they start with.
LAYERED = {
    ".psd": b"8BPS",
    ".psb": b"8BPS",
    ".xcf": b"gimp xcf",
    ".kra": b"PK",  # a zip holding mimetype application/x-krita
    ".ora": b"PK",  # OpenRaster, also a zip
    ".clip": b"CSFCHUNK",
    ".procreate": b"PK",
}


@hookimpl
def aiart_release_classify_file(file):
    # aiart-release does not know .kra, .xcf, .clip or .procreate; they are images.
    if file.suffix in LAYERED:
        return "image"
    return None


def _layer_count_psd(head: bytes) -> int | None:
    """Photoshop stores no cheap layer count in its header; report the channels."""
    if len(head) >= 14 and head.startswith(b"8BPS"):
        return int.from_bytes(head[12:14], "big")
    return None


class WorkingFiles(Check):
    """Layered working files (PSD, KRA, XCF...) left in a release.

    Risk: hidden or disabled layers keep what the flattened image does not
    show: reference photos of real people, client material, earlier drafts.
    Example: ``data/images/poster.psd``. Reference:
    https://www.adobe.com/devnet-apps/photoshop/fileformatashtml/
    """

    id = "studio-working-files"
    checkpoint = Checkpoint.PUBLISHING
    description = "Layered working files (PSD, KRA, XCF, CLIP) left in the release"
    kinds = frozenset({"image"})
    findings = {"image.layered-source": "A layered working file whose hidden layers may leak"}

    def scan_file(self, file, ctx):
        magic = LAYERED.get(file.suffix)
        if magic is None:
            return
        with open(file.abspath, "rb") as handle:
            head = handle.read(64)
        if not head.startswith(magic):
            return  # named like one, but it is not: nothing to say
        if magic == b"PK" and file.suffix == ".kra":
            try:
                with zipfile.ZipFile(file.abspath) as archive:
                    if archive.read("mimetype") != b"application/x-krita":
                        return
            except (zipfile.BadZipFile, KeyError, OSError):
                return
        detail = ""
        channels = _layer_count_psd(head)
        if channels:
            detail = f" ({channels} channels)"
        yield Finding(
            id="image.layered-source",
            severity=Severity.MEDIUM,
            message=f"Layered working file{detail}: hidden layers may hold material "
                    "the flattened image does not show",
            location=Location(path=file.path),
            remediation="Release a flattened PNG or JPEG export instead of the working file",
            confidence=0.9,
        )


@hookimpl
def aiart_release_register_checks(register):
    register(WorkingFiles())


# Client code names under NDA: never to appear in a release.
CODENAMES = ["Project Nightjar", "Bluebell Campaign", "Operation Lantern"]


def client_codenames():
    """A Presidio recognizer for the studio's client code names (imported
    here, when the personal-data check runs, not when the plugin loads)."""
    from presidio_analyzer import PatternRecognizer

    return PatternRecognizer(supported_entity="CLIENT_CODENAME", deny_list=CODENAMES,
                             name="StudioClientCodenames")


@hookimpl
def aiart_release_register_recognizers(register):
    register(client_codenames)


@hookimpl
def aiart_release_register_rules(register):
    register(resources.files("aiart_release_studio").joinpath("rules", "studio.yaml"))
