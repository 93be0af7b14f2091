"""Freshly generated samples (plugins/generation): the bundle's declared
generator runs only under --trust-bundle-code, in a child process with a
time limit, on the resolved device, and its samples are compared with the
training images.

The bundle holds a tiny torch "model" saved as safetensors: a table of 20
images and a noise scale per row. Sample ``k`` of a run is row ``k % 20``
blended with seeded noise; rows 4, 11 and 17 are three training images with
almost no noise (memorised), every other row is noise alone. Its module
writes a marker file outside the bundle when it is imported, which shows
whether anything imported it.
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import SAFETENSORS, make_bundle, tree_state
from PIL import Image

try:  # the [model] extra: the tests that run the generator need it, the others not
    import safetensors.torch as safetensors_torch
    import torch
except ImportError:
    torch = safetensors_torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed "
                                 "(pip install torch==2.13.0, then the [model] extra)")

PLUGIN = "aiart_release.default_plugins.generation"
MEMORISED = (4, 11, 17)
TRAINING = 20
SIDE = 64

GENERATOR = '''\
import pathlib
pathlib.Path({marker!r}).write_text("imported")

import torch
from safetensors.torch import load_file


def generate(weights_path, n, seed, device):
    weights = load_file(weights_path, device=device)
    table, scale = weights["table"], weights["noise_scale"]
    noise = torch.Generator().manual_seed(seed)
    out = []
    for k in range(n):
        row = (seed + k) % table.shape[0]
        grain = torch.rand(table.shape[1:], generator=noise).to(device)
        out.append(table[row] * (1 - scale[row]) + grain * scale[row])
    return torch.stack(out)
'''


def training_image(i: int) -> np.ndarray:
    """A blocky pattern of its own: 8×8 random colours, each 8 pixels wide."""
    blocks = np.random.default_rng(1000 + i).integers(0, 256, (8, 8, 3), dtype=np.uint8)
    return blocks.repeat(SIDE // 8, axis=0).repeat(SIDE // 8, axis=1)


def write_model_bundle(tmp_path: Path, generator: str = GENERATOR, samples: int = 40,
                       batch_size: int = 16, extra_config: str = "") -> Path:
    marker = tmp_path / "imported-marker"
    images = [training_image(i) for i in range(TRAINING)]
    files: dict[str, str | bytes] = {
        "memgen.py": generator.format(marker=str(marker)),
        "LICENSE": "MIT License\n",
        "aiart-release.yaml": (
            "model:\n  generator: memgen:generate\n  weights: model/weights.safetensors\n"
            f"  samples: {samples}\n  batch_size: {batch_size}\n  seed: 0\n{extra_config}"),
    }
    bundle = make_bundle(tmp_path / "bundle", files)
    for i, pixels in enumerate(images):
        path = bundle / "data" / "train" / f"img_{i:02d}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(pixels).save(path)
    (bundle / "model").mkdir()
    weights = bundle / "model" / "weights.safetensors"
    if torch is None:  # a test that never runs the generator
        weights.write_bytes(SAFETENSORS)
        return bundle
    table = torch.rand(TRAINING, 3, SIDE, SIDE, generator=torch.Generator().manual_seed(7))
    scale = torch.ones(TRAINING)
    for row in MEMORISED:
        table[row] = torch.from_numpy(images[row]).permute(2, 0, 1).float() / 255
        scale[row] = 0.02  # nearly exact: a little noise on the memorised copy
    safetensors_torch.save_file({"table": table, "noise_scale": scale}, str(weights))
    return bundle


@pytest.fixture
def generation():
    """The plugin is built in: registered by its entry point, as users get it."""
    from importlib.metadata import entry_points

    assert any(ep.value == PLUGIN for ep in entry_points(group="aiart_release"))


def ours(report: dict, finding_id: str | None = None) -> list[dict]:
    return [f for f in report["findings"] if f["check"] == "generation"
            and (finding_id is None or f["id"] == finding_id)]


def near_copies(report: dict) -> list[str]:
    return sorted(f["location"]["path"] for f in ours(report, "model.near-copy"))


EXPECTED = [f"data/train/img_{i:02d}.png" for i in MEMORISED]


@needs_torch
def test_the_generator_runs_under_trust_and_exactly_the_memorised_images_are_found(
        cli, tmp_path, generation):
    bundle = write_model_bundle(tmp_path)
    before = tree_state(bundle)
    result = cli("assess", bundle, "-f", "json", "--trust-bundle-code", "--no-cache")
    report = result.json()
    assert near_copies(report) == EXPECTED
    first = next(f for f in ours(report) if f["location"]["path"] == EXPECTED[0])
    # Row 4 comes back as samples 4 and 24 of 40 (batches of 16: seeds 0, 16, 32).
    assert first["message"].startswith(
        "2 generated samples (4, 24) of 40 made by memgen:generate (seed 0) are near-copies of "
        "the training image data/train/img_04.png (")
    assert int(re.search(r"\((\d+) of 64 bits", first["message"]).group(1)) <= 8
    assert first["artifact"] == "model" and first["severity"] == "high"
    assert "distance" in first["evidence"]
    assert (tmp_path / "imported-marker").exists()  # the child did import it
    # Nothing was imported from the bundle here, nothing written into it.
    assert "memgen" not in sys.modules
    assert str(bundle) not in sys.path and str(bundle.resolve()) not in sys.path
    assert tree_state(bundle) == before
    assert not list(bundle.rglob("__pycache__"))


def test_without_the_trust_flag_nothing_of_the_bundle_is_imported(cli, tmp_path, generation):
    bundle = write_model_bundle(tmp_path)
    result = cli("assess", bundle, "-f", "json", "--no-cache")
    report = result.json()
    [skipped] = ours(report)
    assert skipped["id"] == "model.check-skipped" and skipped["severity"] == "info"
    assert "--trust-bundle-code" in skipped["message"] + skipped["remediation"]
    assert not (tmp_path / "imported-marker").exists()
    assert "memgen" not in sys.modules
    assert result.code == 0
    assert cli("assess", bundle, "--strict", "--no-cache").code == 0


def test_without_torch_the_check_says_how_to_enable_it(cli, tmp_path, generation, monkeypatch):
    import importlib.util

    from aiart_release.default_plugins.generation import check

    real = importlib.util.find_spec
    monkeypatch.setattr(check.importlib.util, "find_spec",
                        lambda name, *a: None if name == "torch" else real(name, *a))
    bundle = write_model_bundle(tmp_path)
    report = cli("assess", bundle, "-f", "json", "--trust-bundle-code", "--no-cache").json()
    [skipped] = ours(report)
    assert skipped["id"] == "model.check-skipped" and "torch is not installed" in skipped[
        "message"]
    assert "aiart-release[model]" in skipped["remediation"]
    assert not (tmp_path / "imported-marker").exists()


RAISES = '''\
import pathlib
pathlib.Path({marker!r}).write_text("imported")


def generate(weights_path, n, seed, device):
    secret = "jane.doe@postbox-mail.org"
    raise RuntimeError("cannot load " + secret)
'''

HANGS = '''\
import pathlib, time
pathlib.Path({marker!r}).write_text("imported")


def generate(weights_path, n, seed, device):
    while True:
        time.sleep(1)
'''


@needs_torch
def test_a_generator_that_raises_is_reported_without_its_message(cli, tmp_path, generation):
    bundle = write_model_bundle(tmp_path, RAISES)
    result = cli("assess", bundle, "-f", "json", "--trust-bundle-code", "--no-cache")
    [failed] = ours(result.json())
    assert failed["id"] == "model.generation-failed"
    assert "RuntimeError at memgen.py:7" in failed["message"]
    assert "jane" not in result.out + result.err and "Traceback" not in result.out + result.err
    assert result.code == 0
    # The bundle's defect, not a failed plugin: --strict does not exit 3.
    assert cli("assess", bundle, "--trust-bundle-code", "--strict", "--no-cache").code == 0


@needs_torch
def test_a_generator_that_hangs_is_stopped_at_its_time_limit(cli, tmp_path, generation):
    bundle = write_model_bundle(tmp_path, HANGS,
                                extra_config="checks:\n  generation:\n    time_limit: 4\n")
    started = time.monotonic()
    result = cli("assess", bundle, "-f", "json", "--trust-bundle-code", "--no-cache")
    took = time.monotonic() - started
    [failed] = ours(result.json())
    assert failed["id"] == "model.generation-failed"
    assert "time limit of" in failed["message"] and "stopped" in failed["message"]
    assert (tmp_path / "imported-marker").exists()  # it did start
    assert took < 60  # generous: the child was killed, the run went on


@needs_torch
@pytest.mark.parametrize("body, says", [
    ("return [1, 2]", "returned only 2 images for a batch of 8"),
    ("return 'not images'", "a str, not a sequence of images"),
    ("return torch.zeros(n, 1, 8, 8)", "not N×3×H×W"),
    ("import sys; sys.exit(0)", "SystemExit at memgen.py"),
])
def test_a_generator_that_returns_no_images_is_reported(cli, tmp_path, generation, body, says):
    module = f"import torch\n\n\ndef generate(weights_path, n, seed, device):\n    {body}\n"
    bundle = write_model_bundle(tmp_path, module, samples=8, batch_size=8)
    [failed] = ours(cli("assess", bundle, "-f", "json", "--trust-bundle-code",
                        "--no-cache").json())
    assert failed["id"] == "model.generation-failed" and says in failed["message"]


@needs_torch
def test_a_generator_name_outside_the_bundle_is_never_imported(cli, tmp_path, generation):
    # os is a module, but not one of the bundle: refused before any call.
    bundle = write_model_bundle(tmp_path)
    config = bundle / "aiart-release.yaml"
    config.write_text(config.read_text().replace("memgen:generate", "os:system"))
    [failed] = ours(cli("assess", bundle, "-f", "json", "--trust-bundle-code",
                        "--no-cache").json())
    assert failed["id"] == "model.generation-failed"
    assert "no module 'os' at the bundle root" in failed["message"]


@needs_torch
def test_pickled_or_missing_weights_are_never_handed_over(cli, tmp_path, generation):
    bundle = write_model_bundle(tmp_path)
    (bundle / "model" / "weights.safetensors").write_bytes(b"\x80\x04K\x01.")
    [failed] = ours(cli("assess", bundle, "-f", "json", "--trust-bundle-code",
                        "--no-cache").json())
    assert failed["id"] == "model.generation-failed" and "not a safetensors file" in failed[
        "message"]
    assert not (tmp_path / "imported-marker").exists()


@needs_torch
def test_a_temporary_folder_inside_the_bundle_is_refused(cli, tmp_path, generation,
                                                         monkeypatch):
    import tempfile

    bundle = write_model_bundle(tmp_path)
    scratch = bundle / "scratch"
    scratch.mkdir()
    before = tree_state(bundle)
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    [failed] = ours(cli("assess", bundle, "-f", "json", "--trust-bundle-code",
                        "--no-cache").json())
    assert failed["id"] == "model.generation-failed" and "set TMPDIR" in failed["message"]
    assert not (tmp_path / "imported-marker").exists()
    assert list(scratch.iterdir()) == []
    assert tree_state(bundle) == before


@needs_torch
def test_past_max_images_the_comparison_says_it_is_partial(cli, tmp_path, generation):
    bundle = write_model_bundle(tmp_path, samples=20, batch_size=20,
                                extra_config="checks:\n  generation:\n    max_images: 10\n")
    report = cli("assess", bundle, "-f", "json", "--trust-bundle-code", "--no-cache").json()
    # Every other training image is compared (0, 2, 4, …): of rows 4, 11 and 17, only 4.
    assert near_copies(report) == ["data/train/img_04.png"]
    [partial] = ours(report, "model.memorisation-partial")
    assert "10 of 20 training images" in partial["message"]


@needs_torch
def test_the_json_records_the_device_the_check_used(cli, tmp_path, generation):
    bundle = write_model_bundle(tmp_path, samples=20, batch_size=20)
    report = cli("assess", bundle, "-f", "json", "--trust-bundle-code", "--no-cache",
                 "--device", "cpu").json()
    assert report["devices"] == {"generation": "cpu"}
    from jsonschema import Draft202012Validator

    from aiart_release.readers.yamlfile import schema
    Draft202012Validator(schema("assessment.schema.json")).validate(report)
    # Without a generator to run the check never asks for a device.
    plain = make_bundle(tmp_path / "plain", {"LICENSE": "MIT\n", "notes.txt": "hi\n"})
    assert "devices" not in cli("assess", plain, "-f", "json", "--no-cache").json()


@needs_torch
def test_cpu_gives_the_same_findings_as_auto(cli, tmp_path, generation):
    bundle = write_model_bundle(tmp_path)
    runs = {device: cli("assess", bundle, "-f", "json", "--trust-bundle-code", "--no-cache",
                        "--device", device).json() for device in ("cpu", "auto")}
    assert near_copies(runs["cpu"]) == EXPECTED
    assert ours(runs["cpu"]) == ours(runs["auto"])


@needs_torch
def test_a_missing_cuda_device_skips_the_check(cli, tmp_path, generation):
    if torch.cuda.device_count() > 7:
        pytest.skip("this machine has eight CUDA devices")
    bundle = write_model_bundle(tmp_path)
    result = cli("assess", bundle, "-f", "json", "--trust-bundle-code", "--no-cache",
                 "--device", "cuda:7")
    skipped = [f for f in result.json()["findings"] if f["check"] == "generation"]
    assert [f["id"] for f in skipped] == ["plugin.check-skipped"]
    assert "cuda:7 is not available" in skipped[0]["message"]
    assert not (tmp_path / "imported-marker").exists()
    assert result.code == 0


@needs_torch
@pytest.mark.skipif(torch is None or not torch.cuda.is_available(),
                    reason="no CUDA device on this machine")
def test_cuda_is_picked_when_present_and_finds_the_same(cli, tmp_path, generation):
    bundle = write_model_bundle(tmp_path)
    auto = cli("assess", bundle, "-f", "json", "--trust-bundle-code", "--no-cache").json()
    cpu = cli("assess", bundle, "-f", "json", "--trust-bundle-code", "--no-cache",
              "--device", "cpu").json()
    assert auto["devices"] == {"generation": "cuda:0"}
    assert near_copies(auto) == near_copies(cpu) == EXPECTED


def test_the_help_says_the_flag_is_the_only_way_bundle_code_runs(cli):
    out = " ".join(cli("assess", "--help").out.split())
    assert "--trust-bundle-code" in out
    assert "The only way anything from the bundle is imported or run" in out
