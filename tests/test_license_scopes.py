"""Licences on real-shaped material: licence files made of sections, per-folder
licences, item-licence notices, README licence sections, modified standard
texts, the LGPL beside the GPL, cards that restrict what the licence allows,
and licence files that are huge or binary. Every fixture is written here; the
only standard texts used are those the project ships (its own LICENSE, the
example bundles' MIT and GPL-3.0, the BSD-3-Clause of test_licenses, and the
word sequences of the shipped SPDX index)."""

from __future__ import annotations

import os
import time

import pytest
from conftest import EXAMPLES, ROOT, SAFETENSORS, make_bundle
from test_licenses import BSD3

from aiart_release.default_plugins.licensing.identify import original_words
from aiart_release.default_plugins.licensing.sections import parts

APACHE = (ROOT / "LICENSE").read_text()
MIT = (EXAMPLES / "own-work" / "LICENSE").read_text()
GPL3 = (EXAMPLES / "nc-base-lora" / "code" / "vendor" / "colorutil" / "COPYING").read_text()
COMMERCIAL = "commercial: true\n"


def _assess(cli, tmp_path, files: dict) -> list[dict]:
    bundle = make_bundle(tmp_path / "b", {"model/w.safetensors": SAFETENSORS, **files})
    return cli("assess", bundle, "-f", "json", "--no-cache").json()["findings"]


def _of(findings: list[dict], finding_id: str) -> list[dict]:
    return [f for f in findings if f["id"] == finding_id]


# --- 1. a licence file made of sections -------------------------------------

SECTIONED = APACHE + """

## Third-party components

The files in annotator/pose are licensed under CC BY-NC-SA 4.0 (non-commercial use only);
see annotator/pose/NOTICE.md for the authors.
"""


def test_each_section_of_a_licence_file_is_a_licence_with_its_scope(cli, tmp_path):
    findings = _assess(cli, tmp_path, {
        "LICENSE": SECTIONED, "train.py": "print('hi')\n", "annotator/pose/net.py": "x = 1\n",
        "aiart-release.yaml": COMMERCIAL})
    detected = {f["evidence"]: f for f in _of(findings, "license.detected")}
    assert set(detected) == {"Apache-2.0", "CC-BY-NC-SA-4.0"}
    first = next(i for i, line in enumerate(SECTIONED.split("\n"), start=1) if line.strip())
    assert detected["Apache-2.0"]["location"] == {"path": "LICENSE", "line": first}
    section = detected["CC-BY-NC-SA-4.0"]
    assert section["location"]["path"] == "LICENSE"
    assert "CC BY-NC-SA 4.0" in SECTIONED.split("\n")[section["location"]["line"] - 1]
    assert "annotator/pose/" in section["message"]
    conflicts = _of(findings, "license.noncommercial-conflict")
    assert len(conflicts) == 1
    assert conflicts[0]["location"]["path"] == "LICENSE"  # never "."
    assert "annotator/pose/" in conflicts[0]["message"]
    assert "CC-BY-NC-SA-4.0" in conflicts[0]["message"]
    assert conflicts[0]["context"] == section["context"] == "license-text"
    # The appended section is another licence, not a change to the Apache text.
    assert not _of(findings, "license.modified")


def test_without_commercial_intent_the_section_is_only_reported(cli, tmp_path):
    findings = _assess(cli, tmp_path, {"LICENSE": SECTIONED, "annotator/pose/net.py": "x\n"})
    assert not _of(findings, "license.noncommercial-conflict")
    assert len(_of(findings, "license.detected")) == 2


def test_a_title_starts_the_next_licence_in_a_concatenated_file():
    text = MIT + "\n\n" + APACHE
    found = parts(text)
    assert [(p.license, p.role) for p in found] == [("MIT", "main"), ("Apache-2.0", "main")]
    assert text.split("\n")[found[1].line - 1].strip() == "Apache License"


@pytest.mark.parametrize("text, expected", [
    ("Code in this repository is licensed under the MIT License.\n", [("MIT", "main")]),
    ("Third-party notices\n\nThe parser is licensed under the MIT License.\n",
     [("MIT", "part")]),
    ("The files in vendor/pose are under CC BY-NC 4.0.\n", [("CC-BY-NC-4.0", "part")]),
    ("This project is released under the MIT License, except the files in vendor/pose, "
     "which are under CC BY-NC 4.0.\n", [("MIT", "main"), ("CC-BY-NC-4.0", "part")]),
])
def test_the_first_paragraph_is_the_main_licence_unless_it_names_a_part(text, expected):
    found = parts(text, frozenset({"vendor", "vendor/pose"}))
    assert [(p.license, p.role) for p in found] == expected


