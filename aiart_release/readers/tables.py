"""Streaming table reading: CSV, TSV, JSON Lines, JSON arrays of records and
Parquet, one row at a time, so that a million-row caption file never sits in
memory.

Rows come out as ``(row, line, {field: text})``: ``row`` is the 1-based data
row (header excluded), ``line`` the 1-based line where the row starts when the
format has lines. Only text-like values are returned (strings, and numbers,
which may be phone numbers); nested records are flattened one level with
dotted field names. A file that cannot be read raises :class:`TableError`
with the row where reading stopped; rows read before it have been yielded.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..lazy_pattern import LazyPattern
from ..records import dataclass
from .jsonfile import GuardedStream, check_json
from .limits import DATA_LIMITS, LimitExceeded, Limits
from .text import bounded_lines

# A cell longer than this is cut (and a caption that long is not a caption).
MAX_CELL_CHARS = 100_000
# A CSV field or JSON line longer than this makes the file unreadable: it is
# not a table of captions, and reading it would need unbounded memory.
# csv.field_size_limit enforces it for CSV (the csv module's own guard).
MAX_RECORD_BYTES = 16 * 1024 * 1024
# One record (a JSON Lines line, an item of a JSON array): no deeper than
# DATA_LIMITS allows, and no larger than a line may be.
RECORD_LIMITS = Limits(max_bytes=MAX_RECORD_BYTES, max_depth=DATA_LIMITS.max_depth,
                       max_nodes=DATA_LIMITS.max_nodes)
# Parquet footers: pyarrow's own thrift guards, set explicitly (metadata of
# captions needs far less than these).
PARQUET_THRIFT_STRING_LIMIT = 64 * 1024 * 1024
PARQUET_THRIFT_CONTAINER_LIMIT = 1_000_000
PARQUET_SCHEMA_DEPTH_LIMIT = DATA_LIMITS.max_depth

Row = tuple[int, int | None, dict[str, str]]


class TableError(Exception):
    """The table cannot be read (further); ``row`` is where it stopped."""

    def __init__(self, message: str, row: int | None = None, line: int | None = None,
                 limit: LimitExceeded | None = None):
        self.row = row
        self.line = line
        self.limit = limit  # set when the table passed a reader's limit (it says where)
        where = f" at line {line}" if line else (f" at row {row}" if row else "")
        if limit is not None and limit.line:
            where = ""
        super().__init__(f"{message}{where}")


def table_format(path: Path) -> str | None:
    """The format of a table file by its name, or None."""
    suffix = path.suffix.lower()
    return {
        ".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl",
        ".json": "json", ".parquet": "parquet", ".arrow": "arrow", ".feather": "arrow",
    }.get(suffix)


def iter_rows(path: Path, fmt: str | None = None) -> Iterator[Row]:
    """Rows of the table at ``path``; raises TableError."""
    fmt = fmt or table_format(path)
    if fmt in ("csv", "tsv"):
        yield from _delimited(path, "\t" if fmt == "tsv" else ",")
    elif fmt == "jsonl":
        yield from _json_lines(path)
    elif fmt == "json":
        yield from _json_array(path)
    elif fmt == "parquet":
        yield from _parquet(path)
    elif fmt == "arrow":
        yield from _arrow(path)
    else:
        raise TableError(f"not a table format: {path.suffix or path.name}")


def _text_stream(path: Path) -> io.TextIOWrapper:
    raw = open(path, "rb")
    head = raw.peek(4)[:4] if hasattr(raw, "peek") else b""
    encoding = "utf-8-sig" if head.startswith(codecs.BOM_UTF8) else "utf-8"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    # surrogateescape: a bad byte becomes a marker in its own row, so the
    # rows before it are read and the error names the right row (strict
    # decoding fails up to 8 KiB ahead of the csv reader).
    return io.TextIOWrapper(raw, encoding=encoding, errors="surrogateescape", newline="")


_UNDECODABLE = LazyPattern("[\udc80-\udcff]")


def _cell(value: Any) -> str | None:
    if isinstance(value, str):
        return value[:MAX_CELL_CHARS] if value.strip() else None
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, list):
        parts = [p for p in (_cell(v) for v in value if not isinstance(v, (dict, list))) if p]
        return "; ".join(parts)[:MAX_CELL_CHARS] or None
    return None


def _record(data: dict[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            for sub, inner in value.items():
                text = _cell(inner)
                if text is not None:
                    out[f"{key}.{sub}"] = text
        else:
            text = _cell(value)
            if text is not None:
                out[str(key)] = text
    return out


def _delimited(path: Path, delimiter: str) -> Iterator[Row]:
    csv.field_size_limit(MAX_RECORD_BYTES)
    row = 0
    with _text_stream(path) as stream:
        # strict: an unclosed quote is an error, not a cell that swallows the
        # rest of the file.
        reader = csv.reader(stream, delimiter=delimiter, strict=True)
        try:
            header = next(reader, None)
            if header is None:
                return
            _check_text(header, 0, 1)
            header = [h.strip() or f"column {i + 1}" for i, h in enumerate(header)]
            start = reader.line_num + 1
            for values in reader:
                row += 1
                _check_text(values, row, start)
                yield row, start, _cells(header, values)
                start = reader.line_num + 1
        except csv.Error as exc:
            raise TableError(f"broken CSV: {exc}", row=row + 1, line=reader.line_num) from None
        except UnicodeDecodeError as exc:  # UTF-16 files decode strictly
            raise TableError(f"invalid text (byte 0x{exc.object[exc.start]:02x})",
                             row=row + 1) from None


def _check_text(values: list[str], row: int, line: int) -> None:
    joined = "".join(values)
    if "\0" in joined:
        raise TableError("NUL byte: binary data, not text", row=row or None, line=line)
    bad = _UNDECODABLE.search(joined)
    if bad:
        byte = ord(bad.group(0)) - 0xDC00
        raise TableError(f"not UTF-8 (byte 0x{byte:02x}); re-save it as UTF-8",
                         row=row or None, line=line)


def _json_lines(path: Path) -> Iterator[Row]:
    with open(path, "rb") as handle:
        yield from _json_lines_from(handle, 0, 0)


def _json_lines_from(handle, row: int, lines_before: int) -> Iterator[Row]:
    """Records of JSON Lines from ``handle``: rows numbered after ``row``,
    lines after ``lines_before`` (a part of the file starts past both)."""
    too_long = lambda exc: TableError(str(exc), line=exc.number + lines_before)  # noqa: E731
    for number, raw in bounded_lines(handle, MAX_RECORD_BYTES, too_long):
        number += lines_before
        if not raw.strip():
            continue
        try:
            check_json(raw, RECORD_LIMITS)
            data = json.loads(raw)
        except LimitExceeded as exc:
            exc = LimitExceeded(exc.limit, exc.maximum, line=number, column=exc.column)
            raise TableError(exc.describe(), line=number, limit=exc) from None
        except UnicodeDecodeError:
            raise TableError("not UTF-8", line=number) from None
        except ValueError as exc:
            raise TableError(f"invalid JSON ({exc.msg})", line=number) from None
        if not isinstance(data, dict):
            raise TableError(f"a JSON Lines record must be an object, not "
                             f"{type(data).__name__}", line=number)
        row += 1
        yield row, number, _record(data)


def _json_array(path: Path) -> Iterator[Row]:
    import ijson  # streaming JSON parser (C backend): a huge array is never in memory

    row = 0
    with open(path, "rb") as handle:
        head = handle.read(4096)
        body = head[3:] if head.startswith(codecs.BOM_UTF8) else head
        stripped = body.lstrip()
        if not stripped.startswith(b"["):
            raise TableError("JSON is not an array of records")
        handle.seek(len(head) - len(stripped))  # past the byte-order mark and spaces
        try:
            # ijson follows any depth (40,000 levels cost it 4 GB): the
            # stream is checked as ijson reads it.
            for item in ijson.items(GuardedStream(handle), "item", use_float=True):
                row += 1
                if not isinstance(item, dict):
                    raise TableError(f"array item is {type(item).__name__}, not a record",
                                     row=row)
                yield row, None, _record(item)
        except LimitExceeded as exc:
            raise TableError(exc.describe(), row=row + 1, limit=exc) from None
        except ijson.JSONError as exc:
            raise TableError(f"invalid JSON ({str(exc).splitlines()[0][:120]})",
                             row=row + 1) from None
        except UnicodeDecodeError:
            raise TableError("not UTF-8", row=row + 1) from None


def _parquet(path: Path) -> Iterator[Row]:
    try:
        from pyarrow import ArrowException
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        raise TableError("reading Parquet needs pyarrow") from None

    def batches():
        return _parquet_file(path).iter_batches(batch_size=4096)

    yield from _arrow_rows(batches, "Parquet", ArrowException)


def _arrow_rows(batches, label: str, errors, first_row: int = 1) -> Iterator[Row]:
    """Rows of Arrow record batches, numbered from ``first_row``; a broken
    file raises TableError at the row where reading stopped."""
    row = first_row - 1
    try:
        for batch in batches():
            for record in batch.to_pylist():
                row += 1
                yield row, None, _record(record)
    except (errors, OSError) as exc:
        raise TableError(f"broken {label}: {str(exc).splitlines()[0][:160]}",
                         row=row + 1 if row else None) from None


def _arrow(path: Path) -> Iterator[Row]:
    """Arrow IPC: the file format (Feather v2) or the stream format (the
    Hugging Face datasets cache), batch by batch, memory-mapped."""
    import pyarrow as pa
    from pyarrow import ArrowException

    def batches():
        with pa.memory_map(str(path)) as source:
            try:
                reader = pa.ipc.open_file(source)
                yield from (reader.get_batch(i) for i in range(reader.num_record_batches))
            except ArrowException:
                source.seek(0)
                yield from pa.ipc.open_stream(source)

    yield from _arrow_rows(batches, "Arrow file", ArrowException)


# --- Parts of a table --------------------------------------------------------
#
# A large table is scanned in parts, each a run of whole rows, so that its
# rows can be read on several cores or machines at once (docs/scale.md).
# Every part knows the number of its first row and line, so that findings
# name the same rows as a scan of the whole file.

# Rows a part aims at: some 40 s of analysis each (at 500 rows/s), so that a task's
# overhead (a few milliseconds on Dask) is lost in it and a lost worker costs
# little to run again.
PART_ROWS = 20_000


@dataclass(frozen=True)
class TablePart:
    """A run of whole rows of a table.

    ``start`` and ``stop``: for Parquet, the row groups ``[start, stop)``;
    for CSV, TSV and JSON Lines, the bytes ``[start, stop)`` of the file,
    ``start`` at the first byte of a record and ``stop`` just past the line
    end of the last. ``first_row`` is the 1-based data row of the first row
    (the header excluded), ``first_line`` the line it starts on (None for
    Parquet), ``rows`` how many rows it holds (a broken line of JSON Lines
    counted as one). ``index`` is the part's place among the ``count``
    parts. ``url``: where the part is read from when it is not the path
    its reader is given (a table of a URL bundle, read by a Dask worker
    where it lives: remote_source.py)."""

    fmt: str
    index: int
    count: int
    start: int
    stop: int
    first_row: int
    first_line: int | None = None
    rows: int = 0
    url: str | None = None

    @property
    def last_row(self) -> int:
        return self.first_row + self.rows - 1


def split_table(path: Path, fmt: str | None = None,
                rows_per_part: int = PART_ROWS, url: str | None = None) -> list[TablePart]:
    """The parts of the table at ``path`` (read at ``url`` instead when one
    is given, and each part then read there too), in order, each about
    ``rows_per_part`` rows; a single part (or none, for a table that is
    not CSV, TSV, JSON Lines or Parquet) when it is not worth splitting or
    cannot be split safely. Never raises for a broken table: one that does
    not parse cleanly is not split, and reading it whole reports the error
    as it always did."""
    fmt = fmt or table_format(path)
    if fmt not in ("parquet", "csv", "tsv", "jsonl"):
        return []
    try:
        with _opened(path, url) as handle:
            if fmt == "parquet":
                parts = _parquet_parts(handle, rows_per_part)
            elif fmt in ("csv", "tsv"):
                parts = _delimited_parts(handle, "\t" if fmt == "tsv" else ",", rows_per_part)
            else:
                parts = _json_lines_parts(handle, rows_per_part)
    except (TableError, OSError, ValueError, csv.Error, UnicodeDecodeError):
        return []
    except Exception as exc:  # noqa: BLE001 - pyarrow's errors: a footer it cannot read
        if type(exc).__module__.startswith("pyarrow"):
            return []
        raise
    count = len(parts)
    return [TablePart(fmt, i, count, start, stop, row, line, rows, url)
            for i, (start, stop, row, line, rows) in enumerate(parts)]


@contextmanager
def _opened(path: Path, url: str | None = None) -> Iterator:
    """The table's bytes, seekable: the file at ``path``, or the one at the
    fsspec ``url``, buffered so that lines are read with a bound
    (``readline(limit)``, which fsspec's own files do not take)."""
    if url is None:
        with open(path, "rb") as handle:
            yield handle
        return
    import fsspec

    with fsspec.open(url, "rb") as remote:
        yield io.BufferedReader(_Seekable(remote), buffer_size=1024 * 1024)


class _Seekable(io.RawIOBase):
    """A raw, seekable view of a file object fsspec opened."""

    def __init__(self, handle):
        self.handle = handle

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self.handle.seek(offset, whence)

    def tell(self) -> int:
        return self.handle.tell()

    def readinto(self, buffer) -> int:
        data = self.handle.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)


