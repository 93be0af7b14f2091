"""The built-in card check (plugins/cards/) and licence-presence check
(plugins/licensing/presence.py), imported as installed:
``aiart_release.default_plugins``.

Placeholder detection is a should-flag / should-not-flag table in the style
of detect-secrets; the rest builds small bundles under tmp_path and runs the
check on the real inventory and facts, as the engine does.
"""

from __future__ import annotations

import pytest
from conftest import EXAMPLES, finding_ids, make_bundle

from aiart_release.bundle import build_inventory
from aiart_release.checks import BundleContext
from aiart_release.config import Config
from aiart_release.default_plugins.cards import Cards, placeholder_lines
from aiart_release.default_plugins.licensing.presence import LicensePresence
from aiart_release.facts import gather_facts
from aiart_release.plugins import build_registry

WEIGHTS = b"\x13\0\0\0\0\0\0\0" + b'{"__metadata__":{}}'
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 16
CARD_META = "---\nlicense: mit\nbase_model: runwayml/stable-diffusion-v1-5\n---\n"


@pytest.fixture(scope="module")
def registry():
    return build_registry()


@pytest.fixture
def scan(tmp_path, registry):
    """Run one bundle check on a bundle made of ``files``; its findings."""

    def run(check, files):
        root = make_bundle(tmp_path / "b", files)
        inventory = build_inventory(root, registry.classify)
        ctx = BundleContext(inventory=inventory, facts=gather_facts(inventory, Config()))
        return list(check.scan_bundle(ctx))

    return run


def by_id(findings, id):
    return [f for f in findings if f.id == id]


# --- placeholder text --------------------------------------------------------

SHOULD_FLAG = [
    "[More Information Needed]",
    "- **Developed by:** [More Information Needed]",
    "[more information needed]",
    "{{ model_id }}",
    "{{model_id | default('my model')}}",
    "{{ card_data.license }}",
    "{% if datasets %}",
    "TODO",
    "TODO: describe the training data",
    "Stated: TBD.",
    "(TODO)",
    "FIXME later",
    "TKTK",
    "Lorem ipsum dolor sit amet",
    "lorem ipsum",
    "[Your Name]",
    "[your name here]",
    "<insert link to paper>",
    "[Add a description]",
    "[Enter the licence]",
]

SHOULD_NOT_FLAG = [
    "todo list app",  # lowercase: a word, not a marker
    "a Todo",
    "TODOs",
    "TODO_LIST",
    "MY-TODO",
    "TBD-ish",
    "SATBD",
    "PHOTODOCUMENTATION",
    "Catholic iconography",
    "portrait of a woman",
    "We needed more information about the sitters.",
    "{ model_id }",  # one brace: not Jinja
    "{{}}",
    "the template says {{",
    "[your]",
    "Insert the SD card and add your photos",
    "Lorem and Ipsum are my cats",
    "",
]


@pytest.mark.parametrize("line", SHOULD_FLAG)
def test_placeholder_is_flagged(line):
    assert placeholder_lines(line) == [(1, "")]


@pytest.mark.parametrize("line", SHOULD_NOT_FLAG)
def test_ordinary_prose_is_not_flagged(line):
    assert placeholder_lines(line) == []


@pytest.mark.parametrize("text", [
    "```\nTODO\n[More Information Needed]\n```",
    "```python\nprompt = '{{ subject }} in ink wash'  # TODO\n```",
    "~~~\nTBD\n~~~",
    "   ```\nTODO\n   ```",  # up to three spaces of indent still make a fence
    "<!-- TODO -->",
    "<!-- [More Information Needed] --> a real answer",
    "<!--\nTODO: fill this in\n[More Information Needed]\n-->",
    "<!-- starts here\nTODO\nends here -->",
    "<!-- one --> fine <!-- two TODO -->",
])
def test_placeholders_in_code_fences_and_comments_are_not_flagged(text):
    assert placeholder_lines(text) == []


def test_text_after_a_comment_or_fence_closes_is_flagged_with_its_line():
    text = "\n".join([
        "# Card",                      # 1
        "```",                         # 2
        "TODO inside code",            # 3
        "```",                         # 4
        "TODO after code",             # 5
        "<!-- a comment",              # 6
        "TODO inside comment",         # 7
        "--> TODO after comment",      # 8
        "<!-- x --> TBD",              # 9
        "text <!-- opens",             # 10
        "-->",                         # 11
        "    ```",                     # 12: four spaces is indented code, not a fence
        "TODO",                        # 13
    ])
    assert [n for n, _ in placeholder_lines(text)] == [5, 8, 9, 13]


