"""Speed of the personal-data check on a caption table, against Presidio's
own batch engine and the spaCy NER floor, in one run.

    python benchmarks/pii_speed.py [--rows 20000] [--seed 7]
    python benchmarks/pii_speed.py --memory --rows 1000000

Generates N caption rows (about 20 tokens each; 10 % hold personal data;
30 % repeat an earlier caption; about a third name a place or a style with
capitals, as real captions do), writes them to a CSV file, and times:

  (a) this check, scanning the CSV file (reading, deduplication, spaCy,
      Presidio recognizers, our recognizers, aggregation);
  (b) Presidio `BatchAnalyzerEngine` with its default recognizers on the same
      texts and the same spaCy model (batch size 64);
  (c) spaCy `nlp.pipe` with only the NER components, on the same texts: the
      floor for anything that runs NER on every row.

Models are loaded before timing starts, for all three. Prints rows/s and the
ratios a/b and a/c. With --memory, runs only (a) on the generated file in a
child process and prints its peak RSS.
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

from pii_speed_data import captions as generate  # noqa: E402


def write_csv(path: Path, captions: list[str]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file_name", "caption"])
        for i, text in enumerate(captions):
            writer.writerow([f"images/{i:07d}.png", text])


def scan_with_check(path: Path) -> tuple[float, int]:
    """Time this check on the CSV; returns (seconds, findings)."""
    from aiart_release.bundle import BundleFile
    from aiart_release.checks import FileContext
    from aiart_release.default_plugins.personal_data.check import PersonalData, _analyzer
    from aiart_release.plugins import build_registry

    factories = tuple(f for _, f in build_registry().recognizer_factories)
    _analyzer({}, factories).analyze([("warm-up text by Maria Gonzalez", "caption")])
    file = BundleFile(path.name, path, path.stat().st_size, "table", "dataset")
    ctx = FileContext(recognizers=factories)
    start = time.perf_counter()
    findings = list(PersonalData().scan_file(file, ctx))
    return time.perf_counter() - start, len(findings)


def presidio_batch(texts: list[str]) -> float:
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
    list(batch.analyze_iterator(["warm-up text by Maria Gonzalez"], language="en"))
    start = time.perf_counter()
    list(batch.analyze_iterator(texts, language="en", batch_size=64))
    return time.perf_counter() - start


def spacy_floor(texts: list[str]) -> float:
    import spacy

    from aiart_release.default_plugins.personal_data.analyzer import DEFAULT_MODEL, NER_EXCLUDE

    nlp = spacy.load(DEFAULT_MODEL, exclude=NER_EXCLUDE)
    list(nlp.pipe(["warm-up text by Maria Gonzalez"]))
    start = time.perf_counter()
    for _ in nlp.pipe(texts, batch_size=256):
        pass
    return time.perf_counter() - start


def memory(rows: int, seed: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "captions.csv"
        write_csv(path, generate(rows, seed))
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
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--memory", action="store_true",
                        help="only measure this check's peak memory on a generated CSV")
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}")
    if args.memory:
        memory(args.rows, args.seed)
        return
    texts = generate(args.rows, args.seed)
    tokens = sum(len(t.split()) for t in texts) / len(texts)
    print(f"{len(texts):,} rows, {len(set(texts)):,} distinct, ~{tokens:.0f} words each\n")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "captions.csv"
        write_csv(path, texts)
        a, found = scan_with_check(path)
    b = presidio_batch(texts)
    c = spacy_floor(texts)
    n = len(texts)
    print(f"{'':48} {'seconds':>8} {'rows/s':>9}")
    print(f"{'(a) this check (CSV file, ' + str(found) + ' findings)':48} {a:8.2f} {n / a:9.0f}")
    print(f"{'(b) Presidio BatchAnalyzerEngine, defaults':48} {b:8.2f} {n / b:9.0f}")
    print(f"{'(c) spaCy nlp.pipe, NER only (floor)':48} {c:8.2f} {n / c:9.0f}")
    print(f"\nspeed-up over Presidio (b/a): {b / a:.1f}x (aim: at least 3x)")
    print(f"time relative to the NER floor (a/c): {a / c:.2f}x (aim: within 2x)")


if __name__ == "__main__":
    main()