def _parquet_file(source):
    """A Parquet file at a path or in an open binary file object."""
    import pyarrow.parquet as pq

    return pq.ParquetFile(source, thrift_string_size_limit=PARQUET_THRIFT_STRING_LIMIT,
                          thrift_container_size_limit=PARQUET_THRIFT_CONTAINER_LIMIT,
                          schema_depth_limit=PARQUET_SCHEMA_DEPTH_LIMIT)


_Bounds = tuple[int, int, int, int | None, int]  # start, stop, first row and line, rows


def _parquet_parts(handle, rows_per_part: int) -> list[_Bounds]:
    """Runs of whole row groups, read from the footer alone."""
    metadata = _parquet_file(handle).metadata
    parts: list[_Bounds] = []
    start, first_row, rows = 0, 1, 0
    for group in range(metadata.num_row_groups):
        rows += metadata.row_group(group).num_rows
        if rows >= rows_per_part:
            parts.append((start, group + 1, first_row, None, rows))
            start, first_row, rows = group + 1, first_row + rows, 0
    if rows or not parts:
        parts.append((start, metadata.num_row_groups, first_row, None, rows))
    return parts


class _Lines:
    """The lines of a binary file from ``start`` up to ``stop``, each
    decoded as ``_text_stream`` decodes it, counting the bytes and lines
    given out: what a csv reader is fed, so that its record boundaries are
    known as byte offsets. A bare ``\\r`` (an old Mac line end, which the
    text stream would count as a line) sets ``bare_cr``."""

    def __init__(self, handle, start: int, stop: int | None, encoding: str):
        self.handle = handle
        self.offset = start
        self.stop = stop
        self.encoding = encoding
        self.lines = 0
        self.bare_cr = False
        handle.seek(start)

    def __iter__(self):
        return self

    def __next__(self) -> str:
        limit = MAX_RECORD_BYTES + 1
        if self.stop is not None:
            limit = min(limit, self.stop - self.offset)
        raw = self.handle.readline(limit) if limit > 0 else b""
        if not raw:
            raise StopIteration
        if len(raw) > MAX_RECORD_BYTES and not raw.endswith(b"\n"):
            raise TableError("line longer than the record limit", line=self.lines + 1)
        body = raw[:-2] if raw.endswith(b"\r\n") else raw[:-1] if raw.endswith(b"\n") else raw
        if b"\r" in body:
            self.bare_cr = True
        self.offset += len(raw)
        self.lines += 1
        return raw.decode(self.encoding, errors="surrogateescape")


