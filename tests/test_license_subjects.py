"""What a licence statement covers, by the artifact it names, and the base
models a release names outside its card metadata (download scripts,
training configurations, README sentences). Every bundle is written here."""

from __future__ import annotations

import time

import pytest
from conftest import EXAMPLES, SAFETENSORS, make_bundle

from aiart_release.bundle import build_inventory
from aiart_release.default_plugins.licensing.base_models import read_release
from aiart_release.default_plugins.licensing.sections import named, subject
from aiart_release.plugins import build_registry

MIT = (EXAMPLES / "own-work" / "LICENSE").read_text()
SD15 = "https://huggingface.co/runwayml/stable-diffusion-v1-5/resolve/main/v1-5-pruned-emaonly.ckpt"


def _assess(cli, root, files: dict) -> list[dict]:
    bundle = make_bundle(root, files)
    return cli("assess", bundle, "-f", "json", "--no-cache").json()["findings"]


def _of(findings: list[dict], finding_id: str) -> list[dict]:
    return [f for f in findings if f["id"] == finding_id]


# --- 1. a licence statement's scope is the artifact it names ---------------

DATASET_CARD = ("---\nlicense:\n- cc0-1.0\ntask_categories:\n- text-to-image\n"
                "pretty_name: Prompts\n---\n# Prompts\nA dataset of prompts and images.\n")
SPLIT_README = ("# Prompts\n\nTools for the Prompts dataset.\n\n## Licensing\n\n"
                "The Prompts dataset is available under the [CC0 1.0 License]"
                "(https://creativecommons.org/publicdomain/zero/1.0/).\n"
                "The Python code in this repository is available under the "
                "[MIT License](./LICENSE).\n")


def test_a_readme_that_scopes_licences_by_artifact_is_no_card_mismatch(cli, tmp_path):
    # The dataset card says CC0; the README says the dataset is CC0 and the
    # code (the LICENSE it links to) MIT: nothing disagrees.
    findings = _assess(cli, tmp_path / "b", {
        "LICENSE": MIT, "README.md": SPLIT_README, "index.md": DATASET_CARD,
        "scripts/load.py": "print('load')\n"})
    assert _of(findings, "license.card-mismatch") == []
    said = {f["location"].get("line"): f["message"] for f in _of(findings, "license.detected")
            if f["location"]["path"] == "README.md"}
    assert any(m.startswith("CC0") and "for the dataset" in m for m in said.values()), said
    assert any(m.startswith("MIT for the code") for m in said.values()), said
    # The link's target is where the licence's text is, not what it covers.
    assert not any("LICENSE/" in m for m in said.values()), said


def test_a_card_that_contradicts_the_readme_about_its_artifact_is_a_mismatch(cli, tmp_path):
    # The model card says MIT; the README says the model is CC BY-NC and the
    # code MIT (the LICENSE): the card is wrong about the model.
    findings = _assess(cli, tmp_path / "b", {
        "LICENSE": MIT,
        "README.md": "# Painter\n\n## License\n\nThe model weights are released under "
                     "CC BY-NC 4.0. The code is under the [MIT License](LICENSE).\n",
        "model/README.md": "---\nlicense: mit\n---\n# Painter\nA model.\n",
        "model/w.safetensors": SAFETENSORS, "train.py": "print('train')\n"})
    mismatch = _of(findings, "license.card-mismatch")
    assert len(mismatch) == 1
    assert mismatch[0]["location"]["path"] == "model/README.md"
    assert mismatch[0]["severity"] == "high"
    assert "README.md" in mismatch[0]["message"] and "CC-BY-NC-4.0" in mismatch[0]["message"]


def test_a_card_against_an_unscoped_licence_file_is_still_compared(cli, tmp_path):
    findings = _assess(cli, tmp_path / "b", {
        "LICENSE": MIT, "index.md": DATASET_CARD, "data/a.png": b"\x89PNG\r\n\x1a\n"})
    assert [f["location"]["path"] for f in _of(findings, "license.card-mismatch")] \
        == ["index.md"]


