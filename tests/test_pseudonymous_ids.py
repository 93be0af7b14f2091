"""What a dataset card says its records keep about the people who made them
(plugins/cards/pseudonymous.py), reported by the cards check as
``pii.pseudonymous-ids`` and weighed by the policy's
``pseudonymous-contributors`` line. The cards are written here in the manner
of real prompt and post datasets; none is copied."""

from __future__ import annotations

import pytest
from conftest import make_bundle
from test_people_described import run_cards as run_all_cards

from aiart_release.plugins import build_registry

FRONT = "---\nlicense: cc0-1.0\ntask_categories: [text-to-image]\n---\n"
HASHED = (FRONT + "# Prompt Gallery\n\nImages and the prompts that made them.\n\n"
          "## Data Fields\n\n"
          "|Column|Type|Description|\n|:--|:--|:--|\n"
          "|`image_name`|`string`|Image file name.|\n"
          "|`prompt`|`string`|The text prompt.|\n"
          "|`user_name`|`string`|The SHA256 hash of the chat user id of the user who made "
          "this image. For example, the hash for `pixelfan#4821` is "
          "`3f2a9c0d1e7b6a5f4e3d2c1b0a9f8e7d6c5b4a39281706f5e4d3c2b1a0f9e8d7`.|\n"
          "|`timestamp`|`timestamp`|UTC time when this image was generated.|\n")
HASHED_LINE = 15
CLAIM = ("---\nlicense: cc0-1.0\n---\n# Datasheet\n\n"
         "15. **Is it possible to identify individuals (i.e., one or more natural persons), "
         "either directly or indirectly, from the dataset?** If so, please describe how.\n\n"
         "\tNo.\n")
PLAIN = (FRONT + "# Tile Set\n\nSatellite tiles with captions.\n\n## Data Fields\n\n"
         "| Field | Description |\n|---|---|\n| `image_id` | A unique id of the image |\n"
         "| `caption` | What the image shows |\n| `license` | The image's licence |\n"
         "| `url` | Where it was downloaded |\n| `created_at` | When the tile was rendered |\n\n"
         "## Contact\n\nWrite to the maintainers; our Twitter handle and e-mail address are "
         "on the homepage.\n\n"
         "Is the user id of each uploader kept in the records?\n")


@pytest.fixture(scope="module")
def registry():
    return build_registry()


def run_cards(root, registry):
    found, provided = run_all_cards(root, registry)
    return [f for f in found if f.id == "pii.pseudonymous-ids"], provided


def test_a_card_describing_hashed_user_ids_is_reported_with_its_line(tmp_path, registry):
    root = make_bundle(tmp_path / "b", {"README.md": HASHED, "download.py": "print(1)\n"})
    (hit,), provided = run_cards(root, registry)
    assert (hit.severity.value, hit.artifact, hit.location.path, hit.location.line,
            hit.context) == ("medium", "dataset", "README.md", HASHED_LINE, "prose")
    assert "usernames or handles" in hit.message and "timestamps" in hit.message
    assert "hashed ids are pseudonymous, not anonymous" in hit.message
    assert "Recital 26" in hit.remediation
    # The card's line is quoted; the example handle and hash it gives are masked.
    assert hit.evidence.startswith("“user_name | string | The SHA256 hash")
    assert "pixelfan" not in hit.evidence and "3f2a9c0d" not in hit.evidence
    assert provided["card_pseudonymous_ids"] is True


def test_a_claim_that_nobody_can_be_identified_is_named_beside_it(tmp_path, registry):
    root = make_bundle(tmp_path / "b", {"README.md": HASHED, "datasheet.md": CLAIM})
    (hit,), _ = run_cards(root, registry)
    assert "yet datasheet.md:6 claims the people cannot be identified" in hit.message
    assert "correct the claim" in hit.remediation


