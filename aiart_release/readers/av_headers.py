"""The tag blocks of audio and video files, measured from their headers
before mutagen reads them.

mutagen reads a tag block whole and holds it several times over while it
decodes (a 143 MiB ID3 frame took 717 MiB, a 143 MiB moov 431 MiB; an Ogg
comment packet is gathered page by page, joined, then sliced: three
copies). It also trusts the counts inside: a Vorbis comment block of
4,000,000 empty comments is 16 MB on disk and millions of Python objects,
and a RIFF file of millions of 8-byte chunks is millions of chunk objects.
So each container's headers are walked here first, by seeking, and a block
past its limit raises :class:`TagBlockTooLarge` with the reason; mutagen
never sees the file.

Per container (the limits below):

- MP3 and others with a leading ID3v2 tag: the tag's "synchsafe" size;
- FLAC: the metadata blocks' sizes, and the comment count of the
  VORBIS_COMMENT block;
- MP4/MOV: the largest top-level ``moov`` box;
- Ogg (Vorbis, Opus, Speex, Theora, FLAC in Ogg): the pages of each logical
  stream's comment packet, summed as mutagen would gather them, and the
  packet's comment count;
- WAV (RIFF) and AIFF (FORM): the chunk count, the ``id3 `` chunk (its size,
  and the size its ID3 header declares), and the text chunks, which are
  read here (mutagen reads no RIFF ``LIST``/``INFO`` and no AIFF ``AUTH``
  or ``(c) `` chunk): :func:`check_tag_blocks` returns them.

A header that is merely broken is left to mutagen, which says why; only
sizes and counts are judged here.
"""

from __future__ import annotations

import io
import os
import struct
from pathlib import Path

MIB = 1024 * 1024
# Cover art makes real tags megabytes; a long video's sample tables make its
# moov tens.
MAX_AV_TAG_BYTES = 16 * MIB
MAX_MP4_MOOV_BYTES = 64 * MIB
MAX_MP4_BOXES = 10_000
# Real files hold dozens of comments, a few hundred at most (one per track
# of a cue sheet); mutagen builds two objects per comment.
MAX_VORBIS_COMMENTS = 10_000
# The comment packet ends on the second or third page of its stream; pages
# of other streams (a muxed video) come between, never thousands.
MAX_OGG_PAGES = 10_000
MAX_OGG_STREAMS = 32
# A WAV holds a handful of chunks (fmt, data, LIST, id3, bext...).
MAX_RIFF_CHUNKS = 10_000
MAX_RIFF_TEXT_CHUNKS = 1_000
MAX_TEXT_CHARS = 2000
# How much of a comment block's start is read for its comment count.
_HEAD_BYTES = 64 * 1024

# RIFF INFO and AIFF text chunks -> the tag names the sorter knows.
RIFF_INFO_TAGS = {
    b"IART": "artist", b"ICOP": "copyright", b"IENG": "engineer", b"ITCH": "technician",
    b"ICMS": "commissioned", b"ISFT": "software", b"ICRD": "date", b"ISRC": "source",
}
AIFF_TEXT_TAGS = {b"AUTH": "author", b"(c) ": "copyright"}


class TagBlockTooLarge(Exception):
    """A tag block past its limit (or declaring more bytes than the file
    holds); the message is the reason."""


def check_tag_blocks(path: Path) -> list[tuple[str, str, str]]:
    """Raise :class:`TagBlockTooLarge` when a tag block mutagen would read
    whole is past its limit; return the RIFF INFO and AIFF text tags as
    (key, where, text): ``("artist", "RIFF INFO IART", "Jane Doe")``. Only
    headers (and those text chunks) are read."""
    with path.open("rb") as fh:
        end = os.fstat(fh.fileno()).st_size
        head = fh.read(12)
        if head[:3] == b"ID3" and len(head) >= 10:
            _limit("ID3 tag", _synchsafe(head[6:10]), MAX_AV_TAG_BYTES)
        elif head[:4] == b"fLaC":
            _check_flac(fh)
        elif head[4:8] == b"ftyp":
            _limit("MP4 moov box", _mp4_moov_size(fh, end), MAX_MP4_MOOV_BYTES)
        elif head[:4] == b"OggS":
            _check_ogg(fh, end)
        elif head[:4] == b"RIFF" and head[8:12] == b"WAVE":
            return _walk_chunks(fh, end, "<", "RIFF", RIFF_INFO_TAGS)
        elif head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
            return _walk_chunks(fh, end, ">", "AIFF", AIFF_TEXT_TAGS)
    return []


def _limit(what: str, size: int, limit: int) -> None:
    if size > limit:
        raise TagBlockTooLarge(f"{what} of {size / MIB:,.0f} MiB: larger than the "
                               f"{limit // MIB} MiB the tag reader reads")


def _synchsafe(data: bytes) -> int:
    size = 0
    for byte in data:  # 7 bits a byte
        size = size << 7 | byte & 0x7F
    return size


