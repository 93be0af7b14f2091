"""Large tables as several work units, and their results merged back.

A check that can scan part of a table (``scan_part`` and ``merge``, see
docs/plugins.md, "Tables in parts") gets each large table as one unit per
part (:class:`FilePart`): the local process pool and Dask run the same
units, so a big file is read on several cores, or machines, and the
findings are the same whichever runs them. :class:`PartMerger` collects the
parts' results in the engine's process and hands each file's findings on
once its last part is in.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import field
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from ..records import dataclass

if TYPE_CHECKING:
    from ..bundle import BundleFile
    from ..checks import Check
    from ..findings import Finding
    from ..readers.tables import TablePart

# Tables smaller than this are one unit, as before: finding where to cut
# costs a read of the file (of the footer alone for Parquet).
SPLIT_MIN_BYTES = 1024 * 1024


def splits_tables(check: Check) -> bool:
    """Whether ``check`` scans a table in parts: its class defines both
    ``scan_part`` and ``merge`` (not the base class's, should it ever have
    defaults)."""
    from ..checks import Check

    for name in ("scan_part", "merge"):
        method = getattr(type(check), name, None)
        if not callable(method) or method is getattr(Check, name, None):
            return False
    return True


def table_parts(file: BundleFile, rows_per_part: int | None = None) -> list[FilePart]:
    """The parts of ``file`` as units, or [] when it is scanned whole (not
    a table, small, one part, or not safely cut). A table of a URL bundle
    that workers can reach is cut, and its parts read, at its URL
    (remote_source.worker_url): the client copies nothing of it."""
    from ..readers import tables
    from ..remote_source import worker_url

    if file.kind != "table" or file.size < SPLIT_MIN_BYTES:
        return []
    parts = tables.split_table(file.abspath, rows_per_part=rows_per_part or tables.PART_ROWS,
                               url=worker_url(file.abspath))
    if len(parts) < 2:
        return []
    total = sum(p.rows for p in parts) or 1
    return [FilePart(file, p, max(1, file.size * p.rows // total)) for p in parts]


def parts_on_disk_or_at_url(file: BundleFile,
                            materialize: Callable[[list[BundleFile]], None]) -> list[FilePart]:
    """:func:`table_parts`, with the table copied first (``materialize``,
    :meth:`Inventory.materialize`) where it must be read from a copy: a
    file its source left unwritten whose parts workers cannot read where
    it lives (``memory://``), or a table read whole after all."""
    from ..remote_source import worker_url

    if worker_url(file.abspath) is None:
        materialize([file])
    pieces = table_parts(file)
    if not pieces:
        materialize([file])
    return pieces


@dataclass(frozen=True)
class FilePart:
    """One part of a table as a unit of work: it stands where a
    :class:`~aiart_release.bundle.BundleFile` would (``path`` names the
    rows, so that each part's result is told apart); ``whole`` is the file."""

    whole: BundleFile
    part: TablePart
    size: int

    @property
    def path(self) -> str:
        return f"{self.whole.path}#rows {self.part.first_row}-{self.part.last_row}"

    @property
    def abspath(self):
        return self.whole.abspath

    @property
    def artifact(self) -> str:
        return self.whole.artifact

    @property
    def kind(self) -> str:
        return self.whole.kind

    @property
    def context(self) -> str | None:
        return self.whole.context

    @property
    def name(self) -> str:
        return PurePosixPath(self.whole.path).name

    @property
    def rows(self) -> str:
        return f"rows {self.part.first_row:,} to {self.part.last_row:,}"


@dataclass(frozen=True)
class PartDone:
    """What ``scan_part`` returned for one part (masked, by its contract)."""

    value: Any


@dataclass
class _Pending:
    whole: BundleFile
    check_id: str
    parts: int
    done: dict[int, Any] = field(default_factory=dict)
    failed: list[Finding] = field(default_factory=list)
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)


# path, check, findings, seconds, traceback, and whether every part was
# scanned (a table with a part that failed is not cached).
Merged = tuple[str, str, list["Finding"], float, "str | None", bool]


class PartMerger:
    """The parts' results of each (table, check), merged when all are in:
    ``merge(check_id, whole, partials)`` gives the findings of the table,
    to which a part that failed adds its own finding (placed on the table,
    naming its rows)."""

    def __init__(self, merge: Callable[[str, BundleFile, list[Any]],
                                       tuple[list[Finding], str | None]]):
        self.merge = merge
        self.pending: dict[tuple[str, str], tuple[_Pending, int, FilePart]] = {}
        self._by_file: dict[tuple[str, str], _Pending] = {}

    def expect(self, part: FilePart, check_id: str) -> None:
        key = (part.whole.path, check_id)
        pending = self._by_file.setdefault(
            key, _Pending(part.whole, check_id, part.part.count))
        self.pending[(part.path, check_id)] = (pending, part.part.index, part)

    def owns(self, path: str, check_id: str) -> bool:
        return (path, check_id) in self.pending

    def rows(self, path: str, check_id: str) -> int:
        return self.pending[(path, check_id)][2].part.rows

    def take(self, path: str, check_id: str, found: Any, seconds: float,
             error: str | None) -> Merged | None:
        """Record one part's result; the table's merged result once it was
        the last, else None."""
        pending, index, part = self.pending.pop((path, check_id))
        pending.seconds += seconds
        if error:
            pending.errors.append(error)
        if isinstance(found, PartDone):
            pending.done[index] = found.value
        else:
            pending.failed.extend(_on_table(f, part) for f in found)
            pending.done.setdefault(index, _FAILED)
        if len(pending.done) < pending.parts:
            return None
        del self._by_file[(pending.whole.path, check_id)]
        partials = [v for _, v in sorted(pending.done.items()) if v is not _FAILED]
        found_all, merge_error = self.merge(check_id, pending.whole, partials) if partials \
            else ([], None)
        errors = [*pending.errors, *([merge_error] if merge_error else [])]
        return (pending.whole.path, check_id, [*found_all, *pending.failed], pending.seconds,
                "\n".join(errors) or None, not pending.failed)


_FAILED = object()


def _on_table(finding: Finding, part: FilePart) -> Finding:
    """A finding about a part (its check failed, its worker died, it was too
    slow) placed on the table, naming the part's rows."""
    from ..findings import fingerprint

    if finding.location.path != part.path:
        return finding
    # Two parts that failed are two findings, not one: the rows are in the
    # fingerprint.
    matched = f"{finding.matched or finding.id} {part.rows}"
    return dataclasses.replace(
        finding, location=dataclasses.replace(finding.location, path=part.whole.path),
        matched=matched, fingerprint=fingerprint(finding.id, part.whole.path, matched),
        message=f"{finding.message} ({part.rows}; the table's other rows were assessed)")
