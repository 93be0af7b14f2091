"""What a hit means depends on where its text comes from.

The analyzer finds entities in any text; this module decides, from the
context of the text (``aiart_release.findings.CONTEXTS``), which hits are
artefacts of that kind of text and how much the rest weigh:

- digits inside a URL or a file path are ids of pages and files, not card,
  phone or identity numbers; ``icon@2x.png`` is a file, not an address;
- a CamelCase, snake_case or dotted word is a code identifier, not a name;
- a bare number is an age only in a sentence about a person;
- a trait term in a list of class labels states nothing about anyone;
- names and contacts in a code header or a docstring are the maintainers'
  published contacts, authors in a citation are credits, words in a linter
  config are options.

Severities follow (``cap``): the data itself (captions, metadata, file
names) keeps the full weight; card and README prose at most medium, and
low for names and handles (credits, authors, public figures in prompt
examples); code and config low; citations info; test fixtures low.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from aiart_release.findings import Severity
from aiart_release.lazy_pattern import LazyPattern

if TYPE_CHECKING:
    from .analyzer import Hit

CAPTION, PROSE, CITATION, FIXTURE = "caption", "prose", "citation", "fixture"
# Where the text is data about people: full severity.
DATA_CONTEXTS = frozenset({"caption", "metadata", "file-name"})
# Code and configuration: what is found there is the authors' own text.
CODE_CONTEXTS = frozenset({"code-comment", "docstring", "string-literal", "config"})
# Published, not data: credits, licence texts, generated files.
QUIET_CONTEXTS = frozenset({"citation", "license-text", "generated"})

# Entities whose value is a string of digits: inside a URL or a path they
# are the id of a page, an image or a commit.
_NUMBER_SHAPED = frozenset({
    "PHONE_NUMBER", "CREDIT_CARD", "US_SSN", "US_ITIN", "US_PASSPORT", "US_DRIVER_LICENSE",
    "UK_NINO", "UK_NHS", "UK_PASSPORT", "UK_DRIVING_LICENCE", "IBAN_CODE", "US_BANK_NUMBER",
    "EMAIL_ADDRESS", "IP_ADDRESS", "AGE", "CRYPTO",
})
# Tokens that are a URL (a scheme or www.), a path (a slash or backslash and
# a letter: "images/IMG_20190512_143022.jpg", "C:\\data\\4111111111111111")
# or a file name ("IMG_4155550199.jpg"). Found token by token, in linear
# time: a pattern that looks for "://" or "/" from every position of a long
# token costs its square.
_TOKEN = LazyPattern(r"[^\s<>\"'`()\[\]{},;|]+")
_FILE_EXTENSIONS = frozenset(
    "jpg jpeg png gif webp svg ico bmp tif tiff heic avif mp3 mp4 mov webm wav flac pdf zip "
    "tar gz txt json jsonl csv tsv yaml yml toml py js ts css html htm md safetensors ckpt "
    "pt pth bin onnx parquet".split())
# "icon@2x.png": the "domain" of this address is a file extension.
_FILE_TLD = LazyPattern(
    r"\.(?:jpe?g|png|gif|webp|svg|ico|bmp|tiff?|pdf|js|css|py|json|txt|md|html?|zip|gz|"
    r"mp[34]|mov|webm|wav|csv|ya?ml)$", re.IGNORECASE)

# Code identifiers: CamelCase inside a word (but not McDonald, DeVito,
# O'Brien), snake_case, dotted names, words with digits, Python constants.
_CAMEL = LazyPattern(r"[a-z][A-Z]|[A-Z]{2,}[a-z]")
_NAME_PREFIX = LazyPattern(r"^(?:Mc|Mac|De|Di|Da|Du|La|Le|Van|Von|O['’])[A-Z][a-z]+$")
_CODE_WORDS = frozenset({"true", "false", "none", "null", "nan", "self", "cls", "todo",
                         "fixme", "args", "kwargs", "lorem", "ipsum", "dolor"})
_INSTITUTION = LazyPattern(
    r"\b(?:University|Institute|College|School|Academy|Museum|Bank|Department|Faculty|"
    r"Ministry|Hospital|Church|Society|Republic|State|Kingdom|Centre|Center|Library|"
    r"Foundation|Council|City|County|Port|Lake|Mount|Cape) of\s+$")
# A key or a line of a config that says it holds a person.
_PERSON_KEY = LazyPattern(r"author|maintainer|contact|owner|email|name|creator|by\b",
                         re.IGNORECASE)
# A sentence about a person: who the number or trait is about.
_PERSON_NOUN = LazyPattern(
    r"\b(?:he|she|him|her|his|hers|man|woman|boy|girl|child|kid|son|daughter|baby|toddler|"
    r"teen|teenager|brother|sister|niece|nephew|grandson|granddaughter|pupil|patient|"
    r"birthday)\b", re.IGNORECASE)
# In the data, captions speak in the first person and of sitters and models:
# "self-portrait at 27", "subject is a minor (13)".
_DATA_PERSON_NOUN = LazyPattern(
    r"\b(?:i|me|my|myself|self-portrait|selfie|subject|model|sitter|client|minor)\b",
    re.IGNORECASE)
# A contact published on purpose: "Contact: ...", "questions to ...".
_CONTACT_CUE = LazyPattern(
    r"\b(?:contact(?:ed)?|questions?|inquir(?:y|ies)|enquir(?:y|ies)|reach|maintainers?|"
    r"support|feedback|correspondence|issues?|e-?mail (?:us|me)|write to|report)\b",
    re.IGNORECASE)
# The last part of a handle or profile link written in capitals: a template.
_PLACEHOLDER = LazyPattern(r"[@/][A-Z][A-Z_]{2,}/?$")
# `code` and ``code`` in Markdown and reStructuredText prose.
_INLINE_CODE = LazyPattern(r"(`+)[^`\n]+\1")
# "06.01.2010 029": a date, not a phone number.
_DATE = LazyPattern(
    r"\b(?:\d{1,2}[./-]\d{1,2}[./-](?:\d{4}|\d{2})|\d{4}[./-]\d{1,2}[./-]\d{1,2})\b")
_LIST_SPLIT = LazyPattern(r"[,;|\n]")


def clean_hits(text: str | None, hits: Sequence[Hit], context: str | None) -> list[Hit]:
    """The hits of one segment that mean something in its context."""
    if text is None or not hits:
        return list(hits)
    places = _url_and_path_spans(text) if any(h.entity in _NUMBER_SHAPED for h in hits) else []
    # Code quoted in prose: an option, a decorator, a command.
    quoted = [m.span() for m in _INLINE_CODE.finditer(text)] if context == PROSE else []
    persons = [h for h in hits if h.entity == "PERSON"]
    kept = []
    for hit in hits:
        entity = hit.entity
        if quoted and _inside(hit, quoted):
            continue
        if entity in _NUMBER_SHAPED and (
                (_inside(hit, places) and not _mailto(text, hit))
                or not _number_plausible(hit, context)):
            continue
        if entity == "EMAIL_ADDRESS" and _FILE_TLD.search(hit.value.strip()):
            continue
        if entity == "PERSON" and "\n" in hit.value.strip():
            hit = _first_line(hit)  # "Mateo Rossi\nExif": the model ran on
        if entity == "PERSON" and not _person(text, hit, context):
            continue
        if entity == "SOCIAL_HANDLE" and hit.value.lstrip().startswith("@") and (
                context in CODE_CONTEXTS or context in QUIET_CONTEXTS):
            continue  # a decorator, a JSDoc tag, a BibTeX entry type
        if entity == "SOCIAL_HANDLE" and _PLACEHOLDER.search(hit.value):
            continue  # "twitter.com/USER", "@USERNAME": a template, nobody's handle
        if entity == "AGE" and not _an_age(text, hit, context, persons):
            continue
        if entity == "GPS_COORDINATES" and _in_vector(text, hit):
            continue
        if entity.startswith("SENSITIVE_") and context not in DATA_CONTEXTS and \
                context != FIXTURE and _in_label_list(text, hit):
            continue
        if context in QUIET_CONTEXTS and entity != "EMAIL_ADDRESS" and \
                entity != "PHONE_NUMBER" and entity != "STREET_ADDRESS":
            continue  # authors, affiliations, handles of a citation are credits
        kept.append(hit)
    if context == PROSE:
        # Judged on every name the analyzer saw, even those dropped above
        # ("Jonathan T. Barron  2" with its affiliation number).
        kept = _drop_bylines(text, kept, persons)
    return kept


def _first_line(hit: Hit) -> Hit:
    """The part of a name before a line break, where the NER model ran a
    name into the next line."""
    from .analyzer import Hit

    lead = len(hit.value) - len(hit.value.lstrip())
    first = hit.value.lstrip().split("\n", 1)[0].rstrip()
    start = hit.start + lead
    return Hit(hit.entity, start, start + len(first), hit.score, first)


def _in_vector(text: str, hit: Hit) -> bool:
    """A pair of decimals inside a longer run of numbers ("mean = [0.485,
    0.456, 0.406]", a printed tensor) is a vector, not a latitude and a
    longitude. Coordinates with degrees or a GPS label are kept."""
    if re.search(r"°|GPS|[NSEW]\b", hit.value):
        return False
    before = text[max(0, hit.start - 20):hit.start]
    after = text[hit.end:hit.end + 20]
    return bool(re.search(r"\d\s*[,;]?\s*$", before) or re.match(r"\s*[,;]?\s*-?\d", after))


def _number_plausible(hit: Hit, context: str | None) -> bool:
    """Numbers that are no phone, card or identity number: a Unix time or a
    count written without separators outside the data, a date, a version
    written like an IP address, a private network, an id of three digits."""
    value = hit.value.strip()
    digits = sum(c.isdigit() for c in value)
    entity = hit.entity
    if entity == "PHONE_NUMBER":
        if _DATE.search(value) or re.fullmatch(r"-?\d+\.\d+", value):
            return False  # a date, a decimal number
        if value.isdigit() and context not in DATA_CONTEXTS and context != FIXTURE:
            return False
    if entity == "IP_ADDRESS":
        return _public_host(value)
    if entity == "CREDIT_CARD" and value[:1] not in "23456":
        return False  # no card network issues numbers from 0, 1, 7, 8, 9: an id
    if entity in ("EMAIL_ADDRESS", "AGE", "CRYPTO"):
        return True
    return digits >= 5


def _public_host(value: str) -> bool:
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return False  # a network ("105.48.0.0/12") or a fragment ("5::")
    if address.version == 4 and all(int(part) < 10 for part in value.split(".")):
        return False  # "3.7.4.3": a version
    return not (address.is_loopback or address.is_link_local or address.is_multicast
                or address.is_unspecified or any(address in net for net in _PRIVATE))


_PRIVATE = tuple(ipaddress.ip_network(n) for n in (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"))


def sentence_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """The sentence (or line) around ``text[start:end]``."""
    left = max(text.rfind(sep, 0, start) + len(sep) if text.rfind(sep, 0, start) != -1 else 0
               for sep in _SENTENCE_ENDS)
    found = [i for i in (text.find(sep, end) for sep in _SENTENCE_ENDS) if i != -1]
    return left, min(found) if found else len(text)


_SENTENCE_ENDS = ("\n", ". ", "! ", "? ", "; ", ".\t")


def cap(finding_id: str, context: str | None, severity: Severity, *,
        named: bool = False, contact: bool = False) -> Severity:
    """The severity of a finding in ``context``. ``named``: a trait stated
    about a named person in the same sentence; ``contact``: the sentence
    offers the value as a contact ("Contact: ...")."""
    if context is None or context in DATA_CONTEXTS:
        return severity
    if context in QUIET_CONTEXTS:
        return Severity.INFO
    if context == FIXTURE:
        return min(severity, Severity.LOW)
    if context == PROSE:
        if contact and finding_id in _CONTACTS:
            return min(severity, Severity.LOW)
        if finding_id.startswith("sensitive.") and not named:
            return min(severity, Severity.LOW)  # "child processes", "patient zero"
        if finding_id in _MENTIONS or finding_id == "pii.location":
            # A name or handle in a README is a credit, an author, a public
            # figure in a prompt example: a mention, not data about someone;
            # and so is a place beside one ("by @someone, Berlin"; a company
            # the model calls a place: "@someone shows Databricks's
            # cluster"). What prose says about a person (a trait, an
            # address) still weighs medium.
            return min(severity, Severity.LOW)
        return min(severity, Severity.MEDIUM)
    # Code and configuration: the maintainers' own words.
    if finding_id.startswith("sensitive."):
        return min(severity, Severity.MEDIUM if named else Severity.LOW)
    if finding_id in _NUMBER_IDS:
        return min(severity, Severity.MEDIUM)
    return min(severity, Severity.LOW)


_CONTACTS = frozenset({"pii.email-address", "pii.phone-number", "pii.street-address",
                       "pii.social-handle", "pii.person-name"})
_MENTIONS = frozenset({"pii.person-name", "pii.social-handle"})
_NUMBER_IDS = frozenset({"pii.credit-card", "pii.iban", "pii.national-id", "pii.crypto-wallet"})


def offered_as_contact(text: str, start: int, end: int) -> bool:
    left, right = sentence_bounds(text, start, end)
    return bool(_CONTACT_CUE.search(text, left, right))


def _url_and_path_spans(text: str) -> list[tuple[int, int]]:
    spans = []
    for match in _TOKEN.finditer(text):
        token = match.group(0)
        if "://" in token or token.lower().startswith("www.") or (
                ("/" in token or "\\" in token) and any(c.isalpha() for c in token)) or (
                "." in token and token.rsplit(".", 1)[1].lower() in _FILE_EXTENSIONS):
            spans.append(match.span())
    return spans


def _inside(hit: Hit, spans: list[tuple[int, int]]) -> bool:
    return any(a <= hit.start and hit.end <= b for a, b in spans)


def _mailto(text: str, hit: Hit) -> bool:
    return text[max(0, hit.start - 7):hit.start].lower().endswith("mailto:")


def _person(text: str, hit: Hit, context: str | None) -> bool:
    """Not a code identifier, a keyword, filler text, or an option in a config."""
    value = hit.value.strip()
    tokens = value.split()
    if not tokens or "\n" in value or re.search(r"[<>/\\|{}\[\]=#*]", value):
        return False  # across lines, or with markup: no name as written
    for token in tokens:
        word = token.strip(".,;:'’\"()")
        if any(c.isdigit() for c in word) or "_" in word or (
                "." in word.strip(".") and not re.fullmatch(r"(?:[A-Z]\.)+[A-Z]?", word)):
            return False
        if _CAMEL.search(word) and not _NAME_PREFIX.match(word):
            return False
        if word.lower() in _CODE_WORDS:
            return False
    # Glued to code punctuation: "Foo.bar", "Foo(", "Foo=", "`Foo`".
    before = text[max(0, hit.start - 2):hit.start]
    after = text[hit.end:hit.end + 2]
    if before[-1:] in ("`", "_", "$", "<") or after[:1] in ("(", "=", "`", "_", "[", ">"):
        return False
    if re.fullmatch(r"\w\.", before) or re.fullmatch(r"\.\w", after):
        return False  # obj.Name, Name.attr
    if _INSTITUTION.search(text, max(0, hit.start - 40), hit.start):
        return False  # "University of Washington"
    if context == "config":
        left, right = sentence_bounds(text, hit.start, hit.end)
        if not _PERSON_KEY.search(text, left, right):
            return False
    if context in DATA_CONTEXTS or context == FIXTURE or context is None:
        return True
    # Outside the data, Title Case marks headings, products and terms
    # ("Generative Model", "Python", "Dolly zoom"): a name there is a given
    # name and a surname, and no word of it is in capitals ("KITTI"). A lone
    # first name in a README or a comment identifies nobody.
    from .recognizers import given_names

    words = [t.strip(".,;:'’\"()") for t in tokens]
    if len(words) < 2 or any(len(w) > 1 and w.isupper() for w in words) or \
            not words[0][:1].isupper():
        return False
    return words[0].lower() in given_names()


def _an_age(text: str, hit: Hit, context: str | None, persons: list[Hit]) -> bool:
    """"aged 7", "7 years old" say they are ages; a bare "7" ("(batch, 7)",
    "Default: 7.") is one only in a sentence about a person, and never in
    code, where numbers are sizes, defaults and versions."""
    if not hit.value.strip().isdigit():
        return True
    if context in CODE_CONTEXTS:
        return False
    left, right = sentence_bounds(text, hit.start, hit.end)
    if any(left <= p.start < right for p in persons):
        return True
    if context in DATA_CONTEXTS or context in (FIXTURE, None):
        if _DATA_PERSON_NOUN.search(text, left, right):
            return True
    return bool(_PERSON_NOUN.search(text, left, right))


def _in_label_list(text: str, hit: Hit) -> bool:
    """The term is one item of a list of short labels ("'Monk', 'Nun',
    'Baby', ..."): class names, not a statement about someone."""
    items = [i.strip(" \t'\"[](){}") for i in _LIST_SPLIT.split(text)]
    items = [i for i in items if i]
    if len(items) < 6 or sum(1 for i in items if len(i.split()) <= 4) < 0.8 * len(items):
        return False
    left = max(text.rfind(c, 0, hit.start) for c in ",;|\n")
    right = min([i for i in (text.find(c, hit.end) for c in ",;|\n") if i != -1] or [len(text)])
    return len(text[left + 1:right].split()) <= 3


def _drop_bylines(text: str, hits: list[Hit], names: list[Hit]) -> list[Hit]:
    """An author line ("Ana Silva¹, Kwame Asante², Lee Wong (Studio)"):
    names and little else, on one line or in a whole paragraph, are the
    byline of a paper or a project, credits like a citation, not people the
    release is about."""
    if len(names) < 2:
        return hits
    spans: list[tuple[int, int]] = []
    if _byline(text, names, 3):
        spans.append((0, len(text)))
    start = 0
    for line in text.split("\n"):
        end = start + len(line)
        marked = re.search(r"[¹²³⁴⁵⁶⁷⁸⁹⁰*†‡§]|[^\W\d_]\d\b", line)
        if _byline(text[start:end], [h for h in names if start <= h.start < end],
                   2 if marked else 3):
            spans.append((start, end))
        start = end + 1
    return [h for h in hits if not (h.entity in ("PERSON", "EMAIL_ADDRESS", "LOCATION")
                                    and _inside(h, spans))]


def _byline(text: str, names: list[Hit], least: int) -> bool:
    """Names make most of the words, or every word is capitalised (names the
    model missed: "Keunhong Park¹, Utkarsh Sinha², ..."). Affiliations in
    parentheses and acronyms ("(NVIDIA)") are part of a byline."""
    if len(names) < least:
        return False
    words = [w for w in re.findall(r"[^\W\d_]{2,}", re.sub(r"\([^)]*\)", " ", text))
             if w.lower() not in _NAME_PARTICLES and not w.isupper()]
    if not words:
        return False
    named = sum(len(re.findall(r"[^\W\d_]{2,}", h.value)) for h in names)
    capitalised = sum(1 for w in words if w[0].isupper())
    return named >= 0.6 * len(words) or capitalised >= 0.9 * len(words)


_NAME_PARTICLES = frozenset({"and", "et", "al", "de", "da", "di", "del", "van", "von", "der",
                             "den", "le", "la", "du", "dos", "bin", "ibn"})
