"""The inventory (aiart_release/bundle.py) and the built-in classifier
(plugins/file_kinds.py): what kind each file is, which artifact it belongs
to, what is excluded, and how links, pipes, huge, binary and unreadable
files are reported instead of crashing, blocking or being read.

Every test builds a real folder under tmp_path and walks it with the same
classifier the CLI uses (``build_registry().classify``).
"""

from __future__ import annotations

import os
import random
import threading

import pytest
from conftest import finding_ids, make_bundle

import aiart_release.bundle as bundle_module
from aiart_release.bundle import BundleError, build_inventory
from aiart_release.plugins import build_registry

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 16
WEIGHTS = b"\x13\0\0\0\0\0\0\0" + b'{"__metadata__":{}}'


@pytest.fixture(scope="module")
def classify():
    registry = build_registry()
    assert registry.failures == []
    return registry.classify


def walk(root, classify, **kwargs):
    return build_inventory(root, classify, **kwargs)


def ids(inventory) -> list[str]:
    return sorted(f.id for f in inventory.findings)


# --- kinds -------------------------------------------------------------------

CROISSANT = (
    '{"@context": {"@vocab": "https://schema.org/", "cr": "http://mlcommons.org/croissant/"},'
    ' "@type": "sc:Dataset", "conformsTo": "http://mlcommons.org/croissant/1.0"}'
)

KIND_TABLE = [
    # weights, whatever their bytes
    ("lora.safetensors", WEIGHTS, "model-weights"),
    ("sd-v1-5.ckpt", b"PK\x03\x04" + b"\0" * 8, "model-weights"),
    ("pytorch_model.bin", b"\x80\x02}q\x00.", "model-weights"),
    # code, by extension and by well-known name
    ("train.py", "import torch\n", "code"),
    ("explore.ipynb", '{"cells": [], "nbformat": 4}', "code"),  # JSON, but a notebook
    ("Makefile", "all:\n\tpython train.py\n", "code"),
    ("Dockerfile", "FROM python:3.12\n", "code"),
    # text
    ("notes.txt", "hello\n", "text"),
    ("NOTES.md", "# Notes\n", "text"),
    # tables
    ("captions.csv", "file,caption\na.png,a cat\n", "table"),
    ("captions.tsv", "file\tcaption\n", "table"),
    ("metadata.jsonl", '{"file_name": "a.png"}\n', "table"),
    ("train.parquet", b"PAR1\0\0\0\0PAR1", "table"),
    # JSON: an array is records, an object is configuration, croissant is a manifest
    ("records.json", '[{"file": "a.png", "caption": "x"}]', "table"),
    ("records-ws.json", '\ufeff \n  [\n {"a": 1}]', "table"),
    ("settings.json", '{"learning_rate": 0.0001}', "config"),
    ("metadata.json", CROISSANT, "manifest"),
    # media; the extension's case does not matter
    ("cover.png", PNG, "image"),
    ("PHOTO.JPG", b"\xff\xd8\xff\xe0", "image"),
    ("voice.wav", b"RIFF\0\0\0\0WAVEfmt ", "audio"),
    ("clip.mp4", b"\0\0\0\x18ftypmp42", "video"),
    # README: front matter decides model vs dataset card; none -> plain text
    ("README.md", "---\nbase_model: runwayml/stable-diffusion-v1-5\n---\n# LoRA\n", "model-card"),
    ("README.md", "---\ntask_categories:\n- text-to-image\n---\n# Data\n", "dataset-card"),
    ("README.md", "\ufeff---\npipeline_tag: text-to-image\n---\n", "model-card"),  # UTF-8 BOM
    ("README.md", "---\nlicense: mit\n---\n# Card\n", "model-card"),  # no telling key: model
    ("data/README.md", "---\nlicense: cc0-1.0\n---\n", "dataset-card"),  # ...unless in data/
    ("README.md", "# Just a readme\n", "text"),
    ("model_card.md", "# Card\n", "model-card"),
    ("DATASHEET.md", "# Datasheet\n", "dataset-card"),
    # licences
    ("LICENSE", "MIT License\n", "license"),
    ("COPYING", "GNU GPL\n", "license"),
    ("LICENSE-MIT.txt", "MIT License\n", "license"),
    ("LICENCE.md", "MIT License\n", "license"),
    ("LICENSES/MIT.txt", "MIT License\n", "license"),  # REUSE layout
    # manifests: dataset sources and provenance
    ("sources.csv", "url,license\n", "manifest"),
    ("provenance.yaml", "items: []\n", "manifest"),
    ("data/attributions.json", '{"a.png": "Jane"}', "manifest"),
    # archives
    ("images.zip", b"PK\x03\x04" + b"\0" * 8, "archive"),
    ("data.tar.gz", b"\x1f\x8b\x08\0", "archive"),
    # configuration
    ("requirements.txt", "torch>=2\n", "config"),
    ("requirements-dev.txt", "pytest\n", "config"),
    (".gitignore", "*.ckpt\n", "config"),
    ("train.yaml", "lr: 1e-4\n", "config"),
    # unknown names: a look at the bytes
    ("notes.xyz", "plain words, nothing else\n", "text"),
    ("blob.xyz", b"\x00\x01\x02\x03binary", "other"),
    ("empty.xyz", b"", "other"),
    ("latin1.xyz", "café au lait, a long line".encode("latin-1"), "other"),
]

