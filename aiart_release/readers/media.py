"""Image metadata, read without decoding a pixel.

What a picture says about where, when, by whom and with what it was made:
EXIF (GPS, serial numbers, artist, software, capture time), XMP, IPTC and
PNG text chunks (``tEXt``, ``zTXt``, ``iTXt``, where generation tools write
their prompts), in JPEG, PNG, TIFF, WebP and HEIC/HEIF files.

Who reads what (docs/media.md says why):

- **Pillow** opens JPEG, TIFF and WebP lazily (``Image.open`` parses the
  headers and stops before the pixel data; nothing here calls ``load``) and
  parses every EXIF block (``Image.Exif``) and IPTC record
  (``IptcImagePlugin.getiptcinfo``);
- **pillow-heif** adds HEIC/HEIF to ``Image.open``, just as lazily;
- PNG chunks are walked here (:func:`_png_chunks`): a chunk is a length, a
  type and data, and Pillow reads the text chunks that follow the pixel data
  only by decoding the pixels (``PngImageFile.text`` calls ``load``);
- XMP packets are parsed by the standard library's ElementTree once any
  DOCTYPE is refused (XMP never needs one, and without it no entity can
  expand).

Raw GPS coordinates never leave this module: :class:`ImageMetadata` holds
them coarsened to one decimal degree (about 10 km), see :func:`coarsen`.

A file that cannot be read raises :class:`UnreadableImage` with the reason;
a part that cannot be read (a corrupt EXIF block in an image that opens) is
listed in ``ImageMetadata.problems`` and the rest is still read. Nothing
else escapes: every reader here takes hostile bytes.

Only an embedded thumbnail is ever decoded (:func:`thumbnail_differs`): the
thumbnail itself (EXIF's or a TIFF's JPEG, a HEIF thumbnail item), and the
main image at the smallest scale its format allows (JPEG's DCT scaling
through ``draft``), under a pixel limit.
"""

from __future__ import annotations

import io
import json
import logging
import math
import os
import re
import struct
import warnings
import zlib
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import field
from functools import cache
from pathlib import Path
from typing import Any

from ..records import dataclass

# A text chunk, XMP packet or EXIF block larger than this is not metadata a
# person wrote; it is read up to here (zTXt/iTXt are decompressed up to here).
MAX_TEXT_BYTES = 1024 * 1024
MAX_XMP_BYTES = 4 * 1024 * 1024
# PNG files hold a handful of chunks before and after the pixel data; a
# file with more is not walked further.
MAX_PNG_CHUNKS = 20_000
# Generation texts handed to the personal-data check: enough for any prompt.
MAX_PROMPT_TEXTS = 200
MAX_PROMPT_CHARS = 64 * 1024
# Images whose pixels are decoded (only to compare an embedded thumbnail) must
# declare at most this many pixels; Pillow itself refuses to open past
# 2 x Image.MAX_IMAGE_PIXELS (about 179 megapixels), a decompression bomb.
MAX_DECODE_PIXELS = 64_000_000
# Two 64-bit difference hashes further apart than this are different
# pictures: a re-encoded or resized copy stays under 6, a third painted
# out moves 13 to 16 bits (measured on the test pictures).
THUMBNAIL_DISTANCE = 10

# A TIFF's JPEG thumbnail or preview (IFD1, a SubIFD) larger than this is
# not read; a HEIF thumbnail larger than this many pixels is not decoded.
MAX_THUMBNAIL_BYTES = 4 * 1024 * 1024
MAX_THUMBNAIL_PIXELS = 4_000_000
MAX_SUBIFDS = 16

# Pillow's WebP reader and pillow-heif read the whole file into memory
# before parsing it; larger files are not opened.
MAX_WHOLE_FILE_BYTES = 256 * 1024 * 1024

# Suffix -> the format the content must have. Other image kinds (SVG, PSD,
# camera raw, GIF) are not read yet.
FORMATS = {
    ".jpg": "JPEG", ".jpeg": "JPEG", ".jpe": "JPEG",
    ".png": "PNG",
    ".tif": "TIFF", ".tiff": "TIFF",
    ".webp": "WEBP",
    ".heic": "HEIF", ".heif": "HEIF",
}
_PILLOW_FORMATS = ("JPEG", "MPO", "TIFF", "WEBP", "HEIF")
# What the thumbnail comparison may decode.
_DECODE_FORMATS = (*_PILLOW_FORMATS, "PNG")
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class UnreadableImage(Exception):
    """The file cannot be read as the image its name says it is; the message
    is the reason, for a ``bundle.unreadable`` finding."""


@dataclass(frozen=True)
class Entry:
    """One metadata value: where it was (``EXIF Artist``, ``XMP dc:creator``,
    ``PNG tEXt parameters``) and what it holds."""

    tag: str
    value: str


@dataclass
class ImageMetadata:
    """What one image's metadata says. ``location`` is coarsened (see
    :func:`coarsen`): the raw coordinates are never kept."""

    format: str
    size: tuple[int, int]
    location: tuple[float, float] | None = None
    location_tags: list[str] = field(default_factory=list)
    serials: list[Entry] = field(default_factory=list)
    creators: list[Entry] = field(default_factory=list)
    # Generation records: the chunk or tag and the tool that wrote it.
    generation: list[Entry] = field(default_factory=list)
    # Texts a person wrote in those records (prompts), for the personal-data check.
    prompts: list[Entry] = field(default_factory=list)
    editing: list[Entry] = field(default_factory=list)
    # IPTC DigitalSourceType declarations (XMP Iptc4xmpExt:DigitalSourceType):
    # how the image was made, in IPTC's own words ("trainedAlgorithmicMedia").
    source_types: list[Entry] = field(default_factory=list)
    # The embedded thumbnail, when the image has one: the JPEG of EXIF's
    # IFD1 or a TIFF's IFD1 or SubIFD, or a HEIF thumbnail item decoded to PNG.
    thumbnail: bytes | None = None
    problems: list[str] = field(default_factory=list)


# --- entry points ---------------------------------------------------------------


def read_metadata(path: str | Path, suffix: str | None = None) -> ImageMetadata:
    """The metadata of the image at ``path``; ``suffix`` (default: the
    path's) says which format the content must have. Raises
    :class:`UnreadableImage`, and nothing else, when the file cannot be read."""
    path = Path(path)
    expected = FORMATS.get((suffix or path.suffix).lower())
    if expected is None:
        raise UnreadableImage(f"{path.suffix or 'no suffix'} is not an image format read here")
    try:
        with _quiet() as warned:
            meta = _read(path, expected)
        meta.problems.extend(_problems(warned))
        return meta
    except UnreadableImage:
        raise
    except Exception as exc:  # noqa: BLE001 - hostile bytes: every parser error is a reason
        raise UnreadableImage(_reason(exc)) from None


def prompt_texts(path: str | Path) -> list[Entry]:
    """The prompts and other texts a person wrote into the generation
    records of the image at ``path`` (A1111 ``parameters``, ComfyUI
    ``prompt``/``workflow``, InvokeAI, NovelAI), for the personal-data
    check; empty when the image has none or cannot be read."""
    try:
        return read_metadata(path).prompts
    except UnreadableImage:
        return []


def coarsen(degrees: float) -> float:
    """A coordinate rounded to one decimal degree: about 11 km of latitude,
    less of longitude away from the equator. Where a photo was taken, to
    the town, never to the house."""
    return round(degrees, 1) + 0.0  # + 0.0: no "-0.0"


def describe_location(location: tuple[float, float]) -> str:
    """``about 48.9° N, 2.3° E``."""
    lat, lon = location
    return (f"about {abs(lat):.1f}° {'N' if lat >= 0 else 'S'}, "
            f"{abs(lon):.1f}° {'E' if lon >= 0 else 'W'}")


