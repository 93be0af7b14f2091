"""Where the personal-data check looks (plugins/personal_data/sources.py).

``records(path, kind, suffix)`` turns one bundle file into records of text:
a paragraph of a text file or card, a comment or string literal in code, a
cell of a notebook, the ``__metadata__`` of a safetensors file, a table row
(one segment per cell, the column name as its field). Each record knows its
line (and row), so a finding can point at it. A file that cannot be read
raises :class:`SourceError` with a reason; records before the break have been
yielded.

Every test writes a real file under tmp_path and reads it as the check does.
"""

from __future__ import annotations

import json

import pytest

from aiart_release.default_plugins.personal_data.sources import (
    MAX_LINE_BYTES,
    MAX_RECORD_CHARS,
    Record,
    Segment,
    SourceError,
    file_context,
    records,
)


def write(tmp_path, name: str, content: str | bytes):
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", newline="")
    return path


def read(path, kind: str = "text", suffix: str | None = None) -> list[Record]:
    return list(records(path, kind, path.suffix if suffix is None else suffix))


def read_until_error(path, kind: str = "text") -> tuple[list[Record], SourceError]:
    got: list[Record] = []
    with pytest.raises(SourceError) as info:
        for record in records(path, kind, path.suffix):
            got.append(record)
    return got, info.value


def texts(found: list[Record]) -> list[tuple[int | None, str]]:
    """(line, text) of every segment, in order."""
    return [(s.line, s.text) for r in found for s in r.segments]


def by_field(found: list[Record]) -> list[tuple[str, int | None, str]]:
    return [(s.field, s.line, s.text) for r in found for s in r.segments]


def by_context(found: list[Record]) -> list[tuple[str, int | None, str]]:
    return [(s.context, s.line, s.text) for r in found for s in r.segments]


# --- text: paragraphs --------------------------------------------------------

def test_a_text_file_is_read_in_paragraphs(tmp_path):
    # A statement about a person can span lines but not a blank line; the
    # record's line is its first line.
    path = write(tmp_path, "notes.txt",
                 "Portrait of Maria Gonzalez,\n"
                 "taken in Lisbon.\n"
                 "\n"
                 "\n"
                 "Second paragraph.\n"
                 "   \n"  # a line of spaces separates too
                 "Third.\n")
    found = read(path)
    assert [(r.row, r.line) for r in found] == [(None, 1), (None, 5), (None, 7)]
    assert texts(found) == [(1, "Portrait of Maria Gonzalez,\ntaken in Lisbon."),
                            (5, "Second paragraph."), (7, "Third.")]
    assert all(len(r.segments) == 1 and r.segments[0].field == "" for r in found)


def test_crlf_line_ends_leave_no_carriage_returns(tmp_path):
    path = write(tmp_path, "notes.txt", "one\r\ntwo\r\n\r\nthree\r\n")
    assert texts(read(path)) == [(1, "one\ntwo"), (4, "three")]


def test_a_very_long_paragraph_is_split_into_records(tmp_path):
    # One record goes to the NER model at once; a 100,000-character paragraph
    # is cut near MAX_RECORD_CHARS, and no text is lost.
    lines = [f"{i:05d} " + "word " * 199 for i in range(100)]
    path = write(tmp_path, "notes.txt", "\n".join(lines) + "\n")
    found = read(path)
    assert len(found) > 1
    assert all(len(r.segments[0].text) <= MAX_RECORD_CHARS + 1100 for r in found)
    joined = "\n".join(r.segments[0].text for r in found)
    assert joined == "\n".join(lines)
    # each record's line is the line it starts on
    for record in found:
        first = record.segments[0].text[:5]
        assert record.line == int(first) + 1


def test_an_empty_or_blank_file_has_no_records(tmp_path):
    assert read(write(tmp_path, "empty.txt", "")) == []
    assert read(write(tmp_path, "blank.txt", "\n \n\t\n")) == []


# --- Markdown headings -------------------------------------------------------

MARKDOWN = "# Maria Gonzalez\nShe painted this.\n## Bias, Risks, and Limitations\nNone known.\n"

