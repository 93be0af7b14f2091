"""Build rules/training/mlco2.json from the Machine Learning Emissions
Calculator's data (github.com/mlco2/impact, ``data/``, MIT licence).

Run from the repository root when the calculator's tables change:

    .venv/bin/python rules/training/build_mlco2.py ../shared/data/mlco2

The output keeps only the columns the training check uses, each row with its
source, and carries the calculator's licence text, so the installed package
holds its credit. A few GPUs the calculator lacks and artists train on are
added from ADDED_GPUS below, each with the maker's page as its source.
"""

from __future__ import annotations

import csv
import json
import statistics
import sys
from pathlib import Path

SOURCE_COMMIT_DATE = "2026-03-09"
OUT = Path(__file__).resolve().parent / "mlco2.json"

# Board power (W) from the maker's specification pages; not in the
# calculator's gpus.csv (checked 2026-11).
ADDED_GPUS = [
    ("RTX 3060", 170, "https://www.nvidia.com/en-us/geforce/graphics-cards/30-series/rtx-3060-3060ti/"),
    ("RTX 3070", 220, "https://www.nvidia.com/en-us/geforce/graphics-cards/30-series/rtx-3070-3070ti/"),
    ("RTX 4070", 200, "https://www.nvidia.com/en-us/geforce/graphics-cards/40-series/rtx-4070-family/"),
    ("RTX 4080", 320, "https://www.nvidia.com/en-us/geforce/graphics-cards/40-series/rtx-4080-family/"),
    ("A10", 150, "https://www.nvidia.com/en-us/data-center/products/a10-gpu/"),
    ("A40", 300, "https://www.nvidia.com/en-us/data-center/a40/"),
    ("H200 SXM", 700, "https://www.nvidia.com/en-us/data-center/h200/"),
]

# GPUs per instance (the calculator's instances.csv names the GPU, not how
# many): from the providers' instance pages its rows cite.
GPUS_PER_INSTANCE = {
    "p3.2xlarge": 1, "p3.8xlarge": 4, "p3.16xlarge": 8, "p3dn.24xlarge": 8,
    "p2.xlarge": 1, "p2.8xlarge": 8, "p2.16xlarge": 16,
    "g4dn.xlarge": 1, "g4dn.2xlarge": 1, "g4dn.4xlarge": 1, "g4dn.8xlarge": 1,
    "g4dn.16xlarge": 1, "g4dn.12xlarge": 4, "g4dn.metal": 8,
}

# A zone's yearly average counts when at least half the year's hours had data.
MIN_HOURS = 4380
# The zones file names the United States differently from impact.csv.
SAME_COUNTRY = {"United States of America": "USA"}
# Countries whose zones in the file are small islands (Orkney; the Canary and
# Balearic islands), not the country's grid: kept as zones, not averaged in.
NOT_THE_COUNTRY = {"Great Britain", "Spain"}


def _rows(folder: Path, name: str) -> list[dict[str, str]]:
    with open(folder / name, newline="", encoding="utf-8") as handle:
        return [{k.strip(): (v or "").strip() for k, v in row.items()}
                for row in csv.DictReader(handle)]


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value == value else None  # NaN


def _source(row: dict[str, str]) -> str:
    """The row's source; a row short of a column (A10G) has it one field early."""
    if row.get("source"):
        return row["source"]
    return next((v for v in reversed(list(row.values())) if v and v.startswith("http")), "")


def gpus(folder: Path) -> list[dict]:
    out = [{"name": r["name"], "type": r["type"], "tdp_watts": _number(r["tdp_watts"]),
            "source": _source(r)} for r in _rows(folder, "gpus.csv")]
    out += [{"name": n, "type": "gpu", "tdp_watts": float(w), "source": s, "added": True}
            for n, w, s in ADDED_GPUS]
    return out


def regions(folder: Path) -> list[dict]:
    return [{"provider": r["provider"], "provider_name": r["providerName"],
             "region": r["region"], "region_name": r["regionName"], "country": r["country"],
             "city": r["city"], "gco2_per_kwh": _number(r["impact"]),
             "pue": _number(r["PUE"]),
             "source": r["source"] or f"none in the calculator's table ({r['comment']})"}
            for r in _rows(folder, "impact.csv") if _number(r["impact"]) is not None]


def instances(folder: Path) -> list[dict]:
    return [{"provider": r["provider"], "id": r["id"], "gpu": r["gpu"],
             "gpus": GPUS_PER_INSTANCE.get(r["id"]), "source": r["source"]}
            for r in _rows(folder, "instances.csv")]


def zones(folder: Path) -> list[dict]:
    """Each electricity zone's most recent yearly average with enough hours."""
    best: dict[str, dict[str, str]] = {}
    for row in _rows(folder, "2021-10-27yearly_averages.csv"):
        if int(row["no_hours_with_data"] or 0) < MIN_HOURS:
            continue
        known = best.get(row["zone_key"])
        if known is None or int(row["year"]) > int(known["year"]):
            best[row["zone_key"]] = row
    return [{"zone": k, "country": r["Country"], "name": r["Zone Name"], "year": int(r["year"]),
             "gco2_per_kwh": round(float(r["carbon_intensity_avg"]), 1)}
            for k, r in sorted(best.items())]


def countries(region_rows: list[dict], zone_rows: list[dict]) -> dict[str, dict]:
    """Per country: the median, lowest and highest intensity of its cloud
    regions and electricity zones (the spread becomes the estimate's range)."""
    values: dict[str, list[float]] = {}
    for row in region_rows:
        if "carbon-free" not in row["source"]:  # a provider's own purchase, not the grid
            values.setdefault(row["country"], []).append(row["gco2_per_kwh"])
    for row in zone_rows:
        if row["country"] not in NOT_THE_COUNTRY:
            country = SAME_COUNTRY.get(row["country"], row["country"])
            values.setdefault(country, []).append(row["gco2_per_kwh"])
    return {name: {"median": round(statistics.median(v), 1), "low": min(v), "high": max(v),
                   "values": len(v)} for name, v in sorted(values.items())}


def main(folder: Path) -> None:
    region_rows, zone_rows = regions(folder), zones(folder)
    data = {
        "credit": ("Machine Learning Emissions Calculator (Lacoste, Luccioni, Schmidt and "
                   "Dandres, 2019, 'Quantifying the Carbon Emissions of Machine Learning', "
                   "arXiv:1910.09700), https://github.com/mlco2/impact, data/ as of its "
                   f"commit of {SOURCE_COMMIT_DATE}"),
        "license": "MIT",
        "license_text": (folder / "LICENSE.txt").read_text(encoding="utf-8"),
        "source_date": SOURCE_COMMIT_DATE,
        "zones_file": "2021-10-27yearly_averages.csv",
        "gpus": gpus(folder),
        "regions": region_rows,
        "instances": instances(folder),
        "zones": zone_rows,
        "countries": countries(region_rows, zone_rows),
    }
    OUT.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/mlco2"))
