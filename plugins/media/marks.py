"""Marks repeated across a collection: logos, watermarks and signatures.

Field guide, dataset checkpoint: whose work is in the dataset, and under
what licence? A stock agency stamps its logo on every preview it sells; a
photographer or an artist signs every work of a portfolio in the same
corner. OCR (``ocr.py``) reads only marks made of printed words; a logo or a
signature has none.

The method is Dekel, Rubinstein, Liu and Freeman, "On the Effectiveness of
Visible Watermarks" (CVPR 2017): a mark overlaid at the same place on many
images leaves the same image gradients there, while the images' own content
leaves gradients that point every way. So, for each group of images of one
aspect ratio, reduced to one small canvas (CANVAS pixels on the long side),
and again for each folder of such a group (a portfolio):

1. where the images' edges point the same way (``agreement``): the mean of
   their gradient directions, each image counted once however strong its
   edges, so that one photo's horizon cannot make a mark; content alone
   gives a known chance level whatever the number of images;
2. the densest patch of agreeing pixels is a candidate, its box the rows
   and columns around it (``_mark_box``);
3. each image is verified: the cosine between its gradients and the
   candidate over the mark's pixels (``scores``); the box is found again
   from the carriers alone, and the template taken as the per-pixel median
   of the carriers' gradient vectors (Dekel et al.'s estimate, which keeps
   the mark and cancels their content), and every image scored against it.

A candidate must also be pixel-exact (``pixel_exact``): moving the template
EXACT_SHIFT pixels must lose most of the carriers' correlation. An overlay
sits on the same pixels in every image; aligned faces, centred objects and
crops of one photo agree only roughly, and their correlation survives the
shift. And it must be small (MAX_MARK_AREA): pictures drawn from one
template, or shot from one tripod, agree almost everywhere.

Sample outputs (``samples/``, ``outputs/``...) are compared with every mark
found in the dataset: a sample that shows it at the same place is
``model.reproduces-mark`` (the model learnt the watermark, as Stable
Diffusion learnt Getty Images').

Bounds: images are decoded by the core's bounded reader (``decode_grey``:
only the formats the metadata reader reads, nothing over its pixel cap, a
JPEG at a reduced DCT scale), at most ``max_images`` dataset images and
``max_samples`` samples, spread over each set; a group's marks are
searched in at most MAX_STACK of them and its template estimated from at
most MAX_REFINE carriers, gradients summed a few dozen images at a time
(numpy, no per-pixel loop: 1,000 images of one canvas peak at about 150 MB
beyond their decoded pixels); the check stops decoding when half its time
budget is spent and says so. Groups of fewer than ``min_images`` (8) images
are not searched: with fewer, chance agreement cannot be told from a mark.
"""

from __future__ import annotations

import posixpath
import time
from collections.abc import Iterator, Mapping
from dataclasses import field
from typing import Any

from aiart_release.checks import Check, number_setting
from aiart_release.findings import Checkpoint, Finding, Location, Severity, plural
from aiart_release.records import dataclass

