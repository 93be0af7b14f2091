"""Masking personal data and secrets: the one gate every piece of text from
the bundle passes before it is shown.

Two layers:

- **Styles.** ``mask("maria@example.com", "email")`` gives
  ``m****@e******.com``: enough shape to recognise what was found (an e-mail
  address, a name with two parts, a number ending in 99), never the value
  itself. The first character of each part and the top-level domain stay,
  the rest become stars of the same length (as in DESIGN.md's example).
- **The gate.** ``redact(text)`` finds personal data and secrets in free
  text (a message, a column name, a path, a quoted sentence) and masks each
  span in its style. The core finds what has a shape, with linear-time
  regular expressions: e-mail addresses, phone numbers, national ids, card
  numbers (Luhn-checked), IBANs (mod-97-checked), IP addresses, keys and
  tokens. Names have no shape: plugins add detectors for them through
  ``aiart_release_register_maskers`` (the personal-data plugin registers
  one built from its given-name and family-name lexicons).
  ``redact_finding`` passes every text field of a finding through the gate;
  the pipeline applies it once, before any reporter or the cache sees a
  finding, unless the user passed ``--show-pii``.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING

from .lazy_pattern import LazyPattern
from .watchdog import guarded

if TYPE_CHECKING:
    from .findings import Finding

_WORD = LazyPattern(r"[^\W_]+", re.UNICODE)


def _stars(text: str, keep: int = 1) -> str:
    return text[:keep] + "*" * max(len(text) - keep, 0)


def mask_words(text: str) -> str:
    """Each word's first letter, the rest stars; punctuation and spaces stay."""
    return _WORD.sub(lambda m: _stars(m.group(0)), text)


def mask_email(text: str) -> str:
    local, _, domain = text.partition("@")
    if not domain:
        return mask_words(text)
    host, dot, tld = domain.rpartition(".")
    if not dot:
        return f"{_stars(local)}@{_stars(domain)}"
    return f"{_stars(local)}@{'.'.join(_stars(p) for p in host.split('.'))}.{tld}"


def mask_digits(text: str, keep_last: int = 2) -> str:
    """Digits become stars except the last ``keep_last``; separators stay."""
    digits = [i for i, c in enumerate(text) if c.isdigit()]
    keep = set(digits[-keep_last:]) if keep_last else set()
    return "".join("*" if (c.isalnum() and i not in keep) else c for i, c in enumerate(text))


def mask_url(text: str) -> str:
    """The site stays (it says what kind of profile it is), the path does not."""
    match = re.match(r"^((?:[a-z][a-z0-9+.-]*://)?(?:www\.)?[^/\s]+)(/.*)?$", text, re.I)
    if not match:
        return mask_words(text)
    site, path = match.groups()
    if path:
        return site + re.sub(r"[^/?=&.#-]", "*", path)
    # No path: a profile on its own subdomain ("kit.tumblr.com").
    scheme, _, host = site.rpartition("://")
    labels = host.split(".")
    if len(labels) >= 3 and labels[0] != "www":
        labels[0] = _stars(labels[0])
    return (scheme + "://" if scheme else "") + ".".join(labels)


def mask_handle(text: str) -> str:
    """``@aisha.paints`` -> ``@a***********``; a profile link keeps its site."""
    prefix = re.match(r"^(@|u/|r/)?", text).group(0)  # type: ignore[union-attr]
    if prefix or ("/" not in text and "." not in text):
        return prefix + _stars(text[len(prefix):])
    return mask_url(text)


# Prefixes that say what kind of secret a token is, and nothing more.
_SECRET_PREFIX = LazyPattern(
    r"(?:AKIA|ASIA|ABIA|ACCA|gh[pousr]_|github_pat_|glpat-|hf_|"
    r"sk-(?:proj-|svcacct-|admin-|ant-)?|xox[abposr]-|xapp-|[rs]k_(?:live|test)_|npm_|"
    r"pypi-|SG\.|AIza|eyJ)")