@pytest.mark.parametrize("text", [APACHE, MIT, GPL3, BSD3])
def test_a_standard_text_stays_one_licence(text):
    found = parts(text)
    assert len(found) == 1 and found[0].role == "main" and not found[0].changes


# --- 2. per-folder licence files ---------------------------------------------

OWN_NC = """Pose Estimator Licence Agreement

You may use, copy and modify this software for non-commercial research purposes
only. Any other use needs a written licence from the authors.
"""


def test_a_licence_in_a_subfolder_covers_that_folder(cli, tmp_path):
    findings = _assess(cli, tmp_path, {
        "LICENSE": MIT, "app.py": "x = 1\n", "annotator/pose/LICENSE": OWN_NC,
        "annotator/pose/net.py": "x = 2\n", "aiart-release.yaml": COMMERCIAL})
    conflicts = _of(findings, "license.noncommercial-conflict")
    assert [c["location"]["path"] for c in conflicts] == ["annotator/pose/LICENSE"]
    assert "annotator/pose/" in conflicts[0]["message"]
    assert "non-commercial research purposes" in conflicts[0]["message"]
    assert not _of(findings, "license.unidentified")  # a licence of its own, identified
    root = next(f for f in _of(findings, "license.detected") if f["location"]["path"] == "LICENSE")
    assert root["message"].startswith("MIT (")  # the root licence covers the rest


def test_the_nearest_folder_licence_is_in_force(tmp_path):
    from aiart_release.bundle import build_inventory
    from aiart_release.checks import BundleContext
    from aiart_release.config import Config
    from aiart_release.default_plugins.licensing.check import Licenses
    from aiart_release.facts import gather_facts
    from aiart_release.plugins import build_registry

    bundle = make_bundle(tmp_path / "b", {
        "LICENSE": MIT, "train.py": "x\n", "data/LICENSE": "Licensed under CC BY-NC 4.0.\n",
        "data/a.png": b"\x89PNG\r\n\x1a\n", "data/b.png": b"\x89PNG\r\n\x1a\n"})
    inventory = build_inventory(bundle, build_registry().classify)
    facts = gather_facts(inventory, Config())
    ctx = BundleContext(inventory=inventory, facts=facts)
    list(Licenses().scan_bundle(ctx))
    assert ctx.provided["license_of"]["dataset"] == ["CC-BY-NC-4.0"]  # not the root MIT
    assert ctx.provided["license_of"]["code"] == ["MIT"]


def test_a_suffixed_licence_beside_the_main_one_is_a_part(cli, tmp_path):
    findings = _assess(cli, tmp_path, {
        "LICENSE": MIT, "LICENSE-POSE": OWN_NC, "app.py": "x\n",
        "aiart-release.yaml": COMMERCIAL})
    conflict, = _of(findings, "license.noncommercial-conflict")
    assert conflict["location"]["path"] == "LICENSE-POSE" and "POSE" in conflict["message"]


def test_a_suffixed_licence_covers_what_is_named_like_the_part(cli, tmp_path):
    findings = _assess(cli, tmp_path, {
        "LICENSE": MIT, "LICENSE-SKETCH": BSD3, "sketch/net.py": "x\n", "app.py": "x\n"})
    part = next(f for f in _of(findings, "license.detected")
                if f["location"]["path"] == "LICENSE-SKETCH")
    assert part["message"].startswith("BSD-3-Clause for sketch/ ")


def test_source_headers_that_name_a_part_licence_give_its_folder(cli, tmp_path):
    findings = _assess(cli, tmp_path, {
        "LICENSE": MIT, "LICENSE-POSE": "Pose kernels\n\nLicensed under CC BY-NC 4.0.\n",
        "kernels/pose.cu": "// This file is made available under CC BY-NC 4.0.\nint x;\n",
        "kernels/pose2.cu": "// Licensed under CC BY-NC 4.0.\nint y;\n",
        "app.py": "x\n", "aiart-release.yaml": COMMERCIAL})
    conflict, = _of(findings, "license.noncommercial-conflict")  # once, not once per file
    assert conflict["location"]["path"] == "LICENSE-POSE"
    assert "kernels/" in conflict["message"]