HEADINGS_TABLE = [
    # (name, kind): headings are dropped for cards and .md files
    ("README.md", "model-card", True),
    ("README.md", "dataset-card", True),
    ("model_card.txt", "model-card", True),  # a card whatever its suffix
    ("notes.md", "text", True),
    ("notes.markdown", "text", True),
    ("notes.txt", "text", False),  # "#" in plain text is just text
]


@pytest.mark.parametrize("name, kind, dropped", HEADINGS_TABLE,
                         ids=[f"{n}-{k}" for n, k, _ in HEADINGS_TABLE])
def test_markdown_headings_are_skipped_for_cards_and_md(tmp_path, name, kind, dropped):
    found = read(write(tmp_path, name, MARKDOWN), kind)
    if dropped:
        # A heading ends a paragraph like a blank line does.
        assert texts(found) == [(2, "She painted this."), (4, "None known.")]
    else:
        assert texts(found) == [(1, MARKDOWN.rstrip("\n"))]


def test_a_hash_without_a_space_is_no_heading(tmp_path):
    # "#hashtag" and "#1" are text, and may be personal data.
    found = read(write(tmp_path, "notes.md", "#mariagonzalez\n    # indented code\n"))
    assert texts(found) == [(1, "#mariagonzalez\n    # indented code")]


# --- subtitles ---------------------------------------------------------------

SRT = ("1\n"
       "00:00:01,000 --> 00:00:02,500\n"
       "Hello, I am Maria Gonzalez.\n"
       "\n"
       "2\n"
       "00:00:03,000 --> 00:00:04,000\n"
       "Call me on 0123.\n"
       "Bye.\n")

VTT = ("WEBVTT - interview\n"
       "\n"
       "NOTE recorded in 2024\n"
       "\n"
       "00:01.000 --> 00:02.500\n"
       "Hello, I am Maria Gonzalez.\n"
       "\n"
       "cue-2\n"
       "00:00:03.000 --> 00:00:04.000 align:start position:10%\n"
       "Call me on 0123.\n")


def test_srt_cue_numbers_and_timings_are_dropped(tmp_path):
    found = read(write(tmp_path, "talk.srt", SRT))
    assert texts(found) == [(3, "Hello, I am Maria Gonzalez."), (7, "Call me on 0123.\nBye.")]


def test_vtt_header_notes_and_timings_are_dropped(tmp_path):
    found = read(write(tmp_path, "talk.vtt", VTT))
    # A cue identifier ("cue-2") is text like any other.
    assert texts(found) == [(6, "Hello, I am Maria Gonzalez."),
                            (8, "cue-2"), (10, "Call me on 0123.")]


def test_timings_are_only_noise_in_subtitles(tmp_path):
    # In a plain text file a line of digits may be a phone number: it stays.
    found = read(write(tmp_path, "notes.txt", "1\n00:00:01,000 --> 00:00:02,500\n"))
    assert texts(found) == [(1, "1\n00:00:01,000 --> 00:00:02,500")]


# --- Python ------------------------------------------------------------------

PYTHON = '''"""Training script by Maria Gonzalez."""
# contact: maria@postbox-mail.org
import os

DATA = "photos of my neighbour"
SHORT = "ab"  # too short to hold a name
greeting = f"hello {DATA} from Maria"
raw = rb'raw bytes here'


def train():
    """Train the LoRA
    on Maria's photos."""
    return os.environ.get("HOME")
'''


def test_python_comments_and_strings_with_their_lines(tmp_path):
    found = read(write(tmp_path, "train.py", PYTHON), "code")
    assert by_field(found) == [
        ("docstring", 1, "Training script by Maria Gonzalez."),  # module docstring
        ("comment", 2, "contact: maria@postbox-mail.org"),
        ("string", 5, "photos of my neighbour"),
        ("comment", 6, "too short to hold a name"),  # "ab" itself is too short
        ("string", 7, "hello {DATA} from Maria"),  # an f-string's text
        ("string", 8, "raw bytes here"),
        ("docstring", 12, "Train the LoRA\n    on Maria's photos."),  # starts on line 12
        ("string", 14, "HOME"),
    ]
    assert [s.context for r in found for s in r.segments] == [
        "docstring", "code-comment", "string-literal", "code-comment", "string-literal",
        "string-literal", "docstring", "string-literal"]
    assert all(r.line == r.segments[0].line for r in found)