# --- the readers --------------------------------------------------------------


@contextmanager
def _quiet():
    """Pillow warns about corrupt EXIF (a tag whose data runs past the
    block, an IFD offset outside it) and skips what it cannot read; checks
    never print. The warnings are caught here and become problems."""
    # Pillow also logs some refusals at ERROR ("More samples per pixel than
    # can be decoded"), which Python prints to stderr when no handler is set:
    # its loggers are silenced while it reads, the refusal is still raised.
    pil = logging.getLogger("PIL")
    level = pil.level
    pil.setLevel(logging.CRITICAL + 1)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield caught
    finally:
        pil.setLevel(level)


def _problems(caught: list[warnings.WarningMessage]) -> list[str]:
    from PIL import Image

    # Pillow's size warning is about decoding, which the reader never does.
    said = [str(w.message).strip() for w in caught
            if not issubclass(w.category, Image.DecompressionBombWarning)]
    texts = dict.fromkeys(" ".join(text.split()) for text in said)
    # Pillow's EXIF and TIFF tag readers are the ones that warn.
    return [(text if "EXIF" in text else f"EXIF: {text}")[:200] for text in texts if text][:5]


def _reason(exc: BaseException) -> str:
    from PIL import Image

    if isinstance(exc, Image.DecompressionBombError):
        return f"decompression bomb: {exc}"
    text = str(exc).strip() or type(exc).__name__
    return text if len(text) < 200 else text[:200] + "…"


def _read(path: Path, expected: str) -> ImageMetadata:
    with path.open("rb") as fh:
        signature = fh.read(16)
    # An image under another format's name is read as what it is (scraped
    # sets are full of PNGs named .jpg). A PNG goes to the chunk walker,
    # which reads what Pillow's lazy open cannot.
    if signature.startswith(_PNG_SIGNATURE):
        return _read_png(path)
    size = path.stat().st_size
    webp = signature[:4] == b"RIFF" and signature[8:12] == b"WEBP"
    if webp and struct.unpack("<I", signature[4:8])[0] + 8 > size:
        # libwebp's own error for this is "could not create decoder object"
        raise UnreadableImage("truncated WebP: the file is shorter than its RIFF header says")
    if (webp or signature[4:8] == b"ftyp") and size > MAX_WHOLE_FILE_BYTES:
        raise UnreadableImage(f"a {size / 2**20:,.0f} MiB {'WebP' if webp else 'HEIF'} file: "
                              f"their readers load the whole file, which is allowed up to "
                              f"{MAX_WHOLE_FILE_BYTES // 2**20} MiB")
    if expected == "HEIF" or signature[4:8] == b"ftyp":
        _register_heif()
    from PIL import Image

    try:
        with Image.open(path, formats=_registered(_PILLOW_FORMATS)) as im:
            actual = "JPEG" if im.format == "MPO" else im.format
            meta = ImageMetadata(format=actual or expected, size=im.size)
            _check_complete(path, im, actual)
            _read_exif(im, meta)
            _read_xmp(_xmp_of(im), meta)
            _read_extended_xmp(im, meta)
            _read_iptc(im, meta)
            _read_comment(im, meta)
            if meta.thumbnail is None and actual == "TIFF":
                meta.thumbnail = _tiff_thumbnail(path, im)
            elif meta.thumbnail is None and actual == "HEIF":
                meta.thumbnail = _heif_thumbnail(path, im)
            return meta
    except Image.UnidentifiedImageError:
        raise UnreadableImage(_why_not(path, signature)) from None


def _why_not(path: Path, signature: bytes) -> str:
    """Why no format opened the file. Image.open keeps no reason; when the
    content starts like one of our formats, its opener is asked again for
    the error it raised ("corrupt TIFF: Invalid value for samples per pixel")."""
    from PIL import Image

    for name in _registered(_PILLOW_FORMATS):
        factory, accept = Image.OPEN[name]
        if accept is None or not accept(signature):
            continue
        try:
            with path.open("rb") as fh:
                factory(fh, str(path)).close()
        except Exception as exc:  # noqa: BLE001 - the reason is what we want
            return f"corrupt {_FORMAT_NAMES.get(name, name)}: {_reason(exc)}"
    expected = FORMATS.get(path.suffix.lower(), "")
    return (f"not a {_FORMAT_NAMES.get(expected, 'supported')} image: the content is no image "
            "format read here (a wrong extension, or a corrupt file)")


def _registered(names: tuple[str, ...]) -> list[str]:
    """The formats of ``names`` Pillow can open here: Image.open fails on a
    name it does not know. HEIF is registered here, once a process, when
    pillow-heif is installed (15 ms): every reader that decodes images
    (thumbnails, faces, the memorisation hashes) opens them through this
    list, whichever of them meets a HEIC first."""
    from PIL import Image

    if "HEIF" in names:
        with suppress(UnreadableImage):
            _register_heif()
    Image.init()
    return [name for name in names if name in Image.OPEN]


_FORMAT_NAMES = {"JPEG": "JPEG", "MPO": "JPEG", "PNG": "PNG", "TIFF": "TIFF", "WEBP": "WebP",
                 "HEIF": "HEIF"}


@cache
def _register_heif() -> None:
    try:
        from pillow_heif import register_heif_opener
    except ImportError:
        raise UnreadableImage("HEIC/HEIF needs pillow-heif, which is not installed") from None
    register_heif_opener()


def _check_complete(path: Path, im, actual: str) -> None:
    """Truncation that a lazy open cannot see: the pixel data must end
    inside the file. Read from the file's end, never by decoding."""
    size = path.stat().st_size
    if actual == "JPEG":
        with path.open("rb") as fh:
            fh.seek(max(size - 4096, 0))
            if b"\xff\xd9" not in fh.read():
                raise UnreadableImage("truncated JPEG: no end-of-image marker")
    elif actual == "TIFF":
        tags = im.tag_v2
        for offsets, counts in ((273, 279), (324, 325)):
            ends = [o + c for o, c in zip(_ints(tags.get(offsets)), _ints(tags.get(counts)),
                                          strict=False)]
            if ends and max(ends) > size:
                raise UnreadableImage(f"truncated TIFF: pixel data runs to byte {max(ends)} "
                                      f"of a {size}-byte file")


def _ints(value: Any) -> list[int]:
    if isinstance(value, int):
        return [value]
    if isinstance(value, tuple | list):
        return [v for v in value if isinstance(v, int)]
    return []


# --- PNG ------------------------------------------------------------------------


def _read_png(path: Path) -> ImageMetadata:
    with path.open("rb") as fh:
        meta: ImageMetadata | None = None
        for kind, data in _png_chunks(fh):
            if kind == b"IHDR":
                meta = ImageMetadata(format="PNG", size=_png_size(data))
            elif meta is None:
                raise UnreadableImage("corrupt PNG: the first chunk is not IHDR")
            elif kind == b"eXIf":
                _read_exif_bytes(data, meta)
            elif kind in (b"tEXt", b"zTXt", b"iTXt"):
                keyword, text = _png_text(kind, data)
                if keyword == "XML:com.adobe.xmp":
                    _read_xmp(text.encode("utf-8", "surrogatepass"), meta)
                elif keyword == "Raw profile type exif":
                    _read_exif_bytes(_raw_profile(text), meta)
                elif keyword:
                    _read_text_entry(f"PNG {kind.decode()} {keyword}", keyword, text, meta)
        if meta is None:
            raise UnreadableImage("corrupt PNG: no IHDR chunk")
        return meta


