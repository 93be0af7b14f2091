"""Watermarks, signatures and credits in images (optional, off by default).

Field guide, dataset checkpoint: a scraped picture can carry a stock
agency's watermark, a copyright notice, or its author's signature or
credit in its pixels, where no metadata reader looks. With
``checks: {media-ocr: {ocr: true}}`` in aiart-release.yaml, each image is
read by the core reader ``aiart_release.readers.ocr`` (RapidOCR when the
``ocr`` extra is installed, else tesseract; ``ocr_engine`` chooses):

- ``data/stock_0042.jpg`` showing "shutterstock" across it, or a "©"
  notice, gets ``image.watermark``;
- a dataset image or sample with its author's name written in a corner
  ("Maria Gonzalez", "K. Tanaka 2021"), or anywhere a handle, a web
  address or "photo by ..." ("@brunogolden", "LosMocanos.com") gets
  ``image.signature``: the picture is someone's work, whose licence and
  credit the release needs. A name counts only in a corner (the outer
  fifth of the height, in one half of the width and near its edge), in
  two or three words in Title case, with at most a year after them: scene
  text ("STOP", "Coca-Cola", a book's title in the middle) does not.
  Shown masked.

People's names, addresses and numbers shown in images are the personal-data
check's (``checks: {pii: {ocr: true}}``): it analyses the same text with its
Presidio analyzer and name lexicons, as it analyses captions, so a name read
in a picture is judged, masked and counted like a name in a caption (and
moves the ``personal_data`` fact).

A handwritten signature is read only as far as the engine reads
handwriting (RapidOCR's recogniser some, tesseract none); a scrawl no
engine can read is out of reach on one image. A mark repeated at one
place across the dataset, words or not, is found from the pixels by the
``media-marks`` check (``marks.py``).

Off by default: it decodes every image (the only check that does, besides
faces) and costs a quarter to one second an image. Without an engine the
check reports one ``plugin.check-skipped`` finding and reads nothing.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from aiart_release.checks import Check
from aiart_release.findings import Checkpoint, Finding, Location, Severity
from aiart_release.lazy_pattern import LazyPattern
from aiart_release.masking import mask

if TYPE_CHECKING:
    from aiart_release.readers.ocr import OcrLine

__all__ = ["TextInImages", "signature_lines", "text_findings"]

# Each pattern is compiled on its first use: OCR is off by default.
# Stock agencies and the words their watermarks show; "©" with a word after it.
_WATERMARK = LazyPattern(
    r"\b(shutterstock|getty ?images|istock(?:photo)?|adobe ?stock|dreamstime|alamy|"
    r"depositphotos|123rf|bigstock|fotolia|pond5|watermark|preview only|sample only)\b"
    r"|©\s*\w+|\(c\)\s*\w+|\bcopyright\b", re.I)
_SHOWN = 3
# A credit anywhere in the picture: a handle, a web address, "photo by".
_CREDIT = LazyPattern(
    r"(?<![\w@])@[A-Za-z0-9_.]{3,}"
    # a web address, not an e-mail address's domain (personal data: pii's)
    r"|(?<![\w@.-])(?:[A-Za-z0-9-]{2,}\.)+(?:com|net|org|io|co|art|studio|photo|"
    r"photography|gallery|me|info|de|fr|it|es|nl|uk|jp|pl|br)\b(?![.-]?\w)"
    # "photo by", "painted by"; a colon only after a credit's own word
    # ("Photo: ...", "Artist: ..."), not after any label ("Image: 1 of 3")
    r"|\b(?:photo(?:graph(?:y|ed|er)?)?|image|art(?:work)?|illustration|drawn|painted|shot)"
    r"\s+by\s+\w|\b(?:photo(?:graph(?:y|er)?)?|artist|credit|illustration)\s*:\s*\w",
    re.IGNORECASE)
# A name as artists and photographers sign: two or three words in Title
# case, initials allowed ("K. Tanaka", "J. M. Turner"), a year after them.
_NAME_WORD = r"(?:[A-Z]\.\s*)*[A-Z][a-zà-öø-ÿ'’-]+"
_SIGNED_NAME = LazyPattern(
    rf"^(?:©\s*)?(?:[A-Z]\.\s*)*{_NAME_WORD}(?:\s+{_NAME_WORD}){{0,2}}"
    r"(?:\s*[,.]?\s*(?:19|20)\d{2})?$")
# Where a signature is written: in the outer fifth of the picture's
# height, in one half of its width and starting (or ending) near that
# side's edge; a line at most a tenth of the picture tall.
CORNER_HEIGHT = 0.2
CORNER_EDGE = 0.15
MAX_SIGNATURE_HEIGHT = 0.1


class TextInImages(Check):
    id = "media-ocr"
    # Its bundle step reads the facts only (the images are file work).
    bundle_reads = frozenset()
    checkpoint = Checkpoint.DATASET
    description = "Watermarks, signatures and credits in images (OCR, off by default)"
    kinds = frozenset({"image"})
    # 2: personal data in the text read is the personal-data check's (pii: ocr: true).
    # 3: RapidOCR when installed; signatures and credits.
    version = "3"
    findings = {
        "image.watermark": "An image shows a stock agency's watermark or a copyright notice",
        "image.signature": "A dataset image or sample shows its author's signature or credit",
        "plugin.check-skipped": "Text in images was asked for but no OCR engine is installed",
        "bundle.unreadable": "An image that could not be decoded for OCR",
    }

    def environment_key(self, settings):
        """The engine that reads: installing RapidOCR changes what is found."""
        if not settings.get("ocr"):
            return ""
        from aiart_release.readers.ocr import engine

        return str(engine(str(settings.get("ocr_engine", "auto"))))

    def scan_file(self, file, ctx):
        if not ctx.settings.get("ocr"):
            return []
        # The OCR reader (and subprocess) is imported only when OCR is on,
        # not when the check is registered (the pre-commit hook's start-up).
        from aiart_release.readers.ocr import OcrFailed, engine, image_lines

        from .faces import role

        choice = str(ctx.settings.get("ocr_engine", "auto"))
        if engine(choice) is None:
            return []
        try:
            lines = image_lines(file.abspath, choice)
        except OcrFailed as exc:
            return [Finding(id="bundle.unreadable", severity=Severity.LOW,
                            message=f"Image could not be read for OCR: {exc}",
                            location=Location(path=file.path), checkpoint=Checkpoint.DATASET,
                            remediation="Re-export the image, or exclude it")]
        found = list(text_findings(file.path, "\n".join(line.text for line in lines), ctx))
        if role(file.path, file.artifact) in ("dataset", "sample"):
            found.extend(_signature_findings(file.path, signature_lines(lines)))
        return found

    def scan_bundle(self, ctx):
        if not ctx.settings.get("ocr"):
            return
        from aiart_release.readers.ocr import engine

        choice = str(ctx.settings.get("ocr_engine", "auto"))
        if engine(choice) is None:
            yield Finding(
                id="plugin.check-skipped", severity=Severity.INFO,
                message=f"Text in images (media-ocr: ocr: true) was skipped: {_missing(choice)}",
                location=Location(path="."), checkpoint=Checkpoint.DATASET,
                remediation="Install RapidOCR (`pip install 'aiart-release[ocr]'`) or tesseract "
                            "(`apt-get install tesseract-ocr`, `brew install tesseract`), or turn "
                            "the setting off")


def _missing(choice: str) -> str:
    if choice in ("rapidocr", "tesseract"):
        return f"{choice} is not installed (ocr_engine: {choice})"
    if choice != "auto":
        return f"ocr_engine {choice!r} is none of auto, rapidocr, tesseract"
    return "no OCR engine is installed (RapidOCR or tesseract)"


def signature_lines(lines: list[OcrLine]) -> list[tuple[OcrLine, str]]:
    """The lines that read as a signature or a credit, each with where it
    is ("bottom-right corner", "picture"): a handle, a web address or
    "photo by" anywhere; a name as people sign, in a corner. A watermark
    or copyright notice is ``image.watermark``'s, not counted again."""
    found = []
    for line in lines:
        if _WATERMARK.search(line.text):
            continue
        corner = _corner(line)
        if _CREDIT.search(line.text):
            found.append((line, corner or "picture"))
        elif corner and _SIGNED_NAME.match(line.text.strip(" .,;:")) and (
                len(line.text.split()) >= 2):
            found.append((line, corner))
    return found


