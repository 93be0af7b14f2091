"""The JSON header of a ``.safetensors`` file, read within limits.

The format: 8 bytes of little-endian header length, then that many bytes of
JSON (an object), then the tensors. The format caps the header at 100 MB.
A hostile file claims a long header in a sparse file of zeros: the length is
checked against the file's size and the cap, and the header's first byte
must open a JSON object, before the header is read.
"""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path
from typing import Any

from .jsonfile import check_json
from .limits import DATA_LIMITS, LimitExceeded, Limits

MAX_HEADER_BYTES = 100 * 1024 * 1024  # the format's own cap
HEADER_LIMITS = Limits(max_bytes=MAX_HEADER_BYTES, max_depth=DATA_LIMITS.max_depth,
                       max_nodes=DATA_LIMITS.max_nodes)


class SafetensorsError(ValueError):
    """Not a safetensors file, or a header that cannot be used; ``limit``
    is set when the header passed a limit."""

    def __init__(self, message: str, limit: LimitExceeded | None = None):
        self.limit = limit
        super().__init__(message)


def read_header(path: Path) -> Any:
    """The parsed header of the safetensors file at ``path``; raises
    SafetensorsError or OSError."""
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        prefix = handle.read(8)
        if len(prefix) < 8:
            raise SafetensorsError("not a safetensors file: shorter than its header length")
        (length,) = struct.unpack("<Q", prefix)
        if length > MAX_HEADER_BYTES:
            raise SafetensorsError(f"not a safetensors file: header length {length} is over "
                                   "the format's 100 MB")
        if 8 + length > size:
            raise SafetensorsError(f"not a safetensors file: header length {length} exceeds "
                                   "the file (truncated?)")
        if handle.read(1) != b"{":
            raise SafetensorsError("not a safetensors file: the header is not a JSON object")
        raw = b"{" + handle.read(length - 1)
    if b"\0" in raw:
        raise SafetensorsError("not a safetensors file: NUL bytes in the header")
    try:
        check_json(raw, HEADER_LIMITS)
        return json.loads(raw)
    except LimitExceeded as exc:
        raise SafetensorsError(exc.describe(), limit=exc) from None
    except (ValueError, RecursionError) as exc:
        raise SafetensorsError(f"safetensors header is not valid JSON ({exc})") from None
