"""Licence identification, consistency and propagation (check `licenses`),
on real licence texts and the example bundles."""

from __future__ import annotations

import pytest
from conftest import EXAMPLES, ROOT, make_bundle

from aiart_release import license_catalog
from aiart_release.default_plugins.licensing.identify import dice, identify_text

APACHE = (ROOT / "LICENSE").read_text()
MIT = (EXAMPLES / "own-work" / "LICENSE").read_text()
GPL3 = (EXAMPLES / "nc-base-lora" / "code" / "vendor" / "colorutil" / "COPYING").read_text()
BSD3 = """Copyright (c) 2021, Jane Example
All rights reserved.

Redistribution and use in source and binary forms, with or without
modification, are permitted provided that the following conditions are met:

1. Redistributions of source code must retain the above copyright notice, this
   list of conditions and the following disclaimer.

2. Redistributions in binary form must reproduce the above copyright notice,
   this list of conditions and the following disclaimer in the documentation
   and/or other materials provided with the distribution.

3. Neither the name of the copyright holder nor the names of its
   contributors may be used to endorse or promote products derived from
   this software without specific prior written permission.

THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS"
AND ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE
IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE ARE
DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT HOLDER OR CONTRIBUTORS BE LIABLE
FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR CONSEQUENTIAL
DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR
SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER
CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY,
OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE
OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.
"""


@pytest.mark.parametrize("text, expected, method", [
    (APACHE, "Apache-2.0", "dice"),
    (MIT, "MIT", "dice"),
    (MIT.replace("2026 The Paper Lanterns Collective", "1999 Someone Else"), "MIT", "dice"),
    (MIT.replace("\n", " ").upper(), "MIT", "dice"),  # case and line breaks do not matter
    (GPL3, "GPL-3.0-only", "dice"),
    (BSD3, "BSD-3-Clause", "dice"),
    ("SPDX-License-Identifier: MIT OR Apache-2.0\n", "MIT OR Apache-2.0", "spdx-identifier"),
    ("# SPDX-License-Identifier: GPL-2.0-or-later\nother words\n", "GPL-2.0-or-later",
     "spdx-identifier"),
    ("CreativeML Open RAIL-M\ndated August 22, 2022\n\nSection I: PREAMBLE\n",
     "LicenseRef-CreativeML-OpenRAIL-M", "phrase"),
    ("LLAMA 2 COMMUNITY LICENSE AGREEMENT\nLlama 2 Version Release Date: July 18, 2023\n",
     "LicenseRef-Llama-2-Community", "phrase"),
    ("These images are licensed under CC BY-NC 4.0.", "CC-BY-NC-4.0", "reference"),
    ("Released under the Creative Commons Attribution-ShareAlike 4.0 International licence",
     "CC-BY-SA-4.0", "reference"),
    ('Licensed under the Apache License, Version 2.0 (the "License")', "Apache-2.0",
     "reference"),
])
def test_identify(text, expected, method):
    found = identify_text(text)
    assert found is not None
    assert (found.license, found.method) == (expected, method)


@pytest.mark.parametrize("text", [
    "All rights reserved. Do not copy.",
    "Ask me before you use these pictures, thanks!",
    "",
])
def test_unknown_texts_are_not_forced_into_a_licence(text):
    assert identify_text(text) is None


def test_bsd2_and_bsd3_are_told_apart():
    bsd2 = BSD3.split("3. Neither")[0] + BSD3[BSD3.index("THIS SOFTWARE"):]
    assert identify_text(bsd2).license == "BSD-2-Clause"
    best = dice(BSD3)
    assert best[0][0] == "BSD-3-Clause" and best[0][1] > best[1][1]


@pytest.mark.parametrize("value, expected", [
    ("mit", "MIT"), ("MIT", "MIT"), ("apache-2.0", "Apache-2.0"),
    ("cc-by-nc-4.0", "CC-BY-NC-4.0"), ("openrail++", "LicenseRef-OpenRAIL++-M"),
    ("creativeml-openrail-m", "LicenseRef-CreativeML-OpenRAIL-M"),
    ("llama3.1", "LicenseRef-Llama-3.1-Community"), ("gemma", "LicenseRef-Gemma-Terms"),
    ("bsd", "BSD-3-Clause"), ("gpl-3.0", "GPL-3.0-only"), ("GPL-2.0+", "GPL-2.0-or-later"),
    ("MIT OR Apache-2.0", "MIT OR Apache-2.0"),
    ("other", None), ("unknown", None), ("", None), ("TODO", None),
])
def test_card_values_resolve_like_the_hub_writes_them(value, expected):
    assert license_catalog.resolve(value) == expected


