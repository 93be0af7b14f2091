"""Repeated marks across a dataset's images (plugins/media/marks.py): a logo
stamped in the same corner of many pictures is found, with its place and
the images that carry it; pictures without it, too few pictures, and
pictures drawn from one template give nothing; unreadable images and a
decompression bomb are reported and never stop the search; sample outputs
that redraw the mark are ``model.reproduces-mark``.

The pictures are generated here (random shapes on graded backgrounds,
blurred, saved as JPEG), so the tests need no sample photos.
"""

from __future__ import annotations

import io
import json
import struct
import time
import zlib
from pathlib import Path

import numpy as np
import pytest
from conftest import SAFETENSORS, make_bundle
from PIL import Image, ImageDraw, ImageFilter

from aiart_release.bundle import build_inventory
from aiart_release.checks import BundleContext
from aiart_release.config import Config
from aiart_release.default_plugins.media.marks import (
    CANVAS,
    RepeatedMarks,
    canvas_of,
    position,
    scores,
)
from aiart_release.facts import gather_facts
from aiart_release.plugins import build_registry

SIZE = (400, 300)


def scene(seed: int, size: tuple[int, int] = SIZE) -> Image.Image:
    """A picture: a graded background and 14 random shapes, softened."""
    rng = np.random.default_rng(seed)
    width, height = size
    ramp = np.linspace(0, 1, width)[None, :, None] * rng.uniform(-80, 80, 3)
    base = np.clip(rng.uniform(60, 200, 3) + ramp + np.zeros((height, 1, 3)), 0, 255)
    image = Image.fromarray(base.astype(np.uint8))
    draw = ImageDraw.Draw(image)
    for _ in range(14):
        x, y = rng.integers(0, width), rng.integers(0, height)
        w, h = rng.integers(20, width // 2), rng.integers(20, height // 2)
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        shape = (draw.ellipse, draw.rectangle)[int(rng.integers(2))]
        shape((x - w // 2, y - h // 2, x + w // 2, y + h // 2), fill=colour)
    return image.filter(ImageFilter.GaussianBlur(1.2))


def logo() -> Image.Image:
    """A studio's mark: a ring and a bar, white, fully opaque."""
    mark = Image.new("RGBA", (70, 50), (0, 0, 0, 0))
    draw = ImageDraw.Draw(mark)
    draw.ellipse((2, 2, 46, 46), outline=(255, 255, 255, 255), width=5)
    draw.rectangle((14, 20, 68, 28), fill=(255, 255, 255, 255))
    return mark


def stamped(image: Image.Image, place: tuple[int, int], opacity: float = 0.5,
            mark: Image.Image | None = None) -> Image.Image:
    mark = (mark or logo()).copy()
    mark.putalpha(mark.getchannel("A").point(lambda a: int(a * opacity)))
    base = image.convert("RGBA")
    layer = Image.new("RGBA", base.size, (0, 0, 0, 0))
    layer.paste(mark, place)
    return Image.alpha_composite(base, layer).convert("RGB")


BOTTOM_RIGHT = (SIZE[0] - 70 - 12, SIZE[1] - 50 - 12)


def jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares ``width`` x ``height`` grey pixels."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\0" * 1000)) + chunk(b"IEND", b""))


def collection(count: int, marked: int, first_seed: int = 0,
               place: tuple[int, int] = BOTTOM_RIGHT) -> dict[str, bytes]:
    """``count`` pictures under data/, the first ``marked`` of them stamped."""
    return {f"data/pictures/img_{i:03d}.jpg":
            jpeg(stamped(scene(first_seed + i), place) if i < marked else scene(first_seed + i))
            for i in range(count)}


def scan(tmp_path: Path, files: dict[str, bytes], **settings) -> list:
    root = make_bundle(tmp_path / "bundle", files)
    inventory = build_inventory(root, build_registry().classify)
    ctx = BundleContext(inventory=inventory, facts=gather_facts(inventory, Config()),
                        settings=settings, time_limit=120)
    return list(RepeatedMarks().scan_bundle(ctx))


def of(found: list, finding_id: str) -> list:
    return [f for f in found if f.id == finding_id]


# --- found ------------------------------------------------------------------------