@pytest.mark.parametrize("words, expected", [
    ("The DiffusionDB dataset is available under", "dataset"),
    ("The Python code in this repository is available under", "code"),
    ("The model weights and the training code are released under", "code,model"),
    ("This repository is licensed under", ""),
    # an artifact of someone else's
    ("Our scripts, trained on the LAION dataset, are under", "code"),
])
def test_the_artifacts_a_statement_names(words, expected):
    assert subject(words) == expected


def test_a_link_to_the_licence_file_is_not_the_scope():
    parts = named("The code in this repository is available under the [MIT License](./LICENSE).",
                  known_paths=frozenset({"LICENSE", "scripts"}))
    assert len(parts) == 1
    part = parts[0]
    assert (part.license, part.role, part.folders, part.subject, part.linked) == (
        "MIT", "main", (), "code", "LICENSE")
    # a folder named in the words still scopes the licence to that folder
    parts = named("The files in scripts/ are under the [MIT License](./LICENSE).",
                  known_paths=frozenset({"LICENSE", "scripts"}))
    assert parts[0].folders == ("scripts",) and parts[0].role == "part"


# --- 2. base models named outside the card ---------------------------------

PIX_README = ("# PixEdit: editing pictures by instruction\n\n"
              "PixEdit is trained by fine-tuning from an initial diffusion checkpoint. "
              "To download the same one we used, run the following script:\n\n"
              "```\nbash scripts/get_base.sh\n```\n")
GET_BASE = f"#!/bin/bash\nmkdir -p models\ncurl -L {SD15} -o models/v1-5-pruned-emaonly.ckpt\n"
TRAIN_YAML = ("model:\n  params:\n    ckpt_path: models/v1-5-pruned-emaonly.ckpt\n"
              "    lr: 1.0e-4\n")
GET_MODEL = ("#!/bin/bash\nmkdir -p checkpoints\n"
             "curl https://pixedit.example.org/pixedit-00-22000.ckpt -o checkpoints/p.ckpt\n")


def _pix(**extra) -> dict:
    return {"LICENSE": MIT, "README.md": PIX_README, "scripts/get_base.sh": GET_BASE,
            "configs/train.yaml": TRAIN_YAML, "scripts/download_checkpoints.sh": GET_MODEL,
            "edit.py": "print('edit')\n", **extra}


def test_a_model_fine_tuned_from_a_known_base_named_by_script_config_and_readme(cli, tmp_path):
    findings = _assess(cli, tmp_path / "b", _pix())
    rail = _of(findings, "license.rail-restrictions-missing")
    assert len(rail) == 1
    found = rail[0]
    assert found["artifact"] == "model" and found["severity"] == "high"
    # placed at the strongest evidence, the training configuration
    assert found["location"] == {"path": "configs/train.yaml", "line": 3}
    assert found["context"] == "config"
    assert "runwayml/stable-diffusion-v1-5" in found["message"]
    assert "released under MIT" in found["message"]
    # and it says where each piece was read
    for said in ("`ckpt_path: models/v1-5-pruned-emaonly.ckpt` in configs/train.yaml",
                 "README.md line 3", f"scripts/get_base.sh downloads {SD15}"):
        assert said in found["message"], found["message"]


@pytest.mark.parametrize("files, where", [
    ({"scripts/get_base.sh": GET_BASE}, "scripts/get_base.sh"),
    ({"configs/train.yaml": "pretrained_model_name_or_path: runwayml/stable-diffusion-v1-5\n"},
     "configs/train.yaml"),
    ({"train_lora.py": "pipe = Pipeline.from_pretrained('runwayml/stable-diffusion-v1-5')\n"},
     "train_lora.py"),
    ({"README.md": "# Inkify\n\nInkify is fine-tuned from "
                   "[runwayml/stable-diffusion-v1-5](https://huggingface.co/runwayml/"
                   "stable-diffusion-v1-5) on ink drawings.\n"}, "README.md"),
])
def test_each_place_alone_names_the_base_model(cli, tmp_path, files, where):
    findings = _assess(cli, tmp_path / "b", {"LICENSE": MIT, "app.py": "print(1)\n", **files})
    rail = _of(findings, "license.rail-restrictions-missing")
    assert [f["location"]["path"] for f in rail] == [where]


