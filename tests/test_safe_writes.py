"""What the tool writes (init, credits, assess --output) on hostile ground:
links planted where it writes, folders that lead out of the bundle, files
already there, and manifests written to inject Markdown or publish contacts."""

from __future__ import annotations

import os
import re
import stat

import pytest
from conftest import EXAMPLES, make_bundle

from aiart_release.writes import WriteRefused, write_file

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 16


def _manifest_bundle(tmp_path, manifest: str):
    return make_bundle(tmp_path / "b", {
        "LICENSE": "MIT\n", "data/sources.csv": manifest,
        "data/images/a.png": PNG + b"a", "data/images/b.png": PNG + b"b",
    })


def _one_line_refusal(result, *needles: str) -> None:
    assert result.code == 2, (result.code, result.err)
    assert "Traceback" not in result.err
    assert len(result.err.strip().splitlines()) == 1, result.err
    for needle in needles:
        assert needle in result.err


def _leftovers(folder) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]


# --- links where the tool writes ----------------------------------------------

@pytest.mark.parametrize("force", [False, True])
def test_credits_never_writes_through_a_link_that_leaves_the_bundle(cli, tmp_path, force):
    bundle = _manifest_bundle(tmp_path, "file,creator\nimages/a.png,Kai\n")
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    (bundle / "CREDITS.md").symlink_to(victim)
    result = cli("credits", bundle, *(["--force"] if force else []))
    _one_line_refusal(result, "symbolic link")
    assert victim.read_text() == "precious\n"
    assert (bundle / "CREDITS.md").is_symlink()
    assert _leftovers(bundle) == []


@pytest.mark.parametrize("force", [False, True])
def test_init_never_writes_through_a_dangling_link(cli, tmp_path, force):
    bundle = make_bundle(tmp_path / "b", {"README.md": "# hi\n"})
    planted = tmp_path / "outside" / "planted.yaml"
    planted.parent.mkdir()
    (bundle / "aiart-release.yaml").symlink_to(planted)
    result = cli("init", bundle, *(["--force"] if force else []))
    _one_line_refusal(result, "symbolic link")
    assert not planted.exists()
    assert _leftovers(bundle) == []


def test_credits_refuses_a_folder_that_leads_out_of_the_bundle(cli, tmp_path):
    bundle = _manifest_bundle(tmp_path, "file,creator\nimages/a.png,Kai\n")
    outside = tmp_path / "outside"
    outside.mkdir()
    (bundle / "docs").symlink_to(outside, target_is_directory=True)
    result = cli("credits", bundle, "--output", bundle / "docs" / "CREDITS.md")
    _one_line_refusal(result, "outside")
    assert list(outside.iterdir()) == []


def test_a_link_that_stays_inside_the_bundle_is_a_folder_like_any_other(cli, tmp_path):
    bundle = _manifest_bundle(tmp_path, "file,creator\nimages/a.png,Kai\n")
    (bundle / "docs").mkdir()
    (bundle / "site").symlink_to(bundle / "docs", target_is_directory=True)
    assert cli("credits", bundle, "--output", bundle / "site" / "CREDITS.md").code == 0
    assert "Kai" in (bundle / "docs" / "CREDITS.md").read_text()


def test_credits_may_be_written_where_the_user_says_outside_the_bundle(cli, tmp_path):
    bundle = _manifest_bundle(tmp_path, "file,creator\nimages/a.png,Kai\n")
    elsewhere = tmp_path / "release-notes" / "CREDITS.md"
    elsewhere.parent.mkdir()
    assert cli("credits", bundle, "--output", elsewhere).code == 0
    assert "Kai" in elsewhere.read_text()
    assert not (bundle / "CREDITS.md").exists()


# --- assess --output -------------------------------------------------------------

def test_assess_output_needs_force_to_replace_a_file(cli, tmp_path):
    bundle = make_bundle(tmp_path / "b", {"LICENSE": "MIT\n", "README.md": "# hi\n"})
    report = tmp_path / "report.json"
    report.write_text("yesterday's\n")
    os.chmod(report, 0o640)
    _one_line_refusal(cli("assess", bundle, "-f", "json", "-o", report), "--force")
    assert report.read_text() == "yesterday's\n"
    assert cli("assess", bundle, "-f", "json", "-o", report, "--force").code in (0, 1)
    assert report.read_text().startswith("{")
    assert stat.S_IMODE(report.stat().st_mode) == 0o640  # the file's mode is kept
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("make, needle", [
    (lambda p: p.symlink_to(p.parent / "elsewhere.json"), "symbolic link"),
    (lambda p: os.mkfifo(p), "not a regular file"),
    (lambda p: p.mkdir(), "is a directory"),
])
def test_assess_output_refuses_links_pipes_and_folders(cli, tmp_path, make, needle):
    bundle = make_bundle(tmp_path / "b", {"LICENSE": "MIT\n", "README.md": "# hi\n"})
    target = tmp_path / "report.json"
    make(target)
    _one_line_refusal(cli("assess", bundle, "-o", target, "--force"), needle)
    assert not (tmp_path / "elsewhere.json").exists()


