"""The inventory: one read-only walk over the bundle, every file given a
kind and an artifact.

Nothing here writes, executes or follows a link out of the bundle. Files
that cannot be read, are too large, or are links that leave the bundle are
kept in the inventory with a ``skipped`` reason and reported as ``bundle.*``
findings, so that nothing is silently left out.
"""

from __future__ import annotations

import errno
import functools
import os
import stat
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import field, replace
from pathlib import Path
from typing import Protocol

from .doc_media import documentation_media
from .findings import CHECKPOINT_OF_ARTIFACT, Finding, Location, Severity, plural
from .globs import GlobError, GlobSet
from .origin import (
    FIXTURE,
    GENERATED,
    in_folders,
    is_vendored,
    name_suffix,
    origin_of,
    split_path,
    suite_fixtures,
    upstream_projects,
)
from .readers.limits import ORDINARY_UNDER_SPECIAL_ROOTS
from .records import dataclass
from .sizes import DEFAULT_MAX_FILE_SIZE, DEFAULT_SNIFF_BYTES, human_size
from .writes import shown

KINDS = (
    "model-weights",
    "code",
    "text",
    "table",
    "image",
    "audio",
    "video",
    "model-card",
    "dataset-card",
    "license",
    "manifest",
    "archive",
    "config",
    "other",
)

# Kinds whose content is read as text; binary content in one of them is
# reported and the file is not given to text checks.
TEXT_KINDS = frozenset(
    {"code", "text", "model-card", "dataset-card", "license", "manifest", "config"}
)

# Never part of a release; excluded quietly (counted, not reported).
DEFAULT_EXCLUDES = (
    ".git/",
    ".hg/",
    ".svn/",
    "__pycache__/",
    ".ipynb_checkpoints/",
    ".pytest_cache/",
    ".DS_Store",
    # The tool's own record of accepted findings (baseline.py): read by the
    # pipeline, never assessed as part of the release.
    "/.aiart-release-baseline.json",
)

# Folder names that say which artifact the files below them belong to.
_ARTIFACT_HINTS = {
    "dataset": {
        "data", "dataset", "datasets", "images", "imgs", "img", "captions", "corpus",
        "train", "training_data", "training-data", "audio", "clips", "raw",
    },
    "model": {
        "model", "models", "weights", "checkpoints", "ckpt", "lora", "loras",
        "unet", "vae", "text_encoder", "text_encoder_2", "tokenizer", "scheduler",
    },
    "code": {"src", "code", "scripts", "lib", "notebooks", "tools"},
    "docs": {"docs", "doc", "documentation"},
}
# Each folder name with the first artifact that names it.
_ARTIFACT_OF_FOLDER: dict[str, str] = {}
for _artifact, _names in _ARTIFACT_HINTS.items():
    for _name in _names:
        _ARTIFACT_OF_FOLDER.setdefault(_name, _artifact)
_KIND_ARTIFACT = {
    "model-weights": "model",
    "model-card": "model",
    "code": "code",
    "table": "dataset",
    "image": "dataset",
    "audio": "dataset",
    "video": "dataset",
    "dataset-card": "dataset",
    "manifest": "dataset",
    "archive": "dataset",
    "license": "docs",
    "text": "docs",
    "config": "docs",
    "other": "docs",
}
# These kinds say what a file is, whatever folder it sits in.
# The artifacts a recommendation is made for, in the order reports list them.
RELEASED_ARTIFACTS = ("model", "code", "dataset")
_KINDS_FIXING_ARTIFACT = {"model-weights": "model", "code": "code"}

_UTF_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


