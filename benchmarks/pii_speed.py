"""Speed of the personal-data check against Presidio's own batch engine, on a
caption table, an image-URL table and training logs, in one run.

    python benchmarks/pii_speed.py [--rows 20000] [--url-rows 20000]
                                   [--log-lines 1000,10000,100000] [--seed 7]
                                   [--only captions|urls|logs]
    python benchmarks/pii_speed.py --memory --rows 1000000

The inputs are generated (deterministic, see pii_speed_data.py) and written
to files:

- captions: N caption rows (about 12 words each; 10 % hold personal data;
  30 % repeat an earlier caption; a third name a place or a style in
  capitals), a CSV with a file-name column;
- urls: N rows of an image-URL list (image URL, landing page, caption,
  width, height, MD5), the shape of web-scraped caption datasets, with the
  long digit runs, ``@2x`` suffixes and query strings real URLs carry;
- logs: training logs of 1k, 10k and 100k lines (``step 3 loss 0.6931 lr
  0.00026 ...``), no blank line anywhere.

Timed, with every model loaded before timing starts:

  (a) this check, scanning the file (reading, deduplication, spaCy, Presidio
      recognizers, our recognizers, aggregation);
  (b) Presidio ``BatchAnalyzerEngine`` with its default recognizers on the
      same cells and the same spaCy model (``analyze_dict`` over the columns,
      batch size 64);
  (c) on captions only, spaCy ``nlp.pipe`` with only the NER components: the
      floor for anything that runs NER on every row.

Prints rows/s and the ratio b/a for each table (aim: at least 3x), and the
time per line of each log (aim: flat as the log grows). With --memory, runs
only (a) on a generated caption CSV in a child process and prints its peak
RSS.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pii_speed_data import URL_COLUMNS, captions, training_log, url_rows  # noqa: E402

WARM_UP = "warm-up text by Maria Gonzalez, call 415-555-0199"


def write_table(path: Path, columns: list[str], rows: list[dict[str, str]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, columns)
        writer.writeheader()
        writer.writerows(rows)


def caption_rows(texts: list[str]) -> list[dict[str, str]]:
    return [{"file_name": f"images/{i:07d}.png", "caption": text} for i, text in enumerate(texts)]


def scan_with_check(path: Path, kind: str = "table") -> tuple[float, int]:
    """Time this check on one file; returns (seconds, findings)."""
    from aiart_release.bundle import BundleFile
    from aiart_release.checks import FileContext
    from aiart_release.default_plugins.personal_data.check import PersonalData, _analyzer
    from aiart_release.plugins import build_registry

    factories = tuple(f for _, f in build_registry().recognizer_factories)
    _analyzer({}, factories).analyze([(WARM_UP, "caption")])
    file = BundleFile(path.name, path, path.stat().st_size, kind, "dataset")
    ctx = FileContext(recognizers=factories)
    start = time.perf_counter()
    findings = list(PersonalData().scan_file(file, ctx))
    return time.perf_counter() - start, len(findings)


_BATCH: list = []


def _presidio():
    if _BATCH:
        return _BATCH[0]
    from presidio_analyzer import AnalyzerEngine, BatchAnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    from aiart_release.default_plugins.personal_data.analyzer import (
        DEFAULT_MODEL,
        _offline_tldextract,
    )

    _offline_tldextract()
    provider = NlpEngineProvider(nlp_configuration={
        "nlp_engine_name": "spacy", "models": [{"lang_code": "en", "model_name": DEFAULT_MODEL}]})
    engine = AnalyzerEngine(nlp_engine=provider.create_engine(), supported_languages=["en"])
    batch = BatchAnalyzerEngine(analyzer_engine=engine)
    list(batch.analyze_iterator([WARM_UP], language="en"))
    _BATCH.append(batch)
    return batch


def presidio_batch(columns: list[str], rows: list[dict[str, str]]) -> float:
    """Presidio's table API over the same cells (every column as a list)."""
    batch = _presidio()
    table = {name: [row[name] for row in rows] for name in columns}
    start = time.perf_counter()
    for result in batch.analyze_dict(table, language="en", batch_size=64):
        list(result.recognizer_results)
    return time.perf_counter() - start


