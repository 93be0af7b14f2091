"""Image metadata: location, devices, creators, prompts, editing, thumbnails.

Field guide, dataset checkpoint: do the people in a dataset know they are
in it, and does the dataset say more about them than the pictures show? A
photo's EXIF can hold where it was taken (to the metre), the serial number
of the camera that took it, its owner's name; a generated PNG can hold the
whole prompt, names and addresses included; an embedded thumbnail can still show
what was cropped or painted out of the picture.

Example: ``data/img_0412.jpg`` with EXIF GPS and ``Artist: Jane Doe`` gets
``image.gps-location`` (high; the message gives the place to about 10 km,
never the coordinates) and ``image.creator-metadata`` (low, ``J*** D**``).

The reader (``aiart_release.readers.media``) decodes no pixels, except an
embedded thumbnail and a reduced copy of its image when there is one. Dataset
images and sample outputs are also decoded once, reduced to 640 pixels, to
count faces (``faces.py``): ``image.faces``, and the fact
``people_identifiable`` that the consent lines of the policy read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiart_release.checks import Check
from aiart_release.facts import Fact
from aiart_release.findings import Checkpoint, Finding, Location, Severity, plural
from aiart_release.masking import mask, redact

if TYPE_CHECKING:  # the reader (and Pillow) load when an image is read, not with the plugin
    from aiart_release.readers.media import Entry, ImageMetadata

_SHOWN = 3  # masked examples in a finding's evidence
_STRIP = ("Strip the metadata before release (`exiftool -all= FILE`, or re-save the image "
          "without EXIF/XMP/IPTC)")


class MediaMetadata(Check):
    id = "media"
    checkpoint = Checkpoint.DATASET
    description = ("Image metadata (GPS, serial numbers, creators, prompts, editing, "
                   "thumbnails) and faces in dataset, sample and example images")
    kinds = frozenset({"image"})
    # 3: MakerNote serials, extended XMP, TIFF and HEIF thumbnails. 4: a doubtful
    # face that OpenCV's cat-face cascades see as surely is an animal's
    # (faces.RIVAL_CASCADES). 5: faces in example and demo inputs (low).
    version = "5"
    findings = {
        "image.gps-location": "An image's metadata holds the GPS position where it was taken",
        "image.device-serial": "An image's metadata holds a camera, body or lens serial number",
        "image.creator-metadata": "An image's metadata names its artist, owner or copyright holder",
        "image.generation-parameters": "An image holds the prompt and settings it was generated "
                                       "with",
        "image.editing-metadata": "An image's metadata names editing software or history, or "
                                  "its capture time with a time zone",
        "image.thumbnail-mismatch": "An image's embedded thumbnail (EXIF, TIFF IFD1 or SubIFD, "
                                    "HEIF) shows a different picture",
        "image.faces": "Faces in a dataset image or a sample output (how many, by dlib's HOG "
                       "face detector)",
        "bundle.unreadable": "An image that could not be read (truncated, corrupt, a wrong "
                             "extension, a decompression bomb), or metadata in it that could not",
    }
    provides = {
        "generated_images": Fact(bool, "an image holds generation parameters (a prompt record "
                                       "from A1111, ComfyUI, InvokeAI or NovelAI)"),
        "geotagged_images": Fact(int, "how many images hold a GPS position in their metadata"),
        "image_creators": Fact(list, "the creators, owners and copyright holders image metadata "
                                     "names, masked (J*** D**)"),
        "images_with_faces": Fact(int, "how many dataset and sample images show a face"),
        "people_identifiable": Fact(int, "how many identifying items (names, addresses, "
                                         "handles, ids, dataset images with faces) the data "
                                         "holds"),
    }

    def scan_file(self, file, ctx):
        from aiart_release.readers.media import (
            FORMATS,
            UnreadableImage,
            read_metadata,
            thumbnail_differs,
        )

        if file.suffix not in FORMATS:
            return []
        if file.size == 0:
            return [_unreadable(file, "the file is empty")]
        try:
            meta = read_metadata(file.abspath, file.suffix)
        except UnreadableImage as exc:
            return [_unreadable(file, str(exc))]
        found = list(metadata_findings(file.path, meta))
        if meta.thumbnail:
            distance = thumbnail_differs(file.abspath, meta.thumbnail)
            if distance is not None:
                found.append(_thumbnail_finding(file.path, distance))
        if meta.problems:
            found.append(_unreadable(file, "; ".join(dict.fromkeys(meta.problems)),
                                     partial=True))
        found.extend(face_findings(file, ctx.settings))
        return found

    def facts(self, findings):
        ours = [f for f in findings if f.check in ("", self.id)]
        creators = sorted({shown for f in ours if f.id == "image.creator-metadata"
                           for shown in (f.evidence or "").split("; ") if shown})
        return {
            "generated_images": any(f.id == "image.generation-parameters" for f in ours),
            "geotagged_images": sum(1 for f in ours if f.id == "image.gps-location"),
            "image_creators": creators,
            "images_with_faces": sum(1 for f in ours if f.id == "image.faces"),
            # Faces in generated samples need not be anyone's: only the
            # dataset's photos make people identifiable.
            "people_identifiable": sum(1 for f in ours
                                       if f.id == "image.faces" and f.artifact == "dataset"),
        }


def metadata_findings(path: str, meta: ImageMetadata):
    """The findings one image's metadata gives: at most one per id."""
    from aiart_release.readers.media import describe_location

    if meta.location is not None:
        place = describe_location(meta.location)
        yield _finding(
            "image.gps-location", Severity.HIGH, path,
            f"GPS position in the image's metadata ({', '.join(meta.location_tags)}): "
            f"{place} (coarsened to about 10 km)",
            "Remove the GPS tags before release (`exiftool -gps:all= FILE`); "
            "if the place matters, say it in words in the card",
            evidence=place, matched=place)
    if meta.serials:
        yield _entries_finding(
            "image.device-serial", Severity.MEDIUM, path, meta.serials,
            "Device serial number in the image's metadata", "id",
            "Remove the serial numbers (`exiftool -SerialNumber= -LensSerialNumber= "
            "-BodySerialNumber= FILE`): they tie every photo to one camera and its owner")
    if meta.creators:
        yield _entries_finding(
            "image.creator-metadata", Severity.LOW, path, meta.creators,
            "Creator or copyright in the image's metadata", "words",
            "Check that the named creators agreed to the release and are credited "
            "(CREDITS.md, the sources manifest); strip the fields if they name private people")
    if meta.generation:
        tools = ", ".join(dict.fromkeys(e.value for e in meta.generation))
        yield _finding(
            "image.generation-parameters", Severity.INFO, path,
            f"Generation parameters ({tools}) in {_tags(meta.generation)}: the prompt travels "
            "with the image",
            "Keep them if the release means to show how images were made (and check the "
            "prompts for personal data); else strip them by re-saving without text chunks")
    if meta.editing:
        yield _finding(
            "image.editing-metadata", Severity.INFO, path,
            f"Editing software, history or capture time in {_tags(meta.editing)}",
            "Nothing to do unless the history or the time zone says more than you mean to "
            "publish; strip it with `exiftool -xmp:history= -OffsetTime*= FILE`",
            evidence=redact("; ".join(dict.fromkeys(e.value[:80] for e in meta.editing[:_SHOWN]))))