def _png_chunks(fh) -> Iterator[tuple[bytes, bytes]]:
    """(type, data) of each chunk that metadata lives in; every other chunk
    (the pixel data) is skipped with a seek. Raises UnreadableImage on a
    truncated or malformed stream."""
    end = fh.seek(0, io.SEEK_END)
    fh.seek(8)
    wanted = {b"IHDR", b"eXIf", b"tEXt", b"zTXt", b"iTXt"}
    for _ in range(MAX_PNG_CHUNKS):
        head = fh.read(8)
        if len(head) < 8:
            raise UnreadableImage("truncated PNG: the file ends before its IEND chunk")
        length, kind = struct.unpack(">I4s", head)
        if not re.fullmatch(rb"[A-Za-z]{4}", kind):
            raise UnreadableImage(f"corrupt PNG: a chunk type of {kind!r} at byte {fh.tell() - 4}")
        if fh.tell() + length + 4 > end:
            raise UnreadableImage(f"truncated PNG: the {kind.decode()} chunk runs past the "
                                  "end of the file")
        if kind == b"IEND":
            return
        if kind in wanted:
            yield kind, fh.read(min(length, MAX_TEXT_BYTES))
        fh.seek(fh.tell() + length + 4 if kind not in wanted else
                fh.tell() + max(length - MAX_TEXT_BYTES, 0) + 4)
    raise UnreadableImage(f"PNG with more than {MAX_PNG_CHUNKS} chunks: not walked further")


def _png_size(data: bytes) -> tuple[int, int]:
    if len(data) < 8:
        raise UnreadableImage("corrupt PNG: IHDR is too short")
    width, height = struct.unpack(">II", data[:8])
    if not width or not height:
        raise UnreadableImage("corrupt PNG: a zero width or height")
    from PIL import Image

    limit = 2 * (Image.MAX_IMAGE_PIXELS or MAX_DECODE_PIXELS)
    if width * height > limit:
        raise UnreadableImage(
            f"decompression bomb: the PNG declares a {width}×{height} canvas "
            f"({width * height / 1e6:,.0f} megapixels, over the limit of {limit / 1e6:,.0f}); "
            "its pixels and metadata were not read")
    return width, height


def _png_text(kind: bytes, data: bytes) -> tuple[str, str]:
    """(keyword, text) of a tEXt, zTXt or iTXt chunk; ("", "") when it is
    malformed. Compressed text is inflated up to MAX_TEXT_BYTES only."""
    keyword, sep, rest = data.partition(b"\0")
    if not sep or not keyword:
        return "", ""
    name = keyword.decode("latin-1")[:79]
    if kind == b"tEXt":
        return name, rest.decode("latin-1")
    if kind == b"zTXt":
        return name, _inflate(rest[1:]).decode("latin-1")
    if len(rest) < 2:
        return "", ""
    compressed, _method = rest[0], rest[1]
    _lang, _, rest = rest[2:].partition(b"\0")
    _translated, _, text = rest.partition(b"\0")
    raw = _inflate(text) if compressed else text
    return name, raw.decode("utf-8", "replace")


def _inflate(data: bytes) -> bytes:
    try:
        return zlib.decompressobj().decompress(data, MAX_TEXT_BYTES)
    except zlib.error:
        return b""


def _raw_profile(text: str) -> bytes:
    """ImageMagick's ``Raw profile type exif``: a header line, a length, then hex."""
    try:
        return bytes.fromhex("".join(text.split("\n")[3:]))
    except ValueError:
        return b""


# --- EXIF -----------------------------------------------------------------------

_GPS_IFD, _EXIF_IFD, _IFD1 = 0x8825, 0x8769, -1  # Pillow names IFD1 -1 (ExifTags.IFD)
# IFD0 tags
_IFD0_CREATORS = {0x013B: "Artist", 0x8298: "Copyright", 0x9C9D: "XPAuthor"}
_IFD0_EDITING = {0x0131: "Software", 0x000B: "ProcessingSoftware"}
_IFD0_SERIALS = {0xC62F: "CameraSerialNumber"}
_IFD0_TEXTS = {0x010E: "ImageDescription", 0x9C9C: "XPComment"}
# Exif IFD tags
_EXIF_SERIALS = {0xA431: "BodySerialNumber", 0xA435: "LensSerialNumber"}
_EXIF_CREATORS = {0xA430: "CameraOwnerName"}
_EXIF_TEXTS = {0x9286: "UserComment"}
_MAKER_NOTE = 0x927C
_CAPTURE = ((0x9003, 0x9011, "DateTimeOriginal"), (0x9004, 0x9012, "DateTimeDigitized"))


def _read_exif(im, meta: ImageMetadata) -> None:
    try:
        exif = im.getexif()
    except Exception as exc:  # noqa: BLE001 - a corrupt block in an image that opens
        meta.problems.append(f"EXIF could not be read: {_reason(exc)}")
        return
    _read_exif_tags(exif, meta, im.info.get("exif"))


def _read_exif_bytes(data: bytes, meta: ImageMetadata) -> None:
    if not data:
        return
    from PIL import Image

    exif = Image.Exif()
    try:
        exif.load(data)
    except Exception as exc:  # noqa: BLE001
        meta.problems.append(f"EXIF could not be read: {_reason(exc)}")
        return
    _read_exif_tags(exif, meta, data)


def _read_exif_tags(exif, meta: ImageMetadata, raw: bytes | None) -> None:
    ifd0 = _safe_dict(exif, None, meta)
    sub = _safe_dict(exif, _EXIF_IFD, meta) if _EXIF_IFD in ifd0 else {}
    gps = _safe_dict(exif, _GPS_IFD, meta) if _GPS_IFD in ifd0 else {}
    _collect(ifd0, _IFD0_CREATORS, "EXIF", meta.creators)
    _collect(sub, _EXIF_CREATORS, "EXIF", meta.creators)
    _collect(ifd0, _IFD0_SERIALS, "EXIF", meta.serials)
    _collect(sub, _EXIF_SERIALS, "EXIF", meta.serials)
    _collect(ifd0, _IFD0_EDITING, "EXIF", meta.editing)
    for when, offset, name in _CAPTURE:
        zone = _text(sub.get(offset))
        stamp = _text(sub.get(when))
        if stamp and zone:
            meta.editing.append(Entry(f"EXIF {name} with time zone", f"{stamp[:10]} {zone}"))
    for tags, where in ((_IFD0_TEXTS, ifd0), (_EXIF_TEXTS, sub)):
        for tag, name in tags.items():
            text = _text(where.get(tag))
            if text:
                _read_text_entry(f"EXIF {name}", name, text, meta)
    _read_gps(gps, meta)
    tiff = _tiff_of(raw) if raw is not None else None
    note = sub.get(_MAKER_NOTE)
    if isinstance(note, bytes) and note:
        _read_makernote(note, _text(ifd0.get(0x010F)), tiff, meta)
    if tiff is not None and meta.thumbnail is None:
        meta.thumbnail = _thumbnail(exif, tiff, meta)


def _tiff_of(raw: bytes) -> bytes:
    """The EXIF block from its TIFF header (JPEG's APP1 starts "Exif\\0\\0",
    sometimes twice)."""
    return re.sub(b"^(Exif\x00\x00){1,2}", b"", raw)


def _read_makernote(note: bytes, make: str, tiff: bytes | None, meta: ImageMetadata) -> None:
    """Canon, Nikon and Fujifilm serial numbers in the MakerNote
    (:mod:`.makernotes`: bounded, never raises)."""
    from .makernotes import makernote_serials

    found = makernote_serials(note, make, tiff)
    meta.problems.extend(found.problems)
    for name, serial in found.serials:
        if not _blank_serial(name, serial):
            meta.serials.append(Entry(f"EXIF MakerNote {name}", serial))


