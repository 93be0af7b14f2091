"""Content credentials: which sample and output images say they are AI-generated.

Field guide, publishing checkpoint: is synthetic media disclosed as such?
Two declarations are read, offline: a C2PA manifest (the ``digitalSourceType``
of its ``c2pa.actions``), validated by c2pa-python with OCSP, remote
manifests and the trust list off; and the IPTC ``DigitalSourceType`` in XMP
(``Iptc4xmpExt:DigitalSourceType``, e.g. ``.../trainedAlgorithmicMedia``).

Example: ``samples/cat_01.png`` whose PNG holds an A1111 ``parameters`` chunk
but neither declaration gets ``image.no-ai-disclosure`` (medium: it is known
to be generated); ``outputs/grid.jpg`` with neither gets it at low. An image
whose C2PA manifest fails validation gets ``image.content-credentials-invalid``
and its declaration is not trusted.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from aiart_release.checks import Check
from aiart_release.facts import Fact
from aiart_release.findings import Checkpoint, Finding, Location, Severity

# Folders whose images are the project's own outputs, shown or shipped.
OUTPUT_DIRS = frozenset({"samples", "sample", "outputs", "output", "generated", "generations",
                         "gallery", "examples-out"})


def is_output_path(path: str) -> bool:
    """Below a folder named like samples, outputs or generated."""
    return any(part.lower() in OUTPUT_DIRS for part in PurePosixPath(path).parts[:-1])


class ContentCredentials(Check):
    id = "media-credentials"
    checkpoint = Checkpoint.PUBLISHING
    description = "Content credentials: C2PA manifests and IPTC DigitalSourceType on sample " \
                  "and output images"
    kinds = frozenset({"image"})
    version = "1"
    findings = {
        "image.no-ai-disclosure": "A sample or output image does not declare itself "
                                  "AI-generated (no C2PA manifest or IPTC DigitalSourceType)",
        "image.ai-disclosed": "An image declares itself AI-generated (C2PA or IPTC "
                              "DigitalSourceType)",
        "image.content-credentials-invalid": "An image's C2PA manifest fails validation",
        "image.content-credentials-remote": "An image's C2PA manifest is on the web (never "
                                            "fetched): its claims are not checked",
        "bundle.unreadable": "An image that could not be read",
    }
    provides = {
        "ai_disclosed_images": Fact(int, "how many images declare themselves AI-generated "
                                         "(a valid C2PA manifest or IPTC DigitalSourceType)"),
        "undisclosed_outputs": Fact(int, "how many sample and output images do not declare "
                                         "themselves AI-generated"),
    }

    def scan_file(self, file, ctx):
        from aiart_release.readers.media import FORMATS, UnreadableImage, read_metadata

        if file.suffix not in FORMATS or file.size == 0:
            return []  # the media check reports empty and unknown images
        try:
            meta = read_metadata(file.abspath, file.suffix)
        except UnreadableImage:
            return []  # reported once, by the media check
        return list(_disclosure_findings(file, meta))

    def facts(self, findings):
        ours = [f for f in findings if f.check in ("", self.id)]
        return {
            "ai_disclosed_images": sum(1 for f in ours if f.id == "image.ai-disclosed"),
            "undisclosed_outputs": sum(1 for f in ours if f.id == "image.no-ai-disclosure"),
        }


def _disclosure_findings(file, meta):
    from aiart_release.readers.media import declares_ai, read_credentials, source_type_name

    credentials = read_credentials(file.abspath, meta.format)
    declared: list[str] = []
    if credentials.state == "Remote":
        yield _finding(
            "image.content-credentials-remote", Severity.INFO, file,
            "The image's C2PA manifest is stored on the web, not in the file; it is not "
            f"fetched offline, so its claims are not checked ({'; '.join(credentials.errors)})",
            "Embed the manifest in the released file (sign without --no-embed) so that "
            "readers offline can check it")
    elif credentials.state is not None and not credentials.valid:
        yield _finding(
            "image.content-credentials-invalid", Severity.MEDIUM, file,
            f"C2PA manifest fails validation ({credentials.state}): "
            f"{'; '.join(credentials.errors) or 'no reason given'}; its claims are not trusted",
            "Re-sign the image with a valid manifest (c2patool, c2pa-python) after the last "
            "edit, or remove the broken manifest",
            evidence=credentials.generator or None)
    elif credentials.valid and declares_ai(credentials.source_types):
        declared.append("C2PA " + ", ".join(source_type_name(t) for t in
                                             credentials.source_types))
    xmp = [e.value for e in meta.source_types]
    if declares_ai(xmp):
        declared.append("IPTC DigitalSourceType " + ", ".join(source_type_name(t) for t in xmp))
    if declared:
        yield _finding(
            "image.ai-disclosed", Severity.INFO, file,
            f"Declares itself AI-generated: {'; '.join(declared)}",
            "Nothing to do: keep the declaration when the image is re-exported")
        return
    generated = bool(meta.generation)
    if not (generated or is_output_path(file.path)):
        return
    why = "holds generation parameters" if generated else "is in a samples/outputs folder"
    yield _finding(
        "image.no-ai-disclosure", Severity.MEDIUM if generated else Severity.LOW, file,
        f"The image {why} but does not declare itself AI-generated (no valid C2PA manifest, "
        "no IPTC DigitalSourceType)",
        "Declare it: sign a C2PA manifest whose c2pa.created action has digitalSourceType "
        "trainedAlgorithmicMedia, or write the IPTC field (`exiftool "
        "-XMP-iptcExt:DigitalSourceType=http://cv.iptc.org/newscodes/digitalsourcetype/"
        "trainedAlgorithmicMedia FILE`)")


def _finding(finding_id, severity, file, message, remediation, *, evidence=None):
    return Finding(id=finding_id, severity=severity, message=message,
                   location=Location(path=file.path), remediation=remediation,
                   evidence=evidence, context="metadata", checkpoint=Checkpoint.PUBLISHING)
