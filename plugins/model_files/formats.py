"""The formats that are not pickles: safetensors headers and Keras
configs (GGUF is the core reader ``aiart_release.readers.gguf``). Each is
read as bytes, within limits, never loaded by its framework.
"""

from __future__ import annotations

import json
import math
import re
import struct
import zipfile
from pathlib import Path
from typing import Any

from aiart_release.readers.jsonfile import check_json
from aiart_release.readers.limits import DATA_LIMITS, LimitExceeded
from aiart_release.readers.safetensors import read_header

# dtype -> bits per element (safetensors' Dtype enum, sub-byte floats included).
SAFETENSORS_DTYPES = {
    "BOOL": 8, "U8": 8, "I8": 8, "F8_E5M2": 8, "F8_E4M3": 8, "F8_E8M0": 8, "E8M0": 8,
    "I16": 16, "U16": 16, "F16": 16, "BF16": 16, "I32": 32, "U32": 32, "F32": 32,
    "F64": 64, "I64": 64, "U64": 64, "C64": 64, "F4": 4, "F6_E2M3": 6, "F6_E3M2": 6,
}
MAX_PROBLEMS = 5


def safetensors_problems(path: Path) -> list[str]:
    """What is wrong with the file's header and layout (empty: nothing).
    Raises SafetensorsError (the core reader's) for a header that cannot be
    read at all, OSError when the file cannot."""
    header = read_header(path)
    with open(path, "rb") as handle:
        (length,) = struct.unpack("<Q", handle.read(8))
        handle.seek(0, 2)
        data_size = handle.tell() - 8 - length
    if not isinstance(header, dict):
        return ["the header is not a JSON object"]
    problems: list[str] = []
    spans: list[tuple[int, int, str]] = []
    for name, entry in header.items():
        if name == "__metadata__":
            if not isinstance(entry, dict) or not all(isinstance(v, str)
                                                      for v in entry.values()):
                problems.append("__metadata__ is not a map of strings")
            continue
        problem = _tensor_problem(entry, data_size)
        if problem:
            problems.append(f"tensor #{len(spans) + len(problems) + 1}: {problem}")
        else:
            begin, end = entry["data_offsets"]
            spans.append((begin, end, name))
    problems.extend(_layout_problems(spans, data_size))
    return problems[:MAX_PROBLEMS]


def _tensor_problem(entry: Any, data_size: int) -> str | None:
    if not isinstance(entry, dict):
        return "not an object"
    dtype, shape, offsets = entry.get("dtype"), entry.get("shape"), entry.get("data_offsets")
    if dtype not in SAFETENSORS_DTYPES:
        return "unknown dtype"
    if not isinstance(shape, list) or not all(type(n) is int and n >= 0 for n in shape):
        return "shape is not a list of non-negative integers"
    if (not isinstance(offsets, list) or len(offsets) != 2
            or not all(type(n) is int for n in offsets)):
        return "data_offsets is not two integers"
    begin, end = offsets
    if not 0 <= begin <= end <= data_size:
        return f"data_offsets [{begin}, {end}] lie outside the data ({data_size} bytes)"
    bits = SAFETENSORS_DTYPES[dtype]
    expected = math.ceil(math.prod(shape) * bits / 8)
    if end - begin != expected:
        return f"holds {end - begin} bytes where its dtype and shape need {expected}"
    return None


def _layout_problems(spans: list[tuple[int, int, str]], data_size: int) -> list[str]:
    """Tensors may not overlap and must cover the data section exactly:
    bytes that no tensor owns can carry anything."""
    problems = []
    position = 0
    for begin, end, _name in sorted(spans):
        if begin < position:
            problems.append(f"two tensors overlap at byte {begin}")
        elif begin > position:
            problems.append(f"bytes {position}..{begin} belong to no tensor")
        position = max(position, end)
    if position < data_size:
        problems.append(f"bytes {position}..{data_size} after the last tensor belong to no "
                        "tensor")
    return problems


# ---- Keras --------------------------------------------------------------

MAX_KERAS_CONFIG = 64 * 1024 * 1024
_H5_LAMBDA = re.compile(rb'"class_name"\s*:\s*"Lambda"')
_H5_CHUNK = 8 * 1024 * 1024
MAX_H5_SCAN = 8 * 1024 * 1024 * 1024


def keras_lambdas(path: Path) -> list[str]:
    """The names of the Lambda layers in a ``.keras`` archive's config.json.
    Raises ValueError, LimitExceeded, zipfile.BadZipFile or OSError."""
    with zipfile.ZipFile(path) as archive:
        try:
            info = archive.getinfo("config.json")
        except KeyError:
            raise ValueError("a .keras archive without config.json") from None
        if info.file_size > MAX_KERAS_CONFIG:
            raise LimitExceeded("max_bytes", MAX_KERAS_CONFIG)
        with archive.open(info) as member:
            raw = member.read(MAX_KERAS_CONFIG + 1)
    if len(raw) > MAX_KERAS_CONFIG:
        raise LimitExceeded("max_bytes", MAX_KERAS_CONFIG)
    check_json(raw, DATA_LIMITS)
    return _lambda_layers(json.loads(raw))


def _lambda_layers(config: Any) -> list[str]:
    """Walked without recursion (the depth is already bounded)."""
    found = []
    stack = [config]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            if value.get("class_name") in ("Lambda", "keras.layers.Lambda"):
                inner = value.get("config")
                name = inner.get("name") if isinstance(inner, dict) else None
                found.append(name if isinstance(name, str) else "(unnamed)")
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return found


def h5_lambda_count(path: Path) -> int:
    """How often a Lambda layer appears in the JSON an HDF5 file keeps in
    its ``model_config`` attribute. HDF5 is not parsed (h5py would be a
    large dependency for one attribute): Keras stores the attribute as a
    plain JSON string, so its bytes are searched, in chunks that overlap by
    the pattern's length, up to :data:`MAX_H5_SCAN` bytes."""
    count = 0
    tail = b""
    read = 0
    with open(path, "rb") as handle:
        while read < MAX_H5_SCAN:
            chunk = handle.read(_H5_CHUNK)
            if not chunk:
                break
            read += len(chunk)
            window = tail + chunk
            count += len(_H5_LAMBDA.findall(window))
            # Keep a tail short enough that no match is counted twice.
            tail = window[-40:]
            tail = tail[tail.rfind(b'"class_name"') + 1:] if b'"class_name"' in tail else tail
    return count