CANVAS = 256  # the long side, in pixels, every image of a group is reduced to
MIN_IMAGES = 8
MAX_IMAGES = 1_000
MAX_SAMPLES = 300
MAX_STACK = 256  # images a group's marks are searched in (the rest are verified)
MAX_REFINE = 96  # carriers a mark's template is estimated from
MAX_MARKS = 4  # marks searched per group (a logo and a signature, say)
# Gradients under this (grey levels a pixel) are flat: JPEG noise, banding.
FLAT = 2.0
# Where the images' edges point the same way: the length of the mean of
# their gradient directions (unit vectors; 0 for a flat pixel), times the
# square root of their number. Content alone gives a Rayleigh variable: over
# 1.5 on about 2% of the pixels, over 2.0 on under 0.1% (measured on
# scikit-image's photos, 8 to 100 images a group, whatever their number);
# an edge every image shares gives the root of their number (2.8 for 8
# images), one a third of them share about a third of that. 1.7 rather than
# 2.0 found 8 of 9 marks carried by a third of 40 images rather than 5 (the
# tuning set), with no more false alarms: the verification stops chance ones.
AGREEMENT = 1.7
# A candidate mark is a WINDOW x WINDOW patch of which at least DENSE of
# the pixels agree (content alone: a few percent in most groups, up to 20%
# in some, all of them for aligned faces: the verification tells them apart).
WINDOW = 9
DENSE = 0.1
MIN_MARK_PIXELS = 24  # agreeing pixels a candidate needs to be verified
# A mark covers at most this share of the picture. What agrees over more is
# the pictures themselves: aligned faces, figures drawn from one template
# (the example portrait-sessions: one head and body on eight backgrounds).
MAX_MARK_AREA = 0.3
# A carrier's template is refined where the median gradient of the carriers
# is at least this share of their median gradient magnitude.
COHERENT = 0.5
# An image carries the mark when its gradients over the mark's N pixels
# have a cosine with the template of at least MATCH, and of at least
# MATCH_SPREAD / sqrt(N) (a small template matches anything by chance); a
# sample output (made, not pasted: the model draws it a little off) when it
# has SAMPLE_MATCH within SAMPLE_SHIFT pixels (unmarked samples of the
# tuning set reached 0.22, redrawn marks 0.24 to 0.93).
MATCH = 0.25
MATCH_SPREAD = 4.0
SAMPLE_MATCH = 0.3
SAMPLE_SHIFT = 3
# A mark is reported when at least MIN_CARRIERS images, and MIN_SHARE of
# its group, carry it...
MIN_CARRIERS = 5
MIN_SHARE = 0.2
# ...and it is pixel-exact: the carriers' correlation with the template
# moved EXACT_SHIFT pixels is at most EXACT_LOSS of the correlation in place
# on average, and at most STRAIGHT_LOSS of it along either axis.
# A carrier scores at least RELATIVE_MATCH of the carriers' median score.
EXACT_SHIFT = 3
EXACT_LOSS = 0.5
STRAIGHT_LOSS = 0.75  # the most it may keep moved along one axis
RELATIVE_MATCH = 0.4
_SHOWN_PATHS = 5
_PAPER = ("https://openaccess.thecvf.com/content_cvpr_2017/html/Dekel_On_the_Effectiveness_"
          "CVPR_2017_paper.html")
_IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".jpe", ".png", ".tif", ".tiff", ".webp",
                             ".heic", ".heif"})  # what the core's media reader reads


class RepeatedMarks(Check):
    id = "media-marks"
    # The dataset's images, compared corner by corner.
    bundle_reads = frozenset({"image"})
    # Reads only the bundle, its facts and its settings (docs/plugins.md); a
    # search the time limit cut short says so (ctx.stopped_early) and is not kept.
    bundle_cacheable = True
    checkpoint = Checkpoint.DATASET
    covers = frozenset({Checkpoint.DATASET, Checkpoint.MODEL_CODE})
    description = ("Logos, watermarks and signatures repeated at the same place across the "
                   "dataset's images, and sample outputs that reproduce them")
    version = "1"
    findings = {
        "image.repeated-mark": "Many dataset images carry the same mark (a logo, watermark or "
                               "signature) at the same place",
        "model.reproduces-mark": "Sample outputs reproduce a mark that dataset images carry, "
                                 "at the same place",
        "image.mark-search-partial": "The search for repeated marks decoded only part of the "
                                     "images (max_images, max_samples or its time budget)",
        "bundle.unreadable": "A dataset or sample image whose pixels could not be decoded",
    }

    def scan_bundle(self, ctx):
        settings = _Settings(ctx.settings)
        if not settings.enabled:
            return []
        images = [f for f in ctx.inventory.files if f.readable and f.context is None
                  and f.kind == "image" and f.suffix in _IMAGE_SUFFIXES]
        if len(images) < settings.min_images:
            return []  # so fewer dataset images: known before faces.py is imported
        from .faces import role

        dataset = [f for f in images if role(f.path, f.artifact) == "dataset"]
        samples = [f for f in images if role(f.path, f.artifact) == "sample"]
        if len(dataset) < settings.min_images:
            return []
        deadline = _Deadline(ctx.time_limit)
        found = list(_search(dataset, samples, settings, deadline))
        if deadline.reached:
            ctx.stopped_early()  # what was decoded depends on the machine: not cached
        return found


