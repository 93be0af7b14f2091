"""`aiart-release hook` checks what is staged: the blobs in the git index,
never the working tree; untracked and gitignored files are not read, and
nothing is written inside the repository."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from conftest import SAFETENSORS, make_bundle

EMAIL_CAPTION = "a photo sent by jane.doe@gmail.com at the beach\n"
CLEAN_CAPTION = "a red bicycle against a white wall\n"
# Card-like numbers (Luhn-valid test numbers), as in pip's cacert.pem of the issue.
CARDS = "".join(f"4111 1111 1111 1111 {n}\n5500 0000 0000 0004\n" for n in range(200))
GIT_ENV = {"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}


def git(repo: Path, *args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=repo, env={**os.environ, **GIT_ENV},
                          capture_output=True, text=True, check=True)
    return proc.stdout


def new_repo(path: Path, files: dict[str, str | bytes] | None = None, *,
             staged: tuple[str, ...] = ()) -> Path:
    make_bundle(path, files or {})
    git(path, "init", "-q")
    if staged:
        git(path, "add", "--", *staged)
    return path


@pytest.fixture
def private_tmp(tmp_path, monkeypatch):
    """The hook's temporary folder, to see that it is emptied."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    monkeypatch.setenv("TMPDIR", str(folder))  # chosen: no memory folder instead
    return folder


def worktree_state(repo: Path) -> dict[str, tuple[int, int]]:
    """Size and mtime of every entry outside .git (stat only: reading would
    open the FIFOs and unreadable files the tests plant)."""
    state = {}
    for dirpath, dirnames, filenames in os.walk(repo):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        for name in filenames:
            info = os.lstat(os.path.join(dirpath, name))
            state[os.path.join(dirpath, name)] = (info.st_size, info.st_mtime_ns)
    return state


def test_the_staged_blob_is_checked_not_the_working_tree(cli, tmp_path, monkeypatch,
                                                         private_tmp):
    repo = new_repo(tmp_path / "r", {"captions/001.txt": EMAIL_CAPTION},
                    staged=("captions/001.txt",))
    (repo / "captions/001.txt").write_text(CLEAN_CAPTION)  # edited after staging
    monkeypatch.chdir(repo)
    before = worktree_state(repo)
    result = cli("hook")
    assert result.code == 1, result.out + result.err
    assert "captions/001.txt:1: high pii.email-address" in result.out
    assert "jane.doe" not in result.out + result.err  # masked
    assert "fix:" in result.out and "commit blocked" in result.out
    assert worktree_state(repo) == before  # nothing written in the repository
    assert list(private_tmp.iterdir()) == []  # the staged copy is removed

    # The other way round: a clean blob, an address only in the working tree.
    git(repo, "add", "captions/001.txt")
    (repo / "captions/001.txt").write_text(EMAIL_CAPTION)
    result = cli("hook")
    assert result.code == 0, result.out + result.err
    assert "passed" in result.out


def test_untracked_and_gitignored_files_are_never_read(cli, tmp_path, monkeypatch,
                                                       private_tmp):
    repo = new_repo(tmp_path / "r", {
        ".gitignore": ".venv/\n",
        "train.py": "print('training')\n",
        "scratch.txt": EMAIL_CAPTION,  # untracked
        ".venv/lib/site-packages/pip/_vendor/certifi/cacert.pem": CARDS,
        ".venv/secret.txt": EMAIL_CAPTION,
    }, staged=(".gitignore", "train.py"))
    # Files that hang or fail whoever opens them: the hook must not.
    os.mkfifo(repo / "untracked.fifo")
    os.mkfifo(repo / ".venv" / "pipe")
    (repo / ".venv" / "secret.txt").chmod(0)
    monkeypatch.chdir(repo)
    # pre-commit never passes untracked files, but a user may: not read either.
    for args in (["hook"], ["hook", "train.py", "scratch.txt", ".venv/secret.txt"],
                 ["hook", "--all-files"]):
        result = cli(*args)
        assert result.code == 0, (args, result.out + result.err)
        assert ".venv" not in result.out + result.err and "scratch" not in result.out


