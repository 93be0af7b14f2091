"""What the machine-readable exports (Croissant, CycloneDX) read from the
bundle beyond the assessment's findings: its files, their digests, a table's
columns, the creators and citations the cards state.

The assessment's inventory and facts are the stages' raw values, so every
path, column name and card text shown here passes the masking gate first,
unless the user asked for ``--show-pii``:

- paths and column names as identifiers (``Gate.redact_identifier``) with
  the plugins' maskers; a path a finding already showed masked (a file named
  after the person the personal-data check found in it) is masked the same
  way, learned from the pair (``Gate.learn_masked``);
- creators and citations are credits: names stay as the card states them
  (crediting people is the point, as in ``aiart-release credits``), but
  their e-mail addresses, phone numbers and other contact data are masked
  by the core's detectors.

Reading stays bounded: a file is hashed once per export, only when it is no
larger than the configured ``max_file_size`` and while the export's hashing
budget lasts; a table's header is read from its first row only.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING

from .. import masking
from ..cache import file_sha256
from ..readers.tables import TableError, iter_rows, table_format

if TYPE_CHECKING:
    from ..assessment import Assessment
    from ..bundle import BundleFile

# The most bytes one export reads to hash files: a dataset of thousands of
# images is hashed, a dataset of hundreds of gigabytes is listed without
# digests (said in the file), rather than read for minutes.
HASH_BUDGET_BYTES = 8 * 1024 ** 3
# At most this many columns of one table are described.
MAX_COLUMNS = 200
# Citations: the first BibTeX block of a card, at most this long.
MAX_CITATION_CHARS = 4000
# A creator's name: longer is not a name (and would fill the file).
MAX_NAME_CHARS = 300
_BIBTEX = re.compile(r"```(?:bibtex|bib)[ \t]*\n(.{1,4000}?)\n```", re.S | re.I)
_EMPTY_BRACKETS = re.compile(r"<\s*>|\(\s*\)|\[\s*\]")
_CREATOR_KEYS = ("creators", "creator", "authors", "author")

_digests: dict[tuple[str, int, int], str] = {}


class BundleView:
    """The bundle's files, masked for display, for one export."""

    def __init__(self, assessment: Assessment, show_pii: bool = False):
        self.assessment = assessment
        self.show_pii = show_pii
        self._gate = None if show_pii else _gate_for(assessment)
        self._budget = HASH_BUDGET_BYTES
        self.unhashed = 0  # files listed without a digest (too large, budget spent)

    # --- masking ----------------------------------------------------------------

    def identifier(self, text: str) -> str:
        """A path or a column name as the export may show it."""
        return text if self._gate is None else self._gate.redact_identifier(text)

    def prose(self, text: str) -> str:
        """A card's sentence as the export may show it."""
        return text if self._gate is None else self._gate.redact(text)

    @staticmethod
    def credit(text: str) -> str:
        """A creator's name as credits show it (``aiart-release credits``):
        in full, with its contact data (e-mail, phone, ids, keys) left out,
        on one line: ``Mira Holt <mira@example.org>`` is ``Mira Holt``."""
        text = text[:MAX_NAME_CHARS]
        spans = sorted(span for detect in masking.CORE_DETECTORS for span in detect(text))
        if spans:
            kept, at = [], 0
            for start, end, _ in spans:
                kept.append(text[at:max(at, start)])
                at = max(at, end)
            kept.append(text[at:])
            text = _EMPTY_BRACKETS.sub(" ", "".join(kept))
        return " ".join(text.split()).strip(" ,;:-/")

    # --- files --------------------------------------------------------------------

    def files_of(self, artifact: str) -> list[BundleFile]:
        return [f for f in self.assessment.inventory.files if f.artifact == artifact]

    def sha256(self, file: BundleFile) -> str | None:
        """The file's sha256, or None when it was not read (skipped by the
        inventory, over ``max_file_size``, or past the export's budget).
        Each file is hashed once, whichever export asks."""
        if not file.readable:
            self.unhashed += 1
            return None
        try:
            st = file.abspath.stat()
        except OSError:
            self.unhashed += 1
            return None
        key = (str(file.abspath), st.st_size, st.st_mtime_ns)
        if key in _digests:
            return _digests[key]
        limit = self.assessment.config.max_file_size
        if (limit is not None and st.st_size > limit) or st.st_size > self._budget:
            self.unhashed += 1
            return None
        try:
            digest = file_sha256(file.abspath)
        except OSError:
            self.unhashed += 1
            return None
        self._budget -= st.st_size
        if len(_digests) > 100_000:
            _digests.clear()
        _digests[key] = digest
        return digest

    @staticmethod
    def columns(file: BundleFile) -> list[str]:
        """The raw column names of a table, from its first row (empty when
        it is not a table, holds no row or cannot be read)."""
        if not file.readable or table_format(file.abspath) is None:
            return []
        rows = None
        try:
            rows = iter_rows(file.abspath)
            first = next(rows, None)
        except (TableError, OSError, UnicodeError, ValueError):
            return []
        finally:
            if rows is not None:
                rows.close()
        return list(first[2])[:MAX_COLUMNS] if first else []

    # --- credits --------------------------------------------------------------------

    def creators(self, artifact: str) -> list[str]:
        """Who the cards of ``artifact`` and the provenance check's
        ``credited_creators`` fact name as creators, as credits show them."""
        names: list[str] = []
        for card in self.assessment.facts.cards:
            if card.artifact != artifact:
                continue
            for key in _CREATOR_KEYS:
                names.extend(_strings(card.metadata.get(key)))
        names.extend(_strings(self.assessment.facts.values.get("credited_creators")))
        return _unique(self.credit(n) for n in names)

    def citations(self, artifact: str) -> list[str]:
        """The cards' ``citation`` metadata and first BibTeX block."""
        found: list[str] = []
        for card in self.assessment.facts.cards:
            if card.artifact != artifact:
                continue
            found.extend(_strings(card.metadata.get("citation")))
            block = _BIBTEX.search(card.text[:200_000])
            if block:
                found.append(block.group(1))
        return _unique(self.credit_block(c) for c in found)

    @staticmethod
    def credit_block(text: str) -> str:
        text = text[:MAX_CITATION_CHARS]
        spans = [span for detect in masking.CORE_DETECTORS for span in detect(text)]
        return masking.apply_spans(text, spans).strip()


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value] if value.strip() else []
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str) and v.strip()][:100]
    if isinstance(value, dict) and isinstance(value.get("name"), str):
        return [value["name"]]
    return []


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


