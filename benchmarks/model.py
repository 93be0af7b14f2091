"""Pickle scanning throughput against picklescan's own command line, and the
near-copy search against a naive pairwise imagehash loop, in one run.

    python benchmarks/model.py [--count 300] [--tensors 200] [--repeat 3] [--keep DIR]
                               [--samples 5000] [--training 100000] [--naive 10]
                               [--thresholds]

**Pickles.**
Writes ``--count`` model files into a temporary folder:

- with torch installed (``pip install torch==2.13.0``, a CPU build), three
  in four are ``torch.save`` checkpoints of a made-up state dict of up to
  ``--tensors`` small tensors (zip archives; one in ten in torch's legacy
  format, a raw pickle); the files are made, never loaded;
- the rest are the crafted bypass pickles of ``tests/model_samples.py``
  (raw, inside torch-style zips, as numpy object arrays), so that both
  tools see hostile files too.

Timed, best of ``--repeat`` after one untimed pass (the files in the page
cache for both):

  (a) ``ModelFiles.scan_file`` on each file in one process (exactly what the
      engine calls: sniff, open the archive, walk every pickle's opcodes,
      rate the imports, build the findings);
  (b) ``picklescan --path FOLDER`` run once over the folder (one process,
      its start-up included, as a user would run it).

Prints files/s of each, the ratio b/a, and how many files each flags as
dangerous (critical) on the same folder.

**Near-copies** (the memorisation check's search). ``--samples`` random
64-bit sample hashes against ``--training`` training hashes; one sample in
a hundred is a training hash with 1 to 8 of its bits flipped, so the
search has near-copies to find. Timed:

  (c) ``search.nearest`` over all of them, with its peak memory (numpy's
      allocations, through tracemalloc);
  (d) ``search.clusters`` grouping the training hashes themselves (every
      pair once: 5 billion for 100,000), what the dataset's near-duplicates
      cost;
  (e) the naive loop a user of imagehash writes: for each sample, ``h1 - h2``
      against every training ``imagehash.ImageHash`` and the minimum, run
      for ``--naive`` samples and extrapolated to all of them.

Prints each, the ratio e/c, and whether (c) and (e) found the same
near-copies for the samples (e) ran on.

``--thresholds`` adds the measurement behind the default distances: the
hash distance of scikit-image's photos to their resized, re-encoded,
cropped and colour-shifted copies, and between unrelated photos, and the
check's hashing throughput on 512-pixel PNG and JPEG files.
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import model_samples as samples  # noqa: E402

from aiart_release.bundle import BundleFile  # noqa: E402
from aiart_release.checks import FileContext  # noqa: E402
from aiart_release.default_plugins.model_files.check import ModelFiles  # noqa: E402
from aiart_release.findings import Severity  # noqa: E402


def write_files(folder: Path, count: int, tensors: int, seed: int = 0) -> list[Path]:
    rng = random.Random(seed)
    try:
        import torch
    except ImportError:
        torch = None
        print("torch not installed: crafted pickles only (pip install torch==2.13.0)")
    bypasses = list(samples.BYPASSES.items())
    paths = []
    for n in range(count):
        if torch is not None and n % 4:
            state = {f"layer{i}.weight": torch.randn(rng.randint(1, 8), rng.randint(1, 8))
                     for i in range(rng.randint(1, tensors))}
            path = folder / f"ckpt_{n:04d}.pt"
            torch.save(state, path, _use_new_zipfile_serialization=bool(n % 10))
        else:
            name, payload = bypasses[n % len(bypasses)]
            form = (n // len(bypasses)) % 3
            if form == 0:
                path = folder / f"hostile_{n:04d}_{name}.pkl"
                path.write_bytes(payload)
            elif form == 1:
                path = samples.torch_zip(folder / f"hostile_{n:04d}_{name}.pt", payload,
                                         compress=zipfile.ZIP_DEFLATED)
            else:
                path = folder / f"hostile_{n:04d}_{name}.npy"
                path.write_bytes(samples.npy_object_array(payload))
        paths.append(path)
    return paths


def ours(paths: list[Path], folder: Path) -> tuple[float, int]:
    check = ModelFiles()
    start = time.perf_counter()
    flagged = 0
    for path in paths:
        file = BundleFile(path=path.name, abspath=path, size=path.stat().st_size,
                          kind="model-weights", artifact="model")
        findings = list(check.scan_file(file, FileContext()))
        flagged += any(f.severity is Severity.CRITICAL for f in findings)
    return time.perf_counter() - start, flagged


def picklescan_cli(folder: Path) -> tuple[float, int]:
    tool = shutil.which("picklescan", path=str(Path(sys.executable).parent)) or "picklescan"
    start = time.perf_counter()
    proc = subprocess.run([tool, "--path", str(folder)], capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    infected = next((int(line.split(":")[1]) for line in proc.stdout.splitlines()
                     if line.startswith("Infected files:")), -1)
    return elapsed, infected


def best(run, repeat: int):
    run()  # untimed: page cache, imports
    results = [run() for _ in range(repeat)]
    return min(results, key=lambda r: r[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--tensors", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="write the files here and keep them")
    parser.add_argument("--samples", type=int, default=5000)
    parser.add_argument("--training", type=int, default=100_000)
    parser.add_argument("--naive", type=int, default=10,
                        help="samples the naive imagehash loop runs on (then extrapolated)")
    parser.add_argument("--thresholds", action="store_true",
                        help="also measure hash distances of copies and unrelated photos")
    args = parser.parse_args()
    pickles(args)
    near_copies(args.samples, args.training, args.naive)
    if args.thresholds:
        thresholds()


def pickles(args) -> None:
    folder = args.keep or Path(tempfile.mkdtemp(prefix="model-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        paths = write_files(folder, args.count, args.tensors)
        size = sum(p.stat().st_size for p in paths)
        print(f"{len(paths)} files, {size / 1e6:.1f} MB in {folder}")
        ours_s, ours_flagged = best(lambda: ours(paths, folder), args.repeat)
        cli_s, cli_flagged = best(lambda: picklescan_cli(folder), args.repeat)
        print(f"(a) model-files check, 1 process : {ours_s:7.3f} s  "
              f"{len(paths) / ours_s:8.0f} files/s  critical in {ours_flagged} files")
        print(f"(b) picklescan --path FOLDER     : {cli_s:7.3f} s  "
              f"{len(paths) / cli_s:8.0f} files/s  infected: {cli_flagged} files")
        print(f"ratio b/a: {cli_s / ours_s:.2f}x")
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)



# --- near-copies --------------------------------------------------------------------


def planted_hashes(samples: int, training: int, seed: int = 0):
    """(sample hashes, training hashes, {sample: training} planted near-copies)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    index = rng.integers(0, 2**64, size=training, dtype=np.uint64)
    queries = rng.integers(0, 2**64, size=samples, dtype=np.uint64)
    planted = {}
    for q in range(0, samples, 100):
        source = int(rng.integers(training))
        flips = rng.choice(64, size=int(rng.integers(1, 9)), replace=False)
        queries[q] = index[source] ^ np.uint64(sum(1 << int(b) for b in flips))
        planted[q] = source
    return queries, index, planted