@pytest.mark.parametrize("license_id, commercial, restricted", [
    ("MIT", True, False), ("CC-BY-NC-4.0", False, False),
    ("LicenseRef-CreativeML-OpenRAIL-M", True, True),
    ("LicenseRef-FLUX-1-dev-Non-Commercial", False, True),
    ("LicenseRef-Llama-3.1-Community", "limited", True),
    ("Zlib", True, False),  # from our table
    ("LicenseRef-scancode-llama-2-license-2023", "limited", False),  # from ScanCode's category
])
def test_licence_terms(license_id, commercial, restricted):
    terms = license_catalog.info(license_id)
    assert terms.commercial == commercial and terms.use_restrictions == restricted


@pytest.mark.parametrize("model, license_id", [
    ("stabilityai/stable-diffusion-xl-base-1.0", "LicenseRef-OpenRAIL++-M"),
    ("runwayml/stable-diffusion-v1-5", "LicenseRef-CreativeML-OpenRAIL-M"),
    ("black-forest-labs/FLUX.1-dev", "LicenseRef-FLUX-1-dev-Non-Commercial"),
    ("black-forest-labs/FLUX.1-schnell", "Apache-2.0"),
    ("meta-llama/Llama-3.1-8B-Instruct", "LicenseRef-Llama-3.1-Community"),
    ("someone/my-own-model", None),
])
def test_base_model_licences(model, license_id):
    assert license_catalog.base_model_license(model) == license_id


def _ids(report, prefix="license."):
    return sorted(f["id"] for f in report["findings"]
                  if f["id"].startswith(prefix) and f["id"] != "license.detected")


def test_the_non_commercial_base_model_example(cli):
    result = cli("assess", EXAMPLES / "nc-base-lora", "-f", "json")
    assert result.code == 1
    report = result.json()
    assert _ids(report) == ["license.noncommercial-conflict", "license.noncommercial-conflict",
                            "license.permissive-relicense", "license.rail-restrictions-missing",
                            "license.restriction-outside-license"]
    # One conflict from the base model (critical), one from a CC BY-NC item of
    # the dataset manifest (high).
    conflicts = {f["location"]["path"]: f for f in report["findings"]
                 if f["id"] == "license.noncommercial-conflict"}
    assert conflicts["data/sources.csv"]["severity"] == "high"
    assert conflicts["data/sources.csv"]["location"]["row"] == 3
    conflict = conflicts["model/README.md"]
    assert conflict["severity"] == "critical" and "FLUX.1-dev" in conflict["message"]
    relicense = next(f for f in report["findings"] if f["id"] == "license.permissive-relicense")
    assert relicense["location"]["path"] == "code/vendor/colorutil/COPYING"
    outside = next(f for f in report["findings"]
                   if f["id"] == "license.restriction-outside-license")
    assert outside["location"] == {"path": "model/README.md", "line": 18}
    assert "credit" in outside["evidence"]
    rec = report["recommendation"]["artifacts"]
    assert rec["model"]["tier"] == "gated" and rec["code"]["tier"] == "gated"
    assert any("noncommercial-conflict" in r for r in rec["model"]["reasons"])


def test_the_same_release_declared_non_commercial_has_no_conflict(cli, tmp_path):
    import shutil

    bundle = tmp_path / "b"
    shutil.copytree(EXAMPLES / "nc-base-lora", bundle)
    (bundle / "aiart-release.yaml").write_text("release: gated\ncommercial: false\n")
    report = cli("assess", bundle, "-f", "json").json()
    assert "license.noncommercial-conflict" not in _ids(report)
    assert "license.rail-restrictions-missing" in _ids(report)