# Names that look close to a special name but are not one.
NOT_SPECIAL_TABLE = [
    ("licensed_images.csv", "a,b\n", "table"),  # not a LICENSE file
    ("resources.csv", "a,b\n", "table"),  # "sources" inside a word is no manifest
    ("opensource.yaml", "a: 1\n", "config"),
    ("readme.txt", "---\nbase_model: x\n---\n", "text"),  # only README.md can be a card
    ("unlicensed.txt", "words\n", "text"),
]


@pytest.mark.parametrize("path, content, kind", KIND_TABLE + NOT_SPECIAL_TABLE,
                         ids=[f"{p}->{k}" for p, _, k in KIND_TABLE + NOT_SPECIAL_TABLE])
def test_kind_of_each_file(tmp_path, classify, path, content, kind):
    root = make_bundle(tmp_path / "b", {path: content})
    inventory = walk(root, classify)
    listed = inventory.get(path)
    assert listed is not None, [f.path for f in inventory.files]
    assert listed.kind == kind
    assert listed.skipped is None
    assert inventory.findings == []


def test_a_readme_without_front_matter_beside_weights_is_the_model_card(tmp_path, classify):
    root = make_bundle(tmp_path / "b", {
        "model/README.md": "# Ink-wash LoRA\nTrained on my own drawings.\n",
        "model/lora.safetensors": WEIGHTS,
        "docs/README.md": "# Docs\n",  # no weights beside it: stays text
    })
    inventory = walk(root, classify)
    card = inventory.get("model/README.md")
    assert (card.kind, card.artifact) == ("model-card", "model")
    assert inventory.get("docs/README.md").kind == "text"


def test_a_readme_at_the_root_beside_root_weights_is_the_model_card(tmp_path, classify):
    # The Hugging Face Hub layout: weights and README.md at the top.
    root = make_bundle(tmp_path / "b", {"README.md": "# LoRA\n", "lora.safetensors": WEIGHTS})
    card = walk(root, classify).get("README.md")
    assert (card.kind, card.artifact) == ("model-card", "model")


def test_a_multibyte_character_cut_at_the_sniff_boundary_is_still_text(tmp_path, classify):
    # 'é' is two bytes in UTF-8; with a 512-byte head it is cut in half.
    root = make_bundle(tmp_path / "b", {"notes.xyz": "a" * 511 + "é and more words\n"})
    assert walk(root, classify, sniff_bytes=512).get("notes.xyz").kind == "text"


def test_utf16_text_with_a_bom_and_an_unknown_extension_is_text(tmp_path, classify):
    # Was a bug: only UTF-8 heads counted as text, although looks_binary and
    # readers.text.decode both accept UTF-16 with a byte-order mark.
    root = make_bundle(tmp_path / "b", {"notes.xyz": "plain words\n".encode("utf-16")})
    assert walk(root, classify).get("notes.xyz").kind == "text"