def _comment_count(head: bytes, what: str) -> None:
    """The comment count of a Vorbis comment block (``head``: its first
    bytes, after any packet magic): vendor length, vendor, count."""
    if len(head) < 4:
        return
    vendor = int.from_bytes(head[:4], "little")
    if len(head) < 8 + vendor:
        return  # the count is further than we read: the block's size still bounds it
    count = int.from_bytes(head[4 + vendor:8 + vendor], "little")
    if count > MAX_VORBIS_COMMENTS:
        raise TagBlockTooLarge(f"{what} declaring {count:,} comments: more than the "
                               f"{MAX_VORBIS_COMMENTS:,} the tag reader reads")


# --- FLAC and MP4 -------------------------------------------------------------


def _check_flac(fh) -> None:
    """The FLAC metadata blocks' sizes (at most 128 blocks walked), and the
    VORBIS_COMMENT block's comment count."""
    fh.seek(4)
    total = 0
    for _ in range(128):
        header = fh.read(4)
        if len(header) < 4:
            break
        size = int.from_bytes(header[1:4], "big")
        total += size
        if header[0] & 0x7F == 4:  # VORBIS_COMMENT
            head = fh.read(min(size, _HEAD_BYTES))
            _comment_count(head, "FLAC comment block")
            fh.seek(size - len(head), io.SEEK_CUR)
        else:
            fh.seek(size, io.SEEK_CUR)
        if header[0] & 0x80:  # the last metadata block
            break
    _limit("FLAC metadata", total, MAX_AV_TAG_BYTES)


def _mp4_moov_size(fh, end: int) -> int:
    """The size of the largest top-level moov box (boxes walked by seeking)."""
    position, largest = 0, 0
    for _ in range(MAX_MP4_BOXES):
        fh.seek(position)
        header = fh.read(16)
        if len(header) < 8:
            break
        size, kind = struct.unpack(">I4s", header[:8])
        if size == 1 and len(header) == 16:
            size = struct.unpack(">Q", header[8:16])[0]
        elif size == 0:
            size = end - position
        if kind == b"moov":
            largest = max(largest, min(size, end - position))
        if size < 8:
            break
        position += size
    return largest


# --- Ogg --------------------------------------------------------------------------

# Each codec's identification packet (the first of its stream), and what
# precedes the Vorbis comment structure in its comment packet (the second).
_OGG_CODECS = {b"\x01vorbis": (b"\x03vorbis", 7), b"\x80theora": (b"\x81theora", 7),
               b"OpusHead": (b"OpusTags", 8), b"Speex   ": (b"", 0),
               b"\x7fFLAC": (b"", 4)}  # FLAC: a metadata block header, type 4


def _comment_skip(codec: bytes, head: bytes) -> int | None:
    """Where the Vorbis comment structure starts in a comment packet that
    begins with ``head``, for the stream whose identification packet began
    with ``codec``; None when the codec is not known or the packet is not
    its comment packet."""
    for ident, (magic, skip) in _OGG_CODECS.items():
        if codec.startswith(ident):
            if ident == b"\x7fFLAC":
                return skip if head[:1] and head[0] & 0x7F == 4 else None
            return skip if head.startswith(magic) else None
    return None


class _OggStream:
    """How much of one logical stream's comment packet the walk has seen."""

    def __init__(self) -> None:
        self.codec = b""  # how the identification packet starts
        self.pages = 0  # pages of this stream so far (the first holds the id packet)
        self.comment_bytes = 0
        self.done = False


def _check_ogg(fh, end: int) -> None:
    """Walk the Ogg pages by their headers until every logical stream's
    comment packet (its second packet) is complete, summing the pages
    mutagen would gather for it: it reads pages of the stream until one
    completes a packet or holds two."""
    streams: dict[int, _OggStream] = {}
    position = 0
    for _ in range(MAX_OGG_PAGES):
        page = _ogg_page(fh, position)
        if page is None:
            return  # a broken or truncated page: mutagen says why
        serial, lacing = page
        stream = streams.get(serial)
        if stream is None:
            if len(streams) >= MAX_OGG_STREAMS:
                raise TagBlockTooLarge(f"Ogg file with more than {MAX_OGG_STREAMS} streams "
                                       "before its comment packets end")
            stream = streams[serial] = _OggStream()
        data_at = position + 27 + len(lacing)
        if stream.pages:
            _ogg_comment_page(fh, stream, data_at, lacing)
        else:
            fh.seek(data_at)
            stream.codec = fh.read(8)
        stream.pages += 1
        if all(s.done for s in streams.values()):
            return
        position = data_at + sum(lacing)
        if position >= end:
            return
    raise TagBlockTooLarge(f"Ogg file with more than {MAX_OGG_PAGES:,} pages before its "
                           "comment packet ends")


def _ogg_page(fh, position: int) -> tuple[int, bytes] | None:
    """(serial, lacing values) of the page at ``position``."""
    fh.seek(position)
    header = fh.read(27)
    if len(header) < 27 or header[:4] != b"OggS":
        return None
    serial = int.from_bytes(header[14:18], "little")
    lacing = fh.read(header[26])
    return (serial, lacing) if len(lacing) == header[26] else None


