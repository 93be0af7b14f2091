"""The result cache read in batches: a plan over many files asks a few
queries, not one per file, and still sees every changed, new or removed
file, answers exactly what one-by-one lookups answer, and treats a spoiled
row as before (one warning, recomputed)."""

from __future__ import annotations

import math
import os
import sqlite3

import pytest

from aiart_release import cache as cache_module
from aiart_release.bundle import BundleFile
from aiart_release.cache import DB_NAME, PREFETCH_BATCH, PREFETCH_ROWS, ResultCache
from aiart_release.findings import Checkpoint, Finding, Location, Severity

COUNT = 2 * PREFETCH_BATCH + 7  # three batches, the last one short


def finding(path: str) -> Finding:
    return Finding(id="pii.test-email", severity=Severity.HIGH, message="E-mail-like word",
                   location=Location(path=path, line=1), evidence="m***@***", check="echo",
                   checkpoint=Checkpoint.DATASET, artifact="dataset", fingerprint="f" * 16,
                   content="c" * 16, matched="maria@example.com")


def bundle(tmp_path, count: int = COUNT) -> list[BundleFile]:
    folder = tmp_path / "bundle"
    folder.mkdir(exist_ok=True)
    files = []
    for n in range(count):
        path = folder / f"{n:04d}.txt"
        if not path.exists():
            path.write_text(f"caption {n}\n")
        files.append(BundleFile(path.name, path, path.stat().st_size, "text", "dataset"))
    return files


def key(store: ResultCache, file: BundleFile, content: str, check: str = "echo"):
    return store.key(check_id=check, check_version="1", settings="s",
                     path=f"{file.artifact}:{file.path}", content=content)


def store_results(folder, files: list[BundleFile]) -> None:
    """A first run: every file hashed, one result each (a finding on the
    even ones)."""
    store = ResultCache(folder)
    store.prefetch(files)
    for n, file in enumerate(files):
        found = [finding(file.path)] if n % 2 == 0 else []
        store.put(key(store, file, store.file_content(file)), found, 0.25)
    store.save()


def counting(store: ResultCache) -> list[str]:
    statements: list[str] = []
    store._db.set_trace_callback(statements.append)
    return statements


def answers(store: ResultCache, files: list[BundleFile]) -> list:
    return [store.get(key(store, f, content)) if (content := store.file_content(f)) else None
            for f in files]


def test_an_unchanged_bundle_is_read_in_a_few_queries_and_nothing_is_hashed(tmp_path,
                                                                             monkeypatch):
    files = bundle(tmp_path)
    store_results(tmp_path / "cache", files)

    def refuse(path):
        raise AssertionError(f"{path} is unchanged, and was read again")

    monkeypatch.setattr(cache_module, "file_sha256", refuse)
    store = ResultCache(tmp_path / "cache")
    statements = counting(store)
    store.prefetch(files)
    found = answers(store, files)
    assert len(statements) == math.ceil(COUNT / PREFETCH_BATCH)
    assert store.hits == COUNT and store.misses == 0
    assert [len(hit[0]) for hit in found] == [1 - n % 2 for n in range(COUNT)]
    assert found[0][0][0].location.path == files[0].path and found[0][1] == 0.25
    store.save()


def test_a_changed_new_or_removed_file_among_many_is_seen(tmp_path):
    files = bundle(tmp_path)
    store_results(tmp_path / "cache", files)
    changed, same_size, removed = files[5], files[PREFETCH_BATCH + 1], files[-1]
    changed.abspath.write_text("another caption, longer\n")
    # Same size, new time: the stored hash no longer holds.
    same_size.abspath.write_text(same_size.abspath.read_text().upper())
    info = same_size.abspath.stat()
    os.utime(same_size.abspath, ns=(info.st_atime_ns, info.st_mtime_ns + 1_000_000_000))
    removed.abspath.unlink()
    added = tmp_path / "bundle" / "new.txt"
    added.write_text("a new caption\n")
    new = BundleFile(added.name, added, added.stat().st_size, "text", "dataset")
    every = [*files, new]

    store = ResultCache(tmp_path / "cache")
    store.prefetch(every)
    found = answers(store, every)
    missed = {f.path for f, hit in zip(every, found, strict=True) if hit is None}
    assert missed == {changed.path, same_size.path, removed.path, new.path}
    assert store.file_content(removed) == ""
    assert store.file_content(changed) == cache_module.file_sha256(changed.abspath)
    store.save()


def test_batched_answers_are_the_one_by_one_answers(tmp_path):
    files = bundle(tmp_path)
    store_results(tmp_path / "cache", files)
    store = ResultCache(tmp_path / "cache")
    one_by_one = answers(store, files)  # each file read when first asked
    store.save()
    store = ResultCache(tmp_path / "cache")
    store.prefetch(files)
    assert answers(store, files) == one_by_one
    store.save()


def test_a_file_with_more_results_than_a_batch_keeps_is_looked_up_one_by_one(tmp_path):
    [file] = bundle(tmp_path, 1)
    store = ResultCache(tmp_path / "cache")
    content = store.file_content(file)
    checks = [f"check{n}" for n in range(PREFETCH_ROWS + 5)]
    for check in checks:
        store.put(key(store, file, content, check), [finding(f"{check}.txt")], 0.5)
    store.save()
    store = ResultCache(tmp_path / "cache")
    store.prefetch([file])
    found = [store.get(key(store, file, content, check)) for check in checks]
    assert [hit[0][0].location.path for hit in found] == [f"{c}.txt" for c in checks]
    store.save()


def test_a_spoiled_content_hash_in_a_batch_is_recomputed_with_one_warning(tmp_path, capsys):
    files = bundle(tmp_path)
    store_results(tmp_path / "cache", files)
    with sqlite3.connect(tmp_path / "cache" / DB_NAME) as db:
        db.execute("UPDATE files SET content = ?, size = 'big'", ("'; DROP TABLE files; --",))
    capsys.readouterr()
    store = ResultCache(tmp_path / "cache")
    store.prefetch(files)
    assert [store.file_content(f) for f in files] == [
        cache_module.file_sha256(f.abspath) for f in files]
    assert all(answers(store, files))  # the results are keyed by the content, found again
    store.save()
    [warning] = capsys.readouterr().err.splitlines()
    assert "content hash of another shape" in warning


@pytest.mark.parametrize("hostile", ["'); DROP TABLE results; --", "a\0b", "é" * 3])
def test_a_path_is_data_not_sql(tmp_path, hostile):
    folder = tmp_path / "bundle"
    folder.mkdir()
    path = folder / f"x{hostile}.txt".replace("\0", "")
    path.write_text("x\n")
    file = BundleFile(f"{hostile}.txt", path, 2, "text", "dataset")
    store_results(tmp_path / "cache", [file])
    store = ResultCache(tmp_path / "cache")
    store.prefetch([file])
    assert answers(store, [file])[0] is not None
    store.save()