class _Settings:
    """``checks: {media-marks: {...}}``: ``marks: false`` turns the search
    off; each number in its range, or its default."""

    def __init__(self, raw: Mapping[str, Any]):
        self.enabled = raw.get("marks", True) is not False
        self.min_images = number_setting(raw, "min_images", MIN_IMAGES, 4, 100_000)
        self.max_images = number_setting(raw, "max_images", MAX_IMAGES, 1, 1_000_000)
        self.max_samples = number_setting(raw, "max_samples", MAX_SAMPLES, 0, 1_000_000)


class _Deadline:
    """Half the check's time budget: decoding stops there, so that the
    search and the verification still fit (the engine stops the check at
    the budget itself)."""

    def __init__(self, budget: float | None):
        self.at = None if budget is None else time.monotonic() + budget / 2
        self.reached = False

    def passed(self) -> bool:
        self.reached = self.reached or (self.at is not None and time.monotonic() > self.at)
        return self.reached


# --- decoding ---------------------------------------------------------------------


@dataclass
class _Group:
    """The images of one aspect ratio, each reduced to ``canvas``."""

    canvas: tuple[int, int]  # (width, height)
    files: list = field(default_factory=list)
    pixels: list = field(default_factory=list)  # uint8 arrays of the canvas's shape
    folder: str | None = None  # the folder the group is, or None for all the dataset


def canvas_of(width: int, height: int, side: int = CANVAS) -> tuple[int, int]:
    """The canvas an image of ``width`` x ``height`` is reduced to: ``side``
    on its long side, the short side rounded to 8 pixels, so that images of
    nearly the same aspect ratio (3:2 cut to 1500x1000 or 1498x1000) share
    one group."""
    long_side, short_side = max(width, height), max(1, min(width, height))
    short = max(8, min(side, round(side * short_side / long_side / 8) * 8))
    return (side, short) if width >= height else (short, side)


def reduced(source, side: int = CANVAS):
    """The image at ``source`` (a path or a binary file) as a grey uint8
    array on its canvas (``canvas_of``). Raises the reader's
    ``UnreadableImage`` for what cannot be decoded or is over its pixel cap
    (a decompression bomb is refused from its header, never decoded)."""
    import numpy as np
    from PIL import Image

    from aiart_release.readers.media import decode_grey

    grey = decode_grey(source, side)
    canvas = canvas_of(grey.width, grey.height, side)
    return np.asarray(grey.resize(canvas, Image.Resampling.BILINEAR), dtype=np.uint8)


def _decode(files: list, deadline: _Deadline, problems: list) -> tuple[dict, int]:
    """``files`` reduced and grouped by canvas; how many were decoded. One
    that cannot be is added to ``problems`` as ``(file, reason)``."""
    from aiart_release.readers.media import UnreadableImage

    groups: dict[tuple[int, int], _Group] = {}
    decoded = 0
    for file in files:
        if deadline.passed():
            break
        decoded += 1
        try:
            pixels = reduced(file.abspath)
        except UnreadableImage as exc:
            problems.append((file, str(exc)))
            continue
        canvas = (pixels.shape[1], pixels.shape[0])
        group = groups.setdefault(canvas, _Group(canvas))
        group.files.append(file)
        group.pixels.append(pixels)
    return groups, decoded


# --- the estimate -----------------------------------------------------------------


def gradients(stack):
    """Central differences of a ``(n, height, width)`` stack: ``(gx, gy)``,
    float32, zero on the border."""
    import numpy as np

    stack = stack.astype(np.float32, copy=False)
    gx = np.zeros_like(stack)
    gy = np.zeros_like(stack)
    gx[:, 1:-1, 1:-1] = (stack[:, 1:-1, 2:] - stack[:, 1:-1, :-2]) * 0.5
    gy[:, 1:-1, 1:-1] = (stack[:, 2:, 1:-1] - stack[:, :-2, 1:-1]) * 0.5
    return gx, gy


