"""The streaming table reader (aiart_release/tables.py): CSV, TSV, JSON Lines,
JSON arrays of records and Parquet, one row at a time.

``iter_rows(path)`` yields ``(row, line, {field: text})``: ``row`` is the
1-based data row (header excluded), ``line`` the 1-based line where the row
starts (None where the format has no lines). A file that cannot be read
raises :class:`TableError` with ``.row`` / ``.line``, after the rows before
the break have been yielded; that is what lets the personal-data check report
what it found before a file broke.

Every test writes a real file under tmp_path (Parquet with pyarrow itself).
"""

from __future__ import annotations

import os

import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.parquet as pq
import pytest

import aiart_release.readers.tables as tables
from aiart_release.readers.tables import TableError, iter_rows, table_format


def write(tmp_path, name: str, content: str | bytes):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        # newline="" so that "\r\n" in a test stays "\r\n" on disk.
        path.write_text(content, encoding="utf-8", newline="")
    return path


def read(path) -> list[tuple]:
    return list(iter_rows(path))


def read_until_error(path) -> tuple[list[tuple], TableError]:
    """The rows yielded before the reader raised, and what it raised."""
    rows = []
    with pytest.raises(TableError) as info:
        for item in iter_rows(path):
            rows.append(item)
    return rows, info.value


# --- formats by name ---------------------------------------------------------

FORMAT_TABLE = [
    ("captions.csv", "csv"),
    ("CAPTIONS.CSV", "csv"),  # case does not matter
    ("captions.tsv", "tsv"),
    ("metadata.jsonl", "jsonl"),
    ("metadata.ndjson", "jsonl"),
    ("records.json", "json"),
    ("train.parquet", "parquet"),
    ("notes.txt", None),
    ("Makefile", None),
]


@pytest.mark.parametrize("name, fmt", FORMAT_TABLE, ids=[n for n, _ in FORMAT_TABLE])
def test_format_by_name(tmp_path, name, fmt):
    assert table_format(tmp_path / name) == fmt


def test_a_file_that_is_no_table_format_raises(tmp_path):
    path = write(tmp_path, "notes.txt", "a,b\n1,2\n")
    _, error = read_until_error(path)
    assert ".txt" in str(error)


def test_an_explicit_format_overrides_the_name(tmp_path):
    path = write(tmp_path, "captions.txt", "file,caption\na.png,a cat\n")
    assert list(iter_rows(path, "csv")) == [(1, 2, {"file": "a.png", "caption": "a cat"})]


# --- CSV and TSV -------------------------------------------------------------

def test_csv_rows_fields_and_start_lines(tmp_path):
    # Quoted commas stay in the cell; a quoted newline makes a row span two
    # lines, and the row after it starts two lines later.
    path = write(tmp_path, "captions.csv",
                 'file,caption\n'
                 'a.png,"a cat, sitting"\n'
                 'b.png,"two\nlines"\n'
                 'c.png,a dog\n')
    assert read(path) == [
        (1, 2, {"file": "a.png", "caption": "a cat, sitting"}),
        (2, 3, {"file": "b.png", "caption": "two\nlines"}),
        (3, 5, {"file": "c.png", "caption": "a dog"}),
    ]


def test_csv_with_crlf_line_ends_counts_lines_once(tmp_path):
    # Windows line ends, one of them inside a quoted cell: "\r\n" is one line.
    path = write(tmp_path, "captions.csv", 'a,b\r\n1,"x\r\ny"\r\n2,z\r\n')
    assert [(row, line) for row, line, _ in read(path)] == [(1, 2), (2, 4)]


def test_csv_cells_many_lines_long_keep_later_line_numbers_right(tmp_path):
    # A caption of five lines; the next row starts on line 2 + 5.
    body = "\n".join(f"line {i}" for i in range(5))
    path = write(tmp_path, "captions.csv", f'caption\n"{body}"\nnext\n')
    assert [(row, line) for row, line, _ in read(path)] == [(1, 2), (2, 7)]