class FileInfo:
    """What a classifier sees: the path and, on first use, the first bytes.

    The file is opened once for its head; a classifier that needs more
    (a Markdown card's headings) asks :meth:`prefix`, which reads again only
    when the file is longer than what was already read.
    """

    def __init__(self, path: str, abspath: Path, size: int, sniff_bytes: int):
        self.path = path
        self.abspath = abspath
        self.size = size
        # The walk's paths are plain "a/b/c" (no ".", no "//"): split as
        # text, not through PurePosixPath, 10,000 times.
        self.parts = tuple(path.split("/")) if path else ()
        self.name = self.parts[-1] if self.parts else ""
        self.suffix = name_suffix(self.name)
        self._sniff_bytes = sniff_bytes
        self.stamp: tuple[int, ...] = ()  # BundleFile.stamp
        self._read: bytes | None = None  # the longest prefix read so far
        self._whole = False  # whether _read is the whole file
        self.read_error: OSError | None = None

    def do_not_read(self) -> None:
        """Skip the file: every read answers empty (too large, unreadable)."""
        self._read, self._whole = b"", True

    def prefix(self, size: int) -> bytes:
        """The first ``size`` bytes of the file (fewer when it is shorter;
        empty when it cannot be read)."""
        if self._read is None or (len(self._read) < size and not self._whole):
            want = max(size, self._sniff_bytes)
            try:
                with open(self.abspath, "rb") as handle:
                    self._read = handle.read(want)
            except OSError as exc:
                self.read_error = exc
                self._read = b""
                self._whole = True
            else:
                self._whole = len(self._read) < want
        return self._read[:size]

    @property
    def head(self) -> bytes:
        """The first bytes of the file (empty when it cannot be read)."""
        return self.prefix(self._sniff_bytes)

    def origin_head(self, kind: str) -> bytes:
        """The first bytes :func:`origin.origin_of` is given."""
        return self.head

    @property
    def looks_binary(self) -> bool:
        """NUL bytes in the head, unless a UTF-16/32 byte-order mark explains them."""
        head = self.head
        if head.startswith(_UTF_BOMS):
            return False
        return b"\0" in head


class _StagedInfo(FileInfo):
    """A staged file not written yet: its first bytes come from its blob.

    The hook leaves unwritten only files of binary media, weight and
    archive suffixes, which the classifiers know by name; were one asked
    to read it, the blob answers. The origin of such a file (generated,
    fixture) is judged from its name, kind and size: ``origin_of`` reads
    first bytes only for text, code, configuration, ``.json`` and web
    files, which are written. So a blob of gigabytes is not read to list
    it."""

    def __init__(self, path: str, abspath: Path, size: int, sniff_bytes: int,
                 read_head: Callable[[str, int], bytes] | None):
        super().__init__(path, abspath, size, sniff_bytes)
        self._read_head = read_head

    def prefix(self, size: int) -> bytes:
        if self._read is None or (len(self._read) < size and not self._whole):
            want = max(size, self._sniff_bytes)
            try:
                if self._read_head is None:
                    raise FileNotFoundError(self.path)
                self._read = self._read_head(self.path, want)
            except OSError as exc:
                self.read_error = exc
                self._read, self._whole = b"", True
            else:
                self._whole = len(self._read) < want
        return self._read[:size]

    def origin_head(self, kind: str) -> bytes:
        return self.head if kind in TEXT_KINDS or self._read is not None else b""


@dataclass(frozen=True)
class BundleFile:
    """One file of the bundle."""

    path: str
    abspath: Path
    size: int
    kind: str
    artifact: str
    skipped: str | None = None
    # "generated" (minified, source map, lock file, vendored copy) or
    # "fixture" (test data) when the inventory recognised the file as such;
    # None for the files a release is made of.
    context: str | None = None
    # The first bytes of a readable file of a text kind, as the walk read
    # them, so that header readers (SPDX lines, notices) do not open the file
    # again. Empty for media, weights, tables and archives: kept only where
    # it is read, so a bundle of many images does not hold their heads.
    head: bytes = field(default=b"", repr=False, compare=False)
    # What stands for the content in the result cache when the bundle's
    # source vouches for it (a staged blob: its git id and size); empty:
    # the cache hashes the file itself.
    content_key: str = field(default="", repr=False, compare=False)
    # The walk's stat of a file on disk (device, inode, size, modification
    # time): what the result cache takes for its content when the file is
    # unchanged (as git's index does); empty when the walk did not stat it.
    stamp: tuple[int, ...] = field(default=(), repr=False, compare=False)

    @property
    def readable(self) -> bool:
        return self.skipped is None

    # Read by every check for every file (a hundred thousand times on a
    # large bundle): computed once. A cached_property writes the instance's
    # __dict__ directly, which a frozen dataclass allows.
    @functools.cached_property
    def suffix(self) -> str:
        return name_suffix(self.name)

    @functools.cached_property
    def name(self) -> str:
        return split_path(self.path)[1]

    @functools.cached_property
    def directory(self) -> str:
        return split_path(self.path)[0]