def _ogg_comment_page(fh, stream: _OggStream, data_at: int, lacing: bytes) -> None:
    if stream.done:
        return
    if not stream.comment_bytes:  # the packet's first page: its comment count
        fh.seek(data_at)
        head = fh.read(min(sum(lacing), _HEAD_BYTES))
        skip = _comment_skip(stream.codec, head)
        if skip is not None:
            _comment_count(head[skip:], "Ogg comment packet")
    stream.comment_bytes += sum(lacing)
    if stream.comment_bytes > MAX_AV_TAG_BYTES:  # not walked to its end
        raise TagBlockTooLarge(f"Ogg comment packet of more than {MAX_AV_TAG_BYTES // MIB} MiB "
                               "(its pages run on): larger than the tag reader reads")
    # mutagen's test: the page completes a packet, or holds two
    packets = sum(1 for value in lacing if value < 255) + (lacing[-1:] == b"\xff")
    stream.done = not lacing or lacing[-1] < 255 or packets > 1


# --- RIFF (WAV) and AIFF ---------------------------------------------------------------


def _walk_chunks(fh, end: int, order: str, container: str,
                 text_tags: dict[bytes, str]) -> list[tuple[str, str, str]]:
    """The top-level chunks of a RIFF or FORM file, by their headers: the
    ID3 chunk's sizes are checked, the text chunks read (each to
    MAX_TEXT_CHARS), the chunk count bounded (mutagen builds an object for
    each chunk of the file). A chunk may run past the end (streaming
    writers leave a data chunk's size at its largest); a tag chunk may not."""
    texts: list[tuple[str, str, str]] = []
    position = 12
    for _ in range(MAX_RIFF_CHUNKS):
        fh.seek(position)
        header = fh.read(8)
        if len(header) < 8:
            return texts
        kind, size = struct.unpack(f"{order}4sI", header)
        data_at = position + 8
        name = kind.decode("latin-1").strip()
        if kind in _TAG_CHUNKS or kind in text_tags or \
                (kind == b"LIST" and _list_type(fh) == b"INFO"):
            if data_at + size > end:
                raise TagBlockTooLarge(f"truncated file: its {name} chunk declares "
                                       f"{size:,} bytes, past the end of the file")
            _limit(f"{name} chunk", size, MAX_AV_TAG_BYTES)
            texts.extend(_tag_chunk(fh, kind, data_at, size, order, container, text_tags))
        position = data_at + size + (size & 1)
        if position >= end:
            return texts
    raise TagBlockTooLarge(f"more than {MAX_RIFF_CHUNKS:,} chunks: not walked further")


_TAG_CHUNKS = (b"id3 ", b"ID3 ", b"ID32", b"bext")
# Broadcast WAV (EBU Tech 3285): the recorder's name, and its reference,
# which EBU R 99 builds from the country, the organisation and the serial
# number of the recorder.
_BEXT_FIELDS = ((256, 32, "Originator"), (288, 32, "OriginatorReference"))


def _tag_chunk(fh, kind: bytes, data_at: int, size: int, order: str, container: str,
               text_tags: dict[bytes, str]) -> list[tuple[str, str, str]]:
    """Check or read one tag chunk (already inside the file and its limit)."""
    if kind.upper().startswith(b"ID3"):
        header = fh.read(10)
        if header[:3] == b"ID3":
            _limit("ID3 tag", _synchsafe(header[6:10]), MAX_AV_TAG_BYTES)
        return []
    if kind == b"LIST":
        return _info_texts(fh, data_at + 4, data_at + size, order, f"{container} INFO",
                           text_tags)
    if kind == b"bext":
        return [_text_chunk(fh, "device", f"{container} bext {name}", data_at + at, length)
                for at, length, name in _BEXT_FIELDS if at + length <= size]
    return [_text_chunk(fh, text_tags[kind], f"{container} {kind.decode('latin-1').strip()}",
                        data_at, size)]


def _list_type(fh) -> bytes:
    at = fh.tell()
    kind = fh.read(4)
    fh.seek(at)
    return kind


def _info_texts(fh, start: int, stop: int, order: str, where: str,
                text_tags: dict[bytes, str]) -> list[tuple[str, str, str]]:
    """The text subchunks of a LIST INFO chunk (already bounded by its size)."""
    texts = []
    position = start
    for _ in range(MAX_RIFF_TEXT_CHUNKS):
        if position + 8 > stop:
            break
        fh.seek(position)
        kind, size = struct.unpack(f"{order}4sI", fh.read(8))
        if kind in text_tags and position + 8 + size <= stop:
            texts.append(_text_chunk(fh, text_tags[kind], f"{where} {kind.decode('latin-1')}",
                                     position + 8, size))
        position += 8 + size + (size & 1)
    return texts


def _text_chunk(fh, key: str, where: str, data_at: int, size: int) -> tuple[str, str, str]:
    fh.seek(data_at)
    raw = fh.read(min(size, MAX_TEXT_CHARS * 4))
    text = raw.split(b"\0", 1)[0].decode("utf-8", "replace").strip()
    return key, where, text[:MAX_TEXT_CHARS]