def test_a_logo_in_the_same_corner_of_every_picture_is_found_there_with_its_count(tmp_path):
    found = scan(tmp_path, collection(12, 12))
    [mark] = of(found, "image.repeated-mark")
    assert mark.count == 12
    assert "12 of 12 dataset images" in mark.message
    assert "bottom-right corner" in mark.message
    assert mark.location.path == "data/"
    assert len(mark.also) == 12 and all(p.startswith("data/pictures/") for p in mark.also)
    assert mark.evidence.count("data/pictures/") == 5  # five examples, the rest in ``also``
    assert mark.artifact == "dataset" and mark.severity.name == "MEDIUM"
    assert not of(found, "model.reproduces-mark")


def test_only_the_pictures_that_carry_the_mark_are_named(tmp_path):
    files = collection(16, 10)
    [mark] = of(scan(tmp_path, files), "image.repeated-mark")
    assert mark.count == 10
    assert set(mark.also) == {f"data/pictures/img_{i:03d}.jpg" for i in range(10)}


def test_a_mark_at_the_top_left_is_placed_there(tmp_path):
    [mark] = of(scan(tmp_path, collection(10, 10, place=(10, 10))), "image.repeated-mark")
    assert "top-left corner" in mark.message


# --- not found --------------------------------------------------------------------

def test_the_same_pictures_without_the_mark_give_nothing(tmp_path):
    assert scan(tmp_path, collection(12, 0)) == []


def test_too_few_pictures_give_nothing(tmp_path):
    assert scan(tmp_path, collection(6, 6)) == []


def test_pictures_drawn_from_one_template_are_not_a_mark(tmp_path):
    """Ten pictures of the same figure at the same place on different
    backgrounds agree everywhere the figure is: the pictures themselves,
    not a mark on them (as in examples/portrait-sessions)."""
    files = {}
    for i in range(10):
        image = Image.new("RGB", SIZE, tuple(int(c) for c in np.random.default_rng(i)
                                             .integers(30, 120, 3)))
        draw = ImageDraw.Draw(image)
        draw.ellipse((150, 40, 250, 150), fill=(220, 190, 170))
        draw.rectangle((120, 150, 280, 300), fill=(40 + 20 * i, 90, 160))
        files[f"data/portraits/p{i}.png"] = _png(image)
    assert of(scan(tmp_path, files), "image.repeated-mark") == []


def test_black_bars_at_the_same_place_are_not_a_mark(tmp_path):
    """Wide pictures letterboxed into one frame share two straight edges:
    an overlay, but not a logo or a signature."""
    files = {}
    for i in range(12):
        frame = Image.new("RGB", SIZE, (0, 0, 0))
        frame.paste(scene(i, (SIZE[0], 200)), (0, 50))
        files[f"data/frames/f{i:02d}.jpg"] = jpeg(frame)
    assert of(scan(tmp_path, files), "image.repeated-mark") == []


def test_the_search_can_be_turned_off(tmp_path):
    assert scan(tmp_path, collection(10, 10), marks=False) == []


# --- bad input --------------------------------------------------------------------

def test_a_corrupt_picture_is_reported_and_the_search_goes_on(tmp_path):
    files = collection(10, 10)
    files["data/pictures/truncated.jpg"] = jpeg(scene(99))[:400]
    files["data/pictures/not_a_picture.png"] = b"\x89PNG\r\n\x1a\n" + b"garbage" * 50
    found = scan(tmp_path, files)
    unreadable = {f.location.path for f in of(found, "bundle.unreadable")}
    assert unreadable == {"data/pictures/truncated.jpg", "data/pictures/not_a_picture.png"}
    [mark] = of(found, "image.repeated-mark")
    assert mark.count == 10


def test_a_decompression_bomb_is_refused_from_its_header_never_decoded(tmp_path):
    """10,000 x 10,000 grey pixels (100 MB decoded) is under Pillow's own
    bomb limit but over the reader's cap: refused before any pixel."""
    files = collection(10, 10)
    files["data/pictures/bomb.png"] = png_declaring(10_000, 10_000)
    files["data/pictures/huge.png"] = png_declaring(200_000, 200_000)
    started = time.perf_counter()
    found = scan(tmp_path, files)
    assert time.perf_counter() - started < 60  # a decode of the bomb would add 100 MB, not hang
    reasons = {f.location.path: f.message for f in of(found, "bundle.unreadable")}
    assert "more than the 64,000,000" in reasons["data/pictures/bomb.png"]
    assert "data/pictures/huge.png" in reasons
    assert of(found, "image.repeated-mark")[0].count == 10


