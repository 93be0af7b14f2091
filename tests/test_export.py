"""``aiart-release export KIND``: the release card in Markdown and the front
matter of a gated Hugging Face repository, from real bundles through the
command line. The card holds no raw personal data (the people to credit are
named in full in its credits only), the gating YAML has the Hub's documented
keys and field types, and the command never writes into the bundle unless
told to, nor over a file without --force."""

from __future__ import annotations

import re
import shutil

import yaml
from conftest import EXAMPLES, SAFETENSORS, make_bundle, tree_state

# The Hub's documented gating keys and field types:
# https://huggingface.co/docs/hub/models-gated#customize-requested-information
# (datasets: https://huggingface.co/docs/hub/datasets-gated, the same keys).
HUB_GATING_KEYS = {"extra_gated_prompt", "extra_gated_fields", "extra_gated_heading",
                   "extra_gated_button_content"}
HUB_FIELD_TYPES = {"text", "checkbox", "date_picker", "country", "select"}

# The card embeds the credits a plugin gives through aiart_release_credits
# (the provenance plugin's CREDITS.md builder).
EMAIL = "maria.gonzalez@postbox-mail.org"
PHONE = "415-555-0199"
SITTER = "Maria Gonzalez"


def _copy(example: str, tmp_path):
    bundle = tmp_path / example
    shutil.copytree(EXAMPLES / example, bundle)
    return bundle


def _small_bundle(tmp_path):
    """A bundle with no personal data: quick to assess."""
    return make_bundle(tmp_path / "small", {
        "LICENSE": "MIT License\n\nCopyright (c) 2026 Studio\n",
        "code/train.py": "print('train')\n",
    })


def _exported(cli, kind: str, example: str, tmp_path) -> str:
    """Export KIND of a copy of an example bundle to a file; its text."""
    target = tmp_path / f"{kind}.out"
    result = cli("export", kind, _copy(example, tmp_path), "--output", target)
    assert result.code == 0, result.err
    return target.read_text(encoding="utf-8")


def _outside_code(markdown: str) -> str:
    """The card without its inline code spans (where text is shown as written)."""
    return re.sub(r"`[^`\n]*`", "", markdown)


# --- the Markdown release card ---------------------------------------------------


def test_card_of_portrait_sessions_has_every_section_and_no_raw_personal_data(
        cli, tmp_path, monkeypatch):
    bundle = _copy("portrait-sessions", tmp_path)
    before = tree_state(bundle)
    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.chdir(out)

    result = cli("export", "markdown", bundle)
    assert result.code == 0, result.err
    card = (out / "RELEASE_CARD.md").read_text(encoding="utf-8")
    assert tree_state(bundle) == before  # nothing written into the bundle
    assert "RELEASE_CARD.md" in result.err and result.out == ""

    for heading in ("## Release assessment", "### Tiers and retention", "### What to fix first",
                    "### Misuse scenarios", "### Limitations: what was not checked",
                    "### Credits"):
        assert f"\n{heading}\n" in f"\n{card}", heading
    assert "| dataset | 🔴 closed | open | 90 days (P90D) |" in card
    assert "1. **critical** `sensitive.health`" in card
    # mitigations in place and remaining, as a task list
    assert "- [x] Strip EXIF and GPS metadata" in card and "- [ ] Blur faces" in card
    assert "<details><summary><b>dataset</b>: closed, 5 reasons</summary>" in card
    assert "OCR is off" in card
    # masked: the sitters' contact data and names never appear
    for raw in (EMAIL, PHONE, SITTER, "Aisha Okafor", "diabetes", "aisha.paints"):
        assert raw not in card, raw
    # a handle in a message would notify a GitHub user from a PR comment
    assert not re.search(r"@\w", _outside_code(card))


def test_hook_credits(cli, tmp_path):
    """aiart_release_credits: the provenance plugin's answer (CREDITS.md's
    text) is what the release card embeds."""
    card = _exported(cli, "markdown", "nc-base-lora", tmp_path)
    findings_part, credits = card.split("\n### Credits\n")
    assert "| Mira Holt | 1 | CC-BY-4.0 |" in credits
    assert "black-forest-labs/FLUX.1-dev" in credits
    assert "#### Removal (opt-out)" in credits  # its headings moved under the card's
    assert "Mira Holt" not in findings_part


def _card_of_3000_items(cli, tmp_path, source):
    """The release card of a bundle whose manifest lists 3,000 items, item
    ``i`` from ``source(i)``."""
    rows = [f"img/{i}.png,Creator Number{i},{source(i)},CC-BY-4.0,yes" for i in range(3000)]
    bundle = make_bundle(tmp_path / "b", {
        "LICENSE": "MIT License\n",
        "data/sources.csv": "file,creator,source,license,consent\n" + "\n".join(rows) + "\n",
    })
    return cli("export", "markdown", bundle, "-o", "-")


