"""Masking is one gate (issue 10, item 5): every text taken from the bundle
passes ``masking.redact`` before anything shows or caches it.

A bundle plants personal data and a secret in every place a bundle can
hold text: values, CSV headers, JSON caption-map keys, file and folder
names, card front-matter keys, a base-model id, a sentence outside the
licence, notebook outputs, a YAML file that does not parse, image metadata.
Every output (terminal, JSON, ``--output``, the pre-commit hook) and every
file of the cache is then searched for each raw value: none may be there.
Under ``--show-pii`` they may, and the fingerprints are the same either way
(baselines keep working).
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import zlib
from pathlib import Path

import pytest
from conftest import make_bundle

from aiart_release import hookimpl, pipeline
from aiart_release.config import load_config
from aiart_release.engine import Options
from aiart_release.plugins import build_registry
from aiart_release.policy import load_policy

# Each value is planted once, in one place, so a leak says where it came from.
HEADER_NAME = "Ines Moreau"                                    # a CSV column name
HEADER_EMAIL = "contact_hugo.lefebvre@atelier.example"          # another column name
LOWER_HEADER = "mateo fernandez"                                # a column, lower case
CELL_EMAIL = "kofi.mensah@postbox-mail.org"                     # values of that column
CELL_PHONE = "+44 20 7946 0321"                                 # values under HEADER_NAME
MAP_KEY = "Sofia Esposito"                                      # a key of a JSON caption map
FILE_NAME = "Tomasz Kowalski"                                   # a file name
FILE_EMAIL = "amara.okafor@kunst-post.org"                      # inside that file
LOWER_FILE = "priya sharma"                                     # a file name, lower case
FOLDER_EMAIL = "raoul.dupont@studio.example"                    # a folder name
FOLDER_PHONE = "+33 6 12 34 56 78"                              # inside a file in it
YAML_KEY = "yusuf.demir@inbox.example"                          # key of a YAML that fails
CARD_KEY = "dario.rossi@atelier.example"                        # a card front-matter key
BASE_MODEL = "elena.santos@lab.example/sdxl-finetune"           # a base-model id
SSN = "123-45-6789"                                             # the licence sentence...
CARD_NUMBER = "4111 1111 1111 1111"
PHONE = "+1 415 555 0134"
NOTEBOOK_NAME = "Sven Lindqvist"                                # a notebook output
NOTEBOOK_EMAIL = "sven.lindqvist@fjord-post.se"
NOTEBOOK_PHONE = "+46 70 123 45 67"
IMAGE_AUTHOR = "Greta Schulz"                                   # PNG tEXt metadata
IMAGE_EMAIL = "greta.schulz@bild-post.de"
HF_TOKEN = "hf_Qx7vLm2Rt9Kp4Wz8Ny3Bc6Fd1Gh5Js0Ta"              # a secret in code

PLANTED = [HEADER_NAME, HEADER_EMAIL, LOWER_HEADER, CELL_EMAIL, CELL_PHONE, MAP_KEY, FILE_NAME,
           FILE_EMAIL, LOWER_FILE, FOLDER_EMAIL, FOLDER_PHONE, YAML_KEY, CARD_KEY, BASE_MODEL,
           SSN, CARD_NUMBER, PHONE, NOTEBOOK_NAME, NOTEBOOK_EMAIL, NOTEBOOK_PHONE, IMAGE_AUTHOR,
           IMAGE_EMAIL, HF_TOKEN]


def _raw_forms(value: str) -> set[str]:
    """The value, and the parts of it that alone identify someone: the
    address of a base-model id, each part of a name, the digits of a number
    written without its spaces."""
    forms = {value, value.split("/")[0]}
    if " " in value and not any(c.isdigit() for c in value):
        forms.update(value.split())
    if any(c.isdigit() for c in value) and "@" not in value:
        forms.add(value.replace(" ", ""))
    return {f for f in forms if len(f) >= 5}


def _png_with_text(key: str, value: str) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"tEXt", key.encode() + b"\0" + value.encode())
            + chunk(b"IDAT", zlib.compress(b"\0\0")) + chunk(b"IEND", b""))


def _notebook(text: str) -> str:
    return json.dumps({
        "cells": [{"cell_type": "code", "source": ["print(sitter)"], "metadata": {},
                   "execution_count": 1,
                   "outputs": [{"output_type": "stream", "name": "stdout", "text": [text]}]}],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    return make_bundle(tmp_path / "bundle", {
        "aiart-release.yaml": "release: open\ncommercial: false\n",
        "LICENSE": "MIT License\n\nCopyright (c) 2024 Studio\n\nPermission is hereby granted, "
                   "free of charge, to any person obtaining a copy of this software\n",
        "data/captions.csv": (
            f"file,caption,{HEADER_NAME},{HEADER_EMAIL},{LOWER_HEADER}\n"
            f"images/a.png,a fox in snow,{CELL_PHONE},write to {CELL_EMAIL},+44 20 7946 0331\n"
            f"images/b.png,a heron,{CELL_PHONE[:-1]}2,write to {CELL_EMAIL},+44 20 7946 0332\n"),
        "data/captions.json": json.dumps({f"{MAP_KEY}.jpg": "portrait, call 020 7946 0777",
                                          "b.jpg": "a lake at dawn"}),
        f"data/images/{FILE_NAME}.txt": f"portrait of the sitter, mail {FILE_EMAIL}\n",
        f"data/images/{LOWER_FILE}.txt": "portrait, call +44 20 7946 0555 to book\n",
        f"data/images/{FILE_NAME}.png": _png_with_text("Author", f"{IMAGE_AUTHOR} {IMAGE_EMAIL}"),
        f"data/{FOLDER_EMAIL}/notes.txt": f"session notes: call {FOLDER_PHONE}\n",
        "data/meta.yaml": f"{YAML_KEY}: [unclosed\n  - x: {{\n",
        "model/README.md": (
            f"---\nlicense: mit\nbase_model: {BASE_MODEL}\n{CARD_KEY}: maintainer\n"
            "tags: [lora]\n---\n\n# Model\n\nA LoRA.\n\n"
            f"Non-commercial use only, and for questions quote SSN {SSN}, card {CARD_NUMBER}, "
            f"phone {PHONE}.\n"),
        "code/explore.ipynb": _notebook(f"{NOTEBOOK_NAME} {NOTEBOOK_PHONE} {NOTEBOOK_EMAIL}\n"),
        "code/train.py": f'HF_TOKEN = "{HF_TOKEN}"\nprint("training")\n',
    })


def _leaks(text: str) -> list[str]:
    return sorted({form for value in PLANTED for form in _raw_forms(value) if form in text})


def _cache_files() -> list[Path]:
    """The cache's files that hold results (derived/ holds the name
    lexicons built from Faker, which name everyone and no one)."""
    cache = Path(os.environ["AIART_RELEASE_CACHE_DIR"])
    return [p for p in cache.rglob("*") if p.is_file() and "derived" not in p.parts]


def test_no_raw_value_reaches_any_output_or_the_cache(hostile, tmp_path, cli, monkeypatch):
    as_json = cli("assess", hostile, "-f", "json")
    assert as_json.code in (0, 1), as_json.err
    report = as_json.json()
    # The planted data did reach the report, masked: a gate that masks
    # nothing because nothing was found would prove nothing.
    fields = {f["location"].get("field") for f in report["findings"]}
    paths = {f["location"]["path"] for f in report["findings"]}
    assert "S**** E*******.jpg" in fields
    # Two phone columns in one table are one finding; its message names both.
    assert any("`I*** M*****`" in f["message"] and "also in `m**** f********`" in f["message"]
               for f in report["findings"])
    assert {"data/images/T***** K*******.txt", "data/images/p**** s*****.txt"} <= paths
    assert "data/r***********@s*****.example/notes.txt" in paths
    assert any("***-**-****" in f["message"] and "**** **** **** 1111" in f["message"]
               for f in report["findings"] if f["id"] == "license.restriction-outside-license")

    terminal = cli("assess", hostile)
    written = tmp_path / "report.txt"
    to_file = cli("assess", hostile, "-f", "json", "--output", written)
    # The pre-commit entry point checks what is staged: the whole bundle,
    # staged in a repository of its own (no commit yet).
    for args in (["init", "-q"], ["add", "-A"]):
        subprocess.run(["git", *args], cwd=hostile, check=True, capture_output=True)
    monkeypatch.chdir(hostile)
    hook = cli("hook")
    outputs = {"json": as_json.out + as_json.err, "terminal": terminal.out + terminal.err,
               "--output": written.read_text("utf-8") + to_file.out + to_file.err,
               "hook": hook.out + hook.err}
    assert "T***** K*******" in outputs["terminal"] and "T***** K*******" in outputs["hook"]
    for name, text in outputs.items():
        assert _leaks(text) == [], f"raw personal data in the {name} output"
    cached = _cache_files()
    assert cached, "the runs wrote no cache"
    for path in cached:
        assert _leaks(path.read_text("utf-8", errors="replace")) == [], f"raw value in {path}"


def test_the_cached_report_is_the_fresh_one(hostile, cli):
    fresh = cli("assess", hostile, "-f", "json").json()
    again = cli("assess", hostile, "-f", "json").json()
    fresh.pop("timings")
    again.pop("timings")
    assert again == fresh


def test_show_pii_shows_raw_values_and_keeps_the_fingerprints(hostile, cli):
    masked = cli("assess", hostile, "-f", "json", "--no-cache").json()
    shown = cli("assess", hostile, "-f", "json", "--show-pii")
    raw = shown.out
    for value in (HEADER_NAME, MAP_KEY, FILE_NAME, FOLDER_EMAIL, BASE_MODEL, SSN, CARD_NUMBER):
        assert value in raw, value
    assert ({f["fingerprint"] for f in masked["findings"]}
            == {f["fingerprint"] for f in shown.json()["findings"]})


def test_reasons_and_scenarios_are_masked_too(hostile):
    assessment = pipeline.assess(hostile, build_registry(), load_config(hostile), load_policy(),
                                 Options(use_cache=False))
    texts = [assessment.bundle_path, *assessment.errors]
    for decision in assessment.recommendation.artifacts.values():
        texts += [*decision.reasons, *decision.to_lower, decision.retention_reason]
    texts += [json.dumps(s) for s in assessment.scenarios]
    assert any("data/images/T***** K*******.txt" in t for t in texts)  # a reason names the file
    assert _leaks("\n".join(texts)) == []
    assert all(f.matched is None for f in assessment.findings)
    assert "masking" in assessment.timings


# --- the hook ------------------------------------------------------------------

class CodenameMasker:
    """A third-party plugin that masks its client's codenames."""

    @hookimpl
    def aiart_release_register_maskers(self, register):
        def codenames(text):
            start = text.find("Nightingale")
            return [(start, start + len("Nightingale"), "words")] if start >= 0 else []

        register(codenames)


