"""The hook's stored verdicts: a commit checked again unchanged is answered
without loading the plugins.

A cached hook run spends most of its time building the plugin registry and
importing what the checks need, even when every result comes from the
result cache. So once the staged view is planned (hook.ViewPlan: which
index entries it lays out, after the refusals of an unstaged baseline and
a temporary folder inside the repository), and before any blob is written
or any plugin loaded, the hook makes a key of everything that decides its
output and looks for a stored verdict under it in the result cache
(cache.py, rows of ``results`` under ``cache.VERDICT_CHECK``). Found: it
prints the stored lines and exits with the stored code.

The key covers:

- the tool's version, and every installed distribution with its version
  (plugins.py's dist-info listing: the plugins, and the packages their
  checks use, such as detect-secrets and Faker) and ``sys.path``;
- the package's own files: a content hash of every data file (rules,
  policy, schemas, the built-in plugins' data) and the size and
  modification time of every source file, as an editable install can
  change them without a version bump;
- the options (``--fail-on``, ``--all-files``, ``--timeout``, ``--debug``)
  and every ``AIART_RELEASE_*`` variable but the cache folder's;
- the plan: the repository, the path, mode, blob id and size of every
  index entry the view holds (the files pre-commit passed, or, when the
  repository declares its release, every staged file; the baseline
  always; so the configuration, the baseline and the ignore files the
  checks read are covered by their blob ids), the paths the commit
  changes, and the unmerged ones;
- where the system programs a check may run are (``tesseract``, for OCR).

Not in the key, so a change to them alone is not seen until something in
the key changes (or ``aiart-release cache clear``, or ``--no-cache``): a
file outside the repository that the configuration names (a ``policy:``
path outside it), and a third-party plugin installed in editable mode
whose code changes without a version bump.

The hook's output is plain lines whatever the terminal (no colour, no
wrapping), so the terminal is no part of the key.

A verdict is stored only for a run that ends with 0 or 1 and in which no
plugin or check failed, nothing ran out of time and no error was recorded
(such a run is tried again in full next time), and never with
``--no-cache``. What is stored is the text the hook printed, which is
already masked (the hook has no ``--show-pii``): nothing raw is kept.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import field
from pathlib import Path
from typing import Any

from . import __version__
from .cache import ENV_CACHE_DIR, ResultCache
from .records import dataclass
from .writes import lexically_inside

ENV_PREFIX = "AIART_RELEASE_"
# The packages whose files are the tool's own (the wheel's layout; an
# editable install maps them to the repository's folders).
OWN_PACKAGES = ("aiart_release", "aiart_release.default_plugins", "aiart_release.rules_data")
_SOURCE_SUFFIXES = (".py",)


@dataclass
class Verdicts:
    """The stored verdicts of one hook run: ``replay`` ends the run with a
    stored one; ``store`` keeps this run's."""

    cache_dir: Path
    options: dict[str, Any]
    key: str | None = None
    stderr: list[str] = field(default_factory=list)

    def replay(self, plan) -> None:
        """Print the verdict stored for ``plan`` and exit with its code
        (SystemExit), or remember the key for :meth:`store`."""
        if lexically_inside(self.cache_dir, plan.repository):
            return  # nothing is written inside the repository (nor read from it)
        self.key = verdict_key(plan, self.options)
        cache = ResultCache(self.cache_dir)
        try:
            verdict = cache.get_verdict(self.key)
            if verdict is not None:
                cache.save()  # its last use (eviction), and a run answered by the cache
        finally:
            cache.close()
        if verdict is None:
            return
        for line in verdict["stderr"]:
            print(line, file=sys.stderr)
        sys.stdout.write(verdict["stdout"])
        sys.stdout.flush()
        raise SystemExit(verdict["code"])

    def store(self, stdout: str, code: int) -> None:
        """Keep this run's verdict under the key ``replay`` made."""
        if self.key is None or code not in (0, 1):
            return
        cache = ResultCache(self.cache_dir)
        cache.put_verdict(self.key, {"stdout": stdout, "stderr": self.stderr, "code": code})
        cache.save(note_run=False)


def storable(assessment) -> bool:
    """Whether a run's verdict may be replayed: no plugin or check failed,
    nothing was cut short by a time limit, no error was recorded."""
    return not assessment.errors and not any(
        (f.id.startswith("plugin.") and f.id != "plugin.check-skipped")
        or f.id in ("bundle.timeout", "bundle.too-slow") for f in assessment.findings)


def verdict_key(plan, options: dict[str, Any]) -> str:
    """The sha256 of everything that decides the hook's output."""
    parts = {
        "tool": _tool_state(),
        "options": options,
        "environment": sorted((name, value) for name, value in os.environ.items()
                              if name.startswith(ENV_PREFIX) and name != ENV_CACHE_DIR),
        "repository": str(plan.repository),
        "entries": [(e.path, e.mode, e.binsha.hex(), e.size) for e in plan.chosen],
        "changed": list(plan.changed),
        "whole_bundle": plan.whole_bundle,
        "changes": plan.changes,
        "unmerged": list(plan.unmerged),
    }
    text = json.dumps(parts, sort_keys=True, ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def _tool_state() -> dict[str, Any]:
    """The version, the installed distributions and the package's files."""
    import shutil

    from .plugins import _installed

    # The system programs a check may call (tesseract, when OCR is on):
    # installing or removing one changes what is found.
    programs = {name: shutil.which(name) for name in ("tesseract",)}
    return {"version": __version__, "installed": sorted(_installed().items()),
            "path": list(sys.path), "files": _own_files(), "programs": programs}


def _own_files() -> list[tuple[str, Any]]:
    """Each file of the tool's own packages: a data file by a hash of its
    bytes, a source file by its size and modification time."""
    from importlib.util import find_spec

    found: list[tuple[str, Any]] = []
    for package in OWN_PACKAGES:
        spec = find_spec(package)
        for folder in (spec.submodule_search_locations or []) if spec else []:
            start = len(os.path.join(folder, ""))  # os.path.relpath took half the time
            for path in sorted(_files_under(folder)):
                found.append((f"{package}:{path[start:]}", _file_state(path)))
    return found


def _files_under(folder: str) -> list[str]:
    out = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if d != "__pycache__"]
        out.extend(os.path.join(dirpath, name) for name in filenames
                   if not name.endswith((".pyc", ".pyo")))
    return out


def _file_state(path: str) -> Any:
    try:
        if path.endswith(_SOURCE_SUFFIXES):
            info = os.stat(path)
            return [info.st_size, info.st_mtime_ns]
        with open(path, "rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError as exc:
        return f"unreadable: {type(exc).__name__}"
