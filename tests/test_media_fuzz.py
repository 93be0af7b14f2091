"""Property tests of the image metadata reader on hostile bytes: real JPEG,
PNG, WebP and TIFF files built here (EXIF with GPS and a thumbnail, XMP,
IPTC, text chunks), then bytes flipped, inserted, overwritten and cut by
hypothesis. Whatever the bytes, the reader returns metadata or raises
UnreadableImage, the check returns findings, and neither hangs.

Seeds also hold the readers' rarer paths: a JPEG with extended XMP in
three APP1 portions, JPEGs with Canon and Nikon MakerNotes (serials at
offsets of their own), a TIFF with a JPEG thumbnail in a SubIFD.

The same damage is done to a JPEG signed with a C2PA manifest (the
content-credential reader never raises; a broken store is "Invalid") and to
tagged MP3, FLAC, MP4, Ogg Vorbis, Opus, WAV (ID3 chunk and RIFF INFO) and
AIFF files (the audio/video reader, header walks first, returns tags or
raises UnreadableMedia).

``FUZZ_EXAMPLES=N`` (or ``HYPOTHESIS_PROFILE=fuzz``, as ``make fuzz`` sets)
runs more examples.
"""

from __future__ import annotations

import os
import time
from functools import lru_cache
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, PngImagePlugin
from test_media import (
    PROMPT,
    canon_note,
    encode,
    exif_of,
    extended_xmp_body,
    extended_xmp_segments,
    full_gps,
    jpeg_with_extended_xmp,
    nikon_note,
    picture,
    thumb_of,
    tiff_with_thumbnail,
    with_makernote,
    with_thumbnail,
)

from aiart_release.bundle import BundleFile
from aiart_release.checks import FileContext
from aiart_release.default_plugins.media.check import MediaMetadata
from aiart_release.findings import Finding
from aiart_release.readers.media import (
    AvMetadata,
    Credentials,
    ImageMetadata,
    UnreadableImage,
    UnreadableMedia,
    read_av_metadata,
    read_credentials,
    read_metadata,
)

EXAMPLES = int(os.environ.get(
    "FUZZ_EXAMPLES", 400 if os.environ.get("HYPOTHESIS_PROFILE") == "fuzz" else 40))
# Generous: a file that used to hang would take minutes. One example takes
# milliseconds.
NO_HANG_SECONDS = 10
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=False,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@lru_cache
def seeds() -> dict[str, bytes]:
    """One real file per format, with as much metadata as each can hold."""
    im = picture(size=(256, 192))
    exif = exif_of(artist="Jane Doe", serial="SN-99417-X", gps=full_gps(), software="GIMP",
                   offset_time="+02:00", user_comment=b"UNICODE\0" + PROMPT.encode("utf-16-be"))
    with_thumb = with_thumbnail(exif.tobytes(), thumb_of(picture(seed=1)))
    xmp = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
           b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
           b'xmlns:dc="http://purl.org/dc/elements/1.1/"><rdf:Description><dc:creator>'
           b'<rdf:Seq><rdf:li>Jane Doe</rdf:li></rdf:Seq></dc:creator></rdf:Description>'
           b'</rdf:RDF></x:xmpmeta>')
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", PROMPT)
    info.add_itxt("Author", "Zoë Achterberg", zip=True)
    info.add_text("Comment", "hello", zip=True)
    camera = {"artist": "Jane Doe", "gps": full_gps()}
    return {
        ".jpg": encode(im, "JPEG", exif=with_thumb, xmp=xmp),
        ".png": encode(im, "PNG", pnginfo=info, exif=exif.tobytes()),
        ".webp": encode(im, "WEBP", exif=exif.tobytes(), xmp=xmp),
        ".tif": encode(im, "TIFF", exif=exif.tobytes()),
        # the new paths: extended XMP, MakerNotes, a TIFF's SubIFD thumbnail
        "-xmp-extension.jpg": jpeg_with_extended_xmp(
            extended_xmp_segments(extended_xmp_body(padding=2000), portion=900)),
        "-canon.jpg": with_makernote("Canon", canon_note(2381234567, b"JB0123456"), **camera),
        "-nikon.jpg": with_makernote("NIKON", lambda base: nikon_note(b"6012345"), **camera),
        "-subifd.tif": tiff_with_thumbnail(im, thumb_of(picture(seed=1)), "SubIFD",
                                           exif=exif.tobytes()),
    }


@lru_cache
def av_seeds() -> dict[str, bytes]:
    """Tagged audio and video files (location, artist, device, encoder)."""
    import tempfile

    from test_media_av import (
        tagged_aiff,
        tagged_flac,
        tagged_mp3,
        tagged_mp4,
        tagged_ogg,
        tagged_wav,
    )

    with tempfile.TemporaryDirectory() as folder:
        return {".mp3": tagged_mp3(Path(folder) / "a.mp3"),
                ".flac": tagged_flac(Path(folder) / "a.flac"),
                ".mp4": tagged_mp4(Path(folder) / "a.mp4"),
                ".ogg": tagged_ogg(Path(folder) / "a.ogg"),
                ".opus": tagged_ogg(Path(folder) / "a.opus", "opus"),
                ".wav": tagged_wav(Path(folder) / "a.wav"),
                ".aiff": tagged_aiff()}


@lru_cache
def credential_seeds() -> dict[str, bytes]:
    """A JPEG signed with a C2PA manifest declaring trainedAlgorithmicMedia."""
    from test_media_credentials import signed_jpeg

    return {".jpg": signed_jpeg()}