class BrokenMasker:
    @hookimpl
    def aiart_release_register_maskers(self, register):
        register(lambda text: 1 / 0 if HEADER_NAME in text else [])


class NotAMasker:
    @hookimpl
    def aiart_release_register_maskers(self, register):
        register("mask everything")


def _assess(bundle: Path, *plugins: tuple[str, object], show_pii: bool = False):
    registry = build_registry(extra=plugins)
    return pipeline.assess(bundle, registry, load_config(bundle), load_policy(),
                           Options(use_cache=False, show_pii=show_pii))


def test_hook_register_maskers(tmp_path):
    bundle = make_bundle(tmp_path / "b", {
        "data/Nightingale/captions.csv": "file,caption\na.png,write to nobody@nowhere-mail.org\n",
    })
    found = _assess(bundle, ("codenames", CodenameMasker())).findings
    assert found and all("Nightingale" not in f.location.path for f in found)
    assert any(f.location.path.startswith("data/N**********/") for f in found)
    shown = _assess(bundle, ("codenames", CodenameMasker()), show_pii=True).findings
    assert any("Nightingale" in f.location.path for f in shown)


def test_a_masker_that_fails_masks_the_whole_text_and_is_reported(hostile):
    assessment = _assess(hostile, ("broken", BrokenMasker()))
    failed = [f for f in assessment.findings if f.id == "plugin.masker-failed"]
    assert len(failed) == 1 and "'broken'" in failed[0].message
    assert "ZeroDivisionError" in failed[0].message
    assert assessment.plugin_failed  # --strict exits 3 on it
    column = next(f for f in assessment.findings if f.id == "pii.phone-number"
                  and f.location.path == "data/captions.csv")
    assert column.message.startswith("P**** n****** i* c***** `I*** M*****`")  # masked whole
    assert _leaks(json.dumps(assessment.to_dict())) == []


