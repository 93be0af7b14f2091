"""The dataset a release's own download scripts fetch is a released artifact
(fact ``dataset_downloads``), published by link; with no licence statement
for it, ``license.linked-dataset-unlicensed`` and the policy line of the same
name hold it at gated. Someone else's benchmark fetched to evaluate, software
installs, weights, comments and a copied-in project's scripts do not count.
Every bundle is written here."""

from __future__ import annotations

import time

import pytest
from conftest import EXAMPLES, make_bundle

from aiart_release.bundle import build_inventory
from aiart_release.default_plugins.licensing.base_models import read_release, release_name
from aiart_release.plugins import build_registry

MIT = (EXAMPLES / "own-work" / "LICENSE").read_text()
HOST = "http://pixedit.example.org"
README = ("# PixEdit: editing pictures by instruction\n\n"
          "PixEdit edits a picture as a sentence asks. Download the model with "
          "`bash scripts/download_checkpoints.sh` and the data with "
          "`bash scripts/download_data.sh clip-filtered`.\n")
GET_MODEL = f"#!/bin/bash\ncurl {HOST}/pixedit-00-22000.ckpt -o checkpoints/p.ckpt\n"
GET_DATA = ("#!/bin/bash\nmkdir -p data\n"
            "# Text data first\n"
            f"wget -q {HOST}/generated-prompts.jsonl -O data/generated-prompts.jsonl\n"
            "[ -z $1 ] && exit 0\n"
            "wget -A zip,json -R \"index.html*\" -q -r --no-parent \\\n"
            f"    {HOST}/$1/ -nd -P data/$1/\n")


def _release(**extra) -> dict:
    return {"LICENSE": MIT, "README.md": README, "edit.py": "print('edit')\n",
            "scripts/download_checkpoints.sh": GET_MODEL, **extra}


def _downloads(tmp_path, files: dict) -> list[str]:
    root = make_bundle(tmp_path / "b", files)
    reading = read_release(build_inventory(root, build_registry().classify))
    return [d.where for d in reading.dataset_downloads]


@pytest.fixture
def assess(cli, tmp_path):
    def run(files: dict) -> dict:
        bundle = make_bundle(tmp_path / "b", files)
        return cli("assess", bundle, "-f", "json", "--no-cache").json()

    return run


def _of(report: dict, finding_id: str) -> list[dict]:
    return [f for f in report["findings"] if f["id"] == finding_id]


# --- which downloads are the release's dataset -----------------------------

def test_data_from_the_host_that_serves_the_releases_weights_is_its_dataset(tmp_path):
    # the JSON Lines file, and the folder fetched whole keeping only zip and json
    assert _downloads(tmp_path, _release(**{"scripts/download_data.sh": GET_DATA})) == [
        "scripts/download_data.sh:4", "scripts/download_data.sh:6"]


@pytest.mark.parametrize("script, expected", [
    # a host named after the release, with no weights of it anywhere
    ("wget https://pixedit-data.example.net/v1/train-00001.parquet\n", 1),
    # a Hub dataset named after the release, by URL and by id
    ("curl -LO https://huggingface.co/datasets/someone/pixedit/resolve/main/a.tar\n", 1),
    ("from datasets import load_dataset\nload_dataset('someone/pixedit', split='train')\n", 2),
    ("huggingface-cli download someone/PixEdit --repo-type dataset --local-dir data\n", 1),
])
def test_data_named_after_the_release_is_its_dataset(tmp_path, script, expected):
    files = {"LICENSE": MIT, "README.md": README, "scripts/download_data.py": script}
    assert _downloads(tmp_path, files) == [f"scripts/download_data.py:{expected}"]


@pytest.mark.parametrize("files", [
    # someone else's benchmark, fetched to compute metrics
    {"metrics/get_coco.sh": "wget http://images.cocodataset.org/zips/val2017.zip\n"},
    {"scripts/download_eval_data.sh": f"wget {HOST}/val-prompts.jsonl\n"},
    # a known public dataset, even from the release's own host
    {"scripts/get.sh": f"wget {HOST}/coco_val2017.zip\n"},
    # data named after nobody, from a host that serves none of the release's weights
    {"scripts/get.sh": "wget https://files.example.com/captions.jsonl\n"},
    # software, not data
    {"scripts/setup.sh": "pip install https://pixedit.example.org/pixedit-1.0.tar.gz\n"
                         "git clone https://github.com/someone/pixedit.git\n"},
    # weights, a model's configuration, an archive saved among the models
    {"scripts/get.sh": f"wget {HOST}/pixedit-vae.safetensors\nwget {HOST}/config.json\n"
                       f"wget -O models/first_stage/pixedit.zip {HOST}/pixedit-kl.zip\n"},
    # a comment, not a command
    {"scripts/get.sh": f"# wget {HOST}/generated-prompts.jsonl\n"},
    # a copied-in upstream project's own download script (its licence, README, code)
    {"upstream/LICENSE": "Copyright 2022 Upstream Lab\n\nUse it as you like, but do not sue us.\n",
     "upstream/README.md": "# Upstream\n\nA diffusion model.\n",
     "upstream/model.py": "print('upstream')\n",
     "upstream/setup.py": "from setuptools import setup\nsetup(name='upstream')\n",
     "upstream/scripts/download_data.sh": f"wget {HOST}/generated-prompts.jsonl\n"},
])
def test_downloads_that_are_not_the_releases_dataset(tmp_path, files):
    assert _downloads(tmp_path, _release(**files)) == []