class _HeadOnFirstUse:
    """``BundleFile.head`` of a file whose kind the walk remembered instead
    of reading it (:class:`RememberedKinds`): its first bytes are read, as
    many as the walk would have read, when a check first asks for them.
    An unchanged bundle assessed again from the cache asks for none."""

    def __get__(self, file: BundleFile | None, owner: type | None = None) -> bytes:
        if file is None:
            return b""
        try:
            with open(file.abspath, "rb") as handle:
                head = handle.read(file.__dict__.get("_sniff_bytes", DEFAULT_SNIFF_BYTES))
        except OSError:
            head = b""
        file.__dict__["head"] = head
        return head


# The dataclass's default (b"") stays the default of __init__, which always
# sets ``head``; only a file listed from memory goes without (_remembered).
BundleFile.head = _HeadOnFirstUse()  # type: ignore[assignment]


@dataclass
class Inventory:
    """Every file of the bundle, in path order, and what the walk reported."""

    root: Path
    files: list[BundleFile] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    excluded: int = 0
    fetch: Callable[[list[str]], None] | None = field(default=None, repr=False, compare=False)

    @property
    def total_bytes(self) -> int:
        return sum(f.size for f in self.files)

    @property
    def skipped(self) -> int:
        """Paths not read: skipped files, and links or special files the walk
        reported but did not list."""
        paths = {f.path for f in self.files if f.skipped}
        paths.update(f.location.path for f in self.findings)
        return len(paths)

    def of_kind(self, *kinds: str) -> list[BundleFile]:
        return [f for f in self.files if f.kind in kinds]

    def of_artifact(self, artifact: str) -> list[BundleFile]:
        return [f for f in self.files if f.artifact == artifact]

    def artifacts_present(self) -> list[str]:
        present = {f.artifact for f in self.files}
        return [a for a in RELEASED_ARTIFACTS if a in present]

    def get(self, path: str) -> BundleFile | None:
        return next((f for f in self.files if f.path == path), None)

    def materialize(self, files: Iterable[BundleFile]) -> None:
        """Make sure ``files`` are on disk before a check reads them: a
        staged view writes a blob out only when some check must read it
        (``fetch``, set by whoever built the inventory); a folder on disk
        has nothing to do."""
        if self.fetch is not None:
            self.fetch([f.path for f in files])


@dataclass
class StagedSource:
    """What the hook's staged view tells the walk of its folder.

    - ``keys``: each file's content key (its blob's id and size), taken by
      the result cache instead of hashing the copy.
    - ``lazy``: files not written yet, by path, with their size: binary
      media and weights, which nothing but a check reads. The walk lists
      them; ``read_head(path, n)`` gives a classifier that asks their first
      bytes; ``fetch(paths)`` writes them where the walk said they are,
      once a check must read them (:meth:`Inventory.materialize`).
    """

    keys: dict[str, str] = field(default_factory=dict)
    lazy: dict[str, int] = field(default_factory=dict)
    read_head: Callable[[str, int], bytes] | None = None
    fetch: Callable[[list[str]], None] | None = None


# By the bundle's real path, the sources laid out now (staged_source).
_STAGED: dict[str, StagedSource] = {}


@contextmanager
def staged_source(root: Path, source: StagedSource) -> Iterator[None]:
    """While inside, a walk of ``root`` takes what ``source`` says."""
    real = _real(root)
    _STAGED[real] = source
    try:
        yield
    finally:
        _STAGED.pop(real, None)


class RememberedKinds(Protocol):
    """A store of the kinds the walk gave files before (cache.KindMemo), so
    that an unchanged file is listed without being opened or classified.

    A file is named by its bundle path, its path as the walk reached it,
    and its stamp: size, modification time and inode, and the modification
    time of the folder it was listed in (a classifier may look at what lies
    beside a file: a README among images is a dataset card)."""

    def recall(self, files: Sequence[tuple[str, str, tuple[int, ...]]], root: str = "",
               ) -> dict[str, tuple[str, bool, str | None]]:
        """(kind, binary content, origin) of each file remembered, by path;
        ``root`` is the folder walked."""
        ...

    def remember(self, path: str, abspath: str, stamp: tuple[int, ...], kind: str,
                 binary: bool, origin: str | None) -> None:
        """What the walk found for a file it classified."""
        ...


class BundleError(Exception):
    """The bundle path cannot be assessed at all (exit code 2)."""


# Folders of the running system, not of any release: their files are
# endless (/proc/kcore, /dev/zero), block when read (/dev/tty, a FIFO), or
# change under the walk. /dev/shm is an ordinary memory-backed folder.
SYSTEM_TREES = ("/proc", "/sys", "/dev")
_ORDINARY_UNDER_SYSTEM_TREES = ORDINARY_UNDER_SPECIAL_ROOTS


