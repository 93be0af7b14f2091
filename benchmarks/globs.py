"""Exclude globs: the linear-time matcher (aiart_release/globs.py) against
pathspec's GitIgnoreSpec, which the inventory used before.

    python benchmarks/globs.py [--root .] [--hostile-seconds 30]

1. Ordinary patterns on every path under --root (default: this repository):
   the time per path, for the default excludes and for a longer list.
2. A hostile pattern (``*a*a…*b``, 16 stars) on names of growing length:
   the matcher's time, and pathspec's, given at most --hostile-seconds each
   (in a child process, killed at the limit) since it backtracks.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aiart_release.bundle import DEFAULT_EXCLUDES  # noqa: E402
from aiart_release.globs import GlobSet  # noqa: E402

HOSTILE = "*a" * 16 + "*b"
LONGER = [*DEFAULT_EXCLUDES, "scratch/", "*.tmp", "data/**/private/*.csv", "/build/",
          "docs/*.md"]


def paths_under(root: Path) -> list[str]:
    out = []
    for folder, dirs, files in os.walk(root):
        for name in dirs:
            out.append(os.path.relpath(os.path.join(folder, name), root) + "/")
        for name in files:
            out.append(os.path.relpath(os.path.join(folder, name), root))
    return out


def per_path_us(matcher, paths: list[str]) -> float:
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        for path in paths:
            matcher.match_file(path)
        best = min(best, time.perf_counter() - started)
    return best / len(paths) * 1e6


def _pathspec_hostile(length: int) -> None:
    from pathspec import GitIgnoreSpec

    GitIgnoreSpec.from_lines([HOSTILE]).match_file("a" * length)


def pathspec_hostile_seconds(length: int, limit: float) -> float | None:
    """Seconds pathspec took, or None when it was still going at ``limit``."""
    child = multiprocessing.Process(target=_pathspec_hostile, args=(length,))
    started = time.perf_counter()
    child.start()
    child.join(limit)
    if child.is_alive():
        child.kill()
        child.join()
        return None
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT)
    parser.add_argument("--hostile-seconds", type=float, default=30)
    args = parser.parse_args()

    from pathspec import GitIgnoreSpec

    paths = paths_under(args.root)
    print(f"{len(paths)} paths under {args.root}")
    for label, patterns in (("default excludes", list(DEFAULT_EXCLUDES)),
                            (f"{len(LONGER)} patterns", LONGER)):
        ours = per_path_us(GlobSet(patterns), paths)
        theirs = per_path_us(GitIgnoreSpec.from_lines(patterns), paths)
        print(f"  {label:18} globs.py {ours:6.1f} µs/path   pathspec {theirs:6.1f} µs/path")

    print(f"hostile pattern {HOSTILE!r}")
    matcher = GlobSet([HOSTILE])
    for length in (20, 30, 40, 255, 10_000):
        started = time.perf_counter()
        matcher.match_file("a" * length)
        ours = time.perf_counter() - started
        theirs = (pathspec_hostile_seconds(length, args.hostile_seconds)
                  if length <= 255 else None)
        shown = ("not run" if length > 255 else
                 f"> {args.hostile_seconds:.0f} s (killed)" if theirs is None else
                 f"{theirs:.2f} s")
        print(f"  name of {length:6} chars: globs.py {ours * 1000:8.2f} ms   pathspec {shown}")


if __name__ == "__main__":
    main()
