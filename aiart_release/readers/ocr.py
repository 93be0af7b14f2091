"""Text in an image's pixels, with where each line is (optional, off by
default).

In the core because two checks read it, as they read ``prompt_texts``:
the ``media-ocr`` check looks in it for stock watermarks and for a
signature or credit in a corner, the personal-data check analyses it for
people's names, addresses and numbers with its Presidio analyzer (as
Presidio's own image analysis, presidio-image-redactor, runs OCR and then
the analyzer). Plugins never import each other.

Two engines, chosen by the checks' ``ocr_engine`` setting (``auto``: the
first one installed, in this order):

- **RapidOCR** (``pip install 'aiart-release[ocr]'``: ``rapidocr`` and
  ``onnxruntime``, Apache-2.0): PaddleOCR's PP-OCRv6 text detector (a
  DBNet) and recogniser, ONNX files shipped inside the ``rapidocr`` wheel
  and named to it by path, so nothing is ever downloaded. Made for text in
  photographs: a name written in the corner of a photo, white on a busy
  background, which tesseract did not read at all (docs/benchmarks.md).
  Run in this process on the decoded pixels, one thread.
- **tesseract**, the operating system's package (``apt-get install
  tesseract-ocr``), run as a child process on a PNG this module writes,
  its time and output bounded. Made for scanned pages; on photos it reads
  little and, sparse, reads fur and leaves as letters.

Neither ever opens a bundle file: the image is decoded by Pillow under
the metadata reader's pixel cap and only in the formats that reader
reads, grey, reduced to a bounded size.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from collections import OrderedDict
from functools import cache
from pathlib import Path

from ..records import dataclass

# Images are reduced to this many pixels on their longest side before OCR:
# enough for a watermark or a caption, bounded work for tesseract.
OCR_SIDE = 2000
# RapidOCR's detector works at about 736 pixels; past this its time grows
# with the area and finds nothing more in a photo's signature.
RAPID_SIDE = 1280
OCR_SECONDS = 30
MAX_OCR_CHARS = 20_000
MAX_LINES = 500
MAX_TSV_BYTES = 2 * 1024 * 1024  # tesseract's word table, about 40 bytes a word
# tesseract's confidence in a word, 0 to 100. Printed text scores over 90.
MIN_WORD_CONFIDENCE = 80
# RapidOCR's confidence in a line, 0 to 1: printed text reads at 0.95 or
# more; in photos without text, single letters read in fur or a plush toy
# score 0.5-0.8 (docs/benchmarks.md).
MIN_LINE_SCORE = 0.8
# No line of text is taller than half the picture: a box that is, is the
# detector reading the whole picture as one glyph ("C" on a pose drawing).
MAX_LINE_HEIGHT = 0.5
ENGINES = ("rapidocr", "tesseract")
# What was read lately, by (path, size, mtime, engine): both checks read an
# image's text, and in one process the engine then runs once. Kept in
# memory only (raw text of the bundle never goes to the cache folder).
_MEMO_SIZE = 32
_memo: OrderedDict[tuple[str, int, int, str], list[OcrLine]] = OrderedDict()


@dataclass(frozen=True)
class OcrLine:
    """A line of text read in a picture: its words, the engine's confidence
    (0 to 1), and its box as fractions of the picture's width and height
    (left, top, right, bottom)."""

    text: str
    score: float
    box: tuple[float, float, float, float]


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


@cache
def rapidocr_models() -> dict[str, Path] | None:
    """The detector's, recogniser's and orientation classifier's ONNX files
    inside the installed ``rapidocr`` package, or None when it (or
    onnxruntime, or a file) is missing: RapidOCR would download a missing
    model, and this tool never does."""
    from importlib.util import find_spec

    try:
        if find_spec("onnxruntime") is None or (spec := find_spec("rapidocr")) is None:
            return None
    except (ImportError, ValueError):
        return None
    folder = Path(spec.origin or "").parent / "models"
    models = {"det": folder / "PP-OCRv6_det_small.onnx",
              "rec": folder / "PP-OCRv6_rec_small.onnx",
              "cls": folder / "ch_ppocr_mobile_v2.0_cls_mobile.onnx"}
    return models if all(path.is_file() for path in models.values()) else None


def engine(choice: str = "auto") -> str | None:
    """The engine to read with: ``choice`` when it is installed (``auto``:
    RapidOCR, else tesseract), or None."""
    if choice in ("auto", "rapidocr") and rapidocr_models() is not None:
        return "rapidocr"
    if choice in ("auto", "tesseract") and tesseract() is not None:
        return "tesseract"
    return None


def image_text(path, choice: str = "auto") -> str:
    """The text read in the image at ``path``, a line of the picture a line
    of text (at most MAX_OCR_CHARS); raises OcrFailed with a reason."""
    return "\n".join(line.text for line in image_lines(path, choice))[:MAX_OCR_CHARS]


def image_lines(path, choice: str = "auto") -> list[OcrLine]:
    """The lines of text the engine is sure of in the image at ``path``, in
    reading order; raises OcrFailed with a reason."""
    chosen = engine(choice)
    if chosen is None:
        raise OcrFailed(f"no OCR engine is installed ({choice})", decoded=True)
    key = _memo_key(path, chosen)
    if key is not None and key in _memo:
        _memo.move_to_end(key)
        return _memo[key]
    if chosen == "rapidocr":
        lines = _run_rapidocr(_decoded(path, RAPID_SIDE))
    else:
        grey = _decoded(path, OCR_SIDE)
        lines = _run_tesseract(_png(grey), grey.size)
    if key is not None:
        _memo[key] = lines
        if len(_memo) > _MEMO_SIZE:
            _memo.popitem(last=False)
    return lines


def _memo_key(path, chosen: str) -> tuple[str, int, int, str] | None:
    try:
        stat = os.stat(path)
    except (OSError, TypeError, ValueError):
        return None
    return str(path), stat.st_size, stat.st_mtime_ns, chosen


def _decoded(path, side: int):
    """The image, grey, at most ``side`` pixels on its longest side."""
    from aiart_release.readers.media import UnreadableImage, decode_grey

    try:
        grey = decode_grey(path, side)
    except UnreadableImage as exc:
        raise OcrFailed(str(exc)[:200]) from None
    try:
        grey.thumbnail((side, side))
    except Exception as exc:  # noqa: BLE001 - hostile pixels: any decoder error is a reason
        raise OcrFailed(str(exc)[:200] or type(exc).__name__) from None
    return grey


def _png(grey) -> bytes:
    png = io.BytesIO()
    grey.save(png, "PNG")
    return png.getvalue()


@cache
def _rapidocr():
    """RapidOCR with the models of its own wheel named by path (no
    download), no orientation classifier (signatures and credits are
    upright), one thread (the engine's pool runs a worker per core), and
    its log quiet."""
    from rapidocr import RapidOCR

    models = rapidocr_models()
    if models is None:  # pragma: no cover - engine() checked
        raise OcrFailed("RapidOCR's models are not installed", decoded=True)
    import logging  # here: most runs read no image text

    logging.getLogger("RapidOCR").setLevel(logging.ERROR)
    return RapidOCR(params={
        "Global.log_level": "error", "Global.use_cls": False,
        "Det.model_path": str(models["det"]), "Rec.model_path": str(models["rec"]),
        "Cls.model_path": str(models["cls"]),
        "EngineConfig.onnxruntime.intra_op_num_threads": 1,
        "EngineConfig.onnxruntime.inter_op_num_threads": 1,
    })


def _run_rapidocr(grey) -> list[OcrLine]:
    import numpy as np

    width, height = grey.size
    pixels = np.repeat(np.asarray(grey, dtype=np.uint8)[:, :, None], 3, axis=2)
    try:
        found = _rapidocr()(pixels)
    except OcrFailed:
        raise
    except Exception as exc:  # noqa: BLE001 - the engine failing on one image is a reason
        raise OcrFailed(f"RapidOCR failed: {type(exc).__name__}", decoded=True) from None
    if found is None or not found.txts:
        return []
    lines = []
    for box, text, score in zip(found.boxes, found.txts, found.scores, strict=False):
        xs, ys = [float(p[0]) for p in box], [float(p[1]) for p in box]
        where = (max(0.0, min(xs) / width), max(0.0, min(ys) / height),
                 min(1.0, max(xs) / width), min(1.0, max(ys) / height))
        text = " ".join(str(text).split())
        if text and float(score) >= MIN_LINE_SCORE and where[3] - where[1] <= MAX_LINE_HEIGHT:
            lines.append(OcrLine(text, round(float(score), 3), where))
    lines.sort(key=lambda line: (round(line.box[1], 2), line.box[0]))
    return lines[:MAX_LINES]


def _run_tesseract(png: bytes, size: tuple[int, int]) -> list[OcrLine]:
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
    return confident_lines(done.stdout[:MAX_TSV_BYTES].decode("utf-8", "replace"), size)


def confident_text(tsv: str) -> str:
    """The words tesseract is sure of, a line of the picture a line of text."""
    return "\n".join(line.text for line in confident_lines(tsv, (1, 1)))[:MAX_OCR_CHARS]


def confident_lines(tsv: str, size: tuple[int, int]) -> list[OcrLine]:
    """The words tesseract is sure of (MIN_WORD_CONFIDENCE), grouped in its
    lines, in reading order, each line's box the union of its words' in a
    picture of ``size`` pixels. In photos without text, sparse OCR reads
    fur, leaves and fabric as letters ("Ene LE", "Sean Ss ES"): on 216 real
    dataset photos it gave text in 196, and the names model found 428
    "people" in it."""
    width, height = max(1, size[0]), max(1, size[1])
    words: dict[tuple[str, str, str], list[tuple[str, float, tuple[int, int, int, int]]]] = {}
    for row in tsv.splitlines()[1:]:
        cols = row.split("\t")
        if len(cols) != 12 or cols[0] != "5" or not cols[11].strip():
            continue
        try:
            confidence = float(cols[10])
            left, top, right, bottom = (int(cols[6]), int(cols[7]),
                                        int(cols[6]) + int(cols[8]), int(cols[7]) + int(cols[9]))
        except ValueError:
            continue
        if confidence >= MIN_WORD_CONFIDENCE:
            words.setdefault((cols[2], cols[3], cols[4]), []).append(
                (cols[11].strip(), confidence, (left, top, right, bottom)))
    lines = []
    for line in list(words.values())[:MAX_LINES]:
        boxes = [box for _, _, box in line]
        lines.append(OcrLine(
            " ".join(word for word, _, _ in line),
            round(min(conf for _, conf, _ in line) / 100, 3),
            (min(b[0] for b in boxes) / width, min(b[1] for b in boxes) / height,
             max(b[2] for b in boxes) / width, max(b[3] for b in boxes) / height)))
    return lines
