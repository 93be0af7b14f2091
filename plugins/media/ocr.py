"""Text in images (optional, off by default): names, e-mails and watermarks.

Field guide, dataset checkpoint: a scraped picture can carry a name, an
address or a stock agency's watermark in its pixels, where no metadata
reader looks. With ``checks: {media-ocr: {ocr: true}}`` in
aiart-release.yaml, each image is read by tesseract (the operating system's
package: ``apt-get install tesseract-ocr``) and its text goes through the
personal-data check's Presidio analyzer, as Presidio's own image analysis
(presidio-image-redactor: tesseract, then the analyzer) does.

Example: ``data/stock_0042.jpg`` showing "shutterstock" across it gets
``image.watermark``; a scanned letter showing "Jane Doe, jane@example.org"
gets ``image.text-personal-data`` (evidence masked).

Off by default: it decodes every image (the only check that does, besides
faces) and costs about a second an image. Without tesseract the check
reports one ``plugin.check-skipped`` finding and reads nothing.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess

from aiart_release.checks import Check
from aiart_release.findings import Checkpoint, Finding, Location, Severity, plural

# Images are reduced to this many pixels on their longest side before OCR:
# enough for a watermark or a caption, bounded work for tesseract.
OCR_SIDE = 2000
OCR_SECONDS = 30
MAX_OCR_CHARS = 20_000
# Stock agencies and the words their watermarks show; "©" with a word after it.
_WATERMARK = re.compile(
    r"\b(shutterstock|getty ?images|istock(?:photo)?|adobe ?stock|dreamstime|alamy|"
    r"depositphotos|123rf|bigstock|fotolia|pond5|watermark|preview only|sample only)\b"
    r"|©\s*\w+|\(c\)\s*\w+|\bcopyright\b", re.I)
_SHOWN = 3


def tesseract() -> str | None:
    return shutil.which("tesseract")


class TextInImages(Check):
    id = "media-ocr"
    checkpoint = Checkpoint.DATASET
    description = "Text in images (OCR through tesseract, off by default): names, e-mails, " \
                  "watermarks"
    kinds = frozenset({"image"})
    version = "1"
    findings = {
        "image.text-personal-data": "An image shows personal data in its pixels (a name, an "
                                    "e-mail, a phone number), read by OCR",
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


class OcrFailed(Exception):
    """The image could not be decoded or tesseract failed; the reason."""


def image_text(path) -> str:
    """The text tesseract reads in the image at ``path``, reduced first to
    OCR_SIDE pixels (pixel limit as the metadata reader's); bounded time
    and output. tesseract reads a PNG we write, never the bundle file."""
    from PIL import Image

    from aiart_release.readers.media import MAX_DECODE_PIXELS

    try:
        with Image.open(path) as im:
            if im.width * im.height > MAX_DECODE_PIXELS:
                raise OcrFailed(f"{im.width}x{im.height} pixels: over the decode limit")
            im.draft("L", (OCR_SIDE, OCR_SIDE))
            grey = im.convert("L")
        grey.thumbnail((OCR_SIDE, OCR_SIDE))
        png = io.BytesIO()
        grey.save(png, "PNG")
    except OcrFailed:
        raise
    except Exception as exc:  # noqa: BLE001 - hostile pixels: any decoder error is a reason
        raise OcrFailed(str(exc)[:200] or type(exc).__name__) from None
    try:
        done = subprocess.run([tesseract(), "stdin", "stdout", "--psm", "11"],
                              input=png.getvalue(), capture_output=True, timeout=OCR_SECONDS,
                              check=False)
    except (subprocess.TimeoutExpired, OSError) as exc:
        raise OcrFailed(f"tesseract: {exc}") from None
    if done.returncode != 0:
        raise OcrFailed(f"tesseract exited {done.returncode}")
    return done.stdout[:MAX_OCR_CHARS * 4].decode("utf-8", "replace")[:MAX_OCR_CHARS]


def text_findings(path: str, text: str, ctx):
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
    lines = _lines_with_personal_data(words)
    if lines:
        yield _finding("image.text-personal-data", Severity.MEDIUM, path,
                       f"The image shows personal data read by OCR ({plural(len(lines), 'line')})",
                       "Check that the people named agreed to the release; blur or crop the "
                       "text, or remove the image",
                       evidence="; ".join(shown for _, shown in lines[:_SHOWN]),
                       matched="; ".join(raw for raw, _ in lines))


def _lines_with_personal_data(words: str) -> list[tuple[str, str]]:
    """(raw, masked) for each line of the text read that holds personal data
    or a secret: what the core's masking gate finds, with the maskers the
    plugins registered (names come from the personal-data plugin's, through
    the hook: plugins never import each other)."""
    from aiart_release.masking import redact

    return [(raw, shown) for raw in words.splitlines()
            if raw.strip() and (shown := redact(raw)) != raw]


def _finding(finding_id, severity, path, message, remediation, *, evidence=None, matched=None):
    return Finding(id=finding_id, severity=severity, message=message,
                   location=Location(path=path), remediation=remediation,
                   evidence=evidence, matched=matched, context="caption",
                   checkpoint=Checkpoint.DATASET)
