"""Hostile and benign model files, written as raw bytes (never by pickling
a live object that a test then loads). Shared by tests/test_model_*.py and
benchmarks/model.py."""

from __future__ import annotations

import io
import json
import pickle
import struct
import zipfile
from collections import OrderedDict
from pathlib import Path


def _short_unicode(text: str) -> bytes:
    data = text.encode()
    return b"\x8c" + bytes([len(data)]) + data


def reduce_call(module: str, name: str, *args: str, proto: int = 2) -> bytes:
    """``module.name(*args)`` on load, with GLOBAL (the plainest form)."""
    out = b"\x80" + bytes([proto]) + f"c{module}\n{name}\n".encode() + b"("
    for arg in args:
        data = arg.encode()
        out += _short_unicode(arg) if proto >= 4 else b"X" + struct.pack("<I", len(data)) + data
    return out + b"tR."


def creates_file(target: Path) -> bytes:
    """A pickle whose loading would create ``target``: builtins.open(target, 'w')."""
    return reduce_call("builtins", "open", str(target), "w")


# The published bypasses of pickle scanners, each as the bytes of a pickle
# whose loading would reach a dangerous callable.
BYPASSES: dict[str, bytes] = {
    # Plain GLOBAL os.system (protocol 0): every scanner's baseline.
    "global-os-system": b"cos\nsystem\n(S'touch /tmp/x'\ntR.",
    # posix.system, what os.system pickles as on Linux.
    "posix-system": reduce_call("posix", "system", "id"),
    # INST imports and calls in one opcode (picklescan #13).
    "inst-eval": b"(S'1+1'\nibuiltins\neval\n.",
    # STACK_GLOBAL fed from the memo (protocol 4, what pickle.dumps writes).
    "stack-global-memo": (b"\x80\x04" + _short_unicode("os") + b"\x94" + _short_unicode("system")
                          + b"\x94h\x00h\x01\x93" + _short_unicode("id") + b"\x85R."),
    # Memo confusion: PUT and MEMOIZE mixed so that a scanner counting only
    # MEMOIZE thinks memo 0/1 hold torch._utils (picklescan #14).
    "memo-confusion": (b"\x80\x04" + _short_unicode("os") + b"q\x00" + _short_unicode("system")
                       + b"q\x01" + _short_unicode("torch._utils") + b"\x94"
                       + _short_unicode("_rebuild_tensor_v2") + b"\x94h\x00h\x01\x93"
                       + _short_unicode("id") + b"\x85R."),
    # builtins.getattr on an allowed module to reach eval (modelscan #89, #330).
    "getattr-chain": (b"\x80\x02cbuiltins\ngetattr\n(cnumpy\n__builtins__\nX\x04\x00\x00\x00"
                      b"evaltR(X\x02\x00\x00\x001+tR."),
    # A dotted name walking from an allowed package into os (protocol 4
    # find_class follows dots).
    "dotted-walk": (b"\x80\x04" + _short_unicode("numpy") + _short_unicode("core._internal.sys")
                    + b"\x93."),
    # importlib.import_module: any module by name (picklescan PR #74).
    "importlib": reduce_call("importlib", "import_module", "os"),
    # pip.main installs a package: code from the network (GHSA-vqmv-47xg-9wpr).
    "pip-main": reduce_call("pip", "main", "install"),
    # bdb.Bdb.run executes a string (GHSA-46h3-79wf-xr6c).
    "bdb-run": reduce_call("bdb", "Bdb.run", "print(1)"),
    # A nested pickle: pickle.loads of bytes (GHSA-84r2-jw7c-4r5q).
    "nested-loads": reduce_call("_pickle", "loads", "x"),
    # operator.attrgetter reaches attributes by name.
    "attrgetter": reduce_call("_operator", "attrgetter", "system"),
    # The torch allow-list abused: torch.utils.collect_env.run runs a command
    # (modelscan #338).
    "torch-collect-env": reduce_call("torch.utils.collect_env", "run", "id"),
}

# Globals no blocklist names: should at least be reported as unknown.
UNKNOWN = reduce_call("mypackage.layers", "CustomLayer", "x")


def benign_pickle() -> bytes:
    return pickle.dumps(OrderedDict(weight=[1.0, 2.0], bias=[0.5]), protocol=2)


def torch_like_data_pkl() -> bytes:
    """What torch.save's data.pkl looks like: an OrderedDict of tensors
    rebuilt by torch._utils._rebuild_tensor_v2 from persistent storages."""
    return (b"\x80\x02ccollections\nOrderedDict\nq\x00)Rq\x01X\x06\x00\x00\x00weightq\x02"
            b"ctorch._utils\n_rebuild_tensor_v2\nq\x03((X\x07\x00\x00\x00storageq\x04"
            b"ctorch\nFloatStorage\nq\x05X\x01\x00\x00\x000q\x06X\x03\x00\x00\x00cpuq\x07"
            b"K\x04tq\x08QK\x00K\x04\x85q\tK\x01\x85q\n\x89h\x00)Rq\x0btq\x0cRq\rs.")


def torch_zip(path: Path, data_pkl: bytes, extra: dict[str, bytes] | None = None,
              compress: int = zipfile.ZIP_STORED) -> Path:
    """A torch.save-style zip archive: archive/data.pkl, archive/version,
    archive/data/0."""
    with zipfile.ZipFile(path, "w", compression=compress) as archive:
        archive.writestr("archive/data.pkl", data_pkl)
        archive.writestr("archive/version", b"3\n")
        archive.writestr("archive/data/0", struct.pack("<4f", 1, 2, 3, 4))
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return path


def npy_object_array(payload: bytes) -> bytes:
    header = "{'descr': '|O', 'fortran_order': False, 'shape': (1,), }"
    header = header.ljust(118) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + payload


def npy_float_array() -> bytes:
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }".ljust(118) + "\n"
    return (b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode()
            + struct.pack("<2f", 1, 2))


def safetensors_bytes(header: dict, data: bytes) -> bytes:
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + data


def valid_safetensors() -> bytes:
    return safetensors_bytes({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                              "b": {"dtype": "F16", "shape": [2], "data_offsets": [8, 12]}},
                             b"\0" * 12)


def keras_archive(path: Path, layers: list[dict]) -> Path:
    config = {"class_name": "Sequential", "config": {"name": "m", "layers": layers}}
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("config.json", json.dumps(config))
        archive.writestr("metadata.json", "{}")
    return path


def gguf_bytes(values: dict[str, object], version: int = 3) -> bytes:
    def string(text: str) -> bytes:
        data = text.encode()
        return struct.pack("<Q", len(data)) + data

    out = io.BytesIO()
    out.write(b"GGUF" + struct.pack("<IQQ", version, 0, len(values)))
    for key, value in values.items():
        out.write(string(key))
        if isinstance(value, str):
            out.write(struct.pack("<I", 8) + string(value))
        elif isinstance(value, int):
            out.write(struct.pack("<I", 4) + struct.pack("<I", value))
        elif isinstance(value, list):  # an array of strings (tokens)
            out.write(struct.pack("<IIQ", 9, 8, len(value)))
            for item in value:
                out.write(string(item))
    return out.getvalue()