@pytest.mark.parametrize("files, expected", [
    # card and licence file disagree
    ({"LICENSE": MIT, "model/README.md": "---\nlicense: cc-by-4.0\n---\n# m\n"},
     ["license.card-mismatch"]),
    ({"LICENSE": MIT, "model/README.md": "---\nlicense: llama3.1\n---\n# Llama-3.1-x\n"
      "Built with Llama\n"}, ["license.card-mismatch"]),
    # they agree
    ({"LICENSE": MIT, "model/README.md": "---\nlicense: mit\n---\n# m\n"}, []),
    # other without a name and link
    ({"LICENSE": MIT, "model/README.md": "---\nlicense: other\n---\n# m\n"},
     ["license.other-incomplete"]),
    ({"LICENSE": MIT, "model/README.md": "---\nlicense: other\nlicense_name: studio\n"
      "license_link: LICENSE\n---\n# m\n"}, []),
    # a licence file no one can identify
    ({"LICENSE": "Ask me before you use these pictures, thanks!\n"},
     ["license.unidentified"]),
    # (the code's licence in its own folder: a root LICENSE would cover the
    # model and data too, and disagree with their cards)
    # non-commercial data in a commercial release
    ({"code/LICENSE": MIT, "aiart-release.yaml": "commercial: true\n",
      "data/README.md": "---\nlicense: cc-by-nc-4.0\ntask_categories: [text-to-image]\n---\n",
      "data/a.png": b"\x89PNG\r\n\x1a\n"}, ["license.noncommercial-conflict"]),
    # a Llama 3.1 derivative without its notice and name
    ({"code/LICENSE": MIT, "model/README.md": "---\nlicense: llama3.1\n"
      "base_model: meta-llama/Llama-3.1-8B\n---\n# Poet 8B\nA poetry model.\n"},
     ["license.llama-obligations"]),
    ({"code/LICENSE": MIT, "model/README.md": "---\nlicense: llama3.1\n"
      "base_model: meta-llama/Llama-3.1-8B\n---\n# Llama-3.1-Poet\nBuilt with Llama.\n"}, []),
    # an unknown base model
    ({"LICENSE": MIT, "model/README.md": "---\nlicense: mit\nbase_model: me/base\n---\n# m\n"},
     ["license.base-model-unknown"]),
    # restrictions written next to a permissive licence
    ({"LICENSE": MIT, "README.md": "# Pack\nFree brushes. Do not sell them, personal use "
      "only.\n"}, ["license.restriction-outside-license"]),
    ({"LICENSE": MIT, "README.md": "# Pack\nMIT licensed: keep the notice.\n"}, []),
    # the same sentence under a licence that has the restriction is fine
    ({"LICENSE": "Licensed under CC BY-NC 4.0.\n",
      "README.md": "# Pack\nNon-commercial use only.\n"}, []),
])
def test_consistency_and_propagation(cli, tmp_path, files, expected):
    bundle = make_bundle(tmp_path / "b", {"model/w.safetensors": (2).to_bytes(8, "little")
                                          + b"{}", **files})
    report = cli("assess", bundle, "-f", "json").json()
    assert _ids(report) == expected


def test_facts_name_the_licences_of_each_artifact(tmp_path):
    from aiart_release.bundle import build_inventory
    from aiart_release.checks import BundleContext
    from aiart_release.config import Config
    from aiart_release.default_plugins.licensing.check import Licenses
    from aiart_release.facts import gather_facts
    from aiart_release.plugins import build_registry

    bundle = EXAMPLES / "nc-base-lora"
    registry = build_registry()
    inventory = build_inventory(bundle, registry.classify)
    facts = gather_facts(inventory, Config(commercial=True))
    ctx = BundleContext(inventory=inventory, facts=facts)
    list(Licenses().scan_bundle(ctx))
    assert ctx.provided["license_of"]["model"] == ["MIT"]
    assert ctx.provided["license_of"]["code"] == ["GPL-3.0-only", "MIT"]
    assert "GPL-3.0-only" in ctx.provided["licenses"]


def test_the_license_index_ships_with_the_package():
    from aiart_release.default_plugins.licensing.identify import _index

    index = _index()
    assert len(index.sets) >= 700
    assert {"MIT", "Apache-2.0", "CC-BY-NC-4.0", "GPL-3.0-only"} <= set(index.sets)