def test_csv_with_a_utf8_bom(tmp_path):
    # Excel writes a BOM; it must not become part of the first column's name.
    path = write(tmp_path, "captions.csv", "\ufefffile,caption\na.png,a cat\n")
    assert read(path) == [(1, 2, {"file": "a.png", "caption": "a cat"})]


def test_csv_in_utf16_with_a_bom(tmp_path):
    path = write(tmp_path, "captions.csv", "file,caption\r\na.png,a cat\r\n".encode("utf-16"))
    assert read(path) == [(1, 2, {"file": "a.png", "caption": "a cat"})]


def test_csv_empty_cells_are_dropped_and_numbers_stay_text(tmp_path):
    # "007" must stay "007" and a phone number must keep its "+" and spaces:
    # these are read as text, never converted.
    path = write(tmp_path, "people.csv",
                 "name,phone,code,notes\n"
                 "Ann,+44 20 7946 0958,007,\n"
                 ",,,   \n")
    assert read(path) == [
        (1, 2, {"name": "Ann", "phone": "+44 20 7946 0958", "code": "007"}),
        (2, 3, {}),  # a row of empty and blank cells is still a row
    ]


def test_csv_cells_beyond_the_header_get_column_names(tmp_path):
    path = write(tmp_path, "captions.csv", "file,caption\na.png,a cat,extra,more\n")
    assert read(path) == [
        (1, 2, {"file": "a.png", "caption": "a cat", "column 3": "extra", "column 4": "more"}),
    ]


def test_csv_blank_header_cells_get_column_names_and_names_are_stripped(tmp_path):
    path = write(tmp_path, "captions.csv", " file , ,caption\na.png,x,a cat\n")
    assert read(path) == [(1, 2, {"file": "a.png", "column 2": "x", "caption": "a cat"})]


def test_csv_rows_shorter_than_the_header(tmp_path):
    path = write(tmp_path, "captions.csv", "file,caption,notes\na.png\n")
    assert read(path) == [(1, 2, {"file": "a.png"})]


@pytest.mark.parametrize("content", ["", "file,caption\n", "file,caption"],
                         ids=["empty", "header-only", "header-no-newline"])
def test_csv_without_data_rows_yields_nothing(tmp_path, content):
    assert read(write(tmp_path, "captions.csv", content)) == []


def test_a_very_long_cell_is_cut(tmp_path):
    path = write(tmp_path, "captions.csv", "caption\n" + "x" * (tables.MAX_CELL_CHARS + 500) + "\n")
    [(_, _, fields)] = read(path)
    assert len(fields["caption"]) == tables.MAX_CELL_CHARS


def test_tsv_splits_on_tabs_only(tmp_path):
    path = write(tmp_path, "captions.tsv",
                 'file\tcaption\n'
                 'a.png\ta cat, sitting; calm\n'
                 'b.png\t"quoted\ttab"\n')
    assert read(path) == [
        (1, 2, {"file": "a.png", "caption": "a cat, sitting; calm"}),
        (2, 3, {"file": "b.png", "caption": "quoted\ttab"}),
    ]


def test_a_200000_row_csv_streams(tmp_path):
    # Written and read one row at a time; the count shows nothing was lost.
    path = tmp_path / "big.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write("file,caption\n")
        for i in range(200_000):
            handle.write(f"{i}.png,a caption for picture {i}\n")
    count = 0
    last = None
    for item in iter_rows(path):
        count += 1
        last = item
    assert count == 200_000
    assert last == (200_000, 200_001, {"file": "199999.png",
                                       "caption": "a caption for picture 199999"})


# --- CSV that breaks part-way ------------------------------------------------

