"""What a bundle at a URL copies to local disk, and how long it takes.

    python benchmarks/url_bundle_checks.py [--images 40] [--image-side 1024]
                                           [--table-mib 24] [--weights-mib 64]
                                           [--modes undeclared,declared]

Builds a ``memory://`` bundle (a model card, a licence, a dataset card,
``--images`` noise PNGs of about 3 bytes a pixel, a caption CSV and a
safetensors file) and assesses it twice with one result cache: cold, then
again unchanged (the re-assessment a CI job runs). For each run it prints
the bytes laid out at once (the small files), the bytes of lazy files
copied while the file checks ran and from the bundle checks on, and the
wall time.

Modes (each in a child process, a fresh interpreter):

  undeclared  every bundle check's ``bundle_reads`` set to None at run
              time: every lazy file is copied before the bundle checks,
              as before checks declared what they read;
  declared    the bundle checks as they are (each built-in one declares
              the kinds it reads).

Also prints the load average: on a busy machine every time is inflated,
compare the modes measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def write_bundle(fs, base: str, images: int, side: int, table_mib: int,
                 weights_mib: int) -> None:
    import io

    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(7)
    fs.pipe(f"/{base}/README.md", b"---\nlicense: mit\n---\n# A model\n\nTrained on our "
            b"own photographs.\n")
    fs.pipe(f"/{base}/LICENSE", b"MIT License\n\nCopyright (c) 2026 A Studio\n")
    fs.pipe(f"/{base}/data/README.md", b"# Our photographs\n\nTaken by us, with consent.\n")
    for i in range(images):
        pixels = rng.integers(0, 256, (side, side, 3), dtype=np.uint8)
        out = io.BytesIO()
        Image.fromarray(pixels).save(out, format="PNG", compress_level=1)
        fs.pipe(f"/{base}/data/images/{i:05d}.png", out.getvalue())
    row = "00000.png,a photograph of a quiet street at dusk\n"
    rows = ["file_name,caption\n"] + [row] * (table_mib * 1024 * 1024 // len(row))
    fs.pipe(f"/{base}/data/captions.csv", "".join(rows).encode())
    header = json.dumps({"w": {"dtype": "U8", "shape": [weights_mib * 1024 * 1024],
                               "data_offsets": [0, weights_mib * 1024 * 1024]}}).encode()
    header += b" " * (-len(header) % 8)
    fs.pipe(f"/{base}/model.safetensors", len(header).to_bytes(8, "little") + header
            + bytes(weights_mib * 1024 * 1024))


class Copies:
    """The lazy bytes copied, by stage (remote_source.UrlBundle.fetch)."""

    def __init__(self) -> None:
        from aiart_release import engine, remote_source

        self.stage = "file checks"
        self.bytes: dict[str, int] = {}
        self.laid_out = 0
        fetch, lay_out, bundle_checks = (remote_source.UrlBundle.fetch, remote_source._lay_out,
                                         engine._run_bundle_checks)
        copies = self

        def counted_fetch(bundle, paths):
            due = {p for p in paths if p in bundle.lazy and p not in bundle.fetched}
            fetch(bundle, paths)
            copies.bytes[copies.stage] = (copies.bytes.get(copies.stage, 0)
                                          + sum(bundle.lazy[p] for p in due))

        def counted_lay_out(bundle, listing, max_file_size):
            lay_out(bundle, listing, max_file_size)
            copies.laid_out = sum(bundle.sizes.values()) - sum(bundle.lazy.values())

        def staged(*args, **kwargs):
            copies.stage = "bundle checks and after"
            return bundle_checks(*args, **kwargs)

        remote_source.UrlBundle.fetch = counted_fetch
        remote_source._lay_out = counted_lay_out
        engine._run_bundle_checks = staged


def child(args: argparse.Namespace) -> None:
    import fsspec

    from aiart_release import pipeline
    from aiart_release.config import load_config
    from aiart_release.engine import Options
    from aiart_release.plugins import build_registry
    from aiart_release.policy import load_policy
    from aiart_release.remote_source import opened_bundle

    fs = fsspec.filesystem("memory")
    write_bundle(fs, "bench", args.images, args.image_side, args.table_mib, args.weights_mib)
    total = sum(fs.du("/bench", total=False).values())
    registry = build_registry()
    if args.child == "undeclared":
        for check in registry.checks.values():
            type(check).bundle_reads = None
    copies = Copies()
    cache = Path(tempfile.mkdtemp(prefix="aiart-bench-cache-"))
    runs = []
    for run in ("cold", "unchanged"):
        copies.stage, copies.bytes = "file checks", {}
        started = time.perf_counter()
        with opened_bundle("memory://bench") as bundle:
            config = load_config(bundle.folder)
            pipeline.assess(bundle.folder, registry, config, load_policy(),
                            Options(cache_dir=cache, jobs=args.jobs))
        runs.append({"run": run, "seconds": round(time.perf_counter() - started, 2),
                     "laid_out": copies.laid_out, **copies.bytes})
    print(json.dumps({"mode": args.child, "bundle_bytes": total, "runs": runs}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=40)
    parser.add_argument("--image-side", type=int, default=1024)
    parser.add_argument("--table-mib", type=int, default=24)
    parser.add_argument("--weights-mib", type=int, default=64)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--modes", default="undeclared,declared")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for mode in args.modes.split(","):
        out = subprocess.run([sys.executable, __file__, "--child", mode,
                              *sys.argv[1:]], capture_output=True, text=True, check=False)
        if out.returncode != 0:
            print(f"{mode}: failed\n{out.stderr[-2000:]}")
            continue
        result = json.loads(out.stdout.strip().splitlines()[-1])
        mib = 1024 * 1024
        print(f"{mode}: bundle of {result['bundle_bytes'] / mib:.1f} MiB")
        for run in result["runs"]:
            copied = {k: v for k, v in run.items() if k not in ("run", "seconds", "laid_out")}
            shown = ", ".join(f"{k} {v / mib:.1f} MiB" for k, v in copied.items()) or "none"
            print(f"  {run['run']:9} {run['seconds']:7.2f} s  laid out {run['laid_out'] / mib:.2f}"
                  f" MiB; lazy files copied: {shown}")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