def test_line_numbers_start_where_the_caller_says():
    assert placeholder_lines("ok\nTODO", first_line=10) == [(11, "")]


def test_each_hit_is_attributed_to_the_heading_above_it():
    text = "\n".join([
        "TODO before any heading",
        "# Model Card for ink-wash",
        "## Bias, Risks, and Limitations",
        "[More Information Needed]",
        "### Recommendations",
        "[More Information Needed]",
        "## Training Data ##",  # closing hashes are not part of the title
        "Lorem ipsum",
        "## Citation",
        "written by me",
    ])
    # Each hit carries the path of headings above it, outermost first.
    assert placeholder_lines(text) == [
        (1, ""),
        (4, "Model Card for ink-wash > Bias, Risks, and Limitations"),
        (6, "Model Card for ink-wash > Bias, Risks, and Limitations > Recommendations"),
        (8, "Model Card for ink-wash > Training Data")]


# Was a bug (fixed): see git history.
@pytest.mark.parametrize("text, flagged", [
    ("```\n~~~\nTODO\n```\nTODO", [5]),
    ("````md\n```python\nTODO\n```\n````\nTODO", [6]),
])
def test_a_fence_closes_only_with_its_own_kind(text, flagged):
    assert [n for n, _ in placeholder_lines(text)] == flagged


# --- the card check ----------------------------------------------------------

def test_the_hugging_face_template_left_unfilled_is_medium(scan):
    card = CARD_META + "\n".join([
        "# Model Card for ink-wash",               # 5
        "## Uses",                                 # 6
        "### Out-of-Scope Use",                    # 7
        "[More Information Needed]",               # 8
        "## Bias, Risks, and Limitations",         # 9
        "[More Information Needed]",               # 10
        "## Citation",                             # 11
        "[More Information Needed]",               # 12
    ]) + "\n"
    findings = scan(Cards(), {"model/README.md": card, "model/lora.safetensors": WEIGHTS})
    # The unfilled template is also an incomplete card (its completeness
    # figure: tests/test_card_completeness.py).
    assert finding_ids({"findings": [{"id": f.id} for f in findings]}) == [
        "docs.card-incomplete", "docs.card-placeholder"]
    hit = by_id(findings, "docs.card-placeholder")[0]
    assert hit.severity.value == "medium"
    assert (hit.location.path, hit.location.line, hit.location.lines) == (
        "model/README.md", 8, (8, 10, 12))
    assert hit.count == 3
    assert hit.artifact == "model"
    assert hit.checkpoint.value == "publishing"
    assert "unanswered: Out-of-Scope Use, Bias, Risks, and Limitations" in hit.message
    assert hit.evidence == "sections: Out-of-Scope Use, Bias, Risks, and Limitations, Citation"


@pytest.mark.parametrize("heading, severity", [
    ("## Bias, Risks, and Limitations", "medium"),
    ("## Risks", "medium"),
    ("## Limitations", "medium"),
    ("### Training Data", "medium"),
    ("## Uses", "medium"),
    ("### Out-of-Scope Use", "medium"),
    ("### Personal and Sensitive Information", "medium"),
    ("## Consent", "medium"),
    ("## Citation", "low"),
    ("## Model Card Authors", "low"),
    ("## Environmental Impact", "low"),
    ("", "low"),  # before any heading
])
def test_severity_is_medium_only_when_a_key_section_is_unfilled(scan, heading, severity):
    card = CARD_META + f"# Card\n{heading}\nTBD\n"
    findings = scan(Cards(), {"model/README.md": card, "model/lora.safetensors": WEIGHTS})
    (hit,) = by_id(findings, "docs.card-placeholder")
    assert hit.severity.value == severity
    assert ("unanswered" in hit.message) is (severity == "medium")


# Was a bug (fixed): see git history.
def test_an_unfilled_subsection_of_uses_is_medium(scan):
    card = CARD_META + "# Card\n## Uses\n### Direct Use\n[More Information Needed]\n"
    findings = scan(Cards(), {"model/README.md": card, "model/lora.safetensors": WEIGHTS})
    (hit,) = by_id(findings, "docs.card-placeholder")
    assert hit.severity.value == "medium"