BROKEN_CSV_TABLE = [
    # (content, data row that breaks, line of that row)
    pytest.param(b'file,caption\na.png,a cat\nb.png,"never closed\nc.png,x\n', 2, 3,
                 id="unclosed-quote"),
    pytest.param(b"file,caption\na.png,a cat\nb.png,x\x00y\n", 2, 3, id="nul-byte"),
    # Was a bug (fixed): strict decoding failed 8 KiB ahead of the csv reader.
    pytest.param(b"file,caption\na.png,a cat\nb.png,caf\xe9\n", 2, 3, id="latin-1"),
]


@pytest.mark.parametrize("content, bad_row, bad_line", BROKEN_CSV_TABLE)
def test_broken_csv_raises_after_the_good_rows(tmp_path, content, bad_row, bad_line):
    path = write(tmp_path, "captions.csv", content)
    rows, error = read_until_error(path)
    assert rows == [(1, 2, {"file": "a.png", "caption": "a cat"})]
    assert error.row == bad_row
    # The line is where reading stopped: the row's first line, or later for
    # a quote that runs to the end of the file.
    assert error.line is None or error.line >= bad_line
    assert str(error)  # a reason a user can read


def test_broken_csv_messages_say_what_is_wrong(tmp_path):
    unclosed = write(tmp_path, "a.csv", 'a,b\n1,"open\n')
    nul = write(tmp_path, "b.csv", b"a,b\n1,x\x00\n")
    latin = write(tmp_path, "c.csv", b"a,b\n1,caf\xe9\n")
    assert "broken CSV" in str(read_until_error(unclosed)[1])
    assert "NUL" in str(read_until_error(nul)[1])
    assert "not UTF-8" in str(read_until_error(latin)[1])
    assert "0xe9" in str(read_until_error(latin)[1])


# Was a bug (fixed): see git history.
def test_a_bad_byte_deep_in_a_csv_is_reported_at_its_row(tmp_path):
    good = b"".join(b"%d.png,a caption\n" % i for i in range(5000))
    path = write(tmp_path, "captions.csv", b"file,caption\n" + good + b"x.png,caf\xe9\n")
    rows, error = read_until_error(path)
    assert len(rows) == 5000
    assert error.row == 5001


def test_a_csv_field_over_the_record_limit_raises(tmp_path, monkeypatch):
    # The limit is 16 MiB; a small limit shows the same path without 16 MiB.
    monkeypatch.setattr(tables, "MAX_RECORD_BYTES", 100)
    path = write(tmp_path, "captions.csv", 'a,b\n1,2\n3,"' + "y" * 200 + '"\n4,5\n')
    rows, error = read_until_error(path)
    assert rows == [(1, 2, {"a": "1", "b": "2"})]
    assert error.row == 2
    assert "limit" in str(error)


# --- JSON Lines --------------------------------------------------------------

def test_json_lines_rows_lines_and_blank_lines(tmp_path):
    # A blank line is skipped; the line numbers still count it.
    path = write(tmp_path, "metadata.jsonl",
                 '{"file_name": "a.png", "text": "a cat"}\n'
                 '\n'
                 '   \n'
                 '{"file_name": "b.png", "text": "a dog"}\n')
    assert read(path) == [
        (1, 1, {"file_name": "a.png", "text": "a cat"}),
        (2, 4, {"file_name": "b.png", "text": "a dog"}),
    ]


def test_json_lines_values_flattened_and_joined(tmp_path):
    path = write(tmp_path, "metadata.jsonl",
                 '{"caption": "a cat",'
                 ' "author": {"name": "Ann", "age": 34, "deeper": {"x": "dropped"}, "none": null},'
                 ' "tags": ["ink", "crane", 3, {"nested": "dropped"}, ""],'
                 ' "width": 512, "ratio": 1.5, "nsfw": false, "missing": null, "blank": "  "}\n')
    assert read(path) == [(1, 1, {
        "caption": "a cat",
        "author.name": "Ann",  # one level of nesting, dotted
        "author.age": "34",
        "tags": "ink; crane; 3",  # a list of strings joined with "; "
        "width": "512",  # numbers kept as text: they may be phone numbers
        "ratio": "1.5",
        # booleans, nulls, blanks and deeper nesting carry no text
    })]


