"""The hook's own reader of git's index file, held to what git itself lists
(`git ls-files --stage`) for every index version git writes, and its
refusals: a split index, a sparse index, a file that does not match its
hash or is cut short go to git's own commands instead."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_hook import CLEAN_CAPTION, EMAIL_CAPTION, GIT_ENV, git, new_repo

from aiart_release.git_index import UnsupportedIndex, read_index
from aiart_release.git_repository import GitRepository

FILES = {
    "README.md": "# Pictures\n",
    "captions/001.txt": CLEAN_CAPTION,
    "captions/002.txt": "two cats asleep on a sofa\n",
    "captions/nested/deeper/003.txt": "a harbour at dusk\n",
    "train.py": "print('train')\n",
    "weights/w.bin": b"\x00\x01" * 300,
}


def listed_by_git(repo: Path) -> list[tuple[str, int, str, int]]:
    out = subprocess.run(["git", "ls-files", "--stage", "-z"], cwd=repo, capture_output=True,
                         check=True).stdout
    rows = []
    for record in filter(None, out.split(b"\0")):
        meta, _, name = record.partition(b"\t")
        mode, blob, stage = meta.decode().split()
        rows.append((name.decode(), int(mode, 8), blob, int(stage)))
    return rows


def read(repo: Path, object_format: str = "sha1"):
    return read_index((repo / ".git" / "index").read_bytes(), object_format)


def as_rows(entries) -> list[tuple[str, int, str, int]]:
    return [(e.path, e.mode, e.binsha.hex(), e.stage) for e in entries]


def staged_repo(tmp_path: Path, **options) -> Path:
    repo = new_repo(tmp_path / "r", FILES, **options)
    (repo / "train.py").chmod(0o755)
    git(repo, "add", "-A")
    # A path longer than the 12 bits of an entry's name length (git then
    # stores 0xFFF and ends the name with a NUL), staged without a file.
    blob = git(repo, "hash-object", "-w", "captions/001.txt").strip()
    git(repo, "update-index", "--add", "--cacheinfo", f"100644,{blob},{'d/' * 2100}long.txt")
    return repo


@pytest.mark.parametrize("version", [2, 3, 4])
def test_every_index_version_reads_as_git_lists_it(tmp_path, version):
    repo = staged_repo(tmp_path)
    git(repo, "update-index", "--index-version", str(version))
    if version == 3:  # extended flags: an entry marked skip-worktree
        git(repo, "update-index", "--skip-worktree", "README.md")
    data = (repo / ".git" / "index").read_bytes()
    assert int.from_bytes(data[4:8], "big") == version
    entries = read_index(data)
    assert as_rows(entries) == listed_by_git(repo)
    sizes = {e.path: e.size for e in entries}
    assert sizes["weights/w.bin"] == 600 and sizes["train.py"] == len("print('train')\n")
    assert {e.mode for e in entries} == {0o100644, 0o100755}
    assert len(max(sizes, key=len)) == 4208


def test_intent_to_add_entries_stage_no_content(tmp_path):
    repo = staged_repo(tmp_path)
    (repo / "later.txt").write_text(EMAIL_CAPTION)
    git(repo, "add", "-N", "later.txt")
    assert "later.txt" in [row[0] for row in listed_by_git(repo)]
    assert "later.txt" not in [e.path for e in read(repo)]


def test_a_conflict_reads_as_its_stages(tmp_path):
    repo = new_repo(tmp_path / "r", {"a.txt": "base\n"}, staged=("a.txt",))
    git(repo, "commit", "-qm", "base")
    git(repo, "checkout", "-qb", "other")
    (repo / "a.txt").write_text("theirs\n")
    git(repo, "commit", "-qam", "theirs")
    git(repo, "checkout", "-q", "-")
    (repo / "a.txt").write_text("ours\n")
    git(repo, "commit", "-qam", "ours")
    subprocess.run(["git", "merge", "-q", "other"], cwd=repo, capture_output=True,
                   env={**os.environ, **GIT_ENV})
    entries = read(repo)
    assert sorted(e.stage for e in entries) == [1, 2, 3]
    assert as_rows(entries) == listed_by_git(repo)


def test_a_sha256_repository(tmp_path):
    repo = tmp_path / "r"
    repo.mkdir()
    git(repo, "init", "-q", "--object-format=sha256")
    (repo / "a.txt").write_text(CLEAN_CAPTION)
    git(repo, "add", "a.txt")
    [entry] = read(repo, "sha256")
    assert as_rows([entry]) == listed_by_git(repo) and len(entry.binsha) == 32
    assert GitRepository.discover(repo).entries() == [entry]


@pytest.mark.parametrize("how", ["split", "sparse"])
def test_an_index_git_must_read_is_listed_by_git(tmp_path, how):
    repo = staged_repo(tmp_path)
    git(repo, "commit", "-qm", "one")
    if how == "split":
        git(repo, "update-index", "--split-index")
        (repo / "captions/004.txt").write_text("new\n")
        git(repo, "add", "captions/004.txt")
    else:
        git(repo, "sparse-checkout", "set", "--cone", "--sparse-index", "captions")
    with pytest.raises(UnsupportedIndex):
        read(repo)
    entries = GitRepository.discover(repo).entries()
    assert as_rows(entries) == listed_by_git(repo)
    sizes = {e.path: e.size for e in entries}
    assert sizes["weights/w.bin"] == 600  # asked of the object store


@pytest.mark.parametrize("damage", ["flipped", "truncated", "not an index"])
def test_a_damaged_index_is_refused(tmp_path, damage):
    repo = staged_repo(tmp_path)
    data = bytearray((repo / ".git" / "index").read_bytes())
    if damage == "flipped":
        data[40] ^= 0xFF
    elif damage == "truncated":
        data = data[:200]
    else:
        data[:4] = b"XXXX"
    with pytest.raises(UnsupportedIndex):
        read_index(bytes(data))


@pytest.mark.parametrize("how", [["captions/001.txt"], ["-a"]])
def test_a_commit_is_checked_in_the_index_git_gives_its_hooks(cli, tmp_path, monkeypatch,
                                                              how):
    """`git commit FILE` and `git commit -a` run their hooks against an
    index named by GIT_INDEX_FILE that holds the files as they are in the
    working tree: that is what is committed, not what .git/index held (the
    hook read .git/index through GitPython, and let both through)."""
    repo = new_repo(tmp_path / "r", {"captions/001.txt": CLEAN_CAPTION},
                    staged=("captions/001.txt",))
    git(repo, "commit", "-qm", "one", "--no-verify")
    (repo / "captions/001.txt").write_text(EMAIL_CAPTION)
    hook = repo / ".git" / "hooks" / "pre-commit"
    hook.write_text(f"#!/bin/sh\nexec {sys.executable} -m aiart_release hook\n")
    hook.chmod(0o755)
    monkeypatch.setenv("AIART_RELEASE_CACHE_DIR", str(tmp_path / "cache"))
    proc = subprocess.run(["git", "commit", "-qm", "two", *how], cwd=repo,
                          capture_output=True, text=True,
                          env={**os.environ, **GIT_ENV})
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "captions/001.txt:1: high pii.email-address" in proc.stdout + proc.stderr
    # Refused: .git/index is as it was, with the clean caption.
    monkeypatch.chdir(repo)
    result = cli("hook", "--all-files")
    assert result.code == 0, result.out + result.err


def test_a_linked_worktree_is_checked_in_its_own_index(cli, tmp_path, monkeypatch):
    """`git worktree add` gives each checkout its own index under
    .git/worktrees/NAME: the hook reads the one of the worktree it runs in."""
    repo = new_repo(tmp_path / "r", {"captions/001.txt": CLEAN_CAPTION},
                    staged=("captions/001.txt",))
    git(repo, "commit", "-qm", "one", "--no-verify")
    linked = tmp_path / "linked"
    git(repo, "worktree", "add", "-q", str(linked))
    (linked / "captions" / "002.txt").write_text(EMAIL_CAPTION)
    git(linked, "add", "captions/002.txt")
    monkeypatch.setenv("AIART_RELEASE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(linked)
    result = cli("hook")
    assert result.code == 1 and "captions/002.txt:1: high pii.email-address" in result.out
    monkeypatch.chdir(repo)  # the main checkout stages nothing new
    assert cli("hook").code == 0


def test_a_commit_of_a_few_files_is_planned_without_reading_the_whole_index(
        cli, tmp_path, monkeypatch):
    """A commit that changes a few files asks git for their entries alone:
    reading every entry of a large index costs more than checking a caption.
    Paths are given to git literally (glob characters, a leading colon, a
    space). A declared release is judged whole, so its index is read."""
    odd = ["captions/[a]*.txt", "captions/:x y.txt"]
    repo = new_repo(tmp_path / "r", {**FILES, **{p: CLEAN_CAPTION for p in odd}},
                    staged=("README.md", "captions/001.txt", *odd))
    git(repo, "commit", "-qm", "one", "--no-verify")
    for n, path in enumerate(odd):  # each its own address: one finding each
        (repo / path).write_text(EMAIL_CAPTION.replace("@", f"{n}@"))
    git(repo, "add", *odd)
    read_whole = []
    real_entries = GitRepository.entries

    def whole_index(self):
        read_whole.append(True)
        return real_entries(self)

    monkeypatch.setattr(GitRepository, "entries", whole_index)
    monkeypatch.setenv("AIART_RELEASE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(repo)
    for passed in ((), odd):  # what the index changes; the files pre-commit passes
        result = cli("hook", "--no-cache", *passed)
        assert result.code == 1, result.out + result.err
        for path in odd:
            assert f"{path}:1: high pii.email-address" in result.out
        assert "captions/001.txt" not in result.out
    assert not read_whole
    (repo / "aiart-release.yaml").write_text("release: open\n")
    git(repo, "add", "aiart-release.yaml")
    result = cli("hook", "--no-cache")
    assert read_whole and "staged bundle" in result.out + result.err
