"""Where personal data hides in a bundle, as records of text to analyse.

A record is what one person-related statement can span: a table row (its
cells are segments, the column name is their field), a paragraph of a text
file or card, a comment or string literal in code, the ``__metadata__`` of a
safetensors file. Records stream: a million-row table or a long text file is
never held in memory at once.

Every segment says where its text comes from (its ``context``, one of
``aiart_release.findings.CONTEXTS``): a caption or table cell is data about
people; the same words in a docstring, a BibTeX entry or a linter config are
not, and the check weighs them accordingly.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Iterable, Iterator
from dataclasses import field
from pathlib import Path

from aiart_release.lazy_pattern import LazyPattern
from aiart_release.readers.jsonfile import load_json
from aiart_release.readers.limits import DATA_LIMITS, LimitExceeded
from aiart_release.readers.text import TextUnreadable, bounded_lines, decode
from aiart_release.records import dataclass

from .markup import JOIN, marked_lines

MAX_LINE_BYTES = 1024 * 1024
MAX_RECORD_CHARS = 20_000
MIN_STRING_CHARS = 4
# Subtitle cue numbers and timings carry no personal data.
_SUBTITLE_NOISE = LazyPattern(
    r"^\s*(\d+|WEBVTT.*|NOTE.*|\d{1,2}:\d{2}(:\d{2})?[.,]\d{3}\s*-->.*)\s*$"
)


# Contexts of segments (aiart_release.findings.CONTEXTS).
CAPTION, PROSE, COMMENT, DOCSTRING, STRING = (
    "caption", "prose", "code-comment", "docstring", "string-literal")
CITATION, CONFIG, METADATA, FIXTURE = "citation", "config", "metadata", "fixture"
FILE_NAME = "file-name"

# Files that are lists of authors, credits or references, whatever their suffix.
_CITATION_FILE = LazyPattern(
    r"^(?:citation|citations|authors|contributors|credits|thanks|maintainers|"
    r"acknowledge?ments|references)(?:[-_. ].*)?$|\.bib$|\.cff$", re.IGNORECASE)
# Tool settings in a dot-file (.pylintrc, .flake8, .coveragerc) or a config
# read as text: words there are option names, not people.
_CONFIG_FILE = LazyPattern(
    r"^\.[\w.-]*(?:rc|ignore|flake8|editorconfig|config)$|\.(?:cfg|ini|toml|ya?ml|conf)$",
    re.IGNORECASE)
# Text files that are the data when they sit in the dataset: caption sidecars,
# transcripts.
_CAPTION_SUFFIXES = {"", ".txt", ".caption", ".text", ".srt", ".vtt", ".ass"}


@dataclass
class Segment:
    text: str
    field: str = ""
    line: int | None = None
    context: str = PROSE


@dataclass
class Record:
    row: int | None = None
    line: int | None = None
    segments: list[Segment] = field(default_factory=list)


class SourceError(Exception):
    """The file cannot be read (further); records before it were yielded.
    ``limit`` is set when the file passed a reader's limit
    (:mod:`aiart_release.readers.limits`): a ``bundle.too-complex`` finding."""

    def __init__(self, message: str, limit: LimitExceeded | None = None):
        self.limit = limit
        super().__init__(message)

    @classmethod
    def from_limit(cls, exceeded: LimitExceeded) -> SourceError:
        return cls(exceeded.describe(), limit=exceeded)


def file_context(name: str, kind: str, artifact: str = "", origin: str | None = None,
                 head: bytes = b"") -> str | None:
    """The context every segment of a file has, where the file alone decides
    it (a test fixture, a CITATION.cff, a caption sidecar in the dataset, a
    list of class labels); None where each segment has its own (code,
    Markdown). ``head`` is the file's first bytes, where the inventory kept
    them."""
    if origin == FIXTURE:
        return FIXTURE
    if kind == "text" and is_label_list(head):
        return CONFIG
    lowered = name.lower()
    suffix = lowered[lowered.rfind("."):] if "." in lowered.lstrip(".") else ""
    if kind in ("text", "config", "table") and _CITATION_FILE.search(lowered):
        return CITATION
    if kind in ("table", "manifest"):
        return CAPTION
    if kind == "model-weights":
        return METADATA
    if kind in ("text", "config") and _CONFIG_FILE.search(lowered):
        return CONFIG
    if kind == "text" and artifact == "dataset" and suffix in _CAPTION_SUFFIXES:
        return CAPTION
    return None


# `0: 'tench, Tinca tinca',` (a Python or JSON label map), `n01440764 tench`
# (an ImageNet synset list), `"cat": 3,`: a vocabulary the code reads, not
# sentences about anyone.
_LABEL_LINE = LazyPattern(
    r"""^\s*[{\[]?\s*(?:(?:\d+|'[^'\n]{1,80}'|"[^"\n]{1,80}")\s*:\s*(?:'[^'\n]*'|"[^"\n]*"|\d+)"""
    r"""|n\d{8}\s+\S[^\n]{0,200})\s*,?\s*[}\]]?\s*$""")
LABEL_LIST_MIN_LINES = 20


def is_label_list(head: bytes) -> bool:
    """Whether a text file is a list of class labels: at least 20 lines in
    its head, nine in ten of them ``key: 'label'`` or ``synset label``."""
    lines = [line for line in head.decode("utf-8", "replace").splitlines()[:-1]
             if line.strip()]
    if len(lines) < LABEL_LIST_MIN_LINES:
        return False
    return sum(1 for line in lines if _LABEL_LINE.match(line)) >= 0.9 * len(lines)


def records(path: Path, kind: str, suffix: str, context: str | None = None,
            ocr: str | None = None) -> Iterator[Record]:
    """The records of one file; raises SourceError where reading stops.
    ``context``, when given, is the context of every segment (see
    :func:`file_context`). ``ocr``: the OCR engine an image's pixels are
    read for text with too (``checks: {pii: {ocr: true}}``), or None."""
    for record in _records(path, kind, suffix, ocr):
        if context is not None:
            for segment in record.segments:
                segment.context = context
        yield record


def _records(path: Path, kind: str, suffix: str, ocr: str | None = None) -> Iterator[Record]:
    if kind == "table":
        yield from _table(path)
    elif kind == "model-weights":
        if suffix == ".safetensors":
            yield from _safetensors(path)
    elif kind == "image":
        yield from _image_prompts(path)
        yield from _file_name(path)
        if ocr:
            yield from _image_text(path, ocr)
    elif kind in ("config", "manifest"):
        if suffix == ".json":
            yield from _json_object(path, kind)
    elif kind == "code":
        if suffix == ".ipynb":
            yield from _notebook(path)
        else:
            yield from _code(_read_all(path), suffix)
    elif kind == "text" and _is_script(path):
        # A script without a suffix ("#!/bin/sh"), or a patch: code.
        yield from _code(_read_all(path), ".py" if _is_script(path) == "python" else "")
    else:
        lines: Iterator[tuple[int, str]] = _lines(path)
        if suffix in (".srt", ".vtt"):
            lines = ((n, "" if _SUBTITLE_NOISE.match(t) else t) for n, t in lines)
        yield from _paragraphs(marked_lines(lines, _markup(kind, suffix)))


def _image_prompts(path: Path) -> Iterator[Record]:
    """The prompts a generation tool wrote into an image's metadata (an
    A1111 ``parameters`` chunk, a ComfyUI workflow): a person typed them,
    and they name people as captions do."""
    from aiart_release.readers.media import prompt_texts

    texts = prompt_texts(path)
    if texts:
        yield Record(segments=[Segment(e.value[:MAX_RECORD_CHARS], e.tag, None, METADATA)
                               for e in texts])


IMAGE_TEXT = "image text"


def _image_text(path: Path, engine: str) -> Iterator[Record]:
    """The text an image shows (a letter, a name tag, a caption burnt into a
    meme, a name signed in a corner), read by the OCR ``engine`` through the
    core reader: data about whoever it names, as a caption is. One record
    for the image, its lines kept apart; an image that does not decode says
    nothing here (the metadata reader reports it), the engine failing on
    one that does is a reason."""
    from aiart_release.readers.ocr import OcrFailed, image_text

    try:
        text = image_text(path, engine)
    except OcrFailed as exc:
        if exc.decoded:
            raise SourceError(f"the text in the image could not be read: {exc}") from None
        return
    lines = [" ".join(line.split()) for line in text.splitlines()]
    shown = "\n".join(line for line in lines if line)
    if shown:
        yield Record(segments=[Segment(shown[:MAX_RECORD_CHARS], IMAGE_TEXT, None, CAPTION)])


def _file_name(path: Path) -> Iterator[Record]:
    """A person's name in a picture's file name (``taylor_swift_3.jpg``,
    ``emma-watson.png``): people name photos after who is in them. Only a
    given name followed by a family name from the name lexicons counts, as
    the masking gate reads paths: read by the NER model, file names of
    real repositories (``house_line.png``, ``bench2_mask.png``) came out as
    people."""
    yield from _names_in(path.stem, "file name")


def folder_name_records(path: str) -> Iterator[tuple[str, Record]]:
    """``(folder, record)`` for each person's name in the folders of a
    bundle-relative ``path`` (``dataset/maria_gonzalez/001.jpg``: people
    sort photos into a folder per person), by the same strict rule as file
    names: on 13 real repositories the NER model made only false people of
    folder names. The relative path only: the folders above the bundle
    (``/home/...``) are not the bundle's."""
    parts = path.split("/")[:-1]
    for depth, part in enumerate(parts, start=1):
        for record in _names_in(part, "folder name"):
            yield "/".join(parts[:depth]), record


def _names_in(name: str, field_name: str) -> Iterator[Record]:
    """A record for each given-and-family name in a file or folder name,
    written as a sentence would write it, for the recognizers."""
    from .maskers import name_spans

    for start, end, _ in name_spans(name.replace(" ", "_")):
        words = re.split(r"[\s_.\-]+", name[start:end])
        yield Record(segments=[Segment(" ".join(w.capitalize() for w in words if w),
                                       field_name, None, FILE_NAME)])


def _is_script(path: Path) -> str | None:
    """"python", "script" for another interpreter or a patch, None for text."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(256)
    except OSError:
        return None
    if head.startswith(b"#!"):
        return "python" if b"python" in head.split(b"\n", 1)[0] else "script"
    if head.startswith((b"diff ", b"--- ", b"From ", b"Index: ")) and b"\n@@ " in head or \
            head.startswith(b"diff --git "):
        return "script"
    return None


def _markup(kind: str, suffix: str) -> str | None:
    if kind in ("model-card", "dataset-card") or suffix in (".md", ".markdown"):
        return "markdown"
    return {".rst": "rst", ".html": "html", ".htm": "html"}.get(suffix)


def _table(path: Path) -> Iterator[Record]:
    # The readers of tables and weights are imported for a table or a
    # weights file: a commit of one caption needs neither.
    from aiart_release.readers.tables import TableError, iter_rows

    try:
        for row, line, cells in iter_rows(path):
            yield Record(row=row, line=line, segments=[
                Segment(text, name, line, CAPTION) for name, text in cells.items()])
    except TableError as exc:
        raise SourceError(str(exc), limit=exc.limit) from None
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


def _paragraphs(lines: Iterable[tuple[int, str, str]]) -> Iterator[Record]:
    """Paragraphs of ``(number, text, context)`` lines: a blank line, a
    change of context (prose to a BibTeX entry) or MAX_RECORD_CHARS ends one."""
    buffer: list[str] = []
    start = 0
    size = 0
    context = PROSE
    for number, line, where in lines:
        if where == JOIN:
            if buffer:
                buffer.append("")  # keeps the lines of the paragraph counted
            continue
        line = line.rstrip("\r\n")
        if not line.strip() or size > MAX_RECORD_CHARS or (buffer and where != context):
            if buffer:
                yield Record(line=start, segments=[
                    Segment("\n".join(buffer), "", start, context)])
                buffer, size = [], 0
            if not line.strip():
                continue
        if not buffer:
            start, context = number, where
        buffer.append(line)
        size += len(line)
    if buffer:
        yield Record(line=start, segments=[Segment("\n".join(buffer), "", start, context)])


def _read_all(path: Path, limit: int = 64 * 1024 * 1024) -> str:
    try:
        with open(path, "rb") as handle:
            data = handle.read(limit)
        return decode(data, final=len(data) < limit)
    except TextUnreadable as exc:
        raise SourceError(str(exc)) from None
    except OSError as exc:
        raise SourceError(exc.strerror or str(exc)) from None


def _load_json(path: Path, invalid: str):
    """A JSON document read whole, within DATA_LIMITS (depth and keys are
    checked before it is parsed); ``invalid`` words the error for bad JSON."""
    text = _read_all(path)
    try:
        return load_json(text, DATA_LIMITS)
    except LimitExceeded as exc:
        raise SourceError.from_limit(exc) from None
    except ValueError as exc:
        raise SourceError(invalid.format(exc)) from None


def _code(source: str, suffix: str, line_offset: int = 0) -> Iterator[Record]:
    """Comments, docstrings and string literals: where code holds names,
    addresses and credentials. Python is tokenized; other languages are read
    with a generic comment/string pattern."""
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
        index = next(i for i, g in enumerate(match.groups(), start=1) if g is not None)
        text = match.group(index)
        doc = match.group(0).startswith("/**")  # JSDoc / Javadoc documentation
        begin = match.start(index) + doc
        text = text[1:] if doc else text
        stripped = text.strip()
        if len(stripped) < MIN_STRING_CHARS:
            continue
        # The line of the first character of text, not of the opening "/*".
        begin += len(text) - len(text.lstrip())
        line = source.count("\n", 0, begin) + 1 + line_offset
        opening = match.group(0).lstrip()[:3]
        if doc:
            kind, context = "docstring", DOCSTRING
        elif opening[:1] in "#/-":
            kind, context = "comment", COMMENT
        else:
            kind, context = "string", STRING
        yield _record(stripped, kind, context, line)


# An unclosed "/*" runs to the end of the file, as a compiler reads it. The
# end must be allowed: a lazy scan for a "*/" that never comes, retried at
# each of 100,000 openers, took minutes on 300 KB.
_GENERIC_CODE = LazyPattern(
    r"//[ \t]*(.*)|/\*([\s\S]*?)(?:\*/|\Z)|(?<![\w$])#[ \t]*(.*)|--[ \t]+(.*)"
    r"|\"((?:[^\"\\\n]|\\.){0,2000})\"|'((?:[^'\\\n]|\\.){0,2000})'"
)
_BLOCK_WORDS = ("def", "class", "async")
_QUIET = {tokenize.NL, tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING}


def _python(source: str, line_offset: int) -> Iterator[Record]:
    """Comments, docstrings (the first statement of a module, class or
    function, when it is a lone string) and other string literals."""
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    at_line_start = True
    opens_block = False  # the logical line began with def/class
    doc_expected = True  # the next statement may be a docstring
    pending: Record | None = None  # a string that is a docstring if its line ends here
    for token in tokens:
        kind = token.type
        if pending is not None and kind not in (tokenize.COMMENT, tokenize.NL):
            if kind == tokenize.NEWLINE:
                for segment in pending.segments:
                    segment.field, segment.context = "docstring", DOCSTRING
            yield pending
            pending = None
        if kind == tokenize.COMMENT:
            text = token.string.lstrip("#").strip()
            if len(text) >= MIN_STRING_CHARS:
                yield _record(text, "comment", COMMENT, token.start[0] + line_offset)
            continue
        if kind in _QUIET:
            if kind == tokenize.INDENT and opens_block:
                doc_expected = True
            continue
        if kind == tokenize.NEWLINE:
            at_line_start = True
            doc_expected = doc_expected and opens_block
            continue
        if at_line_start:
            opens_block = kind == tokenize.NAME and token.string in _BLOCK_WORDS
        if kind in (tokenize.STRING, _FSTRING_MIDDLE):
            text = _string_value(token.string) if kind == tokenize.STRING else token.string
            if len(text.strip()) >= MIN_STRING_CHARS:
                record = _record(text, "string", STRING, token.start[0] + line_offset)
                if at_line_start and doc_expected and kind == tokenize.STRING:
                    pending = record
                else:
                    yield record
        doc_expected = doc_expected and opens_block
        at_line_start = False
    if pending is not None:
        yield pending


def _record(text: str, field_name: str, context: str, line: int) -> Record:
    return Record(line=line, segments=[Segment(text[:MAX_RECORD_CHARS], field_name, line,
                                               context)])


_FSTRING_MIDDLE = getattr(tokenize, "FSTRING_MIDDLE", -1)


def _string_value(literal: str) -> str:
    body = literal.lstrip("rRbBuUfF")
    for quote in ('"""', "'''", '"', "'"):
        if body.startswith(quote) and body.endswith(quote) and len(body) >= 2 * len(quote):
            return body[len(quote):-len(quote)]
    return body


def _notebook(path: Path) -> Iterator[Record]:
    notebook = _load_json(path, "not a valid notebook (JSON error: {})")
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
                    # What the code printed: logs and values, weighed like
                    # the string literals that produced them.
                    yield Record(line=None, segments=[
                        Segment(text[:MAX_RECORD_CHARS], f"cell {number} output", None, STRING)])
        elif source.strip():
            kind = "markdown" if cell.get("cell_type") == "markdown" else "raw"
            lines = enumerate(source.split("\n"), start=1)
            markup = "markdown" if kind == "markdown" else None
            for record in _paragraphs(marked_lines(lines, markup)):
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
    from aiart_release.readers.safetensors import SafetensorsError, read_header

    try:
        header = read_header(path)
    except SafetensorsError as exc:
        raise SourceError(str(exc), limit=exc.limit) from None
    except OSError as exc:
        raise SourceError(exc.strerror or str(exc)) from None
    metadata = header.get("__metadata__") if isinstance(header, dict) else None
    if not isinstance(metadata, dict):
        return
    segments = [Segment(value[:MAX_RECORD_CHARS], f"__metadata__.{key}", None, METADATA)
                for key, value in metadata.items() if isinstance(value, str) and value.strip()]
    if segments:
        yield Record(segments=segments)


def _json_object(path: Path, kind: str = "config") -> Iterator[Record]:
    """A JSON object, one record per top-level key: a caption map keyed by
    image (kohya-ss ``meta_cap.json``), a config with an author field. A
    manifest or a caption map holds data (caption context); anything else
    is configuration."""
    data = _load_json(path, "invalid JSON ({})")
    if not isinstance(data, dict):
        return
    context = CAPTION if kind == "manifest" or _caption_map(data) else CONFIG
    for number, (key, value) in enumerate(data.items(), start=1):
        if isinstance(value, str):
            cells = {str(key): value}
        elif isinstance(value, dict):
            cells = {f"{key}.{k}": v for k, v in value.items() if isinstance(v, str)}
        else:
            continue
        segments = [Segment(text[:MAX_RECORD_CHARS], name, None, context)
                    for name, text in cells.items() if text.strip()]
        if segments:
            yield Record(row=number, segments=segments)


_MEDIA_NAME = LazyPattern(r"\.(?:png|jpe?g|webp|gif|bmp|tiff?|wav|mp3|flac|mp4|mov|webm)$",
                         re.IGNORECASE)
_CAPTION_KEYS = {"caption", "captions", "tags", "text", "prompt", "description", "title"}


def _caption_map(data: dict) -> bool:
    """Keys that name media files, or records with a caption: the data of a
    dataset, not the settings of a tool."""
    keys = list(data)[:50]
    if not keys:
        return False
    if sum(bool(_MEDIA_NAME.search(str(k))) for k in keys) * 2 >= len(keys):
        return True
    return any(isinstance(data[k], dict) and _CAPTION_KEYS & {str(x).lower() for x in data[k]}
               for k in keys)
