"""Labelled evaluation set for the personal-data check: loader and guidelines.

    python benchmarks/pii_eval_data.py [path]

validates the file and prints counts per category and per label.

Format
------
`data/pii_eval.jsonl` holds one JSON object per line::

    {"id": "caption-001", "category": "art-caption", "field": "caption",
     "marked": "A portrait of [[Maria Gonzalez|PERSON]], email [[maria.g@posteo.de|EMAIL]]"}

`marked` is the text with inline labels `[[surface text|LABEL]]`; everything
outside markers is unlabelled. A marker may carry more than one label,
`[[16-year-old|AGE|SENSITIVE:minors]]`: that gives one span per label, all with
the same offsets. `[[` and `]]` appear nowhere else, a surface never contains
`|`, and markers do not nest. `field` (optional) names the table column the
text would come from (caption, author, credit, notes, exif, description,
prompt, uploader, source_url). `id` is unique.

`load()` strips the markers and returns `Record`s whose `spans` are
`Span(start, end, label)` offsets into the clean `text` (Python string
indices, that is Unicode code points), sorted by position.

Categories
----------
art-caption               ordinary captions and prompts, mostly without personal data
credit                    artist credits, "by X", "photo: X", copyright lines
handle                    forum and social handles, profile URLs
exif                      EXIF/XMP/IPTC-like metadata strings
contact                   emails, phone numbers, IBANs, card numbers, IPs, national IDs
address                   street and postal addresses, personal places
birth-age                 birth dates and ages
art-vocab                 art vocabulary that is not personal data (no labels at all)
sensitive-with-person     a named or clearly identified person with a GDPR Art. 9 trait
sensitive-without-person  such a trait with no identifiable person

Labelling guidelines
--------------------
Personal data (`PII_LABELS`):

- PERSON: every name of a natural person, including artists in credits, famous
  historical artists ("in the style of Claude Monet"), lowercase prompt names
  ("by greg rutkowski"), pseudonyms of a real person ("Moebius") and names in
  "Surname, Given" order. Only the name: no titles, no possessive "'s". Not
  artwork titles, deities, saints or fictional characters ("Venus", "Madonna",
  "Mona Lisa", "Girl with a Pearl Earring", "Odin"), nor studios, museums or
  companies.
- EMAIL: the address as written, obfuscated forms included
  ("licensing (at) lumenfeld-prints (dot) com").
- PHONE: the number as written, with its country code, without "Tel:".
- STREET_ADDRESS: a full postal address from the flat or house number to
  postcode, city or state as written (P.O. boxes included); a street name
  alone ("Rue de Rivoli at night") is not labelled.
- LOCATION: a place only when it is personal: where a named person lives, was
  born, is based, or their home. Landscape and subject places ("sunset over
  Venice", "night market in Taipei") are not labelled.
- SOCIAL_HANDLE: "@name", "u/name", Mastodon "@name@host", Discord tags, bare
  user names in an uploader/author field, and personal profile URLs with their
  scheme ("https://www.artstation.com/kitpaints"). Not subreddits ("r/Art"),
  hashtags, or artwork URLs that carry no user name.
- IP_ADDRESS, CREDIT_CARD, IBAN, NATIONAL_ID (US SSN format, UK NI number):
  the value as written. A card's last four digits alone are not labelled.
- BIRTH_DATE: a date or year that is someone's birth date ("born 14 March
  1990" -> "14 March 1990", "b. 1992" -> "1992", the first year of a lifespan
  "(1760-1849)"). Other dates (creation, capture, "painted in 1889",
  "summer 2021", EXIF DateTimeOriginal) are not labelled.
- AGE: the age of a person: the number with its unit words when present
  ("34", "16-year-old", "30 years old", "6 months old"), without "aged", "age"
  or "is".
- GPS: coordinates; a latitude/longitude pair written together is one span,
  separate EXIF fields are one span each. Altitude is not labelled.

Sensitive traits (GDPR Art. 9) are labelled `SENSITIVE:<category>`, the
category one of `TRAIT_CATEGORIES`: health, religion, political-opinion,
ethnic-origin, trade-union, genetic, biometric, sex-life (sexual orientation or
sex life), minors (a child, or an age under 18). Label the phrase that states
the trait ("HIV", "Muslim", "member of the Communist Party", "gay",
"chemotherapy", "DNA test", "fingerprint scan"); where two separate phrases
each state it ("union rep ... Unite rally"), label both. Label a trait only
when it is stated about a person or people; in sensitive-without-person it is
about unnamed people and is still labelled. Art vocabulary is never a trait
("Catholic iconography", "Soviet propaganda poster style", "nude study",
"hospital corridor"). An age under 18 is labelled both AGE and
SENSITIVE:minors on the same span. Plain nationalities are not labelled as
ethnic origin.

All people in the set are fictitious except named historical artists and the
one living artist ubiquitous in prompt datasets (greg rutkowski); contact data
uses invented e-mail addresses (made-up names at real mail providers or at
made-up studio domains: never example.com/.org/.net or .test, whose addresses
reach no one and are not personal data, RFC 2606/6761) and documentation
values (555-01xx and other drama-number ranges, payment-network test cards,
published example IBANs, 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24,
2001:db8::/32).
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

DEFAULT = Path(__file__).resolve().parent / "data" / "pii_eval.jsonl"

PII_LABELS = (
    "PERSON",
    "EMAIL",
    "PHONE",
    "STREET_ADDRESS",
    "LOCATION",
    "SOCIAL_HANDLE",
    "IP_ADDRESS",
    "CREDIT_CARD",
    "IBAN",
    "BIRTH_DATE",
    "AGE",
    "GPS",
    "NATIONAL_ID",
)
TRAIT_CATEGORIES = (
    "health",
    "religion",
    "political-opinion",
    "ethnic-origin",
    "trade-union",
    "genetic",
    "biometric",
    "sex-life",
    "minors",
)
TRAIT_PREFIX = "SENSITIVE:"
LABELS = PII_LABELS + tuple(TRAIT_PREFIX + c for c in TRAIT_CATEGORIES)
CATEGORIES = (
    "art-caption",
    "credit",
    "handle",
    "exif",
    "contact",
    "address",
    "birth-age",
    "art-vocab",
    "sensitive-with-person",
    "sensitive-without-person",
)

OPEN, CLOSE, SEP = "[[", "]]", "|"


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    label: str


@dataclass(frozen=True)
class Record:
    id: str
    category: str
    field: str | None
    text: str
    spans: tuple[Span, ...]


class FormatError(ValueError):
    """A record that does not follow the format."""


def parse_marked(marked: str) -> tuple[str, tuple[Span, ...]]:
    """Strip `[[surface|LABEL...]]` markers; return the clean text and its spans."""
    pieces: list[str] = []
    spans: list[Span] = []
    length = 0
    pos = 0
    while True:
        start = marked.find(OPEN, pos)
        stray = marked.find(CLOSE, pos)
        if stray != -1 and (start == -1 or stray < start):
            raise FormatError(f"stray {CLOSE!r} at {stray}")
        if start == -1:
            pieces.append(marked[pos:])
            break
        end = marked.find(CLOSE, start + len(OPEN))
        if end == -1:
            raise FormatError(f"unclosed {OPEN!r} at {start}")
        inner = marked[start + len(OPEN) : end]
        if OPEN in inner:
            raise FormatError(f"nested {OPEN!r} inside the marker at {start}")
        surface, *labels = inner.split(SEP)
        if not labels:
            raise FormatError(f"marker at {start} has no label: {inner!r}")
        if not surface or surface != surface.strip():
            raise FormatError(f"empty or padded surface in the marker at {start}: {surface!r}")
        for label in labels:
            if label not in LABELS:
                raise FormatError(f"unknown label {label!r} in the marker at {start}")
        if len(set(labels)) != len(labels):
            raise FormatError(f"repeated label in the marker at {start}")
        before = marked[pos:start]
        pieces += [before, surface]
        length += len(before)
        spans += [Span(length, length + len(surface), label) for label in labels]
        length += len(surface)
        pos = end + len(CLOSE)
    return "".join(pieces), tuple(spans)


def _check_spans(text: str, spans: tuple[Span, ...]) -> None:
    previous: Span | None = None
    for span in spans:
        if not 0 <= span.start < span.end <= len(text):
            raise FormatError(f"span {span} out of range")
        if previous is not None and (span.start, span.end) != (previous.start, previous.end):
            if span.start < previous.end:
                raise FormatError(f"overlapping spans {previous} and {span}")
        previous = span


def load(path: str | Path = DEFAULT) -> list[Record]:
    """Read and validate the evaluation set; raise FormatError on the first problem."""
    records: list[Record] = []
    ids: set[str] = set()
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            where = f"{path}:{lineno}"
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise FormatError(f"{where}: invalid JSON: {exc}") from None
            if not isinstance(obj, dict):
                raise FormatError(f"{where}: not a JSON object")
            unknown = set(obj) - {"id", "category", "field", "marked"}
            if unknown:
                raise FormatError(f"{where}: unknown keys {sorted(unknown)}")
            rid, category, field, marked = (
                obj.get(k) for k in ("id", "category", "field", "marked")
            )
            if not isinstance(rid, str) or not rid:
                raise FormatError(f"{where}: missing id")
            if rid in ids:
                raise FormatError(f"{where}: duplicate id {rid!r}")
            ids.add(rid)
            if category not in CATEGORIES:
                raise FormatError(f"{where}: unknown category {category!r}")
            if field is not None and not isinstance(field, str):
                raise FormatError(f"{where}: field must be a string")
            if not isinstance(marked, str) or not marked:
                raise FormatError(f"{where}: missing marked text")
            try:
                text, spans = parse_marked(marked)
                _check_spans(text, spans)
            except FormatError as exc:
                raise FormatError(f"{where} ({rid}): {exc}") from None
            records.append(Record(rid, category, field, text, spans))
    return records


def load_conll(path: str | Path, prefix: str = "") -> list[Record]:
    """Read a CoNLL file (one ``token<TAB>tag`` a line, BIO tags, a blank
    line between documents) such as WNUT-17. Tokens are joined with single
    spaces, as Presidio's own evaluation does; only ``person`` entities
    become spans (label PERSON), the other types are left unlabelled."""
    records: list[Record] = []
    tokens: list[tuple[str, str]] = []

    def flush() -> None:
        if not tokens:
            return
        text_parts: list[str] = []
        spans: list[Span] = []
        offset = 0
        open_start: int | None = None
        open_end = 0
        for token, tag in tokens:
            start = offset
            offset += len(token)
            text_parts.append(token)
            kind = tag[2:] if tag[:2] in ("B-", "I-") else ""
            if open_start is not None and not (tag.startswith("I-") and kind == "person"):
                spans.append(Span(open_start, open_end, "PERSON"))
                open_start = None
            if kind == "person":
                if open_start is None:
                    open_start = start
                open_end = offset
            offset += 1  # the joining space
        if open_start is not None:
            spans.append(Span(open_start, open_end, "PERSON"))
        records.append(Record(f"{prefix}{len(records) + 1}", "conll", None,
                              " ".join(text_parts), tuple(spans)))
        tokens.clear()

    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.rstrip("\n")
            if not line.strip():
                flush()
                continue
            token, _, tag = line.rpartition("\t")
            if not token:  # a line with a tag and no tab: the tag is the token
                token, tag = tag, "O"
            tokens.append((token, tag.strip()))
    flush()
    return records


def main(argv: list[str]) -> int:
    path = Path(argv[0]) if argv else DEFAULT
    try:
        records = load(path)
    except (OSError, FormatError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    per_category = Counter(r.category for r in records)
    unlabelled = Counter(r.category for r in records if not r.spans)
    per_label = Counter(s.label for r in records for s in r.spans)
    records_per_label = Counter(label for r in records for label in {s.label for s in r.spans})
    print(f"{len(records)} records, {sum(per_label.values())} spans in {path}")
    print(f"\n{'category':26} {'records':>7} {'no spans':>8}")
    for category in CATEGORIES:
        print(f"{category:26} {per_category[category]:7} {unlabelled[category]:8}")
    print(f"\n{'label':26} {'spans':>7} {'records':>8}")
    for label in LABELS:
        print(f"{label:26} {per_label[label]:7} {records_per_label[label]:8}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