def _corner(line: OcrLine) -> str | None:
    left, top, right, bottom = line.box
    if bottom - top > MAX_SIGNATURE_HEIGHT:
        return None
    row = "top" if bottom <= CORNER_HEIGHT else "bottom" if top >= 1 - CORNER_HEIGHT else None
    column = ("left" if right <= 0.5 and left <= CORNER_EDGE
              else "right" if left >= 0.5 and right >= 1 - CORNER_EDGE else None)
    return f"{row}-{column} corner" if row and column else None


def _signature_findings(path: str, signed: list[tuple[OcrLine, str]]):
    if not signed:
        return
    places = list(dict.fromkeys(place for _, place in signed))
    yield _finding(
        "image.signature", Severity.MEDIUM, path,
        f"The image shows a signature or credit ({len(signed)} read by OCR, in the "
        f"{', '.join(places[:_SHOWN])}): the picture is someone's work",
        "Find whose work it is: record its source, licence and author in the sources "
        "manifest and credit them, or remove it. Cropping or painting the signature out "
        "does not change whose work it is. Your own signature on your own work: accept it "
        "with `ignore:` and a reason",
        evidence="; ".join(mask(line.text[:120], "words") for line, _ in signed[:_SHOWN]),
        matched="\n".join(line.text for line, _ in signed))


def text_findings(path: str, text: str, ctx):
    """``image.watermark`` when the text read names a stock agency or holds
    a copyright notice."""
    words = " ".join(text.split())
    if not words:
        return
    marks = list(dict.fromkeys(m.group(0).lower() for m in _WATERMARK.finditer(words)))
    if marks:
        yield _finding("image.watermark", Severity.MEDIUM, path,
                       f"The image shows a watermark or copyright notice ({len(marks)} read "
                       "by OCR)",
                       "Check the image's licence: a stock watermark means the picture was "
                       "taken from an agency without a licence for this use; remove it from "
                       "the dataset unless you hold one",
                       evidence="; ".join(marks[:_SHOWN]))


def _finding(finding_id, severity, path, message, remediation, *, evidence=None, matched=None):
    return Finding(id=finding_id, severity=severity, message=message,
                   location=Location(path=path), remediation=remediation,
                   evidence=evidence, matched=matched, context="caption",
                   checkpoint=Checkpoint.DATASET)