def _entries_finding(finding_id, severity, path, entries: list[Entry], message, kind,
                     remediation):
    values = list(dict.fromkeys(e.value for e in entries))
    return _finding(
        finding_id, severity, path, f"{message} ({_tags(entries)})", remediation,
        evidence="; ".join(mask(v[:120], kind) for v in values[:_SHOWN]),
        matched="; ".join(values))


def _tags(entries: list[Entry]) -> str:
    return ", ".join(dict.fromkeys(e.tag for e in entries))


def _finding(finding_id, severity, path, message, remediation, *, evidence=None, matched=None):
    return Finding(id=finding_id, severity=severity, message=message,
                   location=Location(path=path), remediation=remediation,
                   evidence=evidence, matched=matched, context="metadata",
                   checkpoint=Checkpoint.DATASET)


def face_findings(file, settings) -> list[Finding]:
    """``image.faces`` for a dataset image or a sample output that shows
    faces; nothing for documentation pictures (README figures) or an image
    that cannot be decoded (its metadata finding says so). Settings
    (``checks: {media: {faces: false, face_upsample: 0}}``): no search at
    all, or a search four times quicker that misses faces under an eighth
    of the picture's side."""
    from .faces import UPSAMPLE, count_faces, role

    where = role(file.path, file.artifact)
    if where is None or settings.get("faces", True) is False:
        return []
    upsample = settings.get("face_upsample", UPSAMPLE)
    try:
        faces = count_faces(file.abspath,
                            upsample=upsample if isinstance(upsample, int) else UPSAMPLE)
    except ImportError as exc:
        return [_no_detector(exc)]
    if not faces:
        return []
    dataset = where == "dataset"
    what = plural(faces, "face")
    return [Finding(
        id="image.faces", severity=Severity.MEDIUM if dataset else Severity.LOW,
        message=f"{what} in this {_FACES_SAID[where][0]}: {_FACES_SAID[where][1]}",
        location=Location(path=file.path), count=faces,
        # The same count in many files is one finding listing every path
        # (aggregate: identical content): a dataset of portraits stays one line.
        matched=what, checkpoint=Checkpoint.DATASET,
        artifact="dataset" if dataset else file.artifact,
        remediation=_FACES_SAID[where][2])]


