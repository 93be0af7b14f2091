"""What the masking gate costs: on the example bundles (the seconds
`pipeline.assess` spends in `mask_for_display`, reported as
`timings.masking` in the JSON), per distinct string, and on long hostile
strings (each must stay far under the 10 s a hostile case may take).

    python benchmarks/masking_gate.py [--runs 3]

The wall time of a whole `assess` is not compared here: the gate costs
milliseconds, far below the noise of a run on a shared machine.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
EXAMPLES = ("own-work", "unlicensed-unfilled", "portrait-sessions", "nc-base-lora",
            "forum-fanart")
HOSTILE = {
    "spaced digits": " 1" * 50_000,
    "card-like groups": "4111 " * 100_000,
    "IBAN-like groups": "DE89 " * 100_000,
    "token= repeated": "token=" * 100_000,
    "a name repeated": "Maria " * 100_000,
    "a.a@ repeated": "a.a@" * 50_000,
    "hex and colons": "dead:" * 50_000,
    "profile links": "https://instagram.com/" * 20_000,
}


def gate_on_examples(runs: int) -> None:
    tool = Path(sys.executable).parent / "aiart-release"
    for name in EXAMPLES:
        seconds = []
        for _ in range(runs):
            out = subprocess.run([str(tool), "assess", f"examples/{name}", "-f", "json",
                                  "--no-cache"], capture_output=True, text=True, cwd=ROOT)
            seconds.append(json.loads(out.stdout)["timings"].get("masking", 0.0))
        print(f"{name:22s} gate {statistics.median(seconds) * 1000:6.1f} ms")


def gate_per_string() -> None:
    from aiart_release.masking import Gate
    from plugins.personal_data.maskers import _lexicons, name_spans, profile_spans

    started = time.perf_counter()
    _lexicons()
    print(f"name lexicons, first load: {(time.perf_counter() - started) * 1000:.0f} ms")
    gate = Gate([("personal-data", name_spans), ("personal-data", profile_spans)])
    texts = [f"data/images/session_{i:05d}/Maria Gonzalez {i}.png" for i in range(5000)] + [
        f"E-mail addresses in column `contact_{i}`: {i} of 5000 rows, write to x{i}@mail.org"
        for i in range(5000)]
    started = time.perf_counter()
    for text in texts:
        gate.redact(text)
    print(f"per distinct string: {(time.perf_counter() - started) / len(texts) * 1e6:.0f} µs")
    for name, text in HOSTILE.items():
        started = time.perf_counter()
        Gate([("personal-data", name_spans), ("personal-data", profile_spans)]).redact(text)
        print(f"{name:18s} {len(text) // 1000:4d} KB {time.perf_counter() - started:6.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    gate_on_examples(args.runs)
    gate_per_string()


if __name__ == "__main__":
    main()