def system_tree(path: str | os.PathLike) -> str | None:
    """The system folder (/proc, /sys, /dev) that ``path`` really lies in,
    links resolved, or is a mount of (``mount --bind /proc bundle/p``): the
    same device as /proc. None for an ordinary path."""
    real = _real(path)

    def under(tree: str) -> bool:
        return real == tree or real.startswith(tree + "/")

    if any(under(tree) for tree in _ORDINARY_UNDER_SYSTEM_TREES):
        return None
    tree = next((tree for tree in SYSTEM_TREES if under(tree)), None)
    if tree is not None:
        return tree
    try:
        device = os.stat(path).st_dev
    except OSError:
        return None
    return next((tree for tree, dev in _system_devices() if dev == device), None)


@functools.lru_cache(maxsize=1)
def _system_devices() -> tuple[tuple[str, int], ...]:
    """The devices (file systems) of /proc, /sys and /dev, where each is a
    file system of its own (not merely a folder of the root's)."""
    try:
        root = os.stat("/").st_dev
    except OSError:
        return ()
    out = []
    for tree in SYSTEM_TREES:
        try:
            device = os.stat(tree).st_dev
        except OSError:
            continue
        if device != root:
            out.append((tree, device))
    return tuple(out)


def _real(path: str | os.PathLike) -> str:
    """The path with links resolved; as written (made absolute) when a link
    on the way cannot be read (/proc/1/cwd of another user's process)."""
    try:
        return os.path.realpath(path)
    except OSError:
        return os.path.abspath(path)


def check_root(root: Path) -> None:
    """Refuse at once a bundle path that is no folder of files: missing, a
    file, a pipe or device, or in a system folder. Raises BundleError."""
    try:
        info = os.stat(root)
    except FileNotFoundError:
        raise BundleError(f"'{shown(root)}' does not exist") from None
    except OSError as exc:
        raise BundleError(f"cannot read '{shown(root)}': {exc.strerror or exc}") from None
    tree = system_tree(root)
    if tree is not None:
        raise BundleError(f"'{shown(root)}' is in {tree}, a folder of the running system, "
                          "not a release folder")
    if stat.S_ISREG(info.st_mode):
        parent = root.parent if str(root.parent) != "." else "."
        raise BundleError(
            f"'{shown(root)}' is a file; assess takes the bundle folder that holds it "
            f"(try: aiart-release assess {shown(parent)})"
        )
    if not stat.S_ISDIR(info.st_mode):
        raise BundleError(f"'{shown(root)}' is not a folder (a pipe, socket or device)")


Classifier = Callable[[FileInfo], "str | None"]


def _compile(patterns: Iterable[str], setting: str) -> GlobSet:
    """Gitignore-style patterns, matched in linear time (globs.py: a
    pattern from a hostile config must not stall the walk); one that cannot
    be read is a usage error naming the setting."""
    try:
        return GlobSet(patterns)
    except GlobError as exc:
        raise BundleError(f"{setting}: {exc}") from None


def build_inventory(
    root: Path,
    classify: Classifier,
    *,
    exclude: Iterable[str] = (),
    artifact_globs: dict[str, list[str]] | None = None,
    max_file_size: int = DEFAULT_MAX_FILE_SIZE,
    sniff_bytes: int = DEFAULT_SNIFF_BYTES,
    remembered: RememberedKinds | None = None,
) -> Inventory:
    """Walk ``root`` once and classify every file; with ``remembered``, an
    unchanged file takes the kind it had, and what the walk classifies is
    remembered."""
    check_root(root)
    try:
        os.listdir(root)
    except OSError as exc:
        raise BundleError(f"cannot read '{shown(root)}': {exc.strerror or exc}") from None

    excluded = _compile([*DEFAULT_EXCLUDES, *exclude], "exclude")
    walker = _Walker(root, excluded, classify, max_file_size, sniff_bytes, remembered)
    walker.walk()
    files = _with_suite_fixtures(sorted(walker.files, key=lambda f: f.path))
    projects = upstream_projects(files)
    files = _assign_artifacts(_with_upstream_projects(files, projects), artifact_globs or {},
                              projects)
    by_path = {f.path: f for f in files}
    findings = []
    for finding in [*walker.findings, *_generated_findings(files, projects)]:
        listed = by_path.get(finding.location.path)
        artifact = listed.artifact if listed else _infer_artifact(
            BundleFile(finding.location.path, root, 0, "other", ""), set(), set()
        )
        findings.append(
            finding.with_defaults(
                check="inventory", checkpoint=CHECKPOINT_OF_ARTIFACT[artifact], artifact=artifact
            )
        )
    findings.sort(key=lambda f: f.location.path)
    return Inventory(root=root, files=files, findings=findings, excluded=walker.excluded,
                     fetch=walker.source.fetch)