def test_evidence_shows_five_sections_and_counts_the_rest(scan):
    body = "".join(f"## Part {i}\nTODO\n" for i in range(7))
    findings = scan(Cards(), {"model/README.md": CARD_META + body,
                              "model/lora.safetensors": WEIGHTS})
    (hit,) = by_id(findings, "docs.card-placeholder")
    assert hit.evidence == "sections: Part 0, Part 1, Part 2, Part 3, Part 4, +2 more"
    assert hit.count == 7


FILLED_SECTIONS = (
    "## Out-of-scope use\nPortraits of real people, and work sold as the artist's own.\n"
    "## Bias, risks and limitations\nIt knows one artist's hand and draws hands badly.\n"
    "## Training data\nForty ink-wash paintings by the author, scanned at home.\n"
    "## Evaluation\nThe author compared a hundred samples with the paintings by eye.\n"
    "## Environmental impact\nTwo hours on one RTX 3060 at home, about 0.1 kg CO2eq.\n")


def test_a_filled_card_has_no_findings(scan):
    card = (CARD_META + "# Ink wash\n## Uses\nMaking ink-wash pictures.\n```\nTODO: example\n```\n"
            + FILLED_SECTIONS)
    assert scan(Cards(), {"model/README.md": card, "model/lora.safetensors": WEIGHTS}) == []


def test_weights_without_a_card_are_model_card_missing(scan):
    findings = scan(Cards(), {"model/lora.safetensors": WEIGHTS, "model/config.json": "{}"})
    (missing,) = findings
    assert missing.id == "docs.model-card-missing"
    assert (missing.severity.value, missing.artifact) == ("medium", "model")
    assert missing.location.path == "model/"
    assert missing.message.startswith("1 model file") and "no model card" in missing.message


def test_weights_at_the_root_without_a_card_point_at_the_root(scan):
    findings = scan(Cards(), {"a.safetensors": WEIGHTS, "b.ckpt": b"PK\3\4"})
    assert [(f.id, f.location.path) for f in findings] == [("docs.model-card-missing", ".")]
    assert findings[0].message.startswith("2 model files")


@pytest.mark.parametrize("files", [
    # README.md beside the weights, even without metadata, is the card...
    {"model/README.md": "# Ink-wash LoRA\n"},
    # ...and so is a card elsewhere, by name or by metadata.
    {"MODEL_CARD.md": "---\nlicense: mit\n---\n# Card\n"},
    {"README.md": "---\nbase_model: x\nlicense: mit\n---\n# Card\n"},
])
def test_a_model_card_anywhere_satisfies_model_card_missing(scan, files):
    findings = scan(Cards(), {"model/lora.safetensors": WEIGHTS, **files})
    assert by_id(findings, "docs.model-card-missing") == []


def test_no_weights_no_model_card_needed(scan):
    assert scan(Cards(), {"code/train.py": "x = 1\n"}) == []


def test_a_dataset_without_a_card_is_dataset_card_missing(scan):
    findings = scan(Cards(), {"data/images/a.png": PNG, "data/images/a.txt": "a crane",
                              "data/captions.csv": "a,b\n"})
    (missing,) = findings
    assert missing.id == "docs.dataset-card-missing"
    assert (missing.severity.value, missing.artifact, missing.checkpoint.value) == (
        "low", "dataset", "dataset")
    assert missing.location.path == "data/"
    assert "dataset of 3 files" in missing.message


@pytest.mark.parametrize("card", [
    {"data/README.md": "---\nlicense: cc0-1.0\ntask_categories: [text-to-image]\n---\n# D\n"},
    {"DATASHEET.md": "# Datasheet\nWho made it...\n"},
])
def test_a_dataset_card_satisfies_dataset_card_missing(scan, card):
    findings = scan(Cards(), {"data/a.png": PNG, **card})
    assert by_id(findings, "docs.dataset-card-missing") == []


def test_broken_front_matter_is_card_metadata_invalid(scan):
    card = "---\nlicense: [mit\nbase_model: x\n---\n# Card\nFilled in.\n"
    findings = scan(Cards(), {"model/README.md": card, "model/lora.safetensors": WEIGHTS})
    (invalid,) = [f for f in findings if f.id != "docs.card-incomplete"]
    assert invalid.id == "docs.card-metadata-invalid"
    assert (invalid.severity.value, invalid.location.path, invalid.location.line) == (
        "medium", "model/README.md", 1)
    assert invalid.message.startswith("Model card metadata cannot be parsed: ")


