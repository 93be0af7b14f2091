"""Faces in the pictures of a dataset and in sample outputs.

The field guide asks whether the people in a dataset know they are in it.
A face is the first sign that a picture shows a person. This module counts
frontal faces with dlib's HOG detector (``dlib.get_frontal_face_detector``:
its model is compiled into the ``dlib-bin`` wheel, no file is downloaded
from a model hub). OpenCV's Haar cascade (``haarcascade_frontalface_default``,
shipped inside the ``opencv-python-headless`` 4.x wheel) is the comparison in
``benchmarks/faces.py``: on the labelled set it found as many faces but also
coins, cells and craters (docs/media.md).

HOG sees only the directions of edges, so fur, foliage and fabric can score
just over its threshold: on a close-up of a dog (google/dreambooth,
``dog/00.jpg``) it found a "face" in the fur of an ear, scored 0.14 where
most real faces score over 0.5. Neither a higher threshold nor a minimum
face size tells that apart: a tenth of the LFW faces score under 0.2, and
real faces in group photos are as small as that ear. So a detection scored
under SURE_SCORE must be confirmed by a second, independent detector, a Haar
cascade (``haarcascade_frontalface_alt2``), which looks at light and dark
(eyes darker than cheeks) rather than edges, on a crop around the box
(``confirmed``). Without OpenCV nothing is confirmed and every detection
counts, as before: a false face costs a question, a missed one a person.

An animal's own frontal face (two dark eyes above a muzzle) fools both: in
the same dataset a dog looking into the camera (``dog7/02.jpg``) was
confirmed. OpenCV ships two cascades trained on cats' frontal faces
(``haarcascade_frontalcatface`` and ``_extended``), which fire on dogs'
faces too, but also on a fifth of real human faces: "a cat cascade fires"
is no veto. What separates them is which cascade is surer: on a dog's face
the cat cascades find as many overlapping windows (neighbours) as the face
cascade or more, on a person's face fewer (a seventh at the median, 28
against 31 at the closest). So a doubtful detection is confirmed only when
the face cascade's best detection on the crop has more neighbours than
either cat cascade's (``RIVAL_CASCADES``), all three run with the same
settings on the same crop: no constant was tuned for it. On the measured
sets it removed both dogs' faces of the real dataset and cost no real face
(docs/media.md); it misses some animals, so a pet photo can still count as
a face. Confident detections are not vetoed: no animal's face scored
SURE_SCORE (the highest of 62 scored 0.33).

Only dataset images and sample outputs are searched (README figures and
other documentation pictures are not the dataset), each reduced to
MAX_SIDE pixels on its longest side before detection: JPEGs through the
decoder's DCT scaling (``draft``), so a 24-megapixel photo costs a
1/8-scale decode. Nothing over the reader's pixel cap (MAX_DECODE_PIXELS)
is decoded at all, so a decompression bomb stays a refusal of the metadata
reader, never an allocation here.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from aiart_release.doc_media import in_example_folder, in_sample_folder

MAX_SIDE = 640  # longest side, in pixels, of the picture the detector sees
MIN_FACE = 24  # smallest face side for Haar, in pixels of that picture (its window)
DETECTORS = ("hog", "haar")
# HOG's window is 80 px: without doubling the 640-pixel copy it misses faces
# under an eighth of the picture's side (group photos, half-length shots).
# One doubling finds them down to 40 px, at four times the cost (docs/media.md).
UPSAMPLE = 1
MAX_UPSAMPLE = 2
DEFAULT_DETECTOR = "hog"
# dlib's scores: 0 is its own threshold. On the labelled set 164 of the 185
# LFW faces found scored 0.5 or more, the dog's ear 0.14: under SURE_SCORE a
# detection needs the cascade to agree.
SURE_SCORE = 0.5
# The crop the cascade confirms on: the box with half its side around it,
# scaled so that the box is CONFIRM_SIDE pixels; the cascade must find a
# face of at least CONFIRM_MIN_FACE pixels in it (not a nostril or an eye).
CONFIRM_SIDE = 100
CONFIRM_MIN_FACE = 60
CONFIRMER = "haarcascade_frontalface_alt2.xml"
# Animal faces that fool both detectors: a doubtful detection these see as
# surely as the confirmer (as many neighbours or more) is an animal's.
RIVAL_CASCADES = ("haarcascade_frontalcatface.xml", "haarcascade_frontalcatface_extended.xml")

def role(path: str, artifact: str) -> str | None:
    """``dataset`` for an image of the dataset, ``sample`` for one in a
    folder of samples or outputs, ``example`` for a documentation picture in
    a folder of example or demo inputs (the photographs an inpainting demo
    edits), None for every other picture (README figures, screenshots),
    which is not searched."""
    if artifact == "dataset":
        return "dataset"
    if in_sample_folder(path):
        return "sample"
    if artifact == "docs" and in_example_folder(path):
        return "example"
    return None


def count_faces(path: str | Path, detector: str = DEFAULT_DETECTOR,
                upsample: int = UPSAMPLE, confirm: bool = True) -> int | None:
    """How many faces ``detector`` finds in the image at ``path``; None when
    it cannot be decoded (or is over the pixel cap): the metadata reader
    reports unreadable images, this says nothing either way."""
    grey = load_grey(path)
    if grey is None:
        return None
    return len(detect(grey, detector, upsample, confirm))


def load_grey(source) -> object | None:
    """The image as a grey ``numpy`` array of at most MAX_SIDE on its
    longest side, or None when it is over MAX_DECODE_PIXELS or cannot be
    decoded. Only the formats the metadata reader reads are tried."""
    import numpy as np
    from PIL import Image

    from aiart_release.readers.media import UnreadableImage, decode_grey

    try:
        grey = decode_grey(source, MAX_SIDE)  # a JPEG by DCT scaling: decoded at 1/2 to 1/8
        grey.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.BILINEAR)
        return np.asarray(grey, dtype=np.uint8)
    except UnreadableImage:  # the metadata reader names what is wrong with the file
        return None


def detect(grey, detector: str = DEFAULT_DETECTOR, upsample: int = UPSAMPLE,
           confirm: bool = True, rivals: tuple[str, ...] = RIVAL_CASCADES,
           ) -> list[tuple[int, int, int, int]]:
    """Face boxes ``(x, y, width, height)`` in a grey uint8 array.
    ``upsample`` (HOG only): how many times the picture is doubled first;
    ``confirm`` (HOG only): a detection scored under SURE_SCORE counts only
    when the cascade confirms it (False: every detection counts, as
    ``benchmarks/faces.py`` compares); ``rivals``: the animal-face cascades
    it must out-vote (``()``: none, as before session 5)."""
    if detector == "haar":
        return _detect_haar(grey)
    if detector == "hog":
        return [box for box, score in _detect_hog(grey, upsample)
                if not confirm or score >= SURE_SCORE or confirmed(grey, box, rivals)]
    raise ValueError(f"unknown face detector {detector!r} (one of {', '.join(DETECTORS)})")


def _detect_haar(grey) -> list[tuple[int, int, int, int]]:
    # minNeighbors 8: at 5 (OpenCV's examples) it found faces in coins and cells.
    boxes = _haar().detectMultiScale(grey, scaleFactor=1.1, minNeighbors=8,
                                     minSize=(MIN_FACE, MIN_FACE))
    return [tuple(int(v) for v in box) for box in boxes]


def _detect_hog(grey, upsample: int) -> list[tuple[tuple[int, int, int, int], float]]:
    """HOG's boxes with their scores, at dlib's own threshold (0)."""
    rects, scores, _ = _hog().run(grey, max(0, min(int(upsample), MAX_UPSAMPLE)), 0.0)
    return [((r.left(), r.top(), r.width(), r.height()), float(score))
            for r, score in zip(rects, scores, strict=True)]


def confirmed(grey, box: tuple[int, int, int, int],
              rivals: tuple[str, ...] = RIVAL_CASCADES) -> bool:
    """Whether the Haar face cascade sees a face in a crop around ``box``
    (half its side of margin, scaled so that the box is CONFIRM_SIDE
    pixels), and more surely than each cascade of ``rivals`` (cats' faces)
    sees an animal's there. True when OpenCV is not installed: nothing can
    be confirmed, so nothing is dropped."""
    cascade = _confirmer()
    if cascade is None:
        return True
    crop = _crop_around(grey, box)
    if crop is None:
        return False
    person = _neighbours(cascade, crop)
    return person > 0 and all(person > _neighbours(_rival(name), crop) for name in rivals)


def _crop_around(grey, box: tuple[int, int, int, int]):
    """The picture around ``box``, half its side of margin, scaled so that
    the box is CONFIRM_SIDE pixels; None when nothing of it is in the picture."""
    import numpy as np
    from PIL import Image

    x, y, w, h = box
    margin = max(w, h) // 2
    height, width = grey.shape[:2]
    left, top = max(0, x - margin), max(0, y - margin)
    right, bottom = min(width, x + w + margin), min(height, y + h + margin)
    if right - left < 2 or bottom - top < 2:
        return None
    scale = CONFIRM_SIDE / max(w, h, 1)
    crop = Image.fromarray(np.ascontiguousarray(grey[top:bottom, left:right])).resize(
        (max(1, round((right - left) * scale)), max(1, round((bottom - top) * scale))),
        Image.Resampling.BILINEAR)
    return np.asarray(crop)


def _neighbours(cascade, crop) -> int:
    """How sure ``cascade`` is of its best detection on ``crop``: the number
    of overlapping windows grouped into it (0: no detection). The face
    cascade and its rivals run with the same settings, so counts compare."""
    _, neighbours = cascade.detectMultiScale2(
        crop, scaleFactor=1.1, minNeighbors=3, minSize=(CONFIRM_MIN_FACE, CONFIRM_MIN_FACE))
    return max((int(n) for n in neighbours), default=0)


@lru_cache(maxsize=1)
def _haar():
    return _cascade("haarcascade_frontalface_default.xml")


@lru_cache(maxsize=1)
def _confirmer():
    """The cascade that confirms HOG's doubtful detections, or None without
    OpenCV. ``alt2`` rather than ``default``: both confirmed 20 of the 21
    doubtful LFW faces, alt2 also a face turned aside in a real photo."""
    try:
        return _cascade(CONFIRMER)
    except ImportError:
        return None


@lru_cache(maxsize=len(RIVAL_CASCADES))
def _rival(name: str):
    return _cascade(name)


def _cascade(name: str):
    import cv2

    cv2.setNumThreads(1)  # the scan runs one file per worker process already
    cascade = cv2.CascadeClassifier(str(Path(cv2.data.haarcascades) / name))
    if cascade.empty():
        raise RuntimeError(f"OpenCV's {name} is missing (opencv-python-headless<5 "
                           "ships it in cv2.data)")
    return cascade


@lru_cache(maxsize=1)
def _hog():
    import dlib

    return dlib.get_frontal_face_detector()