_KEY_BLOCK = LazyPattern(r"(-----BEGIN[^\n-]{0,40}-----)(.*?)(-----END[^\n-]{0,40}-----)?", re.S)


def mask_secret(text: str) -> str:
    """A key or a token: its well-known prefix stays (``ghp_``, ``AKIA``,
    ``hf_``), every other letter and digit goes; a private-key block keeps
    its BEGIN and END lines."""
    block = _KEY_BLOCK.fullmatch(text)
    if block:
        head, body, tail = block.groups()
        return head + re.sub(r"\S", "*", body) + (tail or "")
    prefix = _SECRET_PREFIX.match(text)
    keep = prefix.end() if prefix else 0
    return text[:keep] + re.sub(r"[^\W_]", "*", text[keep:])


_MASKERS = {
    "email": mask_email,
    "phone": lambda t: mask_digits(t, 2),
    "number": lambda t: mask_digits(t, 4),
    "id": lambda t: mask_digits(t, 0),
    "url": mask_url,
    "handle": mask_handle,
    "words": mask_words,
    "secret": mask_secret,
}
KINDS = tuple(_MASKERS)


def mask(text: str, kind: str = "words") -> str:
    """Mask ``text`` in the style that suits ``kind``: email, phone, number
    (card, IBAN: last four stay), id, url, handle, words (the default),
    secret (a token's kind prefix stays)."""
    return _MASKERS.get(kind, mask_words)(text)


# --- what the core finds in free text ----------------------------------------
#
# Every pattern is linear in the text: bounded or possessive repetitions, no
# nested unbounded ones. What a shape cannot tell (is this a card number?)
# a checksum or a structure test in Python decides.

Span = tuple[int, int, str]
"""``(start, end, kind)``: ``text[start:end]`` is to be masked in the style
of ``kind`` (one of :data:`KINDS`)."""
Masker = Callable[[str], Iterable[Span]]

_TOKENS = LazyPattern(
    r"(?<![A-Za-z0-9])(?:"
    r"(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}"
    r"|gh[pousr]_[A-Za-z0-9]{36,255}+"
    r"|github_pat_[A-Za-z0-9_]{22,255}+"
    r"|glpat-[A-Za-z0-9_-]{20,255}+"
    r"|hf_[A-Za-z0-9]{30,255}+"
    r"|sk-(?:proj-|svcacct-|admin-|ant-)?[A-Za-z0-9_-]{20,255}+"
    r"|xox[abposr]-[A-Za-z0-9-]{10,255}+"
    r"|xapp-[A-Za-z0-9-]{10,255}+"
    r"|[rs]k_(?:live|test)_[A-Za-z0-9]{16,255}+"
    r"|npm_[A-Za-z0-9]{36}"
    r"|pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}+"
    r"|SG\.[\w-]{22}\.[\w-]{43}"
    r"|AIza[0-9A-Za-z_-]{35}"
    r"|eyJ[A-Za-z0-9_-]{10,}+\.eyJ[A-Za-z0-9_-]{10,}+\.[A-Za-z0-9_-]{10,}+"
    r")(?![A-Za-z0-9])")
_PRIVATE_KEY = LazyPattern(
    r"-----BEGIN[ A-Z0-9]{0,30}PRIVATE KEY(?: BLOCK)?-----(?:[^-]++|-(?!----END))*+"
    r"(?:-----END[ A-Z0-9]{0,30}PRIVATE KEY(?: BLOCK)?-----)?")
