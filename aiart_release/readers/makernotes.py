"""Serial numbers in camera makers' MakerNotes.

The EXIF MakerNote tag (0x927C) holds each maker's own directory, in its
own dialect, and cameras keep their serial numbers there even when they
leave EXIF's BodySerialNumber empty: every Canon and Nikon body writes one.
Pillow parses only Fujifilm's and Nintendo's; this module reads the serial
tags of the dialects below, and nothing else of them.

- **Canon**: a TIFF directory, in the EXIF block's byte order, whose value
  offsets count from the EXIF block's TIFF header; 0x000C SerialNumber (a
  number), 0x0096 InternalSerialNumber.
- **Nikon** (type 3, which its DSLRs and mirrorless bodies write): ``Nikon\\0\\x02``, then a
  TIFF header of its own at byte 10, which the offsets count from; 0x001D
  SerialNumber, 0x00A0 SerialNumber.
- **Fujifilm**: ``FUJIFILM``, the directory's offset (little-endian),
  offsets counted from the note; 0x0010 InternalSerialNumber.

Hostile notes are expected: a directory is read only inside the note (or,
for Canon, inside the EXIF block), at most MAX_ENTRIES entries, and a value
whose offset or count points outside is skipped with a problem note
(:class:`MakerNoteSerials` ``problems``); nothing here raises.
"""

from __future__ import annotations

import struct
from dataclasses import field

from ..records import dataclass

MAX_ENTRIES = 1024  # Canon writes about 40 entries, Nikon about 100
MAX_SERIAL_CHARS = 64
_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 7: 1, 9: 4}  # BYTE, ASCII, SHORT, LONG, UNDEFINED, SLONG


@dataclass
class MakerNoteSerials:
    """(tag name, serial) pairs found, and what could not be read."""

    serials: list[tuple[str, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Dialect:
    maker: str
    order: str  # "<" or ">"
    ifd_at: int  # where the directory starts, in ``data``
    data: bytes  # what value offsets are relative to
    tags: dict[int, str]


def makernote_serials(note: bytes, make: str, tiff: bytes | None) -> MakerNoteSerials:
    """The serial numbers in a MakerNote (``note``: the tag's bytes; ``make``:
    IFD0's Make; ``tiff``: the EXIF block from its TIFF header, when known,
    for makers whose offsets count from there)."""
    found = MakerNoteSerials()
    try:
        dialect = _dialect(note, make, tiff)
    except (struct.error, ValueError) as exc:
        found.problems.append(f"EXIF MakerNote could not be read: {exc}")
        return found
    if dialect is not None:
        _read_directory(dialect, found)
    return found


def _dialect(note: bytes, make: str, tiff: bytes | None) -> _Dialect | None:
    if note.startswith(b"Nikon\0\x02"):
        inner = note[10:]
        order = _byte_order(inner[:2])
        if order is None:
            raise ValueError("the Nikon note's TIFF header has no byte order")
        (ifd_at,) = struct.unpack(f"{order}I", inner[4:8])
        return _Dialect("Nikon", order, ifd_at, inner, {0x001D: "SerialNumber",
                                                        0x00A0: "SerialNumber"})
    if note.startswith(b"FUJIFILM"):
        (ifd_at,) = struct.unpack("<I", note[8:12])
        return _Dialect("Fujifilm", "<", ifd_at, note, {0x0010: "InternalSerialNumber"})
    if make.strip().lower().startswith("canon") and tiff:
        order = _byte_order(tiff[:2])
        at = tiff.find(note) if order else -1
        if at < 0:
            return None  # not where the EXIF block says: no base for its offsets
        return _Dialect("Canon", order, at, tiff, {0x000C: "SerialNumber",
                                                  0x0096: "InternalSerialNumber"})
    return None


def _byte_order(mark: bytes) -> str | None:
    return {b"II": "<", b"MM": ">"}.get(mark)


def _read_directory(dialect: _Dialect, found: MakerNoteSerials) -> None:
    data, order, at = dialect.data, dialect.order, dialect.ifd_at
    if at + 2 > len(data):
        found.problems.append(f"EXIF MakerNote ({dialect.maker}): its directory offset {at} "
                              "points outside the note")
        return
    (count,) = struct.unpack(f"{order}H", data[at:at + 2])
    if count > MAX_ENTRIES or at + 2 + 12 * count > len(data):
        found.problems.append(f"EXIF MakerNote ({dialect.maker}): a directory of {count:,} "
                              "entries that does not fit the note")
        count = min(count, MAX_ENTRIES, max(len(data) - at - 2, 0) // 12)
    table = data[at + 2:at + 2 + 12 * count]
    for tag, kind, number, field_bytes in struct.iter_unpack(f"{order}HHI4s", table):
        name = dialect.tags.get(tag)
        if name is None or kind not in _SIZES:
            continue
        raw = _value(data, order, field_bytes, _SIZES[kind] * number)
        if raw is None:
            found.problems.append(f"EXIF MakerNote ({dialect.maker}) {name}: its value "
                                  "points outside the note or is too long for a serial")
            continue
        text = _serial_text(raw, kind, order)
        if text:
            found.serials.append((f"{dialect.maker} {name}", text))


def _value(data: bytes, order: str, field_bytes: bytes, size: int) -> bytes | None:
    if size <= 4:
        return field_bytes[:size]
    (offset,) = struct.unpack(f"{order}I", field_bytes)
    if size > MAX_SERIAL_CHARS * 4 or offset + size > len(data):
        return None
    return data[offset:offset + size]


def _serial_text(raw: bytes, kind: int, order: str) -> str:
    """A serial as text: a LONG as its number (0: none), a string up to its
    first NUL, without padding or unprintable bytes."""
    if kind in (4, 9):
        value = struct.unpack(f"{order}{'I' if kind == 4 else 'i'}", raw[:4])[0]
        return str(value) if value > 0 else ""
    if kind == 3:
        return ""
    text = raw.split(b"\0", 1)[0].decode("latin-1")
    return "".join(c for c in text if c.isprintable()).strip()[:MAX_SERIAL_CHARS]