def _safe_dict(exif, ifd: int | None, meta: ImageMetadata) -> dict[int, Any]:
    """An IFD as a dict; empty, with the problem listed, when its offset,
    count or types are corrupt."""
    try:
        return dict(exif) if ifd is None else dict(exif.get_ifd(ifd))
    except Exception as exc:  # noqa: BLE001
        name = {_EXIF_IFD: "Exif IFD", _GPS_IFD: "GPS IFD", _IFD1: "IFD1"}.get(ifd, "IFD0")
        meta.problems.append(f"EXIF {name} could not be read: {_reason(exc)}")
        return {}


def _collect(ifd: dict[int, Any], tags: dict[int, str], where: str, out: list[Entry]) -> None:
    for tag, name in tags.items():
        text = _text(ifd.get(tag))
        if text and not _blank_serial(name, text):
            out.append(Entry(f"{where} {name}", text))


def _blank_serial(name: str, text: str) -> bool:
    # Cameras without a serial write zeros or spaces.
    return "Serial" in name and not text.strip("0 -")


def _text(value: Any) -> str:
    """A tag's value as clean text: bytes decoded (UserComment's charset
    prefix, XP* tags' UTF-16), NULs and surrounding blanks dropped;
    "" for numbers and anything else."""
    if isinstance(value, bytes):
        value = _decode_bytes(value)
    elif isinstance(value, tuple) and value and all(isinstance(v, int) for v in value):
        value = _decode_bytes(bytes(v & 0xFF for v in value))
    if not isinstance(value, str):
        return ""
    # EXIF Copyright holds "photographer\0editor"; other NULs are padding.
    parts = [part.strip() for part in value.split("\0")]
    return "; ".join(part for part in parts if part)[:MAX_PROMPT_CHARS]


def _decode_bytes(data: bytes) -> str:
    prefix = data[:8]
    if prefix.startswith(b"UNICODE"):
        body = data[8:]
        # piexif writes UTF-16BE; Windows and some cameras UTF-16LE.
        encoding = "utf-16-be" if body[:1] == b"\0" else "utf-16-le"
        return body.decode(encoding, "replace")
    if prefix.startswith((b"ASCII\0", b"JIS\0", b"\0\0\0\0\0\0\0\0")):
        return data[8:].decode("latin-1")
    if len(data) > 1 and data[1:2] == b"\0":  # XPAuthor, XPComment: UTF-16LE
        return data.decode("utf-16-le", "replace")
    return data.decode("utf-8", "replace")


def _read_gps(gps: dict[int, Any], meta: ImageMetadata) -> None:
    """Coordinates only when both latitude and longitude are there, valid,
    and not 0,0 (what some devices write with no fix). A GPS IFD with only
    GPSVersionID is no location."""
    lat = _degrees(gps.get(2), gps.get(1), "NS", 90)
    lon = _degrees(gps.get(4), gps.get(3), "EW", 180)
    if lat is None or lon is None or (lat == 0 and lon == 0):
        return
    meta.location = (coarsen(lat), coarsen(lon))
    meta.location_tags = ["EXIF GPSLatitude", "EXIF GPSLongitude"]


def _degrees(value: Any, ref: Any, refs: str, bound: float) -> float | None:
    parts = value if isinstance(value, tuple) else (value,)
    try:
        numbers = [float(p) for p in parts[:3]]
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if not numbers or not all(math.isfinite(n) for n in numbers):
        return None
    degrees = sum(n / 60 ** i for i, n in enumerate(numbers))
    if _text(ref).upper()[:1] == refs[1]:
        degrees = -degrees
    return degrees if abs(degrees) <= bound else None


def _thumbnail(exif, tiff: bytes, meta: ImageMetadata) -> bytes | None:
    """The JPEG thumbnail IFD1 points to, if it lies inside the EXIF block."""
    ifd1 = _safe_dict(exif, _IFD1, meta) if getattr(exif, "_info", None) is not None \
        and exif._info.next else {}
    offset, length = ifd1.get(0x0201), ifd1.get(0x0202)
    if not isinstance(offset, int) or not isinstance(length, int) or length <= 0:
        return None
    data = tiff[offset:offset + length]
    return data if len(data) == length and data.startswith(b"\xff\xd8") else None


# --- thumbnails of TIFF and HEIF files -------------------------------------------
# A TIFF keeps its thumbnail where EXIF does (IFD1, the directory after the
# image's) or, in DNG and camera TIFFs, a JPEG preview in a SubIFD; offsets
# count from the file's start. A HEIF keeps thumbnails as items of their own
# (iref "thmb"), which pillow-heif lists and decodes without the image.


def _tiff_thumbnail(path: Path, im) -> bytes | None:
    """The first JPEG thumbnail or preview of IFD1 or a SubIFD (of at most
    MAX_SUBIFDS), read from the file by its offset and length; None when
    there is none or it does not lie inside the file."""
    tags = im.tag_v2
    offsets = [getattr(tags, "next", 0) or 0, *_ints(tags.get(330))[:MAX_SUBIFDS]]
    with path.open("rb") as fh:
        order = {b"II": "<", b"MM": ">"}.get(fh.read(2))
        end = fh.seek(0, io.SEEK_END)
        for offset in offsets:
            entries = _ifd_values(fh, order, offset, end) if order else {}
            start, length = entries.get(0x0201), entries.get(0x0202)
            if start is None and entries.get(0x0103) in (6, 7) and entries.get(0x00FE, 0) & 1:
                start, length = entries.get(0x0111), entries.get(0x0117)  # one JPEG strip
            if start is None or not length or length > MAX_THUMBNAIL_BYTES \
                    or start + length > end:
                continue
            fh.seek(start)
            data = fh.read(length)
            if data.startswith(b"\xff\xd8"):
                return data
    return None


def _ifd_values(fh, order: str, offset: int, end: int) -> dict[int, int]:
    """The SHORT and LONG values (first of each) of the TIFF directory at
    ``offset``; empty when it does not lie inside the file."""
    if offset <= 0 or offset + 2 > end:
        return {}
    fh.seek(offset)
    (count,) = struct.unpack(f"{order}H", fh.read(2))
    table = fh.read(12 * min(count, 4096))
    values = {}
    for at in range(0, len(table) - 11, 12):
        tag, kind, _number = struct.unpack(f"{order}HHI", table[at:at + 8])
        if kind in (3, 4):
            values[tag] = struct.unpack(f"{order}{'H' if kind == 3 else 'I'}",
                                        table[at + 8:at + 10 if kind == 3 else at + 12])[0]
    return values


def _heif_thumbnail(path: Path, im) -> bytes | None:
    """The primary image's first thumbnail of at most MAX_THUMBNAIL_PIXELS,
    decoded by pillow-heif (a few hundred pixels: the image is not decoded)
    and kept as a PNG; None when there is none or it does not decode."""
    if not im.info.get("thumbnails"):
        return None
    from pillow_heif import open_heif

    try:
        # The plugin's own HeifFile, already parsed from the whole file in
        # memory; a second copy (open_heif) only when a version keeps none.
        heif = getattr(im, "_heif_file", None) or open_heif(path, convert_hdr_to_8bit=True)
        image = heif[heif.primary_index]
        for index in range(min(len(image.info.get("thumbnails") or []), 8)):
            thumbnail = image.get_thumbnail(index)
            width, height = thumbnail.size
            if width * height <= MAX_THUMBNAIL_PIXELS:
                out = io.BytesIO()
                thumbnail.to_pillow().save(out, "PNG", compress_level=1)
                return out.getvalue()
    except Exception:  # noqa: BLE001 - a broken thumbnail is no evidence either way
        return None
    return None


# --- XMP ------------------------------------------------------------------------

