"""Nearest 64-bit hashes by Hamming distance, in numpy blocks.

Every query is compared with every index entry, a block at a time: XOR of
the uint64 arrays, then a population count (``numpy.bitwise_count``, one
machine instruction a value; a byte lookup table on numpy before 2.0). A
block holds at most BLOCK_CELLS distances, so 5,000 queries against
100,000 entries (half a billion pairs) never hold more than about ten
megabytes, and no Python loop runs per pair.

Near-duplicate groups inside one set (:func:`clusters`) come from the same
blocks (each pair once), merged by a union-find whose ``find`` and
``union`` are vectorised over a block's pairs, so a set of video frames,
each near a hundred others, does not cost a Python call per pair either.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import TYPE_CHECKING

from .records import dataclass

if TYPE_CHECKING:
    import numpy as np

# A sample within this many bits (of 64) of a training image's pHash is a
# near-copy; measured in docs/model-files.md (resized, re-encoded and
# recoloured copies stay within 6, unrelated photos 20 or more apart).
# Both the memorisation and the generation checks use it.
NEAR_COPY_DISTANCE = 8

# Distances computed at once: 1M cells are 8 MB of XORed uint64 and 1 MB of
# counts. Measured on 500 x 100,000 hashes: 1.0 billion pairs a second at
# 2**19 and 2**20 cells, 0.68 at 2**22 (the block no longer fits the cache).
BLOCK_CELLS = 1 << 20


def _numpy():
    # numpy is imported when a search runs, not when a check reads
    # NEAR_COPY_DISTANCE to parse its settings: a pre-commit hook on a
    # caption would otherwise pay for numpy's import (~90 ms) on every run.
    import numpy

    return numpy


@dataclass(frozen=True)
class Match:
    """Query ``query`` is ``distance`` bits from index entry ``index``, its
    closest (the first of equals)."""

    query: int
    index: int
    distance: int


def nearest(queries: np.ndarray, index: np.ndarray, max_distance: int) -> list[Match]:
    """For each query, its closest index entry when at most
    ``max_distance`` bits away (ties go to the lower index), in query order;
    queries with nothing that close are left out."""
    np = _numpy()
    queries = _as_hashes(queries)
    index = _as_hashes(index)
    if not len(queries) or not len(index):
        return []
    best = np.full(len(queries), 255, dtype=np.uint8)
    where = np.zeros(len(queries), dtype=np.int64)
    for rows, cols, dist in _blocks(queries, index):
        arg = dist.argmin(axis=1)
        closest = dist[np.arange(len(arg)), arg]
        better = closest < best[rows]  # strict: an earlier block keeps a tie
        best[rows] = np.where(better, closest, best[rows])
        where[rows] = np.where(better, arg + cols.start, where[rows])
    found = np.flatnonzero(best <= max_distance)
    return [Match(int(q), int(where[q]), int(best[q])) for q in found]


def clusters(hashes: np.ndarray, max_distance: int) -> list[list[int]]:
    """Groups of positions in ``hashes`` linked by chains of pairs at most
    ``max_distance`` bits apart (single linkage), two or more each; largest
    first, each sorted, ties by their first position."""
    np = _numpy()
    hashes = _as_hashes(hashes)
    if len(hashes) < 2:
        return []
    # Identical hashes are one entry: a set of copies costs nothing more.
    unique, inverse = np.unique(hashes, return_inverse=True)
    parent = np.arange(len(unique), dtype=np.int64)
    for rows, cols, dist in _blocks(unique, unique, triangle=True):
        _mask_self(dist, rows, cols)
        # Most rows of a block have no near pair: only those that do are
        # looked into (np.nonzero on a whole block costs more than the XOR).
        hit = np.flatnonzero(dist.min(axis=1) <= max_distance)
        if not len(hit):
            continue
        left, right = np.nonzero(dist[hit] <= max_distance)
        left = hit[left] + rows.start
        right = right + cols.start
        keep = left < right  # each pair once
        _union(parent, left[keep], right[keep])
    roots = _find(parent, inverse.ravel())
    order = np.argsort(roots, kind="stable")
    groups = np.split(order, np.flatnonzero(np.diff(roots[order])) + 1)
    found = [sorted(int(i) for i in group) for group in groups if len(group) > 1]
    return sorted(found, key=lambda group: (-len(group), group[0]))


def popcount(values: np.ndarray) -> np.ndarray:
    """Set bits of each uint64, as uint8."""
    np = _numpy()
    if hasattr(np, "bitwise_count"):
        return np.bitwise_count(values).astype(np.uint8, copy=False)
    as_bytes = values.view(np.uint8).reshape(*values.shape, 8)
    return _byte_counts()[as_bytes].sum(axis=-1, dtype=np.uint8)


@cache
def _byte_counts() -> np.ndarray:
    np = _numpy()
    return np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)


def _as_hashes(values) -> np.ndarray:
    np = _numpy()
    return np.ascontiguousarray(np.asarray(values, dtype=np.uint64).ravel())


def _blocks(queries: np.ndarray, index: np.ndarray,
            triangle: bool = False) -> Iterator[tuple[slice, slice, np.ndarray]]:
    """(query rows, index columns, their distances as uint8), covering every
    pair once, each block at most BLOCK_CELLS cells. With ``triangle`` (a
    set against itself) the columns of a block start at its first row: the
    pairs below the diagonal are not computed (half the work)."""
    np = _numpy()
    width = min(len(index), BLOCK_CELLS)
    height = max(1, BLOCK_CELLS // width)
    for top in range(0, len(queries), height):
        rows = slice(top, min(top + height, len(queries)))
        for left in range(top if triangle else 0, len(index), width):
            cols = slice(left, min(left + width, len(index)))
            yield rows, cols, popcount(np.bitwise_xor(queries[rows, None], index[None, cols]))


def _mask_self(dist: np.ndarray, rows: slice, cols: slice) -> None:
    """Set each entry's distance to itself, where the block holds it, past
    any threshold."""
    np = _numpy()
    own = np.arange(max(rows.start, cols.start), min(rows.stop, cols.stop))
    dist[own - rows.start, own - cols.start] = 255


def _find(parent: np.ndarray, nodes: np.ndarray) -> np.ndarray:
    """The roots of ``nodes``; compresses their paths. A root is its own
    parent and every parent is smaller than its child, so this ends."""
    np = _numpy()
    roots = parent[nodes]
    while True:
        up = parent[roots]
        if np.array_equal(up, roots):
            break
        roots = up
    parent[nodes] = roots
    return roots


def _union(parent: np.ndarray, left: np.ndarray, right: np.ndarray) -> None:
    """Merge the sets of each pair ``(left[i], right[i])``: the larger root
    is hung under the smaller, every pair of the block at once, until each
    pair shares a root."""
    np = _numpy()
    while len(left):
        a, b = _find(parent, left), _find(parent, right)
        apart = a != b
        if not apart.any():
            return
        a, b, left, right = a[apart], b[apart], left[apart], right[apart]
        np.minimum.at(parent, np.maximum(a, b), np.minimum(a, b))
