"""Model-file safety (issue 12): pickles read as opcodes and never loaded,
safetensors layouts, Keras Lambda layers, GGUF metadata, unsafe loading
code, and the bad input each reader must survive."""

from __future__ import annotations

import json
import struct
import sys
import time
import zipfile
from pathlib import Path

import pytest
from conftest import make_bundle, run_tool

from aiart_release.bundle import build_inventory
from aiart_release.checks import BundleContext, FileContext
from aiart_release.default_plugins.model_files import formats, load_code
from aiart_release.default_plugins.model_files.check import (
    GGUFMetadataFacts,
    ModelFiles,
    UnsafeLoadCode,
)
from aiart_release.default_plugins.model_files.pickles import rate, scan_bytes
from aiart_release.findings import Severity
from aiart_release.plugins import build_registry

sys.path.insert(0, str(Path(__file__).parent))
import model_samples as samples  # noqa: E402

PLUGIN = "aiart_release.default_plugins.model_files"


def scan(tmp_path: Path, files: dict[str, bytes | str], check=None) -> dict[str, list]:
    """One check on each file of a bundle made of ``files``: {path: findings}."""
    root = make_bundle(tmp_path / "bundle", files)
    inventory = build_inventory(root, build_registry().classify)
    check = check or ModelFiles()
    return {f.path: list(check.scan_file(f, FileContext())) for f in inventory.files
            if f.kind in check.kinds}


def worst(findings) -> Severity | None:
    order = list(Severity)
    pickles = [f for f in findings if f.id == "model.unsafe-pickle"]
    return max((f.severity for f in pickles), key=order.index, default=None)


# ---- pickles ----------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(samples.BYPASSES))
def test_each_published_bypass_is_critical(tmp_path, name):
    found = scan(tmp_path, {"model.ckpt": samples.BYPASSES[name]})["model.ckpt"]
    assert worst(found) is Severity.CRITICAL, found


def test_memo_confusion_resolves_to_what_the_unpickler_sees():
    dangerous, unknown = scan_bytes(samples.BYPASSES["memo-confusion"]).rated()
    assert [i.dotted for i in dangerous] == ["os.system"]
    assert not unknown


def test_unknown_global_is_medium_and_named(tmp_path):
    found = scan(tmp_path, {"model.pkl": samples.UNKNOWN})["model.pkl"]
    assert worst(found) is Severity.MEDIUM
    assert "mypackage.layers.CustomLayer" in found[0].message


def test_torch_checkpoint_of_tensors_is_low_with_safetensors_advice(tmp_path):
    path = samples.torch_zip(tmp_path / "w.pt", samples.torch_like_data_pkl())
    found = scan(tmp_path, {"model/w.pt": path.read_bytes(),
                            "model/opt.pkl": samples.benign_pickle()})
    for findings in found.values():
        assert [f.severity for f in findings] == [Severity.LOW]
        assert "safetensors" in findings[0].remediation


def test_pickle_hidden_in_another_zip_member_is_found(tmp_path):
    path = samples.torch_zip(tmp_path / "w.pt", samples.torch_like_data_pkl(),
                             {"archive/extra": samples.BYPASSES["posix-system"]})
    found = scan(tmp_path, {"w.pt": path.read_bytes()})["w.pt"]
    critical = [f for f in found if f.severity is Severity.CRITICAL]
    assert critical and critical[0].location.field == "archive/extra"


def test_corrupt_member_before_data_pkl_hides_nothing(tmp_path):
    """modelscan #354: one bad member stopped the walk over the others."""
    path = tmp_path / "w.pt"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("archive/aaa.pkl", b"x" * 1000)
        archive.writestr("archive/data.pkl", samples.BYPASSES["global-os-system"])
    raw = bytearray(path.read_bytes())
    start = raw.index(b"archive/aaa.pkl") + len("archive/aaa.pkl")
    raw[start:start + 3] = b"\xff" * 3  # corrupt the first member's deflate stream
    found = scan(tmp_path, {"w.pt": bytes(raw)})["w.pt"]
    assert worst(found) is Severity.CRITICAL