_NS = {
    "dc": "http://purl.org/dc/elements/1.1/",
    "xmpRights": "http://ns.adobe.com/xap/1.0/rights/",
    "photoshop": "http://ns.adobe.com/photoshop/1.0/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "xmpMM": "http://ns.adobe.com/xap/1.0/mm/",
    "stEvt": "http://ns.adobe.com/xap/1.0/sType/ResourceEvent#",
    "exif": "http://ns.adobe.com/exif/1.0/",
    "exifEX": "http://cipa.jp/exif/1.0/",
    "aux": "http://ns.adobe.com/exif/1.0/aux/",
    "Iptc4xmpCore": "http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/",
    "tiff": "http://ns.adobe.com/tiff/1.0/",
    "Iptc4xmpExt": "http://iptc.org/std/Iptc4xmpExt/2008-02-29/",
}
_XMP_CREATORS = ("dc:creator", "dc:rights", "xmpRights:Owner", "photoshop:Credit",
                 "tiff:Artist", "tiff:Copyright", "exifEX:CameraOwnerName",
                 "Iptc4xmpCore:CiEmailWork", "Iptc4xmpCore:CiTelWork",
                 "Iptc4xmpCore:CiAdrExtadr", "Iptc4xmpCore:CiUrlWork")
_XMP_SERIALS = ("aux:SerialNumber", "aux:LensSerialNumber", "exifEX:BodySerialNumber",
                "exifEX:LensSerialNumber")
_XMP_EDITING = ("xmp:CreatorTool", "stEvt:softwareAgent", "photoshop:History")
_XMP_DATES = ("xmp:CreateDate", "photoshop:DateCreated", "exif:DateTimeOriginal")
_XMP_TEXTS = ("dc:description", "exif:UserComment")
_XMP_SOURCE = "Iptc4xmpExt:DigitalSourceType"
_ZONE = re.compile(r"T\d\d:\d\d(?::\d\d(?:\.\d+)?)?(Z|[+-]\d\d:\d\d)$")
_XMP_GPS = re.compile(r"^\s*(\d{1,3})(?:,(\d{1,2}(?:\.\d+)?))?(?:,(\d{1,2}(?:\.\d+)?))?"
                      r"\s*([NSEW])\s*$")


def _xmp_of(im) -> bytes | None:
    xmp = im.info.get("xmp")
    if xmp is None and hasattr(im, "tag_v2"):
        xmp = im.tag_v2.get(700)  # TIFF XMLPacket
    if isinstance(xmp, str):
        xmp = xmp.encode("utf-8", "surrogatepass")
    return xmp if isinstance(xmp, bytes) else None


# Extended XMP (XMP specification part 3, 1.1.3.1): a packet too large for
# one 64 KiB APP1 segment continues in segments of this signature, each a
# GUID (32 hex digits: the MD5 of the whole extension), the full length, the
# portion's offset and the portion. The main packet names the GUID it uses
# (xmpNote:HasExtendedXMP).
_EXTENDED_XMP = b"http://ns.adobe.com/xmp/extension/\0"
_HAS_EXTENDED = re.compile(rb'HasExtendedXMP(?:="|>)([0-9A-Fa-f]{32})')
MAX_EXTENDED_GUIDS = 4


def _read_extended_xmp(im, meta: ImageMetadata) -> None:
    """Reassemble a JPEG's extended XMP by GUID (the one the main packet
    names, else each one found, at most MAX_EXTENDED_GUIDS), each no larger
    than MAX_XMP_BYTES, and read it like the main packet."""
    # Portions are views of the segments Pillow keeps: nothing is copied
    # until one extension, within its limit, is assembled.
    portions: dict[bytes, list[tuple[int, int, memoryview]]] = {}
    for marker, segment in getattr(im, "applist", ()):
        if marker == "APP1" and segment.startswith(_EXTENDED_XMP) and len(segment) >= 75:
            guid = segment[35:67]
            total, offset = struct.unpack(">II", segment[67:75])
            portions.setdefault(guid, []).append((total, offset, memoryview(segment)[75:]))
    if not portions:
        return
    named = _HAS_EXTENDED.search(_xmp_of(im) or b"")
    guids = [named.group(1)] if named and named.group(1) in portions else list(portions)
    for guid in guids[:MAX_EXTENDED_GUIDS]:
        packet = _reassemble(portions[guid], meta)
        if packet is not None:
            _read_xmp(packet, meta)


def _reassemble(parts: list[tuple[int, int, memoryview]], meta: ImageMetadata) -> bytes | None:
    """The extension from its portions; None, with the problem listed, when
    it is too large, inconsistent or incomplete."""
    total = parts[0][0]
    if total > MAX_XMP_BYTES:
        meta.problems.append(f"extended XMP of {total:,} bytes: not read")
        return None
    packet = bytearray(total)
    covered = 0
    for declared, offset, data in sorted(parts, key=lambda part: part[1]):
        if declared != total or offset + len(data) > total:
            meta.problems.append("extended XMP whose portions do not fit its length: not read")
            return None
        packet[offset:offset + len(data)] = data
        covered = max(covered, offset + len(data)) if offset <= covered else covered
    if covered < total:
        meta.problems.append(f"extended XMP incomplete ({covered:,} of {total:,} bytes): "
                             "not read")
        return None
    return bytes(packet)


def _qualified(name: str) -> str:
    prefix, local = name.split(":")
    return f"{{{_NS[prefix]}}}{local}"


_XMP_WANTED = {_qualified(n): n for n in (*_XMP_CREATORS, *_XMP_SERIALS, *_XMP_EDITING,
                                          *_XMP_DATES, *_XMP_TEXTS, _XMP_SOURCE,
                                          "exif:GPSLatitude",
                                          "exif:GPSLongitude")}


def _read_xmp(packet: bytes | None, meta: ImageMetadata) -> None:
    if not packet:
        return
    if len(packet) > MAX_XMP_BYTES:
        meta.problems.append(f"XMP packet of {len(packet):,} bytes: not read")
        return
    # No DOCTYPE, no entity: XMP never uses one, and refusing it keeps a
    # "billion laughs" out of the parser.
    if re.search(rb"<!\s*(DOCTYPE|ENTITY)", packet, re.I):
        meta.problems.append("XMP packet declares a DOCTYPE or entities: not read")
        return
    from xml.etree import ElementTree

    start = packet.find(b"<x:xmpmeta")
    end = packet.rfind(b"</x:xmpmeta>")
    body = packet[start:end + len(b"</x:xmpmeta>")] if 0 <= start < end else packet.strip(b"\0 ")
    try:
        root = ElementTree.fromstring(body)
    except (ElementTree.ParseError, ValueError, RecursionError) as exc:
        meta.problems.append(f"XMP could not be parsed: {_reason(exc)}")
        return
    values: dict[str, list[str]] = {}
    for element in root.iter():
        for key, value in element.attrib.items():
            if key in _XMP_WANTED and value.strip():
                values.setdefault(_XMP_WANTED[key], []).append(value.strip())
        if element.tag in _XMP_WANTED:
            texts = [t.strip() for t in element.itertext() if t.strip()]
            # a URI-valued property may be written as rdf:resource="..."
            texts = texts or [v.strip() for k, v in element.attrib.items()
                              if k.endswith("}resource") and v.strip()]
            if texts:
                values.setdefault(_XMP_WANTED[element.tag], []).extend(texts)
    _sort_xmp(values, meta)


def _sort_xmp(values: dict[str, list[str]], meta: ImageMetadata) -> None:
    for name, texts in values.items():
        for text in dict.fromkeys(texts):
            entry = Entry(f"XMP {name}", text[:MAX_PROMPT_CHARS])
            if name in _XMP_CREATORS:
                meta.creators.append(entry)
            elif name in _XMP_SERIALS and not _blank_serial("Serial", text):
                meta.serials.append(entry)
            elif name in _XMP_EDITING:
                meta.editing.append(entry)
            elif name in _XMP_DATES and _ZONE.search(text):
                meta.editing.append(Entry(f"XMP {name} with time zone",
                                          f"{text[:10]} {_ZONE.search(text).group(1)}"))
            elif name in _XMP_TEXTS:
                _read_text_entry(f"XMP {name}", name, text, meta)
            elif name == _XMP_SOURCE:
                meta.source_types.append(Entry(f"XMP {name}", text[:300]))
    if meta.location is None:
        lat = _xmp_degrees(values.get("exif:GPSLatitude"), 90)
        lon = _xmp_degrees(values.get("exif:GPSLongitude"), 180)
        if lat is not None and lon is not None and (lat, lon) != (0, 0):
            meta.location = (coarsen(lat), coarsen(lon))
            meta.location_tags = ["XMP exif:GPSLatitude", "XMP exif:GPSLongitude"]


