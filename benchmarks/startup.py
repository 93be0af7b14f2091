"""Start-up time of the CLI: `aiart-release --help`, `aiart-release plugins`,
a small `assess`, and `aiart-release hook` on one staged caption whose
result is cached, against the floor (a bare Python interpreter) and the
tools that run beside us in the same pre-commit pipeline (`pre-commit`,
and `detect-secrets-hook` on the same staged file).

    python benchmarks/startup.py [--runs 15]

Prints the median wall time of each command and its ratio to the floor and
to pre-commit. Aims: --help and plugins under 0.5 s each; the cached hook no
slower than detect-secrets-hook (issue 13).
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
BIN = Path(sys.executable).parent


GIT_ENV = {"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
CAPTION = "data/caption.txt"


def one_file_repository(root: Path) -> Path:
    """A git repository with one caption staged, as a commit would add it."""
    repo = root / "repo"
    (repo / "data").mkdir(parents=True)
    (repo / CAPTION).write_text("a lighthouse on a cliff, gulls overhead\n")
    for args in (["init", "-q"], ["add", CAPTION]):
        subprocess.run(["git", *args], cwd=repo, env={**os.environ, **GIT_ENV}, check=True)
    return repo


def timed(cmd: list[str], runs: int, cwd: Path | None = None) -> float:
    env = {**os.environ, **GIT_ENV,
           "AIART_RELEASE_CACHE_DIR": str(ROOT / "build" / "bench-cache")}
    subprocess.run(cmd, capture_output=True, env=env, cwd=cwd)  # the file and result caches
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, env=env, cwd=cwd)
        samples.append(time.perf_counter() - start)
        if proc.returncode not in (0, 1):
            raise SystemExit(f"{' '.join(cmd)} failed: {proc.stderr.decode()[-400:]}")
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()

    tool = str(BIN / "aiart-release")
    precommit = shutil.which("pre-commit", path=str(BIN)) or shutil.which("pre-commit")
    commands = {
        "python -c pass (floor)": [sys.executable, "-c", "pass"],
        "aiart-release --help": [tool, "--help"],
        "aiart-release plugins": [tool, "plugins"],
        "aiart-release assess examples/own-work": [tool, "assess", str(ROOT / "examples/own-work")],
        "aiart-release assess --no-cache": [tool, "assess", "--no-cache",
                                            str(ROOT / "examples/own-work")],
    }
    if precommit:
        commands["pre-commit --help"] = [precommit, "--help"]

    detect = shutil.which("detect-secrets-hook", path=str(BIN))

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, {platform.system()} {platform.release()}, "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"median of {args.runs} runs each\n")
    results = {name: timed(cmd, args.runs) for name, cmd in commands.items()}
    with tempfile.TemporaryDirectory(prefix="aiart-startup-") as temporary:
        repo = one_file_repository(Path(temporary))
        results["aiart-release hook (1 staged caption, cached)"] = timed(
            [tool, "hook"], args.runs, cwd=repo)
        if detect:
            results["detect-secrets-hook (the same file)"] = timed(
                [detect, CAPTION], args.runs, cwd=repo)
    floor = results["python -c pass (floor)"]
    ref = results.get("pre-commit --help")
    print(f"{'command':44} {'median s':>9} {'x floor':>8} {'x pre-commit':>13}")
    for name, seconds in results.items():
        vs_ref = f"{seconds / ref:13.2f}" if ref else f"{'-':>13}"
        print(f"{name:44} {seconds:9.3f} {seconds / floor:8.1f} {vs_ref}")
    for name in ("aiart-release --help", "aiart-release plugins"):
        verdict = "ok" if results[name] < 0.5 else "OVER the 0.5 s aim"
        print(f"{name}: {verdict}")
    if detect:
        ratio = (results["aiart-release hook (1 staged caption, cached)"]
                 / results["detect-secrets-hook (the same file)"])
        print(f"hook / detect-secrets-hook: {ratio:.2f} (aim <= 1: "
              f"{'met' if ratio <= 1 else 'NOT met'})")


if __name__ == "__main__":
    main()
