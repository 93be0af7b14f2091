"""Build rules/license_index.json.gz: word-set fingerprints of every licence
text in the SPDX License List, for identifying licence files offline.

    npm pack spdx-license-list@6.12.0 && tar xzf spdx-license-list-6.12.0.tgz
    python tools/build_license_index.py package/spdx-full.json

The source is Sindre Sorhus's `spdx-license-list` npm package (CC0-1.0),
which carries the texts of the SPDX License List. We ship fingerprints (the
set of normalised words of each text, as indices into one vocabulary), not
the texts: enough to compute the Dice coefficient that licensee and
ScanCode-style matchers use, and small.
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "plugins"))

from licensing.normalize import word_sequence, words  # noqa: E402

# SPDX's LGPL-3.0 text is the LGPL's own short text followed by the whole
# GPL-3.0 it builds on; the COPYING.LESSER file projects ship holds only the
# short part. Fingerprint that part, so the two are told apart.
_EMBEDS_GPL = {"LGPL-3.0-only", "LGPL-3.0-or-later"}
_GPL_START = "GNU GENERAL PUBLIC LICENSE"


def _own_text(spdx_id: str, text: str) -> str:
    if spdx_id in _EMBEDS_GPL and _GPL_START in text:
        return text[:text.index(_GPL_START)]
    return text


def _table_ids() -> set[str]:
    """The licences rules/licenses.yaml describes: the ones whose full word
    sequence ships, to tell a modified text from the original."""
    import yaml

    table = yaml.safe_load((ROOT / "rules" / "licenses.yaml").read_text("utf-8"))
    return set(table["licenses"])


def _deprecated(ids: set[str]) -> set[str]:
    """SPDX's deprecated ids that share a text with their replacement:
    ``GPL-3.0`` and ``GPL-3.0+`` (now ``GPL-3.0-only``, ``-or-later``)."""
    out = {i for i in ids if i.endswith("+")}
    out |= {i for i in ids if f"{i}-only" in ids or f"{i}-or-later" in ids}
    return out


def main(source: str) -> None:
    data = json.loads(Path(source).read_text("utf-8"))
    vocabulary: dict[str, int] = {}
    licenses = {}
    deprecated = _deprecated(set(data))
    sequences = {}
    with_text = _table_ids()
    for spdx_id, entry in sorted(data.items()):
        if spdx_id in deprecated:
            continue
        text = _own_text(spdx_id, entry.get("licenseText") or "")
        found = words(text)
        if len(found) < 10:
            continue  # no usable text
        ids = sorted(vocabulary.setdefault(w, len(vocabulary)) for w in found)
        licenses[spdx_id] = {"name": entry.get("name", spdx_id), "words": ids,
                             "osi": bool(entry.get("osiApproved"))}
        if spdx_id in with_text:
            sequences[spdx_id] = " ".join(word_sequence(text))
    index = {"source": "spdx-license-list 6.12.0 (npm, CC0-1.0), texts of the SPDX License List",
             "vocabulary": sorted(vocabulary, key=vocabulary.get), "licenses": licenses,
             "sequences": sequences}
    target = ROOT / "rules" / "license_index.json.gz"
    with gzip.open(target, "wt", encoding="utf-8", compresslevel=9) as handle:
        json.dump(index, handle, separators=(",", ":"))
    print(f"{len(licenses)} licences ({len(sequences)} with their text), {len(vocabulary)} "
          f"words -> {target} "
          f"({target.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    main(sys.argv[1])
