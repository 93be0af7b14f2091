"""What a dataset card says its records hold about the people who made them.

A dataset of posts, prompts or uploads often keeps who posted each one: a
user id, a username or handle, an account id, an e-mail or IP address, often
hashed ("the SHA-256 hash of the user's Discord id"), and when they posted.
The card's schema says so (a Markdown table of fields, a
``dataset_info.features`` list in its metadata, or a sentence), even when
the data itself is not in the bundle. A hashed id is pseudonymous, not
anonymous (GDPR Art. 4(5) and Recital 26): anyone who knows a username can
compute its hash and find every record of that person, and the timestamps
tie the records to moments of their life. The data stays personal data.

This module finds the first such field a card describes, the kinds of
identifier it holds, whether they are hashed, and whether the card (or
another dataset card of the bundle) claims the people cannot be identified.
The cards check reports it as ``pii.pseudonymous-ids``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache

from aiart_release.masking import mask
from aiart_release.readers.markdown import is_delimiter_row, table_cells
from aiart_release.records import dataclass

# Every pattern is compiled on first use, as in the rest of the cards plugin.

# Who a record's identifier points to, and the platforms whose accounts they
# hold ("discord id", "twitter handle").
# (Not "creator" or "artist": a credited artist's name is a credit, read as
# a name by the pii check.)
_WHO = (r"(?:user|author|account|poster|uploader|member|submitter|contributor|"
        r"sender|commenter|reviewer|player|customer|profile|participant)")
_PLATFORM = (r"(?:discord|twitter|reddit|telegram|instagram|tiktok|youtube|flickr|github|"
             r"mastodon|weibo|slack|facebook|pinterest|deviantart|artstation)")
_WHAT = r"(?:ids?|identifiers?|ids?\s+numbers?|names?|handles?|hash(?:es)?|e-?mails?|ips?)"


# A field (column) name that holds an identifier of a person: user_id,
# user_name, username, author_handle, discord_id, email, ip_address.
@cache
def _id_field() -> re.Pattern[str]:
    return re.compile(
        rf"(?:{_WHO}|{_PLATFORM})(?:[_ .-]?(?:{_WHAT}|user_?name|account(?:_?id)?))"
        r"|user|username|user_?handle|handle|screen_?name|account_?id|"
        r"e-?mail(?:_?address)?|ip(?:_?addr(?:ess)?)?", re.I)


# A field name that holds a time.
@cache
def _time_field() -> re.Pattern[str]:
    return re.compile(r"(?:\w+_)?(?:timestamp|datetime|date|time|created(?:_at|_utc)?|"
                      r"posted(?:_at)?|sent(?:_at)?|uploaded(?:_at)?)(?:_\w+)?", re.I)


# Words that name an identifier of a person in a description or a sentence.
@cache
def _id_phrase() -> re.Pattern[str]:
    return re.compile(
        rf"\b(?:{_WHO}s?'?s?|{_PLATFORM})\s+(?:unique\s+)?(?:{_WHAT}|user\s?names?|"
        r"account\s+ids?|e-?mail\s+address(?:es)?|ip\s+address(?:es)?)\b(?!-)|"
        r"\b(?:user\s?names?|screen\s+names?|account\s+ids?|ip\s+address(?:es)?)\b|"
        r"\be-?mail\s+address(?:es)?\s+of\s+(?:the\s+|each\s+|their\s+)?"
        rf"(?:{_WHO}s?|people|persons|annotators|workers)\b", re.I)


# A sentence says the data holds it: a field, a column, "each record ...",
# a hash.
@cache
def _data_cue() -> re.Pattern[str]:
    return re.compile(
        r"\b(?:columns?|fields?|features?|attributes?|keys?|metadata|contains?|includes?|"
        r"holds?|stores?|records?|each\s+(?:image|row|record|sample|entry|item|prompt|post|"
        r"message|example)|hash(?:ed|es)?|sha-?\d{1,3}|md5|encrypted|pseudonymi[sz]ed|"
        r"anonymi[sz]ed)\b", re.I)


# The identifier is hashed or encrypted: pseudonymous.
@cache
def _hashed() -> re.Pattern[str]:
    return re.compile(r"\b(?:hash(?:ed|es|ing)?|sha-?\d{1,3}|md5|blake2\w*|encrypt\w*|"
                      r"pseudonymi[sz]\w*|anonymi[sz]ed)\b", re.I)


# A description of when a person did something ("UTC timestamp when this
# image was generated", "the time the message was sent").
@cache
def _time_phrase() -> re.Pattern[str]:
    return re.compile(r"\b(?:time\s?stamps?|date\s+and\s+time|time\s+(?:when|at\s+which)|"
                      r"(?:posted|sent|uploaded|created|generated)\s+(?:at|on)\b)", re.I)


# The card claims nobody can be identified, or that identifying data was
# removed, or answers No to the Datasheets question about it.
@cache
def _anonymity_claim() -> re.Pattern[str]:
    return re.compile(
        r"\b(?:cannot|can\s*not|can't|could\s+not|impossible\s+to|not\s+possible\s+to|"
        r"no\s+way\s+to)\s+(?:be\s+)?(?:re-?)?identif\w*"
        r"|\b(?:personally\s+identifiable|identifying|personal)\s+(?:data|information)"
        r"[^.\n]{0,80}?\b(?:were|was|are|is|have\s+been|has\s+been)\s+(?:\w+\s+)?"
        r"(?:removed|stripped|deleted|excluded|dropped)"
        r"|\b(?:fully\s+|completely\s+)?anonymi[sz]ed\b"
        # The question, then its answer: one "?" per line read, so that a
        # line of question marks costs one pass.
        r"|identif\w*\s+(?:any\s+)?individuals\b[^\n?]{0,400}\?[^\n]{0,400}\n"
        r"(?:[ \t]*\n){0,3}[ \t>*_\d.]*No\b", re.I)


# Values a description quotes as examples (a hash, a handle): masked in the quote.
@cache
def _example_value() -> re.Pattern[str]:
    return re.compile(r"\b[0-9a-f]{16,128}\b|(?<![\w@])@?[\w.-]{2,32}#\d{4}\b|"
                      r"(?<![\w.%+-])[\w.%+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}", re.I)


@dataclass(frozen=True)
class Identifiers:
    """Where a card says its records identify the people who made them."""

    line: int
    quote: str
    kinds: tuple[str, ...]  # "user ids", "usernames", ..., "timestamps"
    hashed: bool
    context: str  # "prose" (the card's text) or "config" (its metadata)


@dataclass(frozen=True)
class Claim:
    """Where a card says the people cannot be identified."""

    path: str
    line: int


_SHOWN_CHARS = 140


def described_identifiers(card_text: str, lines, metadata: dict | None = None,
                          aside: re.Pattern[str] | None = None) -> Identifiers | None:
    """The first field or sentence of a dataset card saying its records hold
    identifiers of people, or None. ``lines`` are the card's Markdown lines
    (``cards.markdown_lines``), ``metadata`` its parsed front matter,
    ``aside`` the headings whose sections describe other work."""
    found = _in_metadata(card_text, metadata or {})
    if found is None:
        found = _in_body(lines, aside)
    return found


def anonymity_claim(path: str, text: str) -> Claim | None:
    """Where a card claims its people cannot be identified, or None."""
    match = _anonymity_claim().search(text)
    if match is None:
        return None
    return Claim(path, text.count("\n", 0, match.start()) + 1)


def _in_body(lines, aside: re.Pattern[str] | None) -> Identifiers | None:
    skipping = False
    header: list[str] | None = None  # the open table's column names
    times: list[str] = []  # time fields of the table, in case an id comes
    first: tuple[int, str, str, set[str], bool] | None = None
    previous = ""
    for line in lines:
        if line.heading:
            skipping = bool(aside and aside.search(line.heading[1]))
            header, previous = None, ""
            continue
        text = line.text
        if line.code or skipping or not text.strip():
            header, previous = (None if not text.strip() else header), text
            continue
        if is_delimiter_row(text):
            header = [c.strip(" `*_").lower() for c in table_cells(previous)]
            previous = text
            continue
        if header is not None and "|" in text:
            hit = _table_row(table_cells(text), header)
        else:
            header = None
            hit = _sentence(text)
        previous = text
        if hit is None:
            continue
        kinds, hashed, is_time = hit
        if is_time:
            times.append(text)
            if first is not None:
                first[3].add("timestamps")
            continue
        if first is None:
            first = (line.number, text, "prose", set(kinds), hashed)
            if times:
                first[3].add("timestamps")
        else:
            first[3].update(kinds)
    if first is None:
        return None
    return Identifiers(first[0], _quoted(first[1]), _ordered(first[3]), first[4], first[2])


def _table_row(cells: list[str], header: list[str]):
    """(kinds, hashed, is_time) for a row of a table of fields, or None.
    The field's name is the cell under a "field", "name", "column" or
    "feature" header (else the first cell); the rest describe it."""
    at = next((i for i, h in enumerate(header) if re.fullmatch(
        r"(?:field|column|feature|attribute|key)(?:\s*name)?|name", h)), None)
    if at is None or at >= len(cells):
        return None  # a table of figures or of people, not of fields
    name = cells[at].strip(" `*_\\")
    description = " ".join(c for i, c in enumerate(cells) if i != at)
    if _id_field().fullmatch(name) or (_id_phrase().search(description)
                                       and not _time_field().fullmatch(name)):
        return _kinds(name + " " + description), bool(_hashed().search(description)), False
    if _time_field().fullmatch(name) or _time_phrase().search(description):
        return (), False, True
    return None


# A sentence that addresses the reader ("Please include your Flickr
# username in the email", FFHQ's removal steps) asks for the reader's own
# id; it says nothing about what the records hold.
@cache
def _to_the_reader() -> re.Pattern[str]:
    return re.compile(r"\b(?:please|you|your|yours)\b", re.I)


def _sentence(text: str):
    for sentence in re.split(r"(?<=[.!;])\s+", text.strip()):
        if sentence.rstrip(" *_)").endswith("?") or _to_the_reader().search(sentence):
            continue
        if _id_phrase().search(sentence) and _data_cue().search(sentence):
            return _kinds(sentence), bool(_hashed().search(sentence)), False
    return None


def _in_metadata(text: str, metadata: dict) -> Identifiers | None:
    """A field of ``dataset_info.features`` (one config or a list of them)
    named like an identifier of a person."""
    infos = metadata.get("dataset_info")
    infos = infos if isinstance(infos, list) else [infos]
    names: list[str] = []
    for info in infos:
        features = info.get("features") if isinstance(info, dict) else None
        for feature in features if isinstance(features, list) else []:
            if isinstance(feature, dict) and isinstance(feature.get("name"), str):
                names.append(feature["name"])
    ids = [n for n in names if _id_field().fullmatch(n)]
    if not ids:
        return None
    kinds = set(_kinds(" ".join(ids)))
    if any(_time_field().fullmatch(n) for n in names):
        kinds.add("timestamps")
    line = _metadata_line(text, ids[0])
    return Identifiers(line, f"dataset_info.features: {', '.join(ids[:4])}",
                       _ordered(kinds), any(_hashed().search(n) for n in ids), "config")


def _metadata_line(text: str, name: str) -> int:
    match = re.search(rf"^\s*-?\s*name:\s*['\"]?{re.escape(name)}['\"]?\s*$", text, re.M)
    return text.count("\n", 0, match.start()) + 1 if match else 1


_KINDS = (
    ("e-mail addresses", r"e-?mail"),
    ("IP addresses", r"\bip(?:_?addr\w*|\s+address\w*|s)?\b"),
    ("usernames or handles", r"user_?names?|user\s+names?|handles?|screen_?\s?names?|"
                             rf"(?:{_WHO})_?names?"),
    ("account or user ids", r"ids?\b|identifiers?|account|user\b|users\b"),
)


def _kinds(text: str) -> list[str]:
    found = [kind for kind, pattern in _KINDS if re.search(pattern, text, re.I)]
    return found or ["account or user ids"]


def _ordered(kinds: Iterable[str]) -> tuple[str, ...]:
    order = [k for k, _ in _KINDS] + ["timestamps"]
    return tuple(sorted(set(kinds), key=order.index))


def _quoted(text: str) -> str:
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # links: their text
    text = re.sub(r"\s*\|\s*", " | ", text.strip().strip("|")).strip()
    text = re.sub(r"\*+|`+", "", text)
    text = _example_value().sub(lambda m: mask(m.group(0), "secret"), text)
    if len(text) <= _SHOWN_CHARS:
        return text
    return text[:_SHOWN_CHARS - 1].rsplit(" ", 1)[0] + "…"
