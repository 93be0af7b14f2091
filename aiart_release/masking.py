"""Masking personal data for evidence: enough shape to recognise what was
found (an e-mail address, a name with two parts, a number ending in 99),
never the value itself.

``mask("maria@example.com", "email")`` gives ``m****@e******.com``: the first
character of each part and the top-level domain stay, the rest become stars
of the same length (as in DESIGN.md's example).
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[^\W_]+", re.UNICODE)


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


_MASKERS = {
    "email": mask_email,
    "phone": lambda t: mask_digits(t, 2),
    "number": lambda t: mask_digits(t, 4),
    "id": lambda t: mask_digits(t, 0),
    "url": mask_url,
    "handle": mask_handle,
    "words": mask_words,
}


def mask(text: str, kind: str = "words") -> str:
    """Mask ``text`` in the style that suits ``kind``: email, phone, number
    (card, IBAN: last four stay), id, url, handle, words (the default)."""
    return _MASKERS.get(kind, mask_words)(text)