@dataclass
class _Template:
    """The median gradient field of a set of images, and where it is sure:
    Dekel et al.'s estimate of a mark."""

    mx: Any
    my: Any
    coherence: Any  # |median vector| / median magnitude, 0 where flat

    @classmethod
    def of(cls, gx, gy) -> _Template:
        import numpy as np

        mx = np.median(gx, axis=0)
        my = np.median(gy, axis=0)
        typical = np.median(np.hypot(gx, gy), axis=0)
        strength = np.hypot(mx, my)
        coherence = np.where(strength >= FLAT, strength / np.maximum(typical, FLAT), 0.0)
        return cls(mx, my, coherence.astype(np.float32))


def agreement(stack, chunk: int = 32):
    """Where the edges of a uint8 stack's images point the same way: the
    mean of their gradient directions ``(vx, vy)`` and its length times the
    root of their number (AGREEMENT). Each image counts once however strong
    its edges (one photo's horizon cannot make a mark), and the images are
    summed a chunk at a time, so memory does not grow with their number."""
    import numpy as np

    height, width = stack.shape[1:]
    sum_x = np.zeros((height, width), dtype=np.float32)
    sum_y = np.zeros((height, width), dtype=np.float32)
    for start in range(0, len(stack), chunk):
        gx, gy = gradients(stack[start:start + chunk])
        magnitude = np.hypot(gx, gy)
        scale = np.where(magnitude >= FLAT, 1.0 / np.maximum(magnitude, FLAT), 0.0)
        sum_x += (gx * scale).sum(axis=0)
        sum_y += (gy * scale).sum(axis=0)
    n = max(1, len(stack))
    vx, vy = sum_x / n, sum_y / n
    return vx, vy, np.hypot(vx, vy) * np.sqrt(n)


def window_share(mask, window: int = WINDOW):
    """The share of ``mask``'s pixels set in the ``window`` x ``window``
    patch centred on each pixel (an integral image: no per-pixel loop)."""
    import numpy as np

    half = window // 2
    padded = np.pad(mask.astype(np.float32), half + 1)
    total = padded.cumsum(0).cumsum(1)
    h, w = mask.shape
    a = total[window:window + h, window:window + w]
    b = total[:h, window:window + w]
    c = total[window:window + h, :w]
    d = total[:h, :w]
    return (a - b - c + d) / float(window * window)


def _mark_box(coherent, share) -> tuple[int, int, int, int] | None:
    """The box ``(x0, y0, x1, y1)`` (x1, y1 excluded) of the densest patch
    of coherent pixels and the dense patches joined to it, or None when no
    patch is dense enough."""
    import numpy as np

    dense = share >= DENSE
    if not dense.any():
        return None
    y, x = np.unravel_index(int(np.argmax(np.where(dense, share, 0))), share.shape)
    rows = _run_around(dense.any(axis=1), y)
    cols = _run_around(dense[rows[0]:rows[1]].any(axis=0), x)
    rows = _run_around(dense[:, cols[0]:cols[1]].any(axis=1), y)
    pad = WINDOW // 2
    y0, y1 = max(0, rows[0] - pad), min(coherent.shape[0], rows[1] + pad)
    x0, x1 = max(0, cols[0] - pad), min(coherent.shape[1], cols[1] + pad)
    return int(x0), int(y0), int(x1), int(y1)


def _run_around(flags, index: int) -> tuple[int, int]:
    """The run of True in a 1-d boolean array that holds ``index``
    (``(start, end)``, end excluded); gaps of under WINDOW are bridged."""
    import numpy as np

    on = np.flatnonzero(flags)
    start = end = index
    for i in on[on < index][::-1]:
        if start - i > WINDOW:
            break
        start = int(i)
    for i in on[on > index]:
        if i - end > WINDOW:
            break
        end = int(i)
    return start, end + 1


