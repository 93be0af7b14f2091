"""The inventory and the system's own folders: /proc, /sys and /dev are
never walked, and a bundle path in one is refused at once."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import pytest
from conftest import make_bundle

from aiart_release import bundle as bundle_module
from aiart_release.bundle import BundleError, build_inventory, check_root, system_tree


def _classify(_info):
    return "text"


@pytest.mark.parametrize("path, tree", [
    ("/proc", "/proc"), ("/proc/self/status", "/proc"), ("/sys/kernel", "/sys"),
    ("/dev/null", "/dev"), ("/dev/shm", None), ("/tmp", None),
])
def test_system_trees_are_known_by_where_paths_really_lead(path, tree):
    if not os.path.exists(path):
        pytest.skip(f"{path} is not on this machine")
    assert system_tree(path) == tree


def test_a_link_into_proc_is_in_proc(tmp_path):
    link = tmp_path / "looks-harmless"
    link.symlink_to("/proc/self")
    assert system_tree(link) == "/proc"
    with pytest.raises(BundleError, match="running system"):
        check_root(link)


def test_a_system_folder_inside_the_bundle_is_reported_not_walked(tmp_path, monkeypatch):
    # A bundle at / holds /proc; here a folder of the bundle stands in for it.
    root = make_bundle(tmp_path / "b", {"README.md": "# hi\n", "sys/endless.txt": "x\n",
                                         "sys/deeper/more.txt": "y\n"})
    monkeypatch.setattr(bundle_module, "SYSTEM_TREES", (str(root / "sys"),))
    inventory = build_inventory(root, _classify)
    assert [f.path for f in inventory.files] == ["README.md"]
    assert [(f.id, f.location.path) for f in inventory.findings] == [
        ("bundle.system-folder", "sys/")]


def test_assessing_proc_is_refused_at_once(cli):
    started = time.monotonic()
    result = cli("assess", "/proc")
    assert result.code == 2 and "running system" in result.err
    assert time.monotonic() - started < 10  # was: exit 3 or no end


@pytest.mark.skipif(not Path("/dev/shm").is_dir() or not os.access("/dev/shm", os.W_OK),
                    reason="no writable /dev/shm on this machine")
def test_the_readers_read_a_regular_file_in_dev_shm_and_nothing_else_under_dev(tmp_path):
    # The hook may copy staged blobs to /dev/shm, an ordinary memory-backed
    # folder; the rest of /dev stays refused, and so does anything in
    # /dev/shm that is not a regular file.
    from aiart_release.readers.limits import NotARegularFile, read_regular_file

    with tempfile.TemporaryDirectory(dir="/dev/shm") as folder:
        caption = Path(folder) / "caption.txt"
        caption.write_text("a portrait\n", encoding="utf-8")
        assert read_regular_file(caption, 100) == b"a portrait\n"
        fifo = Path(folder) / "fifo"
        os.mkfifo(fifo)
        with pytest.raises(NotARegularFile):
            read_regular_file(fifo, 100)
    with pytest.raises(NotARegularFile):
        read_regular_file(Path("/dev/zero"), 100)
