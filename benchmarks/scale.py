"""Scaling: one caption Parquet of many row groups, assessed three ways.

    python benchmarks/scale.py [--rows 2000000] [--row-group 10000]
                               [--overhead-rows 20000] [--seed 7]
                               [--ways local,dask1,dask2]

Writes a generated caption table (benchmarks/pii_speed_data.py: about 12
words a caption, 10 % holding personal data, 30 % repeats) as Parquet with a
row group every ``--row-group`` rows, in a bundle of its own, and assesses it
(``pipeline.assess``, no cache) with:

  local  the engine's process pool, one worker per core (--jobs N);
  dask1  a Dask LocalCluster of one worker process;
  dask2  a Dask LocalCluster of two worker processes.

Each way runs in a child process (a fresh interpreter: no analyzer already
loaded), and the table is cut into the same parts for every way. Prints
rows per second for each, the scaling ratio dask2/dask1 (aim: at least
1.7), and on a bundle of ``--overhead-rows`` rows the overhead of dask2 over
local (aim: at most 25 %). Also prints the load average: on a busy machine
every figure is low, the ratios less so.

``--per-task N`` measures instead Dask's cost per unit: N empty units
through the engine's executor (``DaskExecutor.run``) on a LocalCluster of
two workers, sent as root tasks in one graph and, for comparison, one
``submit`` each (the sending before allowed-failures 1; docs/scale.md).

``--url`` assesses the bundle at its ``file://`` URL instead of its path
(remote_source.py): the table is then cut, and its parts read by the
workers, at the URL, and the run pays the layout of the bundle in a
temporary folder; compare with a run without it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

# local: the pool with a worker per core (the automatic choice runs a small
# bundle in one process).
WAYS = {"local": ("local", os.cpu_count() or 1), "dask1": ("dask", 1), "dask2": ("dask", 2)}


def write_bundle(root: Path, rows: int, row_group: int, seed: int) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq
    from pii_speed_data import captions

    (root / "data").mkdir(parents=True, exist_ok=True)
    texts = captions(rows, seed)
    table = pa.table({"file_name": [f"images/{i:08d}.png" for i in range(rows)],
                      "caption": texts})
    pq.write_table(table, root / "data" / "captions.parquet", row_group_size=row_group)
    (root / "README.md").write_text("# Captions\n\nGenerated for benchmarks/scale.py.\n",
                                    encoding="utf-8")
    return root


def assess_once(bundle: str, executor: str, workers: int | None,
                part_rows: int | None = None) -> dict:
    """In the child: one assessment; its seconds and what it found."""
    if part_rows:
        from aiart_release.readers import tables

        tables.PART_ROWS = part_rows
    from aiart_release.config import load_config
    from aiart_release.engine import Options
    from aiart_release.pipeline import assess
    from aiart_release.plugins import build_registry
    from aiart_release.policy import load_policy
    from aiart_release.remote_source import opened_bundle

    registry = build_registry()
    policy = load_policy(None)
    options = Options(executor=executor, jobs=workers, use_cache=False)
    started = time.perf_counter()
    with opened_bundle(bundle) as opened:  # a URL: laid out, and timed with the run
        config = load_config(opened.folder)
        assessment = assess(opened.folder, registry, config, policy, options)
    seconds = time.perf_counter() - started
    pii = [f for f in assessment.findings if f.id.startswith("pii.")]
    return {"seconds": seconds, "pii_findings": len(pii),
            "rows_flagged": sum(f.count or 1 for f in pii)}


PART_ROWS: int | None = None  # --part-rows
AT_URL = False  # --url


def run_way(bundle: Path, way: str, executor: str | None = None) -> dict:
    """One assessment in a fresh interpreter; ``executor`` overrides the
    way's (``dask=ADDRESS``: a cluster already running)."""
    chosen, workers = WAYS[way]
    target = f"file://{bundle.resolve()}" if AT_URL else str(bundle)
    code = (f"import json, sys; sys.path.insert(0, {str(HERE)!r}); import scale; "
            f"print(json.dumps(scale.assess_once({target!r}, {executor or chosen!r}, "
            f"{workers!r}, {PART_ROWS!r})))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{way} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def warm_cluster_seconds(bundle: Path) -> float:
    """The second of two runs on a LocalCluster this process keeps: the
    workers have loaded the plugins and spaCy, as on a cluster at scale."""
    with local_cluster(2) as cluster:
        address = f"dask={cluster.scheduler_address}"
        run_way(bundle, "dask2", address)
        return run_way(bundle, "dask2", address)["seconds"]


@contextlib.contextmanager
def local_cluster(workers: int):
    """A LocalCluster as the engine starts one (dask_cluster.LOCAL_CLUSTER_CONFIG,
    held for its life), that this process keeps."""
    import logging

    import dask
    from distributed import LocalCluster

    from aiart_release.executors import dask_cluster

    with dask.config.set(dask_cluster.LOCAL_CLUSTER_CONFIG):
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               host="127.0.0.1", silence_logs=logging.CRITICAL,
                               **dask_cluster.LOCAL_CLUSTER_HTTP)
        try:
            yield cluster
        finally:
            cluster.close()