def test_numpy_object_array_is_a_pickle(tmp_path):
    payload = samples.npy_object_array(samples.BYPASSES["posix-system"])
    with zipfile.ZipFile(tmp_path / "a.npz", "w") as archive:
        archive.writestr("arr_0.npy", payload)
    found = scan(tmp_path, {"a.npy": payload, "b.npz": (tmp_path / "a.npz").read_bytes(),
                            "plain.npy": samples.npy_float_array()})
    assert worst(found["a.npy"]) is Severity.CRITICAL
    assert worst(found["b.npz"]) is Severity.CRITICAL
    assert found["plain.npy"] == []


def test_compressed_joblib_is_inflated_as_a_stream(tmp_path):
    import zlib

    found = scan(tmp_path, {"m.joblib": zlib.compress(samples.BYPASSES["posix-system"])})
    assert worst(found["m.joblib"]) is Severity.CRITICAL


def test_allow_list_and_blocklist_ratings():
    from aiart_release.default_plugins.model_files.pickles import Import

    assert rate(Import("torch._utils", "_rebuild_tensor_v2", "GLOBAL")) == "known"
    assert rate(Import("torch", "BFloat16Storage", "GLOBAL")) == "known"
    assert rate(Import("numpy", "prod.os.system", "GLOBAL")) == "dangerous"
    assert rate(Import(None, "system", "STACK_GLOBAL")) == "dangerous"
    assert rate(Import("sklearn.tree", "DecisionTreeClassifier", "GLOBAL")) == "unknown"


# ---- proof that nothing runs -----------------------------------------------

def test_assessing_a_pickle_that_creates_a_file_never_creates_it(tmp_path):
    """The pickle's loading would call builtins.open(target, "w"); the CLI
    assesses the bundle; the target never appears and the finding is
    critical (the policy closes the model)."""
    target = tmp_path / "pwned.txt"
    bundle = make_bundle(tmp_path / "bundle", {
        "model/model.ckpt": samples.creates_file(target),
        "model/README.md": "---\nlicense: mit\n---\n# A model\n",
    })
    result = run_tool("assess", bundle, "--format", "json", "--no-cache")
    assert not target.exists()
    report = json.loads(result.out)
    unsafe = [f for f in report["findings"] if f["id"] == "model.unsafe-pickle"]
    assert unsafe and unsafe[0]["severity"] == "critical", unsafe
    assert "builtins.open" in unsafe[0]["message"]
    assert report["recommendation"]["artifacts"]["model"]["tier"] == "closed"


# ---- safetensors -------------------------------------------------------------

def test_valid_safetensors_has_no_finding(tmp_path):
    assert scan(tmp_path, {"m.safetensors": samples.valid_safetensors()}) == {
        "m.safetensors": []}


