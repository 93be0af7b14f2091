"""Markdown tables in prose files (plugins/personal_data/markup.py): the
header row names columns and the label of a row of figures names what the
row counts; neither is a person's name. The cells of other rows are read."""

from __future__ import annotations

from conftest import make_bundle

from aiart_release.default_plugins.personal_data.markup import marked_lines

STATS = ("# Set\n\n"
         "|Subset|Num of Images|Num of Unique Prompts|Size|\n"
         "|:--|--:|--:|--:|\n"
         "|Tiles 2M|2M|1.5M|1.6TB|\n\n"
         "Type          | Train  | Val    | Total / Unique\n"
         "------------- | ------ | ------ | --------------\n"
         "Unique Images | 11.4M  | 58K    | 11.5M / 11.4M\n"
         "Context Texts | -      | -      | 119.8M\n")
PEOPLE = ("\n## Who labelled it\n\n"
          "| Annotator | Images labelled |\n|---|---|\n| Margaret Hamilton | 1,200 |\n\n"
          "| Role | Person |\n|---|---|\n| Lead | Grace Hopper |\n")


def _lines(text: str) -> dict[int, str]:
    return {n: t for n, t, _ in marked_lines(enumerate(text.split("\n"), 1), "markdown")}


def test_a_tables_header_row_and_the_labels_of_rows_of_figures_are_blanked():
    lines = _lines(STATS)
    assert lines[3] == "" and lines[4] == ""  # header and delimiter rows
    assert "Tiles 2M" not in lines[5] and "1.6TB" in lines[5]  # sizes are figures too
    assert lines[7] == "" and "Unique Images" not in lines[9]
    assert lines[9].strip().startswith("| 11.4M")  # the figures stay, in their columns
    assert len(lines[9]) == len(STATS.split("\n")[8])
    assert "Context Texts" not in lines[10]


def test_body_cells_beside_a_people_column_or_beside_words_stay():
    lines = _lines(STATS + PEOPLE)
    text = "\n".join(lines.values())
    assert "Margaret Hamilton" in text and "Grace Hopper" in text


def test_a_pipe_in_prose_without_a_delimiter_row_is_no_table():
    lines = _lines("# T\n\nUse a | b to pipe.\nNext line | here.\n")
    assert lines[3] == "Use a | b to pipe." and lines[4] == "Next line | here."


def test_a_long_row_of_figures_is_read_in_linear_time():
    row = "Label | " + " | ".join(["1" * 200 + "x"] * 2000)
    text = "| A | B |\n|---|---|\n" + row + "\n"
    lines = _lines(text)  # a backtracking figure pattern would not return
    assert lines[3].startswith("Label")


def test_the_pii_check_reports_the_contributors_not_the_column_names(cli, tmp_path):
    root = make_bundle(tmp_path / "b", {"README.md": STATS + PEOPLE,
                                        "LICENSE": "MIT License\n"})
    report = cli("assess", root, "-f", "json", "--show-pii").json()
    names = [f for f in report["findings"] if f["id"] == "pii.person-name"]
    lines = {n for f in names for n in f["location"].get("lines") or [f["location"]["line"]]}
    assert lines & {16, 20} and not lines & {3, 9, 10}
