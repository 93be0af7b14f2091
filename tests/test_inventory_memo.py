"""The walk's remembered kinds (cache.KindMemo): an unchanged file is listed
as it was without being opened or classified, and the inventory is the one
a walk without the cache builds; a changed, new or removed file, or one
whose folder changed, is classified again; nothing of a file's content is
kept; a spoiled row is a warning and a new classification."""

from __future__ import annotations

import os
import pickle
import sqlite3
from dataclasses import replace
from types import SimpleNamespace

import pytest
from conftest import SAFETENSORS, make_bundle

from aiart_release.bundle import build_inventory
from aiart_release.cache import DB_NAME, KIND_CHECK, KindMemo
from aiart_release.plugins import PluginFailure, build_registry

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 16
FILES = {
    "README.md": "---\nlicense: mit\n---\n# Pictures\n",
    "stuff/README.md": "---\nlicense: mit\n---\n# Notes on the pictures\n",
    "data/captions/0001.txt": "a red bicycle, photo by maria.lopez@example.com\n",
    "data/captions/0002.txt": "two cats asleep on a sofa\n",
    "data/images/0001.png": PNG,
    "data/broken.txt": b"text\0with a NUL",
    "empty.txt": "",
    "web/app.min.js": "var a=1;" * 40,
    "tests/test_x.py": "def test():\n    pass\n",
    "models/model.safetensors": SAFETENSORS,
    "src/train.py": "import torch\n",
}


@pytest.fixture(scope="module")
def registry():
    built = build_registry()
    assert built.failures == []
    return built


class Counting:
    """The registry's classifier, counting the files it is asked about."""

    def __init__(self, registry):
        self.registry, self.asked = registry, []

    def __call__(self, file):
        self.asked.append(file.path)
        return self.registry.classify(file)


def walked(root, registry, cache_dir, sniff_bytes: int = 8192):
    """One walk with the memo in ``cache_dir``: the inventory and the paths
    the classifier was asked about."""
    classify = Counting(registry)
    memo = KindMemo(cache_dir, registry, sniff_bytes)
    inventory = build_inventory(root, classify, sniff_bytes=sniff_bytes, remembered=memo)
    memo.save()
    return inventory, sorted(classify.asked)


def listing(inventory) -> tuple[list, list]:
    files = [(f.path, f.kind, f.artifact, f.skipped, f.context, f.size, f.head)
             for f in inventory.files]
    findings = [(f.id, f.location.path, f.message, f.severity) for f in inventory.findings]
    return files, findings


def uncached(root, registry):
    return listing(build_inventory(root, registry.classify))


def test_an_unchanged_bundle_is_listed_as_without_the_cache_and_nothing_is_classified(
        tmp_path, registry):
    root = make_bundle(tmp_path / "bundle", FILES)
    first, asked = walked(root, registry, tmp_path / "cache")
    assert asked == sorted(FILES)
    again, asked = walked(root, registry, tmp_path / "cache")
    assert asked == []
    assert listing(again) == listing(first) == uncached(root, registry)
    kinds = {f.path: (f.kind, f.skipped, f.context) for f in again.files}
    assert kinds["data/broken.txt"] == ("text", "binary", None)
    assert kinds["web/app.min.js"] == ("code", None, "generated")
    assert kinds["tests/test_x.py"] == ("code", None, "fixture")
    assert "bundle.binary-content" in {f.id for f in again.findings}


def test_a_changed_new_or_removed_file_or_a_changed_folder_is_classified_again(
        tmp_path, registry):
    root = make_bundle(tmp_path / "bundle", FILES)
    walked(root, registry, tmp_path / "cache")
    (root / "data/captions/0002.txt").write_text("three cats, now longer\n")
    (root / "src/train.py").unlink()
    (root / "notes.txt").write_text("new\n")
    # An image beside stuff/README.md makes it a dataset card; the README
    # itself is unchanged, its folder is not.
    (root / "stuff/cover.png").write_bytes(PNG)
    before = {f.path: f.kind for f in build_inventory(root, registry.classify).files}
    assert before["stuff/README.md"] == "dataset-card"
    again, asked = walked(root, registry, tmp_path / "cache")
    # The files of the folders that changed (a file came or went), and the
    # changed file; src/ is now empty.
    assert asked == ["README.md", "data/captions/0002.txt", "empty.txt", "notes.txt",
                     "stuff/README.md", "stuff/cover.png"]
    assert listing(again) == uncached(root, registry)


def test_a_touched_file_of_the_same_size_is_classified_again(tmp_path, registry):
    root = make_bundle(tmp_path / "bundle", {"a.json": "[1, 2]\n"})
    [listed] = walked(root, registry, tmp_path / "cache")[0].files
    assert listed.kind == "table"
    path = root / "a.json"
    info = path.stat()
    path.write_text('{"a":1}')  # as long, another kind
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns + 1_000_000_000))
    again, asked = walked(root, registry, tmp_path / "cache")
    assert asked == ["a.json"] and again.files[0].kind == "config"