@dataclass
class _Mark:
    box: tuple[int, int, int, int]
    mx: Any  # the template's gradients over the box, zero off the mark's pixels
    my: Any
    carriers: list[int]  # indices into the group


def _cosines(gx, gy, mark_x, mark_y):
    """Each image's cosine with the template, over the template's pixels."""
    import numpy as np

    dot = (gx * mark_x).sum(axis=(1, 2)) + (gy * mark_y).sum(axis=(1, 2))
    on = (mark_x != 0) | (mark_y != 0)
    norm = np.sqrt(((gx ** 2 + gy ** 2) * on).sum(axis=(1, 2)))
    mark_norm = float(np.sqrt((mark_x ** 2 + mark_y ** 2).sum()))
    return dot / np.maximum(norm * mark_norm, 1e-6)


def _box_gradients(stack, box, margin: int = 0):
    """The gradients of a uint8 stack over ``box`` grown by ``margin`` on
    every side, as the whole canvas's gradients are there, and zero where
    the grown box leaves the canvas (so a template moved past the edge
    meets nothing rather than failing)."""
    import numpy as np

    x0, y0, x1, y1 = box[0] - margin, box[1] - margin, box[2] + margin, box[3] + margin
    height, width = stack.shape[1:]
    # One pixel more on each side for the central differences; where the
    # crop's border is the canvas's, both are zero there.
    cx0, cy0 = max(0, x0 - 1), max(0, y0 - 1)
    cx1, cy1 = min(width, x1 + 1), min(height, y1 + 1)
    gx, gy = gradients(stack[:, cy0:cy1, cx0:cx1])
    out_x = np.zeros((len(stack), y1 - y0, x1 - x0), dtype=np.float32)
    out_y = np.zeros_like(out_x)
    # The part of the grown box inside the canvas, in both frames.
    ix0, iy0, ix1, iy1 = max(0, x0), max(0, y0), min(width, x1), min(height, y1)
    if ix1 > ix0 and iy1 > iy0:
        source = (slice(None), slice(iy0 - cy0, iy1 - cy0), slice(ix0 - cx0, ix1 - cx0))
        target = (slice(None), slice(iy0 - y0, iy1 - y0), slice(ix0 - x0, ix1 - x0))
        out_x[target] = gx[source]
        out_y[target] = gy[source]
    return out_x, out_y


def scores(stack, box, mark_x, mark_y, shifts=((0, 0),), chunk: int = 32):
    """Each image's cosine with the template placed at ``box`` moved by each
    ``(dx, dy)`` of ``shifts``: an ``(images, shifts)`` array. In chunks of
    images, so that memory stays bounded whatever the group's size."""
    import numpy as np

    margin = max((max(abs(dx), abs(dy)) for dx, dy in shifts), default=0)
    out = np.zeros((len(stack), len(shifts)), dtype=np.float32)
    h, w = box[3] - box[1], box[2] - box[0]
    for start in range(0, len(stack), chunk):
        gx, gy = _box_gradients(stack[start:start + chunk], box, margin)
        for k, (dx, dy) in enumerate(shifts):
            rows, cols = slice(margin + dy, margin + dy + h), slice(margin + dx, margin + dx + w)
            out[start:start + chunk, k] = _cosines(gx[:, rows, cols], gy[:, rows, cols],
                                                   mark_x, mark_y)
    return out


def _find_marks(group: _Group) -> Iterator[_Mark]:
    """The marks a group's images carry, strongest first."""
    import numpy as np

    stack = np.stack(group.pixels)
    vx, vy, agree = agreement(stack[_spread_indices(len(stack), MAX_STACK)])
    searched = np.ones(agree.shape, dtype=bool)
    for _ in range(MAX_MARKS):
        coherent = (agree >= AGREEMENT) & searched
        box = _mark_box(coherent, window_share(coherent))
        if box is None:
            return
        x0, y0, x1, y1 = box
        searched[y0:y1, x0:x1] = False
        on = coherent[y0:y1, x0:x1]
        if on.sum() < MIN_MARK_PIXELS or _too_large(box, agree.shape):
            continue
        mark = _verified(stack, box, vx[y0:y1, x0:x1] * on, vy[y0:y1, x0:x1] * on)
        if mark is not None:
            x0, y0, x1, y1 = mark.box
            searched[y0:y1, x0:x1] = False
            yield mark