# --- sample outputs ---------------------------------------------------------------

def test_samples_that_redraw_the_dataset_mark_are_reported(tmp_path):
    files = collection(12, 12)
    redrawn = logo().filter(ImageFilter.GaussianBlur(0.8))
    for i in range(8):
        image = scene(200 + i)
        if i < 5:  # a little off its place, blurred, fainter: drawn by a model
            image = stamped(image, (BOTTOM_RIGHT[0] + i % 3 - 1, BOTTOM_RIGHT[1] - i % 2),
                            0.4, redrawn)
        files[f"samples/out_{i}.jpg"] = jpeg(image)
    found = scan(tmp_path, files)
    [copied] = of(found, "model.reproduces-mark")
    assert copied.count == 5
    assert set(copied.also) == {f"samples/out_{i}.jpg" for i in range(5)}
    assert copied.artifact == "model" and copied.severity.name == "HIGH"
    assert "bottom-right corner" in copied.message


def test_samples_without_the_mark_are_not_reported(tmp_path):
    files = collection(12, 12)
    files.update({f"samples/out_{i}.jpg": jpeg(scene(300 + i)) for i in range(6)})
    assert of(scan(tmp_path, files), "model.reproduces-mark") == []


# --- through the tool -------------------------------------------------------------

def test_a_name_in_a_carriers_file_name_is_masked_in_the_report(cli, tmp_path):
    files = collection(10, 10)
    files.update({f"data/pictures/Emma Johnson {i}.jpg": jpeg(stamped(scene(50 + i),
                                                                       BOTTOM_RIGHT))
                  for i in range(3)})
    root = make_bundle(tmp_path / "bundle", files)
    result = cli("assess", root, "-f", "json", "--no-cache")
    [mark] = [f for f in result.json()["findings"] if f["id"] == "image.repeated-mark"]
    assert mark["count"] == 13 and mark["check"] == "media-marks"
    assert "data/pictures/E*** J****** 0.jpg" in mark["also"]
    assert "Johnson" not in result.out


def test_samples_that_redraw_the_mark_gate_the_model_in_the_recommendation(cli, tmp_path):
    files = collection(12, 12)
    files.update({f"samples/out_{i}.jpg": jpeg(stamped(scene(200 + i), BOTTOM_RIGHT, 0.4))
                  for i in range(4)})
    files["model/model.safetensors"] = SAFETENSORS
    result = cli("assess", make_bundle(tmp_path / "bundle", files), "-f", "json", "--no-cache")
    model = result.json()["recommendation"]["artifacts"]["model"]
    assert model["tier"] in ("gated", "closed")
    assert "model-reproduces-mark" in json.dumps(model)


# --- the parts --------------------------------------------------------------------

def test_pictures_of_nearly_one_aspect_share_a_canvas():
    assert canvas_of(1500, 1000) == canvas_of(1498, 1000) == (CANVAS, 168)
    assert canvas_of(1000, 1500) == (168, CANVAS)
    assert canvas_of(10, 10_000)[1] == CANVAS


def test_positions_are_named_by_thirds():
    canvas = (300, 300)
    assert position((250, 250, 290, 290), canvas) == "bottom-right corner"
    assert position((130, 130, 170, 170), canvas) == "centre"
    assert position((130, 250, 170, 290), canvas) == "bottom edge"


def test_a_template_moved_off_its_place_loses_the_correlation():
    """The pixel-exactness the check asks of a mark, on a sharp edge."""
    stack = np.zeros((3, 40, 40), dtype=np.uint8)
    stack[:, :, 20:] = 200
    box = (10, 10, 30, 30)
    mark_x = np.zeros((20, 20), dtype=np.float32)
    mark_x[:, 9:11] = 100.0
    placed, moved = scores(stack, box, mark_x, np.zeros_like(mark_x), ((0, 0), (3, 0)))[0]
    assert placed > 0.9 and moved == pytest.approx(0.0)


def test_the_check_is_registered():
    assert "media-marks" in build_registry().checks


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()
