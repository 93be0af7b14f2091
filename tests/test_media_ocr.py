"""Watermarks in images (plugins/media/ocr.py) and the core OCR reader
(aiart_release/readers/ocr.py): off by default; with ``ocr: true``,
tesseract reads a watermark drawn here with Pillow; without tesseract one
plugin.check-skipped finding; hostile images give bundle.unreadable; only
the formats the metadata reader reads are decoded."""

from __future__ import annotations

import io
import json

import pytest
from conftest import make_bundle
from PIL import Image, ImageDraw, ImageFont
from test_media import bomb_png

from aiart_release.bundle import build_inventory
from aiart_release.checks import BundleContext, FileContext, finding_problem
from aiart_release.config import Config
from aiart_release.default_plugins.media import ocr
from aiart_release.default_plugins.media.ocr import TextInImages
from aiart_release.facts import gather_facts
from aiart_release.plugins import build_registry
from aiart_release.readers import ocr as reader

needs_tesseract = pytest.mark.skipif(reader.tesseract() is None,
                                     reason="tesseract is not installed (apt-get install "
                                            "tesseract-ocr)")
needs_rapidocr = pytest.mark.skipif(reader.rapidocr_models() is None,
                                    reason="RapidOCR is not installed (pip install '.[ocr]')")
ENGINES = [pytest.param("rapidocr", marks=needs_rapidocr),
           pytest.param("tesseract", marks=needs_tesseract)]
ON = {"ocr": True}


def poster(*lines: str) -> bytes:
    im = Image.new("RGB", (900, 110 * len(lines)), "white")
    draw = ImageDraw.Draw(im)
    font = ImageFont.load_default(size=40)
    for i, line in enumerate(lines):
        draw.text((20, 30 + 100 * i), line, fill="black", font=font)
    out = io.BytesIO()
    im.save(out, "PNG")
    return out.getvalue()


def scan(tmp_path, files, settings):
    root = make_bundle(tmp_path / "bundle", files)
    inventory = build_inventory(root, build_registry().classify)
    check = TextInImages()
    ctx = FileContext(settings=settings)
    return {f.path: list(check.scan_file(f, ctx)) for f in inventory.files
            if f.kind in check.kinds}


def test_off_by_default(tmp_path):
    assert scan(tmp_path, {"data/a.png": poster("shutterstock")}, {}) == {"data/a.png": []}


@pytest.mark.parametrize("engine", ENGINES)
def test_a_watermark_is_read_and_personal_data_left_to_the_pii_check(tmp_path, engine):
    found = scan(tmp_path, {"data/stock.png": poster("shutterstock"),
                            "data/letter.png": poster("Contact Jane Doe at",
                                                      "jane.doe@kunst-post.org"),
                            "data/blank.png": poster("")}, {**ON, "ocr_engine": engine})
    [mark] = found["data/stock.png"]
    assert mark.id == "image.watermark" and mark.evidence == "shutterstock"
    # The names and the address are the personal-data check's (tests/test_pii_names.py).
    assert found["data/letter.png"] == [] and found["data/blank.png"] == []
    assert finding_problem(mark) is None


@needs_tesseract
@pytest.mark.parametrize("name, data", [("bomb.png", bomb_png()),
                                        ("html.jpg", b"<html>404</html>")])
def test_hostile_images_are_unreadable(tmp_path, name, data):
    [bad] = scan(tmp_path, {f"data/{name}": data}, ON)[f"data/{name}"]
    assert bad.id == "bundle.unreadable"


def test_no_engine_is_one_finding(tmp_path, monkeypatch):
    monkeypatch.setattr(reader, "tesseract", lambda: None)
    monkeypatch.setattr(reader, "rapidocr_models", lambda: None)
    assert scan(tmp_path, {"data/a.png": poster("x")}, ON) == {"data/a.png": []}
    root = make_bundle(tmp_path / "b2", {"data/a.png": poster("x")})
    inventory = build_inventory(root, build_registry().classify)
    ctx = BundleContext(inventory=inventory, facts=gather_facts(inventory, Config()),
                        settings=ON)
    [finding] = TextInImages().scan_bundle(ctx)
    assert finding.id == "plugin.check-skipped"
    assert "no OCR engine is installed" in finding.message
    ctx_off = BundleContext(inventory=inventory, facts=gather_facts(inventory, Config()))
    assert list(TextInImages().scan_bundle(ctx_off)) == []