def test_a_card_without_front_matter_is_card_metadata_missing(scan):
    findings = scan(Cards(), {"model/README.md": "# Ink-wash LoRA\nMy own drawings.\n",
                              "model/lora.safetensors": WEIGHTS})
    (missing,) = [f for f in findings if f.id != "docs.card-incomplete"]
    assert missing.id == "docs.card-metadata-missing"
    assert (missing.severity.value, missing.location.line) == ("low", 1)
    assert missing.message.startswith("Model card has no YAML metadata")


def test_a_dataset_card_without_front_matter_belongs_to_the_dataset_checkpoint(scan):
    findings = scan(Cards(), {"data/a.png": PNG, "DATASHEET.md": "# Datasheet\n"})
    (missing,) = [f for f in findings if f.id != "docs.card-incomplete"]
    assert missing.id == "docs.card-metadata-missing"
    assert missing.checkpoint.value == "dataset"
    assert missing.message.startswith("Dataset card has no YAML metadata")


def test_a_page_that_only_reads_like_a_card_needs_no_metadata(scan):
    # A README or a file named as a card is the card; a page of a data folder
    # found to describe a dataset is documentation, and needs no metadata.
    page = scan(Cards(), {"data/harbours.md": "# The Harbours Subset\n\nThe subset contains "
                                             "2,000 images.\n"})
    assert [f.id for f in page if f.id != "docs.card-incomplete"] == []
    [named] = [f for f in scan(Cards(), {"model-card.md": "# Model Card: Harbour\n"})
               if f.id != "docs.card-incomplete"]
    assert named.id == "docs.card-metadata-missing"


def test_valid_front_matter_gives_no_metadata_finding(scan):
    findings = scan(Cards(), {"model/README.md": CARD_META + "# Card\n" + FILLED_SECTIONS
                              + "## Uses\nMaking ink-wash pictures of harbours.\n",
                              "model/lora.safetensors": WEIGHTS})
    assert findings == []


def test_the_card_check_through_the_cli(cli, tmp_path):
    bundle = make_bundle(tmp_path / "b", {
        "LICENSE": "MIT License\n",
        "model/lora.safetensors": WEIGHTS,
        "model/README.md": CARD_META + "# Card\n## Limitations\n[More Information Needed]\n"
        + "## Uses\nMaking ink-wash pictures of harbours.\n" + FILLED_SECTIONS,
    })
    report = cli("assess", bundle, "-f", "json").json()
    ours = [f for f in report["findings"] if f["check"] == "cards"]
    assert [f["id"] for f in ours] == ["docs.card-placeholder"]  # limitations answered further down
    (hit,) = ours
    assert (hit["check"], hit["severity"], hit["count"]) == ("cards", "medium", 1)
    assert hit["location"] == {"path": "model/README.md", "line": 7, "lines": [7]}


# --- licence presence --------------------------------------------------------

FULL = {
    "model/lora.safetensors": WEIGHTS,
    "code/train.py": "import torch\n",
    "data/images/a.png": PNG,
}


def missing_for(findings) -> list[str]:
    return sorted(f.artifact for f in findings if f.id == "docs.license-missing")


