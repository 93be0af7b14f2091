"""The pre-commit hook's view of a repository: the staged content, not the
working tree.

``staged_view`` reads the git index (git_repository.py) and writes the blobs to
check into a private temporary folder outside the repository, each at its
path in the repository, so that every check reads it as an ordinary file
and none of them needs to know about git. The folder is removed when the
view is closed, whatever happened. Nothing is read from the working tree:
an untracked or gitignored file (a ``.venv`` of thousands of files) is never
opened, and a file staged and then edited again is checked as staged.

Which blobs are written:

- the files pre-commit passes (``pass_filenames: true``, so its ``files:``
  and ``exclude:`` apply; ``--all-files`` passes every tracked file), or,
  with no files given, the files the index changes against ``HEAD``
  (every file of a repository with no commits yet). A deleted file has
  nothing to check; a renamed one is checked at its new path.
- when the repository declares its release (``aiart-release.yaml`` or
  ``[tool.aiart-release]`` staged at its root), every staged file, so that
  the tier gate judges the whole bundle as it will be committed; the result
  cache is keyed by content, so the files the commit does not change are
  answered from it rather than checked again.

Submodules (gitlinks) and symbolic links have no content of their own here:
they are skipped, and said once. A blob larger than the size limit is not
read at all: a sparse file of its size stands for it, which the inventory
lists as too large.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import field
from pathlib import Path, PurePosixPath
from typing import NamedTuple

from .bundle import StagedSource, staged_source
from .git_index import IndexEntry as _Entry
from .git_repository import BareRepository, GitError, GitRepository, NotARepository
from .records import dataclass
from .sizes import DEFAULT_MAX_FILE_SIZE

# baseline.BASELINE_NAME and config.CONFIG_NAMES, named here rather than
# imported: those modules import the YAML and JSON readers, a sixth of a
# hook run answered by its stored verdict (hook_verdict.py), which needs
# only the names. tests/test_hook_verdict.py holds them equal.
BASELINE_NAME = ".aiart-release-baseline.json"
CONFIG_NAMES = ("aiart-release.yaml", "aiart-release.yml", ".aiart-release.yaml")

GITLINK = 0o160000  # a submodule's commit, recorded in the superproject's index
_COPY_BLOCK = 1 << 20


class HookError(Exception):
    """The hook cannot run here (exit 2): no repository, a bare one, no git."""


@dataclass
class StagedView:
    """The staged files laid out under ``root`` (a temporary folder).

    ``checked`` holds the repository paths the commit changes that were
    written (what the findings of a partial view are kept for);
    ``whole_bundle`` says that every staged file was written because the
    repository declares its release; ``notes`` are what was skipped, one
    line each, for the user."""

    root: Path
    repository: Path
    checked: list[str] = field(default_factory=list)
    whole_bundle: bool = False
    changes: bool = False
    notes: list[str] = field(default_factory=list)


def open_repository(start: Path) -> GitRepository:
    """The git repository holding ``start``. Raises HookError with a
    message a person can act on."""
    try:
        return GitRepository.discover(start)
    except NotARepository:
        raise HookError(f"'{start}' is not inside a git repository's working tree; the hook "
                        "checks what is staged for a commit (run `aiart-release assess PATH` "
                        "on a folder)") from None
    except BareRepository:
        raise HookError("the repository is bare: there is no index to check") from None
    except GitError as exc:
        raise HookError(str(exc)) from None


@dataclass(frozen=True)
class ViewPlan:
    """What a staged view will consist of, known before any blob is
    written: the index entries to lay out (``chosen``), the paths the
    commit changes, and the scope. Two runs with the same plan see the same
    files with the same content (a blob id names its content)."""

    repository: Path
    chosen: tuple[_Entry, ...]
    changed: tuple[str, ...]
    whole_bundle: bool
    changes: bool
    unmerged: tuple[str, ...]


@contextmanager
def staged_view(start: Path, files: Sequence[str] = (), *, all_staged: bool = False,
                max_file_size: int = DEFAULT_MAX_FILE_SIZE,
                before_copy: Callable[[ViewPlan], None] | None = None
                ) -> Iterator[StagedView]:
    """The staged content of the repository holding ``start``, laid out in a
    temporary folder that is removed on exit. ``files``: the paths
    pre-commit passed (relative to ``start``); none: what the index changes;
    ``all_staged``: every staged file. ``before_copy`` is shown the plan
    once the refusals (an unstaged baseline, a temporary folder inside the
    repository) have passed and before anything is written; it may end the
    run (the hook's stored verdict, hook_verdict.py)."""
    repo = open_repository(start)
    try:
        repository = repo.worktree
        passed = _passed_paths(files, Path(start).resolve(), repository) if files else None
        staged = _staged(repo, passed, all_staged)
        entries, unmerged, changed = staged.entries, staged.unmerged, staged.changed
        changes = staged.changes
        _refuse_unstaged_baseline(repo, entries, repository)
        parent = _temporary_parent(repository)
        whole_bundle = _declares_release(repo, entries, parent)
        if whole_bundle and not staged.complete:
            entries, unmerged = _index_entries(repo)
        targets = sorted(entries) if whole_bundle else changed
        if BASELINE_NAME in entries and BASELINE_NAME not in targets:
            targets = [*targets, BASELINE_NAME]  # what the commit accepts
        chosen = [entries[p] for p in targets]
        if before_copy is not None:
            before_copy(ViewPlan(repository, tuple(chosen), tuple(changed), whole_bundle,
                                 changes, tuple(sorted(unmerged))))
        root = Path(tempfile.mkdtemp(prefix="aiart-release-hook-",
                                     dir=_scratch_parent(parent, chosen, max_file_size)))
        try:
            view = StagedView(root=root, repository=repository, changes=changes,
                              whole_bundle=whole_bundle)
            later = _Later(repo, root, max_file_size)
            listed = _write_blobs(repo, chosen, root, max_file_size, view.notes, later)
            view.checked = [p for p in changed if p in listed]
            if unmerged:
                view.notes.append(f"{_count(len(unmerged), 'unmerged file')} not checked "
                                  "(resolve the conflict and stage the result)")
            # The index names each blob by its content: the result cache
            # takes that name rather than hashing the copies again (they are
            # new files every run, so their stat would never match).
            source = StagedSource(keys={path: blob_key(entries[path]) for path in listed},
                                  lazy=later.sizes, read_head=later.head, fetch=later.write)
            with staged_source(root, source):
                yield view
        finally:
            shutil.rmtree(root, ignore_errors=True)
    except GitError as exc:
        raise HookError(str(exc)) from None
    finally:
        repo.close()


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


# The files at the repository's root that decide the view's scope: the
# configuration (a declared release is judged whole) and the baseline.
_SCOPE_NAMES = (*CONFIG_NAMES, "pyproject.toml", BASELINE_NAME)
# Past this many changed paths the whole index is read rather than listed
# path by path (a command line has a length limit; the index reader's cost
# is then spread over many files).
MAX_LISTED_PATHS = 512


class _Staged(NamedTuple):
    """What the index holds for the view: the stage-0 entries by path
    (``complete``: every one, else those of the changed paths and the
    scope names), the paths in conflict, the paths the commit changes, and
    whether it changes anything (a deletion does, with nothing to read)."""

    entries: dict[str, _Entry]
    unmerged: set[str]
    changed: list[str]
    changes: bool
    complete: bool


def _staged(repo: GitRepository, passed: list[str] | None, all_staged: bool) -> _Staged:
    """The entries of the paths pre-commit ``passed``, of what the index
    changes against ``HEAD``, or (``all_staged``, or no commit yet) of
    every staged file. A commit of a few files asks git for their entries
    alone: reading all of a large index costs more than checking a caption."""
    if passed is not None:
        entries, unmerged, complete = _entries_for(repo, passed)
        return _Staged(entries, unmerged, [p for p in passed if p in entries], bool(passed),
                       complete)
    if all_staged or not repo.head_exists():
        entries, unmerged = _index_entries(repo)
        return _Staged(entries, unmerged, sorted(entries), bool(entries), True)
    paths, deletes = repo.staged_changes()
    entries, unmerged, complete = _entries_for(repo, sorted(paths))
    changed = [p for p in sorted(paths) if p in entries]
    return _Staged(entries, unmerged, changed, bool(changed) or deletes, complete)


def _entries_for(repo: GitRepository, paths: list[str]
                 ) -> tuple[dict[str, _Entry], set[str], bool]:
    """The entries of ``paths`` and of the scope names, and whether every
    entry of the index was read instead (too many paths to list)."""
    if len(paths) > MAX_LISTED_PATHS:
        return (*_index_entries(repo), True)
    return (*_index_entries(repo, [*paths, *_SCOPE_NAMES]), False)


def _index_entries(repo: GitRepository, paths: list[str] | None = None
                   ) -> tuple[dict[str, _Entry], set[str]]:
    """The index's stage-0 entries by path, and the paths in conflict: of
    ``paths`` alone, or of the whole index."""
    entries: dict[str, _Entry] = {}
    unmerged: set[str] = set()
    for entry in (repo.entries() if paths is None else repo.entries_of(paths)):
        if entry.stage == 0:
            entries[entry.path] = entry
        else:
            unmerged.add(entry.path)
    return entries, unmerged - set(entries)


def _passed_paths(files: Sequence[str], start: Path, repository: Path) -> list[str]:
    """The paths pre-commit passed, as repository paths (POSIX, relative to
    its root); a path outside the repository is left out."""
    out = []
    for name in files:
        absolute = Path(os.path.abspath(start / name))
        try:
            out.append(absolute.relative_to(repository).as_posix())
        except ValueError:
            continue
    return sorted(set(out))


def _refuse_unstaged_baseline(repo: GitRepository, entries: dict[str, _Entry],
                              repository: Path) -> None:
    """The baseline the commit carries is the staged one; one changed in the
    working tree but not staged would be judged by a file the commit does
    not hold (accepted here, refused in CI): refused, with what to do."""
    if BASELINE_NAME in entries:
        unstaged = repo.differs_from_index(BASELINE_NAME)
    else:
        unstaged = os.path.lexists(repository / BASELINE_NAME)
    if unstaged:
        raise HookError(f"{BASELINE_NAME} is changed but not staged: stage it "
                        f"(git add {BASELINE_NAME}) or undo the change, then commit again")


def _temporary_parent(repository: Path) -> str:
    """The system's temporary folder, unless it lies inside the repository
    (TMPDIR=.): nothing is ever written there."""
    parent = Path(tempfile.gettempdir()).resolve()
    if parent == repository or repository in parent.parents:
        raise HookError(f"the temporary folder {parent} is inside the repository; set TMPDIR "
                        "to a folder outside it")
    return str(parent)


# Memory-backed folders (tmpfs) the staged copy may go to. Writing ten
# thousand small files there takes a few tenths of a second; on a busy disk
# it took ten seconds, most of a cached hook run.
MEMORY_FOLDERS = ("/dev/shm",)
# What the copy must leave free in such a folder besides itself (it holds
# other programs' shared memory), and how much larger than the copy the
# free space must be.
MEMORY_HEADROOM = 256 * 1024 * 1024
MEMORY_FACTOR = 2
_TEMPORARY_VARIABLES = ("TMPDIR", "TEMP", "TMP")


def _scratch_parent(parent: str, entries: list[_Entry], max_file_size: int) -> str:
    """Where the staged copy is written: ``parent`` (the system's temporary
    folder) when the user chose it (``TMPDIR``), else a memory-backed folder
    with room to spare for the blobs that will be written, else ``parent``."""
    if any(os.environ.get(name) for name in _TEMPORARY_VARIABLES):
        return parent
    needed = sum(e.size for e in entries if e.size <= max_file_size)
    for folder in MEMORY_FOLDERS:
        if _has_room(folder, MEMORY_FACTOR * needed + MEMORY_HEADROOM):
            return folder
    return parent


def _has_room(folder: str, wanted: int) -> bool:
    """Whether ``folder`` is a real folder (not a link) we may create in,
    with ``wanted`` bytes free, whose files the configuration reader
    accepts (it refuses anything under /dev, where a file may be a device)."""
    try:
        if not stat.S_ISDIR(os.lstat(folder).st_mode) or not os.access(
                folder, os.W_OK | os.X_OK):
            return False
        space = os.statvfs(folder)
    except (OSError, AttributeError):  # no statvfs: not a POSIX system
        return False
    return space.f_bavail * space.f_frsize >= wanted and _readable_there(folder)


def _readable_there(folder: str) -> bool:
    """Whether the readers take a file in ``folder``: asked of a name that
    does not exist, the path rule answers before anything is opened."""
    from .readers.limits import NotARegularFile, read_regular_file

    try:
        read_regular_file(Path(folder) / f".aiart-release-probe-{os.getpid()}", 0)
    except NotARegularFile:
        return False
    except OSError:
        return True
    return True


def _declares_release(repo: GitRepository, entries: dict[str, _Entry], scratch: str) -> bool:
    """Whether the staged tree declares the release at its root: one of the
    configuration files, or a ``pyproject.toml`` with our table (its blob
    is written to a scratch folder and read by the configuration's own
    rules, then removed)."""
    if any(name in entries for name in CONFIG_NAMES):
        return True
    pyproject = entries.get("pyproject.toml")
    if pyproject is None or not stat.S_ISREG(pyproject.mode):
        return False
    from .config import find_config

    probe = Path(tempfile.mkdtemp(prefix="probe-", dir=scratch))
    try:
        _write_blobs(repo, [pyproject], probe, DEFAULT_MAX_FILE_SIZE, [])
        return find_config(probe) is not None
    except Exception:  # noqa: BLE001 - a broken table is the configuration's to report
        return True
    finally:
        shutil.rmtree(probe, ignore_errors=True)


def _write_blobs(repo: GitRepository, entries: list[_Entry], root: Path, max_file_size: int,
                 notes: list[str], later: _Later | None = None) -> set[str]:
    """Write each entry's blob under ``root`` at its path, or, with
    ``later``, leave binary media and weights to it (their folders are made);
    returns the paths laid out. Gitlinks, links and paths that could leave
    ``root`` are left out and counted in ``notes``."""
    skipped: dict[str, list[str]] = {"submodule": [], "symbolic link": [], "unsafe path": []}
    listed: set[str] = set()
    folders: set[Path] = set()
    laid_out: list[tuple[_Entry, Path]] = []
    for entry in entries:
        kind = _skip_reason(entry)
        if kind is not None:
            skipped[kind].append(entry.path)
            continue
        target = root / entry.path
        if target.parent not in folders:  # one mkdir per folder, not per blob
            target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            folders.add(target.parent)
        listed.add(entry.path)
        laid_out.append((entry, target))
    taken = later.take([e for e, _ in laid_out]) if later is not None else set()
    _copy_out(repo, [(e, t) for e, t in laid_out if e.path not in taken], max_file_size)
    for kind, paths in skipped.items():
        if paths:
            shown = ", ".join(paths[:3]) + (f" (+{len(paths) - 3} more)" if len(paths) > 3 else "")
            notes.append(f"{_count(len(paths), kind)} skipped: {shown}")
    return listed


def _skip_reason(entry: _Entry) -> str | None:
    if entry.mode == GITLINK:
        return "submodule"
    if stat.S_ISLNK(entry.mode):
        return "symbolic link"
    parts = PurePosixPath(entry.path).parts
    if (not parts or entry.path.startswith("/") or "\\" in entry.path
            or any(p in ("", ".", "..") or p.lower() == ".git" for p in parts)):
        return "unsafe path"  # git refuses these; a crafted index may not
    return None


def _copy_out(repo: GitRepository, blobs: list[tuple[_Entry, Path]],
              max_file_size: int) -> None:
    """Write each blob at its target. One over the size limit is not read:
    a sparse file of its length stands for it. The rest are read through
    one ``git cat-file --batch`` that is given every id at once: asking the
    object database blob by blob waits for git once per blob, which on ten
    thousand files cost more than the copying."""
    # The index records each file's size: a blob over the limit is known
    # without asking the object store for every blob; the object store's
    # own size is the one that counts.
    sizes = repo.sizes(e.binsha for e, _ in blobs if e.size > max_file_size)
    wanted = []
    for entry, target in blobs:
        size = sizes.get(entry.binsha, 0)
        if size > max_file_size:
            with _created(target) as out:
                out.truncate(size)
            continue
        wanted.append((entry, target))
    if not wanted:
        return
    proc = repo.blob_stream()
    feeder = threading.Thread(target=_feed, daemon=True,
                              args=(proc.stdin, [e.binsha.hex() for e, _ in wanted]))
    feeder.start()
    try:
        for entry, target in wanted:
            _copy_one(proc.stdout, entry, target, max_file_size)
    except BaseException:
        proc.kill()
        raise
    finally:
        feeder.join()
        proc.stdout.close()
        proc.wait()


def _feed(stdin, ids: list[str]) -> None:
    try:
        stdin.write("".join(f"{i}\n" for i in ids).encode("ascii"))
    except OSError:  # git was ended: the reader says why
        pass
    finally:
        try:
            stdin.close()
        except OSError:
            pass


def _copy_one(answers, entry: _Entry, target: Path, max_file_size: int) -> None:
    """Copy one blob from ``cat-file --batch``'s answers, in blocks."""
    header = answers.readline().split()
    if len(header) != 3 or header[0] != entry.binsha.hex().encode() or header[1] != b"blob":
        raise HookError(f"git cannot give the staged content of {entry.path} "
                        "(run `git fsck`)")
    size = int(header[2])
    with _created(target) as out:
        remaining = size
        while remaining > 0:
            block = answers.read(min(_COPY_BLOCK, remaining))
            if not block:
                raise HookError(f"git stopped while giving the staged content of {entry.path}")
            if size <= max_file_size:
                out.write(block)
            remaining -= len(block)
        if size > max_file_size:  # larger than the index said (a filter)
            out.truncate(size)
    answers.read(1)  # the line feed after each blob


@contextmanager
def _created(target: Path) -> Iterator:
    """A new file at ``target``, ours alone; never one that was there (or a
    link planted in its place)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    with os.fdopen(os.open(target, flags, 0o600), "wb") as out:
        yield out


def blob_key(entry: _Entry) -> str:
    """What stands for a staged file's content in the result cache: its
    blob's id, and its size as the index records it. Git names a blob by
    the SHA-1 of its size and bytes, with collision detection (SHA-1DC):
    two contents never share an id."""
    return f"git-blob:{entry.binsha.hex()}:{entry.size}"


# Suffixes of binary media, weights and archives: the classifiers know
# these files by name, and nothing but a check reads them. Their blobs are
# written only when a check must read them (the result cache answers for
# the rest), so a commit that changes a caption does not copy gigabytes of
# weights and images. Text of any kind (captions, cards, pages, tables,
# configuration) is written at once: the walk, the facts and the summary
# read it besides the checks.
LAZY_SUFFIXES = frozenset({
    ".png", ".jpg", ".jpeg", ".jpe", ".gif", ".webp", ".bmp", ".tif", ".tiff", ".heic",
    ".heif", ".avif", ".jxl", ".ico", ".psd", ".exr", ".hdr", ".dng", ".cr2", ".nef", ".arw",
    ".wav", ".mp3", ".flac", ".ogg", ".oga", ".m4a", ".aac", ".opus", ".aiff", ".aif",
    ".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv", ".flv",
    ".safetensors", ".ckpt", ".pt", ".pth", ".bin", ".pkl", ".pickle", ".onnx", ".gguf",
    ".ggml", ".keras", ".tflite", ".msgpack", ".mlmodel", ".pb", ".joblib", ".npy", ".npz",
    ".pdparams", ".h5",
    ".zip", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".7z", ".rar", ".zst", ".lz4",
})


class _Later:
    """The blobs left unwritten (by path), written on demand."""

    def __init__(self, repo: GitRepository, root: Path, max_file_size: int):
        self.repo, self.root, self.max_file_size = repo, root, max_file_size
        self.entries: dict[str, _Entry] = {}
        self.sizes: dict[str, int] = {}

    def take(self, entries: list[_Entry]) -> set[str]:
        """The paths of ``entries`` left for later: binary media and
        weights within the size limit (a larger one is a sparse file at
        once). Their sizes are asked of the object store in one command."""
        candidates = [e for e in entries
                      if os.path.splitext(e.path)[1].lower() in LAZY_SUFFIXES
                      and e.size <= self.max_file_size]
        # The blob's own size: the index's may differ (a clean filter). A
        # blob git cannot give is written now, and said then.
        sizes = self.repo.sizes(e.binsha for e in candidates)
        taken = set()
        for entry in candidates:
            size = sizes.get(entry.binsha)
            if size is not None and size <= self.max_file_size:
                self.entries[entry.path] = entry
                self.sizes[entry.path] = size
                taken.add(entry.path)
        return taken

    def head(self, path: str, count: int) -> bytes:
        """The first ``count`` bytes of a blob left for later."""
        return self.repo.blob_head(self.entries[path].binsha, count)

    def write(self, paths: list[str]) -> None:
        """Write those of ``paths`` that were left for later."""
        due = [(self.entries.pop(path), self.root / path) for path in paths
               if path in self.entries]
        _copy_out(self.repo, due, self.max_file_size)