def test_json_lines_with_bom_and_crlf(tmp_path):
    path = write(tmp_path, "metadata.jsonl", b'\xef\xbb\xbf{"a": "x"}\r\n{"a": "y"}\r\n')
    assert read(path) == [(1, 1, {"a": "x"}), (2, 2, {"a": "y"})]


JSONL_ERROR_TABLE = [
    ("array-line", '{"a": "x"}\n\n[1, 2]\n{"a": "z"}\n', "object"),
    ("string-line", '{"a": "x"}\n\n"just text"\n', "object"),
    ("invalid-json", '{"a": "x"}\n\n{"a": \n', "invalid JSON"),
    ("not-utf8", b'{"a": "x"}\n\n{"a": "caf\xe9"}\n', "UTF-8"),
]


@pytest.mark.parametrize("name, content, says", JSONL_ERROR_TABLE,
                         ids=[n for n, *_ in JSONL_ERROR_TABLE])
def test_json_lines_errors_name_their_line(tmp_path, name, content, says):
    path = write(tmp_path, "metadata.jsonl", content)
    rows, error = read_until_error(path)
    assert rows == [(1, 1, {"a": "x"})]
    assert error.line == 3
    assert says in str(error)
    assert "line 3" in str(error)


def test_a_json_line_over_the_record_limit_raises(tmp_path, monkeypatch):
    # The limit is 16 MiB; a small limit shows the same path without 16 MiB.
    monkeypatch.setattr(tables, "MAX_RECORD_BYTES", 100)
    path = write(tmp_path, "metadata.jsonl",
                 '{"a": "x"}\n{"a": "' + "y" * 500 + '"}\n{"a": "z"}\n')
    rows, error = read_until_error(path)
    assert rows == [(1, 1, {"a": "x"})]
    assert error.line == 2
    assert "longer than" in str(error)


def test_a_json_line_at_the_limit_is_read(tmp_path, monkeypatch):
    monkeypatch.setattr(tables, "MAX_RECORD_BYTES", 100)
    # 7 + 90 + 2 bytes of JSON and the newline: exactly the limit.
    path = write(tmp_path, "metadata.jsonl", '{"a": "' + "y" * 90 + '"}\n')
    assert len(path.read_bytes()) == 100
    assert read(path) == [(1, 1, {"a": "y" * 90})]


# --- JSON arrays of records --------------------------------------------------

def test_json_array_records(tmp_path):
    path = write(tmp_path, "records.json",
                 '[{"file": "a.png", "caption": "a cat", "meta": {"by": "Ann"}},'
                 ' {"file": "b.png", "score": 2.5, "tags": ["x", "y"]}]')
    assert read(path) == [
        (1, None, {"file": "a.png", "caption": "a cat", "meta.by": "Ann"}),
        (2, None, {"file": "b.png", "score": "2.5", "tags": "x; y"}),
    ]


def test_json_array_with_bom_and_leading_whitespace(tmp_path):
    path = write(tmp_path, "records.json", b'\xef\xbb\xbf \n\t [\n {"a": "x"}\n]\n')
    assert read(path) == [(1, None, {"a": "x"})]


def test_an_empty_json_array_yields_nothing(tmp_path):
    assert read(write(tmp_path, "records.json", "[]")) == []


def test_a_json_object_is_not_an_array_of_records(tmp_path):
    path = write(tmp_path, "records.json", '{"caption": "a cat"}')
    rows, error = read_until_error(path)
    assert rows == []
    assert "not an array" in str(error)


@pytest.mark.parametrize("item, kind", [("3", "int"), ('"text"', "str"), ("[1]", "list"),
                                        ("null", "NoneType")])
