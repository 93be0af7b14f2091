"""The git repository the hook reads: where it is, what its index holds,
what the index changes against ``HEAD``, and the staged blobs.

Through git's own commands and one reader of the index file
(git_index.py), not GitPython: importing GitPython and reading an index of
8,500 entries with it took 0.16 s, about what detect-secrets' whole hook
takes, and the hook is meant to cost no more than that (benchmarks/hook.py).
Every command runs with the user's environment, so a commit of named paths
(``git commit FILE``, which gives its hooks a temporary index through
``GIT_INDEX_FILE``) is checked as git will commit it.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable, Iterator
from pathlib import Path

from .git_index import IndexEntry, UnsupportedIndex, read_index


class GitError(Exception):
    """A git command failed or git is not there; the message says which."""


class NotARepository(GitError):
    """The folder is not inside a git repository's working tree."""


class BareRepository(GitError):
    """A bare repository: there is no index to check."""


def _git(cwd: Path, *args: str, data: bytes | None = None, check: bool = True) -> bytes:
    try:
        proc = subprocess.run(["git", *args], cwd=cwd, input=data, capture_output=True)
    except FileNotFoundError:
        raise GitError("the hook needs git, and no git command was found") from None
    if check and proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(f"git {args[0]} failed: {message[-1] if message else proc.returncode}")
    return proc.stdout


