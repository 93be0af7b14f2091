"""Per-file result cache, so that an unchanged bundle re-assesses quickly.

The results live in one embedded SQLite database, ``results.sqlite3`` in
the cache folder (``$AIART_RELEASE_CACHE_DIR``, else
``$XDG_CACHE_HOME/aiart-release``, never inside the bundle). A result is
keyed by (file content hash, check id, check version, settings hash, place):
the settings hash covers the tool version, the check's settings and the
installed plugins; the place is the hash of the artifact and path, which
the findings name. Content hashes are remembered by (path hash, size,
mtime, inode), as git's index does, so unchanged files are not re-read.

- Only masked findings are stored (never the raw ``matched`` value); paths
  are stored hashed; nothing else from the bundle is kept.
- Writes are transactions (WAL journal): a parallel run never sees half a
  result. A run that finds the database locked waits ``LOCK_WAIT_SECONDS``,
  then goes on without the cache, and says so once.
- The size is bounded: past ``AIART_RELEASE_CACHE_MAX_MB`` (or
  ``MAX_ENTRIES`` results) the least recently used results are evicted.
- The database is state left by an earlier run, read as untrusted input:
  one that is not SQLite, not of the exact schema this version creates, or
  far larger than the limit is rebuilt empty with a one-line warning; one
  that is a symlink, FIFO or folder is refused (the run goes on without a
  cache). Every query is parameterised, every value read is type-checked.

The name lexicons built from installed packages (:func:`derived`) are kept
beside it, as text files (one value a line) under ``derived/``: they are read by every worker
process, are not bundle data (so they are no part of the "nothing personal
in the cache" promise, and the tests that grep the database for planted
names need not sift through Faker's million names), and must not be
evicted by a large bundle's results.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import stat
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from collections.abc import Set as AbstractSet
from contextlib import contextmanager
from dataclasses import fields, is_dataclass
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any, NamedTuple

from . import __version__
from .checks import finding_problem
from .findings import Finding
from .lazy_pattern import LazyPattern
from .masking import current_gate, redact_findings
from .origin import FIXTURE, GENERATED

if TYPE_CHECKING:
    from .bundle import BundleFile, Inventory
    from .checks import Check
    from .config import Config
    from .facts import Facts

ENV_CACHE_DIR = "AIART_RELEASE_CACHE_DIR"
ENV_CACHE_MAX_MB = "AIART_RELEASE_CACHE_MAX_MB"
DB_NAME = "results.sqlite3"
# SQLite writes these beside the database; each is checked like it.
_SIDE_FILES = ("-wal", "-shm", "-journal")
APPLICATION_ID = 0x41524331  # "ARC1": a database another program wrote is not ours
SCHEMA_VERSION = 1
DEFAULT_MAX_MB = 256
MAX_ENTRIES = 250_000
# What a stored row costs beyond its findings: the key columns (four
# hashes), SQLite's cell and the primary-key index.
ROW_OVERHEAD = 420
# A parallel run holds the write lock for milliseconds; one that holds it
# longer is stuck, and this run goes on without the cache.
LOCK_WAIT_SECONDS = 5.0
# No statement of ours runs this long on a database within the limit: one
# that does is working through a hostile file, and is interrupted.
STATEMENT_SECONDS = 30.0
# Results are written in batches: one transaction per this many, or per
# this many seconds, and at the end of the run.
FLUSH_ENTRIES = 500
FLUSH_SECONDS = 2.0
MAX_RESULT_BYTES = 64 * 1024 * 1024
RUNS_KEPT = 10
# Eviction goes by last use to this resolution: a result used again within
# it is not written again.
USE_RESOLUTION = 600
# A file's results read in one query: more than this many (its results under
# many versions and settings) are looked up one by one instead.
PREFETCH_ROWS = 64
# Files (or contents) whose stored results are read in one query: two
# parameters each, far below SQLite's limit of 32,766.
PREFETCH_BATCH = 400
# The place of a bundle check's result: no file's "artifact:path" hashes to it.
BUNDLE_PLACE = "\0scan_bundle"
# The check id of the hook's stored verdicts (hook_verdict.py): rows of
# ``results`` like any other (no check is named so), so the schema checks,
# eviction by last use, ``cache info`` and ``cache clear`` treat them alike.
VERDICT_CHECK = "\0hook-verdict"
# The check id of the kinds the inventory's walk remembers (KindMemo).
KIND_CHECK = "\0kind"
# The check id of a whole plan's results (ResultCache.plan_key).
PLAN_CHECK = "\0plan"
# The largest stored verdict: a report lists at most twenty findings.
MAX_VERDICT_BYTES = 256 * 1024
# The fields Finding.to_dict writes, and "content": a cached finding with
# another field comes from another tool or version.
_FINDING_FIELDS = frozenset({
    "id", "check", "checkpoint", "artifact", "severity", "confidence", "location", "message",
    "evidence", "count", "fingerprint", "remediation", "references", "context", "also",
    "content",
})
_HEX64 = LazyPattern(r"[0-9a-f]{64}")
# A stored result as the lookups read it: what it answers for (check id,
# version, settings), then its rowid, findings (none past the size limit),
# seconds and last use. The findings' ``?`` is MAX_RESULT_BYTES.
_RESULT_COLUMNS = ("r.check_id, r.check_version, r.settings, r.rowid, "
                   "CASE WHEN length(r.findings) <= ? THEN r.findings END, r.seconds, r.used")

_SCHEMA = (
    "CREATE TABLE results (content TEXT NOT NULL, check_id TEXT NOT NULL, "
    "check_version TEXT NOT NULL, settings TEXT NOT NULL, place TEXT NOT NULL, "
    "findings TEXT NOT NULL, seconds REAL NOT NULL, bytes INTEGER NOT NULL, "
    "used INTEGER NOT NULL, "
    "PRIMARY KEY (content, check_id, check_version, settings, place))",
    "CREATE INDEX results_by_use ON results (used)",
    "CREATE TABLE files (path TEXT PRIMARY KEY, size INTEGER NOT NULL, "
    "mtime_ns INTEGER NOT NULL, inode INTEGER NOT NULL, content TEXT NOT NULL, "
    "used INTEGER NOT NULL)",
    "CREATE TABLE runs (at INTEGER NOT NULL, hits INTEGER NOT NULL, misses INTEGER NOT NULL, "
    "written INTEGER NOT NULL, evicted INTEGER NOT NULL)",
)


def default_cache_dir() -> Path:
    if os.environ.get(ENV_CACHE_DIR):
        return Path(os.environ[ENV_CACHE_DIR])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "aiart-release"


def max_bytes() -> int:
    """The size limit of the results: ``AIART_RELEASE_CACHE_MAX_MB`` when it
    is a positive number, else ``DEFAULT_MAX_MB``."""
    try:
        megabytes = float(os.environ.get(ENV_CACHE_MAX_MB, DEFAULT_MAX_MB))
    except ValueError:
        megabytes = DEFAULT_MAX_MB
    if not megabytes > 0:  # also NaN
        megabytes = DEFAULT_MAX_MB
    return int(min(megabytes, 1 << 30) * 1024 * 1024)


# Where data derived from installed packages may be kept this run (the name
# lexicons built from Faker's hundred locale modules): the result cache's
# folder once the engine has chosen it, None under --no-cache or when that
# folder would be inside the bundle. Set before the pool forks, so workers
# share it.
_derived_root: Path | None = None
MAX_DERIVED_BYTES = 16 * 1024 * 1024


def allow_derived(directory: Path | None) -> None:
    """Let :func:`derived` keep its files under ``directory`` (None: never)."""
    global _derived_root
    _derived_root = directory


def derived(name: str, key: str, build: Callable[[], list[str]]) -> list[str]:
    """A list of strings built from installed packages, kept under the
    cache folder so that a later run reads one file instead of building it
    again. ``key`` says what it was built from (package versions): another
    key builds anew. Nothing from a bundle is ever stored here; a file that
    cannot be read, or does not hold what its header says, is rebuilt."""
    if _derived_root is None:
        return build()
    path = _derived_root / "derived" / f"{name}-{_sha(key)[:16]}.txt"
    try:
        stored = _decode_derived(_read_bounded(path, MAX_DERIVED_BYTES))
        if stored is not None:
            return stored
    except (OSError, ValueError, RecursionError):
        pass
    value = build()
    _write_derived(path, _encode_derived(value).encode("utf-8", "surrogatepass"))
    return value


# One value a line after a header with their count: a first pre-commit run
# reads four lexicons of about 30,000 names, which took 45 ms as JSON (and
# a check that each item is a string) and takes about 5 ms split on lines.
# A list with a line break inside a value is kept as JSON instead.
_DERIVED_HEADER = "aiart-release derived 2 "


def _encode_derived(values: list[str]) -> str:
    if any("\n" in value or "\r" in value for value in values):
        return json.dumps(values)
    if not values:
        return _DERIVED_HEADER + "0"  # no line break: told apart from [""]
    return _DERIVED_HEADER + str(len(values)) + "\n" + "\n".join(values)


def _decode_derived(text: str) -> list[str] | None:
    """The values, or None when ``text`` is spoiled (cut short, not ours)."""
    if not text.startswith(_DERIVED_HEADER):
        value = json.loads(text)
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return value
        return None
    header, _, body = text.partition("\n")
    count = header[len(_DERIVED_HEADER):]
    if not count.isdigit():
        return None
    values = body.split("\n") if body or "\n" in text else []
    return values if len(values) == int(count) else None


def derived_lexicon(name: str, key: str, build: Callable[[], Iterable[str]]) -> AbstractSet[str]:
    """A large set of words built from installed packages (a name
    lexicon), kept like :func:`derived` but as a sorted file that is
    searched in place (``lexicon.py``): a run that asks about a few words
    does not load thirty thousand."""
    from . import lexicon

    if _derived_root is None:
        return frozenset(build())
    path = _derived_root / "derived" / f"{name}-{_sha(key)[:16]}.words"
    try:
        stored = lexicon.read(_read_bounded_bytes(path, MAX_DERIVED_BYTES))
        if stored is not None:
            return stored
    except (OSError, ValueError):
        pass
    words = frozenset(build())
    encoded = lexicon.encode(words)
    if encoded is not None:
        _write_derived(path, encoded)
    return words


def _write_derived(path: Path, data: bytes) -> None:
    """Write ``data`` at ``path`` whole or not at all; a failure is no error
    (the list is built again next time)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".derived-")
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except OSError:
        pass


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def file_sha256(path: Path | str) -> str:
    """The sha256 of a file's content, hex, read in 1 MiB blocks (weights
    run to gigabytes). The one place a file is hashed: the cache and the
    provenance check compare the same digests."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


_SETTINGS_HASHES: dict[str, str] = {}


def settings_hash(settings: Any) -> str:
    """sha256 of the settings as JSON. Asked once per file and check (the
    same few settings 20,000 times on a large bundle): remembered by their
    ``repr``, which two different settings never share (one whose repr
    changes from call to call merely misses the memo)."""
    text = repr(settings)
    known = _SETTINGS_HASHES.get(text)
    if known is None:
        known = _sha(json.dumps(settings, sort_keys=True, default=str))
        if len(_SETTINGS_HASHES) < 1024:
            _SETTINGS_HASHES[text] = known
    return known


class CacheKey(NamedTuple):
    """Which stored result answers for one check on one file."""

    content: str  # sha256 of the file's bytes
    check_id: str
    check_version: str
    settings: str  # sha256 of the tool version and the check's settings hash
    place: str  # sha256 of "artifact:path": the findings name the path


# What a whole row (a plan, a walk's kinds) says when it is of another state
# of its bundle than the one asked about: a miss.
_STALE = object()
# The warnings about the cache this process gave (ResultCache._warn).
_WARNED: set[str] = set()


class _Busy(Exception):
    """Another run held the database past ``LOCK_WAIT_SECONDS``."""


class _Foreign(Exception):
    """The database is not one this version wrote."""


class _Refused(Exception):
    """The database path is not a regular file (a symlink, FIFO, folder)."""


def database_path(directory: Path) -> Path:
    return directory / DB_NAME


class ResultCache:
    """The result store of one run; disabled (every lookup misses) when
    ``directory`` is None, cannot be written, is refused or is busy.

    Lookups read the database at once; results, content hashes and the
    use of what was read are written in batched transactions, and at
    :meth:`save`, which also evicts past the size limit and closes it."""

    def __init__(self, directory: Path | None):
        self.directory = directory
        self.hits = 0
        self.misses = 0
        self._warned = False
        self._db: sqlite3.Connection | None = None
        self._now = int(time.time())
        self._results: dict[CacheKey, tuple[str, float]] = {}
        self._files: dict[str, tuple[int, int, int, str]] = {}
        self._used: set[int] = set()
        self._files_used: set[str] = set()
        self._spoiled: set[int] = set()
        self._written = 0
        self._hashed = 0
        # Content hashes already known this run, by path: the file checks'
        # plan and the bundle checks' inventory digest ask for the same files.
        self._memo: dict[str, str] = {}
        # The installed plugins ("name version"), part of every settings key.
        self.plugin_set: list[str] = []
        # Hashes of the texts keys are made of (settings, places), and the
        # stored results of each file read in one query (_prefetch).
        self._shas: dict[str, str] = {}
        # The settings part of the keys, by the settings hash it is made of.
        self._versioned: dict[str, str] = {}
        self._cwd = _working_folder()  # once, not once per file (os.path.abspath)
        self._prefetched: dict[tuple[str, str], dict[tuple[str, str, str], tuple]] = {}
        self._flushed_at = time.monotonic()
        # When the statement running now is to be interrupted (see _limit_statements).
        self._deadline = [0.0]
        # The plan of this run (expect_plan): its key, the file of each of
        # its results' keys, and the findings of those answered so far.
        self._plan: CacheKey | None = None
        self._plan_files: dict[CacheKey, int] = {}
        self._plan_found: dict[CacheKey, list[Finding]] = {}
        self._answered: dict[CacheKey, list[Finding]] = {}  # what get() found
        self._plan_state = ""  # the digest of what the plan is of (plan_key)
        # The digest of every file's path, kind, artifact, origin, size and
        # content (bundle_inputs): worked out once, or brought by a stored plan.
        self._files_digest: str | None = None
        if directory is None:
            return
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError):
            self._disable(f"{directory} is not a folder; running without a cache")
            return
        except OSError:
            self.directory = None  # cannot create it: run without a cache
            return
        _remove_old_format(directory)
        self._db = self._open()

    # --- opening ---------------------------------------------------------------

    def _open(self) -> sqlite3.Connection | None:
        """The database, made ready; rebuilt once when it is foreign or
        corrupt; None (no cache this run) when refused, busy or unwritable."""
        path = database_path(self.directory)  # type: ignore[arg-type]
        for attempt in (1, 2):
            try:
                _check_regular(path)
                _check_size(path)
                return _connect(path, self._deadline)
            except _Refused as exc:
                self._disable(f"{exc}; running without a cache")
                return None
            except _Busy:
                self._disable_busy()
                return None
            except (_Foreign, sqlite3.DatabaseError) as exc:
                if attempt == 2 or _is_unwritable(exc):
                    self.directory = None
                    return None
                self._warn(f"cache database {path} {_why(exc)}; rebuilt")
                if not _remove_database(path):
                    self.directory = None
                    return None
        return None

    # --- state -----------------------------------------------------------------

    def _warn(self, message: str) -> None:
        """One line on stderr, the first time in a run that something is
        wrong with the cache: it is the user's own state, not the bundle's,
        so there is no finding for it."""
        if not self._warned and message not in _WARNED:
            self._warned = True
            # The inventory's walk and the checks each open the cache: a
            # problem with it is still said once.
            _WARNED.add(message)
            print(f"aiart-release: warning: {message}", file=sys.stderr)

    def _disable(self, message: str | None = None) -> None:
        if message:
            self._warn(message)
        self.directory = None
        if self._db is not None:
            try:
                self._db.rollback()
                self._db.close()
            except sqlite3.Error:
                pass
            self._db = None

    def _disable_busy(self) -> None:
        self._disable(f"the cache in {self.directory} is locked by another run "
                      f"(waited {LOCK_WAIT_SECONDS:g} s); this run goes on without it")

    @property
    def enabled(self) -> bool:
        return self.directory is not None

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """Run a database operation; a lock held too long disables the
        cache; a database found corrupt is rebuilt (empty) at once."""
        self._deadline[0] = time.monotonic() + STATEMENT_SECONDS
        try:
            yield
        except _Busy:
            self._disable_busy()
        except sqlite3.Error as exc:
            if _is_busy(exc):
                self._disable_busy()
            else:
                self._rebuild(exc)

    def _rebuild(self, exc: BaseException) -> None:
        path = database_path(self.directory)  # type: ignore[arg-type]
        self._warn(f"cache database {path} {_why(exc)}; rebuilt")
        self.close()
        self._used.clear()
        self._files_used.clear()
        self._spoiled.clear()
        self._prefetched.clear()
        if _remove_database(path):
            self._db = self._open()
        if self._db is None:
            self.directory = None

    # --- content hashes --------------------------------------------------------

    def note_plugins(self, plugin_set: list[str]) -> None:
        """The installed plugins of this run: any change to them (a new
        recognizer, say) can change what a check finds."""
        self.plugin_set = sorted(plugin_set)

    def file_content(self, file: BundleFile, max_bytes: int | None = None) -> str:
        """The content key of a bundle file: the one its source vouches for
        (a staged blob's git id and size, ``BundleFile.content_key``), else
        :meth:`content_hash`; "" when it cannot be hashed (too large,
        vanished), which no result is cached under. Its stored results are
        read with it (:meth:`prefetch`)."""
        known = file.content_key or self._memo.get(str(file.abspath))
        if known is None or known and (known, self._hashed_once(
                f"{file.artifact}:{file.path}")) not in self._prefetched:
            self.prefetch([file], max_bytes)  # not in what the plan read at once
            known = file.content_key or self._memo.get(str(file.abspath), "")
        return known

    def prefetch(self, files: Iterable[BundleFile], max_bytes: int | None = None) -> None:
        """Work out the content keys of ``files`` and read their stored
        results, a few hundred files to a query: the plan of an unchanged
        bundle of 10,000 files asked one query per file, a third of a
        re-assessment. :meth:`file_content` then answers from memory, and
        each check's lookup that follows (:meth:`get`) too."""
        files = list(files)
        on_disk: dict[str, tuple[str, os.stat_result, str]] = {}
        for file in files:
            name = str(file.abspath)
            if file.content_key or name in self._memo:
                continue
            try:
                info = os.stat(name)
            except OSError:
                self._memo[name] = ""
                continue
            if max_bytes is not None and info.st_size > max_bytes:
                self._memo[name] = ""  # never read whole just to be hashed
                continue
            place = self._hashed_once(f"{file.artifact}:{file.path}")
            on_disk[self._path_key(name)] = (name, info, place)
        stored = self._stored_contents({key: place for key, (_, _, place) in on_disk.items()})
        # The results of contents not read with their stamps: vouched for by
        # the source, or hashed now (new or changed files).
        unread = [(file.content_key, self._hashed_once(f"{file.artifact}:{file.path}"))
                  for file in files if file.content_key]
        for key, (name, info, place) in on_disk.items():
            try:
                content = self._memo[name] = self._content_of(name, info, key, stored.get(key))
            except OSError:  # vanished or unreadable since the walk
                content = self._memo[name] = ""
            if content and (content, place) not in self._prefetched:
                unread.append((content, place))
        self._read_results(unread)

    def content_hash(self, path: Path, max_bytes: int | None = None,
                     place: str | None = None) -> str:
        """sha256 of the file, from the database when size/mtime/inode are
        unchanged; "" (nothing cached) for a file over ``max_bytes``, which is
        never read whole just to be hashed. With ``place`` (its
        "artifact:path"), the results stored for it come in the same query."""
        info = os.stat(path)
        if max_bytes is not None and info.st_size > max_bytes:
            return ""
        key = self._path_key(str(path))
        place_hash = self._hashed_once(place) if place is not None else ""
        return self._content_of(path, info, key,
                                self._stored_contents({key: place_hash}).get(key))

    def _path_key(self, name: str) -> str:
        """What finds a file's row: the path as given, made absolute, hashed.
        No link resolved (a system call per folder on the way, 10,000
        times): the size, time and inode say whether the row still holds."""
        if "/." in name or "//" in name or name.startswith("."):
            name = os.path.normpath(os.path.join(self._cwd, name))
        elif name[:1] != "/":  # plain and relative: normpath would change nothing
            name = f"{self._cwd}/{name}" if self._cwd != "/" else f"/{name}"
        return _sha(name)

    def _content_of(self, path: Path | str, info: os.stat_result, key: str,
                    known: tuple[int, int, int, str, Any] | None) -> str:
        """The content hash of the file at ``path``: the stored one
        (``known``) when its size, time and inode are those of ``info``,
        else hashed now and remembered. Raises OSError."""
        stamp = (info.st_size, info.st_mtime_ns, info.st_ino)
        if known is not None and known[:3] == stamp:
            if self._stale(known[4]):
                self._files_used.add(key)
            return known[3]
        value = file_sha256(path)
        if self.enabled:
            self._files[key] = (*stamp, value)
        return value

    def _stored_contents(self, wanted: Mapping[str, str],
                         ) -> dict[str, tuple[int, int, int, str, Any]]:
        """The stored (size, mtime, inode, content hash, last use) of each
        path key of ``wanted``, a few hundred to a query; the results stored
        at each one's place (a place hash, "" for none) of the content its
        row names are joined in and kept for the lookups (:meth:`get`)."""
        found = {key: (*self._files[key], self._now) for key in wanted if key in self._files}
        asked = [(key, place) for key, place in wanted.items() if key not in found]
        for start in range(0, len(asked), PREFETCH_BATCH):
            rows = self._select_batch(
                "SELECT w.key, f.size, f.mtime_ns, f.inode, f.used, f.content, w.place, "
                f"{_RESULT_COLUMNS} FROM want AS w JOIN files AS f ON f.path = w.key "
                "LEFT JOIN results AS r ON r.content = f.content AND r.place = w.place",
                asked[start:start + PREFETCH_BATCH])
            results, spoiled = [], set()
            for row in rows:
                key = row[0]
                if key not in found and key not in spoiled:
                    size, mtime_ns, inode, used, content = row[1:6]
                    if (type(size) is int and type(mtime_ns) is int and type(inode) is int
                            and isinstance(content, str) and _HEX64.fullmatch(content)):
                        found[key] = (size, mtime_ns, inode, content, used)
                    else:
                        self._warn(f"cache database in {self.directory} holds a content "
                                   "hash of another shape; discarded")
                        spoiled.add(key)
                if key not in spoiled:
                    results.append(row[5:])
            self._keep_results(results)
        return found

    def _read_results(self, wanted: Iterable[tuple[str, str]]) -> None:
        """Read the results stored for each (content, place hash) of
        ``wanted`` not read yet, a few hundred to a query."""
        asked = [pair for pair in dict.fromkeys(wanted) if pair not in self._prefetched]
        for start in range(0, len(asked), PREFETCH_BATCH):
            batch = asked[start:start + PREFETCH_BATCH]
            self._keep_results(self._select_batch(
                f"SELECT w.key, w.place, {_RESULT_COLUMNS} FROM want AS w "
                "JOIN results AS r ON r.content = w.key AND r.place = w.place", batch), batch)

    def _select_batch(self, query: str, batch: list[tuple[str, str]]) -> list[tuple]:
        """The rows of ``query`` over the table ``want(key, place)`` of
        ``batch``; none when the database is gone or fails (the guard
        disables or rebuilds it, and every lookup then misses)."""
        if self._db is None or not batch:
            return []
        values = ", ".join(["(?, ?)"] * len(batch))
        params = [value for pair in batch for value in pair]
        rows: list[tuple] = []
        read = False
        with self._guard():
            rows = self._db.execute(f"WITH want(key, place) AS (VALUES {values}) {query}",
                                    [*params, MAX_RESULT_BYTES]).fetchall()
            read = True
        return rows if read and self._db is not None else []

    def _keep_results(self, rows: Iterable[tuple], pairs: Iterable[tuple[str, str]] = ()) -> None:
        """Keep, for the lookups to answer from memory, the results read for
        each (content, place hash): ``rows`` of (content, place,
        _RESULT_COLUMNS), a LEFT JOIN's empty row being none; ``pairs``
        read that have none. Those with more than ``PREFETCH_ROWS`` (results
        of many versions and settings), and those of no place, are left to
        be looked up one by one."""
        read: dict[tuple[str, str], dict[tuple, tuple]] = {pair: {} for pair in pairs}
        pair: tuple[str, str] | None = None
        found: dict[tuple, tuple] = {}
        for row in rows:
            if row[:2] != pair:  # a query's rows come grouped by what was asked
                pair = row[:2]
                found = read.setdefault(pair, {})
            if row[2] is not None and len(found) <= PREFETCH_ROWS:
                found[row[2:5]] = row[5:]
        for pair, found in read.items():
            if pair[1] and len(found) <= PREFETCH_ROWS:
                self._prefetched[pair] = found

    # --- results ---------------------------------------------------------------

    def key(self, *, check_id: str, check_version: str, settings: str, path: str,
            content: str) -> CacheKey:
        versioned = self._versioned.get(settings)
        if versioned is None:
            versioned = self._versioned[settings] = _sha(f"{__version__}\0{settings}")
        return CacheKey(content, check_id, check_version, versioned, self._hashed_once(path))

    def _hashed_once(self, text: str) -> str:
        known = self._shas.get(text)
        if known is None:
            known = self._shas[text] = _sha(text)
        return known

    def get(self, key: CacheKey) -> tuple[list[Finding], float] | None:
        hit = self._lookup(key, _cached_findings)
        if hit is not None:
            self._answered[key] = hit[0]  # for the plan these results are part of
        return hit

    # --- whole plans ---------------------------------------------------------------

    def plan_key(self, inventory: Inventory, files: list[tuple[int, BundleFile, list[Check]]],
                 settings: Mapping[str, str]) -> CacheKey | None:
        """Which stored plan answers for every file check on the files of
        ``inventory``: a digest of each file's path, artifact, kind, origin,
        size, why it is skipped and its content (its source's key, else the
        walk's stat, as for its content hash), the checks each of ``files``
        (its place in the inventory, the file, its checks) is given, with
        their versions and ``settings`` (by check id), and the plugins.
        None when a file is neither vouched for nor stat-ed."""
        entries: list[list[Any]] = []
        stamped = False
        for file in inventory.files:
            if not (file.content_key or file.stamp):
                return None
            stamped = stamped or not file.content_key
            entries.append([file.path, file.artifact, file.kind, file.context, file.size,
                            file.skipped, file.content_key or list(file.stamp)])
        for index, _, wanted in files:
            entries[index].append([[c.id, c.version, settings[c.id]] for c in wanted])
        self._plan_state = _sha(json.dumps([entries, self.plugin_set]))
        # A stat names a file only in its folder: a folder's plan is one row,
        # replaced when the folder changes (it holds the state it is of). A
        # source's key names it anywhere (the hook's staged copy is in a new
        # folder every run): such a plan is a row of its own.
        where = os.path.join(self._cwd, inventory.root)
        return self.key(check_id=PLAN_CHECK, check_version="1", settings="", path="\0plan",
                        content=_sha(f"folder\0{where}") if stamped else self._plan_state)

    def get_plan(self, key: CacheKey, files: int) -> list[tuple[int, str, list[Finding]]] | None:
        """The findings stored for a plan (:meth:`plan_key`) over ``files``
        files: (the file's place in the inventory, check id, findings) where
        there were any; None when it is not stored."""
        hit = self._current(self._lookup(
            key, lambda text, _seconds: _cached_plan(text, files, self._plan_state)))
        if hit is None:
            self.misses -= 1  # not a result: the results are looked up next
            return None
        pairs, found, files_digest = hit[0]
        self.hits += pairs - 1  # as the lookups of each result would have counted
        self._files_digest = self._files_digest or files_digest
        return found

    def _current(self, hit: tuple[Any, float] | None) -> tuple[Any, float] | None:
        """A whole row's hit, unless it is of another state of its bundle
        (``_STALE``): that is a miss, not a spoiled row."""
        if hit is None or hit[0] is not _STALE:
            return hit
        self.hits -= 1
        self.misses += 1
        return None

    def expect_plan(self, key: CacheKey, results: Mapping[CacheKey, int]) -> None:
        """Store the plan under ``key`` at :meth:`save` if every one of
        ``results`` (the key of a file check's result, with the file's place
        in the inventory) was answered from the cache or stored this run."""
        self._plan, self._plan_files = key, dict(results)
        self._plan_found = {k: self._answered[k] for k in self._plan_files if k in self._answered}

    def _complete_plan(self) -> None:
        """The plan expected, stored when every result came in: only the
        findings there were (most results have none), masked as stored."""
        plan, files, found = self._plan, self._plan_files, self._plan_found
        self._plan = None
        if plan is None or len(found) != len(files):
            return
        # As a bundle check's record: the findings, and for each the file's
        # place in the inventory (and the check), not its path.
        of = [(files[key], key.check_id, f) for key, findings in found.items() for f in findings]
        record = {"findings": _stored_findings([f for _, _, f in of]),
                  "places": [place for place, _, _ in of], "checks": [c for _, c, _ in of],
                  "pairs": len(files), "files": self._files_digest, "state": self._plan_state}
        text = json.dumps(record, ensure_ascii=False)
        if len(text) <= MAX_RESULT_BYTES:
            self._store(plan, text, 0.0)

    def _lookup(self, key: CacheKey, parse: Callable[[Any, Any], Any]) -> Any:
        """The stored result of ``key`` as ``parse(text, seconds)`` reads it
        (None: not of this version's shape), with its seconds; None on a
        miss. A result that does not parse is discarded."""
        if self._db is None:
            return None
        row = None
        prefetched = self._prefetched.get((key.content, key.place))
        if prefetched is not None:
            row = prefetched.get((key.check_id, key.check_version, key.settings))
        else:
            with self._guard():
                row = self._db.execute(
                    "SELECT rowid, CASE WHEN length(findings) <= ? THEN findings END, seconds, "
                    "used FROM results WHERE content = ? AND check_id = ? AND check_version = ? "
                    "AND settings = ? AND place = ?", (MAX_RESULT_BYTES, *key)).fetchone()
        if self._db is None:
            return None
        if row is None:
            self.misses += 1
            return None
        rowid, text, seconds, used = row
        value = parse(text, seconds)
        if value is None:
            self._warn(f"cache entry in {self.directory} is corrupt (not of this version's "
                       "shape); discarded")
            self._spoiled.add(rowid)
            self.misses += 1
            return None
        if self._stale(used):
            self._used.add(rowid)
        self.hits += 1
        return value, float(seconds)

    def _stale(self, used: Any) -> bool:
        """Whether a row's last use is to be written again: not when this
        run or one in the last ``USE_RESOLUTION`` seconds wrote it, so that
        an unchanged bundle assessed again writes nothing at all."""
        return not (type(used) is int and used >= self._now - USE_RESOLUTION)

    def put(self, key: CacheKey, findings: list[Finding], seconds: float) -> None:
        if not self.enabled:
            return
        if key in self._plan_files:
            self._plan_found[key] = findings
        self._store(key, json.dumps(_stored_findings(findings), ensure_ascii=False), seconds)

    def _store(self, key: CacheKey, text: str, seconds: float) -> None:
        self._results[key] = (text, seconds)
        if (len(self._results) >= FLUSH_ENTRIES
                or time.monotonic() - self._flushed_at >= FLUSH_SECONDS):
            self._flush()

    # --- the hook's verdicts -------------------------------------------------------

    def get_verdict(self, key: str) -> dict[str, Any] | None:
        """The hook's stored verdict under ``key`` (hook_verdict.py): its
        ``stdout``, ``stderr`` lines and exit ``code``; None when there is none."""
        found = self._lookup(_verdict_key(key), _cached_verdict)
        return None if found is None else found[0]

    def put_verdict(self, key: str, verdict: dict[str, Any]) -> None:
        """Keep the hook's verdict (already masked: see hook_verdict.py)."""
        text = json.dumps(verdict, ensure_ascii=False)
        if self.enabled and _cached_verdict(text, 0.0) is not None:
            self._store(_verdict_key(key), text, 0.0)

    # --- writing ---------------------------------------------------------------

    def _flush(self) -> None:
        """Write what this run learned, in one transaction."""
        self._flushed_at = time.monotonic()
        if self._db is None or not (self._results or self._files or self._used
                                    or self._files_used or self._spoiled):
            return
        results, files = self._results, self._files
        self._results, self._files = {}, {}
        with self._guard(), _transaction(self._db) as db:
            db.executemany(
                "INSERT OR REPLACE INTO results (content, check_id, check_version, settings, "
                "place, findings, seconds, bytes, used) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(*key, text, seconds, len(text.encode("utf-8", "surrogatepass"))
                  + ROW_OVERHEAD, self._now) for key, (text, seconds) in results.items()])
            db.executemany(
                "INSERT OR REPLACE INTO files (path, size, mtime_ns, inode, content, used) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [(path, *entry, self._now) for path, entry in files.items()])
            self._hashed += len(files)
            db.executemany("UPDATE results SET used = ? WHERE rowid = ? AND used < ?",
                           [(self._now, rowid, self._now) for rowid in self._used])
            db.executemany("UPDATE files SET used = ? WHERE path = ? AND used < ?",
                           [(self._now, path, self._now) for path in self._files_used])
            db.executemany("DELETE FROM results WHERE rowid = ?",
                           [(rowid,) for rowid in self._spoiled])
            self._written += len(results)
        self._used.clear()
        self._files_used.clear()
        self._spoiled.clear()

    # --- bundle checks -----------------------------------------------------------

    def bundle_inputs(self, inventory: Inventory, facts: Facts, config: Config,
                      trust_bundle_code: bool) -> str:
        """A digest of everything a bundle check is given: every file's path,
        kind, artifact, context, size and content, what the walk reported,
        the facts (declarations, cards, configuration) and the permission
        to run bundle code. The settings, the check and the plugins are in
        the rest of the key (:meth:`bundle_key`)."""
        digest = hashlib.sha256()
        if self._files_digest is None:
            # By content, not by stat: the same bundle in another folder is
            # answered from the cache. A stored plan brings it along.
            self.prefetch(inventory.files, config.max_file_size)
            self._files_digest = _sha(json.dumps([
                [file.path, file.kind, file.artifact, file.context, file.skipped, file.size,
                 self.file_content(file, config.max_file_size) or _stamp(file.abspath)]
                for file in inventory.files]))
        digest.update(self._files_digest.encode())
        rest = _canonical_bytes({
            "walk": [[f.id, f.location.path, f.message, f.severity.value]
                     for f in inventory.findings],
            "excluded": inventory.excluded,
            "facts": _canonical(facts.values),
            "cards": _canonical(facts.cards),
            # Where the configuration was read from is no input: its content is.
            "config": {k: v for k, v in _canonical(config).items() if k != "source"},
            "trust_bundle_code": trust_bundle_code,
        })
        # Nor is where the bundle lies (the hook's copy is in a new folder
        # every run): a path inside it (a policy) counts from the bundle.
        for root in {str(inventory.root), os.path.realpath(inventory.root)}:
            rest = rest.replace(_canonical_bytes(root)[1:-2] + b"/", b"<bundle>/")
        digest.update(rest)
        return digest.hexdigest()

    def bundle_key(self, check: Check, settings: Any, inputs: str) -> CacheKey:
        """Which stored result answers for ``check``'s ``scan_bundle`` on
        the inputs :meth:`bundle_inputs` digested."""
        return self.key(check_id=check.id, check_version=check.version,
                        settings=settings_hash([settings, self.plugin_set, "scan_bundle"]),
                        path=BUNDLE_PLACE, content=inputs)

    def get_bundle(self, key: CacheKey, inventory: Inventory,
                   ) -> tuple[list[Finding], dict[str, Any]] | None:
        """The findings and facts a bundle check returned on the same inputs,
        or None. The findings were stored masked: what a masked path hid is
        learned again from the file it names, to be masked wherever else
        this run quotes that path (as for a file check's cached result)."""
        hit = self._lookup(key, _cached_bundle_result)
        if hit is None:
            return None
        (found, places, provided), _ = hit
        gate = current_gate()
        for finding, place in zip(found, places, strict=True):
            if 0 <= place < len(inventory.files):
                gate.learn_masked(inventory.files[place].path, finding.location.path)
        return found, provided

    def put_bundle(self, key: CacheKey, findings: list[Finding], provided: dict[str, Any],
                   seconds: float, inventory: Inventory) -> bool:
        """Store what a bundle check returned: its findings through the
        masking gate, each with the place in the inventory of the file it
        names (not its path), and the facts it provided. Facts are kept
        only when they come back from JSON as they went in and the gate
        masks nothing in them: otherwise nothing is stored and the check
        runs again next time. Whether it was stored."""
        if not self.enabled or not _storable_facts(provided):
            return False
        place = {f.path: i for i, f in enumerate(inventory.files)}
        record = {"findings": _stored_findings(redact_findings(findings)),
                  "places": [place.get(f.location.path, -1) for f in findings],
                  "provided": provided}
        self._store(key, json.dumps(record, ensure_ascii=False), seconds)
        return True

    def save(self, note_run: bool = True) -> None:
        """Write the rest, evict past the limit, note the run (unless
        ``note_run`` is false: the hook's verdicts, which are no
        assessment), and close."""
        if self._db is None:
            return
        self._complete_plan()
        self._flush()
        if self._db is not None:
            with self._guard(), _transaction(self._db) as db:
                # Only what this run added can take the cache past a limit.
                evicted = (_evict(db, max_bytes(), MAX_ENTRIES)
                           if self._written or self._hashed else 0)
                if note_run:
                    db.execute("INSERT INTO runs (at, hits, misses, written, evicted) "
                               "VALUES (?, ?, ?, ?, ?)",
                               (self._now, self.hits, self.misses, self._written, evicted))
                db.execute("DELETE FROM runs WHERE rowid NOT IN "
                           "(SELECT rowid FROM runs ORDER BY rowid DESC LIMIT ?)", (RUNS_KEPT,))
        if self._db is not None:
            with self._guard():
                if self._written:
                    self._db.execute("PRAGMA incremental_vacuum")
            self.close()

    def close(self) -> None:
        if self._db is not None:
            self._deadline[0] = time.monotonic() + STATEMENT_SECONDS
            try:
                self._db.close()  # the last connection folds the WAL back in
            except sqlite3.Error:
                pass
            self._db = None


class KindMemo:
    """The kinds the inventory's walk gave files (bundle.RememberedKinds),
    kept in the result cache, so that an unchanged file is listed without
    being opened or classified again: a third of the walk of 10,000 files.

    A file's row is keyed by its path as reached and its stamp (size,
    modification time, inode, and its folder's modification time), its
    bundle path, the installed plugins and the sniffing limit; it holds
    the kind, whether the head held binary data and the origin: words of
    ours, nothing of the file's content. A walk that knew every file's
    kind keeps them all in one row too, keyed by all of what names them:
    the same walk again reads that row alone. What a walk learned is
    written only when no classifier failed in it: a failed classifier's
    file is asked again next time, as without the cache."""

    def __init__(self, directory: Path | None, registry: Any, sniff_bytes: int):
        self.cache = ResultCache(directory)
        self._registry = registry
        plugins = sorted(f"{p.name} {p.version}" for p in registry.plugins if p.error is None)
        self._settings = settings_hash([plugins, sniff_bytes, "kinds"])
        self._learned: list[tuple[CacheKey, str]] = []
        # The walk's files in order (recall) with the key of all of them,
        # and each one's kind as this walk knows it, remembered or learned.
        self._walk: tuple[CacheKey, list[str], str] | None = None
        self._known: dict[str, str] = {}

    def _key(self, named: str, whole: bool = False) -> CacheKey:
        # What names a file (or a walk) is the content part, hashed once;
        # the place is the same for all.
        return self.cache.key(check_id=KIND_CHECK, check_version="walk" if whole else "1",
                              settings=self._settings, path="\0kinds", content=_sha(named))

    def _named(self, path: str, abspath: str, stamp: tuple[int, ...]) -> str:
        """Where the file was reached, its stamp and its bundle path."""
        return "\0".join([os.path.join(self.cache._cwd, abspath), *map(str, stamp), path])

    def recall(self, files: list[tuple[str, str, tuple[int, ...]]], root: str = "",
               ) -> dict[str, tuple[str, bool, str | None]]:
        if not self.cache.enabled:
            return {}
        named = [self._named(*file) for file in files]
        paths = [path for path, _, _ in files]
        # A folder's walk is one row, replaced when the folder changes: it
        # holds the digest of what it is of.
        state = _sha("\n".join(named))
        key = self._key(f"walk\0{os.path.join(self.cache._cwd, root)}", whole=True)
        self._walk = (key, paths, state)
        hit = self.cache._current(self.cache._lookup(
            key, lambda text, _: _remembered_walk(text, paths, state)))
        if hit is not None:
            return dict(zip(paths, hit[0], strict=True))
        keys = [(path, self._key(name)) for path, name in zip(paths, named, strict=True)]
        self.cache._read_results([(key.content, key.place) for _, key in keys])
        found = {}
        for path, key in keys:
            hit = self.cache._lookup(key, _remembered_kind)
            if hit is not None:
                found[path] = hit[0]
                self._known[path] = _kind_text(*hit[0])
        return found

    def remember(self, path: str, abspath: str, stamp: tuple[int, ...], kind: str,
                 binary: bool, origin: str | None) -> None:
        if self.cache.enabled:
            text = self._known[path] = _kind_text(kind, binary, origin)
            self._learned.append((self._key(self._named(path, abspath, stamp)), text))

    def save(self) -> None:
        """Write what the walk learned, and every kind of a walk that knew
        them all (unless a classifier failed), and close."""
        failed = any(f.stage == "classify_file" for f in self._registry.failures)
        for key, text in [] if failed else self._learned:
            self.cache._store(key, text, 0.0)
        if self._walk is not None and not failed and self._known:
            key, paths, state = self._walk
            if all(path in self._known for path in paths):
                self.cache._store(key, "\n".join([state, *(self._known[p] for p in paths)]), 0.0)
        self._learned.clear()
        self.cache.save(note_run=False)


def _kind_text(kind: str, binary: bool, origin: str | None) -> str:
    return f"{kind}\t{int(binary)}\t{origin or ''}"


def _remembered_walk(text: Any, paths: list[str], state: str) -> Any:
    """Every file's kind as KindMemo.save wrote them, one line each, after
    the digest of the walk they are of; ``_STALE`` when of another walk;
    None when of another shape."""
    lines = text.split("\n") if type(text) is str else []
    if lines and _HEX64.fullmatch(lines[0]) and lines[0] != state:
        return _STALE
    lines = lines[1:] if lines and lines[0] == state else []
    if len(lines) != len(paths):
        return None
    kinds = [_remembered_kind(line, 0.0) for line in lines]
    return None if None in kinds else kinds  # type: ignore[return-value]


def _cached_plan(text: Any, files: int, state: str) -> Any:
    """A plan's findings as _complete_plan stored them, each naming a file
    of the ``files`` of the inventory; ``_STALE`` when it is of another
    ``state`` of the bundle; None when of another shape."""
    try:
        record = json.loads(text) if type(text) is str else None
    except (ValueError, RecursionError):
        return None
    if type(record) is not dict or set(record) != {"findings", "places", "checks", "pairs",
                                                   "files", "state"}:
        return None
    if record["state"] != state:
        return _STALE if type(record["state"]) is str else None
    findings = _cached_findings(json.dumps(record["findings"]), 0.0)
    places, checks = record["places"], record["checks"]
    if (findings is None or type(places) is not list or type(checks) is not list
            or not len(places) == len(checks) == len(findings)
            or not all(type(p) is int and 0 <= p < files for p in places)
            or not all(type(c) is str for c in checks) or type(record["pairs"]) is not int
            or not (record["files"] is None or type(record["files"]) is str
                    and _HEX64.fullmatch(record["files"]))):
        return None
    found: dict[tuple[int, str], list[Finding]] = {}
    for place, check, finding in zip(places, checks, findings, strict=True):
        found.setdefault((place, check), []).append(finding)
    return record["pairs"], [(p, c, f) for (p, c), f in found.items()], record["files"]


def _remembered_kind(text: Any, _seconds: Any) -> tuple[str, bool, str | None] | None:
    """A kind as KindMemo.remember wrote it, or None (another shape)."""
    from .bundle import KINDS

    parts = text.split("\t") if type(text) is str else ()
    if len(parts) != 3 or parts[0] not in KINDS or parts[1] not in ("0", "1") \
            or parts[2] not in ("", GENERATED, FIXTURE):
        return None
    return parts[0], parts[1] == "1", parts[2] or None


# --- the database --------------------------------------------------------------

def _connect(path: Path, deadline: list[float]) -> sqlite3.Connection:
    """A connection to the cache database at ``path``, created when it is
    new; _Foreign when it holds anything but this version's schema."""
    deadline[0] = time.monotonic() + STATEMENT_SECONDS
    db = sqlite3.connect(str(path), timeout=LOCK_WAIT_SECONDS, isolation_level=None,
                         check_same_thread=False)
    try:
        _limit_statements(db, deadline)
        db.execute("PRAGMA trusted_schema = OFF")
        db.execute("PRAGMA cell_size_check = ON")
        state = _inspect(db)
        if state == "empty":
            _create(db)
        elif state != "ours":
            raise _Foreign(state)
        if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            db.execute("PRAGMA journal_mode = WAL")
        # No fsync: a transaction is still atomic when a run is killed, and
        # only a power cut could spoil the file, which the next run would
        # find corrupt and rebuild. An fsync cost a cached run 10-30 ms.
        db.execute("PRAGMA synchronous = OFF")
        return db
    except sqlite3.OperationalError as exc:
        db.close()
        if _is_busy(exc):
            raise _Busy() from exc
        raise
    except BaseException:
        db.close()
        raise


def _limit_statements(db: sqlite3.Connection, deadline: list[float]) -> None:
    """Interrupt any statement still running at ``deadline[0]`` (set before
    each operation): a hostile database cannot hold the run. The handler
    runs every 100,000 virtual-machine steps, which costs nothing."""
    db.set_progress_handler(lambda: int(time.monotonic() > deadline[0]), 100_000)


def _expected_schema() -> set[tuple[str, str, str | None]]:
    """The objects this version's schema consists of, as SQLite lists them."""
    memory = sqlite3.connect(":memory:")
    try:
        for statement in _SCHEMA:
            memory.execute(statement)
        return set(memory.execute("SELECT type, name, sql FROM sqlite_master"))
    finally:
        memory.close()


_EXPECTED: set[tuple[str, str, str | None]] | None = None


def _inspect(db: sqlite3.Connection) -> str:
    """"ours", "empty" (a new file), or why the database is not ours: an
    extra trigger or view, another schema, another program's file."""
    global _EXPECTED
    if _EXPECTED is None:
        _EXPECTED = _expected_schema()
    # One snapshot for the three reads: a parallel run creating the schema
    # between them would otherwise show tables without their application
    # id, and this run would call the new cache foreign and rebuild it.
    own = not db.in_transaction
    if own:
        db.execute("BEGIN")
    try:
        application = db.execute("PRAGMA application_id").fetchone()[0]
        version = db.execute("PRAGMA user_version").fetchone()[0]
        objects = set(db.execute("SELECT type, name, sql FROM sqlite_master LIMIT 100"))
    finally:
        if own and db.in_transaction:
            db.execute("COMMIT")
    if not objects and application == 0 and version == 0:
        return "empty"
    if application != APPLICATION_ID:
        return "is not an aiart-release cache"
    if version != SCHEMA_VERSION:
        return "is of another version's shape"
    if objects != _EXPECTED:
        return "is not of this version's shape"
    return "ours"


def _create(db: sqlite3.Connection) -> None:
    """Create the schema; a parallel run may be doing the same, so it is
    done in a write transaction that looks again first."""
    db.execute("PRAGMA auto_vacuum = INCREMENTAL")  # must precede the first table
    with _transaction(db):
        state = _inspect(db)
        if state == "ours":
            return
        if state != "empty":
            raise _Foreign(state)
        for statement in _SCHEMA:
            db.execute(statement)
        db.execute(f"PRAGMA application_id = {APPLICATION_ID:d}")
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION:d}")


