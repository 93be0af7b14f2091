"""Where personal data hides in a bundle, as records of text to analyse.

A record is what one person-related statement can span: a table row (its
cells are segments, the column name is their field), a paragraph of a text
file or card, a comment or string literal in code, the ``__metadata__`` of a
safetensors file. Records stream: a million-row table or a long text file is
never held in memory at once.
"""

from __future__ import annotations

import io
import json
import re
import struct
import tokenize
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from aiart_release.tables import TableError, iter_rows
from aiart_release.textio import TextUnreadable, bounded_lines, decode

MAX_LINE_BYTES = 1024 * 1024
MAX_RECORD_CHARS = 20_000
MAX_SAFETENSORS_HEADER = 100 * 1024 * 1024
MIN_STRING_CHARS = 4
# Subtitle cue numbers and timings carry no personal data.
_SUBTITLE_NOISE = re.compile(
    r"^\s*(\d+|WEBVTT.*|NOTE.*|\d{1,2}:\d{2}(:\d{2})?[.,]\d{3}\s*-->.*)\s*$"
)


_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s")


@dataclass
class Segment:
    text: str
    field: str = ""
    line: int | None = None


@dataclass
class Record:
    row: int | None = None
    line: int | None = None
    segments: list[Segment] = field(default_factory=list)


class SourceError(Exception):
    """The file cannot be read (further); records before it were yielded."""


def records(path: Path, kind: str, suffix: str) -> Iterator[Record]:
    """The records of one file; raises SourceError where reading stops."""
    if kind == "table":
        yield from _table(path)
    elif kind == "model-weights":
        if suffix == ".safetensors":
            yield from _safetensors(path)
    elif kind in ("config", "manifest"):
        if suffix == ".json":
            yield from _json_object(path)
    elif kind == "code":
        if suffix == ".ipynb":
            yield from _notebook(path)
        else:
            yield from _code(_read_all(path), suffix)
    else:
        markdown = kind in ("model-card", "dataset-card") or suffix in (".md", ".markdown")
        yield from _paragraphs(_lines(path), subtitles=suffix in (".srt", ".vtt"),
                               markdown=markdown)


def _table(path: Path) -> Iterator[Record]:
    try:
        for row, line, cells in iter_rows(path):
            yield Record(row=row, line=line,
                         segments=[Segment(text, name, line) for name, text in cells.items()])
    except TableError as exc:
        raise SourceError(str(exc)) from None
    except OSError as exc:
        raise SourceError(exc.strerror or str(exc)) from None


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    """Lines as text, one at a time, none longer than MAX_LINE_BYTES."""
    try:
        with open(path, "rb") as handle:
            first = handle.read(4)
            handle.seek(0)
            if first.startswith((b"\xff\xfe", b"\xfe\xff")):
                # UTF-16 has no byte-wise lines; such files are small captions.
                text = decode(handle.read(MAX_LINE_BYTES * 4))
                for number, line in enumerate(text.split("\n"), start=1):
                    yield number, line
                return
            too_long = lambda exc: SourceError(f"{exc}: not text to read")  # noqa: E731
            for number, raw in bounded_lines(handle, MAX_LINE_BYTES, too_long):
                if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                    raw = raw[3:]
                try:
                    yield number, decode(raw)
                except TextUnreadable as exc:
                    raise SourceError(f"line {number}: {exc}") from None
    except OSError as exc:
        raise SourceError(exc.strerror or str(exc)) from None


def _paragraphs(lines: Iterator[tuple[int, str]], subtitles: bool = False,
                markdown: bool = False) -> Iterator[Record]:
    buffer: list[str] = []
    start = 0
    size = 0
    for number, line in lines:
        line = line.rstrip("\r\n")
        if subtitles and _SUBTITLE_NOISE.match(line):
            line = ""
        # Markdown headings are Title Case, which the NER model reads as
        # names ("## Bias, Risks, and Limitations"); they hold no personal data.
        if markdown and _MD_HEADING.match(line):
            line = ""
        if not line.strip() or size > MAX_RECORD_CHARS:
            if buffer:
                yield Record(line=start, segments=[Segment("\n".join(buffer), "", start)])
                buffer, size = [], 0
            if not line.strip():
                continue
        if not buffer:
            start = number
        buffer.append(line)
        size += len(line)
    if buffer:
        yield Record(line=start, segments=[Segment("\n".join(buffer), "", start)])


def _read_all(path: Path, limit: int = 64 * 1024 * 1024) -> str:
    try:
        with open(path, "rb") as handle:
            data = handle.read(limit)
        return decode(data, final=len(data) < limit)
    except TextUnreadable as exc:
        raise SourceError(str(exc)) from None
    except OSError as exc:
        raise SourceError(exc.strerror or str(exc)) from None


def _code(source: str, suffix: str, line_offset: int = 0) -> Iterator[Record]:
    """Comments and string literals: where code holds names, addresses and
    credentials. Python is tokenized; other languages are read with a
    generic comment/string pattern."""
    if suffix in (".py", ".pyi", ".pyx"):
        try:
            # Whole, before yielding: if tokenizing fails at the end, nothing
            # has gone out twice.
            found = list(_python(source, line_offset))
        except (tokenize.TokenError, SyntaxError, IndentationError):
            pass  # not valid Python: fall back to the generic reader
        else:
            yield from found
            return
    for match in _GENERIC_CODE.finditer(source):
        text = next(g for g in match.groups() if g is not None)
        if len(text.strip()) >= MIN_STRING_CHARS:
            line = source.count("\n", 0, match.start()) + 1 + line_offset
            kind = "comment" if match.group(0).lstrip()[:1] in "#/-" else "string"
            yield Record(line=line, segments=[Segment(text.strip()[:MAX_RECORD_CHARS], kind,
                                                      line)])