def _xmp_degrees(texts: list[str] | None, bound: float) -> float | None:
    """``48,51.5N`` or ``48,51,30N`` (XMP's GPSCoordinate) in degrees."""
    match = _XMP_GPS.match(texts[0]) if texts else None
    if not match:
        return None
    d, m, s, ref = match.groups()
    degrees = int(d) + float(m or 0) / 60 + float(s or 0) / 3600
    degrees = -degrees if ref in "SW" else degrees
    return degrees if abs(degrees) <= bound else None


# --- IPTC and comments ------------------------------------------------------------

_IPTC_CREATORS = {(2, 80): "By-line", (2, 116): "Copyright Notice", (2, 110): "Credit",
                  (2, 122): "Writer/Editor", (2, 118): "Contact"}
_IPTC_EDITING = {(2, 65): "Originating Program"}
_IPTC_TEXTS = {(2, 120): "Caption/Abstract"}


def _read_iptc(im, meta: ImageMetadata) -> None:
    if im.format not in ("JPEG", "MPO", "TIFF"):
        return
    from PIL import IptcImagePlugin

    try:
        iptc = IptcImagePlugin.getiptcinfo(im) or {}
    except Exception as exc:  # noqa: BLE001
        meta.problems.append(f"IPTC could not be read: {_reason(exc)}")
        return
    for tags, out in ((_IPTC_CREATORS, meta.creators), (_IPTC_EDITING, meta.editing)):
        for key, name in tags.items():
            for value in _iptc_values(iptc.get(key)):
                out.append(Entry(f"IPTC {name}", value))
    for key, name in _IPTC_TEXTS.items():
        for value in _iptc_values(iptc.get(key)):
            _read_text_entry(f"IPTC {name}", name, value, meta)


def _iptc_values(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value]
    return [t for v in values if isinstance(v, bytes) and (t := _text(v))]


def _read_comment(im, meta: ImageMetadata) -> None:
    """A JPEG COM segment; some generators write their parameters there."""
    comment = im.info.get("comment")
    text = _text(comment) if isinstance(comment, bytes | str) else ""
    if text:
        _read_text_entry("JPEG comment", "Comment", text, meta)


# --- generation records -----------------------------------------------------------

# "Steps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1234": A1111's settings
# line, which Forge, Fooocus and many others copy.
_SETTINGS = re.compile(r"(?:^|\n)\s*Steps: *\d+,.{0,400}?Sampler: *[^,\n]+.{0,400}?Seed: *-?\d+",
                       re.S)
_PNG_CREATORS = {"Author": "Author", "Copyright": "Copyright", "Artist": "Artist"}
_PNG_EDITING = {"Software", "Creation Time"}
_PROMPT_KEYS = ("prompt", "negative_prompt", "positive_prompt", "uc", "text", "text_g",
                "text_l", "positive", "negative", "caption")


def _read_text_entry(where: str, keyword: str, text: str, meta: ImageMetadata) -> None:
    """Sort one free-text value: a generation record, a creator, editing
    information, or nothing we report."""
    text = text.replace("\0", "").strip()
    if not text:
        return
    tool = _generation_tool(keyword, text)
    if tool:
        meta.generation.append(Entry(where, tool))
        for part in _prompts(tool, keyword, text):
            if len(meta.prompts) < MAX_PROMPT_TEXTS:
                meta.prompts.append(Entry(where, part[:MAX_PROMPT_CHARS]))
    elif keyword in _PNG_CREATORS and where.startswith("PNG"):
        meta.creators.append(Entry(where, text[:MAX_PROMPT_CHARS]))
    elif keyword in _PNG_EDITING and where.startswith("PNG"):
        meta.editing.append(Entry(where, text[:200]))


def _generation_tool(keyword: str, text: str) -> str | None:
    """Which tool wrote this record, or None when it is no generation record."""
    lowered = keyword.lower()
    if lowered in ("prompt", "workflow") and text.lstrip()[:1] == "{":
        return "ComfyUI"
    if lowered in ("invokeai_metadata", "invokeai_graph", "sd-metadata", "dream"):
        return "InvokeAI"
    if lowered == "comment" and text.lstrip()[:1] == "{" and '"prompt"' in text \
            and ('"steps"' in text or '"sampler"' in text):
        return "NovelAI"
    if lowered == "parameters" or _SETTINGS.search(text):
        return "A1111-style parameters"
    return None


def _prompts(tool: str, keyword: str, text: str) -> list[str]:
    """The texts a person wrote in a generation record: A1111's prompt and
    negative prompt without the settings line; the prompt strings of a JSON
    record (ComfyUI nodes, InvokeAI, NovelAI)."""
    if text.lstrip()[:1] in "{[":
        return _json_prompts(text)
    settings = _SETTINGS.search(text)
    body = text[:settings.start()] if settings else text
    positive, _, negative = body.partition("\nNegative prompt:")
    return [p.strip() for p in (positive, negative) if p.strip()]


def _json_prompts(text: str) -> list[str]:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return []
    found: list[str] = []
    _walk_json(data, found, 0)
    return list(dict.fromkeys(found))


def _walk_json(value: Any, found: list[str], depth: int) -> None:
    """String values under prompt-like keys, and the string widgets of
    ComfyUI's text-encode nodes, at most MAX_PROMPT_TEXTS of them."""
    if depth > 40 or len(found) >= MAX_PROMPT_TEXTS:
        return
    if isinstance(value, dict):
        node_type = str(value.get("class_type") or value.get("type") or "")
        encodes = any(w in node_type for w in ("TextEncode", "Prompt", "Text Multiline"))
        for key, item in value.items():
            if isinstance(item, str):
                if (key in _PROMPT_KEYS and item.strip()) and not item.lstrip().startswith("{"):
                    found.append(item.strip())
            elif key == "widgets_values" and encodes and isinstance(item, list):
                found.extend(s.strip() for s in item if isinstance(s, str) and " " in s.strip())
            else:
                _walk_json(item, found, depth + 1)
    elif isinstance(value, list):
        for item in value[:10_000]:
            _walk_json(item, found, depth + 1)
    elif isinstance(value, str) and depth and value.lstrip()[:1] == "{":
        # InvokeAI and others nest JSON in a string
        nested = _json_prompts(value) if len(value) < MAX_TEXT_BYTES else []
        found.extend(nested)


# --- the thumbnail ----------------------------------------------------------------


def thumbnail_differs(path: str | Path, thumbnail: bytes) -> int | None:
    """How far (bits of 64) the EXIF ``thumbnail`` is from the image at
    ``path`` by a difference hash, when that is more than
    THUMBNAIL_DISTANCE: content cropped or painted out of the image that
    survives in its thumbnail. None when they match or cannot be compared.

    The only pixels this module decodes: the thumbnail (a few kilobytes),
    and the image at the smallest scale its format allows (JPEG decodes at
    1/8 scale through ``draft``), under MAX_DECODE_PIXELS."""
    try:
        with _quiet():
            small = _dhash(_open_small(io.BytesIO(thumbnail), (256, 256)))
            if small is None:
                return None
            main = _dhash(_open_small(Path(path), (64, 64)))
            if main is None:
                return None
    except Exception:  # noqa: BLE001 - an undecodable thumbnail is no evidence either way
        return None
    distance = bin(small ^ main).count("1")
    return distance if distance > THUMBNAIL_DISTANCE else None