class _Walker:
    def __init__(self, root, excluded, classify, max_file_size, sniff_bytes, remembered=None):
        self.root = root
        self.root_real = _real(root)
        self.excluded_spec = excluded
        self.classify = classify
        self.max_file_size = max_file_size
        self.sniff_bytes = sniff_bytes
        self.files: list[BundleFile] = []
        self.findings: list[Finding] = []
        self.excluded = 0
        self.source = _STAGED.get(self.root_real, StagedSource())
        # A staged view is laid out anew every run: its stamps never repeat.
        staged = bool(self.source.keys or self.source.lazy)
        self.remembered: RememberedKinds | None = None if staged else remembered
        # Readable files, with their stamps, left for _classify_pending:
        # what is remembered is asked for all of them at once.
        self.pending: list[tuple[FileInfo, tuple[int, ...]]] = []
        # The files not written yet, by the folder that lists them.
        self.lazy_in: dict[str, list[str]] = defaultdict(list)
        for path in self.source.lazy:
            folder, _, name = path.rpartition("/")
            self.lazy_in[folder + "/" if folder else ""].append(name)

    def walk(self) -> None:
        self._walk_dir(self.root, "", [self.root_real])
        self._classify_pending()

    def _classify_pending(self) -> None:
        """The files left for the store of remembered kinds: each one it
        knows listed as it was, the others classified and remembered."""
        if not self.pending or self.remembered is None:
            return
        known = self.remembered.recall(
            [(fi.path, str(fi.abspath), stamp) for fi, stamp in self.pending], str(self.root))
        for fi, stamp in self.pending:
            hit = known.get(fi.path)
            if hit is not None:
                self._remembered(fi, *hit)
                continue
            kind, skipped, origin = self._classified(fi, None)
            if fi.read_error is None and skipped in (None, "binary"):
                self.remembered.remember(fi.path, str(fi.abspath), stamp, kind,
                                         skipped == "binary", origin)
        self.pending.clear()

    def _remembered(self, fi: FileInfo, kind: str, binary: bool, origin: str | None) -> None:
        """List a file as the walk found it before, without opening it: its
        head, if a check wants it, is read then (_HeadOnFirstUse)."""
        skipped = "binary" if binary and kind in TEXT_KINDS and fi.size else None
        self._listed(fi, kind, skipped, origin, b"")
        if skipped is None and kind in TEXT_KINDS:
            listed = self.files[-1]
            del listed.__dict__["head"]
            listed.__dict__["_sniff_bytes"] = self.sniff_bytes

    def _report(self, id: str, path: str, severity: Severity, message: str, remediation: str):
        # check, checkpoint and artifact are filled in once artifacts are known.
        self.findings.append(
            Finding(
                id=id,
                severity=severity,
                message=message,
                location=Location(path=path),
                remediation=remediation,
                check="inventory",
            )
        )

    def _inside(self, real: str) -> bool:
        return real == self.root_real or real.startswith(self.root_real + os.sep)

    def _walk_dir(self, directory: Path, prefix: str, ancestors: list[str]) -> None:
        # Before the listing: a file that comes or goes after it changes
        # the time, and the next walk classifies the folder's files again.
        folder_time = self._folder_time(directory)
        try:
            with os.scandir(directory) as it:
                entries: list = sorted([*it, *self.lazy_in.get(prefix, ())],
                                       key=lambda e: e if isinstance(e, str) else e.name)
        except OSError as exc:
            self._report(
                "bundle.unreadable", prefix.rstrip("/") or ".", Severity.MEDIUM,
                f"Folder could not be read: {exc.strerror or exc}",
                "Make the folder readable, or exclude it in aiart-release.yaml",
            )
            return
        for entry in entries:
            if isinstance(entry, str):  # staged, not written yet
                self._lazy_file(prefix + entry)
                continue
            rel = prefix + entry.name
            try:
                is_link = entry.is_symlink()
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                is_link, is_dir = False, False
            if self.excluded_spec.match_file(rel + "/" if is_dir else rel):
                self.excluded += 1
                continue
            if is_link:
                self._link(entry, rel, ancestors, folder_time)
            elif is_dir:
                real = _real(entry.path)
                if self._system_folder(entry.path, rel):
                    continue
                self._walk_dir(Path(entry.path), rel + "/", [*ancestors, real])
            else:
                self._file(entry.path, rel, folder_time)

    def _folder_time(self, directory: Path) -> int | None:
        """The folder's modification time, part of its files' stamps; None
        (its files are classified, not recalled) when there is no store or
        it cannot be read."""
        if self.remembered is None:
            return None
        try:
            return os.stat(directory).st_mtime_ns
        except OSError:
            return None

    def _system_folder(self, path: str, rel: str) -> bool:
        """A bundle at / (or one holding a mount of /proc) must not walk
        /proc, /sys or /dev: reported once, not entered."""
        tree = system_tree(path)
        if tree is None:
            return False
        self._report(
            "bundle.system-folder", rel + "/", Severity.LOW,
            f"A folder of the running system ({tree}); not walked",
            "Assess the release folder itself, not a folder that holds the system's",
        )
        return True

    def _link(self, entry: os.DirEntry, rel: str, ancestors: list[str],
              folder_time: int | None = None) -> None:
        try:
            target = os.path.realpath(entry.path)
        except OSError as exc:
            self._report(
                "bundle.unreadable", rel, Severity.LOW,
                f"Symbolic link could not be followed: {exc.strerror or exc}",
                "Remove the link or make its target readable",
            )
            return
        try:
            info = os.stat(entry.path)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                self._report(
                    "bundle.symlink-loop", rel, Severity.LOW,
                    "Symbolic link loops back on itself; not followed",
                    "Remove the link or point it at a real file",
                )
            else:
                self._report(
                    "bundle.unreadable", rel, Severity.LOW,
                    "Broken symbolic link: its target does not exist",
                    "Remove the link or restore its target",
                )
            return
        if not self._inside(target):
            self._report(
                "bundle.symlink-outside", rel, Severity.MEDIUM,
                "Symbolic link points outside the bundle; not followed",
                "Copy the target into the bundle if it is part of the release, or remove the link",
            )
            return
        if stat.S_ISDIR(info.st_mode):
            if target in ancestors:
                self._report(
                    "bundle.symlink-loop", rel, Severity.LOW,
                    "Symbolic link points to a folder that contains it; not followed",
                    "Remove the link",
                )
                return
            if self._system_folder(entry.path, rel):
                return
            self._walk_dir(Path(entry.path), rel + "/", [*ancestors, target])
        else:
            self._file(entry.path, rel, folder_time)

    def _file(self, path: str, rel: str, folder_time: int | None = None) -> None:
        try:
            info = os.stat(path)
        except OSError as exc:
            self._report(
                "bundle.unreadable", rel, Severity.MEDIUM,
                f"File could not be read: {exc.strerror or exc}",
                "Make the file readable, or exclude it in aiart-release.yaml",
            )
            return
        if not stat.S_ISREG(info.st_mode):
            # Opening a FIFO or a device would block or read forever.
            self._report(
                "bundle.not-regular-file", rel, Severity.LOW,
                "Not a regular file (a pipe, socket or device); not read",
                "Remove it from the release folder",
            )
            return
        size = info.st_size
        fi = FileInfo(rel, Path(path), size, self.sniff_bytes)
        fi.stamp = (info.st_dev, info.st_ino, size, info.st_mtime_ns)
        skipped = None
        if size > self.max_file_size:
            skipped = "too-large"
            fi.do_not_read()
        elif not os.access(path, os.R_OK):
            skipped = "unreadable"
            fi.do_not_read()
        elif folder_time is not None:
            self.pending.append((fi, (size, info.st_mtime_ns, info.st_ino, folder_time)))
            return
        self._classified(fi, skipped)

    def _lazy_file(self, rel: str) -> None:
        """A staged file not written yet: listed from what the index says,
        its first bytes read from its blob only if a classifier asks."""
        if self.excluded_spec.match_file(rel):
            self.excluded += 1
            return
        fi = _StagedInfo(rel, self.root / rel, self.source.lazy[rel], self.sniff_bytes,
                         self.source.read_head)
        skipped = None
        if fi.size > self.max_file_size:
            skipped = "too-large"
            fi.do_not_read()
        self._classified(fi, skipped)

    def _classified(self, fi: FileInfo, skipped: str | None,
                    ) -> tuple[str, str | None, str | None]:
        """Classify and list a file; its kind, why it is skipped, its origin."""
        rel, size = fi.path, fi.size
        kind = self.classify(fi) or "other"
        if skipped is None and kind in TEXT_KINDS and size and fi.looks_binary:
            skipped = "binary"
        if skipped is None and fi.read_error is not None:
            skipped = "unreadable"
        origin = origin_of(rel, kind, fi.origin_head(kind), size) if skipped is None else None
        head = fi.head if skipped is None and kind in TEXT_KINDS else b""
        self._listed(fi, kind, skipped, origin, head)
        return kind, skipped, origin

    def _listed(self, fi: FileInfo, kind: str, skipped: str | None, origin: str | None,
                head: bytes) -> None:
        """Add the file to the inventory, and report why it is skipped."""
        rel, size = fi.path, fi.size
        self.files.append(BundleFile(rel, fi.abspath, size, kind, "", skipped, origin, head,
                                     self.source.keys.get(rel, ""), fi.stamp))
        if skipped == "too-large":
            self._report(
                "bundle.too-large", rel, Severity.INFO,
                f"File is larger than the size limit ({human_size(size)} > "
                f"{human_size(self.max_file_size)}); listed but not read",
                "Raise limits.max_file_size in aiart-release.yaml to scan it",
            )
        elif skipped == "unreadable":
            reason = fi.read_error.strerror if fi.read_error else "permission denied"
            self._report(
                "bundle.unreadable", rel, Severity.MEDIUM,
                f"File could not be read: {reason}",
                "Make the file readable, or exclude it in aiart-release.yaml",
            )
        elif skipped == "binary":
            self._report(
                "bundle.binary-content", rel, Severity.LOW,
                f"File named like {kind} holds binary data (NUL bytes); not read as text",
                "Check the file is what its name says; rename or re-export it",
            )


