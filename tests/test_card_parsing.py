"""Card metadata is read the way the Hugging Face Hub reads it: checked
against huggingface_hub on cards rendered from its own template."""

from __future__ import annotations

import pytest
from huggingface_hub import DatasetCard, DatasetCardData, ModelCard, ModelCardData

from aiart_release.facts import parse_card_metadata, split_front_matter
from aiart_release.readers.yamlfile import DataFileError

MODEL_DATA = [
    ModelCardData(license="mit", tags=["lora", "text-to-image"], base_model="org/base"),
    ModelCardData(license="other", license_name="my-licence", license_link="LICENSE.md",
                  datasets=["me/data"], pipeline_tag="text-to-image", language=["en", "fr"]),
    ModelCardData(extra_gated_prompt="Tell us who you are", extra_gated_fields={"Name": "text"}),
]
DATASET_DATA = [
    DatasetCardData(license="cc-by-4.0", task_categories=["text-to-image"],
                    size_categories=["n<1K"], source_datasets=["original"], pretty_name="x"),
]


@pytest.mark.parametrize("data", MODEL_DATA)
def test_model_cards_read_like_the_hub(data):
    text = str(ModelCard.from_template(data, model_id="m"))
    front, body_line = split_front_matter(text)
    assert parse_card_metadata(front, "README.md") == ModelCard(text).data.to_dict()
    assert text.split("\n")[body_line - 1].strip() != "---"


@pytest.mark.parametrize("data", DATASET_DATA)
def test_dataset_cards_read_like_the_hub(data):
    text = str(DatasetCard.from_template(data, pretty_name="x"))
    front, _ = split_front_matter(text)
    assert parse_card_metadata(front, "README.md") == DatasetCard(text).data.to_dict()


def test_no_front_matter():
    assert split_front_matter("# Just a title\n") == (None, 1)
    assert split_front_matter("---\nlicense: mit\n(no closing line)\n") == (None, 1)


@pytest.mark.parametrize("front, where", [
    ("license: [", "README.md:2:"),
    ("license: mit\nlicense: gpl-3.0", "README.md:3:1"),  # the Hub silently keeps the last
    ("- just\n- a list", "README.md:2:1"),
])
def test_bad_front_matter_is_an_error_with_its_line(front, where):
    with pytest.raises(DataFileError) as raised:
        parse_card_metadata(front, "README.md")
    assert raised.value.problems[0].startswith(where)


# --- headings and titles ---------------------------------------------------------

@pytest.mark.parametrize("line, expected", [
    ("# Model Card", (1, "Model Card")),
    ("## Uses ##", (2, "Uses")),
    ("   ### x ###   ", (3, "x")),
    ("# C#", (1, "C#")),            # a closing # needs a space before it
    ("#hashtag", None),
    ("#", None),
    ("####### seven", None),
    ("    # indented code", None),
])
def test_atx_headings(line, expected):
    from aiart_release.default_plugins.cards import atx_heading

    assert atx_heading(line) == expected


def test_headings_and_titles_are_read_in_linear_time():
    # "\s+(.+?)\s*#*\s*$" backtracked cubically on a run of spaces: a title
    # line of 1,200 characters took 2.9 s in the classifier (4,000, its
    # window, about two minutes), and a 10,000-character heading line never
    # finished in 300 s. Read with string methods now.
    import time

    from aiart_release.default_plugins.cards import placeholder_lines
    from aiart_release.default_plugins.file_kinds.cards import title
    from aiart_release.default_plugins.licensing.known_datasets import prose_mentions

    line = "# a" + " " * 20_000 + "b"
    started = time.monotonic()
    assert title(line + "\n") == "a"  # the classifier reads the first 4,000 characters
    assert placeholder_lines((line + "\nTODO\n") * 20)[0] == (2, line[2:])
    assert prose_mentions((line + "\n") * 20) == []
    assert time.monotonic() - started < 10