def test_the_reader_decodes_no_format_the_metadata_reader_does_not_read(tmp_path):
    """An EPS file (whose Pillow plugin runs Ghostscript) named .png is
    refused before any decoder runs."""
    from aiart_release.readers.ocr import OcrFailed, image_text

    eps = tmp_path / "a.png"
    eps.write_bytes(b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n")
    with pytest.raises(OcrFailed) as failed:
        image_text(eps)
    assert not failed.value.decoded


@needs_tesseract
def test_an_image_is_read_once_per_process(tmp_path, monkeypatch):
    """Both checks read an image's text; tesseract runs once for them."""
    path = tmp_path / "a.png"
    path.write_bytes(poster("shutterstock"))
    runs = []
    real = reader._run_tesseract
    monkeypatch.setattr(reader, "_run_tesseract", lambda *a: runs.append(1) or real(*a))
    assert reader.image_text(path, "tesseract") == reader.image_text(path, "tesseract")
    assert "shutterstock" in reader.image_text(path, "tesseract").lower() and len(runs) == 1


def test_only_words_tesseract_is_sure_of_are_kept():
    """Sparse OCR reads fur and leaves as letters, with low confidence; the
    names model then found "people" in them (428 in 216 real photos)."""
    from aiart_release.readers.ocr import MIN_WORD_CONFIDENCE, confident_text

    head = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth" \
           "\theight\tconf\ttext"

    def word(block, line, conf, text):
        return f"5\t1\t{block}\t1\t{line}\t1\t0\t0\t9\t9\t{conf}\t{text}"

    sure, unsure = MIN_WORD_CONFIDENCE + 10, MIN_WORD_CONFIDENCE - 30
    tsv = "\n".join([head, "4\t1\t1\t1\t1\t0\t0\t0\t9\t9\t-1\t",
                     word(1, 1, sure, "Priya"), word(1, 1, sure, "Raghunathan"),
                     word(1, 1, unsure, "Ene"), word(2, 1, unsure, "Sean"),
                     word(2, 1, unsure, "Ss"), word(3, 1, sure, "BATCH"),
                     word(3, 1, "x", "bad"), "5\t1\tshort row", word(3, 1, sure, " ")])
    assert confident_text(tsv) == "Priya Raghunathan\nBATCH"
    assert confident_text("") == "" and confident_text(head) == ""


def test_tesseract_taking_too_long_is_a_short_reason(tmp_path, monkeypatch):
    import subprocess

    from aiart_release.readers import ocr as reader

    def slow(*args, **kwargs):
        raise subprocess.TimeoutExpired(args[0], reader.OCR_SECONDS)

    monkeypatch.setattr(reader, "tesseract", lambda: "/usr/bin/tesseract")
    monkeypatch.setattr(reader.subprocess, "run", slow)
    path = tmp_path / "a.png"
    path.write_bytes(poster("x"))
    with pytest.raises(reader.OcrFailed) as failed:
        reader.image_text(path, "tesseract")
    assert str(failed.value) == f"tesseract took more than {reader.OCR_SECONDS} s"
    assert failed.value.decoded


def _line(text: str, box=(0.75, 0.93, 0.97, 0.97), score: float = 0.99) -> reader.OcrLine:
    return reader.OcrLine(text, score, box)


@pytest.mark.parametrize("line, place", [
    (_line("Maria Gonzalez"), "bottom-right corner"),
    (_line("K. Tanaka 2021", (0.02, 0.9, 0.3, 0.96)), "bottom-left corner"),
    (_line("J. M. Turner", (0.7, 0.02, 0.95, 0.08)), "top-right corner"),
    # a handle or a web address counts anywhere: watermarks cross the middle
    (_line("@brunogolden", (0.4, 0.45, 0.6, 0.5)), "picture"),
    (_line("LosMocanos.com"), "bottom-right corner"),
    (_line("www.fieldnotes.photo", (0.3, 0.48, 0.7, 0.52)), "picture"),
    (_line("Jonas Lindqvist 2019", (0.01, 0.93, 0.44, 0.98)), "bottom-left corner"),
    (_line("photo by someone", (0.3, 0.5, 0.6, 0.55)), "picture"),
    (_line("Photo: Jane Atelier", (0.3, 0.5, 0.6, 0.55)), "picture"),
])
def test_a_signature_or_credit_is_told_by_what_it_says_and_where(line, place):
    assert ocr.signature_lines([line]) == [(line, place)]


@pytest.mark.parametrize("line", [
    _line("Maria Gonzalez", (0.4, 0.45, 0.6, 0.5)),  # a name in the middle: a poster, a book
    _line("STOP", (0.17, 0.12, 0.21, 0.16)),  # scene text in a corner
    _line("Coca-Cola.", (0.11, 0.0, 0.19, 0.08)),
    _line("Gonzalez"),  # one word: a sign, a brand
    _line("2006"),  # a camera's date stamp
    _line("Maria Gonzalez", (0.7, 0.75, 0.97, 0.97)),  # too tall for a signature line
    _line("write to maria@kunst-post.org"),  # an e-mail address is personal data, no credit
    _line("© Maria Gonzalez 2021"),  # a copyright notice: image.watermark's
    _line("Image: 1 of 3", (0.4, 0.45, 0.6, 0.5)),  # a label in a screenshot
])
def test_scene_text_and_notices_are_no_signature(line):
    assert ocr.signature_lines([line]) == []


def _signed_photo(text: str, where: str) -> bytes:
    """A photograph scikit-image ships with ``text`` written on it, white
    italic, in the bottom-right corner or across the middle."""
    from skimage import data

    im = Image.fromarray(data.astronaut()).resize((1024, 1024))
    font = ImageFont.truetype(_italic_font(), 34)
    place = (740, 960) if where == "corner" else (380, 500)
    ImageDraw.Draw(im).text(place, text, font=font, fill="white")
    out = io.BytesIO()
    im.save(out, "PNG")
    return out.getvalue()


def _italic_font() -> str:
    from pathlib import Path

    for candidate in ("/usr/share/fonts/truetype/liberation/LiberationSerif-Italic.ttf",
                      "/usr/share/fonts/truetype/dejavu/DejaVuSerif-Italic.ttf"):
        if Path(candidate).is_file():
            return candidate
    pytest.skip("no serif italic font to draw a signature with")


@needs_rapidocr
def test_a_name_signed_in_a_corner_of_a_dataset_photo_is_a_masked_signature(tmp_path,
                                                                              monkeypatch):
    """RapidOCR reads a name written small in a photo's corner (tesseract
    read nothing there); offline: any network connection fails the test."""
    import socket

    def no_network(*args, **kwargs):
        raise AssertionError("OCR tried the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    found = scan(tmp_path, {"data/signed.png": _signed_photo("Maria Gonzalez", "corner"),
                            "data/title.png": _signed_photo("Maria Gonzalez", "middle"),
                            "docs/figure.png": _signed_photo("Maria Gonzalez", "corner")},
                 {**ON, "ocr_engine": "rapidocr"})
    [signature] = found["data/signed.png"]
    assert signature.id == "image.signature" and "bottom-right corner" in signature.message
    assert signature.evidence == "M**** G*******" and finding_problem(signature) is None
    # A name across the middle is a title, not a signature; a README figure
    # is no dataset image.
    assert found["data/title.png"] == [] and found["docs/figure.png"] == []