# By the picture's role: what it is, what the faces mean, what to do. An
# example input is documentation (its faces count toward no fact), but the
# people in it were published too.
_FACES_SAID = {
    "dataset": ("dataset image",
                "the people shown may be identifiable and must know they are in the dataset",
                "Record the consent of the people shown (a consent column in the sources "
                "manifest), or blur or remove their faces before release"),
    "sample": ("sample output", "check that no real person is shown without consent",
               "Make sure sample outputs do not depict real people without their consent; "
               "replace them otherwise"),
    "example": ("example picture",
                "the people shown are published with the release; nothing says they agreed "
                "or where the photograph comes from",
                "Credit each example photograph's source and licence (a stock photo's "
                "licence covers the photographer, not always the people shown), or use "
                "pictures of people who agreed, or none"),
}


def _no_detector(exc: ImportError) -> Finding:
    """Fail closed when the detector is missing: "no faces" would read as
    "no people". One finding for the bundle (same place and value in every
    file, so the engine keeps one), and the metadata findings still come."""
    return Finding(
        id="plugin.check-failed", severity=Severity.HIGH, location=Location(path="."),
        message=f"Check 'media' cannot search images for faces: {exc}",
        remediation="Install the face detector (`pip install dlib-bin`), or turn the search "
                    "off with `checks: {media: {faces: false}}` in aiart-release.yaml",
        matched=str(exc), checkpoint=Checkpoint.DATASET)


def _thumbnail_finding(path: str, distance: int) -> Finding:
    return _finding(
        "image.thumbnail-mismatch", Severity.MEDIUM, path,
        f"The embedded thumbnail shows a different picture from the image ({distance} of 64 bits "
        "of their perceptual hashes differ): what was cropped or painted out may survive in it",
        "Remove the thumbnail (`exiftool -ThumbnailImage= -PreviewImage= FILE`) or re-save "
        "the image without EXIF and without thumbnails")


def _unreadable(file, reason: str, *, partial: bool = False) -> Finding:
    what = "Image metadata could not all be read" if partial else "Image could not be read"
    return Finding(
        id="bundle.unreadable", severity=Severity.MEDIUM, message=f"{what}: {reason}",
        location=Location(path=file.path), checkpoint=Checkpoint.DATASET,
        remediation="Re-export the image from its source (or restore it), give it the "
                    "extension of its format, or exclude it in aiart-release.yaml")