# --- artifacts ---------------------------------------------------------------

ARTIFACT_TABLE = [
    # folder hints
    ({"data/notes.txt": "x"}, "data/notes.txt", "dataset"),
    ({"Data/Notes.txt": "x"}, "Data/Notes.txt", "dataset"),  # hints ignore case
    ({"models/config.yaml": "a: 1", "models/w.safetensors": WEIGHTS}, "models/config.yaml",
     "model"),
    # ...but configs alone in a models/ folder are the code's: no weights, no model
    ({"models/config.yaml": "a: 1"}, "models/config.yaml", "code"),
    ({"src/notes.txt": "x"}, "src/notes.txt", "code"),
    ({"docs/guide.md": "# Guide"}, "docs/guide.md", "docs"),
    # a caption .txt beside images belongs to the dataset, whatever the folder
    ({"art/ink.png": PNG, "art/ink.txt": "ink wash, a crane"}, "art/ink.txt", "dataset"),
    ({"art/notes.txt": "x"}, "art/notes.txt", "docs"),  # no images beside it
    # config.json beside weights belongs to the model
    ({"release/config.json": "{}", "release/w.safetensors": WEIGHTS},
     "release/config.json", "model"),
    ({"release/config.json": "{}"}, "release/config.json", "docs"),
    # weights and code say what they are, whatever folder they are in
    ({"data/train.py": "x = 1\n"}, "data/train.py", "code"),
    ({"scripts/w.safetensors": WEIGHTS}, "scripts/w.safetensors", "model"),
    # no hint: the kind decides
    ({"captions.csv": "a,b\n"}, "captions.csv", "dataset"),
    ({"LICENSE": "MIT"}, "LICENSE", "docs"),
    ({"notes.txt": "x"}, "notes.txt", "docs"),
]


@pytest.mark.parametrize("files, path, artifact", ARTIFACT_TABLE,
                         ids=[f"{p}->{a}" for _, p, a in ARTIFACT_TABLE])
def test_artifact_is_inferred_from_folders_and_neighbours(tmp_path, classify, files, path,
                                                          artifact):
    root = make_bundle(tmp_path / "b", files)
    assert walk(root, classify).get(path).artifact == artifact


def test_declared_globs_override_inference(tmp_path, classify):
    root = make_bundle(tmp_path / "b", {
        "weights/lora.safetensors": WEIGHTS,
        "weights/notes.txt": "x",
        "src/prompts.py": "PROMPTS = []\n",
        "data/README.md": "# About the data\n",
        "data/a.png": PNG,
    })
    inventory = walk(root, classify, artifact_globs={
        "model": ["weights/**"],
        "dataset": ["src/prompts.py"],  # even a code file, when the user says so
        "docs": ["data/README.md"],
    })
    artifacts = {f.path: f.artifact for f in inventory.files}
    assert artifacts == {
        "data/README.md": "docs",
        "data/a.png": "dataset",
        "src/prompts.py": "dataset",
        "weights/lora.safetensors": "model",
        "weights/notes.txt": "model",
    }
    assert inventory.artifacts_present() == ["model", "dataset"]


def test_declared_artifacts_in_the_config_reach_the_recommendation(cli, tmp_path):
    root = make_bundle(tmp_path / "b", {
        "LICENSE": "MIT License\n",
        "src/prompts.py": "PROMPTS = ['a crane']\n",
        "aiart-release.yaml": "artifacts:\n  dataset: ['src/**']\n",
    })
    result = cli("assess", root, "-f", "json")
    assert result.code == 0, result.err
    # Without the glob this bundle would be code only.
    assert list(result.json()["recommendation"]["artifacts"]) == ["dataset"]