def near_copies(samples: int, training: int, naive_count: int) -> None:
    import tracemalloc

    from aiart_release.hamming import NEAR_COPY_DISTANCE, clusters, nearest

    queries, index, planted = planted_hashes(samples, training)
    print(f"\nnear-copy search: {samples:,} sample hashes against {training:,} training "
          f"hashes, distance <= {NEAR_COPY_DISTANCE} ({len(planted)} planted near-copies)")
    nearest(queries[:10], index, NEAR_COPY_DISTANCE)  # untimed: imports, page faults
    start = time.perf_counter()
    found = nearest(queries, index, NEAR_COPY_DISTANCE)
    ours_s = time.perf_counter() - start
    tracemalloc.start()  # a second, untimed run: tracing slows allocation
    nearest(queries, index, NEAR_COPY_DISTANCE)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    matched = {m.query: m.index for m in found}
    recovered = sum(matched.get(q) == s for q, s in planted.items())
    print(f"(c) search.nearest (numpy blocks)  : {ours_s:8.3f} s  "
          f"{samples * training / ours_s / 1e6:8.0f} M pairs/s  peak {peak / 2**20:.0f} MiB  "
          f"found {len(found)}, of them planted {recovered}")
    start = time.perf_counter()
    groups = clusters(index, NEAR_COPY_DISTANCE)
    print(f"(d) search.clusters of the {training:,} training hashes: "
          f"{time.perf_counter() - start:.3f} s, {len(groups)} clusters")
    try:
        import imagehash
    except ImportError:
        print("(e) skipped: imagehash is not installed (pip install imagehash)")
        return
    naive_s, naive_found = naive_loop(imagehash, queries[:naive_count], index)
    per_sample = naive_s / naive_count
    print(f"(e) naive imagehash loop, {naive_count} samples: {naive_s:8.3f} s, "
          f"{per_sample:.2f} s a sample -> {per_sample * samples:,.0f} s for {samples:,} "
          f"(extrapolated)")
    same = naive_found == {q: s for q, s in matched.items() if q < naive_count}
    print(f"ratio e/c: {per_sample * samples / ours_s:,.0f}x; same near-copies on the "
          f"{naive_count} samples: {same}")