# user:password@ in a URL: the password goes.
_URL_PASSWORD = LazyPattern(r"://[^\s:/@]{1,64}:([^\s:/@]{1,128})@")
# password = "...", HF_TOKEN: ..., "api_key": "...": the value goes (as
# detect-secrets' KeywordDetector). The keyword ends the name or is followed
# by "_" or "-" and more of it: "tokenizer" and "max_tokens" are no secret.
_ASSIGNED = LazyPattern(
    r"(?i)(?<![\w-])(?:\w{1,30}[_-])?"
    r"(?:passw(?:or)?d|pwd|passphrase|secret|token|api[_-]?key|apikey|access[_-]?key|"
    r"auth[_-]?key|private[_-]?key|client[_-]?secret|credentials?)"
    r"(?:[_-]\w{1,30})?[\"']?[ \t]{0,3}(?::=|=|:)[ \t]{0,3}"
    r"(?P<quote>[\"']?)(?P<value>[^\s\"'`,;)}\]>]{4,256}+)")
_PLACEHOLDERS = frozenset({"null", "none", "true", "false", "required", "optional", "string",
                           "str", "bool", "int", "yes", "no", "empty", "unset", "redacted",
                           "changeme", "secret", "password", "token", "xxxx", "xxxxxxxx"})
_EMAIL = LazyPattern(
    r"(?<![\w.%+-])[\w.%+-]{1,64}+@(?:[A-Za-z0-9-]{1,63}\.){1,8}[A-Za-z]{2,24}(?![\w-])")
# Digits and phone punctuation, as long as a phone number can be written
# ("+44 (0) 20 7946 0958"): which part of it is a phone number _phone_spans
# decides. Bounded, so that a long run of digits costs no more than a short
# one, over and over.
MAX_PHONE_CHARS = 25
_DIGIT_RUN = LazyPattern(rf"(?<![\w+/:.-])\+?\(?\d[\d ().-]{{0,{MAX_PHONE_CHARS - 1}}}")
_CARD = LazyPattern(r"(?<![\d-])[2-6]\d{3}(?:[ -]?\d){9,15}(?![\d])")
_IBAN = LazyPattern(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?"
                   r"(?![A-Za-z0-9])")
# US SSN / ITIN shape: never area 000 or 666, group 00, serial 0000.
_SSN = LazyPattern(r"(?<![\d-])(?!000|666)\d{3}([- ])(?!00)\d{2}\1(?!0000)\d{4}(?![\d-])")
_UK_NINO = LazyPattern(r"(?<![A-Za-z0-9])(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z]"
                      r"[A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D](?![A-Za-z0-9])")
# Spain's DNI (the letter is a checksum); Italy's codice fiscale.
_DNI = LazyPattern(r"(?<![A-Za-z0-9])(\d{8})-?([A-Z])(?![A-Za-z0-9])")
_CODICE_FISCALE = LazyPattern(r"(?<![A-Za-z0-9])[A-Z]{6}\d{2}[A-EHLMPR-T]\d{2}[A-Z]\d{3}[A-Z]"
                             r"(?![A-Za-z0-9])")
# An address, not a network ("105.48.0.0/12" names thousands of machines).
_IPV4 = LazyPattern(r"(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}"
                   r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?!\w|\.\d|/\d)")
_IPV6 = LazyPattern(r"(?<![\w:.])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}+(?![\w:])")
_DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"


def _secret_spans(text: str) -> Iterator[Span]:
    for m in _PRIVATE_KEY.finditer(text):
        yield m.start(), m.end(), "secret"
    for m in _TOKENS.finditer(text):
        if any(c.isdigit() for c in m.group(0)):  # a slug like sk-learn-... is no key
            yield m.start(), m.end(), "secret"
    for m in _URL_PASSWORD.finditer(text):
        yield m.start(1), m.end(1), "secret"
    for m in _ASSIGNED.finditer(text):
        if _looks_secret(m.group("value"), quoted=bool(m.group("quote"))):
            yield m.start("value"), m.end("value"), "secret"


_KEY_CHARS = LazyPattern(r"[A-Za-z0-9_+/=-]{8,}")