def test_a_licence_in_source_file_comments_is_found_once(cli, tmp_path):
    header = ("# Copyright (c) 2021, Example Labs. All rights reserved.\n"
              "# NVIDIA Source Code License for the kernels below\n# (terms follow)\n")
    findings = _assess(cli, tmp_path, {
        "LICENSE": MIT, "ops/a.py": header + "x = 1\n", "ops/b.py": header + "y = 2\n",
        "ops/c.py": 'TEMPLATE = "NVIDIA Source Code License for"\n',  # not a comment
        "aiart-release.yaml": COMMERCIAL})
    detected = {f["location"]["path"] for f in _of(findings, "license.detected")
                if f["evidence"] == "LicenseRef-NVIDIA-Source-Code-NC"}
    assert detected == {"ops/a.py", "ops/b.py"}
    conflict, = _of(findings, "license.noncommercial-conflict")
    assert conflict["context"] == "code-comment"
    assert conflict["location"] == {"path": "ops/a.py", "line": 2}
    assert "1 more file" in conflict["message"]


BSD2 = BSD3.split("3. Neither")[0] + BSD3[BSD3.index("THIS SOFTWARE"):]


def test_a_third_party_notice_around_a_component_licence():
    text = (OWN_NC + "\n\nTHIRD-PARTY SOFTWARE NOTICES\n\nThis project includes the "
            "component below under its own terms.\n\n1. Lantern kernels, version 2\n\n"
            + BSD2 + "\n\nCONTRIBUTIONS\n\nContributors keep the copyright of their "
            "changes; the history of the repository records who wrote what.\n")
    found = parts(text)
    assert [(p.license, p.role) for p in found] == [
        ("LicenseRef-Custom-Non-Commercial", "main"), ("BSD-2-Clause", "part")]
    assert found[1].scope == "THIRD-PARTY SOFTWARE NOTICES" and found[1].method == "contains"


# --- 4. a notice of item licences is not the dataset's licence ---------------

ITEMS = "Sources of the images\n\n" + "".join(
    f"img_{i:02d}.jpg: https://photos.example.org/p/{1000 + i} "
    f"({'CC0 1.0' if i % 2 else 'CC BY 4.0'})\n" for i in range(14))


def test_an_item_notice_does_not_replace_the_dataset_licence(cli, tmp_path):
    findings = _assess(cli, tmp_path, {
        "data/NOTICE": ITEMS, "data/img_00.jpg": b"\xff\xd8\xff\xe0",
        "data/README.md": "# Lantern photos\n\nPhotos of paper lanterns.\n\n## License\n\n"
                          "This dataset is released under CC BY-NC-SA 4.0.\n",
        "LICENSE": MIT, "aiart-release.yaml": COMMERCIAL})
    items = [f for f in _of(findings, "license.detected") if f["location"]["path"] == "data/NOTICE"]
    assert {f["evidence"] for f in items} == {"CC0-1.0", "CC-BY-4.0"}
    assert all("not the licence of the collection" in f["message"] for f in items)
    conflict, = _of(findings, "license.noncommercial-conflict")
    assert conflict["location"] == {"path": "data/README.md", "line": 7}
    assert "CC-BY-NC-SA-4.0" in conflict["message"]


def test_a_text_file_named_for_licences_is_read_as_an_item_notice(cli, tmp_path):
    notice = ("Where the photos come from\n\n" + "".join(
        f"lantern_{i:02d}: https://photos.example.org/p/{2000 + i}\n" for i in range(12))
        + "\nAll of them: Unsplash grants you an irrevocable licence to use them.\n")
    findings = _assess(cli, tmp_path, {
        "data/sources_and_licenses.txt": notice, "data/lantern_00.jpg": b"\xff\xd8\xff\xe0",
        "data/README.md": "# Lanterns\n\n## License\n\nCC BY-NC 4.0\n",
        "aiart-release.yaml": COMMERCIAL})
    item, = [f for f in _of(findings, "license.detected")
             if f["location"]["path"] == "data/sources_and_licenses.txt"]
    assert item["evidence"] == "LicenseRef-Unsplash" and "items named" in item["message"]
    assert item["location"]["line"] == 16
    conflict, = _of(findings, "license.noncommercial-conflict")
    assert conflict["location"]["path"] == "data/README.md"