def test_only_the_files_passed_are_checked(cli, tmp_path, monkeypatch, private_tmp):
    """pre-commit's `files:` and `exclude:` work: it passes the files they leave."""
    repo = new_repo(tmp_path / "r", {"captions/a.txt": EMAIL_CAPTION,
                                     "captions/b.txt": EMAIL_CAPTION},
                    staged=("captions",))
    monkeypatch.chdir(repo)
    result = cli("hook", "captions/a.txt")
    assert result.code == 1, result.out + result.err
    assert "captions/a.txt:1" in result.out and "b.txt" not in result.out
    # From a subfolder, paths are relative to it, as git and pre-commit give them.
    monkeypatch.chdir(repo / "captions")
    assert "captions/b.txt:1" in cli("hook", "b.txt").out


def test_all_files_renames_and_deletions(cli, tmp_path, monkeypatch, private_tmp):
    repo = new_repo(tmp_path / "r", {"captions/a.txt": EMAIL_CAPTION, "b.txt": CLEAN_CAPTION},
                    staged=("captions/a.txt", "b.txt"))
    git(repo, "commit", "-qm", "first", "--no-verify")
    monkeypatch.chdir(repo)
    result = cli("hook")
    assert result.code == 0 and "nothing staged" in result.err
    # --all-files: pre-commit passes every tracked file, committed ones too.
    result = cli("hook", "captions/a.txt", "b.txt")
    assert result.code == 1 and "captions/a.txt:1" in result.out
    assert cli("hook", "--all-files").code == 1
    # A rename is checked at its new path.
    git(repo, "mv", "captions/a.txt", "captions/renamed.txt")
    result = cli("hook")
    assert result.code == 1 and "captions/renamed.txt:1" in result.out
    # A deletion has nothing to check.
    git(repo, "rm", "-q", "--cached", "captions/renamed.txt")
    result = cli("hook")
    assert result.code == 0, result.out
    assert "nothing staged" in result.err


def test_submodules_are_skipped_and_said_once(cli, tmp_path, monkeypatch, private_tmp):
    repo = new_repo(tmp_path / "r", {"b.txt": CLEAN_CAPTION}, staged=("b.txt",))
    for name in ("vendor/one", "vendor/two"):
        git(repo, "update-index", "--add", "--cacheinfo",
            f"160000,{'1' * 40},{name}")
    monkeypatch.chdir(repo)
    result = cli("hook")
    assert result.code == 0, result.out + result.err
    notes = [line for line in result.err.splitlines() if "submodule" in line]
    assert notes == ["aiart-release: 2 submodules skipped: vendor/one, vendor/two"]


def test_a_staged_binary_is_read_from_its_blob(cli, tmp_path, monkeypatch, private_tmp):
    from PIL import Image, PngImagePlugin

    repo = new_repo(tmp_path / "r")
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Jane Doe <jane.doe@gmail.com>")
    Image.new("RGB", (16, 16)).save(repo / "photo.png", pnginfo=info)
    (repo / "w.safetensors").write_bytes(SAFETENSORS)
    git(repo, "add", "photo.png", "w.safetensors")
    (repo / "photo.png").write_bytes(b"")  # the working tree no longer has it
    monkeypatch.chdir(repo)
    result = cli("hook", "--fail-on", "low")
    assert result.code == 1, result.out + result.err
    assert "photo.png: low image.creator-metadata" in result.out
    assert "jane.doe" not in result.out


def test_the_declared_release_gates_the_whole_staged_bundle(cli, tmp_path, monkeypatch,
                                                             private_tmp):
    repo = new_repo(tmp_path / "r", {
        "aiart-release.yaml": "release: open\ncommercial: false\n",
        "LICENSE": "MIT License\n\nCopyright (c) 2026 t\n\nPermission is hereby granted, "
                   "free of charge, to any person obtaining a copy\n",
        "README.md": "# pictures\n",
        "src/train.py": "print('hi')\n",
    })
    git(repo, "add", "-A")
    monkeypatch.chdir(repo)
    first = cli("hook")
    assert first.code in (0, 1)
    assert "the staged bundle" in first.out
    git(repo, "commit", "-qm", "first", "--no-verify")
    # Deleting the licence changes no file to read, but the bundle it leaves
    # is judged against the declared release.
    git(repo, "rm", "-q", "--cached", "LICENSE")
    result = cli("hook")
    assert result.code == 1, result.out + result.err
    assert "declared open" in result.out