def test_thousands_of_creators_still_fit_a_pull_request_comment(cli, tmp_path):
    result = _card_of_3000_items(cli, tmp_path, lambda i: f"https://example.org/{i}")
    assert result.code == 0, result.err
    card = result.out
    assert len(card) < 65_536  # GitHub's limit for a comment
    credits = card.split("\n### Credits\n")[1]
    assert "<summary>3000 creators</summary>" in credits
    assert credits.index("cut here to fit") < credits.index("</details>")  # still closed
    assert "| Creator Number0 |" in credits


def test_planted_contact_data_stays_out_of_the_card(cli, tmp_path):
    # A creator's e-mail in the sources manifest, a person's e-mail and phone in
    # a caption, and a file name that tries Markdown, a link and a mention.
    bundle = make_bundle(tmp_path / "b", {
        "LICENSE": "MIT License\n",
        "data/sources.csv": ("file,creator,source,license,consent\n"
                             "img/a.png,Ines Okafor <ines.okafor@kunst-post.org>,"
                             "https://studio.example/a,CC-BY-4.0,yes\n"),
        "data/img/a.png": b"",
        "data/[click](https:evil.example) @octocat.csv":
            f"file,caption\nimg/a.png,write to {EMAIL} or call {PHONE}\n",
    })
    target = tmp_path / "card.md"
    assert cli("export", "markdown", bundle, "-o", target).code == 0
    card = target.read_text(encoding="utf-8")
    assert EMAIL not in card and PHONE not in card
    assert "ines.okafor@kunst-post.org" not in card  # contact data: not even in the credits
    prose = _outside_code(card)
    assert "\\[click\\](https:evil.example)" in prose  # escaped where it is prose
    assert not re.search(r"(?<!\\)\]\(https:evil", prose)  # so no live link
    assert "@octocat" not in prose and "@\u2060octocat" in prose


def _composition_section(card: str) -> str:
    return card.split("\n### Dataset composition\n")[1].split("\n### ")[0]


def test_card_shows_the_dataset_composition_of_real_bundles(cli, tmp_path):
    fanart = _composition_section(_exported(cli, "markdown", "forum-fanart", tmp_path / "1"))
    assert "| Sources | `deviantart.com` 2, `artstation.com` 1, `reddit.com` 1, " \
           "`tumblr.com` 1 |" in fanart
    assert "| Creators | 4 distinct · 0 items name none |" in fanart
    assert "| Licences | (none stated) 5 |" in fanart
    assert "not a verdict" in fanart
    portraits = _composition_section(
        _exported(cli, "markdown", "portrait-sessions", tmp_path / "2"))
    assert "| Captions | 8 read;" in portraits and "| · gender | man 1, woman 1 |" in portraits
    assert "| Items |" not in portraits  # no sources manifest: no items to count
    for raw in (SITTER, "Aisha Okafor", "diabetes", EMAIL):
        assert raw not in portraits


def test_no_dataset_in_the_card_no_composition(cli, tmp_path):
    fanart = _copy("forum-fanart", tmp_path)
    code_only = cli("export", "markdown", fanart, "--artifact", "code", "-o", "-")
    assert code_only.code == 0, code_only.err
    assert "Dataset composition" not in code_only.out
    no_dataset = cli("export", "markdown", _small_bundle(tmp_path), "-o", "-")
    assert "Dataset composition" not in no_dataset.out


# A column named with a "|", licences shaped as Markdown, HTML and a link, a
# name in a free-text licence and in a caption, a host made to autolink, and
# very long values.
LONG_HOST = ".".join(["a" * 60] * 4) + ".example"  # 252 characters: a valid host
HOSTILE_SOURCES = (
    "file,creator,source,license,notes|x\n"
    "img/a.png,Ines Okafor,https://www.www.evil.example/a,[x](https://evil.example),n\n"
    "img/b.png,,https://evil.example/b,<img src=x onerror=alert(1)>,n\n"
    "img/c.png,,https://" + LONG_HOST + "/c,Permission from Jane Doe,n\n"
    "img/d.png,,,CC BY-NC-SA 4.0 International,n\n"
    "img/e.png,,,\"MIT " + "x" * 5000 + "\",n\n"
)
HOSTILE_CAPTIONS = "file,caption\nimg/a.png,portrait of Zelda Quintavalle | a woman\n"


def hostile_composition_bundle(root):
    return make_bundle(root, {"LICENSE": "MIT License\n", "data/sources.csv": HOSTILE_SOURCES,
                              "data/captions.csv": HOSTILE_CAPTIONS, "data/img/a.png": b""})