def test_a_notice_with_source_and_collection_licences(cli, tmp_path):
    notice = ("Lantern faces is a set of faces cropped from paintings.\n\n"
              "The source images are made available under CC0 1.0 by the museum that holds\n"
              "them. The dataset itself (crops, metadata and documentation) is made available\n"
              "under Creative Commons BY-NC 4.0 by the studio.\n")
    findings = _assess(cli, tmp_path, {"LICENSE.txt": notice, "img/a.png": b"\x89PNG\r\n\x1a\n",
                                       "aiart-release.yaml": COMMERCIAL})
    conflict, = _of(findings, "license.noncommercial-conflict")
    assert conflict["location"] == {"path": "LICENSE.txt", "line": 5}
    cc0 = next(f for f in _of(findings, "license.detected") if f["evidence"] == "CC0-1.0")
    assert "items named" in cc0["message"]


# --- 5. a licence named only in a README ---------------------------------------

@pytest.mark.parametrize("readme, expected, line", [
    ("# Brushes\n\nInk brushes.\n\n## License\n\nMIT\n", "MIT", 7),
    ("# Brushes\n\nThis project is released under the Apache 2.0 license.\n", "Apache-2.0", 3),
    ("# Brushes\n\nLicense\n-------\n\nLicensed under the MIT License.\n", "MIT", 6),
])
def test_a_licence_named_in_a_readme_counts(cli, tmp_path, readme, expected, line):
    findings = _assess(cli, tmp_path, {"README.md": readme, "brush.py": "x = 1\n"})
    detected, = _of(findings, "license.detected")
    assert detected["evidence"] == expected
    assert detected["location"] == {"path": "README.md", "line": line}
    assert "named in README.md" in detected["message"] and detected["context"] == "prose"
    assert not _of(findings, "docs.license-missing")


def test_a_licence_of_its_own_that_allows_any_use(cli, tmp_path):
    own = ("The photos may be freely used for any purpose; a credit to the studio is\n"
           "welcome. They are provided as is, without warranty.\n")
    findings = _assess(cli, tmp_path, {"LICENSE": own, "aiart-release.yaml": COMMERCIAL})
    detected, = _of(findings, "license.detected")
    assert detected["evidence"] == "LicenseRef-Custom-Permissive"
    assert not _of(findings, "license.unidentified")
    assert not _of(findings, "license.noncommercial-conflict")


def test_a_readme_in_a_folder_names_the_licence_of_that_folder(cli, tmp_path):
    findings = _assess(cli, tmp_path, {
        "LICENSE": MIT, "app.py": "x\n", "samples/a.jpg": b"\xff\xd8\xff\xe0",
        "samples/README.md": "All images used under [CC BY 2.0](https://example.org/by2)\n"})
    detected = next(f for f in _of(findings, "license.detected")
                    if f["location"]["path"] == "samples/README.md")
    assert detected["evidence"] == "CC-BY-2.0" and "for samples/" in detected["message"]


def test_a_readme_sentence_about_the_base_models_licence_is_not_the_licence(cli, tmp_path):
    readme = ("# Lantern LoRA\n\nFine-tuned from a base model which is licensed under the "
              "Apache 2.0 license.\n")
    findings = _assess(cli, tmp_path, {"README.md": readme, "train.py": "x\n"})
    assert not _of(findings, "license.detected")
    assert _of(findings, "docs.license-missing")


def test_banners_of_bundled_scripts_and_style_sheets():
    from aiart_release.default_plugins.licensing.sources import _header_notice

    assert _header_notice("/*! widget.io v1.2 | MIT License | example.org */.a{b:c}") == \
        ("MIT", 1)
    assert _header_notice("/*!\n * Icons kit 5\n * License - (Icons: CC BY 4.0, Code: MIT "
                          "License)\n */\n") == ("CC-BY-4.0", 3)
    assert _header_notice("/**\n * @license Apache-2.0\n */\n") == ("Apache-2.0", 2)
    assert _header_notice('x = "licensed under the MIT License"\n') is None  # not a comment


def test_a_readme_without_a_licence_leaves_the_licence_missing(cli, tmp_path):
    findings = _assess(cli, tmp_path, {"README.md": "# Brushes\n\n## Licence\n\nAsk me.\n",
                                       "brush.py": "x = 1\n"})
    assert _of(findings, "docs.license-missing")
    assert not _of(findings, "license.detected")


# --- 6. modified standard texts ----------------------------------------------

PATENT = ("4. Subject to these conditions, each contributor grants you a perpetual, worldwide "
          "patent license to make, use and sell the software, which terminates if you sue any "
          "contributor for patent infringement.\n\n")
MPL = " ".join(original_words("MPL-2.0") or [])