def _csv_encoding(handle) -> tuple[str, int] | None:
    """UTF-8 (its byte-order mark skipped) or None: UTF-16 is not split."""
    head = handle.read(4)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None
    return ("utf-8", len(codecs.BOM_UTF8)) if head.startswith(codecs.BOM_UTF8) else ("utf-8", 0)


def _delimited_parts(handle, delimiter: str, rows_per_part: int) -> list[_Bounds]:
    """Record boundaries found by the csv module itself, as it reads the
    file whole: a quoted cell may hold line breaks, so a line start is not
    a record start, and counting quotes is fooled by a stray quote in an
    unquoted cell. Only a file that parses cleanly (and has no bare ``\\r``
    line ends) is split."""
    csv.field_size_limit(MAX_RECORD_BYTES)
    encoding = _csv_encoding(handle)
    if encoding is None:
        return []
    lines = _Lines(handle, encoding[1], None, encoding[0])
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    header = next(reader, None)
    if header is None:
        return []
    _check_text(header, 0, 1)
    parts: list[_Bounds] = []
    start, first_row, first_line, row = lines.offset, 1, lines.lines + 1, 0
    for values in reader:
        row += 1
        _check_text(values, row, 0)
        if row - first_row + 1 >= rows_per_part:
            parts.append((start, lines.offset, first_row, first_line, row - first_row + 1))
            start, first_row, first_line = lines.offset, row + 1, lines.lines + 1
    if lines.bare_cr:
        return []
    if row >= first_row or not parts:
        parts.append((start, lines.offset, first_row, first_line, row - first_row + 1))
    return parts