def test_hostile_composition_values_stay_inert_in_the_card(cli, tmp_path):
    result = cli("export", "markdown", hostile_composition_bundle(tmp_path / "b"), "-o", "-")
    assert result.code == 0, result.err
    section = _composition_section(result.out)
    table = [line for line in section.splitlines() if line.startswith("|")]
    assert len(table) >= 7
    for line in table:  # two cells a row: no value added a column
        assert len(re.findall(r"(?<!\\)\|", line)) == 3, line
    assert "| Licences | (free text) 4, `CC BY-NC-SA 4.0 International` 1 |" in section
    assert f"`{LONG_HOST}` 1" in section  # whole, as code
    prose = _outside_code(section)
    assert "evil.example" not in prose  # www.evil.example as code: GitHub links no code
    assert "<img" not in section and "](" not in section
    for raw in ("Jane", "Doe", "Zelda", "Quintavalle", "Ines", "Okafor", "portrait", "xxxxx"):
        assert raw not in section, raw
    assert max(len(line) for line in section.splitlines()) < 2_000


def test_many_long_hosts_still_fit_a_pull_request_comment(cli, tmp_path):
    # 3,000 items from 3,000 hosts of 252 characters: the summary keeps the
    # 20 most common and sums the rest, so the card stays a comment.
    result = _card_of_3000_items(cli, tmp_path, lambda i: f"https://{i:04d}{LONG_HOST[4:]}/p")
    assert result.code == 0, result.err
    assert len(result.out) < 65_536
    sources = next(line for line in _composition_section(result.out).splitlines()
                   if line.startswith("| Sources |"))
    assert sources.count(LONG_HOST[4:]) == 20 and sources.endswith(", (other) 2980 |")
    assert "<summary>3000 creators</summary>" in result.out  # the credits still there


def test_a_cell_from_the_bundle_cannot_add_a_column():
    from aiart_release.report.markdown import _cell_counts

    cell = _cell_counts({"a|b": 1, "c\\|d": 2, "(none stated)": 3})
    assert cell == "`a\\|b` 1, `c\u29f5\\|d` 2, (none stated) 3"
    assert len(re.findall(r"(?<!\\)\|", cell)) == 0
    # An id with emphasis marks is code, where nothing renders.
    assert _cell_counts({"MIT__strong__": 1}) == "`MIT__strong__` 1"
    assert _cell_counts({"**x**": 1}, from_bundle=False) == "\\*\\*x\\*\\* 1"


def test_limitations_say_what_was_not_checked(cli, tmp_path):
    bundle = make_bundle(tmp_path / "b", {
        "aiart-release.yaml": "release: open\nchecks: {secrets: {enabled: false}}\n",
        "LICENSE": "MIT License\n",
        "data/notes.txt": b"hello\n\xff\xfe not UTF-8\n",
        "model/m.safetensors": SAFETENSORS,
    })
    result = cli("export", "markdown", bundle, "-o", "-")
    assert result.code == 0, result.err
    limits = result.out.split("### Limitations: what was not checked\n")[1].split("###")[0]
    assert "`bundle.unreadable` on 1 place" in limits
    assert "Checks turned off in the configuration: `secrets`." in limits
    assert "No generator is declared" in limits


def test_assess_can_render_the_card_too(cli, tmp_path):
    result = cli("assess", _small_bundle(tmp_path), "--format", "markdown")
    assert result.code == 0, result.err
    assert result.out.startswith("## Release assessment\n")


# --- Hugging Face gating ---------------------------------------------------------


def _blocks(text: str) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(text) if doc is not None]


def test_gating_front_matter_has_the_hubs_documented_fields(cli, tmp_path):
    text = _exported(cli, "hf-gating", "nc-base-lora", tmp_path)
    blocks = _blocks(text)
    assert len(blocks) == 3  # model, code and dataset are recommended gated
    for block in blocks:
        assert set(block) == HUB_GATING_KEYS
        fields = block["extra_gated_fields"]
        for name, kind in fields.items():
            kind = kind["type"] if isinstance(kind, dict) else kind
            assert kind in HUB_FIELD_TYPES, (name, kind)
        assert {"Name", "Affiliation", "Intended use"} <= set(fields)
        assert "checkbox" in fields.values()  # agreement to the use policy
        options = fields["Intended use"]["options"]
        assert all(isinstance(o, str) or set(o) == {"label", "value"} for o in options)
        assert "licence conflicts" in block["extra_gated_prompt"]
        assert "[" not in block["extra_gated_prompt"]  # evidence brackets left out

    # The Hub's own card parser reads the front matter as written.
    from huggingface_hub import ModelCard

    first = text.split("\n\n---\n")[0]
    card = ModelCard(first + "\n# A model\n")
    assert card.data.extra_gated_heading == "Request access to this model"
    assert card.data.extra_gated_fields == blocks[0]["extra_gated_fields"]