@pytest.mark.parametrize("text, original, words", [
    (BSD3.replace("THIS SOFTWARE IS PROVIDED", PATENT + "THIS SOFTWARE IS PROVIDED"),
     "BSD-3-Clause", "patent"),
    (MPL.replace("mozilla", "lantern"), "MPL-2.0", "lantern"),
    (APACHE + "\n\nADDITIONAL TERMS\n\nYou may not use the Work or any Derivative Works to "
     "train surveillance or facial recognition systems.\n", "Apache-2.0", "train"),
])
def test_a_modified_licence_is_reported_with_its_difference(cli, tmp_path, text, original,
                                                           words):
    assert MPL  # the index ships the MPL's words
    findings = _assess(cli, tmp_path, {"LICENSE": text, "app.py": "x = 1\n"})
    modified, = _of(findings, "license.modified")
    assert modified["location"]["path"] == "LICENSE"
    assert original in modified["message"] and words in modified["message"]
    detected, = _of(findings, "license.detected")
    assert detected["message"].startswith("a modified ")
    assert detected["evidence"] == f"LicenseRef-Modified-{original}"


def test_terms_added_to_a_permissive_licence_can_forbid_commercial_use(cli, tmp_path):
    text = MIT + "\nCommercial use is not permitted without written permission.\n"
    findings = _assess(cli, tmp_path, {"LICENSE": text, "aiart-release.yaml": COMMERCIAL})
    assert _of(findings, "license.modified")
    assert _of(findings, "license.noncommercial-conflict")


@pytest.mark.parametrize("text", [
    APACHE, MIT, GPL3, BSD3,
    MIT.replace("2026 The Paper Lanterns Collective", "1999 Someone Else"),
    MIT.replace("\n", " "),  # line breaks do not matter
])
def test_standard_texts_are_not_modified(cli, tmp_path, text):
    findings = _assess(cli, tmp_path, {"LICENSE": text, "app.py": "x = 1\n"})
    assert not _of(findings, "license.modified")


# --- 7. LGPL-3.0 and GPL-3.0 ---------------------------------------------------

# The LGPL's own text as COPYING.LESSER holds it: its title, then its terms
# (here the words the index ships, one paragraph).
LGPL_WORDS = original_words("LGPL-3.0-only") or []
LGPL_SHORT = ("GNU LESSER GENERAL PUBLIC LICENSE\nVersion 3, 29 June 2007\n\n"
              + " ".join(LGPL_WORDS[10:]))


def test_the_lgpl_is_told_apart_from_the_gpl_it_builds_on():
    assert " ".join(LGPL_WORDS[:10]) == "gnu lesser general public license version 3 29 june 2007"
    assert [p.license for p in parts(LGPL_SHORT)] == ["LGPL-3.0-only"]
    assert [p.license for p in parts(GPL3)] == ["GPL-3.0-only"]
    # A COPYING.LESSER shipped with the GPL's text is the LGPL.
    assert [p.license for p in parts(LGPL_SHORT + "\n\n" + GPL3)] == ["LGPL-3.0-only"]
    assert [p.license for p in parts(GPL3 + "\n\n" + LGPL_SHORT)] == ["LGPL-3.0-only"]


# --- 8. cards against the licence in force -------------------------------------

@pytest.mark.parametrize("sentence, kind", [
    ("This model is for research purposes only.", "research-only"),
    ("Non-commercial use only.", "commercial-use"),
    ("This model is proprietary and confidential.", "proprietary"),
])
def test_a_card_that_restricts_a_permissive_licence_is_reported(cli, tmp_path, sentence, kind):
    card = f"---\nlicense: mit\n---\n# Lantern LoRA\n\nA LoRA of paper lanterns.\n\n{sentence}\n"
    findings = _assess(cli, tmp_path, {"LICENSE": MIT, "model/README.md": card})
    restriction, = _of(findings, "license.restriction-outside-license")
    assert restriction["location"] == {"path": "model/README.md", "line": 8}
    assert f"({kind})" in restriction["message"] and restriction["context"] == "prose"


def test_a_card_that_declares_a_proprietary_licence_beside_mit(cli, tmp_path):
    card = "---\nlicense: proprietary\n---\n# Lantern LoRA\n\nA LoRA of paper lanterns.\n"
    findings = _assess(cli, tmp_path, {"LICENSE": MIT, "model/README.md": card})
    restriction, = _of(findings, "license.restriction-outside-license")
    assert restriction["location"] == {"path": "model/README.md", "line": 2}
    assert "(proprietary)" in restriction["message"] and "MIT" in restriction["message"]