def decode_grey(source, draft_side: int):
    """The image at ``source`` (a path or a binary file) decoded grey, as a
    Pillow image; a JPEG at the smallest DCT scale of at least
    ``draft_side`` pixels. Only the formats this reader reads (never EPS,
    whose Pillow plugin runs Ghostscript), and nothing declaring more than
    MAX_DECODE_PIXELS. Raises :class:`UnreadableImage` with the reason, and
    nothing else. What the faces, the thumbnails, OCR and the perceptual
    hashes decode, decoded one way."""
    from PIL import Image

    try:
        with _quiet(), Image.open(source, formats=_registered(_DECODE_FORMATS)) as im:
            if im.width * im.height > MAX_DECODE_PIXELS:
                raise UnreadableImage(
                    f"{im.width}×{im.height} pixels: more than the {MAX_DECODE_PIXELS:,} "
                    "an image may have to be decoded here")
            if im.format in ("JPEG", "MPO"):
                im.draft("L", (draft_side, draft_side))
            grey = im.convert("L")
            grey.load()
            return grey
    except UnreadableImage:
        raise
    except Image.UnidentifiedImageError:
        raise UnreadableImage("not an image format read here (a wrong extension, or a "
                              "corrupt file)") from None
    except Exception as exc:  # noqa: BLE001 - hostile bytes: every decoder error is a reason
        raise UnreadableImage(_reason(exc)) from None


def _open_small(source, size: tuple[int, int]):
    try:
        grey = decode_grey(source, max(size))
    except UnreadableImage:
        return None
    # Black bars a camera adds to fit a 3:2 picture in a 4:3 thumbnail.
    box = grey.point(lambda p: 255 if p > 24 else 0).getbbox()
    if box and (box[2] - box[0]) * (box[3] - box[1]) >= grey.width * grey.height // 3:
        grey = grey.crop(box)
    return grey


def _dhash(grey) -> int | None:
    """A 64-bit difference hash: each bit says whether a pixel of a 9×8
    reduction is brighter than its right neighbour."""
    if grey is None:
        return None
    from PIL import Image

    pixels = grey.resize((9, 8), Image.Resampling.BOX).tobytes()
    bits = 0
    for row in range(8):
        for col in range(8):
            bits = bits << 1 | (pixels[row * 9 + col] > pixels[row * 9 + col + 1])
    return bits


# --- content credentials (C2PA) ---------------------------------------------------

# IPTC's digital source types that say "made by a machine" (IPTC NewsCodes
# digitalsourcetype, also used by C2PA actions). Others (digitalCapture,
# negativeFilm, minorHumanEdits...) are declarations too, of a human origin.
AI_SOURCE_TYPES = frozenset({
    "trainedAlgorithmicMedia", "compositeWithTrainedAlgorithmicMedia",
    "algorithmicMedia", "compositeSynthetic", "algorithmicallyEnhanced",
})
# c2pa-python settings that keep it offline: no OCSP, no remote manifest,
# no trust list (trust needs one fetched or shipped: a signature that is
# valid but unchecked for trust reads "Valid", never "Trusted"), no host.
_C2PA_OFFLINE = {
    "verify": {"ocsp_fetch": False, "remote_manifest_fetch": False, "verify_trust": False},
    "core": {"allowed_network_hosts": []},
}
_C2PA_MIME = {"JPEG": "image/jpeg", "PNG": "image/png", "TIFF": "image/tiff",
              "WEBP": "image/webp", "HEIF": "image/heif"}
# Manifest JSON larger than this is not read further (a store is kilobytes).
MAX_MANIFEST_JSON = 4 * 1024 * 1024


@dataclass
class Credentials:
    """What an image's C2PA manifest store says. ``state`` is c2pa's
    validation state: ``Valid`` (signature and hashes check, trust not
    checked offline), ``Trusted``, ``Invalid`` with ``errors``, or
    ``Remote`` (the image points to a manifest on the web, which is never
    fetched); None when the image has no manifest. ``unavailable`` says why it was not read."""

    state: str | None = None
    source_types: list[str] = field(default_factory=list)
    generator: str = ""
    errors: list[str] = field(default_factory=list)
    unavailable: str | None = None

    @property
    def valid(self) -> bool:
        return self.state in ("Valid", "Trusted")


def source_type_name(uri: str) -> str:
    """``trainedAlgorithmicMedia`` from IPTC's URI (or the bare name)."""
    return uri.strip().rstrip("/").rsplit("/", 1)[-1]


def declares_ai(source_types: list[str]) -> bool:
    return any(source_type_name(t) in AI_SOURCE_TYPES for t in source_types)


def read_credentials(path: str | Path, image_format: str) -> Credentials:
    """The C2PA manifest store of the image at ``path`` (``image_format``
    as :class:`ImageMetadata` names it), read and validated offline by
    c2pa-python. Never raises: a store that cannot be parsed is
    ``Invalid`` with the reason; a missing c2pa-python is ``unavailable``."""
    path = Path(path)
    mime = _C2PA_MIME.get(image_format)
    if mime is None:
        return Credentials(unavailable=f"{image_format} is not read for content credentials")
    try:
        size = path.stat().st_size
    except OSError as exc:
        return Credentials(unavailable=exc.strerror or str(exc))
    if size > MAX_WHOLE_FILE_BYTES:
        return Credentials(unavailable="the file is larger than the content-credential reader "
                                       f"reads ({MAX_WHOLE_FILE_BYTES // 2**20} MiB)")
    try:
        context = _c2pa_context()
    except ImportError:
        return Credentials(unavailable="c2pa-python is not installed")
    import c2pa

    try:
        with path.open("rb") as fh:
            reader = c2pa.Reader.try_create(mime, fh, context=context)
            if reader is None:
                return Credentials()
            with reader:
                text = reader.json()
    except Exception as exc:  # noqa: BLE001 - hostile bytes: a broken store is a finding
        if type(exc).__name__.endswith("Remote") or str(exc).startswith("Remote:"):
            # The image points to a manifest on the web: never fetched here.
            return Credentials(state="Remote", errors=[_reason(exc)])
        return Credentials(state="Invalid", errors=[_reason(exc)])
    return _credentials_of(text)


# One c2pa context per process: a context made before a fork is not used
# after it. Its native runtime's threads do not survive the fork, and every
# manifest read through the child's copy came back invalid (a Dask worker
# forked from a process that had validated an image).
_C2PA_CONTEXTS: dict[int, object] = {}


def _c2pa_context():
    pid = os.getpid()
    context = _C2PA_CONTEXTS.get(pid)
    if context is None:
        import c2pa

        _C2PA_CONTEXTS.clear()  # a parent's, unusable here
        context = _C2PA_CONTEXTS[pid] = c2pa.Context(c2pa.Settings.from_dict(_C2PA_OFFLINE))
    return context


def _credentials_of(text: str) -> Credentials:
    try:
        store = json.loads(text[:MAX_MANIFEST_JSON])
    except (ValueError, RecursionError) as exc:
        return Credentials(state="Invalid", errors=[f"manifest store not JSON: {_reason(exc)}"])
    if not isinstance(store, dict):
        return Credentials(state="Invalid", errors=["manifest store is not a JSON object"])
    manifests = store.get("manifests") if isinstance(store.get("manifests"), dict) else {}
    active = manifests.get(store.get("active_manifest")) or {}
    errors = [f"{s.get('code', '?')}: {str(s.get('explanation', ''))[:160]}"
              for s in store.get("validation_status") or [] if isinstance(s, dict)]
    state = str(store.get("validation_state") or ("Invalid" if errors else "Valid"))
    generators = [g.get("name", "") for g in active.get("claim_generator_info") or []
                  if isinstance(g, dict)]
    return Credentials(state=state, errors=errors[:5],
                       source_types=list(dict.fromkeys(_action_source_types(active))),
                       generator=", ".join(str(g) for g in generators if g)[:200])