def test_a_sample_image_in_the_model_folder_does_not_make_its_config_a_dataset(tmp_path,
                                                                              classify):
    # Was a bug: "beside media" was tested before "beside weights", so the
    # config turned into dataset and the bundle gained a phantom dataset.
    root = make_bundle(tmp_path / "b", {
        "model/lora.safetensors": WEIGHTS,
        "model/config.json": '{"rank": 16}',
        "model/sample.png": PNG,
    })
    inventory = walk(root, classify)
    assert inventory.get("model/sample.png").artifact == "model"
    assert inventory.get("model/config.json").artifact == "model"
    assert inventory.artifacts_present() == ["model"]


# --- excludes ----------------------------------------------------------------

def test_vcs_and_cache_folders_are_excluded_and_counted(tmp_path, classify):
    root = make_bundle(tmp_path / "b", {
        "train.py": "x = 1\n",
        ".git/HEAD": "ref: refs/heads/main\n",
        ".git/objects/ab/cdef": b"\0\1",
        "__pycache__/train.cpython-312.pyc": b"\0\1",
        "src/__pycache__/m.cpython-312.pyc": b"\0\1",
        "src/m.py": "y = 2\n",
        ".DS_Store": b"\0\1",
    })
    inventory = walk(root, classify)
    assert [f.path for f in inventory.files] == ["src/m.py", "train.py"]
    # Each excluded entry counts once (a folder is not descended into).
    assert inventory.excluded == 4
    assert inventory.findings == []  # quietly: excluded is not skipped
    assert inventory.skipped == 0


def test_user_excludes_are_gitignore_globs(tmp_path, classify):
    root = make_bundle(tmp_path / "b", {
        "drafts/old.txt": "x",
        "data/a.png": PNG,
        "data/a.psd.bak": b"\0",
        "notes.tmp": "x",
        "keep.txt": "x",
    })
    inventory = walk(root, classify, exclude=["drafts/", "*.tmp", "*.bak"])
    assert [f.path for f in inventory.files] == ["data/a.png", "keep.txt"]
    assert inventory.excluded == 3


def test_excludes_from_the_config_and_the_command_line_add_up(cli, tmp_path):
    root = make_bundle(tmp_path / "b", {
        "LICENSE": "MIT License\n",
        "notes.txt": "x\n",
        "drafts/a.txt": "x\n",
        "scratch/b.txt": "x\n",
        ".git/HEAD": "ref\n",
        "aiart-release.yaml": "exclude: ['drafts/']\n",
    })
    everything = cli("assess", root, "-f", "json").json()["bundle"]["files"]
    assert everything == 4  # LICENSE, notes.txt, scratch/b.txt, aiart-release.yaml
    fewer = cli("assess", root, "-f", "json", "--exclude", "scratch/", "--exclude", "*.txt")
    assert fewer.json()["bundle"]["files"] == 2


# --- links, pipes and unreadable files ---------------------------------------

def test_a_link_to_a_file_outside_the_bundle_is_reported_and_not_listed(tmp_path, classify):
    root = make_bundle(tmp_path / "b", {"notes.txt": "x"})
    (tmp_path / "secret.txt").write_text("outside\n")
    # A sibling whose name starts with the bundle's: still outside.
    make_bundle(tmp_path / "b2", {"other.txt": "outside\n"})
    os.symlink(tmp_path / "secret.txt", root / "secret.txt")
    os.symlink(tmp_path / "b2" / "other.txt", root / "other.txt")
    os.symlink(tmp_path / "b2", root / "linked-dir")
    inventory = walk(root, classify)
    assert [f.path for f in inventory.files] == ["notes.txt"]
    assert [(f.id, f.location.path) for f in inventory.findings] == [
        ("bundle.symlink-outside", "linked-dir"),
        ("bundle.symlink-outside", "other.txt"),
        ("bundle.symlink-outside", "secret.txt"),
    ]
    assert all(f.check == "inventory" and f.severity.value == "medium"
               for f in inventory.findings)
    assert inventory.skipped == 3


def test_a_link_to_a_file_inside_the_bundle_is_listed(tmp_path, classify):
    root = make_bundle(tmp_path / "b", {"data/captions.csv": "a,b\n"})
    os.symlink("data/captions.csv", root / "captions.csv")  # relative, stays inside
    inventory = walk(root, classify)
    assert [(f.path, f.kind) for f in inventory.files] == [
        ("captions.csv", "table"), ("data/captions.csv", "table")]
    assert inventory.findings == []