GENERATED_EXAMPLES = 3


def _generated_findings(files: list[BundleFile], projects: tuple[str, ...] = ()
                        ) -> list[Finding]:
    """One info finding per folder of generated or vendored files (one per
    copied-in project, however many folders it has): they are listed, not
    scanned, and not hidden."""
    by_dir: dict[str, list[BundleFile]] = defaultdict(list)
    for f in files:
        if f.context == GENERATED:
            by_dir[in_folders(f.path, projects) or f.directory or "."].append(f)
    out = []
    for directory, group in sorted(by_dir.items()):
        names = ", ".join(f.name for f in group[:GENERATED_EXAMPLES])
        more = len(group) - GENERATED_EXAMPLES
        out.append(Finding(
            id="bundle.generated",
            severity=Severity.INFO,
            message=f"{plural(len(group), 'generated, minified or vendored file')} not scanned "
                    f"for personal data: {names}" + (f" (+{more} more)" if more > 0 else ""),
            location=Location(path=directory if directory == "." else directory + "/"),
            count=len(group),
            remediation="Nothing to fix if these are copies of published libraries or build "
                        "output; check that their licences are shipped with them",
            check="inventory",
            context=GENERATED,
        ))
    return out


def _with_upstream_projects(files: list[BundleFile], projects: tuple[str, ...]
                            ) -> list[BundleFile]:
    """``files`` with those of a copied-in project (``origin.upstream_projects``)
    in the vendored context, as files below ``vendor/`` are; its licence
    files stay as they are, for the licence checks to read."""
    if not projects:
        return files
    return [replace(f, context=GENERATED)
            if f.kind != "license" and f.context != GENERATED and in_folders(f.path, projects)
            else f for f in files]