def _json_lines_parts(handle, rows_per_part: int) -> list[_Bounds]:
    """Line boundaries: a JSON Lines record never spans lines. Blank lines
    are not rows, as in ``_json_lines``."""
    parts: list[_Bounds] = []
    start, first_row, first_line, row, offset = 0, 1, 1, 0, 0
    too_long = lambda exc: TableError(str(exc), line=exc.number)  # noqa: E731
    for number, raw in bounded_lines(handle, MAX_RECORD_BYTES, too_long):
        offset += len(raw)
        if not raw.strip():
            continue
        row += 1
        if row - first_row + 1 >= rows_per_part:
            parts.append((start, offset, first_row, first_line, row - first_row + 1))
            start, first_row, first_line = offset, row + 1, number + 1
    if row >= first_row or not parts:
        parts.append((start, offset, first_row, first_line, row - first_row + 1))
    return parts


def iter_part_rows(path: Path, part: TablePart) -> Iterator[Row]:
    """The rows of one part of a table (:func:`split_table`), numbered as
    :func:`iter_rows` numbers them in the whole file, read from
    ``part.url`` when it has one, else from ``path``; raises TableError."""
    if part.fmt == "parquet":
        yield from _parquet_part(path, part)
    elif part.fmt in ("csv", "tsv"):
        yield from _delimited_part(path, "\t" if part.fmt == "tsv" else ",", part)
    elif part.fmt == "jsonl":
        yield from _json_lines_part(path, part)
    else:
        raise TableError(f"a {part.fmt} table is not read in parts")


