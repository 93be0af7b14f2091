"""The personal-data shortcut's promise, and how often it saves the analyzer.

    python benchmarks/pii_gate.py [--wnut DIR] [--table FILE.parquet --column NAME]

``analyzer.may_hold_personal_data`` answers "no" only for texts in which no
built-in recognizer could find anything; the check then skips spaCy and
Presidio for them. This runs the full analyzer on every text of each set
and counts, for the texts the gate passes over, those that get a hit
anyway (a broken promise: must be 0), and how many texts were passed over.

Sets: the project's labelled set (benchmarks/data/pii_eval.jsonl, a
development set), WNUT-17 dev and test (comments and tweets nobody here
wrote), and, with ``--table``, a column of captions from a Parquet file
(scraped alt text such as a LAION sample: captions are where the shortcut
matters, a first pre-commit run on one new caption).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pii_eval_data import load, load_conll  # noqa: E402

DEFAULT_WNUT = Path(__file__).resolve().parents[2] / "shared" / "data" / "wnut17"


def _captions(path: Path, column: str, limit: int) -> list[str]:
    import pyarrow.parquet as pq

    table = pq.read_table(path, columns=[column])
    return [v for v in table.column(column).to_pylist()[:limit] if isinstance(v, str)]


def measure(name: str, texts: list[str], analyzer) -> None:
    from aiart_release.default_plugins.personal_data.analyzer import may_hold_personal_data

    started = time.perf_counter()
    passed_over = [t for t in texts if not may_hold_personal_data(t)]
    gate_seconds = time.perf_counter() - started
    hits = analyzer.analyze([(t, "caption") for t in passed_over]) if passed_over else []
    broken = sum(1 for found in hits if found)
    print(f"{name:28} {len(texts):6,} texts  passed over {len(passed_over):6,} "
          f"({len(passed_over) / max(len(texts), 1):5.1%})  broken promises {broken}  "
          f"gate {gate_seconds * 1e6 / max(len(texts), 1):5.0f} us/text")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wnut", type=Path, default=DEFAULT_WNUT)
    parser.add_argument("--table", type=Path, help="a Parquet file of captions")
    parser.add_argument("--column", default="caption")
    parser.add_argument("--limit", type=int, default=20_000)
    args = parser.parse_args()

    from aiart_release.default_plugins.personal_data import check
    from aiart_release.plugins import build_registry

    factories = tuple(f for plugin, f in build_registry().recognizer_factories
                      if plugin == "personal-data")
    analyzer = check._analyzer({}, factories)
    measure("labelled set (development)", [r.text for r in load()], analyzer)
    for split in ("dev", "test"):
        path = args.wnut / f"{split}.conll"
        if path.exists():
            measure(f"WNUT-17 {split}", [r.text for r in load_conll(path, prefix=split)],
                    analyzer)
    if args.table:
        measure(f"{args.table.name}:{args.column}",
                _captions(args.table, args.column, args.limit), analyzer)
    return 0


if __name__ == "__main__":
    sys.exit(main())
