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

    python benchmarks/media_av.py --hostile [--reader PATH/media.py] [--timeout 120]

instead times the tag reader on crafted files, each in a fresh process
(wall time and peak memory, with Python's start-up): an Ogg comment packet
spread over 2 GiB of pages (sparse on the disk), 4,000,000 empty Vorbis
comments in a 16 MB FLAC block, a WAV whose id3 chunk declares 2 GiB, a
WAV of 1,000,000 empty chunks. ``--reader`` loads another copy of
``aiart_release/readers/media.py`` (an older one, from ``git archive``) to
compare; a case past ``--timeout`` is killed and shown as such.
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

from test_media_av import (  # noqa: E402
    bare_flac,
    bare_wav,
    sparse_ogg_comment,
    tagged_flac,
    tagged_mp3,
    tagged_mp4,
    vorbis_comment,
)
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


def write_hostile(folder: Path) -> list[Path]:
    paths = [folder / name for name in ("comment-2gib.ogg", "comments-4m.flac",
                                        "id3-chunk-2gib.wav", "chunks-1m.wav")]
    sparse_ogg_comment(paths[0], 2 * 2**30)
    block = vorbis_comment([b""] * 4_000_000, framing=b"")
    paths[1].write_bytes(bare_flac()[:4] + b"\x00" + bare_flac()[5:] + b"\x84"
                         + len(block).to_bytes(3, "big") + block)
    paths[2].write_bytes(bare_wav() + b"id3 " + (2**31).to_bytes(4, "little")
                         + b"ID3\x04\0\0\0\0\0\0")
    paths[3].write_bytes(bare_wav([(b"junk", b"")] * 1_000_000))
    return paths


# Run in a fresh process per file: the reader, then its outcome.
_CHILD = """
import importlib.util, sys, time
if sys.argv[2]:
    spec = importlib.util.spec_from_file_location("reader", sys.argv[2])
    reader = sys.modules["reader"] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(reader)
else:
    import aiart_release.readers.media as reader
import mutagen
started = time.perf_counter()
try:
    meta = reader.read_av_metadata(sys.argv[1]); outcome = f"read ({meta.format})"
except reader.UnreadableMedia as exc:
    outcome = f"unreadable: {str(exc)[:70]}"
# VmHWM, not ru_maxrss: the latter keeps the forked parent's peak across exec
peak = int(next(l for l in open("/proc/self/status") if l.startswith("VmHWM")).split()[1]) / 1024
print(f"{time.perf_counter() - started:.2f} s reading, {peak:.0f} MB peak   {outcome}")
"""


def run_hostile(paths: list[Path], reader: str, timeout: float) -> None:
    for path in paths:
        started = time.perf_counter()
        child = subprocess.Popen([sys.executable, "-c", _CHILD, str(path), reader],
                                 stdout=subprocess.PIPE, text=True)
        try:
            out, _ = child.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            out = f"{peak_mb(child.pid):.0f} MB peak so far; killed after {timeout:.0f} s"
            child.kill()
            child.communicate()
        print(f"{path.name:20s} {time.perf_counter() - started:7.2f} s wall   {out.strip()}")


def peak_mb(pid: int) -> float:
    """The peak resident memory of a running process (Linux), in MB."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path)
    parser.add_argument("--hostile", action="store_true")
    parser.add_argument("--reader", default="")
    parser.add_argument("--timeout", type=float, default=120)
    args = parser.parse_args()
    if args.hostile:
        with tempfile.TemporaryDirectory(prefix="aiart-av-hostile-") as folder:
            run_hostile(write_hostile(Path(folder)), args.reader, args.timeout)
        return 0
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
