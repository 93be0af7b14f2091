"""Cold versus warm assessment: what the result cache saves.

    python benchmarks/cache.py [--runs 3] [BUNDLE ...]

For each bundle (by default two examples and two real repositories, read
only) it times `aiart-release assess -f json`:

- cold: an empty cache folder (every check runs, every result is written);
- warm: the same cache folder again (an unchanged bundle: every result read);
- no cache: `--no-cache` (nothing read or written).

Prints the median of each, warm/cold (the hook's target is at most 10%),
and the cache's size on disk after the warm run. Each run is a fresh
process, as a pre-commit hook or a CI step would be.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOOL = Path(sys.executable).parent / "aiart-release"
DEFAULT_BUNDLES = [
    ROOT / "examples" / "portrait-sessions",
    ROOT / "examples" / "forum-fanart",
    Path("/work/realworld/openai+CLIP"),
    Path("/work/realworld/mikf+gallery-dl"),
]


def _timed(bundle: Path, cache: Path, *extra: str) -> float:
    env = {**os.environ, "AIART_RELEASE_CACHE_DIR": str(cache)}
    start = time.perf_counter()
    proc = subprocess.run([str(TOOL), "assess", str(bundle), "-f", "json", *extra],
                          capture_output=True, env=env)
    seconds = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{bundle} failed ({proc.returncode}): {proc.stderr.decode()[-400:]}")
    return seconds


def _size(folder: Path) -> int:
    """Bytes the cache holds, without the lexicons derived from Faker."""
    return sum(p.stat().st_size for p in folder.rglob("*")
               if p.is_file() and "derived" not in p.parts)


def measure(bundle: Path, runs: int) -> dict[str, float]:
    cold, warm, none, size = [], [], [], 0
    # One throwaway run builds the Faker lexicons in a shared folder that is
    # copied into each fresh cache: cold measures the results, not Faker.
    with tempfile.TemporaryDirectory() as scratch:
        lexicons = Path(scratch) / "lexicons"
        _timed(bundle, lexicons)
        for i in range(runs):
            cache = Path(scratch) / f"cache{i}"
            cache.mkdir()
            if (lexicons / "derived").is_dir():
                shutil.copytree(lexicons / "derived", cache / "derived")
            cold.append(_timed(bundle, cache))
            warm.append(_timed(bundle, cache))
            size = _size(cache)
            none.append(_timed(bundle, cache, "--no-cache"))
    return {"cold": statistics.median(cold), "warm": statistics.median(warm),
            "none": statistics.median(none), "bytes": size}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("bundles", nargs="*", type=Path, default=DEFAULT_BUNDLES)
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}; median of {args.runs} runs\n")
    print(f"{'bundle':36} {'files':>6} {'cold s':>7} {'warm s':>7} {'warm/cold':>9} "
          f"{'--no-cache s':>12} {'cache KB':>9}")
    for bundle in args.bundles:
        if not bundle.is_dir():
            print(f"{bundle.name:36} (missing)")
            continue
        files = sum(1 for p in bundle.rglob("*") if p.is_file() and ".git" not in p.parts)
        m = measure(bundle, args.runs)
        print(f"{bundle.name:36} {files:6} {m['cold']:7.2f} {m['warm']:7.2f} "
              f"{m['warm'] / m['cold']:9.0%} {m['none']:12.2f} {m['bytes'] / 1024:9.0f}")


if __name__ == "__main__":
    main()
