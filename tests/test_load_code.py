"""model.unsafe-load-code: a load that reads back what the same code writes
(its own cache) is low and says so; a load of anything else stays medium.
The snippets are cut down from real repositories (gallery-dl's cache,
ControlNet's annotators, mmcv's checkpoint helpers, stylegan2's
all_gather, lpips' network helpers)."""

from __future__ import annotations

import pytest
from conftest import make_bundle

from aiart_release.bundle import build_inventory
from aiart_release.checks import FileContext
from aiart_release.default_plugins.model_files import load_code
from aiart_release.default_plugins.model_files.check import UnsafeLoadCode
from aiart_release.findings import Severity
from aiart_release.plugins import build_registry

GALLERY_DL_CACHE = """\
import pickle

def cache(self, func, key, db):
    cursor = db.cursor()
    cursor.execute("SELECT value, expires FROM data WHERE key=? LIMIT 1", (key,))
    if (result := cursor.fetchone()):
        value = pickle.loads(result[0])
    else:
        value = func()
        cursor.execute("INSERT OR REPLACE INTO data VALUES (?,?)", (key, pickle.dumps(value)))
    return value
"""

CONTROLNET_ANNOTATOR = """\
import torch

class Network:
    def __init__(self, modelpath):
        self.net.load_state_dict(torch.load(modelpath))
"""

MMCV_CHECKPOINT = """\
import torch

def load_checkpoint(filename, map_location=None):
    return torch.load(filename, map_location=map_location)

def save_checkpoint(model, filename):
    with open(filename, "wb") as f:
        torch.save(model.state_dict(), f)
"""

CONVERT_SCRIPT = """\
import torch
pretrained_weights = torch.load(input_path)
torch.save(pretrained_weights, output_path)
"""

CACHE_FILE = """\
import pickle
CACHE = "features.pkl"

def load_features():
    with open(CACHE, "rb") as f:
        return pickle.load(f)

def save_features(features):
    with open(CACHE, "wb") as f:
        pickle.dump(features, f)
"""

SAME_LOCAL_NAME = """\
import os, torch

def save_network(network, path, label):
    save_path = os.path.join(path, label + ".pth")
    torch.save(network.state_dict(), save_path)

def load_network(self, network, label):
    save_path = os.path.join(self.save_dir, label + ".pth")
    network.load_state_dict(torch.load(save_path))
"""

OBJECT_CACHE = """\
import os, torch

class Embeddings:
    def get(self):
        if os.path.exists(self.cache_path):
            return torch.load(self.cache_path)
        return None

    def put(self, value):
        torch.save(value, self.cache_path)
"""

ALL_GATHER = """\
import pickle
import torch.distributed as dist

def all_gather(data):
    buffer = pickle.dumps(data)
    gathered = exchange(buffer)
    return [pickle.loads(b) for b in gathered]
"""


def own(source: str) -> list[tuple[str, bool]]:
    return [(c.call, c.reads_own_file) for c in load_code.unsafe_calls(source)]


@pytest.mark.parametrize("source, expected", [
    (GALLERY_DL_CACHE, [("pickle.loads", True)]),
    (ALL_GATHER, [("pickle.loads", True)]),
    (CACHE_FILE, [("pickle.load", True)]),
    (OBJECT_CACHE, [("torch.load", True)]),
    (CONTROLNET_ANNOTATOR, [("torch.load", False)]),
    # Two functions that each take a filename, or each build a save_path,
    # are not known to share a file.
    (MMCV_CHECKPOINT, [("torch.load", False)]),
    (SAME_LOCAL_NAME, [("torch.load", False)]),
    # Loading one checkpoint and saving another converts someone else's.
    (CONVERT_SCRIPT, [("torch.load", False)]),
])
def test_a_load_is_its_own_only_when_the_code_writes_that_very_file(source, expected):
    assert own(source) == expected


def test_a_dumps_in_another_function_does_not_make_loads_its_own():
    source = ("import pickle\n"
              "def send(x):\n    return pickle.dumps(x)\n"
              "def receive(blob):\n    return pickle.loads(blob)\n")
    assert own(source) == [("pickle.loads", False)]


def test_the_message_says_which_line_writes_it():
    (call,) = load_code.unsafe_calls(CACHE_FILE)
    assert call.own_line == 10
    assert call.why == ("pickle.load reads back what this code writes itself with "
                        "pickle.dump (line 10), not a file from elsewhere")


def test_groups_split_own_files_from_others_and_rate_them():
    source = CONTROLNET_ANNOTATOR + OBJECT_CACHE.replace("import os, torch\n", "import os\n")
    groups = load_code.groups(load_code.unsafe_calls(source), in_tests=False)
    assert [(g.call, g.lines, g.severity) for g in groups] == [
        ("torch.load", (5,), Severity.MEDIUM), ("torch.load", (11,), Severity.LOW)]
    assert groups[0].remediation is None  # the check's own advice: weights_only=True
    assert "Nothing to do while only this code writes that file" in groups[1].remediation
    in_tests = load_code.groups(load_code.unsafe_calls(CONTROLNET_ANNOTATOR), in_tests=True)
    assert [g.severity for g in in_tests] == [Severity.LOW]


def test_a_path_expression_too_deep_to_compare_is_left_to_the_check(tmp_path):
    # ast cannot parse it: the check skips the file, as for any unparsable code.
    deep = "import pickle\npickle.load(open(" + "(" * 5000 + "p" + ")" * 5000 + "))\n"
    with pytest.raises((RecursionError, SyntaxError, MemoryError)):
        load_code.unsafe_calls(deep)


def test_the_check_reports_an_own_cache_low_and_a_foreign_checkpoint_medium(tmp_path):
    root = make_bundle(tmp_path / "b", {"cache.py": GALLERY_DL_CACHE,
                                        "annotator.py": CONTROLNET_ANNOTATOR})
    inventory = build_inventory(root, build_registry().classify)
    check = UnsafeLoadCode()
    found = {f.path: list(check.scan_file(f, FileContext())) for f in inventory.files
             if f.kind in check.kinds}
    (cache,) = found["cache.py"]
    assert cache.severity == Severity.LOW and "writes itself" in cache.message
    (annotator,) = found["annotator.py"]
    assert annotator.severity == Severity.MEDIUM and "weights_only" in annotator.remediation


def test_many_loads_and_saves_in_one_function_take_linear_time():
    # Matching each load against every writer took minutes for 5,000 of
    # each (over 300 s); indexed, the whole file takes about 2 s.
    import time

    body = "".join(f"    a{i} = torch.load(p{i})\n    torch.save(x, q{i})\n" for i in range(3000))
    source = "import torch\ndef convert(x):\n" + body
    started = time.perf_counter()
    calls = load_code.unsafe_calls(source)
    assert time.perf_counter() - started < 10
    assert len(calls) == 3000 and not any(c.reads_own_file for c in calls)
