"""The limits every structured reader keeps, whoever wrote the file.

A hostile file costs its author a few lines: a YAML "billion laughs", JSON
nested 40,000 levels deep, a policy path naming ``/dev/zero`` or a FIFO. Each
reader of the core and of the built-in plugins reads through the functions
here, so each keeps the same four limits:

- ``max_bytes``: the document size, checked before reading (a file is never
  read whole to find out it is too large: at most ``max_bytes + 1`` bytes);
- ``max_depth``: how deeply lists and mappings may nest;
- ``max_aliases``: how many YAML aliases a document may use (a YAML file
  only; aliases expand, see ``max_nodes``);
- ``max_nodes``: how many values and keys the document holds, counted with
  every alias expanded.

Which guard does the work, per format:

- YAML (:mod:`.yamlfile`): libyaml refuses nesting past 1000 levels while
  it scans; PyYAML has no guard for aliases, so the composed node graph is
  walked once (each node once, memoised) to count aliases, depth and the
  expanded size before any value is constructed.
- JSON (:mod:`.jsonfile`): the standard library's decoder stops at Python's
  recursion limit but only after the work, and ijson keeps a prefix per
  level (40,000 levels took 4 GB); so a linear scan of the brackets outside
  strings checks depth and counts keys before ``json.loads`` or ijson sees
  the text, and streams alongside ijson for large tables.
- TOML (:mod:`.tomlfile`): tomllib has no limit; its ``RecursionError`` is
  caught and the parsed tree is walked for depth and size.
- CSV (:mod:`.tables`): ``csv.field_size_limit`` bounds a field.
- Parquet (:mod:`.tables`): pyarrow's own thrift string, container and
  schema-depth limits bound the footer.
- safetensors (:mod:`.safetensors`): the header length is checked against
  the file's size and the format's 100 MB cap, and its first byte, before
  the header is read; then it is JSON as above.

Passing a limit raises :class:`LimitExceeded`. For a bundle file a check
turns it into a ``bundle.too-complex`` finding (:func:`too_complex_finding`)
and the scan goes on; for the user's configuration, policy or rule pack it
becomes a one-line error naming the file and the limit (exit 2).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..findings import CHECKPOINT_OF_ARTIFACT, Finding, Location, Severity
from ..records import dataclass

MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """How large and how complex one document may be."""

    max_bytes: int
    max_depth: int = 100
    max_aliases: int = 100
    max_nodes: int = 100_000


# The user's configuration and policy: written by hand, small and shallow.
CONFIG_LIMITS = Limits(max_bytes=1 * MIB, max_depth=64, max_aliases=100, max_nodes=100_000)
# Rule packs: larger, still written by hand.
RULES_LIMITS = Limits(max_bytes=4 * MIB, max_depth=64, max_aliases=200, max_nodes=500_000)
# A card's YAML front matter (Hub cards carry model-index tables).
CARD_LIMITS = Limits(max_bytes=1 * MIB, max_depth=64, max_aliases=200, max_nodes=200_000)
# Data read whole (manifests, notebooks, JSON objects, safetensors headers).
DATA_LIMITS = Limits(max_bytes=64 * MIB, max_depth=100, max_aliases=1_000,
                     max_nodes=2_000_000)
# YAML data is far slower to parse than JSON (a node costs ~500 bytes and
# ~10 µs): a smaller document. 500,000 values is a 50,000-item manifest.
YAML_DATA_LIMITS = Limits(max_bytes=8 * MIB, max_depth=100, max_aliases=1_000,
                          max_nodes=500_000)

# Where the kernel keeps files that are not files: never a configuration.
_SPECIAL_ROOTS = ("/proc", "/sys", "/dev")
# An ordinary, memory-backed folder under them (the hook may copy staged
# blobs there); what is in it is still held to being a regular file.
ORDINARY_UNDER_SPECIAL_ROOTS = ("/dev/shm",)

_WHAT = {
    "max_bytes": "the document is larger than {maximum} bytes",
    "max_depth": "lists and mappings nest deeper than {maximum} levels",
    "max_aliases": "the document uses more than {maximum} YAML aliases",
    "max_nodes": "the document holds more than {maximum} values and keys",
    "recursive": "a YAML alias refers to a value that contains it",
}


class LimitExceeded(ValueError):
    """A document passes one of its reader's limits. ``limit`` names it
    (``max_depth``...), ``maximum`` is its value; ``line`` and ``column``
    (1-based) say where, when known. ``str()`` never quotes the document."""

    def __init__(self, limit: str, maximum: int, line: int | None = None,
                 column: int | None = None):
        self.limit = limit
        self.maximum = maximum
        self.line = line
        self.column = column
        super().__init__(self.describe())

    def describe(self) -> str:
        where = f" at line {self.line}, column {self.column}" if self.line else ""
        what = _WHAT[self.limit].format(maximum=self.maximum)
        return f"too complex to read safely: {what}{where} (limit {self.limit})"

    def at(self, filename: str) -> str:
        """``file:line:column: what`` for an error message."""
        where = f"{filename}:{self.line}:{self.column or 1}" if self.line else filename
        what = _WHAT[self.limit].format(maximum=self.maximum)
        return f"{where}: too complex to read safely: {what} (limit {self.limit})"


class NotARegularFile(OSError):
    """A configuration path that names a FIFO, a device, a folder or a file
    of ``/proc``: reading it would hang or never end."""


def read_regular_file(path: Path, max_bytes: int) -> bytes:
    """The bytes of the regular file ``path``, at most ``max_bytes`` of them.

    The file is opened without blocking (a FIFO would wait for a writer) and
    checked with ``fstat`` on the open descriptor, so a file swapped for a
    FIFO after a check is caught too. Raises NotARegularFile, LimitExceeded
    (``max_bytes``) or OSError."""
    real = os.path.realpath(path)
    ordinary = any(real.startswith(root + "/") for root in ORDINARY_UNDER_SPECIAL_ROOTS)
    if not ordinary and any(real == root or real.startswith(root + "/")
                            for root in _SPECIAL_ROOTS):
        top = "/" + real.split("/")[1]
        raise NotARegularFile(f"is under {top}, not a regular file")
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotARegularFile(f"is {_file_type(info.st_mode)}, not a regular file")
        if info.st_size > max_bytes:
            raise LimitExceeded("max_bytes", max_bytes)
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read(max_bytes + 1)
    finally:
        os.close(fd)
    if len(data) > max_bytes:
        raise LimitExceeded("max_bytes", max_bytes)
    return data


def _file_type(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "a special file"


def read_problem(exc: OSError) -> str:
    """Why a file could not be read, in a few words (never its content)."""
    if isinstance(exc, NotARegularFile):
        return str(exc)
    return exc.strerror or type(exc).__name__


def check_tree(data: Any, limits: Limits) -> None:
    """Depth and size of already-parsed data (TOML), walked without recursion;
    raises LimitExceeded."""
    nodes = 0
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        nodes += 1
        if nodes > limits.max_nodes:
            raise LimitExceeded("max_nodes", limits.max_nodes)
        if isinstance(value, dict):
            children: Iterator[Any] = iter(value.values())
            nodes += len(value)  # the keys
        elif isinstance(value, list):
            children = iter(value)
        else:
            continue
        if depth > limits.max_depth:
            raise LimitExceeded("max_depth", limits.max_depth)
        stack.extend((child, depth + 1) for child in children)


def too_complex_finding(path: str, artifact: str, exceeded: LimitExceeded,
                        check: str) -> Finding:
    """The ``bundle.too-complex`` finding for a bundle file past a reader's
    limit: not read, so not checked."""
    return Finding(
        id="bundle.too-complex",
        severity=Severity.MEDIUM,
        message=f"File not checked: {exceeded.describe()}",
        location=Location(path=path, line=exceeded.line),
        remediation=("Simplify or split the file (no deep nesting, no YAML aliases that "
                     "multiply; a large manifest reads best as CSV or JSON Lines), or "
                     "exclude it in aiart-release.yaml"),
        check=check,
        checkpoint=CHECKPOINT_OF_ARTIFACT.get(artifact),
        artifact=artifact,
        matched=exceeded.limit,
    )