@needs_rapidocr
def test_a_signature_is_masked_in_every_report_format(tmp_path, cli):
    bundle = make_bundle(tmp_path / "b", {
        "data/signed.png": _signed_photo("Maria Gonzalez", "corner"),
        "aiart-release.yaml": "checks:\n  media-ocr:\n    ocr: true\n  pii:\n    ocr: true\n"})
    outputs = {}
    for format_ in ("json", "sarif", "terminal", "markdown"):
        result = cli("assess", bundle, "--no-cache", "--format", format_)
        outputs[format_] = result.out
        assert "gonzalez" not in result.out.lower(), format_
    found = {f["id"] for f in json.loads(outputs["json"])["findings"]}
    assert {"image.signature", "pii.person-name"} <= found


@needs_rapidocr
def test_a_cached_result_is_not_reused_once_the_engine_changes(tmp_path, cli, monkeypatch):
    """Which engine ``auto`` takes is part of the result cache's key: a
    signature found with RapidOCR is not replayed once it is gone."""
    bundle = make_bundle(tmp_path / "b", {
        "data/signed.png": _signed_photo("Maria Gonzalez", "corner"),
        "aiart-release.yaml": "checks:\n  media-ocr:\n    ocr: true\n"})
    monkeypatch.setenv("AIART_RELEASE_CACHE_DIR", str(tmp_path / "cache"))

    def ids() -> set[str]:
        return {f["id"] for f in json.loads(cli("assess", bundle, "-f", "json").out)["findings"]}

    assert "image.signature" in ids()
    assert "image.signature" in ids()  # from the cache
    monkeypatch.setattr(reader, "rapidocr_models", lambda: None)
    monkeypatch.setattr(reader, "tesseract", lambda: None)
    found = ids()
    assert "image.signature" not in found and "plugin.check-skipped" in found