def test_the_head_of_a_remembered_file_is_read_when_asked(tmp_path, registry):
    root = make_bundle(tmp_path / "bundle", FILES)
    walked(root, registry, tmp_path / "cache", sniff_bytes=16)
    again, _ = walked(root, registry, tmp_path / "cache", sniff_bytes=16)
    caption = next(f for f in again.files if f.path == "data/captions/0002.txt")
    assert "head" not in caption.__dict__  # not read by the walk
    copied = pickle.loads(pickle.dumps(caption))  # as a pool worker receives it
    assert copied.head == caption.head == b"two cats asleep "
    assert replace(caption, artifact="docs").head == caption.head
    image = next(f for f in again.files if f.path == "data/images/0001.png")
    assert image.head == b""  # kept only for text kinds, as the walk keeps it


def test_the_sniffing_limit_and_the_plugins_are_part_of_the_key(tmp_path, registry):
    root = make_bundle(tmp_path / "bundle", FILES)
    walked(root, registry, tmp_path / "cache")
    _, asked = walked(root, registry, tmp_path / "cache", sniff_bytes=4096)
    assert asked == sorted(FILES)
    other = SimpleNamespace(plugins=[*registry.plugins, SimpleNamespace(
        name="another", version="1", error=None)], failures=[], classify=registry.classify)
    _, asked = walked(root, other, tmp_path / "cache")
    assert asked == sorted(FILES)


def test_nothing_is_remembered_from_a_walk_in_which_a_classifier_failed(tmp_path, registry):
    root = make_bundle(tmp_path / "bundle", FILES)
    failing = SimpleNamespace(plugins=registry.plugins, failures=[])

    def classify(file):
        if file.path == "empty.txt":
            failing.failures.append(PluginFailure("other", "classify_file", "boom"))
        return registry.classify(file)

    failing.classify = classify
    walked(root, failing, tmp_path / "cache")
    _, asked = walked(root, registry, tmp_path / "cache")
    assert asked == sorted(FILES)  # asked again, every file


def test_the_cache_holds_no_content_of_the_files(tmp_path, registry):
    root = make_bundle(tmp_path / "bundle", FILES)
    walked(root, registry, tmp_path / "cache")
    stored = b"".join(p.read_bytes() for p in (tmp_path / "cache").glob(DB_NAME + "*"))
    for needle in (b"maria.lopez", b"example.com", b"red bicycle", b"Pictures", b"var a=1"):
        assert needle not in stored


@pytest.mark.parametrize("spoiled", ["evil\t0\t", "text\t2\t", "text\t0\tmine", "", "a\tb"])
def test_a_spoiled_row_is_discarded_with_one_warning(tmp_path, registry, capsys, spoiled):
    root = make_bundle(tmp_path / "bundle", FILES)
    walked(root, registry, tmp_path / "cache")
    with sqlite3.connect(tmp_path / "cache" / DB_NAME) as db:
        db.execute("UPDATE results SET findings = ? WHERE check_id = ?", (spoiled, KIND_CHECK))
    capsys.readouterr()
    again, asked = walked(root, registry, tmp_path / "cache")
    assert asked == sorted(FILES)
    assert listing(again) == uncached(root, registry)
    [warning] = capsys.readouterr().err.splitlines()
    assert "corrupt" in warning and "discarded" in warning


def test_without_a_cache_folder_every_file_is_classified(tmp_path, registry):
    root = make_bundle(tmp_path / "bundle", FILES)
    for _ in range(2):
        inventory, asked = walked(root, registry, None)
        assert asked == sorted(FILES)
    assert listing(inventory) == uncached(root, registry)


def test_an_unchanged_walk_reads_one_row_and_a_changed_one_reads_the_files_rows(
        tmp_path, registry):
    root = make_bundle(tmp_path / "bundle", FILES)
    first, _ = walked(root, registry, tmp_path / "cache")
    with sqlite3.connect(tmp_path / "cache" / DB_NAME) as db:
        [(walks,)] = db.execute("SELECT count(*) FROM results WHERE check_id = ? "
                                "AND check_version = 'walk'", (KIND_CHECK,)).fetchall()
        assert walks == 1
        db.execute("DELETE FROM results WHERE check_id = ? AND check_version = '1'",
                   (KIND_CHECK,))
    again, asked = walked(root, registry, tmp_path / "cache")
    assert asked == [] and listing(again) == listing(first)  # from the walk's row alone
    (root / "data/captions/0002.txt").write_text("three cats\n")  # one file changes
    again, asked = walked(root, registry, tmp_path / "cache")
    # The walk's row no longer holds, and the files' rows are gone: all asked again.
    assert asked == sorted(FILES) and listing(again) == uncached(root, registry)
    again, asked = walked(root, registry, tmp_path / "cache")
    assert asked == []
    with sqlite3.connect(tmp_path / "cache" / DB_NAME) as db:  # replaced, not added
        assert db.execute("SELECT count(*) FROM results WHERE check_id = ? "
                          "AND check_version = 'walk'", (KIND_CHECK,)).fetchone() == (1,)