def _assign_artifacts(files: list[BundleFile], globs: dict[str, list[str]],
                      projects: tuple[str, ...] = ()) -> list[BundleFile]:
    specs = [(artifact, _compile(patterns, f"artifacts.{artifact}"))
             for artifact, patterns in globs.items() if patterns]
    # Folders with media in them are dataset folders: caption sidecars and
    # metadata beside images belong to the dataset.
    # README figures, web-page assets and sample outputs are documentation.
    doc_media = documentation_media(files)
    media_dirs = {f.directory for f in files
                  if f.kind in ("image", "audio", "video") and f.path not in doc_media
                  and f.context is None}
    weight_dirs = {f.directory for f in files if _is_model_weights(f)}
    # An archive or data file among the code (a tokenizer vocabulary, a
    # zipped dependency) belongs to the code, unless media say otherwise.
    code_dirs = {f.directory for f in files if f.kind == "code"} - media_dirs
    out = []
    declared_paths: set[str] = set()
    for f in files:
        artifact = next((a for a, spec in specs if spec.match_file(f.path)), None)
        if artifact is not None:
            declared_paths.add(f.path)
        kind = f.kind
        if artifact is None:
            artifact = "docs" if f.path in doc_media and f.context != FIXTURE else \
                _infer_artifact(f, media_dirs, weight_dirs, code_dirs, projects)
        if kind == "text" and f.name.lower().startswith("readme") and f.directory in weight_dirs:
            # A README beside the weights is the model card, metadata or not
            # (as on the Hugging Face Hub).
            kind = "model-card"
            artifact = "model" if artifact == "docs" else artifact
        out.append(_relabelled(f, kind, artifact))
    return _no_model_without_weights(out, declared_paths)


