"""Perceptual hashes of images: 64 bits that stay nearly the same when a
picture is resized, re-encoded, lightly cropped or colour-shifted, and
differ in about half their bits between unrelated pictures.

The hash is imagehash's ``phash`` (a 32×32 grey reduction, its 2-D DCT,
the 8×8 lowest frequencies compared with their median), computed here with
numpy: the DCT is two 32×32 matrix products, so no scipy is needed and the
core keeps its dependencies. ``tests/test_memorisation.py`` holds it to
imagehash's own values bit for bit.

Files are decoded bounded, like the core's media reader
(``aiart_release.readers.media``): only the image formats it reads, nothing
declaring more than its pixel cap (``MAX_DECODE_PIXELS``; Pillow refuses a
decompression bomb itself), JPEGs at the smallest scale their DCT allows
(``draft``: a 24-megapixel photo costs a 1/8-scale decode). A file that
cannot be decoded is a problem with its reason, never an exception.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import field
from functools import cache
from pathlib import Path

import numpy as np

from ..records import dataclass

HASH_BITS = 64
_SIDE = 32  # the grey reduction the DCT is taken of (imagehash: hash_size * highfreq_factor)
_LOW = 8  # the 8×8 lowest frequencies are the hash
# A JPEG is decoded at the smallest DCT scale that keeps at least this many
# pixels a side: far more than the 32 the hash needs, so the reduction
# still averages many pixels (draft's 1/8 scale of a small JPEG is tiny).
_DRAFT_SIDE = 256


@dataclass
class HashResult:
    """What :func:`hash_files` made of its paths: the hashes of those it
    could decode (``hashes[i]`` is the hash of ``paths[i]``) and, for every
    other, the reason it could not."""

    hashes: np.ndarray  # uint64, one per entry of paths
    paths: list[Path] = field(default_factory=list)
    problems: list[tuple[Path, str]] = field(default_factory=list)


class UndecodableImage(Exception):
    """The image cannot be decoded; the message is the reason."""


def hash_image(image) -> int:
    """The 64-bit perceptual hash of an already-decoded ``PIL.Image.Image``
    (imagehash's ``phash``, as an int: the first of its 8×8 bits, row by
    row, is the most significant)."""
    from PIL import Image

    grey = image.convert("L").resize((_SIDE, _SIDE), Image.Resampling.LANCZOS)
    pixels = np.asarray(grey, dtype=np.float64)
    basis = _dct_basis()
    low = (basis @ pixels @ basis.T)[:_LOW, :_LOW]
    bits = (low > np.median(low)).ravel()
    return int.from_bytes(np.packbits(bits).tobytes(), "big")


def hash_files(paths: Iterable[Path]) -> HashResult:
    """The hashes of the images at ``paths``; those that cannot be decoded
    (truncated, a decompression bomb, no image under an image's name) are
    listed in ``problems`` with the reason."""
    hashed: list[int] = []
    result = HashResult(hashes=np.empty(0, dtype=np.uint64))
    for path in paths:
        path = Path(path)
        try:
            hashed.append(hash_image(open_reduced(path)))
        except UndecodableImage as exc:
            result.problems.append((path, str(exc)))
            continue
        result.paths.append(path)
    result.hashes = np.array(hashed, dtype=np.uint64)
    return result


def open_reduced(source):
    """The image at ``source`` (a path or a binary file) decoded in grey,
    JPEGs at a reduced scale. Raises :class:`UndecodableImage`, and nothing
    else, when it is not an image format the media reader reads, declares
    more than MAX_DECODE_PIXELS, or its data is corrupt or truncated."""
    from aiart_release.readers.media import UnreadableImage, decode_grey

    try:
        return decode_grey(source, _DRAFT_SIDE)
    except UnreadableImage as exc:
        raise UndecodableImage(str(exc)) from None


def distance(a: int, b: int) -> int:
    """How many of the 64 bits differ between two hashes."""
    return (int(a) ^ int(b)).bit_count()


@cache
def _dct_basis() -> np.ndarray:
    """The (unnormalised) DCT-II matrix of size _SIDE: ``basis @ x`` is
    scipy.fftpack.dct(x) up to a factor of 2, which the median comparison
    does not see."""
    k = np.arange(_SIDE)[:, None]
    n = np.arange(_SIDE)[None, :]
    return np.cos(np.pi * k * (2 * n + 1) / (2 * _SIDE))