def naive_loop(imagehash, queries, index) -> tuple[float, dict[int, int]]:
    """The pairwise loop: ``h1 - h2`` on ImageHash objects, the minimum kept."""
    import numpy as np

    from aiart_release.hamming import NEAR_COPY_DISTANCE

    def as_imagehash(value):
        bits = np.unpackbits(np.array([value], dtype=">u8").view(np.uint8))
        return imagehash.ImageHash(bits.astype(bool).reshape(8, 8))

    training = [as_imagehash(v) for v in index]
    found = {}
    start = time.perf_counter()
    for q, value in enumerate(queries):
        sample = as_imagehash(value)
        best, where = 65, -1
        for i, other in enumerate(training):
            d = sample - other
            if d < best:
                best, where = d, i
        if best <= NEAR_COPY_DISTANCE:
            found[q] = where
    return time.perf_counter() - start, found


# --- thresholds -----------------------------------------------------------------------


def thresholds() -> None:
    import io
    import itertools
    import statistics

    from PIL import Image, ImageEnhance
    from skimage import data

    from aiart_release.readers.image_hash import distance, hash_image

    names = ["astronaut", "camera", "coffee", "chelsea", "rocket", "hubble_deep_field",
             "immunohistochemistry", "moon", "page", "text", "coins", "horse", "clock",
             "grass", "gravel", "brick", "colorwheel", "retina", "cell", "logo",
             "microaneurysms"]  # "cat" is chelsea again
    photos = {n: Image.fromarray(getattr(data, n)()).convert("RGB") for n in names}

    def jpeg(im, quality):
        buffer = io.BytesIO()
        im.save(buffer, "JPEG", quality=quality)
        buffer.seek(0)
        return Image.open(buffer).convert("RGB")

    def crop(im, f):
        dx, dy = int(im.width * f), int(im.height * f)
        return im.crop((dx, dy, im.width - dx, im.height - dy))

    def half(im):
        return im.resize((im.width // 2, im.height // 2), Image.Resampling.LANCZOS)

    def shift(im):
        r, g, b = im.split()
        return Image.merge("RGB", (r.point(lambda v: min(255, v + 20)), g,
                                   b.point(lambda v: max(0, v - 20))))

    transforms = {
        "resized to 50%": half,
        "resized to 25%": lambda im: im.resize((im.width // 4, im.height // 4),
                                               Image.Resampling.LANCZOS),
        "JPEG quality 75": lambda im: jpeg(im, 75),
        "JPEG quality 30": lambda im: jpeg(im, 30),
        "resized to 50% + JPEG 70": lambda im: jpeg(half(im), 70),
        "brightness +15%": lambda im: ImageEnhance.Brightness(im).enhance(1.15),
        "saturation +40%": lambda im: ImageEnhance.Color(im).enhance(1.4),
        "colour shift (R+20, B-20)": shift,
        "crop 2% a side": lambda im: crop(im, 0.02),
        "crop 5% a side": lambda im: crop(im, 0.05),
        "crop 10% a side": lambda im: crop(im, 0.10),
        "rotated 5 degrees": lambda im: im.rotate(5, resample=Image.Resampling.BILINEAR),
        "mirrored": lambda im: im.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
    }
    base = {n: hash_image(im) for n, im in photos.items()}
    print(f"\nhash distance (bits of 64) of {len(photos)} scikit-image photos to their copies")
    print("| copy | median | max | within 6 | within 8 |")
    print("|---|---|---|---|---|")
    for label, transform in transforms.items():
        ds = [distance(base[n], hash_image(transform(im))) for n, im in photos.items()]
        print(f"| {label} | {statistics.median(ds):g} | {max(ds)} | "
              f"{sum(d <= 6 for d in ds)}/{len(ds)} | {sum(d <= 8 for d in ds)}/{len(ds)} |")
    pairs = [distance(base[a], base[b]) for a, b in itertools.combinations(names, 2)]
    print(f"| unrelated photos ({len(pairs)} pairs) | {statistics.median(pairs):g} | "
          f"min {min(pairs)} | {sum(d <= 6 for d in pairs)} | {sum(d <= 8 for d in pairs)} |")
    hashing_throughput(photos["astronaut"])


def hashing_throughput(image, count: int = 200) -> None:
    from aiart_release.readers.image_hash import hash_files

    folder = Path(tempfile.mkdtemp(prefix="hash-bench-"))
    try:
        for suffix in ("png", "jpg"):
            paths = []
            for n in range(count):
                path = folder / f"{n}.{suffix}"
                image.rotate(n % 7).save(path)
                paths.append(path)
            hash_files(paths[:5])
            start = time.perf_counter()
            hash_files(paths)
            elapsed = time.perf_counter() - start
            print(f"hash_files, {count} {image.width}x{image.height} {suffix.upper()} files: "
                  f"{count / elapsed:6.0f} images/s")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