def test_assess_output_into_a_missing_folder_is_refused_before_the_run(cli, tmp_path):
    bundle = make_bundle(tmp_path / "b", {"LICENSE": "MIT\n"})
    _one_line_refusal(cli("assess", bundle, "-o", tmp_path / "nope" / "r.json"),
                      "cannot write into")


def test_a_non_utf8_output_path_is_written_and_named(cli, tmp_path):
    bundle = make_bundle(tmp_path / "b", {"LICENSE": "MIT\n", "README.md": "# hi\n"})
    name = os.fsdecode(b"report-\xff.json")  # was: exit 3 printing the name
    result = cli("assess", bundle, "-f", "json", "-o", tmp_path / name)
    assert result.code in (0, 1), result.err
    assert (tmp_path / name).read_text().startswith("{")
    assert "report-\\xff.json" in result.err


# --- the core function ------------------------------------------------------------

def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "CREDITS.md"
    target.write_text("old\n")

    def broken_rename(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_rename)
    with pytest.raises(WriteRefused, match="No space left"):
        write_file(target, "new\n", force=True)
    assert target.read_text() == "old\n"
    assert _leftovers(tmp_path) == []


def test_a_new_file_gets_the_usual_mode_not_the_temporary_files(tmp_path):
    target = tmp_path / "new.md"
    write_file(target, "hello\n")
    umask = os.umask(0o022)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask
    assert target.read_text() == "hello\n"


# --- what credits publish ------------------------------------------------------------

def test_credits_drop_contact_data_and_keep_names_and_links(cli, tmp_path):
    manifest = (
        "file,creator,source,license\n"
        "images/a.png,Mira Holt <mira.holt@kunst-post.org>,https://example.org/mira,CC-BY-4.0\n"
        "images/b.png,Jun Sato (+1 555 013 4567),mailto:jun@kunst-post.org,CC0-1.0\n"
    )
    bundle = _manifest_bundle(tmp_path, manifest)
    result = cli("credits", bundle)
    assert result.code == 0, result.err
    text = (bundle / "CREDITS.md").read_text()
    assert "| Mira Holt | 1 | CC-BY-4.0 | <https://example.org/mira> |" in text
    assert "| Jun Sato | 1 | CC0-1.0 |" in text
    for leaked in ("mira.holt@kunst-post.org", "jun@kunst-post.org", "555", "4567", "mailto"):
        assert leaked not in text


def test_a_creator_credited_without_contact_counts_as_credited(cli, tmp_path):
    manifest = ("file,creator,source,license\n"
                "images/a.png,Mira Holt <mira@kunst-post.org>,https://example.org/m,CC-BY-4.0\n")
    bundle = _manifest_bundle(tmp_path, manifest)
    assert cli("credits", bundle).code == 0
    report = cli("assess", bundle, "-f", "json").json()
    assert "attribution.missing" not in {f["id"] for f in report["findings"]}


def test_is_credited_knows_the_name_as_credits_write_it():
    from aiart_release.default_plugins.provenance.credits import is_credited
    from aiart_release.default_plugins.provenance.manifest import Item

    item = Item(row=1, line=2, creator="Ana_Lee <ana@kunst-post.org>")
    assert is_credited(item, "| ana\\_lee | 1 |")  # escaped, address dropped
    assert is_credited(item, "thanks to ana_lee")
    assert not is_credited(item, "thanks to bo")


def test_a_creator_named_only_by_an_address_is_credited_without_it(cli, tmp_path):
    bundle = _manifest_bundle(tmp_path, "file,creator\nimages/a.png,kai@kunst-post.org\n")
    assert cli("credits", bundle).code == 0
    text = (bundle / "CREDITS.md").read_text()
    assert "kai@kunst-post.org" not in text and "| contact withheld | 1 |" in text