def test_a_broken_staged_configuration_is_named_by_its_repository_path(
        cli, tmp_path, monkeypatch, private_tmp):
    repo = new_repo(tmp_path / "r", {"aiart-release.yaml": "commercial: maybe\n",
                                     "captions/a.txt": CLEAN_CAPTION}, staged=("captions",))
    (repo / "aiart-release.yaml").write_text("release: open\n")  # fixed, not staged
    git(repo, "add", "aiart-release.yaml")
    (repo / "aiart-release.yaml").write_text("commercial: maybe\n")
    monkeypatch.chdir(repo)
    assert cli("hook").code in (0, 1)  # the staged configuration is the one read
    git(repo, "add", "aiart-release.yaml")
    result = cli("hook")
    assert result.code == 2
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("aiart-release: error: aiart-release.yaml:1:13")
    assert list(private_tmp.iterdir()) == []


def _whole_bundle_repo(path: Path) -> Path:
    repo = new_repo(path, {
        "aiart-release.yaml": "release: open\ncommercial: false\n",
        "LICENSE": "MIT License\n\nCopyright (c) 2026 t\n",
        "README.md": "# pictures\n",
        "captions/a.txt": EMAIL_CAPTION,
        "captions/b.txt": CLEAN_CAPTION,
        "src/train.py": "print('hi')\n",
        "photo.png": _png(),
    })
    git(repo, "add", "-A")
    return repo


def _png() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 10, 10)).save(out, format="PNG")
    return out.getvalue()


def test_the_hook_says_the_same_with_and_without_the_cache(cli, tmp_path, monkeypatch,
                                                           private_tmp):
    from aiart_release.cache import DB_NAME, describe

    repo = _whole_bundle_repo(tmp_path / "r")
    cache = tmp_path / "cache"
    monkeypatch.setenv("AIART_RELEASE_CACHE_DIR", str(cache))
    monkeypatch.chdir(repo)
    fresh = cli("hook", "--no-cache")
    cold = cli("hook")
    warm = cli("hook")
    assert fresh.code == cold.code == warm.code == 1, fresh.out + fresh.err
    assert "captions/a.txt:1: high pii.email-address" in warm.out
    assert fresh.out == cold.out == warm.out
    last = describe(cache)["last_run"]
    assert last["misses"] == 0 and last["hits"] > 0  # files and bundle checks alike
    # The copies were named by their blobs: none was hashed, so the
    # database holds no content hash of a temporary path.
    import sqlite3

    db = sqlite3.connect(cache / DB_NAME)
    assert db.execute("SELECT count(*) FROM files").fetchone() == (0,)
    db.close()
    # A new blob at the same path is a new key: read, and found.
    (repo / "captions/b.txt").write_text("mail bob.smith@gmail.com for prints\n")
    git(repo, "add", "captions/b.txt")
    changed = cli("hook")
    assert "captions/b.txt:1: high pii.email-address" in changed.out
    assert describe(cache)["last_run"]["misses"] > 0


