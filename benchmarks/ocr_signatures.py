"""Signatures and credits written on photos: RapidOCR against tesseract, in
one run.

    python benchmarks/ocr_signatures.py [--quick] [--real DIR ...]

The labelled set is drawn here, from photos scikit-image ships (none of
them used while the signature rule was written: the tests draw on the
astronaut only, which is left out here), with a name, a handle or a web
address written on each in one of four fonts, two colours, two sizes, at
one of four corners (names) or across the middle (handles and addresses,
as watermarks are). Every photo is also scored unmarked: a signature found
there is a false one. For each engine it prints:

- recall: marked photos where ``image.signature`` is reported at the
  place the text was written (a corner, or "picture" for a credit);
- false signatures on the unmarked photos;
- milliseconds an image.

``--real DIR`` also runs the rule (RapidOCR) on every picture under each
DIR and prints each signature it reports, to be looked at by eye: those
are counts on real pictures, to be labelled by a person, not scores.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from aiart_release.default_plugins.media.ocr import signature_lines
from aiart_release.readers.ocr import OcrFailed, engine, image_lines

PHOTOS = ("coffee", "chelsea", "rocket", "hubble_deep_field", "immunohistochemistry", "cat",
          "retina", "brick", "grass", "camera")
NAMES = ("Elena Marquez", "T. Okafor", "Jonas Lindqvist 2019", "Amelie Laurent",
         "R. Castellanos", "Noor Haddad 2023")
CREDITS = ("@lumen.studio", "www.fieldnotes.photo", "brightharbor.art")
FONTS = ("/usr/share/fonts/truetype/liberation/LiberationSerif-Italic.ttf",
         "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
         "/usr/share/fonts/truetype/liberation/LiberationSansNarrow-Regular.ttf",
         "/usr/share/fonts/truetype/dejavu/DejaVuSerifCondensed-Italic.ttf")
CORNERS = ("bottom-right", "bottom-left", "top-right", "top-left")


def photo(name: str) -> Image.Image:
    from skimage import data

    image = getattr(data, name)()
    if image.dtype != np.uint8:
        image = (255 * (image - image.min()) / max(float(np.ptp(image)), 1e-9)).astype(np.uint8)
    if image.ndim == 2:
        image = np.stack([image] * 3, axis=-1)
    picture = Image.fromarray(np.ascontiguousarray(image[..., :3]))
    scale = 1024 / max(picture.size)
    return picture.resize((round(picture.width * scale), round(picture.height * scale)))


def write(picture: Image.Image, text: str, place: str, font_path: str, colour: str,
          size: float) -> Image.Image:
    """``text`` written on a copy of ``picture`` at ``place`` (a corner, or
    "middle"), its height ``size`` of the picture's."""
    out = picture.copy()
    font = ImageFont.truetype(font_path, max(10, round(out.height * size)))
    left, top, right, bottom = font.getbbox(text)
    width, height = right - left, bottom - top
    margin = round(out.width * 0.02)
    x = {"left": margin, "right": out.width - width - margin}
    y = {"top": margin, "bottom": out.height - height - margin}
    if place == "middle":
        xy = ((out.width - width) // 2, (out.height - height) // 2)
    else:
        row, column = place.split("-")
        xy = (x[column], y[row])
    ImageDraw.Draw(out).text((xy[0] - left, xy[1] - top), text, font=font, fill=colour)
    return out


def labelled(quick: bool) -> list[tuple[Image.Image, str | None]]:
    """(picture, where its signature is: "bottom-right corner", "picture"
    for a credit, None for none)."""
    rng = np.random.default_rng(11)
    fonts = [f for f in FONTS if Path(f).is_file()]
    out: list[tuple[Image.Image, str | None]] = []
    for index, name in enumerate(PHOTOS[:4] if quick else PHOTOS):
        picture = photo(name)
        out.append((picture, None))
        for variant in range(2 if quick else 4):
            font = fonts[(index + variant) % len(fonts)]
            colour = ("white", "black")[variant % 2]
            size = (0.025, 0.04)[(index + variant) % 2]
            if variant % 4 == 3:
                text = CREDITS[int(rng.integers(len(CREDITS)))]
                out.append((write(picture, text, "middle", font, colour, size), "picture"))
            else:
                corner = CORNERS[(index + variant) % 4]
                text = NAMES[int(rng.integers(len(NAMES)))]
                out.append((write(picture, text, corner, font, colour, size),
                            f"{corner} corner"))
    return out


def run_engine(name: str, pictures: list[tuple[Image.Image, str | None]], folder: Path) -> dict:
    found, missed, false, seconds = 0, 0, 0, []
    for index, (picture, where) in enumerate(pictures):
        path = folder / f"{name}-{index}.png"
        picture.save(path)
        start = time.perf_counter()
        try:
            places = {place for _, place in signature_lines(image_lines(path, name))}
        except OcrFailed:
            places = set()
        seconds.append(time.perf_counter() - start)
        if where is None:
            false += bool(places)
        elif where in places:
            found += 1
        else:
            missed += 1
    marked = found + missed
    return {"recall": found / marked if marked else 0.0, "found": found, "marked": marked,
            "false": false, "unmarked": len(pictures) - marked,
            "ms": 1000 * statistics.median(seconds)}


def survey(folders: list[str]) -> None:
    suffixes = {".jpg", ".jpeg", ".png", ".webp"}
    for folder in folders:
        pictures = sorted(p for p in Path(folder).rglob("*") if p.suffix.lower() in suffixes)
        reported = 0
        for path in pictures:
            try:
                signed = signature_lines(image_lines(path, "rapidocr"))
            except OcrFailed:
                continue
            if signed:
                reported += 1
                print(f"  {path}: " + "; ".join(f"{line.text!r} ({place})"
                                                for line, place in signed))
        print(f"{folder}: {len(pictures)} pictures, {reported} with a signature reported")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--real", nargs="*", default=[])
    args = parser.parse_args(argv)
    pictures = labelled(args.quick)
    marked = sum(where is not None for _, where in pictures)
    print(f"{len(pictures)} pictures drawn, {marked} with a signature or credit")
    with tempfile.TemporaryDirectory() as folder:
        for name in ("rapidocr", "tesseract"):
            if engine(name) != name:
                print(f"{name}: not installed")
                continue
            result = run_engine(name, pictures, Path(folder))
            print(f"{name:10} recall {result['recall']:.2f} ({result['found']}/{result['marked']})"
                  f"  false signatures {result['false']}/{result['unmarked']}"
                  f"  {result['ms']:.0f} ms an image (median)")
    if args.real:
        survey(args.real)
    return 0


if __name__ == "__main__":
    sys.exit(main())