def test_the_release_name_is_the_titles_name_without_markup():
    assert release_name("InstructPix2Pix: Learning to Follow Image Editing") == "InstructPix2Pix"
    assert release_name('DiffusionDB  <a href="https://x"><img src="f.ico"></a>') \
        == "DiffusionDB"
    assert release_name("[PixEdit](https://x) - editing pictures") == "PixEdit"


# --- what the policy makes of it -------------------------------------------

def test_a_linked_dataset_with_no_licence_and_no_card_is_gated(assess):
    report = assess(_release(**{"scripts/download_data.sh": GET_DATA}))
    found = _of(report, "license.linked-dataset-unlicensed")
    assert [(f["location"]["path"], f["location"]["line"], f["severity"], f["artifact"],
             f["context"]) for f in found] == [
        ("scripts/download_data.sh", 4, "medium", "dataset", "code")]
    message = found[0]["message"]
    assert "generated-prompts.jsonl and 1 more)" in message and "no dataset card" in message
    dataset = report["recommendation"]["artifacts"]["dataset"]
    assert dataset["tier"] == "gated"
    assert any("linked-dataset-unlicensed" in r and "no licence statement" in r
               for r in dataset["reasons"]), dataset["reasons"]
    assert any("dataset card" in t for t in dataset["to_lower"])
    # the repository's MIT licence is the code's; the code stays open
    assert report["recommendation"]["artifacts"]["code"]["tier"] == "open"


@pytest.mark.parametrize("extra", [
    {"README.md": README + "\n## License\n\nThe PixEdit dataset is released under "
                           "CC BY 4.0. The code is under the [MIT License](LICENSE).\n"},
    # a dataset card (the LICENSE is the code's: no card mismatch)
    {"README.md": README + "\n## License\n\nThe code is under the [MIT License](LICENSE).\n",
     "dataset/README.md": "---\nlicense: cc-by-4.0\npretty_name: PixEdit\n---\n# PixEdit data\n"
                          "Pairs of pictures generated from captions.\n"},
])
def test_a_licence_stated_for_the_dataset_leaves_it_open(assess, extra):
    report = assess(_release(**{"scripts/download_data.sh": GET_DATA, **extra}))
    assert _of(report, "license.linked-dataset-unlicensed") == []
    assert report["recommendation"]["artifacts"]["dataset"]["tier"] == "open"


def test_a_hub_dataset_is_low_its_hub_card_may_say(assess):
    report = assess({"LICENSE": MIT, "README.md": README, "scripts/download_data.py":
                     "load_dataset('someone/pixedit')\n"})
    found = _of(report, "license.linked-dataset-unlicensed")
    assert [f["severity"] for f in found] == ["low"]
    assert report["recommendation"]["artifacts"]["dataset"]["tier"] == "open"


def test_no_download_no_dataset(assess):
    report = assess(_release())
    assert "dataset" not in report["recommendation"]["artifacts"]
    assert _of(report, "license.linked-dataset-unlicensed") == []


def test_a_hostile_download_script_is_read_bounded(tmp_path):
    # 250 KB of URLs on continued lines and a recursive wget: read once,
    # linearly, and at most MAX_FETCHES fetches kept per script.
    hostile = (f"wget -r -A zip {HOST}/x.jsonl \\\n" * 6000)[:250_000]
    # recursion flags and accept lists with no data type, on one line
    flags = " -r -rr --recursive" * 5000 + (" -A " + "a" * 150) * 600
    started = time.monotonic()
    found = _downloads(tmp_path, _release(**{"scripts/download_data.sh": hostile,
                                             "scripts/download_more.sh": flags}))
    assert time.monotonic() - started < 10
    assert 1 <= len(found) <= 200
