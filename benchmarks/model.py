"""Pickle scanning throughput: the model-files check against picklescan's
own command line, on the same files, in one run.

    python benchmarks/model.py [--count 300] [--tensors 200] [--repeat 3] [--keep DIR]

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
    args = parser.parse_args()
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


if __name__ == "__main__":
    main()