def _looks_secret(value: str, *, quoted: bool) -> bool:
    """Whether the value of ``token = value`` is a secret: quoted and no
    placeholder (``null``, ``${HF_TOKEN}``, ``<your key>``, a masked value),
    or unquoted and shaped like a key (letters and digits, eight or more),
    not code (``token = tokens[i]``) nor a sentence ("secret: keep it")."""
    if value.lower() in _PLACEHOLDERS or value[0] in "$<{%*#" or set(value) <= {"*", "x", "X"}:
        return False
    if quoted:
        return True
    return (_KEY_CHARS.fullmatch(value) is not None and any(c.isdigit() for c in value)
            and any(c.isalpha() for c in value))


# "Domains" that are file extensions: ``icon@2x.png`` is a picture.
_FILE_SUFFIXES = frozenset({
    "png", "jpg", "jpeg", "gif", "webp", "svg", "bmp", "tif", "tiff", "avif", "heic", "ico",
    "mp3", "mp4", "wav", "mov", "webm", "pdf", "txt", "csv", "tsv", "json", "jsonl", "yaml",
    "yml", "toml", "md", "py", "js", "ts", "css", "html", "zip", "tar", "gz", "pt", "bin",
    "safetensors", "ckpt", "onnx", "parquet", "ipynb"})


def _email_spans(text: str) -> Iterator[Span]:
    for m in _EMAIL.finditer(text):
        address, _, suffix = m.group(0).rpartition(".")
        if suffix.lower() not in _FILE_SUFFIXES:
            yield m.start(), m.end(), "email"
        elif _EMAIL.fullmatch(address):  # "kofi@mail.org.txt": a file named after an address
            yield m.start(), m.start() + len(address), "email"


def _luhn(digits: str) -> bool:
    total = 0
    for i, c in enumerate(reversed(digits)):
        n = int(c)
        if i % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def _card_spans(text: str) -> Iterator[Span]:
    for m in _CARD.finditer(text):
        value = m.group(0)
        digits = re.sub(r"\D", "", value)
        separators = set(re.sub(r"\d", "", value))
        if 13 <= len(digits) <= 19 and len(separators) <= 1 and _luhn(digits):
            yield m.start(), m.end(), "number"


def _iban_valid(compact: str) -> bool:
    if not 15 <= len(compact) <= 34:
        return False
    moved = compact[4:] + compact[:4]
    number = "".join(str(int(c, 36)) for c in moved)
    return int(number) % 97 == 1


def _iban_spans(text: str) -> Iterator[Span]:
    for m in _IBAN.finditer(text):
        # The match may have run on into an upper-case word: try it whole,
        # then less one group at a time.
        value = m.group(0)
        cuts = [len(value)] + [i for i in range(len(value) - 1, 4, -1) if value[i] == " "]
        for cut in cuts:
            if _iban_valid(value[:cut].replace(" ", "")):
                yield m.start(), m.start() + cut, "number"
                break


def _id_spans(text: str) -> Iterator[Span]:
    for pattern in (_SSN, _UK_NINO, _CODICE_FISCALE):
        for m in pattern.finditer(text):
            yield m.start(), m.end(), "id"
    for m in _DNI.finditer(text):
        if _DNI_LETTERS[int(m.group(1)) % 23] == m.group(2):
            yield m.start(), m.end(), "id"


def _ip_spans(text: str) -> Iterator[Span]:
    for m in _IPV4.finditer(text):
        octets = m.group(0).split(".")
        # 0.0.0.0 and loopback name nobody; "1.2.3.4" is a version number.
        if octets[0] in ("0", "127") or all(len(o) == 1 for o in octets):
            continue
        yield m.start(), m.end(), "number"
    for m in _IPV6.finditer(text):
        value = m.group(0)
        if sum(1 for part in value.split(":") if part) < 3:
            continue  # "a::b", "12:30"
        try:
            address = ipaddress.IPv6Address(value)
        except ValueError:
            continue
        if not (address.is_loopback or address.is_unspecified):
            yield m.start(), m.end(), "number"


