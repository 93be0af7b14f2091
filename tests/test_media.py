"""Image metadata (aiart_release/readers/media.py and the media plugin):
real JPEG, PNG, WebP, TIFF and HEIC files written here with Pillow, with
EXIF, XMP, IPTC and PNG text chunks; the findings they give; raw GPS
coordinates and names absent from every output; and hostile files (truncated,
corrupt, misnamed, a decompression bomb, broken EXIF IFDs) that give
``bundle.unreadable`` with a reason while the scan goes on.
"""

from __future__ import annotations

import importlib.util
import io
import json
import struct
import time
import zlib
from importlib import metadata
from pathlib import Path

import pytest
from conftest import make_bundle
from PIL import Image, ImageDraw, PngImagePlugin

from aiart_release.bundle import build_inventory
from aiart_release.checks import FileContext
from aiart_release.default_plugins.media.check import MediaMetadata
from aiart_release.plugins import build_registry
from aiart_release.readers.media import (
    UnreadableImage,
    coarsen,
    prompt_texts,
    read_metadata,
)


def _load_benchmark():
    """benchmarks/images.py, whose camera-like JPEGs the tests also use."""
    path = Path(__file__).resolve().parent.parent / "benchmarks" / "images.py"
    spec = importlib.util.spec_from_file_location("images_benchmark", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


BENCHMARK = _load_benchmark()
# The Eiffel Tower, to the metre: 48°51'29.88" N, 2°17'40.2" E.
LAT, LON = (48.0, 51.0, 29.88), (2.0, 17.0, 40.2)
RAW_COORDINATES = ("48.858", "48.8583", "2.2945", "29.88", "40.2", "51'29", "17'40")
PROMPT = ("portrait of Marguerite Okonkwo-Bellamy at 14 Rue des Lilas, 75011 Paris, "
          "marguerite.okonkwo@kunst-post.org, golden hour\n"
          "Negative prompt: blurry, lowres\n"
          "Steps: 30, Sampler: DPM++ 2M Karras, CFG scale: 7, Seed: 1234567890, Size: 512x768, "
          "Model: sdxl")
SECRETS = ("Marguerite", "Okonkwo", "Lilas", "marguerite.okonkwo@kunst-post.org", "Jane Doe",
           "SN-99417-X")


# --- building real images ---------------------------------------------------------


def picture(size=(320, 240), seed=0) -> Image.Image:
    """A picture with texture and shapes, so that perceptual hashes of
    different pictures differ as those of photos do (the benchmark's)."""
    return BENCHMARK.picture(size, seed)


def exif_of(*, artist=None, serial=None, gps=None, software=None, offset_time=None,
            user_comment=None) -> Image.Exif:
    exif = Image.Exif()
    if artist:
        exif[0x013B] = artist
    if software:
        exif[0x0131] = software
    sub = {}
    if serial:
        sub[0xA431] = serial
    if offset_time:
        sub[0x9003], sub[0x9011] = "2024:05:04 18:30:00", offset_time
    if user_comment:
        sub[0x9286] = user_comment
    if sub:
        exif[0x8769] = sub
    if gps is not None:
        exif[0x8825] = gps
    return exif


def full_gps() -> dict:
    return {0: b"\x02\x03\x00\x00", 1: "N", 2: LAT, 3: "E", 4: LON}


def encode(im: Image.Image, fmt: str, **params) -> bytes:
    out = io.BytesIO()
    im.save(out, fmt, **params)
    return out.getvalue()


def with_thumbnail(exif: bytes, thumbnail: bytes) -> bytes:
    """``exif`` with an IFD1 pointing to a JPEG ``thumbnail``, as cameras
    write it (Pillow writes no IFD1 itself)."""
    return BENCHMARK.with_thumbnail(exif, thumbnail)


def raw_exif(entries: list[tuple[int, int, int, bytes | None]], tail: bytes = b"") -> bytes:
    """A big-endian EXIF block written by hand: IFD0 holds ``entries``
    (tag, type, count, the 4-byte value or offset; None: the offset of
    ``tail``, which follows IFD0)."""
    tail_at = 8 + 2 + 12 * len(entries) + 4
    ifd = struct.pack(">H", len(entries))
    for tag, typ, count, value in entries:
        value = struct.pack(">I", tail_at) if value is None else value.ljust(4, b"\0")[:4]
        ifd += struct.pack(">HHI", tag, typ, count) + value
    return b"Exif\x00\x00" + b"MM\x00\x2a" + struct.pack(">I", 8) + ifd + b"\0\0\0\0" + tail


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def bomb_png(width=100_000, height=100_000) -> bytes:
    """A PNG whose IHDR declares a ``width`` x ``height`` canvas (ten
    gigapixels) over a few bytes of compressed data."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\0" * 100_000, 9)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr)
            + png_chunk(b"tEXt", b"parameters\0" + PROMPT.encode())
            + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b""))


def generated_png(**chunks) -> bytes:
    info = PngImagePlugin.PngInfo()
    for key, value in chunks.items():
        info.add_text(key, value)
    return encode(picture(), "PNG", pnginfo=info)


def geotagged_jpeg() -> bytes:
    exif = exif_of(artist="Jane Doe", serial="SN-99417-X", gps=full_gps(),
                   software="Adobe Photoshop 25.1 (Windows)", offset_time="+02:00")
    return encode(picture(), "JPEG", exif=exif.tobytes())


# --- running the check --------------------------------------------------------------


def scan(tmp_path: Path, files: dict[str, bytes]) -> dict[str, list]:
    """The media check on each file of a bundle made of ``files``, as the
    engine calls it: {path: findings}."""
    root = make_bundle(tmp_path / "bundle", files)
    inventory = build_inventory(root, build_registry().classify)
    check = MediaMetadata()
    return {f.path: list(check.scan_file(f, FileContext())) for f in inventory.files
            if f.kind in check.kinds}


def ids(findings) -> set[str]:
    return {f.id for f in findings}


def one(findings, finding_id):
    [found] = [f for f in findings if f.id == finding_id]
    return found


@pytest.fixture
def with_media_plugin(monkeypatch):
    """The CLI with the media plugin: through AIART_RELEASE_PLUGINS until
    pyproject.toml registers it, then as installed. The personal-data check
    (Presidio) is left out: these tests are about metadata."""
    installed = {ep.name for ep in metadata.entry_points(group="aiart_release")}
    if "media" not in installed:
        monkeypatch.setenv("AIART_RELEASE_PLUGINS", "aiart_release.default_plugins.media")
    monkeypatch.setenv("AIART_RELEASE_DISABLE_PLUGINS", "personal-data")


# --- what the metadata says -----------------------------------------------------------


def test_geotagged_jpeg_gives_location_serial_creator_and_editing(tmp_path):
    found = scan(tmp_path, {"data/img_0412.jpg": geotagged_jpeg()})["data/img_0412.jpg"]
    assert ids(found) == {"image.gps-location", "image.device-serial", "image.creator-metadata",
                          "image.editing-metadata"}
    gps = one(found, "image.gps-location")
    assert gps.severity.value == "high" and gps.context == "metadata"
    assert "about 48.9° N, 2.3° E" in gps.message
    assert gps.matched == gps.evidence == "about 48.9° N, 2.3° E"
    serial = one(found, "image.device-serial")
    assert serial.severity.value == "medium" and "BodySerialNumber" in serial.message
    assert serial.evidence == "**-*****-*" and serial.matched == "SN-99417-X"
    creator = one(found, "image.creator-metadata")
    assert creator.severity.value == "low" and "EXIF Artist" in creator.message
    assert creator.evidence == "J*** D**"
    editing = one(found, "image.editing-metadata")
    assert "Software" in editing.message and "with time zone" in editing.message
    assert "Photoshop" in editing.evidence and "+02:00" in editing.evidence


@pytest.mark.parametrize("gps", [
    {0: b"\x02\x03\x00\x00"},                                  # only GPSVersionID
    {0: b"\x02\x03\x00\x00", 1: "N", 2: LAT},                  # no longitude
    {0: b"\x02\x03\x00\x00", 3: "E", 4: LON},                  # no latitude
    {1: "N", 2: (0.0, 0.0, 0.0), 3: "E", 4: (0.0, 0.0, 0.0)},  # 0,0: no fix
    {1: "N", 2: (123.0, 0.0, 0.0), 3: "E", 4: LON},            # not a latitude
])
def test_gps_without_a_position_is_no_location(tmp_path, gps):
    image = encode(picture(), "JPEG", exif=exif_of(gps=gps).tobytes())
    assert "image.gps-location" not in ids(scan(tmp_path, {"a.jpg": image})["a.jpg"])


def test_southern_and_western_coordinates_keep_their_sign():
    assert coarsen(-33.8567844) == -33.9 and coarsen(-0.04) == 0.0


def test_reference_letters_turn_the_sign(tmp_path):
    gps = {1: "S", 2: (33.0, 51.0, 24.4), 3: "W", 4: (70.0, 40.0, 12.0)}
    image = encode(picture(), "JPEG", exif=exif_of(gps=gps).tobytes())
    (tmp_path / "s.jpg").write_bytes(image)
    assert read_metadata(tmp_path / "s.jpg").location == (-33.9, -70.7)


def test_png_parameters_chunk_is_a_generation_record_and_its_prompt_is_given(tmp_path):
    path = tmp_path / "sample.png"
    path.write_bytes(generated_png(parameters=PROMPT))
    found = scan(tmp_path, {"samples/s1.png": path.read_bytes()})["samples/s1.png"]
    assert ids(found) == {"image.generation-parameters"}
    record = one(found, "image.generation-parameters")
    assert record.severity.value == "info" and "A1111" in record.message
    assert "PNG tEXt parameters" in record.message
    texts = [e.value for e in prompt_texts(path)]
    # The prompt and the negative prompt, without the settings line.
    assert texts[0].startswith("portrait of Marguerite") and "marguerite.okonkwo@" in texts[0]
    assert texts[1] == "blurry, lowres"
    assert not any("Seed" in t for t in texts)
    assert not any(s in record.message for s in SECRETS)


def test_comfyui_prompt_and_workflow_json(tmp_path):
    prompt = {"3": {"class_type": "KSampler", "inputs": {"seed": 5, "steps": 20}},
              "6": {"class_type": "CLIPTextEncode",
                    "inputs": {"text": "a photo of Marguerite in her garden", "clip": ["4", 1]}},
              "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "watermark"}}}
    workflow = {"nodes": [{"type": "CLIPTextEncode",
                           "widgets_values": ["a photo of Marguerite in her garden"]}]}
    path = tmp_path / "comfy.png"
    path.write_bytes(generated_png(prompt=json.dumps(prompt), workflow=json.dumps(workflow)))
    meta = read_metadata(path)
    assert {e.value for e in meta.generation} == {"ComfyUI"}
    assert [e.value for e in meta.prompts] == ["a photo of Marguerite in her garden",
                                               "watermark", "a photo of Marguerite in her garden"]


def test_invokeai_and_settings_in_a_comment(tmp_path):
    invoke = json.dumps({"positive_prompt": "castle by the sea", "negative_prompt": "",
                         "seed": 7})
    path = tmp_path / "invoke.png"
    path.write_bytes(generated_png(invokeai_metadata=invoke,
                                   Comment="misty lake\nSteps: 12, Sampler: Euler, Seed: 42"))
    meta = read_metadata(path)
    assert {e.value for e in meta.generation} == {"InvokeAI", "A1111-style parameters"}
    assert {e.value for e in meta.prompts} == {"castle by the sea", "misty lake"}


def test_a_plain_comment_is_no_generation_record(tmp_path):
    path = tmp_path / "plain.png"
    path.write_bytes(generated_png(Comment="Scanned from the family album", Title="Lake"))
    assert read_metadata(path).generation == []


def test_itxt_and_ztxt_chunks_are_read(tmp_path):
    info = PngImagePlugin.PngInfo()
    info.add_itxt("Author", "Zoë Achterberg", lang="nl", tkey="Auteur", zip=True)
    info.add_text("Copyright", "© 2024 Zoë Achterberg", zip=True)  # zTXt
    info.add_itxt("Software", "GIMP 2.10")
    found = scan(tmp_path, {"a.png": encode(picture(), "PNG", pnginfo=info)})["a.png"]
    creator = one(found, "image.creator-metadata")
    assert "PNG iTXt Author" in creator.message and "PNG zTXt Copyright" in creator.message
    assert creator.evidence == "Z** A*********; © 2*** Z** A*********"
    assert "GIMP" in one(found, "image.editing-metadata").evidence


def test_text_chunks_after_the_pixel_data_are_read(tmp_path):
    """Pillow reads those only by decoding; the chunk walker skips the pixels."""
    body = encode(picture(), "PNG")
    tail = png_chunk(b"tEXt", b"parameters\0" + PROMPT.encode()) + png_chunk(b"IEND", b"")
    path = tmp_path / "late.png"
    path.write_bytes(body[:-12] + tail)
    assert [e.value for e in read_metadata(path).generation] == ["A1111-style parameters"]


@pytest.mark.parametrize("fmt,suffix", [("WEBP", ".webp"), ("TIFF", ".tif"), ("PNG", ".png")])
def test_exif_in_webp_tiff_and_png(tmp_path, fmt, suffix):
    exif = exif_of(artist="Jane Doe", serial="SN-99417-X", gps=full_gps()).tobytes()
    found = scan(tmp_path, {f"a{suffix}": encode(picture(), fmt, exif=exif)})[f"a{suffix}"]
    assert {"image.gps-location", "image.device-serial", "image.creator-metadata"} <= ids(found)


def test_heic(tmp_path):
    pillow_heif = pytest.importorskip("pillow_heif")
    pillow_heif.register_heif_opener()
    exif = exif_of(artist="Jane Doe", gps=full_gps()).tobytes()
    found = scan(tmp_path, {"a.heic": encode(picture(), "HEIF", exif=exif)})["a.heic"]
    assert {"image.gps-location", "image.creator-metadata"} <= ids(found)


def test_a1111_jpeg_user_comment_in_utf16(tmp_path):
    """A1111 writes a JPEG's parameters into EXIF UserComment, UTF-16 behind
    an 8-byte UNICODE prefix (piexif's helper)."""
    comment = b"UNICODE\0" + PROMPT.encode("utf-16-be")
    path = tmp_path / "a.jpg"
    path.write_bytes(encode(picture(), "JPEG", exif=exif_of(user_comment=comment).tobytes()))
    meta = read_metadata(path)
    assert [e.tag for e in meta.generation] == ["EXIF UserComment"]
    assert meta.prompts[0].value.startswith("portrait of Marguerite")


def test_xmp_and_iptc(tmp_path):
    xmp = b"""<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF
      xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
      xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:aux="http://ns.adobe.com/exif/1.0/aux/"
      xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:exif="http://ns.adobe.com/exif/1.0/"
      xmlns:xmpMM="http://ns.adobe.com/xap/1.0/mm/"
      xmlns:stEvt="http://ns.adobe.com/xap/1.0/sType/ResourceEvent#">
      <rdf:Description aux:SerialNumber="042024001337" xmp:CreatorTool="Lightroom Classic 13"
        xmp:CreateDate="2024-05-04T18:30:00+02:00"
        exif:GPSLatitude="48,51.498N" exif:GPSLongitude="2,17.67E">
       <dc:creator><rdf:Seq><rdf:li>Jane Doe</rdf:li></rdf:Seq></dc:creator>
       <dc:rights><rdf:Alt><rdf:li xml:lang="x-default">All rights reserved</rdf:li></rdf:Alt>
       </dc:rights>
       <xmpMM:History><rdf:Seq><rdf:li stEvt:action="saved"
         stEvt:softwareAgent="Adobe Photoshop 25.0"/></rdf:Seq></xmpMM:History>
      </rdf:Description></rdf:RDF></x:xmpmeta>"""
    # IPTC record 2 in a Photoshop APP13 block: By-line, Copyright Notice.
    def dataset(number, value):
        return b"\x1c\x02" + bytes([number]) + struct.pack(">H", len(value)) + value
    iptc = dataset(80, b"Jan Kowalski") + dataset(116, b"(c) Jan Kowalski")
    resource = b"8BIM\x04\x04\0\0" + struct.pack(">I", len(iptc)) + iptc
    app13 = b"Photoshop 3.0\0" + resource
    jpeg = encode(picture(), "JPEG", xmp=xmp)
    jpeg = jpeg[:2] + b"\xff\xed" + struct.pack(">H", len(app13) + 2) + app13 + jpeg[2:]
    path = tmp_path / "a.jpg"
    path.write_bytes(jpeg)
    meta = read_metadata(path)
    assert {(e.tag, e.value) for e in meta.creators} == {
        ("XMP dc:creator", "Jane Doe"), ("XMP dc:rights", "All rights reserved"),
        ("IPTC By-line", "Jan Kowalski"), ("IPTC Copyright Notice", "(c) Jan Kowalski")}
    assert [e.value for e in meta.serials] == ["042024001337"]
    assert meta.location == (48.9, 2.3)
    assert {e.tag for e in meta.editing} == {"XMP xmp:CreatorTool", "XMP stEvt:softwareAgent",
                                             "XMP xmp:CreateDate with time zone"}


def test_xmp_with_entities_is_refused_not_expanded(tmp_path):
    laughs = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
              + b"".join(b'<!ENTITY %s "%s">' % (bytes([98 + i]), (b"&%s;" % bytes([97 + i])) * 10)
                         for i in range(8))
              + b']><x:xmpmeta xmlns:x="adobe:ns:meta/">&i;</x:xmpmeta>')
    path = tmp_path / "a.jpg"
    path.write_bytes(encode(picture(), "JPEG", xmp=laughs))
    assert read_metadata(path).problems == ["XMP packet declares a DOCTYPE or entities: not read"]


# --- MakerNotes ----------------------------------------------------------------------


def ifd(order: str, entries, base: int, tail_extra: bytes = b"") -> bytes:
    """A TIFF directory at ``base`` (where value offsets count from): entries
    (tag, type, count, inline bytes or None for a value that follows)."""
    head = struct.pack(f"{order}H", len(entries))
    tail = b""
    after = base + 2 + 12 * len(entries) + 4
    for tag, kind, count, value in entries:
        if isinstance(value, bytes) and len(value) <= 4:
            field = value.ljust(4, b"\0")
        else:
            field = struct.pack(f"{order}I", after + len(tail))
            tail += value
        head += struct.pack(f"{order}HHI", tag, kind, count) + field
    return head + b"\0\0\0\0" + tail + tail_extra


def nikon_note(serial: bytes, ifd_offset: int = 8, count: int | None = None) -> bytes:
    """Nikon's type-3 MakerNote: a header, then a TIFF header of its own."""
    value = serial + b"\0"
    body = ifd(">", [(0x001D, 2, count or len(value), value)], 8)
    return b"Nikon\0\x02\x10\0\0MM\0*" + struct.pack(">I", ifd_offset) + body


def with_makernote(make: str, note_at, **exif_args) -> bytes:
    """A JPEG whose Exif IFD holds the MakerNote ``note_at(base)`` returns,
    ``base`` being where the note lies in the EXIF block (Canon counts its
    offsets from the block's TIFF header, as cameras write it)."""
    def jpeg_with(note: bytes) -> bytes:
        exif = exif_of(**exif_args)
        exif[0x010F] = make
        sub = dict(exif.get_ifd(0x8769))
        sub[0x927C] = note
        exif[0x8769] = sub
        return encode(picture(), "JPEG", exif=exif.tobytes())

    draft = note_at(0)
    block = Image.open(io.BytesIO(jpeg_with(draft))).info["exif"][6:]
    return jpeg_with(note_at(block.find(draft)))


def canon_note(serial: int, internal: bytes):
    value = internal + b"\0"
    return lambda base: ifd(">", [(0x000C, 4, 1, struct.pack(">I", serial)),
                                  (0x0096, 2, len(value), value)], base)


def test_canon_and_nikon_serials_in_makernotes(tmp_path):
    found = scan(tmp_path, {
        "data/canon.jpg": with_makernote("Canon", canon_note(2381234567, b"JB0123456")),
        "data/nikon.jpg": with_makernote("NIKON CORPORATION", lambda base: nikon_note(b"6012345")),
    })
    canon = one(found["data/canon.jpg"], "image.device-serial")
    assert "EXIF MakerNote Canon SerialNumber" in canon.message
    assert "EXIF MakerNote Canon InternalSerialNumber" in canon.message
    assert canon.matched == "2381234567; JB0123456"
    assert not any(c.isdigit() for c in canon.evidence)
    nikon = one(found["data/nikon.jpg"], "image.device-serial")
    assert "EXIF MakerNote Nikon SerialNumber" in nikon.message and nikon.matched == "6012345"
    assert not any(f.id == "bundle.unreadable" for fs in found.values() for f in fs)


def test_fujifilm_internal_serial(tmp_path):
    value = b"FF02B1234567     593130333234\0"
    note = b"FUJIFILM" + struct.pack("<I", 12) + ifd("<", [(0x0010, 2, len(value), value)], 12)
    path = _write(tmp_path, "a.jpg", with_makernote("FUJIFILM", lambda base: note))
    assert [(e.tag, e.value) for e in read_metadata(path).serials] == [
        ("EXIF MakerNote Fujifilm InternalSerialNumber", "FF02B1234567     593130333234")]


def test_blank_makernote_serials_and_other_makers_are_ignored(tmp_path):
    blank = _write(tmp_path, "a.jpg", with_makernote("Canon", canon_note(0, b"0000000")))
    assert read_metadata(blank).serials == []
    # a Canon-shaped note under another maker's name is not read as Canon's
    other = _write(tmp_path, "b.jpg", with_makernote("SONY", canon_note(2381234567, b"X1")))
    meta = read_metadata(other)
    assert meta.serials == [] and meta.problems == []


@pytest.mark.parametrize("note, problem", [
    (nikon_note(b"6012345", ifd_offset=0xFFFFFFF0), "directory offset 4294967280 points outside"),
    (nikon_note(b"6012345", count=0x7FFFFFFF), "SerialNumber: its value points outside"),
    (b"Nikon\0\x02\x10\0\0MM\0*\0\0\0\x08\xff\xff" + b"\0" * 12,
     "a directory of 65,535 entries"),
    (b"Nikon\0\x02\x10\0\0XX", "no byte order"),
    (b"FUJIFILM\xff\xff", "could not be read"),
])
def test_makernotes_with_bad_offsets_are_a_problem_not_a_crash(tmp_path, note, problem):
    path = _write(tmp_path, "a.jpg", with_makernote("NIKON", lambda base: note,
                                                     artist="Jane Doe"))
    meta = read_metadata(path)
    assert any(problem in p for p in meta.problems), meta.problems
    assert [e.value for e in meta.creators] == ["Jane Doe"]  # the rest is still read


# --- extended XMP ------------------------------------------------------------------

XMP_HEAD = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
            b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">')
EXTENDED_GUID = b"0123456789ABCDEF0123456789ABCDEF"


def extended_xmp_body(padding: int = 0) -> bytes:
    """What Photoshop moves to extended XMP when the packet outgrows 64 KiB:
    here the position, the creator and the digital source type."""
    return (XMP_HEAD + b'<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" '
            b'xmlns:dc="http://purl.org/dc/elements/1.1/" '
            b'xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" '
            b'exif:GPSLatitude="48,51.498N" exif:GPSLongitude="2,17.67E" '
            b'Iptc4xmpExt:DigitalSourceType="http://cv.iptc.org/newscodes/digitalsourcetype/'
            b'trainedAlgorithmicMedia"><dc:creator><rdf:Seq><rdf:li>Jane Doe</rdf:li>'
            b'</rdf:Seq></dc:creator><dc:description>' + b"x" * padding
            + b'</dc:description></rdf:Description></rdf:RDF></x:xmpmeta>')


def extended_xmp_segments(body: bytes, portion: int = 60_000, guid: bytes = EXTENDED_GUID,
                          total: int | None = None) -> bytes:
    """APP1 segments carrying ``body`` as extended XMP, ``portion`` bytes each."""
    segments = b""
    for offset in range(0, len(body), portion):
        data = (b"http://ns.adobe.com/xmp/extension/\0" + guid
                + struct.pack(">II", len(body) if total is None else total, offset)
                + body[offset:offset + portion])
        segments += b"\xff\xe1" + struct.pack(">H", len(data) + 2) + data
    return segments


def jpeg_with_extended_xmp(segments: bytes) -> bytes:
    main = (XMP_HEAD + b'<rdf:Description xmlns:xmpNote="http://ns.adobe.com/xmp/note/" '
            b'xmpNote:HasExtendedXMP="' + EXTENDED_GUID + b'"/></rdf:RDF></x:xmpmeta>')
    jpeg = encode(picture(), "JPEG", xmp=main)
    return jpeg[:2] + segments + jpeg[2:]


def test_extended_xmp_is_reassembled_and_read(tmp_path):
    body = extended_xmp_body(padding=150_000)  # three portions
    path = _write(tmp_path, "a.jpg", jpeg_with_extended_xmp(extended_xmp_segments(body)))
    meta = read_metadata(path)
    assert meta.location == (48.9, 2.3)
    assert meta.location_tags == ["XMP exif:GPSLatitude", "XMP exif:GPSLongitude"]
    assert [e.value for e in meta.creators] == ["Jane Doe"]
    assert [e.value.rsplit("/", 1)[-1] for e in meta.source_types] == ["trainedAlgorithmicMedia"]
    assert not meta.problems
    found = scan(tmp_path / "b", {"data/a.jpg": path.read_bytes()})["data/a.jpg"]
    assert {"image.gps-location", "image.creator-metadata"} <= ids(found)


@pytest.mark.parametrize("segments, problem", [
    # declares 2 GiB in one small portion: not allocated, not read
    (extended_xmp_segments(extended_xmp_body(), total=2**31), "extended XMP of 2,147,483,648"),
    # one of three portions missing
    (extended_xmp_segments(extended_xmp_body(150_000))[:2 + 2 + 60_075]
     + extended_xmp_segments(extended_xmp_body(150_000))[2 * (4 + 60_075):],
     "extended XMP incomplete"),
    # a portion past the declared length
    (extended_xmp_segments(extended_xmp_body(), total=100), "do not fit its length"),
])
def test_hostile_extended_xmp_is_a_problem_not_a_crash(tmp_path, segments, problem):
    path = _write(tmp_path, "a.jpg", jpeg_with_extended_xmp(segments))
    meta = read_metadata(path)
    assert any(problem in p for p in meta.problems), meta.problems
    assert meta.location is None


# --- thumbnails -----------------------------------------------------------------------


def thumb_of(im: Image.Image) -> bytes:
    small = im.copy()
    small.thumbnail((160, 120))
    return encode(small, "JPEG", quality=75)


def test_thumbnail_showing_what_was_painted_out(tmp_path):
    original = picture(size=(640, 480))
    edited = original.copy()
    # A third of the picture painted out, as an inpainting tool would.
    ImageDraw.Draw(edited).rectangle((40, 80, 340, 420), fill=(128, 128, 128))
    exif = with_thumbnail(exif_of(software="Photo editor").tobytes(), thumb_of(original))
    found = scan(tmp_path, {"a.jpg": encode(edited, "JPEG", exif=exif)})["a.jpg"]
    mismatch = one(found, "image.thumbnail-mismatch")
    assert mismatch.severity.value == "medium" and "painted out" in mismatch.message


def test_thumbnail_of_a_crop(tmp_path):
    original = picture(size=(640, 480))
    cropped = original.crop((0, 0, 320, 240)).resize((640, 480))
    exif = with_thumbnail(exif_of().tobytes(), thumb_of(original))
    found = scan(tmp_path, {"a.jpg": encode(cropped, "JPEG", exif=exif)})["a.jpg"]
    assert "image.thumbnail-mismatch" in ids(found)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_matching_thumbnail_is_no_finding(tmp_path, seed):
    im = picture(size=(640, 480), seed=seed)
    exif = with_thumbnail(exif_of().tobytes(), thumb_of(im))
    image = encode(im, "JPEG", exif=exif, quality=60)
    assert read_metadata(_write(tmp_path, "a.jpg", image)).thumbnail is not None
    assert "image.thumbnail-mismatch" not in ids(scan(tmp_path, {"a.jpg": image})["a.jpg"])


def tiff_with_thumbnail(im: Image.Image, thumbnail: bytes, where: str = "IFD1",
                        **params) -> bytes:
    """A TIFF (Pillow's, ``params`` to its writer) with a JPEG ``thumbnail``
    in IFD1, as EXIF-minded writers put it, or in a SubIFD, as DNG and
    camera TIFFs do."""
    data = bytearray(encode(im, "TIFF", **params))
    order = "<" if data[:2] == b"II" else ">"

    def append(block: bytes) -> int:
        data.extend(b"\0" * (len(data) & 1))
        at = len(data)
        data.extend(block)
        return at

    def long(value: int) -> bytes:
        return struct.pack(f"{order}I", value)

    thumb_at = append(thumbnail)
    thumb_ifd = append(ifd(order, [(0x00FE, 4, 1, long(1)), (0x0103, 4, 1, long(6)),
                                   (0x0201, 4, 1, long(thumb_at)),
                                   (0x0202, 4, 1, long(len(thumbnail)))], 0))
    (ifd0,) = struct.unpack(f"{order}I", data[4:8])
    (count,) = struct.unpack(f"{order}H", data[ifd0:ifd0 + 2])
    if where == "IFD1":
        data[ifd0 + 2 + 12 * count:ifd0 + 6 + 12 * count] = long(thumb_ifd)
    else:  # IFD0 again, with a SubIFDs entry, at the end of the file
        entries = [bytes(data[ifd0 + 2 + 12 * i:ifd0 + 14 + 12 * i]) for i in range(count)]
        entries.append(struct.pack(f"{order}HHI", 330, 4, 1) + long(thumb_ifd))
        entries.sort(key=lambda e: struct.unpack(f"{order}H", e[:2]))
        data[4:8] = long(append(struct.pack(f"{order}H", len(entries)) + b"".join(entries)
                                + long(0)))
    return bytes(data)


def heic_with_thumbnail_of(im: Image.Image, other: Image.Image) -> bytes:
    """A HEIC whose primary image's thumbnail shows ``other``: both written
    with thumbnails by pillow-heif, then the two iref "thmb" references
    swapped (item 2 is the first image's thumbnail, item 4 the second's)."""
    pytest.importorskip("pillow_heif").register_heif_opener()
    data = bytearray(encode(im, "HEIF", save_all=True, append_images=[other], thumbnails=[96]))
    iref = data.find(b"iref")
    first, second = iref + 16, iref + 30  # from_item_ID of each 14-byte thmb entry
    assert data[iref + 12:iref + 16] == data[iref + 26:iref + 30] == b"thmb"
    data[first:first + 2], data[second:second + 2] = data[second:second + 2], data[first:first + 2]
    return bytes(data)


@pytest.mark.parametrize("where", ["IFD1", "SubIFD"])
def test_tiff_thumbnail_of_what_was_painted_out(tmp_path, where):
    original = picture(size=(640, 480))
    edited = original.copy()
    ImageDraw.Draw(edited).rectangle((40, 80, 340, 420), fill=(128, 128, 128))
    found = scan(tmp_path, {"a.tif": tiff_with_thumbnail(edited, thumb_of(original), where)})
    assert "image.thumbnail-mismatch" in ids(found["a.tif"])
    same = _write(tmp_path, "b.tif", tiff_with_thumbnail(original, thumb_of(original), where))
    assert read_metadata(same).thumbnail is not None
    assert "image.thumbnail-mismatch" not in ids(scan(tmp_path / "c", {
        "b.tif": same.read_bytes()})["b.tif"])


def test_tiff_thumbnail_past_the_end_is_ignored(tmp_path):
    data = bytearray(tiff_with_thumbnail(picture(), thumb_of(picture(seed=1))))
    at = data.rfind(struct.pack("<HHI", 0x0202, 4, 1))
    data[at + 8:at + 12] = struct.pack("<I", 2**31)  # a 2 GiB thumbnail
    meta = read_metadata(_write(tmp_path, "a.tif", bytes(data)))
    assert meta.thumbnail is None and not meta.problems


def test_heic_thumbnail_of_what_was_painted_out(tmp_path):
    original = picture(size=(640, 480))
    edited = original.copy()
    ImageDraw.Draw(edited).rectangle((40, 80, 340, 420), fill=(128, 128, 128))
    found = scan(tmp_path, {"a.heic": heic_with_thumbnail_of(edited, original)})
    assert "image.thumbnail-mismatch" in ids(found["a.heic"])
    same = encode(original, "HEIF", thumbnails=[96])
    assert read_metadata(_write(tmp_path, "b.heic", same)).thumbnail is not None
    assert "image.thumbnail-mismatch" not in ids(scan(tmp_path / "c", {"b.heic": same})["b.heic"])


def test_a_heic_decodes_in_a_process_that_read_no_metadata_first(tmp_path):
    """Readers that decode images (the thumbnail comparison here, the faces
    and the memorisation hashes elsewhere) may meet a HEIC before the
    metadata reader registered pillow-heif in their process."""
    import subprocess
    import sys

    pytest.importorskip("pillow_heif").register_heif_opener()  # to write it here
    original = picture(size=(640, 480))
    edited = original.copy()
    ImageDraw.Draw(edited).rectangle((40, 80, 340, 420), fill=(128, 128, 128))
    path = _write(tmp_path, "a.heic", encode(edited, "HEIF"))
    thumb = _write(tmp_path, "t.jpg", thumb_of(original))
    code = ("import sys; from pathlib import Path; from aiart_release.readers.media import "
            "thumbnail_differs; print(thumbnail_differs(sys.argv[1], Path(sys.argv[2])"
            ".read_bytes()))")
    out = subprocess.run([sys.executable, "-c", code, str(path), str(thumb)],
                         capture_output=True, text=True, check=True).stdout
    assert out.strip().isdigit() and int(out) > 10


def _write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


# --- the report and the cache hold no raw value -----------------------------------------


def test_no_raw_coordinates_or_names_in_json_or_cache(tmp_path, cli, with_media_plugin,
                                                       monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("AIART_RELEASE_CACHE_DIR", str(cache))
    bundle = make_bundle(tmp_path / "bundle", {
        "data/img_0412.jpg": geotagged_jpeg(),
        "samples/s1.png": generated_png(parameters=PROMPT),
        "README.md": "# Photos\n",
    })
    result = cli("assess", bundle, "-f", "json")
    assert result.code in (0, 1), result.err
    report = result.json()
    found = {(f["id"], f["location"]["path"]) for f in report["findings"]}
    assert {("image.gps-location", "data/img_0412.jpg"),
            ("image.creator-metadata", "data/img_0412.jpg"),
            ("image.device-serial", "data/img_0412.jpg"),
            ("image.generation-parameters", "samples/s1.png")} <= found
    stored = result.out + "".join(p.read_text("utf-8", "replace") for p in cache.rglob("*")
                                  if p.is_file())
    assert "48.9° N" in result.out
    for raw in (*RAW_COORDINATES, *SECRETS):
        assert raw not in stored, raw
    terminal = cli("assess", bundle)
    for raw in (*RAW_COORDINATES, *SECRETS):
        assert raw not in terminal.out, raw


def test_show_pii_shows_the_creator_but_never_the_coordinates(tmp_path, cli,
                                                             with_media_plugin):
    bundle = make_bundle(tmp_path / "bundle", {"data/img.jpg": geotagged_jpeg()})
    out = cli("assess", bundle, "-f", "json", "--show-pii").out
    assert "Jane Doe" in out
    for raw in RAW_COORDINATES:
        assert raw not in out


def test_facts(tmp_path):
    files = {"data/a.jpg": geotagged_jpeg(), "data/b.jpg": geotagged_jpeg(),
             "samples/s.png": generated_png(parameters=PROMPT)}
    check = MediaMetadata()
    findings = [f.with_defaults(check="media", checkpoint=f.checkpoint, artifact="dataset")
                for found in scan(tmp_path, files).values() for f in found]
    # No faces in these drawn pictures (tests/test_faces.py has the faces).
    assert check.provided_facts(findings) == {
        "generated_images": True, "geotagged_images": 2, "image_creators": ["J*** D**"],
        "images_with_faces": 0, "people_identifiable": 0}
    assert check.provided_facts([]) == {
        "generated_images": False, "geotagged_images": 0, "image_creators": [],
        "images_with_faces": 0, "people_identifiable": 0}


# --- bad input --------------------------------------------------------------------------


def unreadable(findings) -> str:
    return one(findings, "bundle.unreadable").message


def test_truncated_and_corrupt_files(tmp_path):
    jpeg, png = geotagged_jpeg(), generated_png(parameters=PROMPT)
    webp = encode(picture(), "WEBP")
    found = scan(tmp_path, {
        "cut.jpg": jpeg[: len(jpeg) // 2],
        "cut.png": png[: len(png) // 2],
        "cut.webp": webp[: len(webp) // 2],
        "noise.jpg": bytes(range(256)) * 8,
        "empty.png": b"",
        "text.png": b"just some text\n",
        "ihdr-missing.png": b"\x89PNG\r\n\x1a\n" + png_chunk(b"tEXt", b"a\0b"),
    })
    assert "truncated JPEG" in unreadable(found["cut.jpg"])
    assert "truncated PNG" in unreadable(found["cut.png"])
    assert "truncated WebP" in unreadable(found["cut.webp"])
    assert "not a JPEG image" in unreadable(found["noise.jpg"])
    assert "empty" in unreadable(found["empty.png"])
    assert "not a PNG image" in unreadable(found["text.png"])
    assert "not IHDR" in unreadable(found["ihdr-missing.png"])
    assert all(f.severity.value == "medium" for fs in found.values() for f in fs)


def test_webp_and_heif_past_the_whole_file_limit_are_not_opened(tmp_path, monkeypatch):
    from aiart_release.readers import media

    monkeypatch.setattr(media, "MAX_WHOLE_FILE_BYTES", 1000)
    webp = encode(picture(), "WEBP", exif=exif_of(artist="Jane Doe").tobytes())
    assert len(webp) > 1000
    with pytest.raises(UnreadableImage, match="load the whole file"):
        read_metadata(_write(tmp_path, "a.webp", webp))


def test_a_refusal_pillow_logs_is_not_printed(tmp_path, capfd):
    """Pillow logs some refusals at ERROR, which Python prints to stderr."""
    tiff = encode(picture(), "TIFF")
    entry = b"\x15\x01\x03\x00\x01\x00\x00\x00\x03\x00"  # SamplesPerPixel = 3
    assert entry in tiff
    found = scan(tmp_path, {"a.tif": tiff.replace(entry, entry[:8] + b"\xff\xff")})["a.tif"]
    assert "corrupt TIFF: Invalid value for samples per pixel" in unreadable(found)
    assert capfd.readouterr().err == ""


def test_wrong_extension(tmp_path):
    """An image named as another format is read as what it is (scraped sets
    are full of PNGs named .jpg); what is no image is unreadable."""
    found = scan(tmp_path, {"really-png.jpg": generated_png(parameters=PROMPT),
                            "really-jpeg.png": geotagged_jpeg(),
                            "really-jpeg.webp": geotagged_jpeg(),
                            "really-text.jpg": b"<html>404 Not Found</html>",
                            "really-gif.png": encode(picture(), "GIF")})
    assert ids(found["really-png.jpg"]) == {"image.generation-parameters"}
    assert "image.gps-location" in ids(found["really-jpeg.png"])
    assert "image.gps-location" in ids(found["really-jpeg.webp"])
    assert "not a JPEG image" in unreadable(found["really-text.jpg"])
    assert "not a PNG image" in unreadable(found["really-gif.png"])


def test_decompression_bomb_png_is_not_decoded(tmp_path):
    started = time.perf_counter()
    found = scan(tmp_path, {"bomb.png": bomb_png()})["bomb.png"]
    assert time.perf_counter() - started < 10
    message = unreadable(found)
    assert "decompression bomb" in message and "100000×100000" in message
    with pytest.raises(UnreadableImage):
        read_metadata(_write(tmp_path, "b.png", bomb_png(40_000, 40_000)))


def test_ztxt_bomb_is_inflated_only_to_the_limit(tmp_path):
    # 200 MB of prompt behind 200 kB: inflated to 1 MiB, kept to 64 KiB.
    huge = zlib.compress(b"a" * 200_000_000 + b"\nSteps: 1, Sampler: x, Seed: 1", 9)
    png = encode(picture(), "PNG")
    chunk = png_chunk(b"zTXt", b"parameters\0\0" + huge)
    path = _write(tmp_path, "z.png", png[:33] + chunk + png[33:])
    started = time.perf_counter()
    meta = read_metadata(path)
    assert time.perf_counter() - started < 10
    assert [e.tag for e in meta.generation] == ["PNG zTXt parameters"]
    assert len(meta.prompts[0].value) == 64 * 1024


def test_exif_with_bad_offsets_counts_and_types(tmp_path):
    artist = (0x013B, 2, 9, None)  # "Jane Doe\0", after IFD0
    cases = {
        # the Exif IFD pointer points far past the block
        "offset.jpg": raw_exif([artist, (0x8769, 4, 1, struct.pack(">I", 0x7FFFFFF0))],
                               b"Jane Doe\0"),
        # a count that asks for 4 GB of ASCII
        "count.jpg": raw_exif([(0x013B, 2, 0xFFFFFFFF, None), (0x0131, 2, 5, None)],
                              b"GIMP\0"),
        # an unknown type: skipped, as TIFF says readers must; the rest is read
        "type.jpg": raw_exif([(0x013B, 99, 9, None), (0x0131, 2, 5, None)], b"GIMP\0"),
        # zero-length strings
        "empty.jpg": raw_exif([(0x013B, 2, 0, b""), (0x8298, 2, 1, b"\0"),
                               (0xA431, 2, 0, b"")]),
        # the GPS IFD pointer points into IFD0 itself
        "loop.jpg": raw_exif([(0x8825, 4, 1, struct.pack(">I", 8))]),
        # the Exif IFD is IFD0 again: a cycle that has hung recursive readers
        "cycle.jpg": raw_exif([artist, (0x8769, 4, 1, struct.pack(">I", 8))], b"Jane Doe\0"),
    }
    # IFD0's next-IFD pointer (IFD1, where the thumbnail is) points to IFD0
    self_next = bytearray(raw_exif([artist], b"Jane Doe\0"))
    self_next[6 + 8 + 2 + 12:6 + 8 + 2 + 12 + 4] = struct.pack(">I", 8)
    cases["next.jpg"] = bytes(self_next)
    # an IFD that says it holds 65,535 entries in a block of a few bytes
    cases["entries.jpg"] = b"Exif\x00\x00MM\x00\x2a" + struct.pack(">IH", 8, 0xFFFF) + b"\0" * 30
    found = scan(tmp_path, {name: encode(picture(), "JPEG", exif=exif)
                            for name, exif in cases.items()})
    assert "could not all be read" in unreadable(found["offset.jpg"])
    assert one(found["offset.jpg"], "image.creator-metadata").evidence == "J*** D**"
    assert "Tag data larger than file" in unreadable(found["count.jpg"])
    assert "image.creator-metadata" not in ids(found["type.jpg"])
    assert "GIMP" in one(found["type.jpg"], "image.editing-metadata").evidence
    assert found["empty.jpg"] == []
    assert "image.gps-location" not in ids(found["loop.jpg"])
    assert one(found["cycle.jpg"], "image.creator-metadata").evidence == "J*** D**"
    assert one(found["next.jpg"], "image.creator-metadata").evidence == "J*** D**"
    assert "could not all be read" in unreadable(found["entries.jpg"])


def test_jpeg_declaring_a_gigapixel_frame(tmp_path):
    jpeg = bytearray(encode(picture(), "JPEG"))
    sof = jpeg.index(b"\xff\xc0")
    jpeg[sof + 5:sof + 9] = struct.pack(">HH", 65000, 65000)
    found = scan(tmp_path, {"big.jpg": bytes(jpeg)})["big.jpg"]
    assert "decompression bomb" in unreadable(found)


def test_copyright_of_photographer_and_editor(tmp_path):
    exif = Image.Exif()
    exif[0x8298] = "Jane Doe\0Studio Nord"
    path = _write(tmp_path, "a.jpg", encode(picture(), "JPEG", exif=exif.tobytes()))
    assert [e.value for e in read_metadata(path).creators] == ["Jane Doe; Studio Nord"]


def test_a_bad_file_does_not_stop_the_scan(tmp_path, cli, with_media_plugin):
    bundle = make_bundle(tmp_path / "bundle", {
        "data/0.png": bomb_png(), "data/1.jpg": b"\xff\xd8\xff\xe1\xff\xff" + b"\0" * 50,
        "data/2.jpg": geotagged_jpeg(), "data/3.png": b""})
    result = cli("assess", bundle, "-f", "json")
    assert result.code in (0, 1) and "Traceback" not in result.err
    found = {(f["id"], f["location"]["path"]) for f in result.json()["findings"]}
    assert {("bundle.unreadable", "data/0.png"), ("bundle.unreadable", "data/1.jpg"),
            ("image.gps-location", "data/2.jpg"), ("bundle.unreadable", "data/3.png")} <= found


def test_the_benchmark_images_are_what_the_check_reads(tmp_path):
    """benchmarks/images.py times real work: every file it writes has a GPS
    position and a Canon MakerNote serial, a third EXIF serial numbers too,
    and the thumbnails match."""
    BENCHMARK.make_images(tmp_path, 6, (320, 240), thumbnails=1.0, seed=1)
    paths = sorted(tmp_path.rglob("*.jpg"))
    assert len(paths) == 6 and all(BENCHMARK.scan_one(str(p)) >= 2 for p in paths)
    found = scan(tmp_path, {p.name: p.read_bytes() for p in paths})
    assert all("image.gps-location" in ids(f) for f in found.values())
    assert all("image.device-serial" in ids(f) for f in found.values())
    assert sum("BodySerialNumber" in one(f, "image.device-serial").message
               for f in found.values()) == 2
    assert not any("image.thumbnail-mismatch" in ids(f) for f in found.values())
    metas = [read_metadata(p) for p in paths]
    assert all(m.thumbnail and not m.problems for m in metas)
    assert all("EXIF MakerNote Canon SerialNumber" in [e.tag for e in m.serials] for m in metas)


def test_formats_not_read_yet_are_left_alone(tmp_path):
    found = scan(tmp_path, {"a.svg": b"<svg/>", "b.gif": encode(picture(), "GIF"),
                            "c.psd": b"8BPS"})
    assert all(f == [] for f in found.values())