def _gate_for(assessment: Assessment) -> masking.Gate:
    """A gate with the plugins' maskers that also knows how the findings
    showed each path: a name the personal-data check found in a file name
    (and no masker knows) is masked in the exports too."""
    from ..pipeline import collect_maskers

    gate = masking.Gate(collect_maskers(assessment.registry))
    # Shown paths by length, position of the first star and what precedes
    # it: a raw path finds the few it may be in one lookup per star position,
    # not by comparing itself with every finding's path.
    index: dict[tuple[int, int], dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for f in assessment.findings:
        for shown in (f.location.path, *f.also):
            if shown and "*" in shown:
                star = shown.index("*")
                index[(len(shown), star)][shown[:star]].append(shown)
    stars_at: dict[int, list[int]] = defaultdict(list)
    for length, star in index:
        stars_at[length].append(star)
    for file in assessment.inventory.files if index else ():
        raw = file.path
        for star in stars_at.get(len(raw), ()):
            shown = next((s for s in index[(len(raw), star)].get(raw[:star], ())
                          if _masks(raw, s)), None)
            if shown is not None:
                gate.learn_masked(raw, shown)
                break
    return gate


def _masks(raw: str, shown: str) -> bool:
    """Whether ``shown`` is ``raw`` with some characters starred."""
    return all(s == "*" or s == r for r, s in zip(raw, shown, strict=True)) and raw != shown
