"""Where the pickles of a model file are, found without loading anything.

- a raw pickle (``.pkl``, legacy ``.pt``/``.bin``, an uncompressed
  ``.joblib``): the stream from byte 0, several pickles in a row;
- a torch zip archive (``torch.save`` since 1.6) or a ``.npz``: every
  member named ``*.pkl``/``*.pickle``/``*.npy``, and any other member that
  opens like a pickle (a nested pickle hidden under another name), read
  from the zip's central directory and inflated only as far as the walk
  goes (a 200 MB member of zeros costs the 2 bytes peeked);
- a ``.npy`` whose dtype holds Python objects (the array is a pickle after
  the header);
- a zlib- or gzip-compressed pickle (``joblib.dump(..., compress=…)``),
  inflated as a stream under the same byte budget.

Each piece is walked by :func:`.pickles.scan_stream`; a piece that cannot
be opened is a :class:`Problem`, and the other pieces are still walked (a
corrupt member placed before ``data.pkl`` hides nothing).
"""

from __future__ import annotations

import ast
import gzip
import struct
import zipfile
import zlib
from pathlib import Path

from aiart_release.records import dataclass

from .pickles import MAX_PICKLE_BYTES, PickleScan, Prefixed, scan_stream

MAX_MEMBERS = 100_000
MAX_NPY_HEADER = 64 * 1024
_PICKLE_SUFFIXES = (".pkl", ".pickle")
_PROTOCOL_HEADS = tuple(bytes([0x80, p]) for p in range(2, 6))
# Opcodes a protocol 0/1 pickle starts with: MARK, GLOBAL, EMPTY_LIST/DICT,
# a string or a number, NONE.
_PROTO0_HEADS = frozenset(b"(c]}SVIFLNi")


@dataclass
class Piece:
    """One pickle stream found in a file: ``member`` names the zip member
    (None for the file itself)."""

    member: str | None
    scan: PickleScan


@dataclass
class Problem:
    """A part of the file that could not be opened: not verified."""

    member: str | None
    reason: str


def sniff(head: bytes) -> str | None:
    """``zip``, ``npy``, ``pickle``, ``zlib``, ``gzip`` or None."""
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return "zip"
    if head[:6] == b"\x93NUMPY":
        return "npy"
    if head[:2] in _PROTOCOL_HEADS or (head[:1] and head[0] in _PROTO0_HEADS):
        return "pickle"
    if head[:2] == b"\x1f\x8b":
        return "gzip"
    if len(head) >= 2 and head[0] == 0x78 and (head[0] * 256 + head[1]) % 31 == 0:
        return "zlib"
    return None


def pickles_in(path: Path) -> tuple[list[Piece], list[Problem], str | None]:
    """Every pickle stream in the file, what could not be opened, and the
    container's format (None when the file holds no pickle we know of)."""
    with open(path, "rb") as handle:
        head = handle.read(8)
        kind = sniff(head)
        if kind is None:
            return [], [], None
        if kind == "zip":
            pieces, problems = _zip_pieces(path)
            return pieces, problems, kind
        handle.seek(0)
        if kind == "pickle":
            return [Piece(None, scan_stream(handle))], [], kind
        if kind == "npy":
            return _npy_piece(handle, None), [], kind
        opened = gzip.GzipFile(fileobj=handle) if kind == "gzip" else _ZlibStream(handle)
        try:
            inner = opened.read(2)
        except (OSError, EOFError, zlib.error) as exc:
            return [], [Problem(None, f"compressed stream cannot be read ({exc})")], kind
        if sniff(inner) != "pickle":
            return [], [], None
        return [Piece(None, scan_stream(opened, first=inner))], [], kind


def _zip_pieces(path: Path) -> tuple[list[Piece], list[Problem]]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        return [], [Problem(None, f"not a readable zip archive ({_short(exc)})")]
    pieces: list[Piece] = []
    problems: list[Problem] = []
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_MEMBERS:
            problems.append(Problem(None, f"more than {MAX_MEMBERS} members: only the first "
                                          "were read"))
        for info in infos[:MAX_MEMBERS]:
            if info.is_dir():
                continue
            try:
                pieces.extend(_member_pieces(archive, info))
            except (zipfile.BadZipFile, OSError, EOFError, zlib.error, RuntimeError,
                    NotImplementedError, ValueError) as exc:
                # Every member is tried: a corrupt one does not hide the next.
                problems.append(Problem(info.filename, _short(exc)))
    return pieces, problems


def _member_pieces(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> list[Piece]:
    name = info.filename
    lower = name.lower()
    with archive.open(info) as member:
        head = member.read(6)
        if lower.endswith(".npy") or head == b"\x93NUMPY":
            return _npy_piece(Prefixed(head, member), name)
        named = lower.endswith(_PICKLE_SUFFIXES)
        # Tensor storages (archive/data/0) are raw numbers that may open
        # with 0x80 by chance; any other member that opens like a pickle is
        # one torch or a loader could be made to read.
        storage = "/data/" in f"/{lower}" and not named
        if not named and (storage or head[:2] not in _PROTOCOL_HEADS):
            return []
        scan = scan_stream(member, first=head)
        if not named and scan.error and not scan.imports:
            return []  # raw bytes, not a pickle
        return [Piece(name, scan)]


def _npy_piece(handle, member: str | None) -> list[Piece]:
    """The pickle of an object array, or nothing for a plain array."""
    prefix = handle.read(10)
    if len(prefix) < 10 or prefix[:6] != b"\x93NUMPY":
        raise ValueError("not a .npy array: the header is cut short")
    major = prefix[6]
    if major == 1:
        (length,) = struct.unpack("<H", prefix[8:10])
    else:
        length = struct.unpack("<I", prefix[8:10] + handle.read(2))[0]
    if length > MAX_NPY_HEADER:
        raise ValueError(f".npy header of {length} bytes is over {MAX_NPY_HEADER}")
    header = handle.read(length)
    if len(header) < length:
        raise ValueError("not a .npy array: the header is cut short")
    try:
        # A Python literal, never code: literal_eval builds only constants.
        described = ast.literal_eval(header.decode("latin-1").strip())
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        raise ValueError(".npy header is not a dict literal") from None
    descr = described.get("descr") if isinstance(described, dict) else None
    if "O" not in repr(descr):
        return []
    return [Piece(member, scan_stream(handle))]


class _ZlibStream:
    """A zlib stream inflated as it is read, never more than asked for."""

    def __init__(self, handle):
        self._handle = handle
        self._inflate = zlib.decompressobj()
        self._buffer = b""

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = MAX_PICKLE_BYTES + 1
        while len(self._buffer) < size and not self._inflate.eof:
            chunk = self._inflate.unconsumed_tail or self._handle.read(64 * 1024)
            if not chunk:
                break
            self._buffer += self._inflate.decompress(chunk, size - len(self._buffer))
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data

    def readline(self, size: int = -1) -> bytes:
        out = b""
        limit = MAX_PICKLE_BYTES + 1 if size is None or size < 0 else size
        while len(out) < limit:
            byte = self.read(1)
            if not byte:
                break
            out += byte
            if byte == b"\n":
                break
        return out


def _short(exc: BaseException) -> str:
    return (str(exc) or type(exc).__name__)[:160]