@pytest.mark.parametrize("extra, uncovered", [
    ({}, ["code", "dataset", "model"]),
    # a licence at the root covers every artifact
    ({"LICENSE": "MIT License\n"}, []),
    ({"COPYING": "GNU GPL\n"}, []),
    ({"LICENSE-MIT.txt": "MIT License\n"}, []),
    ({"LICENSES/MIT.txt": "MIT License\n"}, []),  # REUSE: covers its parent, the root
    # a licence in a folder covers only what is in that folder
    ({"model/LICENSE": "OpenRAIL-M\n"}, ["code", "dataset"]),
    ({"model/LICENSES/OpenRAIL-M.txt": "OpenRAIL-M\n"}, ["code", "dataset"]),
    ({"data/LICENSE": "CC-BY-4.0\n"}, ["code", "model"]),
    ({"data/images/LICENSE": "CC-BY-4.0\n"}, ["code", "model"]),
    ({"code/LICENSE": "MIT\n", "data/LICENSE": "CC0\n"}, ["model"]),
    # a licence in an unrelated folder covers nothing
    ({"docs/LICENSE": "MIT License\n"}, ["code", "dataset", "model"]),
    # cards name licences for what they describe
    ({"model/README.md": "---\nlicense: mit\n---\n# Card\n"}, ["code", "dataset"]),
    ({"model/README.md": "---\nlicense: [TODO, openrail-m]\n---\n"}, ["code", "dataset"]),
    ({"model/README.md": "---\nlicense: other\nlicense_name: studio\n---\n"},
     ["code", "dataset"]),
    ({"data/README.md": "---\nlicense: cc-by-4.0\ntask_categories: [text-to-image]\n---\n"},
     ["code", "model"]),
    # placeholders are no licence
    ({"model/README.md": "---\nlicense: TODO\n---\n# Card\n"}, ["code", "dataset", "model"]),
    ({"model/README.md": "---\nlicense: tbd\n---\n"}, ["code", "dataset", "model"]),
    ({"model/README.md": "---\nlicense: ''\n---\n"}, ["code", "dataset", "model"]),
    ({"model/README.md": "---\nlicense:\n---\n"}, ["code", "dataset", "model"]),
    ({"model/README.md": "# Card\nLicensed under MIT.\n"}, ["code", "dataset", "model"]),
    # code: pyproject or SPDX headers
    ({"pyproject.toml": "[project]\nname = 'x'\nlicense = 'MIT'\n"}, ["dataset", "model"]),
    ({"pyproject.toml": "[project]\nname = 'x'\nlicense = {text = 'MIT'}\n"},
     ["dataset", "model"]),
    ({"pyproject.toml": "[project]\nname = 'x'\nclassifiers = "
                        "['License :: OSI Approved :: MIT License']\n"}, ["dataset", "model"]),
    ({"pyproject.toml": "[project]\nname = 'x'\n"}, ["code", "dataset", "model"]),
    ({"pyproject.toml": "[project\nlicense = 'MIT'\n"}, ["code", "dataset", "model"]),
    ({"code/train.py": "# SPDX-License-Identifier: MIT\nimport torch\n"}, ["dataset", "model"]),
    # an SPDX header licenses its own file only: code/train.py still has none
    ({"code/util.py": "// SPDX-License-Identifier: Apache-2.0 OR MIT\n"},
     ["code", "dataset", "model"]),
    # and it does not license the model or the dataset
    ({"model/convert.py": "# SPDX-License-Identifier: MIT\n"}, ["code", "dataset", "model"]),
])
def test_which_artifacts_a_licence_covers(scan, extra, uncovered):
    assert missing_for(scan(LicensePresence(), {**FULL, **extra})) == uncovered


def test_the_missing_licence_finding(scan):
    findings = scan(LicensePresence(), {"model/lora.safetensors": WEIGHTS,
                                        "model/README.md": "# Card\n",
                                        "code/train.py": "x = 1\n"})
    model = next(f for f in findings if f.artifact == "model")
    assert (model.severity.value, model.checkpoint.value) == ("high", "publishing")
    assert model.location.path == "model/"
    assert model.message == "No licence covers the model (2 files)"
    code = next(f for f in findings if f.artifact == "code")
    assert (code.checkpoint.value, code.message) == ("model-code",
                                                     "No licence covers the code (1 file)")


def test_an_empty_licence_file_covers_nothing_and_the_message_says_so(scan):
    findings = scan(LicensePresence(), {"LICENSE": "", "model/lora.safetensors": WEIGHTS})
    (missing,) = findings
    assert missing.artifact == "model"
    assert "(LICENSE is empty)" in missing.message


def test_a_licence_that_is_not_empty_is_enough_to_cover(scan):
    assert scan(LicensePresence(), {"LICENSE": "x", "model/lora.safetensors": WEIGHTS}) == []


def test_the_example_bundles(cli):
    own = cli("assess", EXAMPLES / "own-work", "-f", "json").json()
    assert "docs.license-missing" not in finding_ids(own)
    unlicensed = cli("assess", EXAMPLES / "unlicensed-unfilled", "-f", "json").json()
    assert missing_for_json(unlicensed) == ["code", "dataset", "model"]


def missing_for_json(report) -> list[str]:
    return sorted(f["artifact"] for f in report["findings"] if f["id"] == "docs.license-missing")


# Was a bug (fixed): see git history.
def test_an_empty_spdx_header_is_no_licence(scan):
    findings = scan(LicensePresence(), {
        "code/train.py": "# SPDX-License-Identifier:\nimport torch\n"})
    assert missing_for(findings) == ["code"]


# Was a bug (fixed): see git history.
def test_a_vendored_licence_does_not_cover_the_rest_of_the_code(scan):
    findings = scan(LicensePresence(), {
        "code/train.py": "import torch\n",
        "code/vendor/tinylib/LICENSE": "BSD 3-Clause\n",
        "code/vendor/tinylib/lib.py": "x = 1\n",
    })
    assert missing_for(findings) == ["code"]