_GROUP = LazyPattern(r"\d+")


def _phone_spans(text: str) -> Iterator[Span]:
    pos = 0
    while (m := _DIGIT_RUN.search(text, pos)) is not None:
        run = m.group(0)
        ends = [g.end() for g in _GROUP.finditer(run)]
        # "call 415 555 0134 2 times": the longest leading groups that make
        # a phone number.
        end = next((e for e in reversed(ends) if _is_phone(run[:e])), None)
        if end is not None:
            yield m.start(), m.start() + end, "phone"
            pos = m.start() + end
        else:
            # No phone starts here: look again after the first group, so a
            # number behind a run of other digits is not skipped with it.
            pos = m.start() + ends[0]


# A date, perhaps with more numbers after it ("06.01.2010 029").
_DATE = LazyPattern(r"\(?(?:\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4})"
                   r"(?!\d)")


def _is_phone(span: str) -> bool:
    """Whether ``span`` (digits and phone punctuation) is a phone number:
    international (``+`` and 8 to 15 digits), North American (3-3-4,
    1-3-3-4), or a
    national number with its trunk 0 (``020 7946 0958``, ``06 12 34 56
    78``). A bare run of digits (a timestamp, an id), a date, a version or
    a list of sizes is none."""
    groups = _GROUP.findall(span)
    digits = "".join(groups)
    if _DATE.match(span):
        return False
    if span.startswith("+"):
        return 8 <= len(digits) <= 15
    lengths = [len(g) for g in groups]
    if lengths == [3, 3, 4] or (lengths == [1, 3, 3, 4] and digits[0] == "1"):
        return True
    return (len(groups) >= 2 and digits.startswith("0") and 9 <= len(digits) <= 12
            and min(lengths) >= 2)


CORE_DETECTORS: tuple[Masker, ...] = (
    _secret_spans, _email_spans, _card_spans, _iban_spans, _id_spans, _ip_spans, _phone_spans,
)
"""What the core finds by shape, most specific first."""


# --- the gate ------------------------------------------------------------------

# Strings the gate remembers, per gate: messages repeat across findings
# (paths, licence names), and a bound keeps a huge bundle's memory flat.
MEMO_LIMIT = 50_000
# The most one masker may take on one text.
MASKER_SECONDS = 5.0


_VALUE_WORD = LazyPattern(r"[^\W\d_]+")
MAX_LEARNED_VALUES = 500