@pytest.mark.parametrize("header, data, expected", [
    ({"w": {"dtype": "Q7", "shape": [2], "data_offsets": [0, 8]}}, 8, "unknown dtype"),
    ({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 80]}}, 8, "outside the data"),
    ({"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}, 8, "need 12"),
    ({"w": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 8]}}, 8, "non-negative"),
    ({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
      "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}, 12, "overlap"),
    ({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, 100, "belong to no tensor"),
])
def test_invalid_safetensors_layouts(tmp_path, header, data, expected):
    found = scan(tmp_path, {"m.safetensors": samples.safetensors_bytes(header, b"\0" * data)})
    (finding,) = found["m.safetensors"]
    assert finding.id == "model.invalid-safetensors"
    assert expected in finding.message


def test_safetensors_header_length_past_the_file(tmp_path):
    data = struct.pack("<Q", 10_000) + b'{"w": {}}'
    (finding,) = scan(tmp_path, {"m.safetensors": data})["m.safetensors"]
    assert finding.id == "model.invalid-safetensors"
    assert "exceeds the file" in finding.message


# ---- Keras --------------------------------------------------------------------

def test_keras_lambda_layers_are_flagged(tmp_path):
    path = samples.keras_archive(tmp_path / "m.keras", [
        {"class_name": "Dense", "config": {"name": "d"}},
        {"class_name": "Lambda", "config": {"name": "shift", "function": {"code": "4wEAAA"}}},
    ])
    plain = samples.keras_archive(tmp_path / "p.keras", [{"class_name": "Dense",
                                                          "config": {"name": "d"}}])
    h5 = (b"\x89HDF\r\n\x1a\n" + b"\0" * 100 + b'{"class_name": "Sequential", "config": '
          b'{"layers": [{"class_name": "Lambda", "config": {}}]}}' + b"\0" * 50)
    found = scan(tmp_path, {"m.keras": path.read_bytes(), "p.keras": plain.read_bytes(),
                            "m.h5": h5})
    assert [f.id for f in found["m.keras"]] == ["model.keras-lambda"]
    assert found["m.keras"][0].evidence == "shift"
    assert found["p.keras"] == []
    assert [f.id for f in found["m.h5"]] == ["model.keras-lambda"]


def test_h5_lambda_across_a_chunk_boundary_counts_once(tmp_path, monkeypatch):
    monkeypatch.setattr(formats, "_H5_CHUNK", 16)
    path = tmp_path / "m.h5"
    path.write_bytes(b"\0" * 7 + b'"class_name": "Lambda"' + b"\0" * 30)
    assert formats.h5_lambda_count(path) == 1


# ---- GGUF ---------------------------------------------------------------------

def test_gguf_metadata_becomes_facts(tmp_path):
    data = samples.gguf_bytes({
        "general.architecture": "llama", "general.name": "Tiny",
        "general.license": "apache-2.0", "general.base_model.count": 1,
        "general.base_model.0.name": "Llama 3", "general.base_model.0.organization": "Meta",
        "general.base_model.0.repo_url": "https://huggingface.co/meta-llama/Llama-3",
        "tokenizer.ggml.tokens": ["a"] * 1000,
    })
    root = make_bundle(tmp_path / "b", {"m.gguf": data})
    inventory = build_inventory(root, build_registry().classify)
    ctx = BundleContext(inventory=inventory, facts=None)
    assert list(GGUFMetadataFacts().scan_bundle(ctx)) == []
    assert ctx.provided == {"gguf_license": ["apache-2.0"],
                            "gguf_base_model": ["https://huggingface.co/meta-llama/Llama-3"],
                            "gguf_name": ["Tiny"]}


@pytest.mark.parametrize("data", [
    b"GGUF" + struct.pack("<IQQ", 3, 0, 2**40),                       # absurd key count
    b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + struct.pack("<Q", 2**50),  # absurd key length
    samples.gguf_bytes({"general.license": "mit"})[:-2],              # truncated
    b"GGUF" + struct.pack("<I", 99),                                  # unknown version
])
def test_hostile_gguf_is_unreadable_not_a_crash(tmp_path, data):
    root = make_bundle(tmp_path / "b", {"m.gguf": data})
    inventory = build_inventory(root, build_registry().classify)
    ctx = BundleContext(inventory=inventory, facts=None)
    (finding,) = GGUFMetadataFacts().scan_bundle(ctx)
    assert finding.id == "bundle.unreadable"


# ---- unsafe loading code -------------------------------------------------------

LOADER = """\
import pickle
import numpy as np
import torch as T
import yaml
from joblib import load as jl

state = T.load("weights.pt")
safe = T.load("weights.pt", weights_only=True)
arr = np.load("a.npy", allow_pickle=True)
ok = np.load("b.npy")
obj = pickle.loads(blob)
model = jl("m.joblib")
cfg = yaml.load(text)
cfg2 = yaml.load(text, Loader=yaml.SafeLoader)
"""


def test_unsafe_load_calls_are_found_with_their_lines():
    calls = load_code.unsafe_calls(LOADER)
    assert [(c.line, c.call) for c in calls] == [
        (7, "torch.load"), (9, "numpy.load"), (11, "pickle.loads"), (12, "joblib.load"),
        (13, "yaml.load")]


def test_unsafe_load_code_is_low_in_tests(tmp_path):
    found = scan(tmp_path, {"train.py": LOADER, "tests/test_io.py": LOADER},
                 check=UnsafeLoadCode())
    assert {f.severity for f in found["train.py"]} == {Severity.MEDIUM}
    assert {f.severity for f in found["tests/test_io.py"]} == {Severity.LOW}
    torch_finding = next(f for f in found["train.py"] if f.matched == "torch.load")
    assert torch_finding.location.line == 7 and "weights_only" in torch_finding.remediation


def test_code_that_does_not_parse_is_skipped(tmp_path):
    assert scan(tmp_path, {"bad.py": "def (:\n" + "(" * 200_000},
                check=UnsafeLoadCode()) == {"bad.py": []}


# ---- bad input -------------------------------------------------------------------

def test_truncated_torch_archive_is_a_finding(tmp_path):
    path = samples.torch_zip(tmp_path / "w.pt", samples.torch_like_data_pkl())
    (finding,) = scan(tmp_path, {"w.pt": path.read_bytes()[:60]})["w.pt"]
    assert finding.id == "bundle.unreadable"


def test_bad_opcode_stream_is_a_finding(tmp_path):
    found = scan(tmp_path, {"m.pkl": b"\x80\x02cos\nsystem\n\xff\xfe"})["m.pkl"]
    assert {f.severity for f in found} == {Severity.CRITICAL, Severity.MEDIUM}
    assert any("cannot be verified" in f.message for f in found)


def test_pickle_claiming_a_huge_string_allocates_nothing(tmp_path):
    data = b"\x80\x04\x8e" + struct.pack("<Q", 2**62) + b"x"  # BINBYTES8
    found = scan(tmp_path, {"m.pkl": data})["m.pkl"]
    assert [f.severity for f in found] == [Severity.MEDIUM]


def test_zip_bomb_member_is_never_inflated_whole(tmp_path):
    """A 200 MB member of zeros (200 KB deflated) beside data.pkl, and one
    named data.pkl itself: read in bounded steps, in well under a second."""
    path = tmp_path / "bomb.pt"
    zeros = b"\0" * (1024 * 1024)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("archive/data.pkl", samples.torch_like_data_pkl())
        for name in ("archive/data/0", "archive/bomb.pkl"):
            with archive.open(name, "w", force_zip64=True) as member:
                for _ in range(200):
                    member.write(zeros)
    assert path.stat().st_size < 2 * 1024 * 1024
    start = time.perf_counter()
    found = scan(tmp_path, {"bomb.pt": path.read_bytes()})["bomb.pt"]
    assert time.perf_counter() - start < 10
    bomb = [f for f in found if f.location.field == "archive/bomb.pkl"]
    assert bomb and bomb[0].severity is Severity.MEDIUM


# ---- test fixtures (issue 12, item 7) --------------------------------------------

def test_tiny_array_in_a_test_folder_is_not_a_model(tmp_path):
    root = make_bundle(tmp_path / "b", {
        "src/app.py": "print(1)\n",
        "tests/fixtures/tiny.npy": samples.npy_float_array(),
    })
    inventory = build_inventory(root, build_registry().classify)
    (tiny,) = [f for f in inventory.files if f.name == "tiny.npy"]
    assert tiny.context == "fixture"
    assert tiny.artifact != "model"
    assert "model" not in inventory.artifacts_present()


@pytest.mark.parametrize("zip_format", [True, False])
def test_real_torch_checkpoints_are_low_only(tmp_path, zip_format):
    """What torch.save writes (zip, and the legacy raw format of several
    pickles in a row) imports only the allow-list. The file is made, never
    loaded."""
    torch = pytest.importorskip("torch")
    path = tmp_path / "w.pt"
    state = {"conv.weight": torch.zeros(2, 3, dtype=torch.float16),
             "bn.running_mean": torch.ones(3), "steps": torch.tensor(5),
             "bf": torch.zeros(2, dtype=torch.bfloat16)}
    torch.save(state, path, _use_new_zipfile_serialization=zip_format)
    found = scan(tmp_path, {"w.pt": path.read_bytes()})["w.pt"]
    assert [f.severity for f in found] == [Severity.LOW], found


def test_a_legacy_checkpoint_whose_storage_holds_128_elements_is_not_a_bad_pickle(tmp_path):
    """The legacy format's raw storages follow its five pickles, each after
    an 8-byte element count: 128 elements start with 0x80, the byte that
    opens a pickle. Walking it as a sixth pickle called lpips' squeeze.pth
    unverifiable (bad opcode) on a real repository."""
    torch = pytest.importorskip("torch")
    path = tmp_path / "w.pth"
    torch.save({"lin.weight": torch.ones(128)}, path, _use_new_zipfile_serialization=False)
    assert b"\x80\x00\x00\x00\x00\x00\x00\x00" in path.read_bytes()
    found = scan(tmp_path, {"w.pth": path.read_bytes()})["w.pth"]
    assert [f.severity for f in found] == [Severity.LOW], found


def test_bad_model_files_through_the_cli(tmp_path):
    """Every bad input of the issue in one bundle, assessed by the installed
    tool: findings, no traceback, the gate's exit code."""
    good = samples.torch_zip(tmp_path / "g.pt", samples.torch_like_data_pkl()).read_bytes()
    bundle = make_bundle(tmp_path / "bundle", {
        "model/truncated.pt": good[:len(good) // 2],
        "model/bad-opcodes.pkl": b"\x80\x02\xff\xfe\xfd",
        "model/short-header.safetensors": struct.pack("<Q", 1 << 20) + b"{}",
        "model/empty.ckpt": b"",
        "model/broken.keras": b"PK\x03\x04 not really",
        "model/bad.gguf": b"GGUF" + struct.pack("<IQQ", 3, 0, 5),
        "model/README.md": "---\nlicense: mit\n---\n# A model\n",
    })
    result = run_tool("assess", bundle, "--format", "json", "--no-cache")
    assert result.code in (0, 1), result.err
    assert "Traceback" not in result.err
    report = json.loads(result.out)
    by_path = {}
    for finding in report["findings"]:
        by_path.setdefault(finding["location"]["path"], set()).add(finding["id"])
    assert "bundle.unreadable" in by_path["model/truncated.pt"]
    assert "model.unsafe-pickle" in by_path["model/bad-opcodes.pkl"]
    assert "model.invalid-safetensors" in by_path["model/short-header.safetensors"]
    assert "bundle.unreadable" in by_path["model/broken.keras"]
    assert "bundle.unreadable" in by_path["model/bad.gguf"]


def test_every_bypass_is_critical_without_picklescan(monkeypatch):
    """picklescan's blocklist only adds to ours: without it installed, each
    published bypass is still critical."""
    from aiart_release.default_plugins.model_files import pickles

    monkeypatch.setattr(pickles, "_picklescan_blocklist", lambda: {})
    for name, data in samples.BYPASSES.items():
        dangerous, _unknown = scan_bytes(data).rated()
        assert dangerous, name


def test_pickle_member_holding_200_mb_is_too_large_not_read_whole(tmp_path):
    """A data.pkl whose BINBYTES8 really holds 200 MB of zeros (200 KB
    deflated): read in steps to the 64 MiB budget, then reported."""
    path = tmp_path / "big.pt"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open("archive/data.pkl", "w", force_zip64=True) as member:
            member.write(b"\x80\x04\x8e" + struct.pack("<Q", 200 * 1024 * 1024))
            zeros = b"\0" * (1024 * 1024)
            for _ in range(200):
                member.write(zeros)
            member.write(b".")
    start = time.perf_counter()
    found = scan(tmp_path, {"big.pt": path.read_bytes()})["big.pt"]
    assert time.perf_counter() - start < 10
    assert [f.severity for f in found] == [Severity.MEDIUM]
    assert "larger than 64 MiB" in found[0].message
