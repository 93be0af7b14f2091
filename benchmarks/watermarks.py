"""Repeated marks (plugins/media/marks.py) on labelled collections built from
the photos scikit-image ships (``skimage.data``; nothing is downloaded).

    .venv/bin/python benchmarks/watermarks.py [--quick] [--tuning]

Each collection is a folder of JPEGs, each a different crop of one of 19
photos (random place, scale, mirror and brightness), all of one aspect
ratio. On a share of them a mark is overlaid at one fixed place, as a stock
agency or an artist would:

- a logo alpha-blended at an opacity of 0.15 to 0.5;
- a text mark, drawn with Pillow's own font (``ImageFont.load_default``);
- a thin hand-drawn stroke, a signature (a random smooth curve).

The marks used to choose the thresholds (``--tuning``) are not those
measured (the default):

- tuning: a geometric logo drawn with Pillow (a ring and a triangle), the
  text "SAMPLE", signature curves of seeds 100-199, positions bottom-right
  and centre;
- measured: scikit-image's ``data.logo()``, the text "© Jane Atelier 2024",
  signature curves of seeds 0-99, positions bottom-left, top-right and
  bottom edge, and the rest of the opacities.

Unmarked collections of the same sizes (5 of each) measure false alarms,
and so do 3 hard ones: 100 aligned faces (scikit-image's LFW crops, every
face at the same place), 100 crops of one photo (the same content at nearby
places) and one scene shot 100 times from a tripod (brightness and noise
vary, nothing moves).

Two more kinds: 3 "portfolios" (100 images in 8 folders, the 12 of one
folder signed: found only by searching the folder), and 3 marked datasets
of 40 with 12 sample outputs, 6 of which redraw the mark as a model would
(0-3 pixels off, blurred, fainter): ``model.reproduces-mark``.

Per collection: a marked one is found when a finding's box holds the mark's
centre; any other finding is a false alarm. Per image: precision and recall
of the images the finding names as carriers (its ``also``). The time is the
whole check on each collection, beside the time to decode the same files
and nothing else, in the same run.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import numpy as np
from PIL import Image, ImageDraw, ImageFont

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from plugins.media import marks  # noqa: E402

PHOTOS = ("astronaut", "camera", "chelsea", "coffee", "coins", "horse", "hubble_deep_field",
          "immunohistochemistry", "moon", "retina", "rocket", "brick", "grass", "gravel",
          "cell", "page", "text", "clock", "stereo_motorcycle")
ASPECTS = ((640, 480), (480, 640), (600, 600), (720, 480))
SIZES = (8, 16, 40, 100)
SHARES = (1.0, 0.5, 0.3)


@dataclass
class Collection:
    name: str
    images: list  # RGB uint8 arrays
    marked: list  # bool per image
    mark_centre: tuple[float, float] | None  # relative (x, y), None when unmarked
    folders: list | None = None  # each image's folder under data/ (None: all in data/)
    samples: list = field(default_factory=list)  # sample outputs (RGB arrays)
    samples_marked: list = field(default_factory=list)


def photo_sources() -> list[np.ndarray]:
    from skimage import data

    out = []
    for name in PHOTOS:
        image = getattr(data, name)()
        if isinstance(image, tuple):
            image = image[0]
        if image.dtype != np.uint8:
            image = image.astype(np.float64)
            image = (255 * (image - image.min()) / max(float(np.ptp(image)), 1e-9))
            image = image.astype(np.uint8)
        if image.ndim == 2:
            image = np.stack([image] * 3, axis=-1)
        out.append(np.ascontiguousarray(image[..., :3]))
    return out


def random_crop(rng, sources, size: tuple[int, int], source: int | None = None) -> np.ndarray:
    """A crop of a random photo (or of ``source``) at a random place and
    scale, mirrored half the time, brightened or darkened, resized to ``size``."""
    image = sources[rng.integers(len(sources)) if source is None else source]
    height, width = image.shape[:2]
    aspect = size[0] / size[1]
    scale = rng.uniform(0.45, 1.0)
    crop_w = min(width, int(min(width, height * aspect) * scale))
    crop_h = min(height, int(crop_w / aspect))
    crop_w = int(crop_h * aspect)
    x = rng.integers(0, width - crop_w + 1)
    y = rng.integers(0, height - crop_h + 1)
    pil = Image.fromarray(image[y:y + crop_h, x:x + crop_w]).resize(size, Image.Resampling.BILINEAR)
    if rng.random() < 0.5:
        pil = pil.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    out = np.asarray(pil, dtype=np.float32) * rng.uniform(0.7, 1.2) + rng.uniform(-20, 20)
    return np.clip(out, 0, 255).astype(np.uint8)


# --- marks: each returns an RGBA Pillow image, the mark at full opacity ----------


def skimage_logo(width: int) -> Image.Image:
    from skimage import data

    logo = Image.fromarray(data.logo())
    logo.thumbnail((width, width))
    return logo


def geometric_logo(width: int) -> Image.Image:
    mark = Image.new("RGBA", (width, width), (0, 0, 0, 0))
    draw = ImageDraw.Draw(mark)
    draw.ellipse((2, 2, width - 3, width - 3), outline=(255, 255, 255, 255),
                 width=max(2, width // 12))
    draw.polygon([(width / 2, width * 0.2), (width * 0.2, width * 0.75),
                  (width * 0.8, width * 0.75)], fill=(255, 255, 255, 255))
    return mark


def text_mark(text: str, height: int) -> Image.Image:
    font = ImageFont.load_default(size=height)
    left, top, right, bottom = font.getbbox(text)
    mark = Image.new("RGBA", (right - left + 4, bottom - top + 4), (0, 0, 0, 0))
    ImageDraw.Draw(mark).text((2 - left, 2 - top), text, font=font, fill=(255, 255, 255, 255))
    return mark


def signature(seed: int, width: int) -> Image.Image:
    """A thin hand-drawn-like stroke: a smooth random curve with loops,
    dark, like ink."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 1, 400)
    x = t * width * 0.9 + width * 0.05
    height = width // 3
    y = height / 2 + height * 0.3 * np.sin(2 * np.pi * (rng.uniform(2, 4) * t + rng.random()))
    loops = rng.uniform(0.03, 0.08) * width
    x = x + loops * np.cos(2 * np.pi * rng.uniform(5, 9) * t)
    y = y + loops * np.sin(2 * np.pi * rng.uniform(5, 9) * t)
    mark = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    ImageDraw.Draw(mark).line(list(zip(x.tolist(), y.tolist(), strict=True)),
                              fill=(20, 20, 30, 255), width=max(2, width // 60), joint="curve")
    return mark


def overlay(image: np.ndarray, mark: Image.Image, place: tuple[int, int],
            opacity: float) -> np.ndarray:
    base = Image.fromarray(image).convert("RGBA")
    layer = Image.new("RGBA", base.size, (0, 0, 0, 0))
    faded = mark.copy()
    faded.putalpha(Image.fromarray((np.asarray(mark)[..., 3] * opacity).astype(np.uint8)))
    layer.paste(faded, place)
    return np.asarray(Image.alpha_composite(base, layer).convert("RGB"))


POSITIONS_TUNING = ("bottom-right", "centre")
POSITIONS_MEASURED = ("bottom-left", "top-right", "bottom")


def place_of(position: str, size: tuple[int, int], mark: Image.Image) -> tuple[int, int]:
    width, height = size
    margin = width // 30
    x = {"left": margin, "right": width - mark.width - margin}
    y = {"top": margin, "bottom": height - mark.height - margin}
    if position == "centre":
        return (width - mark.width) // 2, (height - mark.height) // 2
    if position == "bottom":
        return (width - mark.width) // 2, y["bottom"]
    row, column = position.split("-")
    return x[column], y[row]


def make_mark(kind: str, tuning: bool, rng, size: tuple[int, int]) -> Image.Image:
    side = min(size)
    if kind == "logo":
        return geometric_logo(side // 4) if tuning else skimage_logo(side // 4)
    if kind == "text":
        return text_mark("SAMPLE" if tuning else "© Jane Atelier 2024", max(12, side // 22))
    seed = int(rng.integers(100, 200) if tuning else rng.integers(0, 100))
    return signature(seed, side // 4)


def collections(tuning: bool, quick: bool, seed: int) -> list[Collection]:
    rng = np.random.default_rng(seed)
    sources = photo_sources()
    positions = POSITIONS_TUNING if tuning else POSITIONS_MEASURED
    sizes = SIZES[:3] if quick else SIZES
    out = []
    for n in sizes:
        for kind in ("logo", "text", "signature"):
            for share in SHARES:
                size = ASPECTS[int(rng.integers(len(ASPECTS)))]
                mark = make_mark(kind, tuning, rng, size)
                position = positions[int(rng.integers(len(positions)))]
                place = place_of(position, size, mark)
                opacity = float(rng.uniform(0.15, 0.5)) if kind != "signature" else float(
                    rng.uniform(0.6, 1.0))
                marked = [i < round(share * n) for i in range(n)]
                images = [random_crop(rng, sources, size) for _ in range(n)]
                images = [overlay(im, mark, place, opacity) if m else im
                          for im, m in zip(images, marked, strict=True)]
                centre = ((place[0] + mark.width / 2) / size[0],
                          (place[1] + mark.height / 2) / size[1])
                out.append(Collection(f"{kind} {position} op{opacity:.2f} n{n} share{share}",
                                      images, marked, centre))
        for _ in range(5):
            size = ASPECTS[int(rng.integers(len(ASPECTS)))]
            out.append(Collection(f"unmarked n{n}", [random_crop(rng, sources, size)
                                                     for _ in range(n)], [False] * n, None))
    out.extend(hard_negatives(rng, sources))
    out.extend(portfolios(tuning, rng, sources, positions))
    out.extend(reproduced(tuning, rng, sources, positions))
    return out


def portfolios(tuning: bool, rng, sources, positions) -> list[Collection]:
    """A dataset of 100 images in 8 folders, one of which (12 images, an
    artist's portfolio) is signed in one corner: 12% of the dataset, found
    only by searching the folder."""
    out = []
    for kind in ("signature", "text", "logo"):
        size = (640, 480)
        mark = make_mark(kind, tuning, rng, size)
        position = positions[int(rng.integers(len(positions)))]
        place = place_of(position, size, mark)
        opacity = float(rng.uniform(0.6, 1.0) if kind == "signature" else rng.uniform(0.3, 0.5))
        folders = [f"folder{i % 8}" for i in range(100)]
        marked = [f == "folder3" for f in folders]
        images = [random_crop(rng, sources, size) for _ in range(100)]
        images = [overlay(im, mark, place, opacity) if m else im
                  for im, m in zip(images, marked, strict=True)]
        centre = ((place[0] + mark.width / 2) / size[0], (place[1] + mark.height / 2) / size[1])
        out.append(Collection(f"portfolio {kind} {position} op{opacity:.2f} n100", images,
                              marked, centre, folders))
    return out


def reproduced(tuning: bool, rng, sources, positions) -> list[Collection]:
    """A dataset of 40 images, all marked, and 12 sample outputs of which 6
    show the mark as a model would redraw it: 0 to 3 pixels off its place,
    blurred, fainter; the other 6 unmarked."""
    from PIL import ImageFilter

    out = []
    for kind in ("logo", "text", "signature"):
        size = (600, 600)
        mark = make_mark(kind, tuning, rng, size)
        position = positions[int(rng.integers(len(positions)))]
        place = place_of(position, size, mark)
        opacity = float(rng.uniform(0.3, 0.5) if kind != "signature" else 0.8)
        images = [overlay(random_crop(rng, sources, size), mark, place, opacity)
                  for _ in range(40)]
        samples, marked = [], []
        for i in range(12):
            image = random_crop(rng, sources, size)
            if i < 6:
                moved = (place[0] + int(rng.integers(-3, 4)), place[1] + int(rng.integers(-3, 4)))
                redrawn = mark.filter(ImageFilter.GaussianBlur(1.0))
                image = overlay(image, redrawn, moved, opacity * float(rng.uniform(0.6, 1.0)))
            samples.append(image)
            marked.append(i < 6)
        centre = ((place[0] + mark.width / 2) / size[0], (place[1] + mark.height / 2) / size[1])
        out.append(Collection(f"reproduced {kind} {position} n40", images, [True] * 40, centre,
                              samples=samples, samples_marked=marked))
    return out


def hard_negatives(rng, sources) -> list[Collection]:
    from skimage import data

    faces = data.lfw_subset()[:100]
    aligned = [np.stack([np.asarray(Image.fromarray((f * 255).astype(np.uint8)).resize(
        (256, 256), Image.Resampling.BICUBIC))] * 3, axis=-1) for f in faces]
    one_photo = [random_crop(rng, sources, (640, 480), source=PHOTOS.index("astronaut"))
                 for _ in range(100)]
    scene = random_crop(rng, sources, (640, 480), source=PHOTOS.index("coffee")).astype(float)
    burst = [np.clip(scene * rng.uniform(0.8, 1.2) + rng.normal(0, 4, scene.shape), 0, 255)
             .astype(np.uint8) for _ in range(100)]
    return [Collection("aligned faces (LFW) n100", aligned, [False] * 100, None),
            Collection("crops of one photo n100", one_photo, [False] * 100, None),
            Collection("one scene shot 100 times from a tripod n100", burst, [False] * 100,
                       None)]


# --- running the check ------------------------------------------------------------


def run_check(folder: Path, names: list[str], samples: list[str] = ()):
    files = [SimpleNamespace(path=f"data/{name}", abspath=str(folder / name), readable=True,
                             context=None, kind="image", suffix=".jpg", artifact="dataset")
             for name in names]
    files += [SimpleNamespace(path=f"samples/{name}", abspath=str(folder / "samples" / name),
                              readable=True, context=None, kind="image", suffix=".jpg",
                              artifact="model") for name in samples]
    ctx = SimpleNamespace(inventory=SimpleNamespace(files=files), settings={}, time_limit=None)
    return list(marks.RepeatedMarks().scan_bundle(ctx))


def measure(collection: Collection) -> tuple[dict, float, float, int]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        names = []
        for i, image in enumerate(collection.images):
            name = f"img_{i:04d}.jpg"
            if collection.folders:
                name = f"{collection.folders[i]}/{name}"
                (folder / collection.folders[i]).mkdir(exist_ok=True)
            Image.fromarray(image).save(folder / name, quality=90)
            names.append(name)
        samples = []
        for i, image in enumerate(collection.samples):
            (folder / "samples").mkdir(exist_ok=True)
            samples.append(f"sample_{i:03d}.jpg")
            Image.fromarray(image).save(folder / "samples" / samples[-1], quality=90)
        started = time.perf_counter()
        everything = run_check(folder, names, samples)
        seconds = time.perf_counter() - started
        started = time.perf_counter()
        for name in names:  # the same decode the check does, and nothing else
            marks.reduced(folder / name)
        for name in samples:
            marks.reduced(folder / "samples" / name)
        decode_only = time.perf_counter() - started
    found = [f for f in everything if f.id == "image.repeated-mark"]
    result = score(collection, found, names)
    if collection.samples:
        shown = {p for f in everything if f.id == "model.reproduces-mark" for p in f.also}
        said = {i for i, n in enumerate(samples) if f"samples/{n}" in shown}
        truth = {i for i, m in enumerate(collection.samples_marked) if m}
        result.update(sample_tp=len(said & truth), sample_fp=len(said - truth),
                      sample_fn=len(truth - said))
    return result, seconds, decode_only, len(names) + len(samples)


def score(collection: Collection, found: list, names: list[str]) -> dict:
    hit = None
    for finding in found:
        box = _box_of(finding)
        if collection.mark_centre and box and _holds(box, collection.mark_centre):
            hit = finding
    named = set()
    if hit is not None:
        named = {i for i, n in enumerate(names) if f"data/{n}" in hit.also}
    truth = {i for i, m in enumerate(collection.marked) if m}
    return {"found": hit is not None, "alarms": len(found) - (hit is not None),
            "tp": len(named & truth), "fp": len(named - truth), "fn": len(truth - named)}


def _box_of(finding) -> tuple[float, float, float, float] | None:
    import re

    match = re.search(r"x ([\d.]+)-([\d.]+), y ([\d.]+)-([\d.]+)", finding.message)
    return tuple(float(v) for v in match.groups()) if match else None


def _holds(box, centre) -> bool:
    x0, x1, y0, y1 = box
    return x0 <= centre[0] <= x1 and y0 <= centre[1] <= y1


def row_key(collection: Collection) -> str:
    """The table row a collection counts in: its mark's kind and size, or
    the kind of unmarked collection."""
    words = collection.name.split()
    if collection.mark_centre is None:
        hard = not collection.name.startswith("unmarked")
        return f"unmarked n={'100, hard' if hard else len(collection.images)}"
    kind = f"{words[0]} {words[1]}" if words[0] in ("portfolio", "reproduced") else words[0]
    return f"{kind} n={len(collection.images)}"


def share_key(collection: Collection) -> str | None:
    """The (size, share) row of a plain marked collection."""
    words = collection.name.split()
    if collection.mark_centre is None or words[0] in ("portfolio", "reproduced"):
        return None
    carriers = sum(collection.marked)
    return f"n={len(collection.images)} share {words[-1][5:]} ({carriers} marked)"


def add(totals: dict, key: str, result: dict) -> None:
    row = totals.setdefault(key, dict.fromkeys(("collections", "found", "alarms", "tp", "fp",
                                                 "fn"), 0))
    row["collections"] += 1
    for name in ("found", "alarms", "tp", "fp", "fn"):
        row[name] += int(result[name])


def print_table(title: str, totals: dict) -> None:
    print(f"{title:36} {'found':>7} {'false alarms':>13} {'precision':>10} {'recall':>7}")
    for key in sorted(totals, key=lambda k: (k.split(" n=")[0], len(k), k)):
        row = totals[key]
        marked = not key.startswith("unmarked")
        named = row["tp"] + row["fp"]
        precision = f"{row['tp'] / named:.2f}" if marked and named else "-"
        recall = f"{row['tp'] / max(1, row['tp'] + row['fn']):.2f}" if marked else "-"
        found = f"{row['found']}/{row['collections']}" if marked else f"-/{row['collections']}"
        print(f"{key:36} {found:>7} {row['alarms']:>13} {precision:>10} {recall:>7}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tuning", action="store_true", help="the tuning marks and positions")
    parser.add_argument("--quick", action="store_true", help="collections of 8 to 40 only")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else (1 if args.tuning else 2)
    print(f"marks: {'tuning' if args.tuning else 'measured'} set, seed {seed}; "
          f"load {os.getloadavg()[0]:.2f}")
    by_kind: dict[str, dict] = {}
    by_share: dict[str, dict] = {}
    samples = dict.fromkeys(("tp", "fp", "fn"), 0)
    seconds = decoding = images = 0.0
    for collection in collections(args.tuning, args.quick, seed):
        result, took, decode_only, n = measure(collection)
        seconds, decoding, images = seconds + took, decoding + decode_only, images + n
        add(by_kind, row_key(collection), result)
        if share_key(collection):
            add(by_share, share_key(collection), result)
        for name in samples:
            samples[name] += result.get(f"sample_{name}", 0)
        if args.verbose or (collection.mark_centre is None and result["alarms"]) or (
                collection.mark_centre is not None and not result["found"]):
            print(f"  {collection.name:45} {result}")
    print_table("collections, by mark", by_kind)
    print_table("marked collections, by share", by_share)
    print(f"sample outputs reproducing the mark (model.reproduces-mark): precision "
          f"{samples['tp'] / max(1, samples['tp'] + samples['fp']):.2f}, recall "
          f"{samples['tp'] / max(1, samples['tp'] + samples['fn']):.2f} ({samples['tp']} of "
          f"{samples['tp'] + samples['fn']} found, {samples['fp']} false)")
    print(f"time: {seconds:.1f} s for {int(images)} images, "
          f"{1000 * seconds / max(1, images):.1f} ms an image (decode + search); decoding "
          f"alone {1000 * decoding / max(1, images):.1f} ms an image, "
          f"{seconds / max(decoding, 1e-9):.2f}x; load {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