def _verified(stack, box, mark_x, mark_y) -> _Mark | None:
    """The mark in ``box``, with the images that carry it; None when too
    few carry it or it is not pixel-exact. A mark on a third of the images
    shows only in part at first: the box is found again from where the
    carriers' edges agree, and the template estimated again as the median
    gradients of the carriers (Dekel et al.), before each image is scored
    against it."""
    import numpy as np

    carriers = _matching(scores(stack, box, mark_x, mark_y)[:, 0], mark_x, mark_y)
    if len(carriers) < MIN_CARRIERS:
        return None
    chosen = stack[carriers[_spread_indices(len(carriers), MAX_REFINE)]]
    box = _regrown(chosen, box)
    if _too_large(box, stack.shape[1:]):
        return None
    refined = _Template.of(*_box_gradients(chosen, box))
    on = refined.coherence >= COHERENT
    if on.sum() < MIN_MARK_PIXELS:
        return None
    mark_x, mark_y = refined.mx * on, refined.my * on
    cosines = scores(stack, box, mark_x, mark_y)[:, 0]
    carriers = _matching(cosines, mark_x, mark_y)
    # Carriers score alike; an image far under them matched by chance.
    carriers = carriers[cosines[carriers] >= RELATIVE_MATCH * np.median(cosines[carriers])]
    if len(carriers) < max(MIN_CARRIERS, MIN_SHARE * len(stack)):
        return None
    if not pixel_exact(stack[carriers[_spread_indices(len(carriers), MAX_REFINE)]], box,
                       mark_x, mark_y):
        return None
    return _Mark(box, mark_x, mark_y, [int(i) for i in carriers])


def _too_large(box, shape) -> bool:
    return (box[2] - box[0]) * (box[3] - box[1]) > MAX_MARK_AREA * shape[0] * shape[1]


def _regrown(carriers, box) -> tuple[int, int, int, int]:
    """The box of the mark as the carriers alone show it, searched around
    ``box`` (as far again as its size): a mark carried by a third of the
    images first shows only its strongest part."""
    import numpy as np

    _vx, _vy, agree = agreement(carriers)
    x0, y0, x1, y1 = box
    reach = max(x1 - x0, y1 - y0)
    near = np.zeros(agree.shape, dtype=bool)
    near[max(0, y0 - reach):y1 + reach, max(0, x0 - reach):x1 + reach] = True
    coherent = (agree >= AGREEMENT) & near
    return _mark_box(coherent, window_share(coherent)) or box


def _matching(cosines, mark_x, mark_y, least: float = MATCH):
    """The indices of the images whose cosine is a match for a template of
    this many pixels."""
    import numpy as np

    pixels = int(((mark_x != 0) | (mark_y != 0)).sum())
    return np.flatnonzero(cosines >= max(least, MATCH_SPREAD / np.sqrt(max(pixels, 1))))


def pixel_exact(stack, box, mark_x, mark_y) -> bool:
    """Whether the carriers' correlation with the template is lost when the
    template moves EXACT_SHIFT pixels (left and right, up and down): an
    overlay sits on the same pixels in every image, aligned content only
    roughly. Along a straight edge (a logo's side) one direction keeps the
    correlation and the other loses it, so the four are averaged; but a
    mark that is only straight lines (the edge of black bars, a frame)
    keeps it along them, and is not a logo or a signature."""
    shifts = ((0, 0), (EXACT_SHIFT, 0), (-EXACT_SHIFT, 0), (0, EXACT_SHIFT), (0, -EXACT_SHIFT))
    found = scores(stack, box, mark_x, mark_y, shifts).mean(axis=0)
    placed = float(found[0])
    across, along = sorted((float(found[1:3].mean()), float(found[3:5].mean())))
    return (across + along) / 2 <= EXACT_LOSS * placed and along <= STRAIGHT_LOSS * placed