def per_task_seconds(units: int) -> None:
    """Dask's cost per unit, both ways of sending, two rounds each."""
    from aiart_release.executors import ExecutorChoice, dask_cluster

    supported = dask_cluster.ROOT_TASKS
    try:
        with local_cluster(2) as cluster:
            empty = [([], []) for _ in range(units)]
            for round_ in (1, 2):
                for root_tasks in ([True, False] if supported else [False]):
                    dask_cluster.ROOT_TASKS = root_tasks
                    choice = ExecutorChoice("dask", cluster.scheduler_address)
                    with dask_cluster.DaskExecutor(choice) as executor:
                        started = time.perf_counter()
                        executor.run(empty, [], None, lambda *_: None, lambda *_: None, None)
                        seconds = time.perf_counter() - started
                    way = "root tasks, one graph" if root_tasks else "one submit each"
                    print(f"  round {round_}, {way:21}: {1000 * seconds / units:.2f} ms a unit")
    finally:
        dask_cluster.ROOT_TASKS = supported


def overhead(tmp: Path, args: argparse.Namespace) -> None:
    """Local against dask2 (a LocalCluster started for the run) on a small
    bundle, ``--repeat`` rounds, the two ways alternated so that both see
    the same load; then a running cluster of warm workers."""
    small = write_bundle(tmp / "small", args.overhead_rows, args.row_group, args.seed)
    times: dict[str, list[float]] = {"local": [], "dask2": []}
    for round_ in range(1, args.repeat + 1):
        for way in times:
            times[way].append(run_way(small, way)["seconds"])
        local, dask = times["local"][-1], times["dask2"][-1]
        print(f"{args.overhead_rows:,} rows, round {round_}: local {local:.1f} s, dask2 "
              f"{dask:.1f} s, overhead {100 * (dask / local - 1):+.0f} % (aim: <= 25 %), "
              f"load {os.getloadavg()[0]:.2f}")
    if args.repeat > 1:
        local, dask = (sorted(t)[len(t) // 2] for t in times.values())
        print(f"  median of {args.repeat}: local {local:.1f} s, dask2 {dask:.1f} s, "
              f"overhead {100 * (dask / local - 1):+.0f} %")
    warm = warm_cluster_seconds(small)
    print(f"  on a running cluster of 2 warm workers (dask=ADDRESS): {warm:.1f} s, "
          f"overhead {100 * (warm / local - 1):+.0f} %")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--row-group", type=int, default=10_000)
    parser.add_argument("--overhead-rows", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--ways", default="local,dask1,dask2")
    parser.add_argument("--part-rows", type=int, default=None,
                        help="rows per part of a table (default: readers.tables.PART_ROWS)")
    parser.add_argument("--url", action="store_true",
                        help="assess the bundles at their file:// URLs instead of their paths")
    parser.add_argument("--overhead-only", action="store_true",
                        help="only the overhead comparison on --overhead-rows rows")
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs of each way in the overhead comparison, alternated")
    parser.add_argument("--per-task", type=int, default=0, metavar="N",
                        help="measure Dask's cost per unit on N empty units, and nothing else")
    args = parser.parse_args(argv)
    if args.per_task:
        print(f"cores: {os.cpu_count()}, load average before: {os.getloadavg()}")
        per_task_seconds(args.per_task)
        print(f"load average after: {os.getloadavg()}")
        return 0
    global PART_ROWS, AT_URL
    PART_ROWS = args.part_rows
    AT_URL = args.url
    if args.overhead_only:
        print(f"cores: {os.cpu_count()}, load average before: {os.getloadavg()}")
        with tempfile.TemporaryDirectory(prefix="aiart-scale-") as tmp:
            overhead(Path(tmp), args)
        print(f"load average after: {os.getloadavg()}")
        return 0
    ways = [w for w in args.ways.split(",") if w]
    print(f"cores: {os.cpu_count()}, load average before: {os.getloadavg()}")
    with tempfile.TemporaryDirectory(prefix="aiart-scale-") as tmp:
        bundle = write_bundle(Path(tmp) / "big", args.rows, args.row_group, args.seed)
        print(f"{args.rows:,} rows, row groups of {args.row_group:,}"
              + (", at its file:// URL" if AT_URL else ""))
        measured = {}
        for way in ways:
            result = run_way(bundle, way)
            measured[way] = result
            print(f"  {way:6} {result['seconds']:8.1f} s  {args.rows / result['seconds']:9,.0f} "
                  f"rows/s  ({result['pii_findings']} pii findings, "
                  f"{result['rows_flagged']:,} occurrences)")
        flagged = {m["rows_flagged"] for m in measured.values()}
        print(f"  same findings every way: {len(flagged) == 1}")
        if "dask1" in measured and "dask2" in measured:
            ratio = measured["dask1"]["seconds"] / measured["dask2"]["seconds"]
            print(f"  scaling dask 1 -> 2 workers: {ratio:.2f}x (aim: >= 1.7x)")
        if args.overhead_rows and {"local", "dask2"} <= set(ways):
            overhead(Path(tmp), args)
    print(f"load average after: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