class GitRepository:
    """A non-bare repository, found from a folder inside its working tree."""

    def __init__(self, worktree: Path, git_dir: Path, index_file: Path, object_format: str,
                 head: str | None = None):
        self.worktree, self.git_dir = worktree, git_dir
        self.index_file, self.object_format = index_file, object_format
        self.head = head  # HEAD's commit when the repository was found; None before the first
        self._batch: subprocess.Popen | None = None

    @classmethod
    def discover(cls, start: Path) -> GitRepository:
        start = Path(start)
        if not start.is_dir():
            raise NotARepository(f"{start} is not a folder")
        try:
            lines = _git(start, "rev-parse", "--is-bare-repository", "--is-inside-work-tree",
                         "--show-cdup", "--absolute-git-dir", "--git-path", "index",
                         "--show-object-format",
                         # HEAD's commit, or nothing before the first commit:
                         # asked here rather than by a command of its own.
                         "--revs-only", "HEAD^{commit}").decode("utf-8", "surrogateescape")
        except GitError as exc:
            if "not a git repository" in str(exc):
                raise NotARepository(str(exc)) from None
            raise
        bare, inside, *rest = lines.split("\n")
        if bare == "true":
            raise BareRepository("the repository is bare: there is no index to check")
        if inside != "true":
            raise NotARepository(f"{start} is inside a repository's git folder, not its "
                                 "working tree")
        cdup, git_dir, index, object_format = rest[:4]
        head = rest[4].strip() if len(rest) > 4 else ""
        return cls((start / cdup).resolve(), Path(git_dir), start / index, object_format,
                   head or None)

    # The index.

    def entries(self) -> list[IndexEntry]:
        """Every index entry (each stage of a path in conflict). Read from
        the file; one this reader does not take (a split or sparse index) is
        listed by git, and its blobs' sizes asked of the object store."""
        try:
            data = self.index_file.read_bytes()
        except FileNotFoundError:
            return []  # a new repository: nothing staged yet
        except OSError as exc:
            raise GitError(f"cannot read the index {self.index_file}: {exc.strerror}") from None
        try:
            return read_index(data, self.object_format)
        except UnsupportedIndex:
            return self._listed_entries()

    def entries_of(self, paths: Iterable[str]) -> list[IndexEntry]:
        """The index entries of ``paths`` alone (each stage of one in
        conflict; a path not in the index has none), listed by git. Git
        reads its index in C whatever the repository's size; reading every
        entry here grows with it (14 ms for 8,500 files, ten times that for a
        dataset of 85,000 captions), and a commit of one caption needs one
        entry. An intent-to-add path (``git add -N``), which git's lists of
        staged changes leave out, is listed as the empty blob it records."""
        specs = [f":(top,literal){p}" for p in dict.fromkeys(paths)]
        return self._listed_entries(specs) if specs else []

    def _listed_entries(self, specs: list[str] | None = None) -> list[IndexEntry]:
        listed = []
        command = ["ls-files", "--stage", "-z"]
        if specs is not None:
            command += ["--", *specs]
        for record in _git(self.worktree, *command).split(b"\0"):
            if not record:
                continue
            meta, _, name = record.partition(b"\t")
            mode, blob, stage = meta.split(b" ")
            listed.append((name.decode("utf-8", "surrogateescape"), int(mode, 8),
                           bytes.fromhex(blob.decode()), int(stage)))
        sizes = self.sizes(b for _, mode, b, _ in listed if _is_file(mode))
        return [IndexEntry(name, mode, blob, sizes.get(blob, 0), stage)
                for name, mode, blob, stage in listed]

    def head_exists(self) -> bool:
        return self.head is not None

    def staged_changes(self) -> tuple[set[str], bool]:
        """The paths whose staged content differs from ``HEAD`` (added,
        modified, the new side of a rename, a type change, and a path in
        conflict), and whether the index deletes anything. One ``git diff
        --cached``."""
        out = _git(self.worktree, "diff", "--cached", "--name-status", "-z", "--no-renames",
                   "--no-ext-diff", "HEAD")
        fields = out.split(b"\0")[:-1]  # each field ends with a NUL
        changed, deletes = set(), False
        for status, name in zip(fields[0::2], fields[1::2], strict=True):
            if status == b"D":
                deletes = True
            else:
                changed.add(name.decode("utf-8", "surrogateescape"))
        return changed, deletes

    def differs_from_index(self, path: str) -> bool:
        """Whether the working tree's ``path`` differs from its staged blob."""
        return bool(_git(self.worktree, "diff", "--name-only", "--no-ext-diff", "--", path))

    # The object store.

    def sizes(self, blobs: Iterable[bytes]) -> dict[bytes, int]:
        """The object store's size of each blob, by id; one command for all."""
        wanted = list(dict.fromkeys(blobs))
        if not wanted:
            return {}
        out = _git(self.worktree, "cat-file", "--batch-check=%(objectname) %(objectsize)",
                   data="".join(f"{b.hex()}\n" for b in wanted).encode("ascii"))
        sizes = {}
        for line in out.splitlines():
            name, _, size = line.partition(b" ")
            if size.isdigit():
                sizes[bytes.fromhex(name.decode())] = int(size)
        return sizes

    def blob_stream(self) -> subprocess.Popen:
        """``git cat-file --batch``: write blob ids, one a line, to its stdin;
        each answer is ``<id> blob <size>\\n``, the bytes, then ``\\n``."""
        try:
            return subprocess.Popen(["git", "cat-file", "--batch"], cwd=self.worktree,
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    stderr=subprocess.DEVNULL)
        except FileNotFoundError:
            raise GitError("the hook needs git, and no git command was found") from None

    def blob_head(self, blob: bytes, count: int) -> bytes:
        """The first ``count`` bytes of a blob, through one ``cat-file``
        kept open for the run (a classifier asks this of many files)."""
        if self._batch is None:
            self._batch = self.blob_stream()
        batch = self._batch
        batch.stdin.write(blob.hex().encode("ascii") + b"\n")
        batch.stdin.flush()
        header = batch.stdout.readline().split()
        if len(header) != 3 or header[1] != b"blob":
            raise GitError(f"git cannot give the blob {blob.hex()}")
        size = int(header[2])
        head = batch.stdout.read(min(count, size))
        for _ in _blocks(batch.stdout, size - len(head) + 1):  # the rest, and the line feed
            pass
        return head

    def close(self) -> None:
        if self._batch is not None:
            self._batch.stdin.close()
            self._batch.wait()
            self._batch = None


def _is_file(mode: int) -> bool:
    return mode & 0o170000 == 0o100000


def _blocks(stream, count: int, block: int = 1 << 20) -> Iterator[bytes]:
    while count > 0:
        chunk = stream.read(min(block, count))
        if not chunk:
            return
        count -= len(chunk)
        yield chunk