def spacy_floor(texts: list[str]) -> float:
    import spacy

    from aiart_release.default_plugins.personal_data.analyzer import DEFAULT_MODEL, NER_EXCLUDE

    nlp = spacy.load(DEFAULT_MODEL, exclude=NER_EXCLUDE)
    list(nlp.pipe([WARM_UP]))
    start = time.perf_counter()
    for _ in nlp.pipe(texts, batch_size=256):
        pass
    return time.perf_counter() - start


def _row(label: str, seconds: float, n: int) -> None:
    print(f"{label:52} {seconds:8.2f} {n / seconds:9.0f}")


def table(name: str, columns: list[str], rows: list[dict[str, str]], floor: bool) -> None:
    n = len(rows)
    print(f"\n== {name}: {n:,} rows, columns {', '.join(columns)} ==")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{name}.csv"
        write_table(path, columns, rows)
        a, found = scan_with_check(path)
    b = presidio_batch(columns, rows)
    print(f"{'':52} {'seconds':>8} {'rows/s':>9}")
    _row(f"(a) this check (CSV file, {found} findings)", a, n)
    _row("(b) Presidio BatchAnalyzerEngine.analyze_dict, defaults", b, n)
    if floor:
        c = spacy_floor([row["caption"] for row in rows])
        _row("(c) spaCy nlp.pipe, NER only, caption column (floor)", c, n)
    print(f"speed-up over Presidio (b/a): {b / a:.1f}x (aim: at least 3x)")
    if floor:
        print(f"time relative to the NER floor (a/c): {a / c:.2f}x (aim: within 2x)")


def logs(sizes: list[int], seed: int) -> None:
    print("\n== training logs (one `step N loss ... lr ...` line per step) ==")
    print(f"{'lines':>9} {'MB':>6} {'seconds':>8} {'µs/line':>8} {'findings':>9}")
    per_line = []
    with tempfile.TemporaryDirectory() as tmp:
        for lines in sizes:
            path = Path(tmp) / f"train-{lines}.log"
            path.write_text(training_log(lines, seed), encoding="utf-8")
            seconds, found = scan_with_check(path, kind="text")
            per_line.append(seconds / lines)
            print(f"{lines:9,} {path.stat().st_size / 1e6:6.1f} {seconds:8.2f} "
                  f"{1e6 * seconds / lines:8.0f} {found:9}")
    if len(per_line) > 1:
        print(f"time per line, largest / smallest log: {per_line[-1] / per_line[0]:.2f} "
              "(aim: flat, about 1)")


def memory(rows: int, seed: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "captions.csv"
        write_table(path, ["file_name", "caption"], caption_rows(captions(rows, seed)))
        size = path.stat().st_size
        here = str(Path(__file__).parent)
        code = (f"import sys; sys.path.insert(0, {here!r}); from pii_speed import "
                f"scan_with_check; from pathlib import Path; "
                f"s, n = scan_with_check(Path({str(path)!r})); "
                "print(f'{s:.1f} s, {n} findings')")
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        elapsed = time.perf_counter() - start
        if proc.returncode:
            raise SystemExit(proc.stderr[-2000:])
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"{rows:,} rows, CSV {size / 1e6:.0f} MB: scan {proc.stdout.strip()}, "
              f"wall {elapsed:.1f} s with model load, peak RSS {peak:.0f} MiB "
              f"({'under' if peak < 1536 else 'OVER'} the 1.5 GB aim)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000, help="caption rows")
    parser.add_argument("--url-rows", type=int, default=20_000, help="image-URL rows")
    parser.add_argument("--log-lines", default="1000,10000,100000",
                        help="comma-separated log sizes in lines")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--only", choices=["captions", "urls", "logs"])
    parser.add_argument("--memory", action="store_true",
                        help="only measure this check's peak memory on a generated CSV")
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}")
    if args.memory:
        memory(args.rows, args.seed)
        return
    if args.only in (None, "captions"):
        texts = captions(args.rows, args.seed)
        words = sum(len(t.split()) for t in texts) / len(texts)
        print(f"captions: {len(set(texts)):,} distinct, ~{words:.0f} words each")
        table("captions", ["file_name", "caption"], caption_rows(texts), floor=True)
    if args.only in (None, "urls"):
        table("image-URL list", URL_COLUMNS, url_rows(args.url_rows, args.seed), floor=False)
    if args.only in (None, "logs"):
        logs([int(n) for n in args.log_lines.split(",")], args.seed)


if __name__ == "__main__":
    main()
