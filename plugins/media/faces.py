"""Faces in the pictures of a dataset and in sample outputs.

The field guide asks whether the people in a dataset know they are in it.
A face is the first sign that a picture shows a person. This module counts
frontal faces with dlib's HOG detector (``dlib.get_frontal_face_detector``:
its model is compiled into the ``dlib-bin`` wheel, no file is downloaded
from a model hub). OpenCV's Haar cascade (``haarcascade_frontalface_default``,
shipped inside the ``opencv-python-headless`` 4.x wheel) is the comparison in
``benchmarks/faces.py``: on the labelled set it found as many faces but also
coins, cells and craters (docs/media.md).

Only dataset images and sample outputs are searched (README figures and
other documentation pictures are not the dataset), each reduced to
MAX_SIDE pixels on its longest side before detection: JPEGs through the
decoder's DCT scaling (``draft``), so a 24-megapixel photo costs a
1/8-scale decode. Nothing over the reader's pixel cap (MAX_DECODE_PIXELS)
is decoded at all, so a decompression bomb stays a refusal of the metadata
reader, never an allocation here.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path, PurePosixPath

MAX_SIDE = 640  # longest side, in pixels, of the picture the detector sees
MIN_FACE = 24  # smallest face side for Haar, in pixels of that picture (its window)
DETECTORS = ("hog", "haar")
# HOG's window is 80 px: without doubling the 640-pixel copy it misses faces
# under an eighth of the picture's side (group photos, half-length shots).
# One doubling finds them down to 40 px, at four times the cost (docs/media.md).
UPSAMPLE = 1
MAX_UPSAMPLE = 2
DEFAULT_DETECTOR = "hog"

# Folders of generated samples and outputs (as aiart_release.doc_media names them).
_SAMPLE_FOLDER = re.compile(r"(?i)^(?:.*[_-])?(?:samples?|outputs?|generations?|generated)$")


def role(path: str, artifact: str) -> str | None:
    """``dataset`` for an image of the dataset, ``sample`` for one in a
    folder of samples or outputs, None for every other picture (README
    figures, screenshots, documentation), which is not searched."""
    if artifact == "dataset":
        return "dataset"
    if any(_SAMPLE_FOLDER.match(part) for part in PurePosixPath(path).parts[:-1]):
        return "sample"
    return None


def count_faces(path: str | Path, detector: str = DEFAULT_DETECTOR,
                upsample: int = UPSAMPLE) -> int | None:
    """How many faces ``detector`` finds in the image at ``path``; None when
    it cannot be decoded (or is over the pixel cap): the metadata reader
    reports unreadable images, this says nothing either way."""
    grey = load_grey(path)
    if grey is None:
        return None
    return len(detect(grey, detector, upsample))


def load_grey(source) -> object | None:
    """The image as a grey ``numpy`` array of at most MAX_SIDE on its
    longest side, or None when it is over MAX_DECODE_PIXELS or cannot be
    decoded. Only the formats the metadata reader reads are tried."""
    import numpy as np
    from PIL import Image

    from aiart_release.readers.media import _DECODE_FORMATS, MAX_DECODE_PIXELS, _quiet, _registered

    try:
        with _quiet(), Image.open(source, formats=_registered(_DECODE_FORMATS)) as im:
            if im.width * im.height > MAX_DECODE_PIXELS:
                return None
            if im.format in ("JPEG", "MPO"):
                im.draft("L", (MAX_SIDE, MAX_SIDE))  # DCT scaling: decode at 1/2 to 1/8
            grey = im.convert("L")
        grey.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.BILINEAR)
        return np.asarray(grey, dtype=np.uint8)
    except Exception:  # noqa: BLE001 - the metadata reader names what is wrong with the file
        return None


def detect(grey, detector: str = DEFAULT_DETECTOR,
           upsample: int = UPSAMPLE) -> list[tuple[int, int, int, int]]:
    """Face boxes ``(x, y, width, height)`` in a grey uint8 array.
    ``upsample`` (HOG only): how many times the picture is doubled first."""
    if detector == "haar":
        return _detect_haar(grey)
    if detector == "hog":
        return _detect_hog(grey, upsample)
    raise ValueError(f"unknown face detector {detector!r} (one of {', '.join(DETECTORS)})")


def _detect_haar(grey) -> list[tuple[int, int, int, int]]:
    # minNeighbors 8: at 5 (OpenCV's examples) it found faces in coins and cells.
    boxes = _haar().detectMultiScale(grey, scaleFactor=1.1, minNeighbors=8,
                                     minSize=(MIN_FACE, MIN_FACE))
    return [tuple(int(v) for v in box) for box in boxes]


def _detect_hog(grey, upsample: int) -> list[tuple[int, int, int, int]]:
    rects = _hog()(grey, max(0, min(int(upsample), MAX_UPSAMPLE)))
    return [(r.left(), r.top(), r.width(), r.height()) for r in rects]


@lru_cache(maxsize=1)
def _haar():
    import cv2

    cv2.setNumThreads(1)  # the scan runs one file per worker process already
    cascade = cv2.CascadeClassifier(
        str(Path(cv2.data.haarcascades) / "haarcascade_frontalface_default.xml"))
    if cascade.empty():
        raise RuntimeError("OpenCV's frontal-face cascade is missing (opencv-python-headless<5 "
                           "ships it in cv2.data)")
    return cascade


@lru_cache(maxsize=1)
def _hog():
    import dlib

    return dlib.get_frontal_face_detector()
