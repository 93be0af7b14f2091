"""The built-in misuse rules read a release's cards as a reviewer does: a
cue word in a sentence that filters, detects or forbids it raises nothing; an
image editor is a tool for changing photographs of real people; a dataset
whose card says explicit material remains in it is gated. Each case is a
bundle written into tmp_path and assessed end to end."""

from __future__ import annotations

from conftest import SAFETENSORS, make_bundle


def assess(cli, root, files):
    report = cli("assess", make_bundle(root, files), "-f", "json").json()
    return {s["id"]: s for s in report["scenarios"]}, report["recommendation"]["artifacts"]


EDITOR_README = (
    "---\nlicense: mit\npipeline_tag: image-to-image\n---\n"
    "# PhotoEdit\n\n"
    "An instruction-based image editing model, fine-tuned from a public text-to-image model.\n\n"
    "```\npython edit.py --input photo.jpg --edit \"turn him into a cyborg\"\n```\n\n"
    "For the released version we've additionally filtered prompts and images for NSFW "
    "content. After NSFW filtering, the training set contains 451,990 celebrity-free "
    "examples.\n")


def test_an_image_editor_raises_the_real_people_scenario_and_filtered_nsfw_raises_nothing(
        cli, tmp_path):
    files = {"README.md": EDITOR_README, "checkpoints/editor.safetensors": SAFETENSORS}
    scenarios, artifacts = assess(cli, tmp_path / "editor", files)
    deepfake = scenarios["misuse.deepfake-real-people"]
    assert "the card says 'image editing'" in deepfake["because"]
    assert "misuse.non-consensual-intimate-imagery" not in scenarios
    assert "misuse.explicit-material-in-data" not in scenarios
    assert artifacts["model"]["tier"] == "gated"


def test_a_card_that_only_mentions_editing_to_deny_it_raises_nothing(cli, tmp_path):
    files = {"README.md": "# Botanica\n\nA text-to-image model of botanical drawings. "
                          "We do not support inpainting or image editing.\n",
             "checkpoints/model.safetensors": SAFETENSORS}
    scenarios, _ = assess(cli, tmp_path / "botanica", files)
    assert "misuse.deepfake-real-people" not in scenarios


DATASET_CARD = (
    "---\nlicense: cc0-1.0\ntask_categories: [text-to-image]\n---\n"
    "# PromptDB\n\n"
    "Images generated from users' prompts, with research opportunities in understanding "
    "prompts, detecting deepfakes, and designing tools.\n\n"
    "> **Warning**\n"
    "> Although the generator has an NSFW filter that blurs NSFW images, this NSFW filter "
    "is not perfect\u2014PromptDB still contains some NSFW images. Therefore, we compute and "
    "provide the NSFW scores for images and prompts.\n")


def test_a_dataset_card_that_says_nsfw_images_remain_gates_the_dataset(cli, tmp_path):
    files = {"README.md": DATASET_CARD,
             "data/prompts.csv": "prompt,image_nsfw\na lighthouse at dusk,0.01\n"}
    scenarios, artifacts = assess(cli, tmp_path / "promptdb", files)
    explicit = scenarios["misuse.explicit-material-in-data"]
    assert explicit["min_tier"] == {"dataset": "gated"}
    assert [m["mitigation"].split(" (")[0] for m in explicit["in_place"]] == [
        "Keep a score or flag on every item"]
    assert artifacts["dataset"]["tier"] in ("gated", "closed")
    assert any("misuse.explicit-material-in-data" in r for r in artifacts["dataset"]["reasons"])
    # "detecting deepfakes" is what the data is for, not what it enables.
    assert "misuse.deepfake-real-people" not in scenarios


def test_a_dataset_card_that_says_nsfw_images_were_removed_raises_nothing(cli, tmp_path):
    card = DATASET_CARD.split("> **Warning**")[0] + (
        "We removed NSFW images with a classifier, and sexually explicit prompts are "
        "excluded.\n")
    files = {"README.md": card, "data/prompts.csv": "prompt\na lighthouse at dusk\n"}
    scenarios, _ = assess(cli, tmp_path / "clean", files)
    assert "misuse.explicit-material-in-data" not in scenarios