@contextmanager
def _transaction(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """A write transaction, taken at once (BEGIN IMMEDIATE: a busy database
    is met here, waited on up to LOCK_WAIT_SECONDS, not half-way through)."""
    try:
        db.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        if _is_busy(exc):
            raise _Busy() from exc
        raise
    try:
        yield db
    except BaseException:
        db.rollback()
        raise
    db.execute("COMMIT")


def _evict(db: sqlite3.Connection, limit_bytes: int, limit_entries: int) -> int:
    """Delete the least recently used results until they fit in 90% of
    the limits (so that the next runs do not evict again at once); file
    hashes are kept for as many files. Returns how many were evicted."""
    if _plainly_within(db, limit_bytes, limit_entries):
        return 0
    count, total = db.execute("SELECT count(*), total(bytes) FROM results").fetchone()
    evicted = 0
    if count > limit_entries or total > limit_bytes:
        evicted = db.execute(
            "DELETE FROM results WHERE rowid IN (SELECT rowid FROM ("
            "SELECT rowid, row_number() OVER newest AS n, sum(bytes) OVER newest AS kept "
            "FROM results WINDOW newest AS (ORDER BY used DESC, rowid DESC)) "
            "WHERE n > ? OR kept > ?)",
            (limit_entries * 9 // 10, limit_bytes * 9 // 10)).rowcount
    db.execute("DELETE FROM files WHERE rowid IN (SELECT rowid FROM files "
               "ORDER BY used DESC, rowid DESC LIMIT -1 OFFSET ?)", (limit_entries,))
    return evicted


def _plainly_within(db: sqlite3.Connection, limit_bytes: int, limit_entries: int) -> bool:
    """Whether the store is within its limits by bounds that cost no scan:
    the span of row ids of each table (at least its count) is no more than
    the entries allowed, and the database file plus ROW_OVERHEAD for each
    row id of that span (at least the bytes accounted: each row's text is
    in the file) is no more than the bytes allowed. Counting and summing
    30,000 rows, and sorting the file hashes, was a fifth of a pre-commit
    run on one caption."""
    spans = []
    for table in ("results", "files"):
        # Two subqueries: SQLite reads min() or max() of the row id from the
        # end of the table's tree only when it is a query's one aggregate;
        # asked together they scanned every row (8 ms for 40,000 results).
        low, high = db.execute(f"SELECT (SELECT min(rowid) FROM {table}), "
                               f"(SELECT max(rowid) FROM {table})").fetchone()
        spans.append(0 if low is None else high - low + 1)
    if max(spans) > limit_entries:
        return False
    (pages,), (page_bytes,) = (db.execute("PRAGMA page_count").fetchone(),
                               db.execute("PRAGMA page_size").fetchone())
    return pages * page_bytes + spans[0] * ROW_OVERHEAD <= limit_bytes


def _check_regular(path: Path) -> None:
    """_Refused when the database or a file SQLite keeps beside it is a
    symlink (SQLite would write where it points), a FIFO (it would block)
    or anything but a regular file."""
    for candidate in (path, *(Path(f"{path}{suffix}") for suffix in _SIDE_FILES)):
        try:
            mode = os.lstat(candidate).st_mode
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise _Refused(f"{candidate} cannot be examined ({type(exc).__name__})") from exc
        if not stat.S_ISREG(mode):
            kind = ("a symlink" if stat.S_ISLNK(mode) else "a FIFO" if stat.S_ISFIFO(mode)
                    else "a folder" if stat.S_ISDIR(mode) else "not a regular file")
            raise _Refused(f"{candidate} is {kind}")


def _check_size(path: Path) -> None:
    """_Foreign when the database (or its journal) is far larger than the
    limit lets it grow: not ours, and not worth reading."""
    ceiling = 2 * max_bytes() + (64 << 20)
    for candidate in (path, Path(f"{path}-wal")):
        try:
            size = candidate.stat().st_size
        except OSError:
            continue
        if size > ceiling:
            raise _Foreign(f"is {size >> 20} MB, over twice the limit")


def _remove_database(path: Path) -> bool:
    """Remove the database and the files beside it (regular files only);
    whether it is gone."""
    for candidate in (path, *(Path(f"{path}{suffix}") for suffix in _SIDE_FILES)):
        try:
            if stat.S_ISREG(os.lstat(candidate).st_mode):
                candidate.unlink()
        except FileNotFoundError:
            continue
        except OSError:
            return False
    return True


def _is_busy(exc: BaseException) -> bool:
    text = str(exc).lower()
    return isinstance(exc, sqlite3.OperationalError) and ("locked" in text or "busy" in text)


def _is_unwritable(exc: BaseException) -> bool:
    """A folder we may not write to (read-only, full): no cache, no warning,
    as before."""
    text = str(exc).lower()
    return isinstance(exc, sqlite3.OperationalError) and any(
        word in text for word in ("readonly", "read-only", "unable to open", "disk is full",
                                  "disk i/o"))


def _why(exc: BaseException) -> str:
    if isinstance(exc, _Foreign):
        return str(exc)
    if isinstance(exc, sqlite3.OperationalError) and "interrupted" in str(exc):
        return f"took over {STATEMENT_SECONDS:g} s to read"
    return f"is corrupt ({type(exc).__name__}: {str(exc)[:80]})"


# --- cache info / cache clear -----------------------------------------------------

def describe(directory: Path) -> dict[str, Any]:
    """What the cache in ``directory`` holds, read without changing it:
    ``state`` is "absent", "ok", or why it is not used (refused, foreign,
    corrupt: the next run rebuilds or refuses it)."""
    path = database_path(directory)
    info: dict[str, Any] = {
        "location": str(path), "state": "absent", "results": 0, "hook_verdicts": 0,
        "kinds": 0, "plans": 0, "file_hashes": 0,
        "bytes_on_disk": _bytes_on_disk(path), "limit_bytes": max_bytes(),
        "limit_entries": MAX_ENTRIES, "last_run": None,
        "derived_files": len(_derived_files(directory)),
    }
    try:
        _check_regular(path)
        if not path.exists():
            return info
        _check_size(path)
        deadline = [time.monotonic() + STATEMENT_SECONDS]
        # Read-write but never created (mode=rw): a read-only connection
        # would leave SQLite's -shm and -wal files behind it.
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=rw", uri=True,
                             timeout=LOCK_WAIT_SECONDS, isolation_level=None)
    except (_Refused, _Foreign) as exc:
        return {**info, "state": str(exc) if isinstance(exc, _Refused)
                else f"database {exc}; the next run rebuilds it"}
    except sqlite3.Error as exc:
        return {**info, "state": f"cannot be read ({type(exc).__name__})"}
    try:
        _limit_statements(db, deadline)
        db.execute("PRAGMA trusted_schema = OFF")
        state = _inspect(db)
        if state != "ours":
            return {**info, "state": f"database {state}; the next run rebuilds it"}
        info["results"] = _count(db, "SELECT count(*) FROM results")
        # Among the results: the hook's verdicts, the walk's kinds, whole plans.
        for name, check_id in (("hook_verdicts", VERDICT_CHECK), ("kinds", KIND_CHECK),
                               ("plans", PLAN_CHECK)):
            info[name] = db.execute(
                "SELECT count(*) FROM results WHERE check_id = ?", (check_id,)).fetchone()[0]
        info["file_hashes"] = _count(db, "SELECT count(*) FROM files")
        run = db.execute("SELECT at, hits, misses, written, evicted FROM runs "
                         "ORDER BY rowid DESC LIMIT 1").fetchone()
        if run is not None and all(type(v) is int for v in run):
            info["last_run"] = dict(zip(("at", "hits", "misses", "written", "evicted"), run,
                                        strict=True))
        info["state"] = "ok"
    except sqlite3.Error as exc:
        info["state"] = f"database {_why(exc)}; the next run rebuilds it"
    finally:
        db.close()
    return info


def clear(directory: Path) -> int:
    """Remove the cache in ``directory``: the database and the files beside
    it (a symlink is removed, never what it points to), the derived lists
    and what an earlier version left. Returns the bytes freed; OSError
    when something in the way cannot be removed (a folder where the
    database should be)."""
    path = database_path(directory)
    freed = _bytes_on_disk(path)
    for candidate in (path, *(Path(f"{path}{suffix}") for suffix in _SIDE_FILES)):
        try:
            mode = os.lstat(candidate).st_mode
        except FileNotFoundError:
            continue
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(f"{candidate} is a folder; not removed")
        candidate.unlink()
    for file in _derived_files(directory):
        freed += file.stat().st_size
        file.unlink()
    _rmdir_if_empty(directory / "derived")
    _remove_old_format(directory)
    return freed


# .json: what older versions wrote (removed by `cache clear` too).
_DERIVED_FILE = LazyPattern(r"[\w-]+-[0-9a-f]{16}\.(?:txt|words|json)|\.derived-.*")


def _derived_files(directory: Path) -> list[Path]:
    """The files :func:`derived` wrote (regular files of its names only)."""
    folder = directory / "derived"
    try:
        if not stat.S_ISDIR(os.lstat(folder).st_mode):
            return []
        return [p for p in folder.iterdir() if _DERIVED_FILE.fullmatch(p.name)
                and stat.S_ISREG(os.lstat(p).st_mode)]
    except OSError:
        return []


def _bytes_on_disk(path: Path) -> int:
    total = 0
    for candidate in (path, *(Path(f"{path}{suffix}") for suffix in _SIDE_FILES)):
        try:
            st = os.lstat(candidate)
        except OSError:
            continue
        if stat.S_ISREG(st.st_mode):
            total += st.st_size
    return total


def _count(db: sqlite3.Connection, query: str) -> int:
    value = db.execute(query).fetchone()[0]
    return value if type(value) is int else 0


# --- what is read back ------------------------------------------------------------

def _stored_findings(findings: list[Finding]) -> list[dict[str, Any]]:
    """Findings as the cache stores them: never the raw ``matched`` value."""
    return [{**f.to_dict(show_pii=False), "content": f.content} for f in findings]


def _verdict_key(key: str) -> CacheKey:
    return CacheKey(content=key, check_id=VERDICT_CHECK, check_version=__version__,
                    settings="", place="")


def _cached_verdict(text: Any, _seconds: Any) -> dict[str, Any] | None:
    """A stored verdict as written by put_verdict, or None: anything else
    (another shape, an exit code but 0 or 1, too large) is not replayed."""
    if type(text) is not str or len(text) > MAX_VERDICT_BYTES:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    if (type(value) is not dict or set(value) != {"stdout", "stderr", "code"}
            or type(value["stdout"]) is not str or type(value["stderr"]) is not list
            or not all(type(line) is str for line in value["stderr"])
            or type(value["code"]) is not int or value["code"] not in (0, 1)):
        return None
    return value


def _cached_bundle_result(text: Any, seconds: Any,
                          ) -> tuple[list[Finding], list[int], dict[str, Any]] | None:
    """A stored bundle check's findings, the inventory place of each, and its
    facts; None when it is not of the shape :meth:`ResultCache.put_bundle`
    writes."""
    if not isinstance(text, str) or type(seconds) not in (int, float):
        return None
    try:
        record = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if not isinstance(record, dict) or set(record) != {"findings", "places", "provided"}:
        return None
    found = _cached_findings(json.dumps(record["findings"]), seconds)
    places, provided = record["places"], record["provided"]
    if (found is None or not isinstance(places, list) or len(places) != len(found)
            or not all(type(p) is int for p in places) or not isinstance(provided, dict)):
        return None
    return found, places, provided


def _storable_facts(provided: dict[str, Any]) -> bool:
    """Whether facts may be cached: JSON gives them back equal (no tuple,
    set or NaN) and the masking gate finds nothing to mask in their text."""
    try:
        if json.loads(json.dumps(provided)) != provided:
            return False
    except (TypeError, ValueError, RecursionError):
        return False
    gate = current_gate()
    return all(gate.redact(text) == text for text in _texts(provided))


def _texts(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _texts(item)


def _working_folder() -> str:
    """The working folder, which relative bundle paths are keyed under; "/"
    when it is gone (a key only finds a row: the stamp decides)."""
    try:
        return os.getcwd()
    except OSError:
        return "/"


def _stamp(path: Path) -> str:
    """What stands for the content of a file that is not hashed (over the
    size limit, unreadable): its size, modification time and inode, as the
    content-hash cache keys it."""
    try:
        st = os.stat(path)
    except OSError:
        return "absent"
    return f"stat:{st.st_size}:{st.st_mtime_ns}:{st.st_ino}"


def _canonical(value: Any) -> Any:
    """``value`` as plain JSON data, the same on every run for the same
    value: dataclasses and mappings as objects, sets sorted, paths as text.
    Anything else is its ``repr``: one that names an address differs from
    run to run, which costs a miss, never a wrong hit."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _canonical(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, Mapping):
        return {f"{type(k).__name__}:{k}": _canonical(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((_canonical(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(getattr(value, "value", None), (str, int)):  # an Enum
        return f"{type(value).__name__}.{value.value}"
    return repr(value)


def _canonical_bytes(value: Any) -> bytes:
    return (json.dumps(value, sort_keys=True, ensure_ascii=False) + "\n").encode(
        "utf-8", "surrogatepass")


def _cached_findings(text: Any, seconds: Any) -> list[Finding] | None:
    """The findings of a stored result, or None when it is not of the shape
    this version writes (not text, not JSON, unknown fields, wrong types,
    bad severities)."""
    if not isinstance(text, str) or type(seconds) not in (int, float):
        return None
    if text == "[]":  # most files have nothing to report
        return []
    try:
        items = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if not isinstance(items, list):
        return None
    found = []
    for item in items:
        if not isinstance(item, dict) or not set(item) <= _FINDING_FIELDS:
            return None
        try:
            finding = Finding.from_dict(item)
        except (KeyError, TypeError, ValueError, AttributeError, RecursionError):
            return None
        if finding_problem(finding) is not None:
            return None
        found.append(finding)
    return found


def _read_bounded(path: Path, limit: int) -> str:
    """The text of a cache file; ValueError when it is not a regular file
    (a FIFO would block the run) or is larger than any we write (a planted
    giant is not read whole)."""
    return _read_bounded_bytes(path, limit).decode("utf-8")


def _read_bounded_bytes(path: Path, limit: int) -> bytes:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ValueError("not a regular file")
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"larger than {limit} bytes")
    return data


# --- the format before SQLite -------------------------------------------------------

_OLD_RESULT = LazyPattern(r"[0-9a-f]{64}\.json|\.tmp-.*")
_OLD_INDEX_BYTES = 256 * 1024 * 1024


def _remove_old_format(directory: Path) -> None:
    """Remove what an earlier version kept here (``hashes.json`` and
    ``results/xx/<sha256>.json``), and only that: the folder may be one the
    user chose, so no file of another name, and no symlink, is touched."""
    index = directory / "hashes.json"
    try:
        if stat.S_ISREG(os.lstat(index).st_mode) and _is_old_index(index):
            index.unlink()
    except OSError:
        pass
    results = directory / "results"
    try:
        if not stat.S_ISDIR(os.lstat(results).st_mode):
            return
        for shard in results.iterdir():
            if len(shard.name) == 2 and stat.S_ISDIR(os.lstat(shard).st_mode):
                for entry in shard.iterdir():
                    if _OLD_RESULT.fullmatch(entry.name) and stat.S_ISREG(
                            os.lstat(entry).st_mode):
                        entry.unlink()
                _rmdir_if_empty(shard)
        _rmdir_if_empty(results)
    except OSError:
        pass


def _is_old_index(path: Path) -> bool:
    """Whether ``path`` is an index the JSON cache wrote (an object of
    ``[size, mtime_ns, inode, sha256]`` lists), or what is left of one."""
    try:
        index = json.loads(_read_bounded(path, _OLD_INDEX_BYTES))
    except (OSError, ValueError, RecursionError):
        return path.stat().st_size == 0
    return isinstance(index, dict) and all(
        isinstance(e, list) and len(e) == 4 and isinstance(e[3], str) for e in index.values())


def _rmdir_if_empty(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:
        pass
