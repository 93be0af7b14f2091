"""Start-up time of the CLI: `aiart-release --help`, `aiart-release plugins`
and a small `assess`, against the floor (a bare Python interpreter) and a
tool that runs beside us in the same pre-commit pipeline (`pre-commit`).

    python benchmarks/startup.py [--runs 15]

Prints the median wall time of each command and its ratio to the floor and
to pre-commit. Aim: --help and plugins under 0.5 s each.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def timed(cmd: list[str], runs: int) -> float:
    env = {**os.environ, "AIART_RELEASE_CACHE_DIR": str(ROOT / "build" / "bench-cache")}
    subprocess.run(cmd, capture_output=True, env=env)  # warm the file cache
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, env=env)
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

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, {platform.system()} {platform.release()}")
    print(f"median of {args.runs} runs each\n")
    results = {name: timed(cmd, args.runs) for name, cmd in commands.items()}
    floor = results["python -c pass (floor)"]
    ref = results.get("pre-commit --help")
    print(f"{'command':44} {'median s':>9} {'x floor':>8} {'x pre-commit':>13}")
    for name, seconds in results.items():
        vs_ref = f"{seconds / ref:13.2f}" if ref else f"{'-':>13}"
        print(f"{name:44} {seconds:9.3f} {seconds / floor:8.1f} {vs_ref}")
    for name in ("aiart-release --help", "aiart-release plugins"):
        verdict = "ok" if results[name] < 0.5 else "OVER the 0.5 s aim"
        print(f"{name}: {verdict}")


if __name__ == "__main__":
    main()