def _spread_indices(total: int, limit: int) -> list[int]:
    """At most ``limit`` indices of ``range(total)``, spread evenly."""
    if total <= limit:
        return list(range(total))
    step = total / limit
    return [int(i * step) for i in range(limit)]


def _spread(files: list, limit: int) -> list:
    return [files[i] for i in _spread_indices(len(files), limit)]


# --- samples ----------------------------------------------------------------------


def _reproducing(mark: _Mark, samples: _Group | None) -> list:
    """The samples (of the mark's canvas) that show the mark at its place,
    give or take SAMPLE_SHIFT pixels."""
    import numpy as np

    if samples is None or not samples.pixels:
        return []
    shifts = [(dx, dy) for dy in range(-SAMPLE_SHIFT, SAMPLE_SHIFT + 1)
              for dx in range(-SAMPLE_SHIFT, SAMPLE_SHIFT + 1)]
    best = scores(np.stack(samples.pixels), mark.box, mark.mx, mark.my, shifts).max(axis=1)
    return [samples.files[i] for i in _matching(best, mark.mx, mark.my, SAMPLE_MATCH)]


# --- the search -------------------------------------------------------------------


def _search(dataset: list, samples: list, settings: _Settings,
            deadline: _Deadline) -> Iterator[Finding]:
    from .check import _unreadable

    problems: list = []
    chosen = _spread(dataset, settings.max_images)
    groups, decoded = _decode(chosen, deadline, problems)
    made, decoded_samples = _decode(_spread(samples, settings.max_samples), deadline, problems)
    for file, reason in problems:
        yield _unreadable(file, reason)
    if decoded < len(dataset) or decoded_samples < len(samples):
        yield _partial(decoded, len(dataset), decoded_samples, len(samples), settings)
    reported: list[tuple[_Group, _Mark]] = []
    for canvas, whole in sorted(groups.items(), key=lambda kv: -len(kv[1].files)):
        for group in _collections(whole, settings.min_images):
            for mark in _find_marks(group):
                if any(_same_mark(group, mark, *seen) for seen in reported):
                    continue
                reported.append((group, mark))
                yield _repeated(group, mark)
                copied = _reproducing(mark, made.get(canvas))
                if copied:
                    yield _reproduced(group, mark, copied)


def _collections(group: _Group, min_images: int) -> Iterator[_Group]:
    """The group, then each folder of it with at least ``min_images``
    images (not the whole group): one photographer's portfolio signed in a
    corner is a few percent of a scraped dataset, too few for the median of
    all, and often a folder of its own."""
    if len(group.files) < min_images:
        return
    yield group
    folders: dict[str, list[int]] = {}
    for i, file in enumerate(group.files):
        folders.setdefault(posixpath.dirname(file.path), []).append(i)
    for folder, indices in sorted(folders.items()):
        if min_images <= len(indices) < len(group.files):
            yield _Group(group.canvas, [group.files[i] for i in indices],
                         [group.pixels[i] for i in indices], folder=folder or ".")


def _same_mark(group: _Group, mark: _Mark, seen_group: _Group, seen: _Mark) -> bool:
    """Whether a folder's mark is one already reported for its whole group
    (the boxes overlap and most of its carriers were named)."""
    if group.canvas != seen_group.canvas:
        return False
    a, b = mark.box, seen.box
    if a[0] >= b[2] or b[0] >= a[2] or a[1] >= b[3] or b[1] >= a[3]:
        return False
    named = {seen_group.files[i].path for i in seen.carriers}
    carriers = [group.files[i].path for i in mark.carriers]
    return sum(path in named for path in carriers) >= 0.8 * len(carriers)


# --- findings ---------------------------------------------------------------------


def position(box, canvas: tuple[int, int]) -> str:
    """Where ``box`` sits, in words: ``bottom-right corner``, ``centre``,
    ``top edge``..."""
    width, height = canvas
    cx = (box[0] + box[2]) / 2 / width
    cy = (box[1] + box[3]) / 2 / height
    column = "left" if cx < 1 / 3 else "right" if cx > 2 / 3 else ""
    row = "top" if cy < 1 / 3 else "bottom" if cy > 2 / 3 else ""
    if row and column:
        return f"{row}-{column} corner"
    if row or column:
        return f"{row or column} edge"
    return "centre"


