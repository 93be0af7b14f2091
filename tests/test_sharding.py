"""Tables read in parts (readers/tables.split_table, iter_part_rows): the
parts together give exactly the rows, row numbers and line numbers of the
whole file, whatever the file holds where a cut falls."""

from __future__ import annotations

import json

import pytest

from aiart_release.readers.tables import TableError, iter_part_rows, iter_rows, split_table


def _rows_in_parts(path, rows_per_part):
    parts = split_table(path, rows_per_part=rows_per_part)
    return parts, [row for part in parts for row in iter_part_rows(path, part)]


def _assert_same_rows(path, rows_per_part):
    parts, rows = _rows_in_parts(path, rows_per_part)
    assert rows == list(iter_rows(path))
    return parts


def test_csv_with_quoted_line_breaks_is_cut_between_records(tmp_path):
    # Every third caption spans three lines: a cut at a line start would
    # land inside it.
    lines = ["id,caption"]
    for i in range(1, 101):
        caption = f'"line one of {i}\nline two\n""quoted"" end"' if i % 3 == 0 else f"plain {i}"
        lines.append(f"{i},{caption}")
    path = tmp_path / "captions.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    parts = _assert_same_rows(path, 7)
    assert len(parts) == 15
    assert [p.first_row for p in parts[:3]] == [1, 8, 15]
    # Rows 3 and 6 span three lines each: row 8 starts on line 1 + 7 + 2 * 2 + 1.
    assert parts[1].first_line == 13
    assert all(a.stop == b.start and a.last_row + 1 == b.first_row
               for a, b in zip(parts, parts[1:], strict=False))
    assert parts[-1].last_row == 100


def test_csv_stray_quote_in_an_unquoted_cell_does_not_mislead_the_cut(tmp_path):
    rows = ["id,caption"] + [f'{i},a 5" print, {i}' if i % 2 else f"{i},x" for i in range(40)]
    path = tmp_path / "stray.csv"
    path.write_text("\r\n".join(rows) + "\r\n", encoding="utf-8-sig")
    parts = _assert_same_rows(path, 5)
    assert len(parts) == 8


def test_tsv_and_blank_lines(tmp_path):
    path = tmp_path / "t.tsv"
    path.write_text("a\tb\n1\tx\n\n2\ty\n3\tz\n", encoding="utf-8")
    assert len(_assert_same_rows(path, 2)) == 2


@pytest.mark.parametrize("content", [
    b'id,caption\n1,"never closed\n2,x\n3,y\n',      # broken: read whole, error as before
    b"id,caption\n1,a\r2,b\r3,c\r4,d\r",              # old Mac line ends
    "id,caption\n1,a\n2,b\n3,c\n".encode("utf-16"),   # UTF-16
    b"id,caption\n1,a\x00b\n2,c\n3,d\n",              # a NUL byte
])
def test_csv_that_cannot_be_cut_safely_is_not_split(tmp_path, content):
    path = tmp_path / "odd.csv"
    path.write_bytes(content)
    assert split_table(path, rows_per_part=1) == []


def test_json_lines_parts_keep_row_and_line_numbers(tmp_path):
    path = tmp_path / "c.jsonl"
    lines = []
    for i in range(50):
        lines.append(json.dumps({"caption": f"row {i}", "meta": {"who": f"p{i}"}}))
        if i % 7 == 0:
            lines.append("   ")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    parts = _assert_same_rows(path, 6)
    assert len(parts) == 9


def test_json_lines_error_in_a_part_names_the_line_of_the_file(tmp_path):
    path = tmp_path / "c.jsonl"
    lines = [json.dumps({"caption": f"row {i}"}) for i in range(20)]
    lines[13] = "{not json"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    parts = split_table(path, rows_per_part=5)
    with pytest.raises(TableError) as whole:
        list(iter_rows(path))
    with pytest.raises(TableError) as part:
        list(iter_part_rows(path, parts[2]))
    assert str(part.value) == str(whole.value)
    assert part.value.line == 14