class Gate:
    """Masks what the core's detectors and the plugins' maskers find.

    Two readings of a text. Prose (:meth:`redact`): a message, a quote.
    Identifiers (:meth:`redact_identifier`): a path, a column or field
    name, where a space joins the words of one name as ``_`` does
    (``data/maria gonzalez.jpg``, a column ``maria gonzalez``): the
    maskers see the text with its spaces as ``_``. What the maskers find
    in an identifier is remembered, and masked wherever prose quotes it
    (the message that names the column, the reason that names the file).

    A masker that raises (``SystemExit`` too), takes more than
    ``MASKER_SECONDS`` on a text, or answers something other than spans,
    fails closed: the whole text is masked as words, and the failure is kept
    in ``failures`` (``(masker, error type)``) for the pipeline to report."""

    def __init__(self, maskers: Iterable[tuple[str, Masker]] = ()):
        self.maskers: tuple[tuple[str, Masker], ...] = tuple(maskers)
        self.failures: list[tuple[str, str]] = []
        self._memo: dict[tuple[str, bool], str] = {}
        self._learned: set[str] = set()
        self._learned_pattern: re.Pattern[str] | None = None
        self._values: set[tuple[str, ...]] = set()
        self._values_pattern: re.Pattern[str] | None = None

    def redact(self, text: str) -> str:
        """``text`` with every span of personal data or secret masked."""
        return self._remembered(text, identifier=False)

    def redact_identifier(self, text: str) -> str:
        """A path or a field name, masked (see the class)."""
        return self._remembered(text, identifier=True)

    def _remembered(self, text: str, identifier: bool) -> str:
        if not text:
            return text
        done = self._memo.get((text, identifier))
        if done is None:
            if len(self._memo) >= MEMO_LIMIT:
                self._memo.clear()
            done = self._memo[(text, identifier)] = self._redact(text, identifier)
        return done

    def _redact(self, text: str, identifier: bool) -> str:
        spans: list[Span] = []
        for detector in CORE_DETECTORS:
            spans.extend(detector(text))
        # Same length: the maskers' spans fit the text as it is.
        probe = text.replace(" ", "_") if identifier else text
        found: list[Span] = []
        for name, masker in self.maskers:
            # Whatever a plugin's masker does (raise, even SystemExit; take
            # forever; answer garbage), the text is not shown unmasked.
            answer, exc = guarded(MASKER_SECONDS, lambda m=masker: _checked(m(probe), len(text)))
            if exc is not None:
                # The type only: a message may quote the text it was given.
                self.failures.append((name, type(exc).__name__))
                return mask_words(text)
            found.extend(answer or ())
        if self._values_pattern is not None:
            found.extend((m.start(), m.end(), "words")
                         for m in self._values_pattern.finditer(text))
        if identifier:
            self._learn(text[start:end] for start, end, _ in found)
        elif self._learned_pattern is not None:
            found.extend((m.start(), m.end(), "words")
                         for m in self._learned_pattern.finditer(text))
        return apply_spans(text, spans + found)

    def _learn(self, values: Iterable[str]) -> None:
        new = {v for v in values if " " in v} - self._learned
        if not new:
            return
        self._learned |= new
        by_length = sorted(self._learned, key=len, reverse=True)
        self._learned_pattern = re.compile("|".join(map(re.escape, by_length)))
        # Prose masked before knew nothing of these.
        self._memo = {key: value for key, value in self._memo.items() if key[1]}

    def learn_values(self, values: Iterable[str]) -> None:
        """Raw values a check found (people's names): masked wherever they
        appear, in prose and in paths, whatever joins their words (a space,
        ``_``, ``-``, ``.``) and whatever their case, though no masker knows
        them (``barack_obama_01.jpg``, once the personal-data check has found
        Barack Obama in that name). Single words are not learned: they are
        too often ordinary words elsewhere."""
        new = {tuple(w.lower() for w in words) for value in values
               if len(words := _VALUE_WORD.findall(value)) >= 2} - self._values
        # Bounded: a bundle of thousands of files named after people must not
        # make the pattern, rebuilt as it grows, cost quadratic time. Names the
        # lexicons know are masked by the maskers anyway.
        new = set(sorted(new)[:max(0, MAX_LEARNED_VALUES - len(self._values))])
        if not new:
            return
        self._values |= new
        alternatives = sorted((r"[\s_.\-]+".join(map(re.escape, words)) for words in self._values),
                              key=len, reverse=True)
        self._values_pattern = re.compile(
            rf"(?<![^\W_])(?:{'|'.join(alternatives)})(?![^\W_])", re.IGNORECASE)
        self._memo.clear()  # what was masked before knew nothing of these

    def learn_masked(self, raw: str, masked: str) -> None:
        """Learn the words of ``raw`` that an earlier run masked in
        ``masked`` (the same path, as the cache kept it): a cached run has
        no raw value left to learn a name from, but the path it was found
        in says which words were the name."""
        if len(raw) != len(masked) or raw == masked:
            return
        words = [m for m in _VALUE_WORD.finditer(raw) if "*" in masked[m.start():m.end()]]
        runs: list[list[str]] = []
        for i, word in enumerate(words):
            joined = i and not _VALUE_WORD.search(raw[words[i - 1].end():word.start()]) \
                and len(raw[words[i - 1].end():word.start()]) <= 3
            if joined:
                runs[-1].append(word.group(0))
            else:
                runs.append([word.group(0)])
        self.learn_values(" ".join(run) for run in runs)

    def finding(self, f: Finding) -> Finding:
        """``f`` with every text field masked and its raw value dropped;
        its fingerprint (of the raw value) kept. Its path, field and
        ``also`` first, as identifiers, so that its message, which quotes
        them, is masked knowing what they hold."""
        from .findings import fingerprint

        if not f.fingerprint:
            f = replace(f, fingerprint=fingerprint(f.id, f.location.path, f.matched))
        loc = f.location
        location = replace(loc, path=self.redact_identifier(loc.path),
                           field=self.redact_identifier(loc.field) if loc.field else loc.field)
        also = tuple(self.redact_identifier(p) for p in f.also)
        return replace(
            f,
            message=self.redact(f.message),
            remediation=self.redact(f.remediation),
            evidence=self.redact(f.evidence) if f.evidence else f.evidence,
            location=location,
            also=also,
            references=tuple(self.redact(r) for r in f.references),
            matched=None,
        )

    def learn_identifiers(self, findings: Iterable[Finding]) -> None:
        """Read the paths and fields of ``findings`` first, so that prose
        quoting one of them anywhere (a reason naming another finding's
        file) is masked knowing it. The names the checks found are learned
        first, so that a file named after someone is masked as a path too."""
        findings = list(findings)
        self.learn_values(value for f in findings if f.id == "pii.person-name" and f.matched
                          for value in f.matched.split(", "))
        for f in findings:
            for text in (f.location.path, f.location.field, *f.also):
                if text:
                    self.redact_identifier(text)


