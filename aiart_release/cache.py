"""Per-file result cache, so that an unchanged bundle re-assesses quickly.

A result is keyed by (tool version, check id, check version, check settings,
file path, file content hash). Content hashes are remembered by (path hash,
size, mtime, inode), as git's index does, so unchanged files are not re-read.
Only masked findings are stored (never the raw ``matched`` value), paths are
stored hashed in the index, and the cache lives outside the bundle.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from . import __version__
from .findings import Finding

ENV_CACHE_DIR = "AIART_RELEASE_CACHE_DIR"
_INDEX = "hashes.json"


def default_cache_dir() -> Path:
    if os.environ.get(ENV_CACHE_DIR):
        return Path(os.environ[ENV_CACHE_DIR])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "aiart-release"


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
        self.hits = 0
        self.misses = 0
        if directory is not None:
            try:
                (directory / "results").mkdir(parents=True, exist_ok=True)
            except OSError:
                self.directory = None  # cannot create it: run without a cache
                return
            try:
                self._index = json.loads((directory / _INDEX).read_text("utf-8"))
            except (OSError, ValueError):
                self._index = {}  # missing or corrupt: start afresh

    @property
    def enabled(self) -> bool:
        return self.directory is not None

    def content_hash(self, path: Path) -> str:
        """sha256 of the file, from the index when size/mtime/inode are unchanged."""
        st = path.stat()
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
        try:
            data = json.loads(self._file(key).read_text("utf-8"))
            found = [Finding.from_dict(item) for item in data["findings"]], data["seconds"]
        except (OSError, ValueError, KeyError, TypeError):
            self.misses += 1
            return None
        self.hits += 1
        return found

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
        except OSError:
            self.directory = None  # read-only cache dir: carry on without it