def test_invalid_python_falls_back_to_the_generic_reader(tmp_path):
    # An unclosed bracket makes the tokenizer fail at the end of the file;
    # the generic reader then finds what the tokenizer never would: a //
    # comment (an OP token to Python).
    path = write(tmp_path, "broken.py", "def broken(:\n    pass\n// written by Maria Gonzalez")
    assert by_field(read(path, "code")) == [("comment", 3, "written by Maria Gonzalez")]


# Was a bug (fixed): see git history.
def test_invalid_python_yields_each_comment_once(tmp_path):
    path = write(tmp_path, "broken.py", "def broken(:\n    pass\n# by Maria Gonzalez")
    assert by_field(read(path, "code")) == [("comment", 3, "by Maria Gonzalez")]


# --- other code: the generic reader ------------------------------------------

JS = """/* Written by Maria Gonzalez */
const email = 'maria@postbox-mail.org';
let note = "a double quoted note";
const x = 'ab';
/* a block
   over two lines */
// last line comment"""


def test_c_style_comments_and_strings_via_the_generic_reader(tmp_path):
    found = read(write(tmp_path, "app.js", JS), "code")
    assert by_field(found) == [
        ("comment", 1, "Written by Maria Gonzalez"),
        ("string", 2, "maria@postbox-mail.org"),
        ("string", 3, "a double quoted note"),
        ("comment", 5, "a block\n   over two lines"),
        ("comment", 7, "last line comment"),
    ]


@pytest.mark.parametrize("name, source", [
    ("app.js", "// author Maria Gonzalez\nconst s = 'single quoted';\n"),
    ("run.sh", "# author Maria Gonzalez\necho 'single quoted'\n"),
    ("q.sql", "-- author Maria Gonzalez\nSELECT 'single quoted';\n"),
])
# Was a bug (fixed): see git history.
def test_a_line_comment_ends_at_the_end_of_its_line(tmp_path, name, source):
    found = read(write(tmp_path, name, source), "code")
    assert by_field(found) == [("comment", 1, "author Maria Gonzalez"),
                               ("string", 2, "single quoted")]


# --- Jupyter notebooks -------------------------------------------------------

NOTEBOOK = {
    "nbformat": 4,
    "cells": [
        {"cell_type": "markdown", "source": ["Photos of Maria Gonzalez\n", "\n", "in Lisbon"]},
        {"cell_type": "code",
         "source": "# by maria@postbox-mail.org\nprint('hello from the notebook')\n",
         "outputs": [
             {"output_type": "stream", "text": ["Maria Gonzalez\n", "second line\n"]},
             {"output_type": "execute_result", "data": {"text/plain": ["'a result'"]}},
             {"output_type": "display_data", "data": {"image/png": "iVBORw0KGgo="}},
         ]},
        {"cell_type": "code", "source": ["x = 1\n"], "outputs": []},
        "not a cell",  # skipped, not a crash
    ],
}


def test_notebook_markdown_code_and_outputs(tmp_path):
    path = write(tmp_path, "explore.ipynb", json.dumps(NOTEBOOK))
    found = read(path, "code")
    assert by_field(found) == [
        ("cell 1 markdown", None, "Photos of Maria Gonzalez"),
        ("cell 1 markdown", None, "in Lisbon"),
        ("cell 2 code comment", None, "by maria@postbox-mail.org"),
        ("cell 2 code string", None, "hello from the notebook"),
        ("cell 2 output", None, "Maria Gonzalez\nsecond line\n"),
        ("cell 2 output", None, "'a result'"),
    ]
    # Lines inside a cell are not lines of the .ipynb file: none is claimed.
    assert all(r.line is None for r in found)


NOT_A_NOTEBOOK_TABLE = [
    ("not-json", "this is not JSON", "JSON"),
    ("truncated", '{"cells": [', "JSON"),
    ("no-cells", '{"nbformat": 4}', "cells"),
    ("cells-not-a-list", '{"cells": {"a": 1}}', "cells"),
    ("an-array", "[1, 2]", "cells"),
]


