"""Text in an image's pixels, read by tesseract (optional, off by default).

In the core because two checks read it, as they read ``prompt_texts``:
the ``media-ocr`` check looks in it for stock watermarks, the personal-data
check analyses it for people's names, addresses and numbers with its
Presidio analyzer (as Presidio's own image analysis, presidio-image-redactor,
runs tesseract and then the analyzer). Plugins never import each other.

tesseract is the operating system's package (``apt-get install
tesseract-ocr``), run as a child process on a PNG this module writes: it
never opens a bundle file. The image is decoded by Pillow under the
metadata reader's pixel cap and only in the formats that reader reads,
reduced to OCR_SIDE pixels, grey; tesseract's time and output are bounded.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from collections import OrderedDict

# Images are reduced to this many pixels on their longest side before OCR:
# enough for a watermark or a caption, bounded work for tesseract.
OCR_SIDE = 2000
OCR_SECONDS = 30
MAX_OCR_CHARS = 20_000
MAX_TSV_BYTES = 2 * 1024 * 1024  # tesseract's word table, about 40 bytes a word
# tesseract's confidence in a word, 0 to 100. Printed text scores over 90.
MIN_WORD_CONFIDENCE = 80
# What was read lately, by (path, size, mtime): both checks read an image's
# text, and in one process tesseract then runs once. Kept in memory only
# (raw text of the bundle never goes to the cache folder).
_MEMO_SIZE = 32
_memo: OrderedDict[tuple[str, int, int], str] = OrderedDict()


class OcrFailed(Exception):
    """The image could not be decoded or tesseract failed; the reason.
    ``decoded`` says whether the image itself decoded (when it did not, the
    metadata reader reports the file; a check may say nothing more)."""

    def __init__(self, reason: str, decoded: bool = False):
        super().__init__(reason)
        self.decoded = decoded


def tesseract() -> str | None:
    """The tesseract program on the PATH, or None."""
    return shutil.which("tesseract")


def image_text(path) -> str:
    """The text tesseract reads in the image at ``path`` (at most
    MAX_OCR_CHARS); raises OcrFailed with a reason."""
    key = _memo_key(path)
    if key is not None and key in _memo:
        _memo.move_to_end(key)
        return _memo[key]
    text = _run_tesseract(_ocr_png(path))
    if key is not None:
        _memo[key] = text
        if len(_memo) > _MEMO_SIZE:
            _memo.popitem(last=False)
    return text


def _memo_key(path) -> tuple[str, int, int] | None:
    try:
        stat = os.stat(path)
    except (OSError, TypeError, ValueError):
        return None
    return str(path), stat.st_size, stat.st_mtime_ns


def _ocr_png(path) -> bytes:
    """The image, grey, at most OCR_SIDE on its longest side, as PNG bytes."""
    from aiart_release.readers.media import UnreadableImage, decode_grey

    try:
        grey = decode_grey(path, OCR_SIDE)
    except UnreadableImage as exc:
        raise OcrFailed(str(exc)[:200]) from None
    try:
        grey.thumbnail((OCR_SIDE, OCR_SIDE))
        png = io.BytesIO()
        grey.save(png, "PNG")
    except Exception as exc:  # noqa: BLE001 - hostile pixels: any decoder error is a reason
        raise OcrFailed(str(exc)[:200] or type(exc).__name__) from None
    return png.getvalue()


def _run_tesseract(png: bytes) -> str:
    program = tesseract()
    if program is None:
        raise OcrFailed("tesseract is not installed", decoded=True)
    try:
        # --psm 11: sparse text, in any place of the picture (a watermark, a
        # name tag); tsv: each word with tesseract's confidence in it.
        done = subprocess.run([program, "stdin", "stdout", "--psm", "11", "tsv"], input=png,
                              capture_output=True, timeout=OCR_SECONDS, check=False)
    except subprocess.TimeoutExpired:
        # Sparse OCR of a busy photo (fur, foliage) can take that long.
        raise OcrFailed(f"tesseract took more than {OCR_SECONDS} s", decoded=True) from None
    except OSError as exc:
        raise OcrFailed(f"tesseract could not run: {exc.strerror or exc}", decoded=True) from None
    if done.returncode != 0:
        raise OcrFailed(f"tesseract exited {done.returncode}", decoded=True)
    return confident_text(done.stdout[:MAX_TSV_BYTES].decode("utf-8", "replace"))


def confident_text(tsv: str) -> str:
    """The words tesseract is sure of (MIN_WORD_CONFIDENCE), a line of the
    picture a line of text, in reading order. In photos without text, sparse
    OCR reads fur, leaves and fabric as letters ("Ene LE", "Sean Ss ES"):
    on 216 real dataset photos it gave text in 196, and the names model
    found 428 "people" in it."""
    lines: dict[tuple[str, str, str], list[str]] = {}
    for row in tsv.splitlines()[1:]:
        cols = row.split("\t")
        if len(cols) != 12 or cols[0] != "5" or not cols[11].strip():
            continue
        try:
            confidence = float(cols[10])
        except ValueError:
            continue
        if confidence >= MIN_WORD_CONFIDENCE:
            lines.setdefault((cols[2], cols[3], cols[4]), []).append(cols[11].strip())
    return "\n".join(" ".join(words) for words in lines.values())[:MAX_OCR_CHARS]