def _parquet_part(path: Path, part: TablePart) -> Iterator[Row]:
    from pyarrow import ArrowException

    def batches():
        groups = list(range(part.start, part.stop))
        with _opened(path, part.url) as handle:
            yield from _parquet_file(handle).iter_batches(batch_size=4096, row_groups=groups)

    yield from _arrow_rows(batches, "Parquet", ArrowException, first_row=part.first_row)


def _delimited_part(path: Path, delimiter: str, part: TablePart) -> Iterator[Row]:
    csv.field_size_limit(MAX_RECORD_BYTES)
    row = part.first_row - 1
    with _opened(path, part.url) as handle:
        encoding = _csv_encoding(handle)
        if encoding is None:
            raise TableError("a UTF-16 table is not read in parts")
        head = _Lines(handle, encoding[1], None, encoding[0])
        header = next(csv.reader(head, delimiter=delimiter, strict=True), None) or []
        header = [h.strip() or f"column {i + 1}" for i, h in enumerate(header)]
        lines = _Lines(handle, part.start, part.stop, encoding[0])
        reader = csv.reader(lines, delimiter=delimiter, strict=True)
        start = (part.first_line or 1)
        try:
            for values in reader:
                row += 1
                _check_text(values, row, start)
                yield row, start, _cells(header, values)
                start = (part.first_line or 1) + lines.lines
        except csv.Error as exc:
            raise TableError(f"broken CSV: {exc}", row=row + 1,
                             line=(part.first_line or 1) + lines.lines - 1) from None


def _cells(header: list[str], values: list[str]) -> dict[str, str]:
    fields = {}
    for i, value in enumerate(values):
        text = _cell(value)
        if text is not None:
            fields[header[i] if i < len(header) else f"column {i + 1}"] = text
    return fields


def _json_lines_part(path: Path, part: TablePart) -> Iterator[Row]:
    with _opened(path, part.url) as handle:
        handle.seek(part.start)
        window = io.BufferedReader(_Window(handle, part.stop - part.start))
        yield from _json_lines_from(window, part.first_row - 1, (part.first_line or 1) - 1)


class _Window(io.RawIOBase):
    """At most ``size`` bytes of ``handle`` from where it stands."""

    def __init__(self, handle, size: int):
        self.handle = handle
        self.left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self.left <= 0:
            return 0
        data = self.handle.read(min(len(buffer), self.left))
        buffer[:len(data)] = data
        self.left -= len(data)
        return len(data)