def test_a_masker_that_is_not_callable_is_a_plugin_failure(hostile):
    assessment = _assess(hostile, ("garbage", NotAMasker()))
    failed = [f for f in assessment.findings if f.id == "plugin.load-failed"]
    assert any("'garbage'" in f.message and "register_maskers" in f.message for f in failed)
    assert _leaks(json.dumps(assessment.to_dict())) == []


def test_a_picture_named_after_someone_is_reported_and_masked_everywhere(tmp_path, cli,
                                                                        monkeypatch):
    """``taylor_swift_01.png``: the personal-data check reads an image's file
    name; the name it finds is masked in every path, message and cache file,
    whatever joins its words."""
    import io

    from PIL import Image

    def png():
        out = io.BytesIO()
        Image.new("RGB", (8, 8)).save(out, format="PNG")
        return out.getvalue()

    bundle = make_bundle(tmp_path / "b", {
        "data/taylor_swift_01.png": png(), "data/Emma Watson.png": png(),
        "data/sunset_beach_02.png": png(), "data/house_line.png": png(),
        "data/README.md": "# Portraits\n",
    })
    cache = tmp_path / "cache"
    monkeypatch.setenv("AIART_RELEASE_CACHE_DIR", str(cache))
    result = cli("assess", bundle, "--format", "json")
    names = [f for f in result.json()["findings"] if f["id"] == "pii.person-name"]
    # Two names; sunset_beach_02 and house_line are none.
    assert sorted(f["context"] for f in names) == ["file-name", "file-name"]
    outputs = [result.out, cli("assess", bundle).out]
    outputs += [p.read_text("utf-8", "replace") for p in _cache_files()]
    for text in outputs:
        for raw in ("taylor", "swift", "emma", "watson"):
            assert raw not in text.lower(), raw
