"""The SQLite result store, driven directly: results round-trip, the size
is bounded by least-recent use, and a database left by someone else (not
SQLite, another program's, our schema with a trigger, rows of the wrong
types, a symlink, a FIFO, a giant) is rebuilt or refused, never trusted
and never a crash."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time

import pytest

from aiart_release import cache as cache_module
from aiart_release.cache import DB_NAME, ResultCache, describe
from aiart_release.findings import Checkpoint, Finding, Location, Severity


def finding(path: str = "data/a.txt", evidence: str = "m***@***") -> Finding:
    return Finding(id="pii.test-email", severity=Severity.HIGH, message="E-mail-like word",
                   location=Location(path=path, line=1), evidence=evidence, check="echo",
                   checkpoint=Checkpoint.DATASET, artifact="dataset", fingerprint="f" * 16,
                   content="c" * 16, matched="maria@example.com")


def key(store: ResultCache, n: int = 0, check: str = "echo"):
    return store.key(check_id=check, check_version="1", settings="s", path=f"dataset:{n}",
                     content=f"{n:064x}")


def fill(folder, count: int, *, start: int = 0, now: int | None = None) -> None:
    """One run that stores ``count`` results (numbered from ``start``)."""
    store = ResultCache(folder)
    if now is not None:
        store._now = now
    for n in range(start, start + count):
        store.put(key(store, n), [finding(path=f"data/{n}.txt")], 0.5)
    store.save()


def lookup(folder, n: int, now: int | None = None):
    store = ResultCache(folder)
    if now is not None:
        store._now = now
    hit = store.get(key(store, n))
    store.save()
    return hit


def test_a_result_is_read_back_as_stored_without_its_raw_value(tmp_path):
    fill(tmp_path, 3)
    found, seconds = lookup(tmp_path, 1)
    assert seconds == 0.5
    [back] = found
    assert back == finding(path="data/1.txt")  # every field but `matched`
    assert back.matched is None
    assert b"maria@example.com" not in (tmp_path / DB_NAME).read_bytes()
    assert lookup(tmp_path, 7) is None  # never stored


def test_each_part_of_the_key_tells_results_apart(tmp_path):
    store = ResultCache(tmp_path)
    base = dict(check_id="echo", check_version="1", settings="s", path="dataset:a",
                content="0" * 64)
    store.put(store.key(**base), [finding()], 1.0)
    store.save()
    store = ResultCache(tmp_path)
    assert store.get(store.key(**base)) is not None
    for part, other in (("check_id", "other"), ("check_version", "2"), ("settings", "t"),
                        ("path", "model:a"), ("content", "1" * 64)):
        assert store.get(store.key(**{**base, part: other})) is None, part
    store.save()


def test_the_tool_version_is_part_of_the_key(tmp_path, monkeypatch):
    fill(tmp_path, 1)
    monkeypatch.setattr(cache_module, "__version__", "0.0.0-other")
    assert lookup(tmp_path, 0) is None


def test_content_hashes_are_remembered_by_size_mtime_and_inode(tmp_path, monkeypatch):
    data = tmp_path / "a.txt"
    data.write_text("hello\n")
    store = ResultCache(tmp_path / "cache")
    first = store.content_hash(data)
    store.save()

    def refuse(path):
        raise AssertionError("an unchanged file was read again")

    with monkeypatch.context() as patched:
        patched.setattr(cache_module, "file_sha256", refuse)
        store = ResultCache(tmp_path / "cache")
        assert store.content_hash(data) == first
        store.save()
    data.write_text("changed\n")
    store = ResultCache(tmp_path / "cache")
    assert store.content_hash(data) != first
    store.save()


# --- size bound ----------------------------------------------------------------

def test_the_least_recently_used_results_are_evicted_past_the_size_limit(tmp_path,
                                                                          monkeypatch):
    monkeypatch.setenv("AIART_RELEASE_CACHE_MAX_MB", "0.25")  # 256 KB
    fill(tmp_path, 200, now=1000)  # about 180 KB: under the limit
    assert describe(tmp_path)["results"] == 200
    assert lookup(tmp_path, 0, now=2000) is not None  # result 0 is used again: recent
    fill(tmp_path, 200, start=200, now=3000)  # twice the limit
    info = describe(tmp_path)
    kept = info["results"]
    assert 100 < kept < 400
    sizes = sum(len(json.dumps([finding().to_dict()])) + cache_module.ROW_OVERHEAD
                for _ in range(kept))
    assert sizes <= 0.25 * 1024 * 1024
    assert info["last_run"]["evicted"] == 400 - kept
    assert lookup(tmp_path, 0) is not None  # used recently: kept
    assert lookup(tmp_path, 399) is not None  # written last: kept
    assert lookup(tmp_path, 1) is None  # the oldest unused: evicted first
    # The file shrinks back (incremental vacuum), not only its accounting.
    assert (tmp_path / DB_NAME).stat().st_size < 2 * 256 * 1024


def test_the_number_of_results_is_bounded_too(tmp_path, monkeypatch):
    monkeypatch.setattr(cache_module, "MAX_ENTRIES", 50)
    fill(tmp_path, 40, now=1)
    fill(tmp_path, 40, start=40, now=2)
    assert describe(tmp_path)["results"] == 45  # 90% of the limit, the newest
    assert lookup(tmp_path, 79) is not None and lookup(tmp_path, 0) is None


def test_a_run_with_nothing_new_writes_no_results_and_evicts_nothing(tmp_path):
    fill(tmp_path, 5)
    assert lookup(tmp_path, 2) is not None
    run = describe(tmp_path)["last_run"]
    assert (run["hits"], run["misses"], run["written"], run["evicted"]) == (1, 0, 0, 0)


# --- a database left by someone else -------------------------------------------

def _insert(folder, sql: str, *params) -> None:
    db = sqlite3.connect(folder / DB_NAME)
    db.execute(sql, params)
    db.commit()
    db.close()


def _garbage(folder):
    (folder / DB_NAME).write_bytes(b"SQLite format 3\0" + os.urandom(4096))


def _truncated(folder):
    data = (folder / DB_NAME).read_bytes()
    (folder / DB_NAME).write_bytes(data[:len(data) // 2 + 100])


def _other_program(folder):
    (folder / DB_NAME).unlink()
    _insert(folder, "CREATE TABLE results (x)")


def _trigger(folder):
    # A trigger would run inside our own writes: the schema is compared
    # object by object, so any extra one makes the file foreign.
    _insert(folder, "CREATE TRIGGER spoil AFTER INSERT ON results BEGIN "
                    "DELETE FROM files; END")


def _view(folder):
    _insert(folder, "CREATE VIEW endless AS WITH RECURSIVE r(n) AS "
                    "(SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT n FROM r")


def _wrong_types(folder):
    _insert(folder, "UPDATE results SET findings = x'00ff', seconds = 'soon'")


def _hostile_json(folder):
    _insert(folder, "UPDATE results SET findings = ?", "[" * 100_000)


def _unknown_field(folder):
    _insert(folder, "UPDATE results SET findings = ?",
            json.dumps([{**finding().to_dict(), "extra": 1}]))


def _bad_hash(folder):
    _insert(folder, "UPDATE files SET content = ?, size = 'big'", "'; DROP TABLE results; --")


WHOLE = {"garbage": _garbage, "truncated": _truncated, "other program": _other_program,
         "trigger": _trigger, "view": _view}
ROWS = {"wrong types": _wrong_types, "deep json": _hostile_json,
        "unknown field": _unknown_field}


def _filled(tmp_path):
    data = tmp_path / "a.txt"
    data.write_text("hello\n")
    folder = tmp_path / "cache"
    store = ResultCache(folder)
    store.content_hash(data)
    store.save()
    fill(folder, 3)
    return data, folder


@pytest.mark.parametrize("spoil", sorted(WHOLE))
def test_a_foreign_or_corrupt_database_is_rebuilt_with_one_warning(tmp_path, spoil, capsys):
    data, folder = _filled(tmp_path)
    capsys.readouterr()
    WHOLE[spoil](folder)
    store = ResultCache(folder)
    assert store.content_hash(data) == cache_module.file_sha256(data)
    assert store.get(key(store, 1)) is None
    store.put(key(store, 9), [finding()], 0.1)
    store.save()
    [warning] = capsys.readouterr().err.splitlines()
    assert warning.startswith("aiart-release: warning: cache ") and str(folder) in warning
    assert "rebuilt" in warning
    # The next run reads a database of ours again, holding only the new result.
    assert describe(folder)["state"] == "ok" and describe(folder)["results"] == 1
    assert lookup(folder, 9) is not None
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("spoil", sorted(ROWS))
def test_a_spoiled_result_is_a_miss_and_is_discarded(tmp_path, spoil, capsys):
    _, folder = _filled(tmp_path)
    capsys.readouterr()
    ROWS[spoil](folder)  # every stored result spoiled
    store = ResultCache(folder)
    assert [store.get(key(store, n)) for n in range(3)] == [None] * 3
    assert (store.hits, store.misses) == (0, 3)
    store.save()
    [warning] = capsys.readouterr().err.splitlines()
    assert "cache entry" in warning and "discarded" in warning
    assert describe(folder)["results"] == 0  # deleted, not read again next time


def test_a_spoiled_content_hash_is_recomputed(tmp_path, capsys, monkeypatch):
    data, folder = _filled(tmp_path)
    _bad_hash(folder)
    hashed = []
    real = cache_module.file_sha256
    monkeypatch.setattr(cache_module, "file_sha256", lambda p: hashed.append(p) or real(p))
    store = ResultCache(folder)
    assert store.content_hash(data) == real(data) and hashed == [data]
    store.save()
    assert "content hash of another shape" in capsys.readouterr().err
    store = ResultCache(folder)
    store.content_hash(data)  # stored afresh: not hashed again
    store.save()
    assert hashed == [data]


def test_sql_in_a_key_is_data_not_sql(tmp_path):
    store = ResultCache(tmp_path)
    evil = "x'); DROP TABLE results; --"
    store.put(store.key(check_id=evil, check_version=evil, settings=evil, path=evil,
                        content=evil), [finding()], 0.1)
    store.save()
    store = ResultCache(tmp_path)
    assert store.get(store.key(check_id=evil, check_version=evil, settings=evil, path=evil,
                               content=evil)) is not None
    store.save()
    assert describe(tmp_path)["results"] == 1


@pytest.mark.parametrize("side", ["", "-wal", "-shm"])
def test_a_symlinked_database_is_refused_and_its_target_untouched(tmp_path, side, capsys):
    target = tmp_path / "precious.txt"
    target.write_text("keep me\n")
    folder = tmp_path / "cache"
    folder.mkdir()
    (folder / f"{DB_NAME}{side}").symlink_to(target)
    store = ResultCache(folder)
    assert not store.enabled
    store.put(key(store, 1), [finding()], 0.1)
    store.save()
    assert target.read_text() == "keep me\n"
    [warning] = capsys.readouterr().err.splitlines()
    assert "is a symlink" in warning and "without a cache" in warning
    assert "symlink" in describe(folder)["state"]


def test_a_fifo_database_is_refused_without_blocking(tmp_path, capsys):
    os.mkfifo(tmp_path / DB_NAME)
    done = []
    worker = threading.Thread(target=lambda: done.append(ResultCache(tmp_path).enabled),
                              daemon=True)
    worker.start()
    worker.join(10)
    assert done == [False]
    assert "is a FIFO" in capsys.readouterr().err


def test_a_giant_database_is_not_read_but_rebuilt(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("AIART_RELEASE_CACHE_MAX_MB", "1")
    with open(tmp_path / DB_NAME, "wb") as giant:
        giant.truncate(200 << 20)  # sparse: over twice the limit and 64 MB
    store = ResultCache(tmp_path)
    assert store.enabled
    store.save()
    assert (tmp_path / DB_NAME).stat().st_size < 1 << 20
    assert "over twice the limit; rebuilt" in capsys.readouterr().err


def test_a_database_locked_past_the_wait_is_left_with_one_warning(tmp_path, monkeypatch,
                                                                   capsys):
    monkeypatch.setattr(cache_module, "LOCK_WAIT_SECONDS", 0.2)
    fill(tmp_path, 2)
    holder = sqlite3.connect(tmp_path / DB_NAME, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        started = time.monotonic()
        store = ResultCache(tmp_path)
        store.get(key(store, 1))
        store.put(key(store, 5), [finding()], 0.1)
        store.save()
        assert time.monotonic() - started < 10
        assert not store.enabled
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    [warning] = capsys.readouterr().err.splitlines()
    assert "locked by another run" in warning and "goes on without it" in warning
    assert lookup(tmp_path, 1) is not None  # nothing was lost or spoiled


# --- the format before SQLite --------------------------------------------------

def test_an_old_json_cache_is_removed_and_nothing_else(tmp_path, capsys):
    shard = tmp_path / "results" / "ab"
    shard.mkdir(parents=True)
    (shard / f"{'ab' * 32}.json").write_text('{"findings": [], "seconds": 0}')
    (tmp_path / "hashes.json").write_text(json.dumps({"k": [1, 2, 3, "0" * 64]}))
    (tmp_path / "results" / "notes.txt").write_text("the user's own\n")
    (tmp_path / "derived").mkdir()
    ResultCache(tmp_path).save()
    assert not (tmp_path / "hashes.json").exists() and not shard.exists()
    assert (tmp_path / "results" / "notes.txt").read_text() == "the user's own\n"
    assert (tmp_path / "derived").is_dir()
    assert capsys.readouterr().err == ""


def test_a_hashes_json_of_another_shape_is_left_alone(tmp_path):
    (tmp_path / "hashes.json").write_text('{"not": "ours"}')
    ResultCache(tmp_path).save()
    assert (tmp_path / "hashes.json").exists()


class _InterleavedConnection:
    """A connection that lets another run create the cache's schema right
    after its first statement, as a parallel run may between two reads."""

    def __init__(self, db: sqlite3.Connection, other: sqlite3.Connection) -> None:
        self._db, self._other, self._statements = db, other, 0

    @property
    def in_transaction(self) -> bool:
        return self._db.in_transaction

    def execute(self, sql: str, *args):
        cursor = self._db.execute(sql, *args)
        self._statements += 1
        if sql.startswith("PRAGMA") and self._other is not None:
            other, self._other = self._other, None
            cache_module._create(other)
        return cursor


def test_a_cache_created_by_a_parallel_run_between_two_reads_is_not_called_foreign(tmp_path):
    path = tmp_path / DB_NAME
    # WAL, as a cache of ours is: the creator can commit while this run reads.
    sqlite3.connect(path).execute("PRAGMA journal_mode = WAL").fetchone()
    reader = sqlite3.connect(path, isolation_level=None)
    creator = sqlite3.connect(path, isolation_level=None)
    state = cache_module._inspect(_InterleavedConnection(reader, creator))
    # The three reads saw one snapshot: the file before the other run's schema.
    assert state == "empty"
    assert cache_module._inspect(reader) == "ours"
    reader.close(), creator.close()


def test_a_store_plainly_within_its_limits_is_not_scanned_but_one_past_them_is(tmp_path,
                                                                              monkeypatch):
    # The cheap bound decides only when it is certain; near the limit the
    # exact count and sum still run and evict.
    fill(tmp_path, 40, now=1)
    db = sqlite3.connect(tmp_path / DB_NAME)
    try:
        assert cache_module._plainly_within(db, 256 << 20, 250_000)
        assert not cache_module._plainly_within(db, 256 << 20, 39)
        assert not cache_module._plainly_within(db, 40 * cache_module.ROW_OVERHEAD, 250_000)
    finally:
        db.close()


def test_the_bound_check_on_each_save_reads_no_table_whole(tmp_path):
    """Each save asks whether the store is plainly within its limits, from
    the span of row ids: SQLite reads min() and max() from the ends of the
    table's tree only when each is its query's one aggregate. Asked in one
    SELECT, they scanned every row (8 ms for 40,000 results, on every
    pre-commit run). Counted in SQLite's own steps, not in seconds."""
    db = sqlite3.connect(tmp_path / "store.sqlite3")
    for table in ("results", "files"):
        db.execute(f"CREATE TABLE {table} (x TEXT)")
        db.executemany(f"INSERT INTO {table} VALUES (?)", (("r",) for _ in range(50_000)))
    steps = []
    db.set_progress_handler(lambda: steps.append(1), 100)  # one call per 100 steps
    assert cache_module._plainly_within(db, 10**12, 10**6)
    assert len(steps) < 20, f"{len(steps) * 100} steps: a scan"