def test_a_folder_link_to_an_ancestor_is_a_loop_not_followed(tmp_path, classify):
    root = make_bundle(tmp_path / "b", {"sub/a.txt": "x"})
    os.symlink(root, root / "sub" / "up")
    os.symlink("..", root / "sub" / "parent")
    inventory = walk(root, classify)
    assert [f.path for f in inventory.files] == ["sub/a.txt"]
    assert [(f.id, f.location.path) for f in inventory.findings] == [
        ("bundle.symlink-loop", "sub/parent"), ("bundle.symlink-loop", "sub/up")]


def test_a_dangling_link_is_unreadable(tmp_path, classify):
    root = make_bundle(tmp_path / "b", {"a.txt": "x"})
    os.symlink(tmp_path / "gone.txt", root / "dangling.txt")
    inventory = walk(root, classify)
    assert [(f.id, f.location.path) for f in inventory.findings] == [
        ("bundle.unreadable", "dangling.txt")]
    assert "does not exist" in inventory.findings[0].message
    assert inventory.get("dangling.txt") is None


def test_links_that_point_at_each_other_are_a_finding_not_a_crash(tmp_path, classify):
    root = make_bundle(tmp_path / "b", {"a.txt": "x"})
    os.symlink(root / "b-link", root / "a-link")
    os.symlink(root / "a-link", root / "b-link")
    inventory = walk(root, classify)
    assert [f.path for f in inventory.files] == ["a.txt"]
    assert [(f.id, f.location.path) for f in inventory.findings] == [
        ("bundle.symlink-loop", "a-link"), ("bundle.symlink-loop", "b-link")]


def test_link_findings_through_the_cli(cli, tmp_path):
    root = make_bundle(tmp_path / "b", {"LICENSE": "MIT License\n", "notes.txt": "x\n"})
    (tmp_path / "secret.txt").write_text("outside\n")
    os.symlink(tmp_path / "secret.txt", root / "secret.txt")
    os.symlink(root / "b-link", root / "a-link")
    os.symlink(root / "a-link", root / "b-link")
    result = cli("assess", root, "-f", "json")
    assert result.code == 0, result.err
    report = result.json()
    assert [i for i in finding_ids(report) if i.startswith("bundle.")] == [
        "bundle.symlink-loop", "bundle.symlink-loop", "bundle.symlink-outside"]
    assert report["bundle"]["files"] == 2
    assert report["bundle"]["skipped"] == 3


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this platform")
def test_a_fifo_is_reported_and_the_walk_does_not_block(tmp_path, classify):
    root = make_bundle(tmp_path / "b", {"a.txt": "x"})
    os.mkfifo(root / "pipe.txt")  # named like text: opening it would block
    done: dict = {}

    def run():
        done["inventory"] = walk(root, classify)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout=20)
    assert not worker.is_alive(), "the walk blocked on a FIFO"
    inventory = done["inventory"]
    assert [f.path for f in inventory.files] == ["a.txt"]
    assert [(f.id, f.location.path) for f in inventory.findings] == [
        ("bundle.not-regular-file", "pipe.txt")]


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="root reads files whatever their mode")
def test_a_file_without_read_permission_is_listed_as_unreadable(tmp_path, classify):
    root = make_bundle(tmp_path / "b", {"a.txt": "x", "secret.txt": "nobody may read this\n"})
    (root / "secret.txt").chmod(0)
    try:
        inventory = walk(root, classify)
    finally:
        (root / "secret.txt").chmod(0o644)
    secret = inventory.get("secret.txt")
    assert secret is not None and secret.skipped == "unreadable" and not secret.readable
    assert [(f.id, f.location.path) for f in inventory.findings] == [
        ("bundle.unreadable", "secret.txt")]
    assert inventory.findings[0].severity.value == "medium"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="root reads folders whatever their mode")
