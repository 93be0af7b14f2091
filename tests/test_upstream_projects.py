"""A project of its own copied into the release (origin.upstream_projects):
its files are vendored, its example photos document it, its cards do not
speak for the release; and a real data folder with its own card and licence
stays the release's dataset."""

from __future__ import annotations

from pathlib import Path

from test_licenses import BSD3, MIT

from aiart_release.bundle import build_inventory
from aiart_release.config import load_config
from aiart_release.facts import gather_facts
from aiart_release.plugins import build_registry

UPSTREAM_CARD = """# Model Card: Upstream Diffusion

## Intended uses

Research on generative models. The weights were trained on a crawl that
holds nsfw material; a safety checker filters outputs.

## Limitations and bias

It reproduces social biases of its training data.
"""


def _png(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _release_with_copy(root: Path, upstream_licence: str = BSD3) -> None:
    """The release's MIT code, with ``upstream_diffusion/`` copied in."""
    _write(root / "LICENSE", MIT)
    _write(root / "README.md", "# Edit\n\nAn image editor.\n")
    _write(root / "edit.py", "import upstream_diffusion\n")
    up = root / "upstream_diffusion"
    _write(up / "LICENSE", upstream_licence)
    _write(up / "README.md", "# Upstream Diffusion\n\nA text-to-image model.\n")
    _write(up / "setup.py", "from setuptools import setup\nsetup(name='updiff')\n")
    _write(up / "Upstream_Model_Card.md", UPSTREAM_CARD)
    _write(up / "ldm" / "model.py", "def sample():\n    return 1\n")
    _write(up / "models" / "ldm" / "config.yaml", "model:\n  channels: 4\n")
    _png(up / "data" / "inpainting_examples" / "person.png")
    _png(up / "data" / "inpainting_examples" / "person_mask.png")
    (up / "data" / "DejaVuSans.ttf").write_bytes(b"\0\1\0\0font")
    _write(up / "data" / "labels.txt", "0 tench\n1 goldfish\n")
    _png(up / "assets" / "teaser.png")


def _inventory(root: Path):
    return build_inventory(root, build_registry().classify)


def test_a_copied_in_project_is_vendored_and_holds_no_dataset_or_model(tmp_path):
    _release_with_copy(tmp_path)
    inventory = _inventory(tmp_path)
    files = {f.path: f for f in inventory.files}
    assert files["upstream_diffusion/Upstream_Model_Card.md"].kind == "model-card"
    up = [f for f in inventory.files if f.path.startswith("upstream_diffusion/")]
    # Its files are in the vendored context, its licence stays for the licence checks.
    assert {f.path for f in up if f.context != "generated"} == {"upstream_diffusion/LICENSE"}
    assert files["upstream_diffusion/LICENSE"].kind == "license"
    # Its example photos and pictures document it; its data files are its code.
    assert files["upstream_diffusion/data/inpainting_examples/person.png"].artifact == "docs"
    assert files["upstream_diffusion/assets/teaser.png"].artifact == "docs"
    assert files["upstream_diffusion/data/DejaVuSans.ttf"].artifact == "code"
    assert files["upstream_diffusion/data/labels.txt"].artifact == "docs"
    assert files["upstream_diffusion/models/ldm/config.yaml"].artifact == "code"
    assert "dataset" not in inventory.artifacts_present()
    assert "model" not in inventory.artifacts_present()
    # One note for the whole project, however many folders it has.
    generated = [f for f in inventory.findings if f.id == "bundle.generated"]
    assert [f.location.path for f in generated] == ["upstream_diffusion/"]
    # The release's own files are untouched.
    assert files["edit.py"].context is None and files["edit.py"].artifact == "code"


def test_a_copied_in_projects_card_does_not_speak_for_the_release(tmp_path):
    _release_with_copy(tmp_path)
    facts = gather_facts(_inventory(tmp_path), load_config(tmp_path))
    assert facts.cards == [] or all(not c.path.startswith("upstream_diffusion/")
                                    for c in facts.cards)
    assert facts.values["has_model_card"] is False
    assert "nsfw" not in facts.values["card_text"]


def test_the_same_licence_for_other_holders_is_the_release_own_package(tmp_path):
    # A subpackage under the root's licence (another year, another holder):
    # the release's own, its examples still examples (innermost name), its
    # code scanned as the release's.
    holder = next(line for line in MIT.splitlines() if "Copyright" in line)
    _release_with_copy(tmp_path, upstream_licence=MIT.replace(
        holder, "Copyright (c) 2019 Somebody Else"))
    files = {f.path: f for f in _inventory(tmp_path).files}
    assert files["upstream_diffusion/ldm/model.py"].context is None
    assert files["upstream_diffusion/Upstream_Model_Card.md"].context is None
    assert files["upstream_diffusion/data/inpainting_examples/person.png"].artifact == "docs"
    assert files["upstream_diffusion/data/DejaVuSans.ttf"].artifact == "dataset"


def test_a_folder_the_readme_credits_as_copied_in_is_upstream(tmp_path):
    _write(tmp_path / "LICENSE", MIT)
    _write(tmp_path / "main.py", "print(1)\n")
    lib = tmp_path / "pose_net"
    _write(lib / "LICENSE", BSD3)
    _write(lib / "body.py", "def pose():\n    return 0\n")
    _png(lib / "data" / "people.png")
    _write(tmp_path / "README.md", "# Tool\n\nA tool.\n")
    files = {f.path: f for f in _inventory(tmp_path).files}
    # No package file, no README, no credit: the release's own folder.
    assert files["pose_net/body.py"].context is None
    assert files["pose_net/data/people.png"].artifact == "dataset"
    _write(tmp_path / "README.md",
           "# Tool\n\nThe pose estimator is adapted from the original "
           "[lab/pose-net](https://github.com/lab/pose-net) code.\n")
    files = {f.path: f for f in _inventory(tmp_path).files}
    assert files["pose_net/body.py"].context == "generated"
    assert files["pose_net/data/people.png"].artifact == "docs"


def test_a_data_folder_with_its_own_card_and_licence_stays_the_dataset(tmp_path):
    _write(tmp_path / "LICENSE", MIT)
    _write(tmp_path / "README.md", "# Faces\n\nCode and data.\n")
    _write(tmp_path / "train.py", "print(1)\n")
    data = tmp_path / "data"
    _write(data / "LICENSE", BSD3)
    _write(data / "README.md", "# Dataset Card: Faces\n\n## Dataset Summary\n\n"
                               "Photographs of faces collected with consent.\n")
    _write(data / "prepare.py", "print('resize')\n")
    _write(data / "setup.py", "from setuptools import setup\nsetup(name='faces')\n")
    _png(data / "images" / "0001.png")
    _png(data / "examples" / "0002.png")
    inventory = _inventory(tmp_path)
    files = {f.path: f for f in inventory.files}
    assert files["data/README.md"].kind == "dataset-card"
    assert files["data/images/0001.png"].artifact == "dataset"
    # Its card describes the folder: its examples are its data.
    assert files["data/examples/0002.png"].artifact == "dataset"
    assert files["data/prepare.py"].context is None
    facts = gather_facts(inventory, load_config(tmp_path))
    assert facts.values["has_dataset_card"] is True


def test_a_model_folder_with_a_readme_and_its_own_licence_stays_the_model(tmp_path):
    _write(tmp_path / "LICENSE", MIT)
    _write(tmp_path / "train.py", "print(1)\n")
    ckpt = tmp_path / "release_model"
    _write(ckpt / "LICENSE", BSD3)
    _write(ckpt / "README.md", "# Our model\n\nWeights of our model.\n")
    _write(ckpt / "load.py", "print('load')\n")
    (ckpt / "model.safetensors").write_bytes(
        (8).to_bytes(8, "little") + b'{"a":{}}' + b"\0" * 16)
    inventory = _inventory(tmp_path)
    files = {f.path: f for f in inventory.files}
    assert files["release_model/model.safetensors"].kind == "model-weights"
    assert files["release_model/load.py"].context is None
    assert "model" in inventory.artifacts_present()


def test_a_copied_in_projects_licence_is_still_read_and_scoped(tmp_path):
    from aiart_release.pipeline import Options, assess
    from aiart_release.policy import load_policy

    _release_with_copy(tmp_path)
    result = assess(tmp_path, build_registry(), load_config(tmp_path), load_policy(),
                    Options(use_cache=False))
    licences = {f.location.path: f.message for f in result.findings
                if f.id == "license.detected"}
    assert "upstream_diffusion/LICENSE" in licences
    assert "BSD-3-Clause" in licences["upstream_diffusion/LICENSE"]
    assert "upstream_diffusion/" in licences["upstream_diffusion/LICENSE"]
    # Nothing about the upstream card or example photos as the release's.
    assert not [f for f in result.findings if f.artifact in ("dataset", "model")]
