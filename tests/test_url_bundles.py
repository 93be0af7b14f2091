"""Bundles at fsspec URLs (remote_source.py): `assess file:///...` and
`assess memory://...` give the assessment of the folder itself, read
nothing but files, write nothing at the URL, copy media, weights and large
tables only when a check must read them, and refuse what they cannot open
in one line (exit 2). Nothing here uses the network.

The Dask side (workers reading a table's parts at its URL) is in
tests/test_executor_dask.py, with its cluster."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import make_bundle, tree_state

fsspec = pytest.importorskip("fsspec")

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ("own-work", "unlicensed-unfilled", "portrait-sessions", "nc-base-lora",
            "forum-fanart", "geotagged-portraits", "pickled-checkpoint", "fine-tune-declared")


@pytest.fixture
def memory():
    """The process's memory filesystem, emptied before and after."""
    fs = fsspec.filesystem("memory")
    fs.store.clear()
    fs.pseudo_dirs[:] = [""]
    yield fs
    fs.store.clear()
    fs.pseudo_dirs[:] = [""]


@pytest.fixture
def private_tmp(tmp_path, monkeypatch):
    """The temporary folder URL bundles are laid out in, to see it emptied."""
    import tempfile

    folder = tmp_path / "scratch"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def _clean_env(monkeypatch):
    for name in ("AIART_RELEASE_PLUGINS", "AIART_RELEASE_DISABLE_PLUGINS",
                 "AIART_RELEASE_DEBUG"):
        monkeypatch.delenv(name, raising=False)


def assess_json(target: str | Path, capsys, *extra: str) -> dict:
    """What `aiart-release assess TARGET -f json --no-cache` prints, less the
    timings, with the exit code; the root (bundle.path) set aside under
    "root"."""
    from aiart_release import cli

    code = cli.main(["assess", str(target), "-f", "json", "--no-cache", *extra])
    out = capsys.readouterr().out
    report = json.loads(out)
    report.pop("timings", None)
    report["exit_code"] = code
    report["root"] = report["bundle"].pop("path")
    return report


def copy_to_memory(memory, folder: Path, base: str) -> None:
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink():
            memory.pipe(f"/{base}/{path.relative_to(folder).as_posix()}", path.read_bytes())


def memory_state(memory) -> dict[str, bytes]:
    return {name: bytes(memory.cat_file(name)) for name in memory.find("/")}


@pytest.mark.parametrize("name", EXAMPLES)
def test_file_url_assessment_equals_the_folders(name, capsys, monkeypatch, private_tmp):
    _clean_env(monkeypatch)
    monkeypatch.chdir(ROOT)
    folder = ROOT / "examples" / name
    before = tree_state(folder)
    local = assess_json(Path("examples") / name, capsys)
    url = f"file://{folder}"
    remote = assess_json(url, capsys)
    assert local.pop("root") == f"examples/{name}"
    assert remote.pop("root") == url  # the URL as given: docs/scale.md
    assert remote == local
    assert tree_state(folder) == before
    assert list(private_tmp.iterdir()) == []  # the copy is gone


@pytest.mark.parametrize("name", ["portrait-sessions", "nc-base-lora"])
def test_memory_copy_of_an_example_equals_the_folder(name, capsys, monkeypatch, memory,
                                                     private_tmp):
    _clean_env(monkeypatch)
    monkeypatch.chdir(ROOT)
    copy_to_memory(memory, ROOT / "examples" / name, name)
    before = memory_state(memory)
    local = assess_json(Path("examples") / name, capsys)
    remote = assess_json(f"memory://{name}", capsys)
    local.pop("root")
    assert remote.pop("root") == f"memory://{name}"
    assert remote == local
    assert memory_state(memory) == before  # nothing written at the URL
    assert list(private_tmp.iterdir()) == []


@pytest.mark.parametrize("target, message", [
    ("nosuchprotocol://bundle", "Protocol not known: nosuchprotocol"),
    ("memory://not-there", "'memory://not-there' does not exist"),
    ("file:///nonexistent-aiart/bundle", "does not exist"),
])
def test_url_that_cannot_be_opened_is_one_line_exit_2(target, message, cli, memory):
    result = cli("assess", target)
    assert result.code == 2
    assert message in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert "Traceback" not in result.err


def test_url_of_a_file_says_to_take_the_folder(cli, memory):
    memory.pipe("/b/README.md", b"# hello\n")
    result = cli("assess", "memory://b/README.md")
    assert result.code == 2 and "is a file; assess takes the bundle folder" in result.err