def test_a_folder_without_permission_is_reported_not_raised(tmp_path, classify):
    root = make_bundle(tmp_path / "b", {"a.txt": "x", "locked/b.txt": "y"})
    (root / "locked").chmod(0)
    try:
        inventory = walk(root, classify)
    finally:
        (root / "locked").chmod(0o755)
    assert [f.path for f in inventory.files] == ["a.txt"]
    assert [(f.id, f.location.path) for f in inventory.findings] == [
        ("bundle.unreadable", "locked")]


def test_unreadable_file_and_folder_handling_when_running_as_root(tmp_path, classify,
                                                                 monkeypatch):
    # Root reads through chmod 000, so the two tests above skip there; this one
    # makes the operating system say "permission denied" instead, so that the
    # walker's handling of it is tested everywhere.
    root = make_bundle(tmp_path / "b", {"a.txt": "x", "secret.txt": "private\n",
                                        "locked/b.txt": "y"})
    real_access, real_scandir = os.access, os.scandir

    def access(path, mode, *args, **kwargs):
        if os.path.basename(path) == "secret.txt":
            return False
        return real_access(path, mode, *args, **kwargs)

    def scandir(path="."):
        if os.path.basename(os.fspath(path)) == "locked":
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "access", access)
    monkeypatch.setattr(os, "scandir", scandir)
    inventory = walk(root, classify)
    assert [(f.path, f.skipped) for f in inventory.files] == [
        ("a.txt", None), ("secret.txt", "unreadable")]
    assert [(f.id, f.location.path, f.severity.value) for f in inventory.findings] == [
        ("bundle.unreadable", "locked", "medium"),
        ("bundle.unreadable", "secret.txt", "medium"),
    ]
    assert "Permission denied" in inventory.findings[0].message


# --- size cap and binary sniffing --------------------------------------------

