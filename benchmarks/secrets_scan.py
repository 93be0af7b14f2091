"""The secrets check against the ``detect-secrets scan`` command, on the same
files, in one run; and what each detect-secrets plugin finds on real
repositories.

    python benchmarks/secrets_scan.py [--files 2000] [--seed 7]
    python benchmarks/secrets_scan.py --corpus /work/realworld/* /work/blind/*

Without ``--corpus``, a repository is generated in a temporary folder:
``--files`` text files (Python, YAML, JSON, Markdown and ``.env``) made of
this project's own source lines, one file in fifty with a planted token
(Hugging Face, AWS, GitHub, a private key). With ``--corpus``, each folder
given is one repository, read where it is (never copied).

For each repository, timed:

  (a) ``detect-secrets scan FILES…`` (its defaults: every plugin, every
      default filter), as a user would run it, in a child process;
  (b) this check (``plugins/secrets``) on the same files, in a child
      process too: interpreter start, imports, reading and scanning, the
      same costs (a) pays.

Prints, for each: wall seconds, CPU seconds, secrets found; the ratio a/b
(aim: at least 1, no slower than detect-secrets); and, per detect-secrets
plugin, how many findings it made against how many this check reports, by
finding id. The "files" are those the check reads (code, text,
configuration, cards, manifests), listed by the same inventory walk
``aiart-release assess`` uses.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
DETECT_SECRETS = str(Path(PYTHON).parent / "detect-secrets")

# Made-up values shaped like live credentials.
PLANTED = (
    'HF_TOKEN = "hf_Zq8KxPbLm2VnRt5YwJcDgHs9FeUaXoQiTk"',  # pragma: allowlist secret
    'AWS_ACCESS_KEY_ID = "AKIAZ3MHQ6QY2XK7WJ4N"',  # pragma: allowlist secret
    'gh = "ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"',  # pragma: allowlist secret
    "-----BEGIN RSA PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8"
    "cKBwj6f8Kx2q3Lm9PzR4sT7uV1wX3yZ5aB\n-----END RSA PRIVATE KEY-----",
)
SUFFIXES = (".py", ".py", ".py", ".yaml", ".json", ".md", ".env")

# Run in a child process: this check on the files named on stdin.
CHECK_SCRIPT = """
import sys
from pathlib import Path
from aiart_release.bundle import BundleFile
from aiart_release.checks import FileContext
from aiart_release.default_plugins.secrets.check import SecretsCheck
root = Path(sys.argv[1])
check, ctx, found = SecretsCheck(), FileContext(), []
for line in sys.stdin:
    rel, kind, context = line.rstrip("\\n").split("\\t")
    path = root / rel
    file = BundleFile(rel, path, path.stat().st_size, kind, "code", context=context or None)
    found += [f.id for f in check.scan_file(file, ctx) if f.id.startswith("secret.")]
print("\\n".join(found))
"""


def generate(folder: Path, files: int, seed: int) -> None:
    rng = random.Random(seed)
    lines = [line for path in sorted((ROOT / "aiart_release").rglob("*.py"))
             for line in path.read_text(encoding="utf-8").splitlines()]
    for i in range(files):
        suffix = SUFFIXES[i % len(SUFFIXES)]
        start = rng.randrange(len(lines) - 200)
        body = lines[start:start + rng.randint(50, 200)]
        if i % 50 == 0:
            body.insert(len(body) // 2, PLANTED[(i // 50) % len(PLANTED)])
        path = folder / f"pkg{i % 40}" / f"module_{i}{suffix}"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(body) + "\n", encoding="utf-8")


def inventory(folder: Path) -> list[tuple[str, str, str]]:
    """``(path, kind, context)`` of each file the secrets check reads."""
    from aiart_release.config import Config
    from aiart_release.default_plugins.secrets.check import SecretsCheck
    from aiart_release.engine import Options
    from aiart_release.pipeline import take_inventory
    from aiart_release.plugins import build_registry

    inv = take_inventory(folder, build_registry(), Config(), Options())
    kinds = SecretsCheck.kinds
    return [(f.path, f.kind, f.context or "") for f in inv.files
            if f.kind in kinds and f.readable and f.context != "generated"]


def timed(command: list[str], cwd: Path, stdin: str = "") -> tuple[float, float, str]:
    """Wall and CPU seconds of a child process, and its standard output."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, input=stdin, capture_output=True, text=True,
                          check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.stdout


def detect_secrets(folder: Path, files: list[str]) -> tuple[float, float, collections.Counter]:
    wall, cpu, out = timed([DETECT_SECRETS, "scan", *files], folder)
    results = json.loads(out)["results"]
    return wall, cpu, collections.Counter(s["type"] for found in results.values()
                                          for s in found)


def this_check(folder: Path, files: list[tuple[str, str, str]]
               ) -> tuple[float, float, collections.Counter]:
    stdin = "".join(f"{path}\t{kind}\t{context}\n" for path, kind, context in files)
    wall, cpu, out = timed([PYTHON, "-c", CHECK_SCRIPT, str(folder)], ROOT, stdin)
    return wall, cpu, collections.Counter(line for line in out.splitlines() if line)


def measure(folder: Path) -> tuple[tuple, tuple]:
    files = inventory(folder)
    if not files:
        return (0.0, 0.0, collections.Counter()), (0.0, 0.0, collections.Counter())
    theirs = detect_secrets(folder, [path for path, _, _ in files])
    ours = this_check(folder, files)
    size = sum((folder / path).stat().st_size for path, _, _ in files)
    print(f"{folder.name}: {len(files)} files, {size / 1e6:.1f} MB")
    print(f"  detect-secrets scan  {theirs[0]:7.2f} s wall {theirs[1]:7.2f} s CPU  "
          f"{sum(theirs[2].values()):5d} found  {dict(theirs[2])}")
    print(f"  this check           {ours[0]:7.2f} s wall {ours[1]:7.2f} s CPU  "
          f"{sum(ours[2].values()):5d} found  {dict(ours[2])}")
    print(f"  ratio (detect-secrets / this check): wall {theirs[0] / ours[0]:.2f}x, "
          f"CPU {theirs[1] / max(ours[1], 1e-9):.2f}x")
    return theirs, ours


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--corpus", nargs="+", type=Path,
                        help="repositories to measure in place (read only)")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    if args.corpus:
        folders = args.corpus
        results = [measure(folder) for folder in folders if folder.is_dir()]
    else:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / "generated"
            generate(folder, args.files, args.seed)
            results = [measure(folder)]
    theirs = [sum(r[0][i] for r in results) for i in (0, 1)]
    ours = [sum(r[1][i] for r in results) for i in (0, 1)]
    print(f"all: detect-secrets {theirs[0]:.2f} s wall {theirs[1]:.2f} s CPU; "
          f"this check {ours[0]:.2f} s wall {ours[1]:.2f} s CPU; "
          f"ratio wall {theirs[0] / max(ours[0], 1e-9):.2f}x, "
          f"CPU {theirs[1] / max(ours[1], 1e-9):.2f}x")
    their_types = sum((r[0][2] for r in results), collections.Counter())
    our_ids = sum((r[1][2] for r in results), collections.Counter())
    print("detect-secrets findings by plugin:", dict(their_types.most_common()))
    print("this check's findings by id:     ", dict(our_ids.most_common()))


if __name__ == "__main__":
    main()