def test_backend_not_installed_names_what_to_install(cli):
    try:
        import s3fs  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("s3fs is installed: its absence cannot be shown")
    result = cli("assess", "s3://some-bucket/release")
    assert result.code == 2
    assert "Install s3fs" in result.err and "Traceback" not in result.err


def test_password_in_the_url_is_not_shown():
    from aiart_release.remote_source import shown_url

    assert shown_url("https://ann:s3cret@host.example/x") == "https://host.example/x"
    assert shown_url("memory://bundle") == "memory://bundle"


def test_hostile_keys_and_links_are_left_out(tmp_path, memory, monkeypatch, private_tmp):
    """A key with `..` or an empty part would leave the temporary folder;
    a link on disk could lead out of the bundle: neither is taken."""
    from aiart_release.remote_source import url_bundle

    memory.pipe("/b/README.md", b"# ok\n")
    memory.pipe("/b/../escape.txt", b"outside\n")
    memory.pipe("/b/sub/../../escape2.txt", b"outside\n")
    memory.pipe("/b//double.txt", b"x\n")
    with url_bundle("memory://b") as bundle:
        laid_out = sorted(p.relative_to(bundle.root).as_posix()
                          for p in bundle.root.rglob("*") if p.is_file())
        assert laid_out == ["README.md"]
        assert any("unsafe path" in note for note in bundle.notes)
    assert not (private_tmp / "escape.txt").exists()
    assert not (tmp_path / "escape.txt").exists()

    outside = tmp_path / "secret.txt"
    outside.write_text("maria.gonzalez@mailhost.net\n", encoding="utf-8")
    folder = make_bundle(tmp_path / "disk", {"README.md": "# ok\n"})
    (folder / "leak.txt").symlink_to(outside)
    with url_bundle(f"file://{folder}") as bundle:
        assert sorted(bundle.sizes) == ["README.md"]
        assert bundle.notes == ["1 link skipped: leak.txt"]


