"""Image metadata extraction against exiftool, and face detection (dlib's
HOG against OpenCV's Haar cascade), on the same JPEGs, in one run.

    python benchmarks/images.py [--count 2000] [--size 1024x768] [--jobs N]
                                [--thumbnails 0.25] [--repeat 3] [--keep DIR]
                                [--faces 400]

Writes ``--count`` JPEGs with EXIF into a temporary folder, as cameras and
phones write them: Make, Model, Software, DateTimeOriginal with its time
zone, a GPS position, an Artist on half of them, body and lens serial numbers
on a third, a Canon MakerNote (40 entries, the body's serial among them) on
every one, and an EXIF thumbnail on the ``--thumbnails`` share (the only
case where the check decodes pixels: the thumbnail, and the image at 1/8
scale). Eight pictures (a Mandelbrot set under shapes) are reused so that
writing the folder stays quick; every file's EXIF differs.

Timed, best of ``--repeat`` after one untimed pass of each (the files in the
page cache for both):

  (a) the media check (``MediaMetadata.scan_file``, exactly what the engine
      calls per image: open, EXIF, XMP, IPTC, text, thumbnail comparison) in
      a process pool of ``--jobs`` workers, pool start-up included; and in
      one process;
  (b) ``exiftool -json -r FOLDER`` run once over the folder (one Perl
      process, its JSON read and thrown away).

Prints images/s of each and the ratio b/a (target: at least 1, as fast as
exiftool run once over the whole folder).

Then face detection on the first ``--faces`` images (0: none), as the check
runs it on a dataset image: decode at the smallest JPEG scale of at least
640 pixels (``draft``), reduce to 640 on the longest side, detect. Timed
once after an untimed pass over 20 images (the model loaded), for the
chosen detector (dlib HOG, one upsampling) and the comparison (OpenCV's
Haar cascade), in one process and in ``--jobs``; the ratio says how much
faster or slower the chosen one is. Precision and recall are in
``benchmarks/faces.py``.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from PIL import Image, ImageDraw

from aiart_release.bundle import BundleFile
from aiart_release.checks import FileContext
from aiart_release.default_plugins.media.check import MediaMetadata
from aiart_release.default_plugins.media.faces import DEFAULT_DETECTOR, UPSAMPLE, count_faces

PICTURES = 8


def picture(size: tuple[int, int], seed: int) -> Image.Image:
    w, h = size
    im = Image.effect_mandelbrot(size, (-2.0 + seed * 0.2, -1.2, 0.8, 1.2), 80).convert("RGB")
    draw = ImageDraw.Draw(im)
    draw.ellipse((w * 0.1, h * 0.2, w * 0.45, h * 0.8), fill=(200, 40 + seed * 20, 40))
    draw.rectangle((w * 0.6, h * 0.1, w * 0.9, h * 0.5), fill=(30, 160, 220 - seed * 20))
    return im


def camera_exif(rnd: random.Random, index: int) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "Canon", "Canon EOS R6"
    exif[0x0131] = "Adobe Lightroom Classic 13.1"
    if index % 2 == 0:
        exif[0x013B] = f"Photographer {index}"
    sub = {0x9003: "2024:05:04 18:30:00", 0x9011: "+02:00", 0x829A: (1, 250), 0x8827: 400}
    if index % 3 == 0:
        sub[0xA431] = f"0{rnd.randrange(10**11):011d}"
        sub[0xA435] = f"{rnd.randrange(10**9):09d}"
    sub[0x927C] = canon_makernote(rnd)
    exif[0x8769] = sub
    exif[0x8825] = {0: b"\x02\x03\x00\x00", 1: "N", 2: (48.0, rnd.randrange(60), 12.5),
                    3: "E", 4: (2.0, rnd.randrange(60), 40.2)}
    return exif


def canon_makernote(rnd: random.Random) -> bytes:
    """A Canon MakerNote as the reader meets it: a big-endian directory (the
    byte order Pillow writes EXIF in) of 40 entries, 0x000C SerialNumber
    among them, values inline."""
    import struct

    tags = sorted({0x000C, *rnd.sample(range(0x0001, 0x00FF), 39)} - {0x0096})[:40]
    entries = b"".join(
        struct.pack(">HHI", tag, 4, 1) + struct.pack(">I", rnd.randrange(1, 2**31) if tag == 0x000C
                                                     else rnd.randrange(2**16))
        for tag in tags)
    return struct.pack(">H", len(tags)) + entries + b"\0\0\0\0"


def with_thumbnail(exif: bytes, thumbnail: bytes) -> bytes:
    """``exif`` with an IFD1 pointing to a JPEG thumbnail (Pillow writes none)."""
    import struct

    tiff = exif[6:]
    e = "<" if tiff[:2] == b"II" else ">"
    ifd0 = struct.unpack(e + "I", tiff[4:8])[0]
    next_at = ifd0 + 2 + 12 * struct.unpack(e + "H", tiff[ifd0:ifd0 + 2])[0]
    ifd1 = len(tiff)
    entries = (struct.pack(e + "HHII", 0x0201, 4, 1, ifd1 + 30)
               + struct.pack(e + "HHII", 0x0202, 4, 1, len(thumbnail)))
    tiff = (tiff[:next_at] + struct.pack(e + "I", ifd1) + tiff[next_at + 4:]
            + struct.pack(e + "H", 2) + entries + b"\0\0\0\0" + thumbnail)
    return b"Exif\x00\x00" + tiff


def make_images(folder: Path, count: int, size: tuple[int, int], thumbnails: float,
                seed: int) -> int:
    """Write the JPEGs; their total size in bytes."""
    rnd = random.Random(seed)
    pictures = [picture(size, s) for s in range(PICTURES)]
    thumbs = []
    for im in pictures:
        small = im.copy()
        small.thumbnail((160, 120))
        out = io.BytesIO()
        small.save(out, "JPEG", quality=75)
        thumbs.append(out.getvalue())
    total = 0
    for index in range(count):
        which = index % PICTURES
        exif = camera_exif(rnd, index).tobytes()
        if rnd.random() < thumbnails:
            exif = with_thumbnail(exif, thumbs[which])
        path = folder / f"{index // 500:02d}" / f"IMG_{index:05d}.jpg"
        path.parent.mkdir(exist_ok=True)
        pictures[which].save(path, "JPEG", quality=88, exif=exif)
        total += path.stat().st_size
    return total


_CHECK = MediaMetadata()
_CONTEXT = FileContext()


def scan_one(path: str) -> int:
    # Metadata only: an image of neither the dataset nor a samples folder is
    # not searched for faces (the faces are timed on their own below).
    file = BundleFile(path=path, abspath=Path(path), size=os.path.getsize(path), kind="image",
                      artifact="docs")
    return len(list(_CHECK.scan_file(file, _CONTEXT)))


# (label, detector, HOG upsampling): the chosen setting first, then the
# quick setting (face_upsample: 0) and the comparison.
FACE_RUNS = ((f"{DEFAULT_DETECTOR} (chosen)", DEFAULT_DETECTOR, UPSAMPLE),
             ("hog, face_upsample 0", "hog", 0), ("haar (OpenCV)", "haar", 0))


def faces_one(job: tuple[str, str, int]) -> int:
    path, detector, upsample = job
    return count_faces(path, detector, upsample) or 0


def run_faces(paths: list[str], detector: str, upsample: int, jobs: int) -> tuple[float, int]:
    return timed_sum(faces_one, [(p, detector, upsample) for p in paths], jobs)


def report_faces(paths: list[str], jobs: int) -> None:
    """Face detection throughput of each detector, one process and ``jobs``."""
    print(f"\nface detection on {len(paths)} of these images (reduced to 640 px):")
    print(f"{'':32}{'seconds':>9}{'images/s':>10}{'faces':>7}")
    rates = {}
    for label, detector, upsample in FACE_RUNS:
        run_faces(paths[:20], detector, upsample, 1)  # untimed: imports, the model
        for n_jobs in dict.fromkeys((1, jobs)):
            seconds, found = run_faces(paths, detector, upsample, n_jobs)
            rates[label, n_jobs] = len(paths) / seconds
            print(f"{f'{label}, {n_jobs} proc.':32}{seconds:9.2f}{len(paths) / seconds:10.1f}"
                  f"{found:7d}")
    chosen, *others = (label for label, _, _ in FACE_RUNS)
    for other in others:
        for n_jobs in dict.fromkeys((1, jobs)):
            print(f"ratio {chosen} / {other} images/s ({n_jobs} proc.): "
                  f"{rates[chosen, n_jobs] / rates[other, n_jobs]:.2f}")


def run_ours(paths: list[str], jobs: int) -> tuple[float, int]:
    return timed_sum(scan_one, paths, jobs)


def timed_sum(work, items: list, jobs: int) -> tuple[float, int]:
    """Seconds to run ``work`` on every item (in a pool of ``jobs`` processes,
    its start-up included, when more than one), and the sum of its results."""
    started = time.perf_counter()
    if jobs == 1:
        found = sum(map(work, items))
    else:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            found = sum(pool.map(work, items, chunksize=max(1, len(items) // (jobs * 8))))
    return time.perf_counter() - started, found


def run_exiftool(folder: Path) -> float:
    started = time.perf_counter()
    subprocess.run(["exiftool", "-json", "-r", str(folder)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def best(run, repeat: int):
    run()  # untimed: imports, page cache
    results = [run() for _ in range(repeat)]
    return min(results, key=lambda r: r[0] if isinstance(r, tuple) else r)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--size", default="1024x768")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--thumbnails", type=float, default=0.25,
                        help="share of images with an EXIF thumbnail")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="write the images here and keep them")
    parser.add_argument("--faces", type=int, default=400,
                        help="how many of the images to search for faces (0: none)")
    args = parser.parse_args(argv)
    if shutil.which("exiftool") is None:
        print("exiftool is not installed (Debian: apt-get install libimage-exiftool-perl)",
              file=sys.stderr)
        return 2
    width, height = (int(v) for v in args.size.lower().split("x"))
    folder = args.keep or Path(tempfile.mkdtemp(prefix="aiart-images-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        started = time.perf_counter()
        total = make_images(folder, args.count, (width, height), args.thumbnails, args.seed)
        print(f"{args.count} JPEGs of {width}x{height}, {total / 1e6:.0f} MB, "
              f"{args.thumbnails:.0%} with a thumbnail, written in "
              f"{time.perf_counter() - started:.1f} s")
        paths = sorted(str(p) for p in folder.rglob("*.jpg"))
        pooled, found = best(lambda: run_ours(paths, args.jobs), args.repeat)
        single, _ = best(lambda: run_ours(paths, 1), args.repeat)
        exiftool = best(lambda: run_exiftool(folder), args.repeat)
        version = subprocess.run(["exiftool", "-ver"], capture_output=True, text=True).stdout
        print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
              f"Python {platform.python_version()}, exiftool {version.strip()}")
        n = len(paths)
        print(f"{'':32}{'seconds':>9}{'images/s':>10}")
        print(f"{f'media check, {args.jobs} processes':32}{pooled:9.2f}{n / pooled:10.0f}")
        print(f"{'media check, 1 process':32}{single:9.2f}{n / single:10.0f}")
        print(f"{'exiftool -json -r (once)':32}{exiftool:9.2f}{n / exiftool:10.0f}")
        print(f"findings: {found} on {n} images")
        print(f"ratio exiftool / media check: {exiftool / pooled:.2f} ({args.jobs} processes), "
              f"{exiftool / single:.2f} (1 process); target >= 1")
        if args.faces:
            report_faces(paths[:args.faces], args.jobs)
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