@st.composite
def mutated(draw, seeds_of=seeds) -> tuple[str, bytes]:
    """A seed file with a few random edits: the kinds of damage a bad copy,
    a broken writer or a hand-crafted file make. Edits favour the first
    kilobytes, where the headers and the metadata are."""
    suffix = draw(st.sampled_from(sorted(seeds_of())))
    data = bytearray(seeds_of()[suffix])
    for _ in range(draw(st.integers(1, 6))):
        size = len(data)
        if not size:
            break
        near = draw(st.one_of(st.integers(0, min(size - 1, 4096)), st.integers(0, size - 1)))
        edit = draw(st.sampled_from(["flip", "byte", "insert", "delete", "truncate",
                                     "overwrite", "max"]))
        if edit == "flip":
            data[near] ^= 1 << draw(st.integers(0, 7))
        elif edit == "byte":
            data[near] = draw(st.integers(0, 255))
        elif edit == "insert":
            data[near:near] = draw(st.binary(min_size=1, max_size=64))
        elif edit == "delete":
            del data[near:near + draw(st.integers(1, 64))]
        elif edit == "truncate":
            del data[near:]
        elif edit == "overwrite":
            chunk = draw(st.binary(min_size=1, max_size=32))
            data[near:near + len(chunk)] = chunk
        else:  # lengths, counts and offsets at their largest
            data[near:near + 4] = b"\xff\xff\xff\xff"
    return suffix, bytes(data)


@FUZZ
@given(mutated())
def test_reader_returns_metadata_or_a_reason(tmp_path_factory, case):
    suffix, data = case
    path = tmp_path_factory.mktemp("fuzz") / f"image{suffix}"
    path.write_bytes(data)
    started = time.perf_counter()
    try:
        meta = read_metadata(path)
    except UnreadableImage as exc:
        assert str(exc)
    else:
        assert isinstance(meta, ImageMetadata)
        # Whatever the bytes, a position is only ever stored coarsened.
        if meta.location is not None:
            assert all(round(c, 1) == c for c in meta.location)
    assert time.perf_counter() - started < NO_HANG_SECONDS


@FUZZ
@given(mutated())
def test_check_returns_findings(tmp_path_factory, capfd, case):
    suffix, data = case
    folder = tmp_path_factory.mktemp("fuzz")
    path = folder / f"image{suffix}"
    path.write_bytes(data)
    file = BundleFile(path=path.name, abspath=path, size=len(data), kind="image",
                      artifact="dataset")
    started = time.perf_counter()
    found = list(MediaMetadata().scan_file(file, FileContext()))
    assert time.perf_counter() - started < NO_HANG_SECONDS
    assert all(isinstance(f, Finding) for f in found)
    assert len({f.id for f in found}) == len(found)  # one per id per file
    for f in found:
        assert "Jane Doe" not in (f.evidence or "") + f.message
    assert capfd.readouterr() == ("", "")  # checks never print, nor do their libraries


def test_seeds_are_read_whole(tmp_path):
    """The fuzzing starts from files that hold what it means to damage."""
    for suffix, data in seeds().items():
        path = tmp_path / f"seed{suffix}"
        path.write_bytes(data)
        meta = read_metadata(path)
        assert meta.creators and not meta.problems, suffix
        assert meta.location == (48.9, 2.3), suffix
    assert read_metadata(Path(tmp_path / "seed.jpg")).thumbnail is not None
    assert read_metadata(Path(tmp_path / "seed-subifd.tif")).thumbnail is not None
    for maker in ("canon", "nikon"):
        assert read_metadata(Path(tmp_path / f"seed-{maker}.jpg")).serials, maker
    assert Image.open(tmp_path / "seed.png").format == "PNG"


@FUZZ
@given(mutated(av_seeds))
def test_av_reader_returns_tags_or_a_reason(tmp_path_factory, capfd, case):
    suffix, data = case
    path = tmp_path_factory.mktemp("fuzz") / f"media{suffix}"
    path.write_bytes(data)
    started = time.perf_counter()
    try:
        meta = read_av_metadata(path)
    except UnreadableMedia as exc:
        assert str(exc)
    else:
        assert isinstance(meta, AvMetadata)
        if meta.location is not None:
            assert all(round(c, 1) == c for c in meta.location)
    assert time.perf_counter() - started < NO_HANG_SECONDS
    assert capfd.readouterr() == ("", "")


@FUZZ
@given(mutated(credential_seeds))
def test_credential_reader_never_raises(tmp_path_factory, capfd, case):
    suffix, data = case
    path = tmp_path_factory.mktemp("fuzz") / f"signed{suffix}"
    path.write_bytes(data)
    started = time.perf_counter()
    credentials = read_credentials(path, "JPEG")
    assert isinstance(credentials, Credentials)
    # a damaged store is never taken for a valid one with errors
    assert not (credentials.valid and credentials.errors)
    assert time.perf_counter() - started < NO_HANG_SECONDS
    assert capfd.readouterr() == ("", "")


def test_av_and_credential_seeds_are_read_whole(tmp_path):
    for suffix, data in av_seeds().items():
        path = tmp_path / f"seed{suffix}"
        path.write_bytes(data)
        assert read_av_metadata(path).creators, suffix
    signed = tmp_path / "signed.jpg"
    signed.write_bytes(credential_seeds()[".jpg"])
    assert read_credentials(signed, "JPEG").state == "Valid"
