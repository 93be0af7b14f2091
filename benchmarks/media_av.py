"""Audio/video tags and content credentials against exiftool, on the same files.

    python benchmarks/media_av.py [--count 300] [--repeat 3] [--keep DIR]

Writes ``--count`` files into a temporary folder: tagged MP3 (ID3: artist,
encoder, date with zone), FLAC (Vorbis comments: artist, location) and MP4
(©xyz position, ©ART, ©mod, ©too) in equal shares, each a few kilobytes
(20 MPEG frames, a FLAC header, a bare moov: tags, not samples, are what is
read), plus ``--count`` JPEGs of which one in ten is signed with a C2PA
manifest (a test CA made here).

Timed, best of ``--repeat`` after one untimed pass (files in the page cache):

  (a) ``AvMetadata.scan_file`` on every audio/video file, in one process;
  (b) ``ContentCredentials.scan_file`` on every JPEG (metadata, then the
      C2PA store read and validated offline by c2pa-python), in one process;
  (c) ``exiftool -json -r`` once over each folder (one Perl process).

Prints files/s and the ratios exiftool/ours (above 1: ours is faster).
"""

from __future__ import annotations

import argparse
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from test_media_av import tagged_flac, tagged_mp3, tagged_mp4  # noqa: E402
from test_media_credentials import jpeg, signed_jpeg  # noqa: E402

from aiart_release.bundle import BundleFile  # noqa: E402
from aiart_release.checks import FileContext  # noqa: E402
from aiart_release.default_plugins.media.av import AvMetadata  # noqa: E402
from aiart_release.default_plugins.media.credentials import ContentCredentials  # noqa: E402


def write_av(folder: Path, count: int) -> list[Path]:
    makers = (tagged_mp3, tagged_flac, tagged_mp4)
    suffixes = (".mp3", ".flac", ".mp4")
    seeds = {s: m(folder / f"seed{s}") for m, s in zip(makers, suffixes, strict=True)}
    for s in suffixes:
        (folder / f"seed{s}").unlink()
    paths = []
    for i in range(count):
        suffix = suffixes[i % 3]
        path = folder / f"rec_{i:05d}{suffix}"
        path.write_bytes(seeds[suffix])
        paths.append(path)
    return paths


def write_jpegs(folder: Path, count: int) -> list[Path]:
    signed, plain = signed_jpeg(), jpeg()
    paths = []
    for i in range(count):
        path = folder / f"img_{i:05d}.jpg"
        path.write_bytes(signed if i % 10 == 0 else plain)
        paths.append(path)
    return paths


def run_check(check, paths: list[Path], kind: str) -> float:
    started = time.perf_counter()
    for path in paths:
        file = BundleFile(path=f"samples/{path.name}", abspath=path, size=path.stat().st_size,
                          kind=kind, artifact="dataset")
        list(check.scan_file(file, FileContext()))
    return time.perf_counter() - started


def run_exiftool(folder: Path) -> float:
    started = time.perf_counter()
    subprocess.run(["exiftool", "-json", "-r", str(folder)], check=False,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def best(run, repeat: int) -> float:
    run()
    return min(run() for _ in range(repeat))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path)
    args = parser.parse_args()
    if shutil.which("exiftool") is None:
        print("exiftool is not installed (Debian: apt-get install libimage-exiftool-perl)",
              file=sys.stderr)
        return 2
    base = args.keep or Path(tempfile.mkdtemp(prefix="aiart-av-bench-"))
    av_dir, jpeg_dir = base / "av", base / "jpeg"
    av_dir.mkdir(parents=True, exist_ok=True)
    jpeg_dir.mkdir(parents=True, exist_ok=True)
    try:
        av = write_av(av_dir, args.count)
        jpegs = write_jpegs(jpeg_dir, args.count)
        version = subprocess.run(["exiftool", "-ver"], capture_output=True, text=True).stdout
        print(f"{args.count} audio/video files, {args.count} JPEGs (1 in 10 C2PA-signed); "
              f"Python {platform.python_version()}, exiftool {version.strip()}")
        ours_av = best(lambda: run_check(AvMetadata(), av, "audio"), args.repeat)
        exif_av = best(lambda: run_exiftool(av_dir), args.repeat)
        ours_c2 = best(lambda: run_check(ContentCredentials(), jpegs, "image"), args.repeat)
        exif_c2 = best(lambda: run_exiftool(jpeg_dir), args.repeat)
        for what, ours, theirs in (("audio/video tags", ours_av, exif_av),
                                   ("content credentials", ours_c2, exif_c2)):
            print(f"{what:20s} ours {args.count / ours:8.0f} files/s   exiftool "
                  f"{args.count / theirs:8.0f} files/s   exiftool/ours {theirs / ours:.2f}")
    finally:
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