def test_a_file_named_as_a_model_card_is_read_for_restrictions(cli, tmp_path):
    card = ("# Lantern classifier\n\n## Intended use\n\nThe model is a research output.\n\n"
            "Any deployed use of the model, whether commercial or not, is currently out of "
            "scope.\n")
    findings = _assess(cli, tmp_path, {"LICENSE": MIT, "model-card.md": card, "app.py": "x\n"})
    restriction, = _of(findings, "license.restriction-outside-license")
    assert restriction["location"] == {"path": "model-card.md", "line": 7}
    assert "(out-of-scope use)" in restriction["message"]


def test_a_third_party_folder_licence_is_not_the_one_a_readme_documents(cli, tmp_path):
    findings = _assess(cli, tmp_path, {
        "LICENSE": MIT, "annotator/pose/LICENSE": OWN_NC, "annotator/pose/net.py": "x\n",
        "README.md": "# Lanterns\n\nThe weights are for research purposes only.\n",
        "app.py": "x\n"})
    restriction, = _of(findings, "license.restriction-outside-license")
    assert restriction["location"] == {"path": "README.md", "line": 3}


def test_the_same_sentence_under_a_non_commercial_licence_is_fine(cli, tmp_path):
    card = "---\nlicense: cc-by-nc-4.0\n---\n# Lantern LoRA\n\nNon-commercial use only.\n"
    findings = _assess(cli, tmp_path, {"model/README.md": card})
    assert not _of(findings, "license.restriction-outside-license")


# --- 9. bad input ----------------------------------------------------------------

@pytest.mark.parametrize("name, text", [
    ("terms after a standard text", MIT + "\n" + "".join(
        f"Clause {i}. The licensee keeps record {i} of every copy made.\n\n"
        for i in range(5000))),
    ("a title on every other line", "".join(
        "MIT License\n\n" if i % 2 else "Apache License 2.0\n\n" for i in range(10000))),
    ("a part named on every line", "".join(
        f"Third-party: the files in lib{i}/ are under CC BY 4.0.\n\n" for i in range(5000))),
])
def test_a_licence_file_of_ten_thousand_lines_is_read_in_bounded_time(name, text):
    assert text.count("\n") >= 10000
    started = time.perf_counter()
    found = parts(text)
    assert time.perf_counter() - started < 10, name
    assert found[0].license is not None and len(found) <= 32


def test_a_huge_licence_file_is_a_modified_licence(cli, tmp_path):
    filler = "".join(f"Clause {i}. The licensee keeps record {i} of every copy made.\n\n"
                     for i in range(5000))
    findings = _assess(cli, tmp_path, {"LICENSE": MIT + "\n" + filler, "app.py": "x\n"})
    modified, = _of(findings, "license.modified")
    assert "words more than the standard text" in modified["message"]


def test_a_binary_licence_file_gives_a_clear_finding_and_the_scan_goes_on(cli, tmp_path):
    binary = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40
    findings = _assess(cli, tmp_path, {
        "LICENSE": binary, "README.md": "# Pack\n\nFree brushes. Do not sell them.\n",
        "model/README.md": "---\nlicense: mit\n---\n# m\n"})
    problems = [f for f in findings if f["location"]["path"] == "LICENSE"
                and (f["id"].startswith("bundle.") or f["id"] == "license.unidentified")]
    assert problems, "the binary licence file is reported"
    assert any(f["id"] == "license.detected" for f in findings)  # the card is still read


def test_both_licence_checks_read_a_readme_once(tmp_path, cli, monkeypatch):
    """license-presence and licensing both ask which folders a README's
    licence section covers; the README is read and parsed once per run."""
    from collections import Counter

    from aiart_release.default_plugins.licensing import readme

    bundle = make_bundle(tmp_path / "b", {
        "README.md": "# Lights\n\nPictures of harbours.\n\n## License\n\nMIT\n",
        "src/train.py": "import os\n",
        "data/a.txt": "a harbour at night\n",
    })
    reads: Counter[str] = Counter()
    real = readme.read_text

    def counting(path, *args, **kwargs):
        reads[os.path.basename(path)] += 1
        return real(path, *args, **kwargs)

    monkeypatch.setattr(readme, "read_text", counting)
    result = cli("assess", bundle, "--format", "json", "--no-cache", "-j", "1")
    ids = {f["id"] for f in result.json()["findings"]}
    assert "docs.license-missing" not in ids  # the README's section covered the bundle
    assert reads == {"README.md": 1}