def test_parquet_split_by_row_groups(tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    table = pa.table({"caption": [f"caption {i}" for i in range(1000)],
                      "score": list(range(1000))})
    path = tmp_path / "c.parquet"
    pq.write_table(table, path, row_group_size=64)
    parts = _assert_same_rows(path, 200)
    # 16 groups of 64 rows: four groups (256 rows) make the first part.
    assert [(p.start, p.stop, p.first_row) for p in parts[:2]] == [(0, 4, 1), (4, 8, 257)]
    assert parts[-1].stop == 16 and parts[-1].last_row == 1000


def test_small_table_is_one_part_and_other_formats_none(tmp_path):
    path = tmp_path / "small.csv"
    path.write_text("a\n1\n", encoding="utf-8")
    assert len(split_table(path)) == 1
    array = tmp_path / "a.json"
    array.write_text('[{"a": 1}]', encoding="utf-8")
    assert split_table(array) == []
    broken = tmp_path / "b.parquet"
    broken.write_bytes(b"PAR1 not a footer PAR1")
    assert split_table(broken) == []


# --- The personal-data check in parts ----------------------------------------

PEOPLE = ["Maria Gonzalez", "Kwame Asante", "Julien Moreau", "Ngozi Eze", "Kenji Watanabe"]


def _caption_table(tmp_path, rows=120):
    """Captions where the same people and addresses recur across the cuts,
    so that counting distinct values and picking examples need the merge."""
    lines = ["id,caption,contact"]
    for i in range(1, rows + 1):
        who = PEOPLE[(i // 7) % len(PEOPLE)] if i % 4 == 0 else ""
        caption = f'"portrait of {who} in the studio,\nsecond line"' if who else f"still life {i}"
        contact = f"sitter{i % 9}@mailhost.net" if i % 5 == 0 else ""
        lines.append(f"{i},{caption},{contact}")
    path = tmp_path / "captions.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _table_file(path):
    from aiart_release.bundle import BundleFile

    return BundleFile(path=f"data/{path.name}", abspath=path, size=path.stat().st_size,
                      kind="table", artifact="dataset")


@pytest.fixture(scope="module")
def pii_check():
    from aiart_release.plugins import build_registry

    registry = build_registry()
    return registry.checks["pii"], tuple(f for _, f in registry.recognizer_factories)


def _without_fingerprint(found):
    import dataclasses

    return [dataclasses.replace(f, fingerprint="", matched=None) for f in found]


@pytest.mark.parametrize("rows_per_part", [1, 13, 50])
def test_pii_parts_merge_into_the_findings_of_the_whole_table(tmp_path, pii_check,
                                                             rows_per_part):
    from aiart_release.checks import FileContext

    check, factories = pii_check
    path = _caption_table(tmp_path)
    file = _table_file(path)
    ctx = FileContext(recognizers=factories)
    whole = list(check.scan_file(file, ctx))
    parts = split_table(path, rows_per_part=rows_per_part)
    assert len(parts) > 1
    merged = list(check.merge(file, [check.scan_part(file, p, ctx) for p in parts]))
    assert {f.id for f in whole} >= {"pii.person-name", "pii.email-address"}
    # Rows, lines, counts, distinct values, masked examples, messages: the same.
    assert _without_fingerprint(merged) == _without_fingerprint(whole)
    # The fingerprint hashes every value (as hashes), not where the table was cut.
    again = check.merge(file, [check.scan_part(file, p, ctx)
                               for p in split_table(path, rows_per_part=rows_per_part + 7)])
    assert [f.fingerprint for f in again] == [f.fingerprint for f in merged]


def test_pii_parts_hold_nothing_raw(tmp_path, pii_check):
    import pickle

    from aiart_release.checks import FileContext

    check, factories = pii_check
    path = _caption_table(tmp_path)
    file = _table_file(path)
    ctx = FileContext(recognizers=factories)
    sent = pickle.dumps([check.scan_part(file, p, ctx)
                         for p in split_table(path, rows_per_part=10)])
    raw = [*PEOPLE, *(n.split()[0] for n in PEOPLE), "mailhost", "sitter1@"]
    assert not [value for value in raw if value.encode() in sent]
    merged = check.merge(file, pickle.loads(sent))
    assert all(f.matched is None for f in merged)


def test_pii_part_that_stops_reports_it_once(tmp_path, pii_check):
    from aiart_release.checks import FileContext

    check, factories = pii_check
    path = tmp_path / "c.jsonl"
    lines = [json.dumps({"caption": f"portrait of {PEOPLE[i % 5]}"}) for i in range(30)]
    lines[12] = lines[25] = "{broken"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    file = _table_file(path)
    ctx = FileContext(recognizers=factories)
    merged = check.merge(file, [check.scan_part(file, p, ctx)
                                for p in split_table(path, rows_per_part=5)])
    unreadable = [f for f in merged if f.id == "bundle.unreadable"]
    assert len(unreadable) == 1 and "line 13" in unreadable[0].message
    names = next(f for f in merged if f.id == "pii.person-name")
    # The parts after a broken line are still read (a broken line counts
    # as a row there); a part stops where its own reading stops.
    rows = names.location.rows
    assert 12 in rows and 13 not in rows and 16 in rows and max(rows) == 25


# --- The engine: tables as parts, on the local executor ----------------------

def _run_checks(bundle, **options):
    from aiart_release import pipeline
    from aiart_release.config import load_config
    from aiart_release.engine import Options, run_checks
    from aiart_release.facts import gather_facts
    from aiart_release.plugins import build_registry

    registry = build_registry()
    config = load_config(bundle, None)
    chosen = Options(use_cache=False, **options)
    inventory = pipeline.take_inventory(bundle, registry, config, chosen)
    return run_checks(bundle, inventory, gather_facts(inventory, config), registry, config,
                      chosen)


class _Recorded:
    """A progress that keeps what it was told."""

    def __init__(self):
        self.total, self.done, self.rows, self.notes = 0, 0, 0, []

    def start(self, total):
        self.total = total

    def advance(self, n=1, note=""):
        self.done += n
        self.notes.append(note)

    def add_rows(self, n):
        self.rows += n

    def stop(self):
        pass


def test_engine_cuts_a_large_table_into_units_and_counts_rows(tmp_path, monkeypatch):
    from aiart_release.executors import parts

    monkeypatch.delenv("AIART_RELEASE_PLUGINS", raising=False)
    bundle = tmp_path / "b"
    (bundle / "data").mkdir(parents=True)
    _caption_table(bundle / "data", rows=120)
    monkeypatch.setattr(parts, "SPLIT_MIN_BYTES", 1024)
    progress = _Recorded()
    run = _run_checks(bundle, progress=progress, jobs=1, executor="local")
    assert len(split_table(bundle / "data" / "captions.csv")) == 1  # one part by default...
    monkeypatch.setattr("aiart_release.readers.tables.PART_ROWS", 25)
    progress = _Recorded()
    cut = _run_checks(bundle, progress=progress, jobs=2, executor="local")
    # ...five parts of 25 rows, each a unit of the pool, each counted.
    notes = [n for n in progress.notes if "#rows" in n]
    assert notes == [f"data/captions.csv#rows {a}-{min(a + 24, 120)}" for a in range(1, 121, 25)]
    assert progress.rows == 120 and progress.done == progress.total

    def pii(found):
        return sorted((f.id, f.location.rows, f.count, f.evidence, f.message)
                      for f in found if f.id.startswith("pii."))

    assert pii(cut.findings) == pii(run.findings)
    assert pii(cut.findings)


def test_executor_option_is_checked(tmp_path):
    from aiart_release.executors import ExecutorError, parse_executor

    assert parse_executor("local").kind == "local"
    assert parse_executor("dask=tcp://10.0.0.5:8786").address == "tcp://10.0.0.5:8786"
    assert parse_executor("dask").address is None
    for bad in ("spark", "local=x", "dask="):
        with pytest.raises(ExecutorError):
            parse_executor(bad)
    bundle = tmp_path / "b"
    bundle.mkdir()
    (bundle / "notes.txt").write_text("a note\n", encoding="utf-8")
    with pytest.raises(ExecutorError, match="--show-pii"):
        _run_checks(bundle, executor="dask", show_pii=True)