@pytest.mark.parametrize("files", [
    # a model named in words only: which checkpoint is a guess
    {"README.md": "# Inkify\n\nInkify is fine-tuned from Stable Diffusion v1.5.\n"},
    # a checkpoint path that no script fetches from a known base
    {"configs/train.yaml": "ckpt_path: models/v1-5-pruned-emaonly.ckpt\n"},
    # a base model this tool does not know
    {"configs/train.yaml": "pretrained_model_name_or_path: someone/their-model\n"},
    # a Hub id beside no words of derivation
    {"README.md": "# Inkify\n\nCompare with "
                  "https://huggingface.co/runwayml/stable-diffusion-v1-5 for speed.\n"},
    # a copied-in upstream project's own scripts and card
    {"vendor/upstream/get.sh": GET_BASE,
     "vendor/upstream/README.md": "---\nlicense: mit\nbase_model: runwayml/stable-diffusion-v1-5"
                                  "\n---\n# Upstream\n"},
])
def test_no_base_model_is_guessed(cli, tmp_path, files):
    findings = _assess(cli, tmp_path / "b", {"LICENSE": MIT, "app.py": "print(1)\n", **files})
    assert [f for f in findings if f["id"] in ("license.rail-restrictions-missing",
                                              "license.base-model-unknown")] == []


def test_a_model_released_under_the_base_models_licence_owes_nothing_more(cli, tmp_path):
    findings = _assess(cli, tmp_path / "b", _pix(**{
        "model/README.md": "---\nlicense: creativeml-openrail-m\n---\n# PixEdit\n",
        "model/w.safetensors": SAFETENSORS}))
    assert _of(findings, "license.rail-restrictions-missing") == []


def test_a_non_commercial_base_in_a_training_config_conflicts_with_a_commercial_release(
        cli, tmp_path):
    findings = _assess(cli, tmp_path / "b", {
        "LICENSE": MIT, "aiart-release.yaml": "commercial: true\n",
        "configs/lora.toml": 'pretrained_model_name_or_path = "black-forest-labs/FLUX.1-dev"\n'})
    conflict = _of(findings, "license.noncommercial-conflict")
    assert [(f["location"]["path"], f["severity"], f["context"]) for f in conflict] == [
        ("configs/lora.toml", "critical", "config")]


def test_weights_named_after_the_release_are_its_model_published_by_link(tmp_path):
    root = make_bundle(tmp_path / "b", _pix(**{
        "scripts/get_detector.sh": "curl https://example.org/face-detector.pth -o d.pth\n"}))
    reading = read_release(build_inventory(root, build_registry().classify))
    assert reading.model_downloads == ("scripts/download_checkpoints.sh",)
    assert [b.base for b in reading.bases] == ["runwayml/stable-diffusion-v1-5"]


def test_a_hostile_download_script_is_read_bounded(cli, tmp_path):
    # 250 KB of one line of Hub URLs and keys: read once, linearly.
    line = ("https://huggingface.co/runwayml/stable-diffusion-v1-5/resolve/main/"
            "x.ckpt ckpt_path: " * 2500)[:250_000]
    big = "curl " + "h" * 300_000 + "\n"  # over the size bound: not read
    started = time.monotonic()
    findings = _assess(cli, tmp_path / "b", {
        "LICENSE": MIT, "scripts/a.sh": line, "scripts/b.sh": big,
        "README.md": "# X\n\n" + "based on runwayml/stable-diffusion-v1-5 " * 5000})
    assert time.monotonic() - started < 30
    assert len(_of(findings, "license.rail-restrictions-missing")) == 1


def test_the_licence_file_a_readme_assigns_to_the_code_says_so(cli, tmp_path):
    findings = _assess(cli, tmp_path / "b", {
        "LICENSE": MIT, "README.md": SPLIT_README, "index.md": DATASET_CARD})
    licence = [f for f in _of(findings, "license.detected") if f["location"]["path"] == "LICENSE"]
    assert [f["message"].split(" (")[0] for f in licence] == ["MIT for the code"]