_GENERIC_CODE = re.compile(
    r"//[ \t]*(.*)|/\*([\s\S]*?)\*/|(?<![\w$])#[ \t]*(.*)|--[ \t]+(.*)"
    r"|\"((?:[^\"\\\n]|\\.){0,2000})\"|'((?:[^'\\\n]|\\.){0,2000})'"
)


def _python(source: str, line_offset: int) -> Iterator[Record]:
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    for token in tokens:
        if token.type == tokenize.COMMENT:
            text, kind = token.string.lstrip("#").strip(), "comment"
        elif token.type == tokenize.STRING:
            text, kind = _string_value(token.string), "string"
        elif token.type == _FSTRING_MIDDLE:  # Python 3.12+ splits f-strings
            text, kind = token.string, "string"
        else:
            continue
        if len(text.strip()) >= MIN_STRING_CHARS:
            line = token.start[0] + line_offset
            yield Record(line=line, segments=[Segment(text[:MAX_RECORD_CHARS], kind, line)])


_FSTRING_MIDDLE = getattr(tokenize, "FSTRING_MIDDLE", -1)


def _string_value(literal: str) -> str:
    body = literal.lstrip("rRbBuUfF")
    for quote in ('"""', "'''", '"', "'"):
        if body.startswith(quote) and body.endswith(quote) and len(body) >= 2 * len(quote):
            return body[len(quote):-len(quote)]
    return body


def _notebook(path: Path) -> Iterator[Record]:
    try:
        notebook = json.loads(_read_all(path))
    except ValueError as exc:
        raise SourceError(f"not a valid notebook (JSON error: {exc})") from None
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(cells, list):
        raise SourceError("not a Jupyter notebook: no list of cells")
    for number, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict):
            continue
        source = _joined(cell.get("source"))
        if cell.get("cell_type") == "code":
            for record in _code(source, ".py"):
                yield _in_cell(record, number, "code")
            for output in cell.get("outputs") or []:
                text = _joined((output or {}).get("text")) or _joined(
                    ((output or {}).get("data") or {}).get("text/plain"))
                if text.strip():
                    yield Record(line=None, segments=[
                        Segment(text[:MAX_RECORD_CHARS], f"cell {number} output")])
        elif source.strip():
            kind = "markdown" if cell.get("cell_type") == "markdown" else "raw"
            for record in _paragraphs(enumerate(source.split("\n"), start=1),
                                      markdown=kind == "markdown"):
                yield _in_cell(record, number, kind)


def _in_cell(record: Record, number: int, kind: str) -> Record:
    for segment in record.segments:
        segment.field = f"cell {number} {kind}" + (f" {segment.field}" if segment.field else "")
        segment.line = None  # lines inside a cell are not lines of the file
    record.line = None
    return record


def _joined(value) -> str:
    if isinstance(value, list):
        return "".join(v for v in value if isinstance(v, str))
    return value if isinstance(value, str) else ""


def _safetensors(path: Path) -> Iterator[Record]:
    """The free-text ``__metadata__`` of a safetensors header: trainers
    write dataset paths, captions and user names there."""
    try:
        with open(path, "rb") as handle:
            prefix = handle.read(8)
            if len(prefix) < 8:
                raise SourceError("not a safetensors file: shorter than its header length")
            (length,) = struct.unpack("<Q", prefix)
            if length > MAX_SAFETENSORS_HEADER:
                raise SourceError(f"not a safetensors file: header length {length} is absurd")
            raw = handle.read(length)
            if len(raw) < length:
                raise SourceError(f"not a safetensors file: header length {length} exceeds "
                                  "the file (truncated?)")
            header = json.loads(raw)
    except SourceError:
        raise
    except (ValueError, UnicodeDecodeError) as exc:
        raise SourceError(f"safetensors header is not valid JSON ({exc})") from None
    except OSError as exc:
        raise SourceError(exc.strerror or str(exc)) from None
    metadata = header.get("__metadata__") if isinstance(header, dict) else None
    if not isinstance(metadata, dict):
        return
    segments = [Segment(value[:MAX_RECORD_CHARS], f"__metadata__.{key}")
                for key, value in metadata.items() if isinstance(value, str) and value.strip()]
    if segments:
        yield Record(segments=segments)


def _json_object(path: Path) -> Iterator[Record]:
    """A JSON object, one record per top-level key: a caption map keyed by
    image (kohya-ss ``meta_cap.json``), a config with an author field."""
    try:
        data = json.loads(_read_all(path))
    except ValueError as exc:
        raise SourceError(f"invalid JSON ({exc})") from None
    if not isinstance(data, dict):
        return
    for number, (key, value) in enumerate(data.items(), start=1):
        if isinstance(value, str):
            cells = {str(key): value}
        elif isinstance(value, dict):
            cells = {f"{key}.{k}": v for k, v in value.items() if isinstance(v, str)}
        else:
            continue
        segments = [Segment(text[:MAX_RECORD_CHARS], name) for name, text in cells.items()
                    if text.strip()]
        if segments:
            yield Record(row=number, segments=segments)