def test_a_json_array_item_that_is_no_record_raises_with_its_row(tmp_path, item, kind):
    path = write(tmp_path, "records.json", f'[{{"a": "x"}}, {{"a": "y"}}, {item}, {{"a": "z"}}]')
    rows, error = read_until_error(path)
    assert rows == [(1, None, {"a": "x"}), (2, None, {"a": "y"})]
    assert error.row == 3
    assert kind in str(error)


def test_a_truncated_json_array_raises_after_the_complete_records(tmp_path):
    path = write(tmp_path, "records.json", '[{"a": "x"}, {"a": "y"}, {"a": "tru')
    rows, error = read_until_error(path)
    assert rows == [(1, None, {"a": "x"}), (2, None, {"a": "y"})]
    assert error.row == 3
    assert "invalid JSON" in str(error)


def test_a_json_array_that_is_not_utf8_raises(tmp_path):
    path = write(tmp_path, "records.json", b'[{"a": "caf\xe9"}]')
    _, error = read_until_error(path)
    assert "UTF-8" in str(error) or "invalid JSON" in str(error)


# --- Parquet -----------------------------------------------------------------

def test_parquet_strings_ints_and_nulls(tmp_path):
    path = tmp_path / "train.parquet"
    pq.write_table(pa.table({
        "caption": ["a cat", None, "   ", "a dog"],
        "width": [512, 768, None, 1024],
        "author": [{"name": "Ann"}, None, {"name": None}, {"name": "Bo"}],
        "tags": [["ink", "crane"], [], None, ["x"]],
        "nsfw": [False, True, None, False],
    }), path)
    assert read(path) == [
        (1, None, {"caption": "a cat", "width": "512", "author.name": "Ann",
                   "tags": "ink; crane"}),
        (2, None, {"width": "768"}),
        (3, None, {}),  # nulls and blanks only: still a row
        (4, None, {"caption": "a dog", "width": "1024", "author.name": "Bo", "tags": "x"}),
    ]


def test_parquet_rows_are_counted_across_batches(tmp_path):
    # More rows than one read batch (4096), and more than one row group.
    path = tmp_path / "train.parquet"
    pq.write_table(pa.table({"caption": [f"caption {i}" for i in range(10_000)]}), path,
                   row_group_size=3000)
    rows = read(path)
    assert len(rows) == 10_000
    assert rows[-1] == (10_000, None, {"caption": "caption 9999"})


@pytest.mark.parametrize("content", [
    os.urandom(2048),
    b"PAR1" + os.urandom(2048) + b"PAR1",  # magic bytes right, footer garbage
    b"",
], ids=["random", "magic-but-garbage", "empty"])
def test_a_corrupt_parquet_file_raises(tmp_path, content):
    path = write(tmp_path, "train.parquet", content)
    rows, error = read_until_error(path)
    assert rows == []
    assert "Parquet" in str(error)


def test_a_truncated_parquet_file_raises(tmp_path):
    good = tmp_path / "good.parquet"
    pq.write_table(pa.table({"caption": ["a cat"] * 100}), good)
    data = good.read_bytes()
    path = write(tmp_path, "train.parquet", data[: len(data) // 2])
    _, error = read_until_error(path)
    assert "Parquet" in str(error)


# Was a bug (fixed): see git history.
@pytest.mark.parametrize("name", ["data.arrow", "data.feather"])
def test_every_suffix_the_inventory_calls_a_table_can_be_read(tmp_path, name):
    path = tmp_path / name
    feather.write_feather(pa.table({"caption": ["a cat"]}), str(path))
    assert read(path) == [(1, None, {"caption": "a cat"})]


# --- the error itself --------------------------------------------------------

def test_table_error_keeps_row_and_line():
    error = TableError("broken", row=4, line=7)
    assert (error.row, error.line) == (4, 7)
    assert str(error) == "broken at line 7"
    assert str(TableError("broken", row=4)) == "broken at row 4"
    assert str(TableError("broken")) == "broken"