@pytest.mark.parametrize(("head", "value", "states_one"), [
    (b"# SPDX-License-Identifier: MIT\nimport os\n", "MIT", True),
    (b"/* SPDX-License-Identifier: Apache-2.0 */\n", "Apache-2.0", True),
    (b"<!-- SPDX-License-Identifier: CC-BY-4.0 -->\n", "CC-BY-4.0", True),
    (b"# SPDX-License-Identifier:   \n", "", False),
    (b"import os\n", None, False),
    (b"\n" * 5000 + b"# SPDX-License-Identifier: MIT\n", None, False),  # not a header
])
def test_one_spdx_header_reader_for_both_licence_checks(head, value, states_one):
    from aiart_release.spdx import has_spdx_identifier, spdx_identifier

    assert spdx_identifier(head) == value
    assert has_spdx_identifier(head) is states_one


def test_vendored_folders_are_one_list_for_inventory_licences_and_credits():
    from aiart_release.origin import VENDOR_DIRS, is_vendored, vendor_dir_index

    assert {"vendor", "third_party", "node_modules", "extern", "_vendor"} <= VENDOR_DIRS
    assert is_vendored("src/Third_Party/lib/a.py") and not is_vendored("src/vendor.py")
    assert vendor_dir_index("src/lib/vendor/x/a.py") == 2


# --- GGUF metadata: general.license and general.base_model.* ----------------------

def _gguf(license_id: str | None = None, base_url: str | None = None,
          name: str = "Tiny") -> bytes:
    from model_samples import gguf_bytes

    values: dict[str, object] = {"general.name": name}
    if license_id:
        values["general.license"] = license_id
    if base_url:
        values.update({"general.base_model.count": 1,
                       "general.base_model.0.repo_url": base_url})
    return gguf_bytes(values)


FLUX_DEV = "https://huggingface.co/black-forest-labs/FLUX.1-dev"
LLAMA = "https://huggingface.co/meta-llama/Llama-3.1-8B"


@pytest.mark.parametrize("files, expected", [
    # the GGUF file's licence against the licence file that covers it
    ({"LICENSE": MIT, "model/m.gguf": _gguf("apache-2.0")}, [("license.gguf-mismatch",
                                                             "model/m.gguf")]),
    ({"LICENSE": MIT, "model/m.gguf": _gguf("mit")}, []),
    # ... and against the model card: it agrees with neither
    ({"code/LICENSE": MIT, "model/README.md": "---\nlicense: mit\n---\n# m\n",
      "model/m.gguf": _gguf("cc-by-nc-4.0")}, [("license.gguf-mismatch", "model/m.gguf")]),
    # it agrees with the licence file; the card is the odd one out
    ({"LICENSE": MIT, "model/README.md": "---\nlicense: cc-by-4.0\n---\n# m\n",
      "model/m.gguf": _gguf("mit")}, [("license.card-mismatch", "model/README.md")]),
    # a non-commercial GGUF licence in a release declared commercial
    ({"LICENSE": "Licensed under CC BY-NC 4.0.\n", "aiart-release.yaml": "commercial: true\n",
      "model/m.gguf": _gguf("cc-by-nc-4.0")},
     [("license.noncommercial-conflict", "LICENSE"),
      ("license.noncommercial-conflict", "model/m.gguf")]),
    # the base model a GGUF file names, as a card's base_model
    ({"LICENSE": MIT, "aiart-release.yaml": "commercial: true\n",
      "model/m.gguf": _gguf("mit", FLUX_DEV)},
     [("license.noncommercial-conflict", "model/m.gguf"),
      ("license.rail-restrictions-missing", "model/m.gguf")]),
    ({"LICENSE": MIT, "model/m.gguf": _gguf("mit", "https://huggingface.co/me/base")},
     [("license.base-model-unknown", "model/m.gguf")]),
    ({"code/LICENSE": MIT, "model/m.gguf": _gguf("llama3.1", LLAMA, name="Poet 8B")},
     [("license.llama-obligations", "model/m.gguf")]),
    ({"code/LICENSE": MIT, "model/m.gguf": _gguf("llama3.1", LLAMA, name="Llama-3.1-Poet"),
      "model/README.md": "---\nlicense: llama3.1\n---\n# Llama-3.1-Poet\nBuilt with Llama.\n"},
     []),
    # a card that names the same base model: one finding, the card's
    ({"code/LICENSE": MIT, "model/m.gguf": _gguf("llama3.1", LLAMA, name="Poet 8B"),
      "model/README.md": "---\nlicense: llama3.1\nbase_model: meta-llama/Llama-3.1-8B\n---\n"
                         "# Poet 8B\n"}, [("license.llama-obligations", "model/README.md")]),
])
def test_a_gguf_files_metadata_declares_a_licence_and_a_base_model(cli, tmp_path, files,
                                                                   expected):
    report = cli("assess", make_bundle(tmp_path / "b", files), "-f", "json").json()
    found = sorted((f["id"], f["location"]["path"]) for f in report["findings"]
                   if f["id"].startswith("license.") and f["id"] != "license.detected")
    assert found == expected


