"""Bundles at fsspec URLs: ``aiart-release assess memory://bundle``,
``file:///abs/folder``, ``s3://bucket/release`` (with s3fs installed).

A URL bundle is a source of the same kind as the pre-commit hook's staged
view (``bundle.StagedSource``): its tree is listed once with fsspec (sizes,
and a content key from the backend's checksum, ETag or modification time),
laid out in a private temporary folder outside the bundle, which is removed
afterwards, and walked there. Small text-like files (cards, captions,
configuration, code, small tables) are written at once: the walk, the facts
and the summary read them. Binary media, weights, archives and large tables
are left lazy: listed by size, their first bytes read from the URL if a
classifier asks, and copied only when a check must read them
(``Inventory.materialize``): a file check's files before it runs, for a
bundle check the kinds it declares in ``bundle_reads`` (engine.bundle_reads),
and any other file when it is first opened (lazy_paths.py), so that a check
of the cards copies no image. Nothing is ever written at the URL: ``export``
writes in the current folder, ``baseline`` and ``init`` only to a local file
the user names.

Large tables are not copied for their parts at all where workers can reach
the URL themselves: :func:`worker_url` gives the URL a part is read from
(``readers.tables.iter_part_rows``), so a Dask cluster reads a shared store
directly. A protocol whose files exist only in the client's process
(``memory://``) has its tables copied by the client, and workers read the
copy (docs/scale.md).

Only regular files are taken: a link (``file://``), a folder marker or a
key that could leave the temporary folder (``..``, an empty part) is left
out, and said once.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import field
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from .bundle import BundleError, StagedSource, staged_source, system_tree
from .hook import LAZY_SUFFIXES, _created
from .records import dataclass
from .sizes import DEFAULT_MAX_FILE_SIZE

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
# Protocols whose files live in the client's process alone: a worker in
# another process cannot open them, so their tables are read from the
# client's copy.
CLIENT_ONLY_PROTOCOLS = frozenset({"memory"})
# A text-like file larger than this is left lazy too: no caption, card or
# configuration is this large, and the copy is held in memory while written.
WRITE_AT_ONCE_BYTES = 64 * 1024 * 1024
# The small files are fetched in batches of at most this many bytes.
WRITE_BATCH_BYTES = 128 * 1024 * 1024
# A lazy file larger than this is streamed to disk on its own when copied.
STREAM_BYTES = 8 * 1024 * 1024
_TABLE_SUFFIXES = frozenset({".csv", ".tsv", ".jsonl", ".ndjson", ".json", ".parquet",
                             ".arrow", ".feather"})
# Folders the walk excludes by default (bundle.DEFAULT_EXCLUDES): listed
# lazy, never copied.
_NEVER_COPIED = frozenset({".git", ".hg", ".svn", "__pycache__", ".ipynb_checkpoints",
                           ".pytest_cache"})
_COPY_BLOCK = 1 << 20
# The backend's names for a checksum of the content, in order of trust.
_CHECKSUMS = ("sha256", "md5", "md5Hash", "crc32c", "ETag", "etag", "checksum")
_MODIFIED = ("mtime", "LastModified", "last_modified", "updated", "created")


def is_url(text: str | os.PathLike) -> bool:
    """Whether the bundle argument is a URL (``protocol://...``) rather than
    a path."""
    return isinstance(text, str) and bool(_URL.match(text))


def shown_url(url: str) -> str:
    """The URL as reports show it: a user name and password in it
    (``https://user:secret@host/x``) left out."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url.split("://", 1)[0] + "://..."
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


@dataclass
class UrlBundle:
    """A bundle at ``url`` laid out under ``root`` (a temporary folder)."""

    url: str
    root: Path
    fs: Any
    base: str  # the folder's path on ``fs``, without a trailing slash
    sizes: dict[str, int] = field(default_factory=dict)  # every file listed, by path
    lazy: dict[str, int] = field(default_factory=dict)  # left for later, by path
    keys: dict[str, str] = field(default_factory=dict)
    fetched: set[str] = field(default_factory=set)  # lazy files copied since
    notes: list[str] = field(default_factory=list)

    @property
    def protocol(self) -> str:
        protocol = self.fs.protocol
        return protocol if isinstance(protocol, str) else protocol[0]

    @property
    def shared(self) -> bool:
        """Whether another process (a Dask worker) can open the files."""
        return self.protocol not in CLIENT_ONLY_PROTOCOLS

    def remote(self, path: str) -> str:
        return f"{self.base}/{path}"

    def url_of(self, path: str) -> str:
        return self.fs.unstrip_protocol(self.remote(path))

    def head(self, path: str, count: int) -> bytes:
        """The first ``count`` bytes of a lazy file, from the URL."""
        count = min(count, self.sizes[path])
        return self.fs.cat_file(self.remote(path), start=0, end=count) if count else b""

    def fetch(self, paths: list[str]) -> None:
        """Copy those of ``paths`` left lazy to where the walk listed them:
        the smaller in batches (a backend that can asks for a batch at once:
        a thousand images are not a thousand round trips in turn), the
        larger streamed one by one."""
        due = [p for p in dict.fromkeys(paths) if p in self.lazy and p not in self.fetched]
        _write_now(self, [p for p in due if self.lazy[p] <= STREAM_BYTES])
        for path in due:
            if self.lazy[path] > STREAM_BYTES:
                self._copy(path, self.lazy[path])
        self.fetched.update(due)

    def _copy(self, path: str, size: int) -> None:
        # Never more than the listed size: a file that grew since the
        # listing is read as it was listed, not without bound.
        with self.fs.open(self.remote(path), "rb") as source, \
                _written(self.root / path) as out:
            left = size
            while left > 0:
                block = source.read(min(_COPY_BLOCK, left))
                if not block:
                    break
                out.write(block)
                left -= len(block)


@contextmanager
def _written(target: Path) -> Iterator:
    """A new file at ``target`` (hook._created), removed when the copy
    into it is cut short (a check's time budget ran out while it opened a
    lazy file, the URL went away), so that a later open copies it again
    instead of reading half a file."""
    with _created(target) as out:  # a file already there is left as it is
        try:
            yield out
        except BaseException:
            with contextlib.suppress(OSError):
                target.unlink()
            raise


# The URL bundles laid out now, by their folder's real path.
_OPEN: dict[str, UrlBundle] = {}


@dataclass(frozen=True)
class OpenedBundle:
    """The folder to assess; for a URL bundle, the URL as reports show it
    (``shown``) and what its listing left out (``notes``)."""

    folder: Path
    shown: str | None = None
    notes: tuple[str, ...] = ()
    # The folder on this machine that the bundle is (a path, or the folder
    # a file:// URL names); None for a bundle elsewhere.
    on_disk: Path | None = None


@contextmanager
def opened_bundle(argument: str | os.PathLike) -> Iterator[OpenedBundle]:
    """The folder to assess for ``argument``: a path as it is, or a URL
    bundle laid out in a temporary folder (removed on exit) whose walk
    takes what the URL's listing says. Raises BundleError (exit 2) for an
    unknown protocol, a backend not installed, or a URL that is no folder."""
    if not is_url(argument):
        yield OpenedBundle(Path(argument), on_disk=Path(argument))
        return
    with url_bundle(str(argument)) as bundle:
        on_disk = Path(bundle.base) if _is_local(bundle.fs) else None
        yield OpenedBundle(bundle.root, shown_url(bundle.url), tuple(bundle.notes), on_disk)


def folder_at(url: str) -> Path | None:
    """Check, without listing it, that ``url`` names a folder that could be
    assessed (``init`` of a URL bundle): BundleError otherwise, as for
    ``assess``. The folder on this machine it is (file://), else None."""
    fs, base = _filesystem(url)
    _refuse_system_tree(fs, base, url)
    shown = shown_url(url)
    try:
        is_folder, exists = fs.isdir(base), fs.exists(base)
    except Exception as exc:  # noqa: BLE001 - a backend's own error (network, credentials)
        raise BundleError(f"cannot read '{shown}': {type(exc).__name__}") from None
    if not is_folder:
        raise BundleError(f"'{shown}' is a file; take the bundle folder that holds it"
                          if exists else f"'{shown}' does not exist")
    return Path(base) if _is_local(fs) else None


@contextmanager
def url_bundle(url: str, max_file_size: int = DEFAULT_MAX_FILE_SIZE) -> Iterator[UrlBundle]:
    """The bundle at ``url`` laid out (see the module's docstring)."""
    fs, base = _filesystem(url)
    _refuse_system_tree(fs, base, url)
    listing = _listing(fs, base, url)
    root = Path(tempfile.mkdtemp(prefix="aiart-release-url-"))
    try:
        _refuse_root_inside(fs, base, root, url)
        bundle = UrlBundle(url=url, root=root, fs=fs, base=base)
        try:
            _lay_out(bundle, listing, max_file_size)
        except OSError as exc:  # the URL went away while read, a full disk
            raise BundleError(f"cannot read '{shown_url(url)}': "
                              f"{exc.strerror or type(exc).__name__}") from None
        real = os.path.realpath(root)
        _OPEN[real] = bundle
        source = StagedSource(keys=bundle.keys, lazy=bundle.lazy, read_head=bundle.head,
                              fetch=bundle.fetch)
        try:
            with staged_source(root, source):
                yield bundle
        finally:
            _OPEN.pop(real, None)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def worker_url(abspath: str | os.PathLike) -> str | None:
    """The URL a worker reads the bundle file at ``abspath`` from, when it
    lies in a URL bundle that other processes can reach; None for a file of
    a folder on disk, or of a bundle whose files live in this process
    alone (``memory://``), which workers read from the copy."""
    bundle, path = _owner(abspath)
    if bundle is None or not bundle.shared:
        return None
    return bundle.url_of(path)


def copy_for_workers(abspath: str | os.PathLike) -> None:
    """Make sure a file of a URL bundle is on disk (a lazy file copied);
    nothing for a file of a folder on disk."""
    bundle, path = _owner(abspath)
    if bundle is not None:
        bundle.fetch([path])


def put_in_copy(folder: str | os.PathLike, path: str, data: bytes) -> None:
    """Make ``data`` the file ``path`` of the URL bundle laid out at
    ``folder``, in place of the bundle's own, before it is walked: in the
    private copy only, never at the URL (``baseline --baseline FILE``: a
    baseline kept on this machine). The bundle's own file is not fetched."""
    bundle = _OPEN[os.path.realpath(folder)]
    for listed in (bundle.lazy, bundle.keys):
        listed.pop(path, None)
    bundle.sizes[path] = len(data)
    target = bundle.root / path
    target.unlink(missing_ok=True)
    with _created(target) as out:
        out.write(data)


def _owner(abspath: str | os.PathLike) -> tuple[UrlBundle | None, str]:
    text = str(abspath)
    for real, bundle in _OPEN.items():
        for root in (real, str(bundle.root)):
            if text.startswith(root + os.sep):
                return bundle, PurePosixPath(text[len(root) + 1:]).as_posix()
    return None, ""


def _filesystem(url: str) -> tuple[Any, str]:
    shown = shown_url(url)
    try:
        from fsspec.core import url_to_fs
    except ImportError:
        raise BundleError(f"cannot open '{shown}': a bundle at a URL needs fsspec "
                          "(pip install fsspec)") from None
    try:
        fs, base = url_to_fs(url)
    except ImportError as exc:  # the backend is not installed: its own advice
        raise BundleError(f"cannot open '{shown}': {_first_line(exc)}") from None
    except ValueError as exc:  # "Protocol not known"
        raise BundleError(f"cannot open '{shown}': {_first_line(exc)}") from None
    except Exception as exc:  # noqa: BLE001 - a backend's own error (options, credentials)
        raise BundleError(f"cannot open '{shown}': {type(exc).__name__}") from None
    return fs, base.rstrip("/") or base


def _listing(fs, base: str, url: str) -> dict[str, dict]:
    """Every entry under ``base`` with its details; BundleError when it is
    not a folder or cannot be listed."""
    shown = shown_url(url)
    try:
        if not fs.isdir(base):
            if fs.exists(base):
                raise BundleError(f"'{shown}' is a file; assess takes the bundle folder "
                                  "that holds it")
            raise BundleError(f"'{shown}' does not exist")
        return fs.find(base, detail=True, withdirs=False)
    except BundleError:
        raise
    except OSError as exc:
        raise BundleError(f"cannot read '{shown}': {exc.strerror or type(exc).__name__}") \
            from None
    except Exception as exc:  # noqa: BLE001 - a backend's own error (network, credentials)
        raise BundleError(f"cannot read '{shown}': {type(exc).__name__}") from None


def _is_local(fs) -> bool:
    """Whether ``fs`` is this machine's own filesystem (``file://``)."""
    return "file" in (fs.protocol if isinstance(fs.protocol, tuple) else (fs.protocol,))


def _refuse_system_tree(fs, base: str, url: str) -> None:
    """A ``file://`` bundle in /proc, /sys or /dev has endless files:
    refused before it is listed, as ``bundle.check_root`` refuses the path."""
    tree = system_tree(base) if _is_local(fs) else None
    if tree is not None:
        raise BundleError(f"'{shown_url(url)}' is in {tree}, a folder of the running system, "
                          "not a release folder")


def _refuse_root_inside(fs, base: str, root: Path, url: str) -> None:
    """A ``file://`` bundle holding the temporary folder (TMPDIR inside
    it) would be written into: refused."""
    if not _is_local(fs):
        return
    real_base = os.path.realpath(base)
    real_root = os.path.realpath(root)
    if real_root == real_base or real_root.startswith(real_base + os.sep):
        raise BundleError(f"the temporary folder {tempfile.gettempdir()} is inside "
                          f"'{shown_url(url)}'; set TMPDIR to a folder outside it")


def _lay_out(bundle: UrlBundle, listing: dict[str, dict], max_file_size: int) -> None:
    """Folders made, small text-like files written, the rest left lazy."""
    skipped: dict[str, list[str]] = {"link": [], "unsafe path": [], "not a file": [],
                                     "file of the running system": []}
    now: list[str] = []
    folders: set[Path] = set()
    prefix = bundle.base.rstrip("/") + "/"
    for name, info in sorted(listing.items()):
        path = name[len(prefix):] if name.startswith(prefix) else name
        reason = _skip_reason(bundle, name, path, info)
        if reason is not None:
            skipped[reason].append(path)
            continue
        size = int(info.get("size") or 0)
        target = bundle.root / path
        if target.parent not in folders:
            target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            folders.add(target.parent)
        bundle.sizes[path] = size
        if _lazy(path, size, max_file_size):
            bundle.lazy[path] = size
            key = _content_key(bundle, path, info)
            if key:
                bundle.keys[path] = key
        else:
            now.append(path)
    _write_now(bundle, now)
    for reason, paths in skipped.items():
        if paths:
            listed = ", ".join(paths[:3]) + (f" (+{len(paths) - 3} more)" if len(paths) > 3
                                             else "")
            bundle.notes.append(f"{len(paths)} {reason}{'s' if len(paths) > 1 else ''} "
                                f"skipped: {listed}")


def _skip_reason(bundle: UrlBundle, name: str, path: str, info: dict) -> str | None:
    parts = path.split("/")
    if (not path or "\\" in path or any(p in ("", ".", "..") for p in parts)
            or not name.startswith(bundle.base.rstrip("/") + "/")):
        return "unsafe path"  # a key that could leave the temporary folder
    if info.get("islink"):
        return "link"
    if info.get("type") != "file":
        return "not a file"
    if _is_local(bundle.fs) and system_tree(name) is not None:
        return "file of the running system"  # /proc mounted inside: endless files
    return None


def _lazy(path: str, size: int, max_file_size: int) -> bool:
    """Binary media, weights, archives, tables the engine would cut into
    parts (executors/parts.py SPLIT_MIN_BYTES), anything very large, and
    what the walk leaves out by default."""
    from .executors import parts

    suffix = os.path.splitext(path)[1].lower()
    return (suffix in LAZY_SUFFIXES or size > min(max_file_size, WRITE_AT_ONCE_BYTES)
            or (suffix in _TABLE_SUFFIXES and size >= parts.SPLIT_MIN_BYTES)
            or any(part in _NEVER_COPIED for part in path.split("/")[:-1]))


def _write_now(bundle: UrlBundle, paths: list[str]) -> None:
    """The small files, fetched a batch at a time (a backend that can asks
    for a batch's files at once; a batch holds at most WRITE_BATCH_BYTES,
    so memory stays bounded) and written, each no longer than it was
    listed."""
    batch: list[str] = []
    held = 0
    for path in paths:
        if batch and held + bundle.sizes[path] > WRITE_BATCH_BYTES:
            _write_batch(bundle, batch)
            batch, held = [], 0
        batch.append(path)
        held += bundle.sizes[path]
    if batch:
        _write_batch(bundle, batch)


def _write_batch(bundle: UrlBundle, paths: list[str]) -> None:
    sizes = [bundle.sizes[p] for p in paths]
    # Byte ranges, not whole files: a file that grew since the listing is
    # read as it was listed, not without bound.
    got = bundle.fs.cat_ranges([bundle.remote(p) for p in paths], [0] * len(paths), sizes,
                               on_error="return")
    for path, content in zip(paths, got, strict=True):
        if not isinstance(content, bytes):
            # Unreadable now: left lazy, not written, so that the read of
            # it (the walk's of its first bytes, or a check's) fails and
            # is reported (bundle.unreadable).
            bundle.lazy[path] = bundle.sizes[path]
            continue
        with _written(bundle.root / path) as out:
            out.write(content[:bundle.sizes[path]])


def _content_key(bundle: UrlBundle, path: str, info: dict) -> str:
    """What stands for a lazy file's content in the result cache: the
    backend's checksum with the size, else the file's URL with its
    modification time and size; "" when the backend gives neither (the
    result is then not cached)."""
    size = int(info.get("size") or 0)
    for name in _CHECKSUMS:
        value = info.get(name)
        if value:
            return f"fsspec-{name.lower()}:{value}:{size}"
    for name in _MODIFIED:
        value = info.get(name)
        if value:
            return f"fsspec-modified:{bundle.url_of(path)}:{value}:{size}"
    return ""


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__

