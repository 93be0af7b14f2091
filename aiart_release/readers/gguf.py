"""The header and ``general.*`` metadata of a GGUF file (llama.cpp's
format, ggml ``docs/gguf.md``), read within limits.

The layout: ``GGUF``, a uint32 version (1-3), the tensor and key counts
(uint32 in version 1, uint64 after), then each key as a string (length and
UTF-8 bytes), a uint32 value type and the value; arrays hold their item
type and count. Every count and length is checked against a limit before
anything is read; the values of keys that are not kept (the tokenizer's
150,000 tokens) are skipped by seeking, never held. Used by the model-files
plugin (facts for the cards) and readable by the licence check
(``general.license``, ``general.base_model.*``).
"""

from __future__ import annotations

import struct
from dataclasses import field
from pathlib import Path
from typing import Any

from ..lazy_pattern import LazyPattern
from ..records import dataclass

MAX_GGUF_KEYS = 100_000
MAX_GGUF_STRING = 1024 * 1024
MAX_GGUF_ARRAY_ITEMS = 10_000_000
_GGUF_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?",
                 10: "<Q", 11: "<q", 12: "<d"}
_STRING, _ARRAY = 8, 9
# The keys kept for the card and licence checks (ggml docs/gguf.md, "General").
GGUF_KEPT = LazyPattern(r"general\.(license(\.name|\.link)?|name|author|organization|"
                       r"finetune|basename|url|repo_url|source\.(url|repo_url|"
                       r"hugg(?:ing|in)face\.repository)|base_model\.(count|\d+\.\w+)|"
                       r"datasets?\.(count|\d+\.\w+)|architecture|tags|languages)")


class GGUFError(ValueError):
    """Not a GGUF file, cut short, or past a limit; ``str()`` says which."""


@dataclass
class GGUFMetadata:
    version: int
    tensor_count: int
    values: dict[str, Any] = field(default_factory=dict)
    key_count: int = 0


def read_gguf(path: Path) -> GGUFMetadata:
    """The header and the ``general.*`` keys of a GGUF file; every count
    and length is checked before anything is allocated. Raises GGUFError
    or OSError."""
    with open(path, "rb") as handle:
        if handle.read(4) != b"GGUF":
            raise GGUFError("not a GGUF file (no GGUF magic)")
        (version,) = _unpack(handle, "<I")
        if version == 1:
            tensors, keys = _unpack(handle, "<II")
        elif version in (2, 3):
            tensors, keys = _unpack(handle, "<QQ")
        else:
            raise GGUFError(f"unknown GGUF version {version}")
        if keys > MAX_GGUF_KEYS:
            raise GGUFError(f"claims {keys} metadata keys (over {MAX_GGUF_KEYS})")
        meta = GGUFMetadata(version=version, tensor_count=tensors, key_count=keys)
        for _ in range(keys):
            key = _string(handle, version)
            (value_type,) = _unpack(handle, "<I")
            keep = bool(GGUF_KEPT.fullmatch(key))
            value = _value(handle, value_type, version, keep)
            if keep:
                meta.values[key] = value
    return meta


def _unpack(handle, fmt: str) -> tuple:
    size = struct.calcsize(fmt)
    data = handle.read(size)
    if len(data) < size:
        raise GGUFError("the file ends inside its metadata (truncated)")
    return struct.unpack(fmt, data)


def _string(handle, version: int, keep: bool = True) -> str:
    (length,) = _unpack(handle, "<I" if version == 1 else "<Q")
    if not keep:
        handle.seek(length, 1)
        return ""
    if length > MAX_GGUF_STRING:
        raise GGUFError(f"a metadata string of {length} bytes (over {MAX_GGUF_STRING})")
    data = handle.read(length)
    if len(data) < length:
        raise GGUFError("the file ends inside its metadata (truncated)")
    return data.decode("utf-8", "replace")


def _value(handle, value_type: int, version: int, keep: bool) -> Any:
    if value_type in _GGUF_SCALARS:
        return _unpack(handle, _GGUF_SCALARS[value_type])[0]
    if value_type == _STRING:
        return _string(handle, version, keep)
    if value_type != _ARRAY:
        raise GGUFError(f"unknown metadata value type {value_type}")
    (item_type,) = _unpack(handle, "<I")
    (count,) = _unpack(handle, "<I" if version == 1 else "<Q")
    if count > MAX_GGUF_ARRAY_ITEMS:
        raise GGUFError(f"a metadata array of {count} items (over {MAX_GGUF_ARRAY_ITEMS})")
    if item_type in _GGUF_SCALARS and not keep:
        handle.seek(count * struct.calcsize(_GGUF_SCALARS[item_type]), 1)
        return None
    if item_type == _ARRAY:
        raise GGUFError("nested metadata arrays")
    items = [_value(handle, item_type, version, keep) for _ in range(count)]
    return items[:1000] if keep else None


def base_models(values: dict) -> list[str]:
    """``general.base_model.N.repo_url`` (else ``organization/name``) for
    each N below ``general.base_model.count``."""
    count = values.get("general.base_model.count")
    out = []
    for n in range(count if isinstance(count, int) and 0 < count < 100 else 0):
        url = values.get(f"general.base_model.{n}.repo_url")
        name = values.get(f"general.base_model.{n}.name")
        org = values.get(f"general.base_model.{n}.organization")
        if isinstance(url, str) and url:
            out.append(url)
        elif isinstance(name, str) and name:
            out.append(f"{org}/{name}" if isinstance(org, str) and org else name)
    return out
