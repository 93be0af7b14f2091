"""What we know about licences: our table (``rules/licenses.yaml``),
ScanCode's categories for the rest (through license-expression), the Hub's
licence ids, and the licences of well-known base models.

In the core because more than one plugin reads it: the licensing check
names the licences in force, the provenance check weighs each manifest item's
licence (credit owed, commercial use), and plugins never import each other."""

from __future__ import annotations

from functools import cache
from typing import Any

from .globs import glob_match
from .records import dataclass


@dataclass(frozen=True)
class LicenseInfo:
    """One licence's terms, as far as a release is concerned."""

    id: str
    name: str
    cls: str = "unknown"
    commercial: bool | str = True
    attribution: bool = False
    share_alike: bool = False
    no_derivatives: bool = False
    research_only: bool = False
    use_restrictions: bool = False
    llama: bool = False
    obligations: str = ""
    known: bool = True

    @property
    def non_commercial(self) -> bool:
        return self.commercial is False

    @property
    def copyleft(self) -> bool:
        return self.cls in ("copyleft", "weak-copyleft", "share-alike")


@cache
def _table() -> dict[str, Any]:
    from aiart_release.readers.yamlfile import shipped_data  # PyYAML: only when data is needed

    return shipped_data("licenses.yaml")


@cache
def _scancode() -> dict[str, tuple[str, str]]:
    """SPDX or LicenseRef id (lower case) -> (id, ScanCode category)."""
    from license_expression import get_license_index

    out = {}
    for entry in get_license_index():
        spdx = entry.get("spdx_license_key")
        category = entry.get("category") or ""
        if spdx:
            out[spdx.lower()] = (spdx, category)
            for other in entry.get("other_spdx_license_keys") or []:
                out.setdefault(other.lower(), (spdx, category))
        out.setdefault(entry["license_key"].lower(), (spdx or entry["license_key"], category))
    return out


@cache
def _by_lower() -> dict[str, str]:
    """Every id and Hub id we know, lower case -> canonical id."""
    out = {}
    for spdx_id, spec in _table()["licenses"].items():
        out[spdx_id.lower()] = spdx_id
        for hub in spec.get("hub_ids", []):
            out[hub.lower()] = spdx_id
    return out


@cache
def info(license_id: str) -> LicenseInfo:
    """The terms of a licence id; unknown ids are 'unknown' and treated as
    allowing nothing in particular."""
    spec = _table()["licenses"].get(license_id)
    if spec is None:
        canonical = _by_lower().get(license_id.lower())
        spec = _table()["licenses"].get(canonical) if canonical else None
        if spec is not None:
            license_id = canonical  # type: ignore[assignment]
    if spec is not None:
        return LicenseInfo(
            id=license_id, name=spec.get("name", license_id), cls=spec.get("class", "unknown"),
            commercial=spec.get("commercial", True), attribution=spec.get("attribution", False),
            share_alike=spec.get("share_alike", False),
            no_derivatives=spec.get("no_derivatives", False),
            research_only=spec.get("research_only", False),
            use_restrictions=spec.get("use_restrictions", False), llama=spec.get("llama", False),
            obligations=" ".join(spec.get("obligations", "").split()),
        )
    found = _scancode().get(license_id.lower())
    if found:
        canonical, category = found
        defaults = _table()["categories"].get(category, {})
        return LicenseInfo(
            id=canonical, name=canonical, cls=defaults.get("class", "unknown"),
            commercial=defaults.get("commercial", True),
            attribution=defaults.get("attribution", False),
            share_alike=defaults.get("share_alike", False),
        )
    return LicenseInfo(id=license_id, name=license_id, known=False, commercial="unknown")


@cache
def _licensing() -> Any:
    """license-expression's SPDX Licensing, built once: building it parses
    ScanCode's licence index (about 80 ms)."""
    from license_expression import get_spdx_licensing

    return get_spdx_licensing()


@cache
def resolve(value: str) -> str | None:
    """A licence as written in a card or manifest (``mit``, ``cc-by-nc-4.0``,
    ``openrail++``, ``Apache-2.0``, ``MIT OR Apache-2.0``) as a canonical
    id or SPDX expression; None when it is not a licence we can name."""
    value = value.strip()
    if not value or value.lower() in ("unknown", "other", "none", "proprietary", "todo", "tbd"):
        return None
    direct = _by_lower().get(value.lower())
    if direct:
        return direct
    from license_expression import ExpressionError

    try:
        parsed = _licensing().parse(value, validate=True, strict=False)
    except ExpressionError:
        found = _scancode().get(value.lower())
        return found[0] if found else None
    return str(parsed) if parsed is not None else None


def license_ids(expression: str) -> list[str]:
    """The licence ids in an SPDX expression (``MIT OR Apache-2.0``)."""
    return list(_license_ids(expression))


@cache
def _license_ids(expression: str) -> tuple[str, ...]:
    try:
        parsed = _licensing().parse(expression, validate=False)
    except Exception:  # noqa: BLE001 - not an expression: a single id
        return (expression,)
    if parsed is None:
        return ()
    return tuple(str(symbol) for symbol in _licensing().license_symbols(parsed))


def base_model_license(model_id: str) -> str | None:
    """The licence of a well-known base model, by its Hub id."""
    from aiart_release.readers.yamlfile import shipped_data

    for entry in shipped_data("base_models.yaml")["models"]:
        if glob_match(entry["match"].lower(), model_id.lower()):
            return entry["license"]
    return None


def phrases() -> list[tuple[str, str]]:
    """(phrase, licence id) for licences identified by a sentence of theirs."""
    out = []
    for license_id, spec in _table()["licenses"].items():
        for phrase in spec.get("phrases", []):
            out.append((phrase, license_id))
    return out