def test_a_manifest_cell_cannot_add_lines_or_markup_to_credits(cli, tmp_path):
    hostile = 'Kai\n# Injected\n<script>alert(1)</script> | extra | [x](https://evil.example)'
    manifest = 'file,creator,source,license\nimages/a.png,"' + hostile + '",' \
               '"https://example.org/a|b c",CC-BY-4.0\n'
    bundle = _manifest_bundle(tmp_path, manifest)
    assert cli("credits", bundle).code == 0
    text = (bundle / "CREDITS.md").read_text()
    lines = text.splitlines()
    assert not any(line.startswith("# Injected") for line in lines)
    assert sum(line.startswith("#") for line in lines) == 2  # the title and Removal
    assert "<script>" not in text and "](" not in text
    row = next(line for line in lines if "Kai" in line)
    # Four cells: every | the cell held is escaped.
    assert len(re.findall(r"(?<!\\)\|", row)) == 5
    assert "\\# Injected \\<script\\>" in row


def test_a_link_cannot_end_early_or_split_the_table(cli, tmp_path):
    manifest = ("file,creator,source\n"
                "images/a.png,Kai,https://example.org/a|b><img src=x>\n")
    bundle = _manifest_bundle(tmp_path, manifest)
    assert cli("credits", bundle).code == 0
    row = next(line for line in (bundle / "CREDITS.md").read_text().splitlines()
               if line.startswith("| Kai"))
    assert not re.search(r"(?<!\\)<img", row)  # a space ends a URL: all of it is text
    assert len(re.findall(r"(?<!\\)\|", row)) == 5


def test_a_contact_marked_public_is_published(cli, tmp_path):
    manifest = ("file,creator,contact_public\n"
                "images/a.png,Mira Holt <mira@kunst-post.org>,yes\n"
                "images/b.png,Jun Sato <jun@kunst-post.org>,no\n")
    bundle = _manifest_bundle(tmp_path, manifest)
    assert cli("credits", bundle).code == 0
    text = (bundle / "CREDITS.md").read_text()
    assert "mira@kunst-post.org" in text and "jun@kunst-post.org" not in text


def test_the_example_credits_are_unchanged_by_escaping(cli, tmp_path):
    import shutil

    bundle = tmp_path / "b"
    shutil.copytree(EXAMPLES / "nc-base-lora", bundle)
    assert cli("credits", bundle).code == 0
    text = (bundle / "CREDITS.md").read_text()
    assert "| Mira Holt | 1 | CC-BY-4.0 | <https://www.flickr.com/photos/mira-holt/1> |" in text
    assert "Anonymous \\(Met Open Access\\)" in text


def test_credits_for_a_bundle_whose_name_is_not_utf8(cli, tmp_path):
    name = os.fsdecode(b"bundle-\xff")
    bundle = make_bundle(tmp_path / name, {"LICENSE": "MIT\n", "data/sources.csv":
                                           "file,creator\nimages/a.png,Kai\n",
                                           "data/images/a.png": PNG})
    result = cli("credits", bundle)
    assert result.code == 0, result.err  # was: exit 3, UnicodeEncodeError
    assert (bundle / "CREDITS.md").read_text().startswith("# Credits: bundle-\\\\xff")


def test_a_report_written_into_the_bundle_stays_in_it(cli, tmp_path):
    bundle = make_bundle(tmp_path / "b", {"LICENSE": "MIT\n", "README.md": "# hi\n"})
    outside = tmp_path / "outside"
    outside.mkdir()
    (bundle / "reports").symlink_to(outside, target_is_directory=True)
    result = cli("assess", bundle, "-f", "json", "-o", bundle / "reports" / "r.json", "--force")
    _one_line_refusal(result, "outside")
    assert list(outside.iterdir()) == []


def test_a_hard_link_planted_as_credits_is_replaced_not_written_through(cli, tmp_path):
    bundle = _manifest_bundle(tmp_path, "file,creator\nimages/a.png,Kai\n")
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    os.link(victim, bundle / "CREDITS.md")
    assert cli("credits", bundle, "--force").code == 0
    assert victim.read_text() == "precious\n"  # the rename replaced the name only
    assert "Kai" in (bundle / "CREDITS.md").read_text()


def test_long_manifest_cells_do_not_stall_credits(cli, tmp_path):
    import time

    cells = ["a." * 200_000, "1 " * 200_000, "https://example.org/" + "a" * 400_000]
    manifest = "file,creator,source\n" + "".join(
        f"images/{n}.png,{cell},{cells[2]}\n" for n, cell in zip("ab", cells[:2], strict=True))
    bundle = _manifest_bundle(tmp_path, manifest)
    started = time.monotonic()
    assert cli("credits", bundle).code == 0
    assert time.monotonic() - started < 30  # an e-mail pattern took minutes on "a.a.a…"
    longest = max(len(line) for line in (bundle / "CREDITS.md").read_text().splitlines())
    assert longest < 6000  # a cell is shown up to 1,000 characters
