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
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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


_UNDECODABLE = re.compile("[\udc80-\udcff]")


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
                fields = {}
                for i, value in enumerate(values):
                    text = _cell(value)
                    if text is not None:
                        name = header[i] if i < len(header) else f"column {i + 1}"
                        fields[name] = text
                yield row, start, fields
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
    row = 0
    with open(path, "rb") as handle:
        too_long = lambda exc: TableError(str(exc), line=exc.number)  # noqa: E731
        for number, raw in bounded_lines(handle, MAX_RECORD_BYTES, too_long):
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
        import pyarrow.parquet as pq
        from pyarrow import ArrowException
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        raise TableError("reading Parquet needs pyarrow") from None
    def batches():
        table = pq.ParquetFile(path, thrift_string_size_limit=PARQUET_THRIFT_STRING_LIMIT,
                               thrift_container_size_limit=PARQUET_THRIFT_CONTAINER_LIMIT,
                               schema_depth_limit=PARQUET_SCHEMA_DEPTH_LIMIT)
        return table.iter_batches(batch_size=4096)

    yield from _arrow_rows(batches, "Parquet", ArrowException)


def _arrow_rows(batches, label: str, errors) -> Iterator[Row]:
    """Rows of Arrow record batches; a broken file raises TableError at the
    row where reading stopped."""
    row = 0
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