@pytest.mark.parametrize("name, content, says", NOT_A_NOTEBOOK_TABLE,
                         ids=[n for n, *_ in NOT_A_NOTEBOOK_TABLE])
def test_a_broken_notebook_raises(tmp_path, name, content, says):
    _, error = read_until_error(write(tmp_path, "explore.ipynb", content), "code")
    assert says in str(error)


# --- safetensors __metadata__ ------------------------------------------------

def safetensors(header: dict | bytes, length: int | None = None, tail: bytes = b"") -> bytes:
    """A safetensors file built by hand: 8-byte little-endian header length,
    the JSON header, then the tensor bytes."""
    raw = header if isinstance(header, bytes) else json.dumps(header).encode()
    return (len(raw) if length is None else length).to_bytes(8, "little") + raw + tail


def test_safetensors_metadata_strings_are_segments(tmp_path):
    header = {
        "__metadata__": {"ss_dataset_dirs": "/home/maria/photos of Maria Gonzalez",
                         "ss_output_name": "maria-lora", "blank": "  ", "epochs": 3},
        "lora.weight": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
    }
    path = write(tmp_path, "lora.safetensors", safetensors(header, tail=b"\0\0\0\0"))
    found = read(path, "model-weights")
    assert len(found) == 1  # the metadata is one record: one statement
    assert by_field(found) == [
        ("__metadata__.ss_dataset_dirs", None, "/home/maria/photos of Maria Gonzalez"),
        ("__metadata__.ss_output_name", None, "maria-lora"),
    ]