def test_gating_with_the_misuse_scenarios_in_the_use_policy(cli, tmp_path):
    result = cli("export", "hf-gating", _copy("forum-fanart", tmp_path), "-o", "-")
    assert result.code == 0, result.err
    (block,) = _blocks(result.out)  # code gated; the dataset is closed: no gate
    assert "style mimicry and forgery of living artists" in block["extra_gated_prompt"]
    assert "No licence covers it" in block["extra_gated_prompt"]


def test_nothing_gated_says_so_and_writes_nothing(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = cli("export", "hf-gating", _copy("own-work", tmp_path))
    assert result.code == 0
    assert "nothing to export: no artifact is recommended or declared gated" in result.err
    assert not (tmp_path / "hf-gating.yaml").exists()


# --- bad input -------------------------------------------------------------------


def test_an_artifact_the_bundle_does_not_hold_is_exit_2_naming_those_it_does(cli, tmp_path):
    target = tmp_path / "card.md"
    result = cli("export", "markdown", _small_bundle(tmp_path), "--artifact", "model",
                 "-o", target)
    assert result.code == 2
    assert "no model artifact (it holds: code)" in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert not target.exists()


def test_artifact_narrows_the_card(cli, tmp_path):
    result = cli("export", "markdown", _copy("forum-fanart", tmp_path), "--artifact", "code",
                 "-o", "-")
    assert result.code == 0, result.err
    assert "| code | 🟡 gated |" in result.out and "| dataset |" not in result.out
    assert "consent.refused" not in result.out  # a dataset finding


def test_an_existing_output_needs_force(cli, tmp_path):
    bundle = _small_bundle(tmp_path)
    target = tmp_path / "card.md"
    target.write_text("mine\n")
    result = cli("export", "markdown", bundle, "-o", target)
    assert result.code == 2 and "exists" in result.err
    assert target.read_text() == "mine\n"
    assert cli("export", "markdown", bundle, "-o", target, "--force").code == 0
    assert target.read_text().startswith("## Release assessment")


def test_the_default_output_is_never_written_into_the_bundle(cli, tmp_path, monkeypatch):
    bundle = _small_bundle(tmp_path)
    before = tree_state(bundle)
    monkeypatch.chdir(bundle)
    refused = cli("export", "markdown")
    assert refused.code == 2
    assert "inside the bundle" in refused.err and "--output RELEASE_CARD.md" in refused.err
    assert tree_state(bundle) == before
    # Named, it is written there: the user asked for it.
    named = cli("export", "markdown", ".", "--output", "RELEASE_CARD.md")
    assert named.code == 0, named.err
    assert (bundle / "RELEASE_CARD.md").read_text().startswith("## Release assessment")


def test_a_link_at_the_output_is_not_followed(cli, tmp_path):
    bundle = _small_bundle(tmp_path)
    victim = tmp_path / "victim.txt"
    victim.write_text("keep\n")
    link = tmp_path / "card.md"
    link.symlink_to(victim)
    result = cli("export", "markdown", bundle, "-o", link, "--force")
    assert result.code == 2 and "link" in result.err
    assert victim.read_text() == "keep\n" and link.is_symlink()


def test_an_unknown_kind_lists_the_kinds(cli, tmp_path):
    result = cli("export", "pdf", _small_bundle(tmp_path))
    assert result.code == 2
    assert "unknown export kind 'pdf'" in result.err
    assert "hf-gating" in result.err and "markdown" in result.err


def test_a_card_given_the_exported_front_matter_passes_the_gating_check(cli, tmp_path):
    # Declared gated though it could be open: the gate is the authors' choice.
    bundle = _copy("own-work", tmp_path)
    (bundle / "aiart-release.yaml").write_text(
        "release: {model: gated, code: open, dataset: open}\ncommercial: true\n")

    def gating_findings():
        report = cli("assess", bundle, "--format", "json").json()
        return [f for f in report["findings"] if f["id"] == "docs.card-gating-missing"]

    assert gating_findings()  # the card asks nothing of those who download
    result = cli("export", "hf-gating", bundle, "--artifact", "model", "-o", "-")
    assert result.code == 0, result.err
    (block,) = _blocks(result.out)
    assert "chose to gate it" in block["extra_gated_prompt"]
    card = bundle / "model" / "README.md"
    _, metadata, body = card.read_text(encoding="utf-8").split("---\n", 2)
    merged = {**yaml.safe_load(metadata), **block}
    card.write_text(f"---\n{yaml.safe_dump(merged, sort_keys=False)}---\n{body}",
                    encoding="utf-8")
    assert gating_findings() == []
