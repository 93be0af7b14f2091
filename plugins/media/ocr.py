"""Watermarks in images (optional, off by default).

Field guide, dataset checkpoint: a scraped picture can carry a stock
agency's watermark or a copyright notice in its pixels, where no metadata
reader looks. With ``checks: {media-ocr: {ocr: true}}`` in aiart-release.yaml,
each image is read by tesseract (the operating system's package:
``apt-get install tesseract-ocr``) through the core reader
``aiart_release.readers.ocr``, and ``data/stock_0042.jpg`` showing
"shutterstock" across it gets ``image.watermark``.

People's names, addresses and numbers shown in images are the personal-data
check's (``checks: {pii: {ocr: true}}``): it analyses the same text with its
Presidio analyzer and name lexicons, as it analyses captions, so a name read
in a picture is judged, masked and counted like a name in a caption (and
moves the ``personal_data`` fact). This check once matched that text against
the masking gate alone, which knows e-mail addresses and phone numbers but
only the names of its lexicons: "Contact Jane Doe" went unseen.

A signature on one image only (handwriting) is out of reach: tesseract reads
printed text, and telling a signature from a scribble takes a trained model
that no installed package ships. A watermark without words (a logo), or a
signature repeated at one place across the dataset, is found from the pixels
by the ``media-marks`` check (``marks.py``).

Off by default: it decodes every image (the only check that does, besides
faces) and costs about a second an image. Without tesseract the check
reports one ``plugin.check-skipped`` finding and reads nothing.
"""

from __future__ import annotations

import re

from aiart_release.checks import Check
from aiart_release.findings import Checkpoint, Finding, Location, Severity
from aiart_release.readers.ocr import OcrFailed, image_text, tesseract

__all__ = ["OcrFailed", "TextInImages", "image_text", "tesseract", "text_findings"]

# Stock agencies and the words their watermarks show; "©" with a word after it.
_WATERMARK = re.compile(
    r"\b(shutterstock|getty ?images|istock(?:photo)?|adobe ?stock|dreamstime|alamy|"
    r"depositphotos|123rf|bigstock|fotolia|pond5|watermark|preview only|sample only)\b"
    r"|©\s*\w+|\(c\)\s*\w+|\bcopyright\b", re.I)
_SHOWN = 3


class TextInImages(Check):
    id = "media-ocr"
    checkpoint = Checkpoint.DATASET
    description = "Watermarks in images (OCR through tesseract, off by default)"
    kinds = frozenset({"image"})
    # 2: personal data in the text read is the personal-data check's (pii: ocr: true).
    version = "2"
    findings = {
        "image.watermark": "An image shows a stock agency's watermark or a copyright notice",
        "plugin.check-skipped": "Text in images was asked for but tesseract is not installed",
        "bundle.unreadable": "An image that could not be decoded for OCR",
    }

    def scan_file(self, file, ctx):
        if not ctx.settings.get("ocr") or tesseract() is None:
            return []
        try:
            text = image_text(file.abspath)
        except OcrFailed as exc:
            return [Finding(id="bundle.unreadable", severity=Severity.LOW,
                            message=f"Image could not be read for OCR: {exc}",
                            location=Location(path=file.path), checkpoint=Checkpoint.DATASET,
                            remediation="Re-export the image, or exclude it")]
        return list(text_findings(file.path, text, ctx))

    def scan_bundle(self, ctx):
        if ctx.settings.get("ocr") and tesseract() is None:
            yield Finding(
                id="plugin.check-skipped", severity=Severity.INFO,
                message="Text in images (media-ocr: ocr: true) was skipped: tesseract is not "
                        "installed",
                location=Location(path="."), checkpoint=Checkpoint.DATASET,
                remediation="Install it from the system's packages (`apt-get install "
                            "tesseract-ocr`, `brew install tesseract`), or turn the setting off")


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