def test_a_file_over_the_size_cap_is_listed_skipped_and_never_opened(tmp_path, classify,
                                                                    monkeypatch):
    root = make_bundle(tmp_path / "b", {
        "small.txt": "tiny",
        # Unknown extension and text content: classified "text" only if read.
        "big.xyz": "plain words " * 10,
        "README.md": "---\nbase_model: x\n---\n# A long card\n",
    })
    opened: list[str] = []
    real_open = open

    def spy(path, *args, **kwargs):
        opened.append(os.path.basename(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(bundle_module, "open", spy, raising=False)
    inventory = walk(root, classify, max_file_size=10)
    big = inventory.get("big.xyz")
    assert (big.skipped, big.size, big.kind) == ("too-large", 120, "other")
    # The card is not sniffed either: without its head it is plain text.
    assert inventory.get("README.md").skipped == "too-large"
    assert inventory.get("README.md").kind == "text"
    assert inventory.get("small.txt").skipped is None
    assert "big.xyz" not in opened and "README.md" not in opened
    assert ids(inventory) == ["bundle.too-large", "bundle.too-large"]
    message = next(f.message for f in inventory.findings if f.location.path == "big.xyz")
    assert "120 B > 10 B" in message
    # Skipped files still count in the totals.
    assert inventory.total_bytes == sum(f.size for f in inventory.files) > 120


def test_the_size_cap_from_the_config_reaches_the_inventory(cli, tmp_path):
    root = make_bundle(tmp_path / "b", {
        "LICENSE": "MIT\n",
        "notes.txt": "this is longer than ten bytes\n",
        "aiart-release.yaml": "limits: {max_file_size: 10}\n",
    })
    report = cli("assess", root, "-f", "json").json()
    too_large = sorted(f["location"]["path"] for f in report["findings"]
                       if f["id"] == "bundle.too-large")
    assert too_large == ["aiart-release.yaml", "notes.txt"]  # LICENSE is 4 bytes
    assert report["bundle"]["files"] == 3
    assert report["bundle"]["skipped"] == 2


def test_nul_bytes_in_a_text_file_are_reported_and_it_is_skipped(tmp_path, classify):
    root = make_bundle(tmp_path / "b", {
        "captions.txt": b"a cat\0\0\0\x01\x02",
        "ok.txt": "a dog\n",
    })
    inventory = walk(root, classify)
    bad = inventory.get("captions.txt")
    assert (bad.kind, bad.skipped, bad.readable) == ("text", "binary", False)
    assert inventory.get("ok.txt").skipped is None
    assert [(f.id, f.location.path) for f in inventory.findings] == [
        ("bundle.binary-content", "captions.txt")]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
def test_unicode_text_with_a_byte_order_mark_is_not_binary(tmp_path, classify, encoding):
    data = "a crane in ink wash\n".encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    root = make_bundle(tmp_path / "b", {"caption.txt": data})
    inventory = walk(root, classify)
    listed = inventory.get("caption.txt")
    assert b"\0" in data  # the NUL bytes are there...
    assert (listed.kind, listed.skipped) == ("text", None)  # ...and explained by the BOM
    assert inventory.findings == []


def test_binary_content_in_a_media_file_is_expected(tmp_path, classify):
    # Only text kinds are sniffed for NUL bytes.
    root = make_bundle(tmp_path / "b", {"a.png": PNG, "w.safetensors": WEIGHTS})
    inventory = walk(root, classify)
    assert all(f.skipped is None for f in inventory.files)
    assert inventory.findings == []


# --- the walk as a whole -----------------------------------------------------

def test_order_is_sorted_and_the_same_whatever_the_creation_order(tmp_path, classify):
    names = ["b/z.txt", "a/b/c.txt", "a-b.txt", "A.txt", "a/a.txt", "z.png", "m/n/o/p.py"]
    results = []
    for attempt in range(3):
        shuffled = names[:]
        random.Random(attempt).shuffle(shuffled)
        root = tmp_path / f"b{attempt}"
        for name in shuffled:
            make_bundle(root, {name: "x"})
        results.append([(f.path, f.kind, f.artifact) for f in walk(root, classify).files])
    assert results[0] == results[1] == results[2]
    assert [p for p, _, _ in results[0]] == sorted(names)


def test_findings_are_sorted_by_path_and_filled_in(tmp_path, classify):
    root = make_bundle(tmp_path / "b", {"data/z.txt": b"\0\0", "a.txt": b"\0\0"})
    os.symlink(tmp_path / "nowhere", root / "m-link")
    inventory = walk(root, classify)
    assert [f.location.path for f in inventory.findings] == ["a.txt", "data/z.txt", "m-link"]
    for finding in inventory.findings:
        assert finding.check == "inventory"
        assert finding.checkpoint is not None and finding.artifact
        assert finding.fingerprint.startswith("sha256:")
    # A finding in data/ belongs to the dataset and its checkpoint.
    data = inventory.findings[1]
    assert (data.artifact, data.checkpoint.value) == ("dataset", "dataset")


@pytest.mark.parametrize("make, message", [
    (lambda p: p / "missing", "does not exist"),
    (lambda p: make_bundle(p / "b", {"a.txt": "x"}) / "a.txt", "is a file"),
])
def test_a_path_that_is_not_a_folder_is_a_bundle_error(tmp_path, classify, make, message):
    with pytest.raises(BundleError, match=message):
        walk(make(tmp_path), classify)


# --- each file read once ------------------------------------------------------

def test_each_file_is_opened_once_and_header_readers_use_the_kept_head(classify, tmp_path,
                                                                       monkeypatch):
    """The walk reads a file's head once (a Markdown card's longer sniff
    included, when the file is short); the licence checks read SPDX lines
    from the head the inventory kept, without opening the file again. (With
    pictures in the bundle, pages are also read whole, for the pictures they
    show: that is their content, not their head.)"""
    import builtins
    from collections import Counter

    from aiart_release.default_plugins.licensing.sources import spdx_headers
    from aiart_release.spdx import has_spdx_identifier

    bundle = make_bundle(tmp_path / "b", {
        "LICENSE": "MIT License\n",
        "README.md": "# Portraits\n\nA few words about the pictures.\n",
        "src/train.py": "# SPDX-License-Identifier: Apache-2.0\nimport os\n",
        "notes": "plain text without a suffix\n",
        "model/w.safetensors": WEIGHTS,
    })
    opened: Counter[str] = Counter()
    real_open = builtins.open

    def counting_open(file, *args, **kwargs):
        opened[os.path.relpath(str(file), bundle)] += 1
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", counting_open)
    inventory = build_inventory(bundle, classify)
    assert opened and max(opened.values()) == 1, opened
    before = dict(opened)
    code = inventory.get("src/train.py")
    assert has_spdx_identifier(code.head)
    assert [(s.path, s.license) for s in spdx_headers(inventory)] == [
        ("src/train.py", "Apache-2.0")]
    assert dict(opened) == before
    # Heads are kept for text kinds only: the weights' is not held in memory.
    assert inventory.get("model/w.safetensors").head == b""


def test_a_long_markdown_page_is_read_again_only_for_what_the_head_lacks(tmp_path):
    from aiart_release.bundle import FileInfo

    page = tmp_path / "page.md"
    page.write_bytes(b"x" * 100)
    info = FileInfo("page.md", page, 100, 8)
    assert info.head == b"x" * 8
    assert info.prefix(64 * 1024) == b"x" * 100  # one more read: the file is longer
    page.unlink()
    assert info.prefix(64 * 1024) == b"x" * 100 and info.head == b"x" * 8  # never again


@pytest.mark.parametrize("path", [
    "a/b/c.txt", "c", "", ".", "./a", "a/./b", "a//b", "/a/b", "/", "a/b/", "a/.",
    ".hidden", "a/.b", "x.", "a/b.tar.gz", "..", "../a", "a/../b",
])
def test_a_path_is_split_as_purepath_splits_it(path):
    """The walk's paths are split as text, not parsed: any path, plain or
    not, gets the folder, name and suffix PurePosixPath gives it."""
    from pathlib import Path, PurePosixPath

    from aiart_release.bundle import BundleFile
    from aiart_release.origin import path_parts

    pure = PurePosixPath(path)
    parent = pure.parent.as_posix()
    f = BundleFile(path, Path(path or "."), 0, "text", "docs")
    assert (f.directory, f.name, f.suffix) == ("" if parent == "." else parent, pure.name,
                                               pure.suffix.lower())
    assert path_parts(path) == pure.parts


# --- a test suite's data ---------------------------------------------------------

PARQUET_LIKE = b"PAR1" + b"\0" * 32 + b"PAR1"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 16


def _contexts(root):
    inventory = build_inventory(root, build_registry().classify)
    return {f.path: (f.context, f.artifact) for f in inventory.files}


def test_tables_and_images_beside_test_code_are_the_suites_fixtures(tmp_path):
    root = make_bundle(tmp_path / "b", {
        "tool/download.py": "def fetch(url):\n    return url\n",
        "tests/test_download.py": "def test_fetch():\n    assert True\n",
        "tests/test_files/sample_1000.parquet": PARQUET_LIKE,
        "tests/test_files/urls.csv": "url,caption\nhttp://example.com/a.jpg,a cat\n",
        "tests/resources/cat.png": PNG,
    })
    seen = _contexts(root)
    for path in ("tests/test_files/sample_1000.parquet", "tests/test_files/urls.csv",
                 "tests/resources/cat.png"):
        assert seen[path] == ("fixture", "code"), path
    assert seen["tool/download.py"] == (None, "code")


@pytest.mark.parametrize("files", [
    # A dataset's test split: no test code beside it.
    {"test/0001.png": PNG, "test/captions.csv": "file,caption\n0001.png,a cat\n",
     "train/0002.png": PNG},
    # Below data/, a test folder is the data's, whatever lies beside it.
    {"data/test/0001.png": PNG, "data/test/conftest.py": "x = 1\n"},
    # Test code in another test folder says nothing about this one.
    {"tests/test_tool.py": "def test_a():\n    pass\n", "fixtures/faces/0001.png": PNG},
])
def test_a_test_split_is_data_not_a_fixture(tmp_path, files):
    seen = _contexts(make_bundle(tmp_path / "b", files))
    for path, (context, artifact) in seen.items():
        if path.endswith((".png", ".csv")):
            assert (context, artifact) == (None, "dataset"), path