@pytest.mark.parametrize("header", [
    {},
    {"__metadata__": {}},
    {"__metadata__": {"format": " "}},
    {"__metadata__": "not a dict"},
    {"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}},
], ids=["empty", "empty-metadata", "blank-values", "metadata-not-object", "no-metadata"])
def test_safetensors_without_metadata_text_has_no_records(tmp_path, header):
    path = write(tmp_path, "lora.safetensors", safetensors(header, tail=b"\0\0\0\0"))
    assert read(path, "model-weights") == []


BAD_SAFETENSORS_TABLE = [
    ("shorter-than-8-bytes", b"\x02\0\0", "shorter"),
    ("empty", b"", "shorter"),
    ("absurd-header-length", safetensors(b"{}", length=2**40), "header length"),
    ("header-not-json", safetensors(b"hello world"), "JSON"),
    ("header-not-utf8", safetensors(b'{"\xff\xfe": 1}'), "JSON"),
    ("header-cut-short", safetensors(b'{"__metadata__": {"a": "b', length=4096),
     "exceeds the file"),
]


@pytest.mark.parametrize("name, content, says", BAD_SAFETENSORS_TABLE,
                         ids=[n for n, *_ in BAD_SAFETENSORS_TABLE])
def test_a_corrupt_safetensors_header_raises(tmp_path, name, content, says):
    _, error = read_until_error(write(tmp_path, "lora.safetensors", content), "model-weights")
    assert says in str(error)


# Was a bug (fixed): see git history.
def test_a_header_length_past_the_end_of_the_file_raises(tmp_path):
    path = write(tmp_path, "lora.safetensors",
                 safetensors({"__metadata__": {"a": "Maria Gonzalez"}}, length=4096))
    read_until_error(path, "model-weights")


def test_other_weights_are_not_read(tmp_path):
    # Pickled weights are never opened (no unpickling of bundle content).
    path = write(tmp_path, "model.ckpt", b"\x80\x02}q\x00.")
    assert read(path, "model-weights") == []


# --- text that cannot be read ------------------------------------------------

def test_a_line_over_one_mib_raises_naming_the_line(tmp_path):
    path = write(tmp_path, "notes.txt",
                 "first paragraph\n\n" + "x" * (MAX_LINE_BYTES + 10) + "\nafter\n")
    found, error = read_until_error(path)
    assert texts(found) == [(1, "first paragraph")]  # read before the break
    assert "line 3" in str(error)
    assert "1 MiB" in str(error)


def test_a_line_just_under_one_mib_is_read(tmp_path):
    path = write(tmp_path, "notes.txt", "x" * (MAX_LINE_BYTES - 1) + "\n")
    [record] = read(path)
    assert len(record.segments[0].text) == MAX_LINE_BYTES - 1


def test_latin1_text_raises_naming_the_line(tmp_path):
    path = write(tmp_path, "notes.txt",
                 b"first paragraph\n\n" + "caf\xe9 crème\n".encode("latin-1"))
    found, error = read_until_error(path)
    assert texts(found) == [(1, "first paragraph")]
    assert "line 3" in str(error)
    assert "UTF-8" in str(error)
    assert "0xe9" in str(error)


def test_a_nul_byte_in_text_raises(tmp_path):
    _, error = read_until_error(write(tmp_path, "notes.txt", b"hello\nth\0ere\n"))
    assert "line 2" in str(error)
    assert "NUL" in str(error)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_with_a_bom_reads_fine(tmp_path, encoding):
    text = "Portrait of Maria Gonzalez\r\n\r\nsecond paragraph\r\n"
    # "utf-16" writes its own BOM; the -le/-be codecs need one written.
    data = text.encode(encoding) if encoding == "utf-16" else ("\ufeff" + text).encode(encoding)
    found = read(write(tmp_path, "notes.txt", data))
    assert texts(found) == [(1, "Portrait of Maria Gonzalez"), (3, "second paragraph")]


def test_a_utf8_bom_is_not_part_of_the_text(tmp_path):
    found = read(write(tmp_path, "notes.txt", b"\xef\xbb\xbfMaria Gonzalez\n"))
    assert texts(found) == [(1, "Maria Gonzalez")]


# --- tables ------------------------------------------------------------------

def test_a_csv_row_is_a_record_and_each_cell_a_segment(tmp_path):
    path = write(tmp_path, "captions.csv",
                 "file,caption,notes\n"
                 "a.png,Maria Gonzalez at the beach,\n"
                 'b.png,"two\nlines",shy\n'
                 "c.png,a dog,\n")
    found = read(path, "table")
    assert [(r.row, r.line) for r in found] == [(1, 2), (2, 3), (3, 5)]
    # Every cell of a table is data: caption context.
    assert found[0].segments == [Segment("a.png", "file", 2, "caption"),
                                 Segment("Maria Gonzalez at the beach", "caption", 2, "caption")]
    assert found[1].segments == [Segment("b.png", "file", 3, "caption"),
                                 Segment("two\nlines", "caption", 3, "caption"),
                                 Segment("shy", "notes", 3, "caption")]


def test_a_jsonl_record_has_dotted_fields(tmp_path):
    path = write(tmp_path, "metadata.jsonl", '{"text": "a cat", "author": {"name": "Ann"}}\n')
    [record] = read(path, "table")
    assert (record.row, record.line) == (1, 1)
    assert by_field([record]) == [("text", 1, "a cat"), ("author.name", 1, "Ann")]


def test_a_broken_table_raises_after_its_good_rows(tmp_path):
    path = write(tmp_path, "captions.csv", 'file,caption\na.png,a cat\nb.png,"open\n')
    found, error = read_until_error(path, "table")
    assert [r.row for r in found] == [1]
    assert "broken CSV" in str(error)


def test_a_table_that_is_no_table_format_raises(tmp_path):
    # The reader, not the caller, decides: a .txt passed as a table is refused.
    _, error = read_until_error(write(tmp_path, "captions.txt", "a,b\n"), "table")
    assert ".txt" in str(error)


# --- contexts: where each segment's text comes from ---------------------------

README = """---
license: mit
author: Jane Roe
---
# Ink-wash LoRA

Trained on our own sketches.
Questions go to the issue tracker.

```python
pipe = load("ink-wash")  # by the studio
```

```
@article{roe2024ink,
  author = {Roe, Jane and Asante, Kwame},
}
```

## Citation

If you use it, cite Jane Roe and Kwame Asante.

### BibTeX entry

See above.

## Limitations

It draws hands badly.

@inproceedings{asante2023,
  title = {Brushes},
}
"""


def test_markdown_prose_citations_fences_and_front_matter(tmp_path):
    found = read(write(tmp_path, "README.md", README), "model-card")
    assert by_context(found) == [
        ("config", 2, "license: mit\nauthor: Jane Roe"),  # front matter: card metadata
        ("prose", 7, "Trained on our own sketches.\nQuestions go to the issue tracker."),
        ("string-literal", 11, 'pipe = load("ink-wash")  # by the studio'),  # example code
        ("citation", 15, "@article{roe2024ink,\n  author = {Roe, Jane and Asante, Kwame},\n}"),
        # Under "## Citation", including its subsections, until the next
        # heading of its level.
        ("citation", 22, "If you use it, cite Jane Roe and Kwame Asante."),
        ("citation", 26, "See above."),
        ("prose", 30, "It draws hands badly."),
        # A BibTeX entry outside a fence is a citation too, until its paragraph ends.
        ("citation", 32, "@inproceedings{asante2023,\n  title = {Brushes},\n}"),
    ]


CITATION_HEADINGS_TABLE = [
    ("## Acknowledgements", True),
    ("## Acknowledgments", True),
    ("## Credits", True),
    ("## Contributors", True),
    ("## References", True),
    ("## How to cite", True),
    ("## Authors", True),
    ("## Usage", False),
    ("## Training data", False),
]


@pytest.mark.parametrize("heading, citation", CITATION_HEADINGS_TABLE,
                         ids=[h for h, _ in CITATION_HEADINGS_TABLE])
def test_citation_sections_by_heading(tmp_path, heading, citation):
    found = read(write(tmp_path, "notes.md", f"{heading}\n\nThanks to Maria Gonzalez.\n"))
    assert by_context(found) == [("citation" if citation else "prose", 3,
                                  "Thanks to Maria Gonzalez.")]


LABELS_TABLE = [
    ("References:", True),
    ("**Acknowledgements**", True),
    ("__Credits:__", True),
    ("Thanks", True),
    ("References to the paper are below.", False),
    ("Usage:", False),
]


@pytest.mark.parametrize("label, citation", LABELS_TABLE, ids=[h for h, _ in LABELS_TABLE])
def test_a_line_that_is_only_a_citation_word_opens_a_citation_section(tmp_path, label,
                                                                      citation):
    text = (f"# Tool\n\nSome prose.\n\n{label}\n1. Heusel et al. 2017, GANs.\n\n"
            "## Usage\n\nMaria Gonzalez runs it.\n")
    found = by_context(read(write(tmp_path, "README.md", text)))
    (listed,) = [context for context, _, segment in found if "Heusel" in segment]
    assert listed == ("citation" if citation else "prose")
    assert ("prose", 10, "Maria Gonzalez runs it.") in found  # the next heading ends it


RST = """Ink wash
========

Photos by Maria Gonzalez.

Acknowledgements
----------------

Kwame Asante helped.

Sub part
~~~~~~~~

Still credits.

Usage
-----

Run it.
"""


def test_rst_sections_by_underlined_headings(tmp_path):
    found = read(write(tmp_path, "index.rst", RST))
    assert by_context(found) == [
        ("prose", 4, "Photos by Maria Gonzalez."),
        ("citation", 9, "Kwame Asante helped."),
        ("citation", 14, "Still credits."),  # a subsection of the credits
        ("prose", 19, "Run it."),
    ]


HTML = """<html><head><style>
.author { color: red }
</style><script>var maria = "Maria Gonzalez";</script></head>
<body>
<p>Photos of <a href="x">Maria
Gonzalez</a> &amp; friends.</p>
<h2 class="title">BibTeX</h2>
<pre><code>@article{park2021,
  author = {Park, Keun},
}</code></pre>
</body></html>
"""


def test_html_text_without_tags_scripts_and_styles(tmp_path):
    found = read(write(tmp_path, "index.html", HTML))
    assert [(c, line, " ".join(t.split())) for c, line, t in by_context(found)] == [
        ("prose", 5, "Photos of Maria Gonzalez & friends."),
        # <code> leaves a backtick: its content is code, as `code` in Markdown.
        ("citation", 8, "` @article{park2021, author = {Park, Keun}, }`"),
    ]


DOCSTRINGS_TABLE = [
    # (source, [(field, context)] of what is read)
    ('"""Module docs here."""\nx = "a string here"\n',
     [("docstring", "docstring"), ("string", "string-literal")]),
    ('def f():\n    """Function docs."""\n    return "value here"\n',
     [("docstring", "docstring"), ("string", "string-literal")]),
    ('class A:\n    """Class docs here."""\n\n    def g(self):\n        """Method docs."""\n',
     [("docstring", "docstring"), ("docstring", "docstring")]),
    ('@decorator\nasync def f():\n    """Async docs."""\n',
     [("docstring", "docstring")]),
    # A string that starts an expression is no docstring.
    ('def f():\n    "joined here".join(parts)\n', [("string", "string-literal")]),
    # The second string of a body is no docstring.
    ('def f():\n    """Docs here."""\n    """Not docs."""\n',
     [("docstring", "docstring"), ("string", "string-literal")]),
    ('x = 1\n"""Not a module docstring."""\n', [("string", "string-literal")]),
    ('# licence header line\n"""Module docs after a comment."""\n',
     [("comment", "code-comment"), ("docstring", "docstring")]),
]


@pytest.mark.parametrize("source, expected", DOCSTRINGS_TABLE,
                         ids=[str(i) for i in range(len(DOCSTRINGS_TABLE))])
def test_python_docstrings_are_told_from_string_literals(tmp_path, source, expected):
    found = read(write(tmp_path, "m.py", source), "code")
    assert [(s.field, s.context) for r in found for s in r.segments] == expected


def test_generic_block_comment_lines_point_at_the_text(tmp_path):
    source = "int x;\n/*\n * Written by Maria Gonzalez\n */\n/** Docs by Kwame Asante */\n"
    found = read(write(tmp_path, "a.c", source), "code")
    assert [(s.context, s.line, s.text.split("\n")[0]) for r in found for s in r.segments] == [
        ("code-comment", 3, "* Written by Maria Gonzalez"),
        ("docstring", 5, "Docs by Kwame Asante"),
    ]


def test_notebook_contexts(tmp_path):
    found = read(write(tmp_path, "explore.ipynb", json.dumps(NOTEBOOK)), "code")
    assert [s.context for r in found for s in r.segments] == [
        "prose", "prose", "code-comment", "string-literal", "string-literal", "string-literal"]


FILE_CONTEXT_TABLE = [
    # (name, kind, artifact, origin, context of every segment)
    ("captions.csv", "table", "dataset", None, "caption"),
    ("sources.yaml", "manifest", "dataset", None, "caption"),
    ("0001.txt", "text", "dataset", None, "caption"),  # a caption sidecar
    ("talk.srt", "text", "dataset", None, "caption"),
    ("README.md", "text", "dataset", None, None),  # Markdown decides per line
    ("notes.txt", "text", "docs", None, None),
    ("CITATION.cff", "text", "docs", None, "citation"),
    ("AUTHORS", "text", "docs", None, "citation"),
    ("CONTRIBUTORS.md", "text", "docs", None, "citation"),
    ("references_and_licenses.txt", "text", "dataset", None, "citation"),
    ("paper.bib", "text", "docs", None, "citation"),
    (".pylintrc", "text", "code", None, "config"),
    (".flake8", "text", "code", None, "config"),
    ("lora.safetensors", "model-weights", "model", None, "metadata"),
    ("train.py", "code", "code", None, None),
    ("results.py", "code", "code", "fixture", "fixture"),
    ("captions.csv", "table", "dataset", "fixture", "fixture"),
]


@pytest.mark.parametrize("name, kind, artifact, origin, expected", FILE_CONTEXT_TABLE,
                         ids=[f"{n}-{o}" for n, _, _, o, _ in FILE_CONTEXT_TABLE])
def test_file_context(name, kind, artifact, origin, expected):
    assert file_context(name, kind, artifact, origin) == expected


def test_records_apply_a_file_context_to_every_segment(tmp_path):
    path = write(tmp_path, "test_data.py", '"""Docs by Maria."""\n# note by Kwame\n')
    assert {s.context for r in records(path, "code", ".py", "fixture") for s in r.segments} \
        == {"fixture"}


JSON_OBJECT_TABLE = [
    ('{"a.png": "portrait of Maria", "b.png": "a cat"}', "config", "caption"),
    ('{"a": {"caption": "portrait of Maria"}}', "config", "caption"),
    ('{"author": "Maria Gonzalez", "lr": "1e-4"}', "config", "config"),
    ('{"creator": "Maria Gonzalez"}', "manifest", "caption"),
]


@pytest.mark.parametrize("content, kind, expected", JSON_OBJECT_TABLE,
                         ids=[str(i) for i in range(len(JSON_OBJECT_TABLE))])
def test_a_json_object_is_a_caption_map_or_a_config(tmp_path, content, kind, expected):
    found = read(write(tmp_path, "meta.json", content), kind)
    assert {s.context for r in found for s in r.segments} == {expected}


def test_html_lines_of_tags_only_keep_a_paragraph_together(tmp_path):
    # An author block: one name per element, tags on the lines between. The
    # names are one paragraph (one byline), and each keeps its own line.
    source = ('<div class="authors">\n<span>\n<a href="a">Maria Gonzalez</a>,</span>\n'
              '<span>\n<a href="b">Kwame Asante</a></span>\n</div>\n')
    [record] = read(write(tmp_path, "index.html", source))
    segment = record.segments[0]
    assert segment.line == 3
    assert [line.strip() for line in segment.text.split("\n")] == [
        "Maria Gonzalez ,", "", "Kwame Asante", ""]  # lines 3, 4, 5, 6


def test_inline_html_in_markdown_is_no_text(tmp_path):
    source = "<table><tr><td><code>Maria Gonzalez</code></td></tr>\n<br>\n" \
             "Mail <maria@postbox-mail.org> or see <https://example.com>.\n"
    found = read(write(tmp_path, "notes.md", source))
    # Tags are dropped; <code> leaves backticks (quoted code); autolinks stay.
    assert [(c, line, " ".join(t.split())) for c, line, t in by_context(found)] == [
        ("prose", 1, "`Maria Gonzalez` Mail <maria@postbox-mail.org> or see <https://example.com>.")]


def test_rst_definition_terms_are_no_text(tmp_path):
    # "Valid Values" heads its indented definition: a term, like a heading.
    found = read(write(tmp_path, "options.rst",
                       "Valid Values\n    ISO codes of Maria Gonzalez\nDefault\n    all\n"))
    assert texts(found) == [(2, "    ISO codes of Maria Gonzalez"), (4, "    all")]


def test_the_prompt_in_a_generated_image_is_read_as_metadata_and_checked(tmp_path, cli):
    """An A1111 ``parameters`` chunk is a record a person typed: the e-mail
    address and the name in it are personal data of the dataset's image."""
    from conftest import make_bundle
    from PIL import Image, PngImagePlugin

    bundle = make_bundle(tmp_path / "b", {"data/README.md": "# Samples\n"})
    chunk = PngImagePlugin.PngInfo()
    chunk.add_text("parameters", "portrait of Maria Gonzalez, write to kofi.mensah@kunst-post.org\n"
                   "Negative prompt: blurry\nSteps: 20, Sampler: Euler a, Seed: 42")
    Image.new("RGB", (8, 8)).save(bundle / "data" / "sample.png", pnginfo=chunk)
    records_read = list(records(bundle / "data" / "sample.png", "image", ".png"))
    assert [s.context for r in records_read for s in r.segments] == ["metadata", "metadata"]
    report = cli("assess", bundle, "--format", "json", "--no-cache").json()
    email = [f for f in report["findings"] if f["id"] == "pii.email-address"]
    assert email and email[0]["location"]["path"] == "data/sample.png"
    assert email[0]["context"] == "metadata"
    assert "kofi.mensah@kunst-post.org" not in json.dumps(report)
