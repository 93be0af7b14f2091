"""JSON within limits: depth and size are checked by a linear scan of the
brackets outside strings BEFORE a parser sees the text.

Why a scan first: ``json.loads`` stops only at Python's recursion limit
(after the work), and ijson keeps a prefix string per level, so 40,000
nested brackets cost 4 GB of memory. The scan is one pass of C string
operations (escapes, then strings, are cut out; the brackets and commas left
are counted with ``bytes.translate`` and ``itertools.accumulate``), about as
fast as ``json.loads`` itself.
"""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Any

from ..lazy_pattern import LazyPattern
from .limits import DATA_LIMITS, LimitExceeded, Limits

# A whole string (escapes included), the end of a string begun in an earlier
# chunk, and the structural bytes the state machine needs.
_ESCAPE = LazyPattern(rb"\\.", re.DOTALL)
_STRING_REST = LazyPattern(rb'[^"\\]*(?:\\.[^"\\]*)*', re.DOTALL)
_TOKEN = LazyPattern(rb'[\[{\]}"]')
# Opening brackets become +1, closing ones -1 (as signed bytes); the rest goes.
_OPEN_CLOSE = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")
_NOT_BRACKET = bytes(set(range(256)) - set(b"[]{}"))
# A document is scanned in pieces this large: splitting at quotes makes an
# object per string, so a whole 64 MiB document at once would cost hundreds
# of megabytes.
_CHUNK = 1024 * 1024


class JsonShape:
    """Feed a JSON document chunk by chunk; raises LimitExceeded as soon as
    it nests deeper than ``max_depth`` or holds more than ``max_nodes`` keys
    and values (``max_nodes`` is not checked when ``count_nodes`` is false:
    a table streamed row by row may hold millions)."""

    def __init__(self, limits: Limits, count_nodes: bool = True):
        self.limits = limits
        self.count_nodes = count_nodes
        self.depth = 0
        self.nodes = 0
        self.in_string = False
        self._escape = b""  # a backslash that ended the last chunk inside a string
        self._lines = 0  # newlines fed before this chunk
        self._column = 0  # bytes fed since the last of them
        self._carried = 0

    def feed(self, chunk: bytes) -> None:
        data = self._escape + chunk
        self._carried = len(self._escape)  # bytes of data counted with the last chunk
        self._escape = b""
        pos = self._finish_string(data)
        if pos is not None:
            self._scan_outside(data, pos)
        self._lines += chunk.count(b"\n")
        newline = chunk.rfind(b"\n")
        self._column = len(chunk) - newline - 1 if newline >= 0 else self._column + len(chunk)

    def _finish_string(self, data: bytes, pos: int = 0) -> int | None:
        """Past the string the last chunk ended in; None when it goes on."""
        if not self.in_string:
            return pos
        end = _STRING_REST.match(data, pos).end()
        if end == len(data):
            return None
        if data[end:end + 1] == b"\\":  # a lone backslash at the very end
            self._escape = b"\\"
            return None
        self.in_string = False
        return end + 1

    def _scan_outside(self, data: bytes, pos: int) -> None:
        rest = data[pos:]
        if b"\\" in rest:
            # Escapes pair from the left, and only strings hold them: without
            # them every quote left opens or closes a string.
            rest = _ESCAPE.sub(b"", rest)
        parts = rest.split(b'"')
        body = b"".join(parts[0::2])  # what lies outside strings
        if len(parts) % 2 == 0:  # a string that goes on into the next chunk
            self.in_string = True
            if parts[-1].endswith(b"\\"):
                self._escape = b"\\"
        steps = body.translate(_OPEN_CLOSE, _NOT_BRACKET)
        if steps:
            peak = max(accumulate(memoryview(steps).cast("b"), initial=self.depth))
            if peak > self.limits.max_depth:
                self._raise_depth(data, pos)
            self.depth += steps.count(1) - steps.count(255)
        if self.count_nodes:
            # Outside strings a colon ends a key and a comma a value.
            self.nodes += body.count(b":") + body.count(b",")
            if self.nodes > self.limits.max_nodes:
                raise LimitExceeded("max_nodes", self.limits.max_nodes)

    def _raise_depth(self, data: bytes, pos: int) -> None:
        """Find the bracket that went too deep (slowly: this happens once)."""
        depth = self.depth
        while True:
            token = _TOKEN.search(data, pos)
            assert token is not None, "the fast scan saw a bracket past the limit"
            pos = token.end()
            char = token.group()
            if char == b'"':
                pos = _STRING_REST.match(data, pos).end() + 1
            elif char in b"[{":
                depth += 1
                if depth > self.limits.max_depth:
                    break
            else:
                depth -= 1
        before = data[:pos]
        line = self._lines + before.count(b"\n") + 1
        newline = before.rfind(b"\n")
        column = pos - newline - 1 if newline >= 0 else self._column + pos - self._carried
        raise LimitExceeded("max_depth", self.limits.max_depth, line=line, column=column)


def check_json(data: bytes | str, limits: Limits = DATA_LIMITS) -> None:
    """Raise LimitExceeded when the JSON text ``data`` passes ``limits``."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if len(raw) > limits.max_bytes:
        raise LimitExceeded("max_bytes", limits.max_bytes)
    shape = JsonShape(limits)
    for start in range(0, len(raw), _CHUNK):
        shape.feed(raw[start:start + _CHUNK])


def load_json(data: bytes | str, limits: Limits = DATA_LIMITS) -> Any:
    """``json.loads`` after :func:`check_json`; raises LimitExceeded or
    ValueError (invalid JSON, not UTF-8)."""
    check_json(data, limits)
    try:
        return json.loads(data)
    except RecursionError:  # only if a caller's limits allow more than Python does
        raise LimitExceeded("max_depth", limits.max_depth) from None


class GuardedStream:
    """A binary file whose ``read`` checks the JSON depth of what it passes on
    (for ijson, which would otherwise follow any depth)."""

    def __init__(self, handle, limits: Limits = DATA_LIMITS):
        self._handle = handle
        self._shape = JsonShape(limits, count_nodes=False)

    def read(self, size: int = -1) -> bytes:
        chunk = self._handle.read(size)
        if chunk:
            self._shape.feed(chunk)
        return chunk