def relative_box(box, canvas: tuple[int, int]) -> str:
    width, height = canvas
    return (f"x {box[0] / width:.2f}-{box[2] / width:.2f}, "
            f"y {box[1] / height:.2f}-{box[3] / height:.2f} of the picture")


def _where(group: _Group, mark: _Mark) -> str:
    return f"{position(mark.box, group.canvas)} ({relative_box(mark.box, group.canvas)})"


def _examples(files: list) -> str:
    shown = ", ".join(f.path for f in files[:_SHOWN_PATHS])
    return shown + (" …" if len(files) > _SHOWN_PATHS else "")


def _repeated(group: _Group, mark: _Mark) -> Finding:
    carriers = [group.files[i] for i in mark.carriers]
    width, height = group.canvas
    return _mark_finding(
        "image.repeated-mark", Severity.MEDIUM, carriers,
        f"{len(carriers)} of {plural(len(group.files), 'dataset image')}"
        + (f" in {group.folder}/" if group.folder else "") + " (aspect "
        f"{width}:{height}) carry the same mark at the {_where(group, mark)}: a logo, "
        "watermark or signature overlaid on each, usually its owner's",
        f"{width}x{height} {mark.box}",
        "Look at the examples: a stock agency's watermark or an artist's signature means "
        "the images are someone's work. Check their licence and source (and credit the "
        "owner), or remove them; cropping or painting the mark out does not change whose "
        "work it is")


def _reproduced(group: _Group, mark: _Mark, samples: list) -> Finding:
    width, height = group.canvas
    return _mark_finding(
        "model.reproduces-mark", Severity.HIGH, samples,
        f"{plural(len(samples), 'sample output')} show the mark that "
        f"{len(mark.carriers)} dataset images carry at the {_where(group, mark)}: the model "
        "has learnt a watermark or signature, and will put it on what it makes",
        f"{width}x{height} {mark.box} samples",
        "Remove or license the marked images and retrain (or fine-tune without them); until "
        "then keep the model gated and do not publish its samples: a reproduced stock "
        "watermark or artist's signature passes the owner's mark off on generated images")


def _mark_finding(finding_id: str, severity: Severity, files: list, message: str,
                  matched: str, remediation: str) -> Finding:
    """One finding for a mark: on the folder that holds the files, every
    file in ``also`` (as a folder-wide finding lists them: the JSON keeps
    them all, and an ``ignore:`` must cover each), a few in the evidence."""
    from aiart_release.placement import data_folder

    model = finding_id.startswith("model.")
    return Finding(
        id=finding_id, severity=severity, message=message,
        location=Location(path=data_folder(files)), count=len(files),
        also=tuple(sorted(f.path for f in files)), evidence=_examples(files), matched=matched,
        artifact="model" if model else "dataset",
        checkpoint=Checkpoint.MODEL_CODE if model else Checkpoint.DATASET,
        remediation=remediation, references=(_PAPER,))


def _partial(decoded: int, total: int, decoded_samples: int, samples: int,
             settings: _Settings) -> Finding:
    return Finding(
        id="image.mark-search-partial", severity=Severity.INFO,
        message=(f"Repeated marks were searched in {decoded:,} of "
                 f"{plural(total, 'dataset image')} and {decoded_samples:,} of "
                 f"{plural(samples, 'sample output')} (max_images {settings.max_images:,}, "
                 f"max_samples {settings.max_samples:,}, or half the time budget): marks on "
                 "the others may be missed"),
        location=Location(path="."), artifact="dataset", checkpoint=Checkpoint.DATASET,
        remediation=("Raise `checks: {media-marks: {max_images: N}}` in aiart-release.yaml, "
                     "and `limits.seconds_per_file` with it: each image is decoded once, "
                     "reduced to 256 pixels"))