def test_a_gguf_licence_is_stated_for_the_model_and_conflicts_like_a_card(cli, tmp_path):
    files = {"LICENSE": MIT, "model/m.gguf": _gguf("apache-2.0"),
             "aiart-release.yaml": "release: open\n"}
    result = cli("assess", make_bundle(tmp_path / "b", files), "-f", "json")
    report = result.json()
    (mismatch,) = [f for f in report["findings"] if f["id"] == "license.gguf-mismatch"]
    assert mismatch["severity"] == "high" and mismatch["artifact"] == "model"
    assert mismatch["message"] == ("The GGUF metadata declares `general.license: apache-2.0` "
                                   "(Apache-2.0), but LICENSE is MIT")
    detected = [f for f in report["findings"] if f["id"] == "license.detected"
                and f["location"]["path"] == "model/m.gguf"]
    assert detected and "GGUF metadata `general.license: apache-2.0`" in detected[0]["message"]
    # The policy's licence-conflict line gates the model, as for a card.
    model = report["recommendation"]["artifacts"]["model"]
    assert model["tier"] == "gated" and any("license-conflict" in r for r in model["reasons"])
    assert result.code == 1


def test_facts_name_the_gguf_licence_of_the_model(tmp_path):
    from aiart_release.bundle import build_inventory
    from aiart_release.checks import BundleContext
    from aiart_release.config import Config
    from aiart_release.default_plugins.licensing.check import Licenses
    from aiart_release.facts import gather_facts
    from aiart_release.plugins import build_registry

    root = make_bundle(tmp_path / "b", {"code/LICENSE": MIT, "model/m.gguf": _gguf("apache-2.0")})
    inventory = build_inventory(root, build_registry().classify)
    ctx = BundleContext(inventory=inventory, facts=gather_facts(inventory, Config()))
    list(Licenses().scan_bundle(ctx))
    assert ctx.provided["license_of"] == {"code": ["MIT"], "model": ["Apache-2.0"]}
    assert ctx.provided["licenses"] == ["Apache-2.0", "MIT"]


@pytest.mark.parametrize("data", [
    _gguf("mit")[:-3],                                  # cut inside the licence value
    b"GGUF" + (3).to_bytes(4, "little") + (0).to_bytes(8, "little") + (2**40).to_bytes(8,
                                                                                     "little"),
    b"GGUF",
])
def test_a_hostile_gguf_file_gives_the_licence_check_nothing_and_no_crash(cli, tmp_path, data):
    report = cli("assess", make_bundle(tmp_path / "b", {"LICENSE": MIT, "model/m.gguf": data}),
                 "-f", "json").json()
    ids = {f["id"] for f in report["findings"]}
    assert "plugin.check-failed" not in ids and "license.gguf-mismatch" not in ids
    assert any(f["id"] == "bundle.unreadable" and f["location"]["path"] == "model/m.gguf"
               for f in report["findings"])


@pytest.mark.parametrize("reference, expected", [
    ("https://huggingface.co/meta-llama/Llama-3.1-8B", "meta-llama/Llama-3.1-8B"),
    (FLUX_DEV + "/tree/main", "black-forest-labs/FLUX.1-dev"),
    ("hf.co/org/model?x=1", "org/model"),
    ("meta-llama/Llama-3.1-8B", "meta-llama/Llama-3.1-8B"),
    ("https://github.com/org/repo", "https://github.com/org/repo"),
])
def test_base_model_references_become_hub_ids(reference, expected):
    from aiart_release.default_plugins.licensing.sources import hub_id

    assert hub_id(reference) == expected
