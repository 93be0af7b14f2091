"""The Machine Learning Emissions Calculator's tables, as the project ships
them (``rules/training/mlco2.json``, MIT, credited there and in
docs/training.md): hardware power, cloud regions, instances, and the carbon
intensity of countries and electricity zones.

Lookups are by names people write ("RTX 4090", "NVIDIA GeForce RTX 3090",
"A100", "aws us-east-1", "France"). A name that fits several rows (an "A100"
is a 250 W PCIe card or a 400 W SXM module) answers all of them, and the
estimate's range spans them.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from typing import Any

from aiart_release.records import dataclass

# Words that name a maker or a product line, not the chip: "NVIDIA GeForce
# RTX 3090" is the table's "RTX 3090", "Tesla V100" its "V100".
_VENDOR_WORDS = {"nvidia", "geforce", "tesla", "amd", "radeon", "intel", "gpu", "gpus",
                 "chip", "card", "the"}
# "TPU v3" and "TPUv3" are one chip.
_GLUED = {"tpu v2": "tpuv2", "tpu v3": "tpuv3", "tpu v4": "tpuv4"}


@dataclass(frozen=True)
class Hardware:
    """One row of the hardware table."""

    name: str
    kind: str  # gpu, tpu, cpu
    watts: float
    source: str


@dataclass(frozen=True)
class Intensity:
    """Carbon intensity of the electricity where training ran (gCO2e/kWh):
    a central value and the spread of the table's figures for that place."""

    place: str
    central: float
    low: float
    high: float
    pue: float | None  # the data centre's, where the table knows it
    cloud: bool
    source: str


@cache
def data() -> dict[str, Any]:
    text = resources.files("aiart_release.rules_data").joinpath(
        "training/mlco2.json").read_text("utf-8")
    return json.loads(text)


def _tokens(name: str) -> tuple[str, ...]:
    text = name.lower()
    for spaced, glued in _GLUED.items():
        text = text.replace(spaced, glued)
    # "80 GB" and "80GB" are one token; "40/80GB" two.
    text = re.sub(r"(\d)\s+gb\b", r"\1gb", text)
    return tuple(t for t in re.split(r"[^a-z0-9]+", text) if t and t not in _VENDOR_WORDS)


def _model_token(token: str) -> bool:
    """A token that names the chip (4090, a100, v100, t4), not its memory."""
    return any(c.isdigit() for c in token) and not re.fullmatch(
        r"\d+gb|hbm\d*e?|gddr\d+x?", token)


def hardware(name: str) -> list[Hardware]:
    """The rows ``name`` may mean: the exact one when there is one, else every
    row that has its chip token and the most of its other words; [] when
    none."""
    wanted = _tokens(name)
    chips = [t for t in wanted if _model_token(t)]
    if not chips:
        return []
    scored = []
    for row in data()["gpus"]:
        if row["tdp_watts"] is None:
            continue
        have = _tokens(row["name"])
        if not all(chip in have for chip in chips):
            continue
        matched = sum(1 for t in wanted if t in have)
        exact = set(have) == set(wanted)
        scored.append((exact, matched, Hardware(row["name"], row["type"], row["tdp_watts"],
                                                row["source"])))
    if not scored:
        return []
    if any(exact for exact, _, _ in scored):
        return [h for exact, _, h in scored if exact]
    best = max(matched for _, matched, _ in scored)
    return [h for _, matched, h in scored if matched == best]


def instance(provider: str | None, name: str) -> tuple[list[Hardware], int | None]:
    """The GPU rows and GPU count of a cloud instance type (``p3.8xlarge``)."""
    for row in data()["instances"]:
        if row["id"].lower() == name.strip().lower() and (
                provider is None or row["provider"] == provider.strip().lower()):
            return hardware(row["gpu"]), row["gpus"]
    return [], None


def providers() -> set[str]:
    return {row["provider"] for row in data()["regions"]}


def region(provider: str, name: str) -> Intensity | None:
    """A cloud region by provider and region id or name (``aws``,
    ``eu-west-3`` or ``EU (Paris)``)."""
    wanted_provider = provider.strip().lower()
    wanted = name.strip().lower()
    for row in data()["regions"]:
        if row["provider"] != wanted_provider:
            continue
        if wanted in (row["region"].lower(), row["region_name"].lower()) and wanted:
            value = row["gco2_per_kwh"]
            label = f"{row['provider_name']} {row['region'] or row['region_name']}" \
                    f" ({row['city']}, {row['country']})"
            return Intensity(label, value, value, value, row["pue"], True, row["source"])
    return None


# Names people write for the countries the table spells its own way.
_COUNTRY_ALIASES = {
    "us": "USA", "u.s.": "USA", "u.s.a.": "USA", "united states": "USA",
    "united states of america": "USA", "america": "USA",
    "uk": "United Kingdom", "u.k.": "United Kingdom", "great britain": "United Kingdom",
    "england": "United Kingdom", "scotland": "United Kingdom", "wales": "United Kingdom",
    "korea": "South Korea", "republic of korea": "South Korea",
    "fr": "France", "de": "Germany", "jp": "Japan", "cn": "China", "in": "India",
    "ca": "Canada", "au": "Australia", "br": "Brazil", "nl": "Netherlands", "se": "Sweden",
    "no": "Norway", "dk": "Denmark", "fi": "Finland", "ch": "Switzerland", "ie": "Ireland",
    "it": "Italy", "be": "Belgium", "sg": "Singapore", "tw": "Taiwan", "nz": "New Zealand",
    "za": "South Africa", "kr": "South Korea", "hk": "Hong Kong", "ru": "Russia",
    "my": "Malaysia", "deutschland": "Germany", "nederland": "Netherlands",
}


def country(name: str) -> Intensity | None:
    """A country's grid, or an electricity zone's (``US-CAL-CISO``), by name;
    the last comma-separated part of "Quebec, Canada" is tried too."""
    countries = data()["countries"]
    by_lower = {k.lower(): k for k in countries}
    candidates = [name.strip()]
    if "," in name:
        candidates.append(name.rsplit(",", 1)[1].strip())
    for candidate in candidates:
        lowered = candidate.lower()
        key = by_lower.get(lowered) or _COUNTRY_ALIASES.get(lowered)
        if key in countries:
            row = countries[key]
            return Intensity(key, row["median"], row["low"], row["high"], None, False,
                             f"{row['values']} figures of the calculator's tables")
        for zone in data()["zones"]:
            if zone["zone"].lower() == lowered:
                value = zone["gco2_per_kwh"]
                return Intensity(f"{zone['name']} ({zone['country']})", value, value, value,
                                 None, False, f"yearly average {zone['year']}")
    return None


def anywhere() -> Intensity:
    """No place stated: the spread of every country in the table, its median
    as the central value."""
    rows = data()["countries"].values()
    medians = sorted(r["median"] for r in rows)
    middle = medians[len(medians) // 2]
    return Intensity("an undeclared place", middle, min(r["low"] for r in rows),
                     max(r["high"] for r in rows), None, False,
                     "the median and spread of every country in the table")