def _relabelled(f: BundleFile, kind: str, artifact: str) -> BundleFile:
    """``f`` of another kind and artifact: ``dataclasses.replace`` without
    its cost (it builds every field again, and forgets the name, suffix and
    folder already worked out), which 10,000 files notice."""
    if f.kind == kind and f.artifact == artifact:
        return f
    out = object.__new__(BundleFile)
    out.__dict__.update(f.__dict__, kind=kind, artifact=artifact)
    return out


def _no_model_without_weights(files: list[BundleFile], declared: set[str]) -> list[BundleFile]:
    """A model is weights or a model card. Architecture configs in a
    ``models/`` folder, read by the code, do not make a release hold a model
    (unless aiart-release.yaml says so)."""
    if any(_is_model_weights(f) or (f.kind == "model-card" and f.context != GENERATED)
           for f in files):
        return files
    out = []
    for f in files:
        if f.artifact == "model" and f.path not in declared:
            artifact = "code" if f.kind in ("code", "config") else "docs"
            f = replace(f, artifact=artifact)
        out.append(f)
    return out


def _with_suite_fixtures(files: list[BundleFile]) -> list[BundleFile]:
    """``files`` with a test suite's tables and media marked as its fixtures
    (``origin.suite_fixtures``): decided on the whole walk, since whether a
    test folder holds test code is no property of one file."""
    marked = suite_fixtures([(f.path, f.kind, f.context) for f in files])
    return [replace(f, context=FIXTURE) if f.path in marked else f for f in files]


def _is_model_weights(f: BundleFile) -> bool:
    """Weights of a model the release ships; a tiny array a unit test loads
    (a fixture) is the code's."""
    return f.kind == "model-weights" and f.context != FIXTURE


def _infer_artifact(f: BundleFile, media_dirs: set[str], weight_dirs: set[str],
                    code_dirs: frozenset[str] | set[str] = frozenset(),
                    projects: tuple[str, ...] = ()) -> str:
    if f.context == FIXTURE and f.kind in ("model-weights", "table", "image", "audio", "video",
                                           "archive"):
        return "code"  # a test suite's data
    if f.kind in _KINDS_FIXING_ARTIFACT:
        return _KINDS_FIXING_ARTIFACT[f.kind]
    if f.context == GENERATED and (is_vendored(f.path) or in_folders(f.path, projects)):
        return _vendored_artifact(f.kind)
    if f.kind in ("archive", "other") and f.directory in code_dirs and f.directory:
        return "code"
    # A folder with weights is a model folder even when it also holds sample
    # images; only then does "beside media" mean the dataset.
    if f.kind in ("config", "text", "other") and f.directory in weight_dirs:
        return "model"
    if f.kind in ("text", "table", "config", "other") and f.directory in media_dirs:
        return "dataset"
    for part in f.path.split("/")[:-1]:
        artifact = _ARTIFACT_OF_FOLDER.get(part.lower())
        if artifact is not None:
            return artifact
    return _KIND_ARTIFACT.get(f.kind, "docs")


# What the files of someone else's project copied into the release are: its
# pages, cards and pictures document it, the rest is code the release ships.
# Never the release's dataset or model (its weights excepted, fixed above).
_VENDORED_DOCS = frozenset({"image", "audio", "video", "text", "license", "model-card",
                            "dataset-card"})


def _vendored_artifact(kind: str) -> str:
    return "docs" if kind in _VENDORED_DOCS else "code"


def kinds_summary(inventory: Inventory) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for f in inventory.files:
        counts[f.kind] += 1
    return dict(sorted(counts.items()))