@pytest.mark.parametrize(("card", "line", "context"), [
    # dataset_info.features in the card's metadata
    ("---\nlicense: mit\ndataset_info:\n  features:\n  - name: post_text\n    dtype: string\n"
     "  - name: author_id\n    dtype: int64\n  - name: created_utc\n    dtype: int64\n---\n"
     "# Posts\n\nPosts from a forum.\n", 7, "config"),
    # a sentence of the card
    (FRONT + "# Posts\n\nEach record includes the poster's Reddit username and the time "
     "it was posted.\n", 7, "prose"),
    ("# Clicks\n\nThe logs contain the IP addresses of visitors, hashed with MD5.\n",
     3, "prose"),
])
def test_features_and_sentences_that_keep_who_posted(tmp_path, registry, card, line, context):
    root = make_bundle(tmp_path / "b", {"data/DATASET_CARD.md": card})
    (hit,), _ = run_cards(root, registry)
    assert (hit.location.line, hit.context) == (line, context)


def test_a_card_of_image_ids_captions_and_licences_is_not_reported(tmp_path, registry):
    root = make_bundle(tmp_path / "b", {"README.md": PLAIN, "datasheet.md": CLAIM})
    found, provided = run_cards(root, registry)
    assert found == [] and provided["card_pseudonymous_ids"] is False


def test_removal_steps_asking_for_the_readers_own_username_are_not_a_field(tmp_path,
                                                                           registry):
    """FFHQ's privacy section: "Contact us. Please include your Flickr
    username in the email." asks the reader for their own id; it says
    nothing about what the records hold."""
    card = ("# Faces\n\nA dataset of 70,000 photographs.\n\n## Privacy\n\n"
            "To find out whether your photo is included, and to get it removed:\n\n"
            "1. Go to the search page.\n"
            "2. Contact us. Please include your Flickr username in the email.\n"
            "3. You may also send the e-mail address you used on Flickr.\n")
    root = make_bundle(tmp_path / "b", {"README.md": "# faces\n", "data/DATASET_CARD.md": card})
    found, provided = run_cards(root, registry)
    assert found == [] and provided["card_pseudonymous_ids"] is False


def test_a_model_card_is_not_read_for_it(tmp_path, registry):
    card = ("---\nlicense: mit\nbase_model: runwayml/stable-diffusion-v1-5\n---\n# LoRA\n\n"
            "|Column|Description|\n|---|---|\n|`user_id`|The id of the user|\n")
    root = make_bundle(tmp_path / "b", {"model/README.md": card,
                                        "model/lora.safetensors": b"\x13" + b"\0" * 7
                                        + b'{"__metadata__":{}}'})
    found, _ = run_cards(root, registry)
    assert found == []


def test_the_policy_gates_the_dataset_for_a_year(cli, tmp_path):
    root = make_bundle(tmp_path / "b", {"README.md": HASHED, "LICENSE": "CC0 1.0\n"})
    dataset = cli("assess", root, "-f", "json").json()["recommendation"]["artifacts"]["dataset"]
    assert (dataset["tier"], dataset["retention"]) == ("gated", "P1Y")
    assert any("pseudonymous-contributors" in r for r in map(str, dataset["reasons"]))
    plain = make_bundle(tmp_path / "p", {"README.md": PLAIN, "LICENSE": "CC0 1.0\n"})
    artifacts = cli("assess", plain, "-f", "json").json()["recommendation"]["artifacts"]
    reasons = artifacts.get("dataset", {}).get("reasons", [])
    assert not any("pseudonymous-contributors" in r for r in map(str, reasons))


def test_a_hostile_card_is_read_in_bounded_time(tmp_path, registry):
    import time

    lines = ["| user_id | " + "a" * 20000 + " |", "|" * 5000,
             "identify any individuals " + "?" * 3000, "e-mail address of " * 500]
    card = FRONT + "# Big\n\n|Field|Description|\n|---|---|\n" + "\n".join(lines * 10) + "\n"
    root = make_bundle(tmp_path / "b", {"README.md": card})
    started = time.monotonic()
    found, _ = run_cards(root, registry)
    assert time.monotonic() - started < 10  # a backtracking pattern took minutes
    assert found and found[0].location.line == 9
