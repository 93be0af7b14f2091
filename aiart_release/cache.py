"""Per-file result cache, so that an unchanged bundle re-assesses quickly.

A result is keyed by (tool version, check id, check version, check settings,
file path, file content hash). Content hashes are remembered by (path hash,
size, mtime, inode), as git's index does, so unchanged files are not re-read.
Only masked findings are stored (never the raw ``matched`` value), paths are
stored hashed in the index, and the cache lives outside the bundle.

The cache is state left by an earlier run, so it is read as untrusted
input: an index or a result that is not valid JSON, not of the shape this
version writes, or of the wrong file type (a folder where a file should be)
is discarded with a one-line warning on stderr, and the run goes on
(re-scanning what it cannot trust).
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import __version__
from .checks import finding_problem
from .findings import Finding

ENV_CACHE_DIR = "AIART_RELEASE_CACHE_DIR"
_INDEX = "hashes.json"
# An index or result larger than this was not written by us (an index of
# 100,000 files takes 20 MB; a result holds one file's findings).
MAX_INDEX_BYTES = 256 * 1024 * 1024
MAX_RESULT_BYTES = 64 * 1024 * 1024
# The fields Finding.to_dict writes, and "content": a cached finding with
# another field comes from another tool or version.
_FINDING_FIELDS = frozenset({
    "id", "check", "checkpoint", "artifact", "severity", "confidence", "location", "message",
    "evidence", "count", "fingerprint", "remediation", "references", "context", "also",
    "content",
})


def default_cache_dir() -> Path:
    if os.environ.get(ENV_CACHE_DIR):
        return Path(os.environ[ENV_CACHE_DIR])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "aiart-release"


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
    cannot be read, or is not a list of strings, is rebuilt."""
    if _derived_root is None:
        return build()
    path = _derived_root / "derived" / f"{name}-{_sha(key)[:16]}.json"
    try:
        value = json.loads(_read_bounded(path, MAX_DERIVED_BYTES))
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return value
    except (OSError, ValueError, RecursionError):
        pass
    value = build()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".derived-")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(value, out)
        os.replace(temporary, path)
    except OSError:
        pass
    return value


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


def settings_hash(settings: Any) -> str:
    return _sha(json.dumps(settings, sort_keys=True, default=str))