def test_the_staged_copy_goes_to_a_memory_folder_with_room(cli, tmp_path, monkeypatch):
    from aiart_release import hook

    memory = tmp_path / "shm"
    memory.mkdir()
    for name in ("TMPDIR", "TEMP", "TMP"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(hook, "MEMORY_FOLDERS", (str(memory),))
    used: list[str] = []
    real_mkdtemp = tempfile.mkdtemp

    def mkdtemp(*args, **kwargs):
        folder = real_mkdtemp(*args, **kwargs)
        used.append(folder)
        return folder

    monkeypatch.setattr(tempfile, "mkdtemp", mkdtemp)
    repo = new_repo(tmp_path / "r", {"captions/a.txt": EMAIL_CAPTION}, staged=("captions",))
    monkeypatch.chdir(repo)
    assert cli("hook").code == 1
    assert [Path(f).parent for f in used] == [memory]
    assert list(memory.iterdir()) == []  # removed
    # Without room for it (the headroom alone is more than is free), the
    # system's temporary folder.
    monkeypatch.setattr(hook, "MEMORY_HEADROOM", 1 << 62)
    used.clear()
    assert cli("hook", "--no-cache").code == 1  # a full run, not the stored verdict
    assert [Path(f).parent for f in used] == [Path(tempfile.gettempdir()).resolve()]


def test_images_and_weights_are_written_only_when_a_check_must_read_them(
        cli, tmp_path, monkeypatch, private_tmp):
    from aiart_release import hook
    from aiart_release.plugins import build_registry

    repo = _whole_bundle_repo(tmp_path / "r")
    # A bundle check the cache cannot answer for may read any file: only
    # those that can are left on.
    uncached = sorted(c.id for c in build_registry().checks.values()
                      if c.scans_bundle and not c.caches_bundle_results)
    (repo / "aiart-release.yaml").write_text(
        "release: open\ncommercial: false\nchecks:\n"
        + "".join(f"  {cid}: {{enabled: false}}\n" for cid in uncached))
    git(repo, "add", "aiart-release.yaml")
    (repo / "model").mkdir()
    (repo / "model/w.safetensors").write_bytes(SAFETENSORS)
    git(repo, "add", "model/w.safetensors")
    monkeypatch.setenv("AIART_RELEASE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(repo)
    written: list[str] = []
    real = hook._copy_out

    def recorded(repo_, blobs, max_file_size):
        written.extend(entry.path for entry, _ in blobs)
        return real(repo_, blobs, max_file_size)

    monkeypatch.setattr(hook, "_copy_out", recorded)
    cold = cli("hook")
    assert {"photo.png", "model/w.safetensors", "captions/a.txt"} <= set(written)
    written.clear()
    # The full run from the result cache, not the stored verdict (which
    # writes nothing at all).
    from aiart_release.hook_verdict import Verdicts

    monkeypatch.setattr(Verdicts, "replay", lambda self, plan: None)
    warm = cli("hook")
    assert warm.out == cold.out and warm.code == cold.code == 1
    # The cache answered for them: the text is written (the walk reads it),
    # the image and the weights are not.
    assert "captions/a.txt" in written
    assert "photo.png" not in written and "model/w.safetensors" not in written


def test_the_staged_view_lists_unwritten_files_as_a_written_folder_would(tmp_path):
    from aiart_release.bundle import build_inventory
    from aiart_release.hook import staged_view
    from aiart_release.plugins import build_registry

    files = {"data/images/a.png": _png(), "data/images/a.txt": CLEAN_CAPTION,
             "model/w.safetensors": SAFETENSORS, "model/README.md": "# weights\n",
             "notes.zip": b"PK\x05\x06" + b"\0" * 18, "odd/x.bin": b"\0\1\2",
             "fixtures/tiny.npy": b"\x93NUMPY\x01\x00", "src/train.py": "print(1)\n"}
    repo = new_repo(tmp_path / "r", files)
    git(repo, "add", "-A")
    written = make_bundle(tmp_path / "w", files)
    classify = build_registry().classify

    def listing(root):
        inventory = build_inventory(root, classify)
        return [(f.path, f.kind, f.artifact, f.context, f.skipped, f.size, f.head)
                for f in inventory.files], [(f.id, f.location.path) for f in inventory.findings]

    with staged_view(repo, all_staged=True) as view:
        staged = listing(view.root)
        unwritten = [p for p in files if not (view.root / p).exists()]
    assert staged == listing(written)
    assert set(unwritten) >= {"data/images/a.png", "model/w.safetensors", "notes.zip"}


def test_a_staged_blob_missing_from_the_object_store_is_said_in_one_line(
        cli, tmp_path, monkeypatch, private_tmp):
    repo = new_repo(tmp_path / "r", {"captions/a.txt": CLEAN_CAPTION}, staged=("captions",))
    monkeypatch.chdir(repo)
    for ghost in ("captions/ghost.txt", "images/ghost.png"):  # written now, or later
        git(repo, "update-index", "--add", "--info-only", "--cacheinfo",
            f"100644,{'ab' * 20},{ghost}")
        result = cli("hook")
        assert result.code == 2, result.out + result.err
        lines = result.err.strip().splitlines()
        assert len(lines) == 1 and "ghost" in lines[0] and "git fsck" in lines[0], lines
        assert list(private_tmp.iterdir()) == []
        git(repo, "rm", "-q", "--cached", ghost)


def test_outside_a_repository_is_a_usage_error(cli, tmp_path, monkeypatch):
    make_bundle(tmp_path / "b", {"a.txt": EMAIL_CAPTION})
    monkeypatch.chdir(tmp_path / "b")
    result = cli("hook")
    assert result.code == 2
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and "not inside a git repository" in lines[0]


def test_a_temporary_folder_inside_the_repository_is_refused(cli, tmp_path, monkeypatch):
    repo = new_repo(tmp_path / "r", {"captions/a.txt": EMAIL_CAPTION}, staged=("captions",))
    (repo / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(repo / "tmp"))
    monkeypatch.chdir(repo)
    result = cli("hook")
    assert result.code == 2 and "TMPDIR" in result.err
    assert list((repo / "tmp").iterdir()) == []


SPACY_PROBE = ("import sys\nfrom aiart_release.cli import main\ncode = main(['hook'])\n"
               "print(code, 'spacy' in sys.modules, 'presidio_analyzer' in sys.modules)\n")


def _stage_nothing(repo: Path) -> None:
    pass


def _stage_a_deletion(repo: Path) -> None:
    git(repo, "add", "notes.txt")
    git(repo, "commit", "-qm", "first", "--no-verify")
    git(repo, "rm", "-q", "--cached", "notes.txt")


def _stage_a_submodule(repo: Path) -> None:
    git(repo, "update-index", "--add", "--cacheinfo", f"160000,{'1' * 40},vendor/lib")


def _stage_an_image(repo: Path) -> None:
    from PIL import Image

    Image.new("RGB", (16, 16)).save(repo / "a.png")
    git(repo, "add", "a.png")


NOTHING_RELEVANT = [
    _stage_nothing, _stage_a_deletion, _stage_a_submodule,
    _stage_an_image,  # the pii check builds its analyzer only for text
]


@pytest.mark.parametrize("stage", NOTHING_RELEVANT)
def test_a_hook_with_nothing_relevant_staged_does_not_import_spacy(tmp_path, stage):
    repo = new_repo(tmp_path / "r", {"notes.txt": EMAIL_CAPTION})
    stage(repo)
    env = {**os.environ, **GIT_ENV, "AIART_RELEASE_CACHE_DIR": str(tmp_path / "cache")}
    proc = subprocess.run([sys.executable, "-c", SPACY_PROBE], cwd=repo, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.stdout.split()[-3:] == ["0", "False", "False"], proc.stdout + proc.stderr


@pytest.mark.parametrize(("args", "code"), [
    ([], 1), (["--no-cache"], 1), (["--fail-on", "critical"], 0), (["--fail-on=critical"], 0),
    (["--fail-on", "hihg"], 2), (["--timeout", "-1"], 2), (["--timeout=abc"], 2),
    (["--timeout", "60", "--all-files"], 1), (["captions/b.txt"], 0),
    (["captions/b.txt", "--fail-on", "medium", "captions/a.txt"], 1),
    (["--debug", "--no-cache"], 1), (["--bogus"], 2), (["--fail-on"], 2),
    (["--", "captions/a.txt"], 1),
])
def test_the_hook_without_click_answers_as_the_hook_through_click(tmp_path, monkeypatch,
                                                                 capsys, args, code):
    """entry.py reads the hook's command line itself and leaves any other to
    click: both ways give the same exit code and the same lines."""
    from aiart_release import entry

    repo = new_repo(tmp_path / "r", {"captions/a.txt": EMAIL_CAPTION,
                                     "captions/b.txt": CLEAN_CAPTION},
                    staged=("captions/a.txt", "captions/b.txt"))
    monkeypatch.chdir(repo)
    answers = []
    from aiart_release.cli import main

    for n, run in enumerate((entry.main, main)):
        # A cache each: the second run must not replay the first's verdict.
        monkeypatch.setenv("AIART_RELEASE_CACHE_DIR", str(tmp_path / f"cache{n}"))
        answers.append((run(["hook", *args]), *capsys.readouterr()))
    assert answers[0] == answers[1]
    assert answers[0][0] == code, answers[0]