def test_media_weights_and_large_tables_are_copied_only_when_read(memory, private_tmp):
    from aiart_release.executors.parts import SPLIT_MIN_BYTES
    from aiart_release.remote_source import url_bundle

    rows = "".join(f"{i},caption {i}\n" for i in range(SPLIT_MIN_BYTES // 10))
    memory.pipe("/b/README.md", b"# A model\n")
    memory.pipe("/b/small.csv", b"id,caption\n1,a cat\n")
    memory.pipe("/b/big.csv", ("id,caption\n" + rows).encode())
    memory.pipe("/b/model.safetensors", b"\x08\x00\x00\x00\x00\x00\x00\x00{}      ")
    memory.pipe("/b/images/cat.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    with url_bundle("memory://b") as bundle:
        on_disk = {p.relative_to(bundle.root).as_posix()
                   for p in bundle.root.rglob("*") if p.is_file()}
        assert on_disk == {"README.md", "small.csv"}
        assert set(bundle.lazy) == {"big.csv", "model.safetensors", "images/cat.png"}
        assert bundle.head("images/cat.png", 8) == b"\x89PNG\r\n\x1a\n"
        bundle.fetch(["images/cat.png", "README.md"])
        assert (bundle.root / "images/cat.png").read_bytes() == memory.cat_file("/b/images/cat.png")
        assert bundle.fetched == {"images/cat.png"}
        # A key for the result cache from what the backend says of it.
        assert bundle.keys["big.csv"].startswith("fsspec-modified:memory:///b/big.csv:")


@pytest.mark.parametrize("streamed", [False, True])
def test_a_file_that_grew_after_the_listing_is_copied_as_listed(memory, private_tmp,
                                                                monkeypatch, streamed):
    from aiart_release import remote_source

    if streamed:  # copied on its own, not in a batch
        monkeypatch.setattr(remote_source, "STREAM_BYTES", 10)
    memory.pipe("/b/w.safetensors", b"a" * 100)
    memory.pipe("/b/x.safetensors", b"b" * 50)
    with remote_source.url_bundle("memory://b") as bundle:
        memory.pipe("/b/w.safetensors", b"a" * 10_000)
        bundle.fetch(["w.safetensors", "x.safetensors", "w.safetensors"])
        assert (bundle.root / "w.safetensors").read_bytes() == b"a" * 100
        assert (bundle.root / "x.safetensors").read_bytes() == b"b" * 50
        assert bundle.fetched == {"w.safetensors", "x.safetensors"}


def test_temporary_folder_inside_a_file_bundle_is_refused(tmp_path, monkeypatch):
    import tempfile

    from aiart_release.bundle import BundleError
    from aiart_release.remote_source import url_bundle

    folder = make_bundle(tmp_path / "b", {"README.md": "# x\n"})
    (folder / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder / "tmp"))
    with pytest.raises(BundleError, match="inside"), url_bundle(f"file://{folder}"):
        pass
    assert os.listdir(folder / "tmp") == []


def test_table_parts_read_at_the_url(tmp_path):
    """A table cut at its URL gives the rows of the whole file, with no copy
    of it on disk."""
    from aiart_release.readers.tables import iter_part_rows, iter_rows, split_table

    lines = ["id,caption"] + [f'{i},"line one {i}\nline two"' if i % 5 == 0 else f"{i},x {i}"
                              for i in range(1, 301)]
    table = tmp_path / "t.csv"
    table.write_text("\n".join(lines) + "\n", encoding="utf-8")
    jsonl = tmp_path / "t.jsonl"
    jsonl.write_text("".join(json.dumps({"caption": f"c {i}"}) + "\n" for i in range(300)),
                     encoding="utf-8")
    for path in (table, jsonl):
        elsewhere = tmp_path / "not-here" / path.name
        parts = split_table(elsewhere, rows_per_part=40, url=f"file://{path}")
        assert len(parts) > 5 and all(p.url == f"file://{path}" for p in parts)
        assert [row for p in parts for row in iter_part_rows(elsewhere, p)] == \
            list(iter_rows(path))


def test_parquet_parts_read_at_a_memory_url(tmp_path, memory):
    pq = pytest.importorskip("pyarrow.parquet")
    import pyarrow as pa

    from aiart_release.readers.tables import iter_part_rows, iter_rows, split_table

    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({"caption": [f"caption {i}" for i in range(1000)]}), path,
                   row_group_size=100)
    memory.pipe("/t.parquet", path.read_bytes())
    parts = split_table(tmp_path / "absent.parquet", rows_per_part=250,
                        url="memory:///t.parquet")
    assert [(p.start, p.stop) for p in parts] == [(0, 3), (3, 6), (6, 9), (9, 10)]
    rows = [row for p in parts for row in iter_part_rows(tmp_path / "absent.parquet", p)]
    assert rows == list(iter_rows(path))


def test_small_files_are_fetched_in_bounded_batches(memory, private_tmp, monkeypatch):
    from aiart_release import remote_source

    asked: list[int] = []
    real_cat_ranges = type(memory).cat_ranges

    def cat_ranges(self, paths, starts, ends, **kwargs):
        asked.append(len(paths))
        return real_cat_ranges(self, paths, starts, ends, **kwargs)

    monkeypatch.setattr(type(memory), "cat_ranges", cat_ranges)
    monkeypatch.setattr(remote_source, "WRITE_BATCH_BYTES", 25)
    for i in range(7):
        memory.pipe(f"/b/captions/{i}.txt", f"caption {i}\n".encode())  # 10 bytes each
    with remote_source.url_bundle("memory://b") as bundle:
        assert asked == [2, 2, 2, 1]
        assert [(bundle.root / f"captions/{i}.txt").read_text() for i in range(7)] == \
            [f"caption {i}\n" for i in range(7)]


def test_report_into_a_file_url_bundle_keeps_the_folders_link_rule(cli, tmp_path,
                                                                   private_tmp):
    """-o inside the folder a file:// URL names is checked as for the path:
    a folder of it that is a link out is refused, nothing written."""
    folder = make_bundle(tmp_path / "b", {"README.md": "# Notes\n"})
    outside = tmp_path / "outside"
    outside.mkdir()
    (folder / "docs").symlink_to(outside, target_is_directory=True)
    result = cli("assess", f"file://{folder}", "-f", "json", "-o", folder / "docs" / "r.json")
    assert result.code == 2 and "outside" in result.err
    assert list(outside.iterdir()) == []


def test_without_fsspec_a_url_is_one_line(cli, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "fsspec.core", None)  # import fails
    result = cli("assess", "memory://bundle")
    assert result.code == 2 and "needs fsspec" in result.err and "Traceback" not in result.err


def test_a_file_url_in_a_system_folder_is_refused_before_it_is_listed(cli):
    result = cli("assess", "file:///proc/self")
    assert result.code == 2 and "folder of the running system" in result.err


def test_a_small_file_that_grew_after_the_listing_is_written_as_listed(memory, private_tmp,
                                                                       monkeypatch):
    from aiart_release import remote_source

    memory.pipe("/b/README.md", b"# short\n")
    write_now = remote_source._write_now

    def grown_first(bundle, paths):
        memory.pipe("/b/README.md", b"# short\n" + b"x" * 100_000)
        write_now(bundle, paths)

    monkeypatch.setattr(remote_source, "_write_now", grown_first)
    with remote_source.url_bundle("memory://b") as bundle:
        assert (bundle.root / "README.md").read_bytes() == b"# short\n"


class _SeesOnDisk:
    """A bundle check that records which of the bundle's files are on
    disk when it runs (``kinds`` as it declares them in ``bundle_reads``;
    None: it declares nothing)."""

    def __init__(self, check_id: str, kinds: frozenset[str] | None, seen: dict):
        from aiart_release.checks import Check

        seen_here = seen.setdefault(check_id, set())

        class Sees(Check):
            id = check_id
            if kinds is not None:
                bundle_reads = kinds

            def scan_bundle(self, ctx):
                # By name: opening (or a stat through the path) would copy it.
                seen_here.update(f.path for f in ctx.inventory.files
                                 if os.path.lexists(str(f.abspath)))
                return ()

        self.check = Sees()


def _bundle_checks_see(url: str, checks: list[_SeesOnDisk]) -> None:
    from aiart_release import pipeline
    from aiart_release.config import load_config
    from aiart_release.engine import Options, run_checks
    from aiart_release.facts import gather_facts
    from aiart_release.plugins import build_registry
    from aiart_release.remote_source import opened_bundle

    with opened_bundle(url) as bundle:
        registry = build_registry()
        config = load_config(bundle.folder)
        inventory = pipeline.take_inventory(bundle.folder, registry, config, Options())
        registry.checks = {c.check.id: c.check for c in checks}
        run_checks(bundle.folder, inventory, gather_facts(inventory, config), registry, config,
                   Options(use_cache=False))


def test_a_bundle_check_gets_only_the_files_of_the_kinds_it_reads(memory, private_tmp):
    memory.pipe("/b/README.md", b"# A model\n")
    memory.pipe("/b/LICENSE", b"MIT License\n")
    memory.pipe("/b/model.safetensors", b"\x08\x00\x00\x00\x00\x00\x00\x00{}      ")
    for i in range(3):
        memory.pipe(f"/b/images/{i}.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    seen: dict[str, set[str]] = {}
    cards = _SeesOnDisk("a-reads-weights", frozenset({"model-weights"}), seen)
    undeclared = _SeesOnDisk("b-reads-all", None, seen)
    _bundle_checks_see("memory://b", [cards, undeclared])
    # Checks run in id order: the weights alone were copied for the first,
    # everything for the one that says nothing of what it reads.
    assert seen["a-reads-weights"] == {"README.md", "LICENSE", "model.safetensors"}
    assert seen["b-reads-all"] == {"README.md", "LICENSE", "model.safetensors",
                                 "images/0.png", "images/1.png", "images/2.png"}


def test_a_declaration_that_is_not_a_set_of_kinds_gets_every_file(memory, private_tmp):
    memory.pipe("/b/README.md", b"# A model\n")
    memory.pipe("/b/images/0.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    seen: dict[str, set[str]] = {}
    _bundle_checks_see("memory://b", [_SeesOnDisk("odd", "image", seen)])  # a str, not a set
    assert seen["odd"] == {"README.md", "images/0.png"}


# --- export and baseline take the URLs assess takes, and write nothing there -

@pytest.fixture
def portraits_in_memory(monkeypatch, memory, private_tmp):
    """examples/portrait-sessions at memory://portrait-sessions (it has
    findings to accept); yields the memory store's state before the run."""
    _clean_env(monkeypatch)
    copy_to_memory(memory, ROOT / "examples" / "portrait-sessions", "portrait-sessions")
    before = memory_state(memory)
    yield before
    assert memory_state(memory) == before  # nothing written at the URL
    assert list(private_tmp.iterdir()) == []  # the copy removed


def test_export_of_a_memory_bundle_equals_the_folders(cli, tmp_path, monkeypatch,
                                                       portraits_in_memory):
    name = "portrait-sessions"
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    local = cli("export", "markdown", ROOT / "examples" / name, "-o", "local.md", "--no-cache")
    remote = cli("export", "markdown", f"memory://{name}", "--no-cache")
    assert (local.code, remote.code) == (0, 0), remote.err
    # Written under the kind's own name in the current folder.
    [default] = [p for p in here.iterdir() if p.name != "local.md"]
    assert default.read_text(encoding="utf-8") == (here / "local.md").read_text(encoding="utf-8")


def test_export_of_a_url_that_cannot_be_opened_is_one_line_exit_2(cli, memory):
    result = cli("export", "markdown", "memory://not-there")
    assert result.code == 2 and "'memory://not-there' does not exist" in result.err
    assert len(result.err.strip().splitlines()) == 1


def test_export_into_a_file_url_bundle_is_refused_as_into_its_folder(cli, tmp_path,
                                                                      monkeypatch):
    folder = make_bundle(tmp_path / "b", {"LICENSE": "MIT License\n", "notes.txt": "hi\n"})
    monkeypatch.chdir(folder)
    result = cli("export", "markdown", f"file://{folder}")
    assert result.code == 2 and "would be written inside the bundle" in result.err
    assert sorted(p.name for p in folder.iterdir()) == ["LICENSE", "notes.txt"]


@pytest.mark.parametrize("command", ["add", "prune"])
def test_baseline_of_a_url_bundle_is_written_only_to_a_named_local_file(cli, memory, command):
    memory.pipe("/b/LICENSE", b"MIT License\n")
    before = memory_state(memory)
    extra = ["--all-current", "--reason", "adopting the tool"] if command == "add" else []
    result = cli("baseline", command, "memory://b", *extra)
    assert result.code == 2
    assert "never written to" in result.err and "--baseline FILE" in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert memory_state(memory) == before


def test_baseline_add_audit_prune_of_a_memory_bundle(cli, tmp_path, portraits_in_memory):
    local = tmp_path / "baseline.json"
    url = "memory://portrait-sessions"
    added = cli("baseline", "add", url, "--baseline", local, "--all-current",
                "--reason", "adopting the tool on this release")
    assert added.code == 0, added.err
    entries = json.loads(local.read_text(encoding="utf-8"))["entries"]
    assert entries and f"accepted in {local}" in added.out
    # The local file stands for the bundle's baseline: every finding it
    # accepts is present, and assessing with it leaves nothing to prune.
    audit = cli("baseline", "audit", url, "--baseline", local, "--json")
    assert audit.code == 0, audit.err
    report = json.loads(audit.out)
    assert report["baseline"] == str(local) and report["stale"] == 0
    assert all(row["present"] for row in report["entries"])
    pruned = cli("baseline", "prune", url, "--baseline", local)
    assert pruned.code == 0 and "0 entries pruned" in pruned.out
    # Without --baseline, audit reads the bundle's own (none here).
    own = cli("baseline", "audit", url)
    assert own.code == 0 and f"no entries ({url}/.aiart-release-baseline.json)" in own.out


def test_baseline_option_is_refused_for_a_folder_and_for_a_url_file(cli, tmp_path, memory):
    folder = make_bundle(tmp_path / "b", {"LICENSE": "MIT License\n"})
    result = cli("baseline", "audit", folder, "--baseline", tmp_path / "x.json")
    assert result.code == 2 and "--baseline is for a bundle at a URL" in result.err
    memory.pipe("/b/LICENSE", b"MIT License\n")
    result = cli("baseline", "audit", "memory://b", "--baseline", "memory://b/x.json")
    assert result.code == 2 and "--baseline takes a local file" in result.err


def test_init_of_a_url_bundle_writes_only_to_a_named_local_file(cli, tmp_path, memory):
    memory.pipe("/b/LICENSE", b"MIT License\n")
    before = memory_state(memory)
    refused = cli("init", "memory://b")
    assert refused.code == 2 and "never written to" in refused.err
    assert "--output aiart-release.yaml" in refused.err
    assert len(refused.err.strip().splitlines()) == 1
    target = tmp_path / "aiart-release.yaml"
    written = cli("init", "memory://b", "--output", target)
    assert written.code == 0 and f"assess memory://b --config {target}" in written.out
    assert target.read_text(encoding="utf-8").startswith("#")
    # The configuration it wrote is the one assess takes for that bundle.
    assert cli("assess", "memory://b", "--config", target, "-f", "json").code in (0, 1)
    assert memory_state(memory) == before
    missing = cli("init", "memory://nowhere", "--output", tmp_path / "x.yaml")
    assert missing.code == 2 and "'memory://nowhere' does not exist" in missing.err
    assert not (tmp_path / "x.yaml").exists()


def test_a_file_a_bundle_check_did_not_declare_is_copied_when_it_opens_it(memory, private_tmp):
    import pickle

    memory.pipe("/b/README.md", b"# A model\n")
    images = {f"images/{i}.png": b"\x89PNG\r\n\x1a\n" + bytes([i]) * 64 for i in range(5)}
    for path, data in images.items():
        memory.pipe(f"/b/{path}", data)
    read: dict[str, bytes] = {}

    class PicksAtRunTime(_SeesOnDisk):
        def __init__(self):
            from aiart_release.checks import Check

            class Picks(Check):
                id = "picks"
                bundle_reads = frozenset()  # reads nothing it can name beforehand

                def scan_bundle(self, ctx):
                    by_path = {f.path: f for f in ctx.inventory.files}
                    with open(by_path["images/0.png"].abspath, "rb") as handle:
                        read["open"] = handle.read()
                    read["read_bytes"] = by_path["images/1.png"].abspath.read_bytes()
                    read["derived"] = (ctx.inventory.root / "images" / "2.png").read_bytes()
                    # Another process gets a plain path to a copied file.
                    plain = pickle.loads(pickle.dumps(by_path["images/3.png"].abspath))
                    read["pickled"] = plain.read_bytes()
                    read["on disk"] = sorted(p for p in images
                                             if os.path.lexists(str(ctx.inventory.root / p)))
                    return ()

            self.check = Picks()

    _bundle_checks_see("memory://b", [PicksAtRunTime()])
    assert read.pop("on disk") == ["images/0.png", "images/1.png", "images/2.png",
                                   "images/3.png"]  # not 4.png: nothing opened it
    assert read == {"open": images["images/0.png"], "read_bytes": images["images/1.png"],
                    "derived": images["images/2.png"], "pickled": images["images/3.png"]}


def test_a_copy_cut_short_is_removed_and_made_again_on_the_next_open(memory, private_tmp,
                                                                     monkeypatch):
    from aiart_release import remote_source
    from aiart_release.remote_source import url_bundle

    memory.pipe("/b/README.md", b"# A model\n")
    big = bytes(range(256)) * (remote_source.STREAM_BYTES // 256 + 1)
    memory.pipe("/b/model.safetensors", big)
    monkeypatch.setattr(remote_source, "_COPY_BLOCK", 1 << 16)
    with url_bundle("memory://b") as bundle:
        real_open = bundle.fs.open

        class Stop(Exception):
            pass

        class Cut:
            """The file, whose fourth read stops (as a time budget running
            out mid-copy)."""

            def __init__(self, source):
                self.source, self.reads = source, 0

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                return False

            def read(self, n=-1):
                self.reads += 1
                if self.reads > 3:
                    raise Stop
                return self.source.read(n)

        def cut(path, mode="rb", **kwargs):
            return Cut(real_open(path, mode, **kwargs))

        monkeypatch.setattr(bundle.fs, "open", cut)
        with pytest.raises(Stop):
            bundle.fetch(["model.safetensors"])
        assert not (bundle.root / "model.safetensors").exists()
        monkeypatch.setattr(bundle.fs, "open", real_open)
        bundle.fetch(["model.safetensors"])
        assert (bundle.root / "model.safetensors").read_bytes() == big


@pytest.mark.parametrize(("declared", "problem"), [
    ("image", "bundle_reads must be None or a set of file kinds"),
    ({"image", 3}, "bundle_reads must be None or a set of file kinds"),
    (frozenset({"pictures"}), "bundle_reads ['pictures'] are not file kinds"),
])
def test_a_check_declaring_what_its_bundle_step_reads_is_held_to_file_kinds(declared, problem):
    from aiart_release.checks import Check, validate_check

    class Reads(Check):
        id = "reads"
        findings = {}

        def scan_bundle(self, ctx):
            return ()

    assert validate_check(Reads()) is None  # None: every file
    check = Reads()
    check.bundle_reads = declared
    assert problem in validate_check(check)
    check.bundle_reads = frozenset({"image", "license"})
    assert validate_check(check) is None


def test_the_built_in_bundle_checks_declare_what_they_read_and_are_accepted():
    # A declaration naming no file kind would be refused at registration,
    # and the check would be missing from the registry.
    from aiart_release.plugins import build_registry

    declared = {c.id for c in build_registry().checks.values() if c.bundle_reads is not None}
    assert declared >= {"cards", "license-presence", "media-ocr", "alt-text", "licenses",
                        "generation", "provenance", "training", "memorisation", "media-marks",
                        "gguf-metadata"}