class ResultCache:
    """A directory of JSON results; disabled (every lookup misses) when
    ``directory`` is None or cannot be written."""

    def __init__(self, directory: Path | None):
        self.directory = directory
        self._index: dict[str, list[Any]] = {}
        self._dirty = False
        self._warned = False
        self.hits = 0
        self.misses = 0
        if directory is not None:
            results = directory / "results"
            try:
                results.mkdir(parents=True, exist_ok=True)
            except (FileExistsError, NotADirectoryError):
                self._warn(f"{results} is not a folder; running without a cache")
                self.directory = None
                return
            except OSError:
                self.directory = None  # cannot create it: run without a cache
                return
            self._index = self._read_index(directory / _INDEX)

    def _read_index(self, path: Path) -> dict[str, list[Any]]:
        """The index of content hashes; empty (start afresh) when it is
        missing, and discarded with a warning when it is not ours."""
        try:
            index = json.loads(_read_bounded(path, MAX_INDEX_BYTES))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError, RecursionError) as exc:
            self._warn(f"cache index {path} cannot be read "
                                f"({type(exc).__name__}); discarded")
            self._dirty = True  # rewritten at the end of the run
            return {}
        if not isinstance(index, dict) or not all(map(_index_entry, index.values())):
            self._warn(f"cache index {path} is not of this version's shape; "
                                "discarded")
            self._dirty = True
            return {}
        return index

    def _warn(self, message: str) -> None:
        """One line on stderr, the first time in a run that something is
        wrong with the cache: it is the user's own state, not the bundle's,
        so there is no finding for it."""
        if not self._warned:
            self._warned = True
            print(f"aiart-release: warning: {message}", file=sys.stderr)

    @property
    def enabled(self) -> bool:
        return self.directory is not None

    def content_hash(self, path: Path, max_bytes: int | None = None) -> str:
        """sha256 of the file, from the index when size/mtime/inode are
        unchanged; "" (nothing cached) for a file over ``max_bytes``, which is
        never read whole just to be hashed."""
        st = path.stat()
        if max_bytes is not None and st.st_size > max_bytes:
            return ""
        stamp = [st.st_size, st.st_mtime_ns, st.st_ino]
        key = _sha(str(path.resolve()))
        cached = self._index.get(key)
        if cached and cached[:3] == stamp:
            return cached[3]
        value = file_sha256(path)
        if self.enabled:
            self._index[key] = [*stamp, value]
            self._dirty = True
        return value

    def key(self, *, check_id: str, check_version: str, settings: str, path: str,
            content: str) -> str:
        return _sha("\0".join([__version__, check_id, check_version, settings, path, content]))

    def _file(self, key: str) -> Path:
        assert self.directory is not None
        return self.directory / "results" / key[:2] / f"{key}.json"

    def get(self, key: str) -> tuple[list[Finding], float] | None:
        if not self.enabled:
            return None
        path = self._file(key)
        try:
            data = json.loads(_read_bounded(path, MAX_RESULT_BYTES))
        except FileNotFoundError:
            self.misses += 1
            return None
        except (OSError, ValueError, RecursionError) as exc:
            return self._corrupt(path, type(exc).__name__)
        found = _cached_findings(data)
        if found is None:
            return self._corrupt(path, "not of this version's shape")
        self.hits += 1
        return found, data["seconds"]

    def _corrupt(self, path: Path, why: str) -> None:
        """A result that cannot be trusted: a miss (the file is scanned and
        the result written afresh), with a warning."""
        self._warn(f"cache entry {path} is corrupt ({why}); discarded")
        self.misses += 1
        return None

    def put(self, key: str, findings: list[Finding], seconds: float) -> None:
        if not self.enabled:
            return
        payload = {"findings": [{**f.to_dict(show_pii=False), "content": f.content}
                                for f in findings], "seconds": seconds}
        self._write(self._file(key), json.dumps(payload))

    def save(self) -> None:
        if self.enabled and self._dirty:
            self._write(self.directory / _INDEX, json.dumps(self._index))  # type: ignore[operator]
            self._dirty = False

    def _write(self, target: Path, text: str) -> None:
        # Write-then-rename: a concurrent run never reads half a file.
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.replace(tmp, target)
        except OSError as exc:
            if isinstance(exc, (IsADirectoryError, NotADirectoryError, FileExistsError)):
                self._warn(f"{target} is in the way ({type(exc).__name__}); "
                                     "running without a cache")
            self.directory = None  # read-only cache dir: carry on without it


def _read_bounded(path: Path, limit: int) -> str:
    """The text of a cache file; ValueError when it is not a regular file
    (a FIFO would block the run) or is larger than any we write (a planted
    giant is not read whole)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ValueError("not a regular file")
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"larger than {limit} bytes")
    return data.decode("utf-8")


def _index_entry(entry: Any) -> bool:
    """Whether an index entry is ``[size, mtime_ns, inode, sha256]``."""
    return (isinstance(entry, list) and len(entry) == 4
            and all(type(v) is int for v in entry[:3]) and isinstance(entry[3], str))


def _cached_findings(data: Any) -> list[Finding] | None:
    """The findings of a cached result, or None when it is not of the shape
    this version writes (unknown fields, wrong types, bad severities)."""
    if not isinstance(data, dict) or set(data) != {"findings", "seconds"}:
        return None
    items, seconds = data["findings"], data["seconds"]
    if not isinstance(items, list) or type(seconds) not in (int, float):
        return None
    found = []
    for item in items:
        if not isinstance(item, dict) or not set(item) <= _FINDING_FIELDS:
            return None
        try:
            finding = Finding.from_dict(item)
        except (KeyError, TypeError, ValueError, AttributeError):
            return None
        if finding_problem(finding) is not None:
            return None
        found.append(finding)
    return found
