"""Watermarks in images (plugins/media/ocr.py) and the core OCR reader
(aiart_release/readers/ocr.py): off by default; with ``ocr: true``,
tesseract reads a watermark drawn here with Pillow; without tesseract one
plugin.check-skipped finding; hostile images give bundle.unreadable; only
the formats the metadata reader reads are decoded."""

from __future__ import annotations

import io

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

needs_tesseract = pytest.mark.skipif(ocr.tesseract() is None,
                                     reason="tesseract is not installed (apt-get install "
                                            "tesseract-ocr)")
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


@needs_tesseract
def test_a_watermark_is_read_and_personal_data_left_to_the_pii_check(tmp_path):
    found = scan(tmp_path, {"data/stock.png": poster("shutterstock"),
                            "data/letter.png": poster("Contact Jane Doe at",
                                                      "jane.doe@kunst-post.org"),
                            "data/blank.png": poster("")}, ON)
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


def test_missing_tesseract_is_one_finding(tmp_path, monkeypatch):
    monkeypatch.setattr(ocr, "tesseract", lambda: None)
    assert scan(tmp_path, {"data/a.png": poster("x")}, ON) == {"data/a.png": []}
    root = make_bundle(tmp_path / "b2", {"data/a.png": poster("x")})
    inventory = build_inventory(root, build_registry().classify)
    ctx = BundleContext(inventory=inventory, facts=gather_facts(inventory, Config()),
                        settings=ON)
    [finding] = TextInImages().scan_bundle(ctx)
    assert finding.id == "plugin.check-skipped" and "tesseract" in finding.message
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
    from aiart_release.readers import ocr as reader

    path = tmp_path / "a.png"
    path.write_bytes(poster("shutterstock"))
    runs = []
    real = reader._run_tesseract
    monkeypatch.setattr(reader, "_run_tesseract", lambda png: runs.append(1) or real(png))
    assert reader.image_text(path) == reader.image_text(path)
    assert "shutterstock" in reader.image_text(path).lower() and len(runs) == 1


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
        reader.image_text(path)
    assert str(failed.value) == f"tesseract took more than {reader.OCR_SECONDS} s"
    assert failed.value.decoded