def _checked(spans: Iterable[Span], length: int) -> list[Span]:
    out = []
    for span in spans:
        start, end, kind = span
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start <= end <= length
                and isinstance(kind, str)):
            raise ValueError(f"masker answered {span!r}, not (start, end, kind) within the text")
        out.append((start, end, kind))
    return out


def apply_spans(text: str, spans: Iterable[Span]) -> str:
    """``text`` with each span masked in its style. Overlapping spans are
    joined (what any detector flagged is masked), in the style of the
    longest of them, or as a secret where one of them is a secret (a
    password before the "@" of a URL is no e-mail address to sketch)."""
    merged: list[list] = []
    for start, end, kind in sorted(spans, key=lambda s: (s[0], -(s[1] - s[0]))):
        if start == end:
            continue
        if merged and start < merged[-1][1]:
            last = merged[-1]
            last[1] = max(last[1], end)
            if kind == "secret":
                last[2] = kind
            continue
        merged.append([start, end, kind])
    out = []
    at = 0
    for start, end, kind in merged:
        out.append(text[at:start])
        out.append(mask(text[start:end], kind))
        at = end
    out.append(text[at:])
    return "".join(out)


_current = Gate()


def current_gate() -> Gate:
    """The gate in use: the core's detectors and the maskers the pipeline
    installed for this assessment (:func:`using`)."""
    return _current


@contextmanager
def using(maskers: Iterable[tuple[str, Masker]]):
    """Install a gate with the plugins' ``maskers`` for the time of an
    assessment (the engine masks what it caches through it)."""
    global _current
    before = _current
    _current = Gate(maskers)
    try:
        yield _current
    finally:
        _current = before


def redact(text: str) -> str:
    """``text`` through the gate in use: personal data and secrets masked."""
    return _current.redact(text)


def redact_finding(f: Finding) -> Finding:
    """``f`` through the gate in use (see :meth:`Gate.finding`)."""
    return _current.finding(f)


def redact_findings(found: Iterable[Finding]) -> list[Finding]:
    """Each finding through the gate in use: what the cache may store. The
    names found among them are learned first: a file named after the
    person it shows is cached under a masked path."""
    found = list(found)
    _current.learn_identifiers(found)
    return [_current.finding(f) for f in found]