def _action_source_types(manifest: dict) -> Iterator[str]:
    """digitalSourceType of each action of the c2pa.actions assertions."""
    for assertion in manifest.get("assertions") or []:
        if not isinstance(assertion, dict):
            continue
        if not str(assertion.get("label", "")).startswith("c2pa.actions"):
            continue
        data = assertion.get("data") if isinstance(assertion.get("data"), dict) else {}
        for action in data.get("actions") or []:
            if isinstance(action, dict) and isinstance(action.get("digitalSourceType"), str):
                yield action["digitalSourceType"][:300]


# --- audio and video --------------------------------------------------------------

# Tag keys (lower case) by what they say, per tag system as mutagen names
# them: ID3 frames, MP4 atoms, Vorbis comments, ASF attributes.
_AV_CREATORS = {
    "tpe1", "tpe2", "tpe3", "tcom", "text", "tcop", "town", "toly", "wcop", "woar",
    "\xa9art", "aart", "\xa9wrt", "cprt", "\xa9aut", "\xa9prd", "\xa9dir", "\xa9prf",
    "artist", "albumartist", "composer", "performer", "copyright", "contact", "author",
    "lyricist", "wm/albumartist", "wm/composer", "wm/writer",
    "engineer", "technician", "commissioned", "source",  # RIFF INFO IENG, ITCH, ICMS, ISRC
}
_AV_DEVICE = {"\xa9mak", "\xa9mod", "com.apple.quicktime.make", "com.apple.quicktime.model",
              "make", "model", "device", "camera"}
_AV_SOFTWARE = {"tsse", "tenc", "\xa9too", "\xa9swr", "\xa9enc", "encoder", "encoded-by",
                "encoded_by", "encodedby", "software", "wm/encodingsettings", "wm/toolname"}
_AV_DATES = {"tdrc", "tdor", "tden", "\xa9day", "date", "creation_time", "wm/year"}
_AV_LOCATIONS = {"\xa9xyz", "com.apple.quicktime.location.iso6709", "location"}
# ISO 6709 as written in ©xyz: +48.8583+002.2945/ (altitude optional).
_ISO6709 = re.compile(r"^\s*([+-]\d{1,2}(?:\.\d+)?)([+-]\d{1,3}(?:\.\d+)?)")
MAX_AV_VALUES = 64
MAX_AV_VALUE_CHARS = 2000
class UnreadableMedia(Exception):
    """An audio or video file mutagen cannot read; the message is the reason."""


@dataclass
class AvMetadata:
    """What an audio or video file's container and tags say. ``location``
    is coarsened like an image's; the raw coordinates are never kept."""

    format: str
    location: tuple[float, float] | None = None
    location_tags: list[str] = field(default_factory=list)
    creators: list[Entry] = field(default_factory=list)
    devices: list[Entry] = field(default_factory=list)
    editing: list[Entry] = field(default_factory=list)


def read_av_metadata(path: str | Path) -> AvMetadata:
    """The tags of the audio or video file at ``path`` (MP3, FLAC, Ogg,
    Opus, MP4/M4A/MOV, WAV, AIFF, ASF/WMA, and the rest mutagen reads),
    without decoding a sample. Raises :class:`UnreadableMedia`, and nothing
    else, when the file cannot be read."""
    try:
        import mutagen
    except ImportError:
        raise UnreadableMedia("audio and video tags need mutagen, which is not installed") \
            from None
    texts = _check_tag_sizes(Path(path))
    try:
        with _quiet():
            media = mutagen.File(str(path))
    except Exception as exc:  # noqa: BLE001 - hostile bytes: every parser error is a reason
        raise UnreadableMedia(_reason(exc)) from None
    if media is None:
        raise UnreadableMedia("not an audio or video format mutagen reads (a wrong extension, "
                              "or a corrupt file)")
    meta = AvMetadata(format=type(media).__name__)
    for key, name, value in _av_items(media.tags):
        _sort_av(key, name, value, meta)
    for key, where, value in texts[:MAX_AV_VALUES]:
        if value:
            _sort_av(key, where, value, meta, where=where)
    return meta


def _check_tag_sizes(path: Path) -> list[tuple[str, str, str]]:
    """Raise UnreadableMedia when a tag block mutagen would read whole is
    past its limit (:mod:`.av_headers`, from the headers only); the RIFF
    INFO and AIFF text tags, which mutagen does not read."""
    from .av_headers import TagBlockTooLarge, check_tag_blocks

    try:
        return check_tag_blocks(path)
    except TagBlockTooLarge as exc:
        raise UnreadableMedia(str(exc)) from None
    except OSError as exc:
        raise UnreadableMedia(exc.strerror or str(exc)) from None


def _av_items(tags) -> Iterator[tuple[str, str, str]]:
    """(key, name as written, text) of each tag, at most MAX_AV_VALUES, whatever the tag system."""
    if tags is None:
        return
    count = 0
    try:
        # Vorbis comments are a list of pairs whose items() looks each key
        # up in the whole list again: quadratic (20,000 comments took 48 s).
        items = list(tags) if isinstance(tags, list) else list(tags.items())
    except Exception:  # noqa: BLE001 - some tag containers are not mappings
        return
    for key, value in items:
        values = value if isinstance(value, list) else [value]
        for one in values:
            text = _av_text(one)
            if text:
                yield _av_key(key), str(key)[:60], text[:MAX_AV_VALUE_CHARS]
                count += 1
                if count >= MAX_AV_VALUES:
                    return


def _av_key(key: Any) -> str:
    """ID3's ``TXXX:LOCATION`` and ``TPE1``, MP4's ``----:com.apple.iTunes:X``
    and ``©ART``: the lower-case name the tables above use."""
    text = str(key)
    if text.startswith("----:"):
        text = text.rsplit(":", 1)[-1]
    elif text.startswith("TXXX:"):
        text = text[5:]
    elif len(text) > 4 and text[4:5] == ":" and text[:4].isupper():  # COMM:eng, APIC:
        text = text[:4]
    return text.strip().lower()


def _av_text(value: Any) -> str:
    if hasattr(value, "text"):  # an ID3 frame
        value = value.text
        value = value if isinstance(value, list) else [value]
        return " / ".join(str(v) for v in value if str(v).strip()).strip()
    if isinstance(value, bytes):
        return value[:MAX_AV_VALUE_CHARS].decode("utf-8", "replace").strip("\0 ").strip() \
            if not value[:64].count(0) > 8 else ""  # binary blobs are no text
    if isinstance(value, str | int | float):
        return str(value).strip()
    return ""


def _sort_av(key: str, name: str, text: str, meta: AvMetadata, where: str = "") -> None:
    where = where or f"tag {name}"
    if key in _AV_LOCATIONS:
        match = _ISO6709.match(text)
        if match and meta.location is None:
            lat, lon = float(match.group(1)), float(match.group(2))
            if abs(lat) <= 90 and abs(lon) <= 180 and (lat, lon) != (0, 0):
                meta.location = (coarsen(lat), coarsen(lon))
                meta.location_tags.append(where)
    elif key in _AV_CREATORS:
        meta.creators.append(Entry(where, text))
    elif key in _AV_DEVICE:
        meta.devices.append(Entry(where, text[:200]))
    elif key in _AV_SOFTWARE:
        meta.editing.append(Entry(where, text[:200]))
    elif key in _AV_DATES and _ZONE.search(text):
        meta.editing.append(Entry(f"{where} with time zone",
                                  f"{text[:10]} {_ZONE.search(text).group(1)}"))
