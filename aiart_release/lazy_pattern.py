"""A regular expression compiled the first time it is used.

A module's patterns are compiled when the module is imported, and a
pre-commit hook run on one caption imports most modules but uses few of
their patterns: compiling them is a good part of its start-up. A
``LazyPattern`` stands where ``re.compile(...)`` stood and compiles on its
first ``search``, ``match``, ``sub``... (``re`` keeps the compiled pattern
in its own cache as well).
"""

from __future__ import annotations

import re
from typing import Any


class LazyPattern:
    """``re.compile(pattern, flags)``, deferred to the first use."""

    __slots__ = ("_pattern", "_flags", "_compiled")

    def __init__(self, pattern: str, flags: int = 0):
        self._pattern, self._flags = pattern, flags
        self._compiled: re.Pattern[str] | None = None

    def compiled(self) -> re.Pattern[str]:
        if self._compiled is None:
            self._compiled = re.compile(self._pattern, self._flags)
        return self._compiled

    def __getattr__(self, name: str) -> Any:
        # Only names the instance lacks come here: search, sub, pattern...
        return getattr(self.compiled(), name)

    def __repr__(self) -> str:
        return f"LazyPattern({self._pattern!r}, {self._flags!r})"
