"""The personal-data check: who is in the release, and what it says about them.

Field guide, dataset checkpoint: "Does my dataset contain information that
could identify individuals, such as addresses, or information about health,
political or religious beliefs? Do the people featured even know they are in
my dataset?" Presidio finds the personal data; our recognizers find the
special categories of GDPR Art. 9 and children.

Example: ``data/captions.csv`` with a column ``notes`` saying "Maria
Gonzalez, diagnosed with HIV" gets ``pii.person-name`` and
``sensitive.health`` (critical: a named person with a health condition), and
the default policy keeps the dataset closed with a 90-day retention.

Evidence is always masked; the raw values go only into ``matched`` (the
fingerprint, and ``--show-pii``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import field
from typing import TYPE_CHECKING, Any

from aiart_release.checks import Check
from aiart_release.facts import Fact
from aiart_release.findings import (
    CHECKPOINT_OF_ARTIFACT,
    Checkpoint,
    Finding,
    Location,
    Severity,
    fingerprint,
    plural,
)
from aiart_release.masking import mask
from aiart_release.readers.text import unreadable_finding
from aiart_release.records import dataclass

if TYPE_CHECKING:
    from .analyzer import Analyzer, Hit
    from .sources import Record

# The analyzer and sources modules (regular expressions, multiprocessing,
# csv, tokenize) are imported when a file is scanned, not when plugins load:
# `aiart-release plugins` and a pre-commit hook with nothing to scan stay fast.

# Records analysed together: large enough for spaCy's batching and its two
# processes to pay off, small enough that memory stays flat.
CHUNK_RECORDS = 32_768
# Files up to this size are read whole and analysed with others in a batch.
SMALL_FILE_BYTES = 256 * 1024
EXAMPLES = 3
# Finding ids that, in one record, make a person identifiable.
IDENTIFYING = {
    "pii.person-name", "pii.email-address", "pii.phone-number", "pii.street-address",
    "pii.social-handle", "pii.national-id", "pii.birth-date", "pii.iban", "pii.credit-card",
    "pii.gps-coordinates",
}

_ANALYZERS: dict[tuple, Analyzer] = {}


_OWN_RECOGNIZERS = __name__.rsplit(".", 1)[0] + ".recognizers"


class _LazyAnalyzer:
    """The analyzer, built on first use: when a text may hold personal data
    (``analyze``), or any attribute is asked.

    Texts in which no built-in recognizer could find anything
    (``may_hold_personal_data``: nothing any entity's prefilter takes, no
    name candidate, no credit cue, no trait term, as "a lighthouse on a
    cliff, gulls overhead" or "3 dogs on a beach, 1024x1024") get no hits
    without loading spaCy and Presidio, which is most of a first
    pre-commit run on one new caption. Not when a
    plugin contributes recognizers (we cannot know what they look for), nor
    when the model is not installed (the build says so: ``ModelMissing``)."""

    def __init__(self, settings: dict[str, Any], factories: tuple):
        self._settings, self._factories = settings, factories
        self._real: Analyzer | None = None

    def _built(self) -> Analyzer:
        if self._real is None:
            self._real = _analyzer(self._settings, self._factories)
        return self._real

    def _may_skip(self) -> bool:
        from aiart_release.plugins import installed_version

        from .analyzer import DEFAULT_MODEL

        return (all(getattr(f, "__module__", None) == _OWN_RECOGNIZERS for f in self._factories)
                and installed_version(self._settings.get("spacy_model", DEFAULT_MODEL))
                is not None)

    def analyze(self, items, memo=None):
        if self._real is None and self._may_skip():
            from .analyzer import may_hold_personal_data

            countries = tuple(self._settings.get("countries", ("us", "uk")))
            if not any(may_hold_personal_data(text, countries) for text, _ in items):
                return [[] for _ in items]
        return self._built().analyze(items, memo)

    def __getattr__(self, name: str):
        return getattr(self._built(), name)


def _analyzer(settings: dict[str, Any], factories: tuple) -> Analyzer:
    """One analyzer per process and settings: loading spaCy takes seconds."""
    from .analyzer import DEFAULT_MODEL, Analyzer

    model = settings.get("spacy_model", DEFAULT_MODEL)
    countries = tuple(settings.get("countries", ("us", "uk")))
    key = (model, countries, factories)
    if key not in _ANALYZERS:
        _ANALYZERS[key] = Analyzer(model=model, countries=countries, factories=factories)
    return _ANALYZERS[key]


def _entity_spec(entity: str) -> dict[str, str]:
    from .analyzer import settings_data
    from .recognizers import SENSITIVE_PREFIX, category_of, traits_data

    if entity.startswith(SENSITIVE_PREFIX):
        category = category_of(entity)
        title = traits_data()["categories"].get(category, {}).get("title", category)
        return {"id": f"sensitive.{category}", "severity": "medium", "mask": "words",
                "title": title}
    known = settings_data()["entities"].get(entity)
    if known:
        return known
    # An entity a plugin's recognizer contributes.
    return {"id": "pii." + entity.lower().replace("_", "-"), "severity": "medium",
            "mask": "words", "title": entity.replace("_", " ").capitalize()}


@dataclass
class _Group:
    """Every occurrence of one finding id in one field of one file."""

    id: str
    field: str
    context: str
    title: str
    severity: Severity
    mask_kind: str
    rows: list[int] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    count: int = 0
    score: float = 0.0
    examples: list[str] = field(default_factory=list)
    values: set[str] = field(default_factory=set)
    named: bool = False  # sensitive: tied to an identifiable person somewhere


class PersonalData(Check):
    id = "pii"
    checkpoint = Checkpoint.DATASET
    covers = frozenset({Checkpoint.DATASET, Checkpoint.PUBLISHING})
    description = "Personal data and sensitive traits (Presidio + spaCy) in text, tables, code"
    kinds = frozenset({"text", "table", "model-card", "dataset-card", "code", "model-weights",
                       "config", "manifest", "image"})
    # 2: findings carry a context, judged and weighed by it (cached results of
    # version 1 are not reused). 5: the prompts in images' metadata are read.
    # 6: people's names in the folders of an image's path, and (ocr: true)
    # the text images show. 7: addresses at names reserved for examples
    # (example.com, .test: RFC 2606, RFC 6761) are nobody's personal data.
    # 8: images' text read by RapidOCR when it is installed (ocr_engine).
    # 11: a Markdown table's header row and the labels of rows of figures
    # are not read as names.
    version = "11"
    # From data contexts only (captions, table cells, metadata, file names):
    # a name in a README says nothing about the people in the dataset.
    provides = {
        "personal_data": Fact(bool, "personal data (medium or above) found in the data itself: "
                                    "captions, table cells, metadata, file names"),
        "special_category_data": Fact(bool, "a special-category trait (health, beliefs, "
                                            "sexuality, ethnicity...) tied to people in the data"),
        "people_identifiable": Fact(int, "how many identifying items (names, addresses, "
                                         "handles, ids...) the data holds"),
        "minors": Fact(bool, "the data is about children"),
        "pii_found": Fact(list, "the ids of every pii.* and sensitive.* finding, in any context"),
    }

    @property
    def findings(self) -> dict[str, str]:  # type: ignore[override]
        # From the data files, read on first use: `aiart-release plugins`
        # and `--help` never parse them.
        from .analyzer import settings_data
        from .recognizers import traits_data

        return {
            **{spec["id"]: spec["title"] for spec in settings_data()["entities"].values()},
            **{f"sensitive.{c}": spec["title"]
               for c, spec in traits_data()["categories"].items()},
        }

    # Many small files (caption sidecars) are analysed together: one spaCy
    # batch for a thousand captions instead of a thousand batches of one.
    batch_size = 1024

    def environment_key(self, settings):
        """With ``ocr: true``, the OCR engine images are read with."""
        return str(_ocr_wanted(settings)) if settings.get("ocr") else ""

    def scan_file(self, file, ctx):
        return self._scan([file], ctx)[0][1]

    def scan_batch(self, files, ctx):
        return self._scan(files, ctx)

    def _scan(self, files, ctx) -> list[tuple[Any, list[Finding]]]:
        from .analyzer import ModelMissing

        # Built when the first text is analysed: an image with no prompt or
        # caption (what a pre-commit hook usually sees) never loads spaCy.
        analyzer = _LazyAnalyzer(dict(ctx.settings), tuple(ctx.recognizers))
        try:
            return self._scan_with(files, ctx, analyzer)
        except ModelMissing as exc:
            # One finding for the bundle, not one per file: same place, same
            # fingerprint, so the engine keeps one.
            failed = Finding(
                id="plugin.check-failed", severity=Severity.HIGH,
                message=f"Check 'pii' cannot run: {exc}", location=Location(path="."),
                remediation="Name an installed spaCy package in checks.pii.spacy_model, or "
                            "remove the setting to use the default",
                matched=str(exc),
            )
            return [(f, [failed]) for f in files]

    def _scan_with(self, files, ctx, analyzer) -> list[tuple[Any, list[Finding]]]:
        ocr = _ocr_wanted(ctx.settings)
        small = [f for f in files if f.size <= SMALL_FILE_BYTES]
        results = self._scan_small(small, analyzer, ocr) if small else {}
        for file in files:
            if file.path not in results:
                results[file.path] = list(self._scan_one(file, analyzer, ocr))
            if file.kind == "image":
                results[file.path].extend(_folder_findings(file, analyzer))
                if ctx.settings.get("ocr") and not ocr:
                    results[file.path].append(_no_ocr_engine())
        return [(f, results[f.path]) for f in files]

    def _scan_one(self, file, analyzer, ocr: str | None = None) -> Iterator[Finding]:
        """One file, streamed in chunks (a large table)."""
        from .sources import SourceError, records

        if file.kind == "model-weights" and file.suffix != ".safetensors":
            return
        groups: dict[tuple[str, str, str], _Group] = {}
        total_rows = 0
        error = None
        memo: dict = {}
        try:
            for chunk in _chunks(records(file.abspath, file.kind, file.suffix,
                                         _file_context(file), ocr), CHUNK_RECORDS):
                total_rows = _analyse(analyzer, chunk, groups, memo, total_rows)
        except SourceError as exc:
            error = exc  # the exception: past a reader's limit it is bundle.too-complex
        yield from _findings(file, groups, total_rows)
        if error:
            yield unreadable_finding(file.path, file.artifact, error, self.id)

    def _scan_small(self, files, analyzer, ocr: str | None = None) -> dict[str, list[Finding]]:
        """Small files, read whole and analysed in one batch."""
        from .sources import SourceError, records

        read: list[tuple[Any, list[Record], Exception | None]] = []
        for file in files:
            if file.kind == "model-weights" and file.suffix != ".safetensors":
                read.append((file, [], None))
                continue
            got: list[Record] = []
            try:
                for record in records(file.abspath, file.kind, file.suffix,
                                      _file_context(file), ocr):
                    got.append(record)
            except SourceError as exc:
                read.append((file, got, exc))
                continue
            read.append((file, got, None))
        items = [(seg.text, seg.field) for _, recs, _ in read for rec in recs
                 for seg in rec.segments]
        hits = iter(analyzer.analyze(items, {}) if items else ())
        out: dict[str, list[Finding]] = {}
        for file, recs, error in read:
            groups: dict[tuple[str, str, str], _Group] = {}
            total_rows = 0
            for record in recs:
                total_rows = max(total_rows, record.row or 0)
                _add_record(groups, record, [next(hits) for _ in record.segments])
            found = list(_findings(file, groups, total_rows))
            if error:
                found.append(unreadable_finding(file.path, file.artifact, error, self.id))
            out[file.path] = found
        return out

    # A large table is scanned in parts (on several cores, or on Dask
    # workers), each part's groups merged here into the findings of the
    # whole file: docs/plugins.md, "Tables in parts".

    def scan_part(self, file, part, ctx) -> PartGroups:
        """The groups of one part of a table, with nothing raw in them."""
        analyzer = _LazyAnalyzer(dict(ctx.settings), tuple(ctx.recognizers))
        return _scan_part(file, part, analyzer, self.id)

    def merge(self, file, partials: list[PartGroups]) -> list[Finding]:
        """The findings of the whole table from its parts' groups, in order."""
        return _merge_parts(file, partials)

    def facts(self, findings: list[Finding]) -> dict[str, Any]:
        """Facts about the DATA: only what was found in captions, table
        cells, metadata and file names counts. A maintainer's address in a
        code header or a name in a README says nothing about the people in
        the dataset, and must not close it (the findings themselves still
        move the tier of the artifact that holds them)."""
        from .contexts import DATA_CONTEXTS

        ours = [f for f in findings if f.id.startswith(("pii.", "sensitive."))]
        data = [f for f in ours if f.context is None or f.context in DATA_CONTEXTS]
        if not ours:
            return {"personal_data": False, "special_category_data": False,
                    "people_identifiable": 0, "minors": False}
        return {
            "personal_data": any(f.id.startswith("pii.") and f.severity >= Severity.MEDIUM
                                 for f in data),
            "special_category_data": any(
                f.id.startswith("sensitive.") and f.id != "sensitive.minors"
                and f.severity >= Severity.HIGH for f in data),
            "people_identifiable": sum(f.count or 1 for f in data if f.id in IDENTIFYING),
            # A bare "kids" in a caption is not enough to call it children's data.
            "minors": any(f.id == "sensitive.minors" and f.severity >= Severity.MEDIUM
                          for f in data),
            "pii_found": sorted({f.id for f in ours}),
        }


def _ocr_wanted(settings) -> str | None:
    """With ``ocr: true``, the OCR engine images' pixels are read with
    (``ocr_engine``: auto, rapidocr, tesseract), when it is installed."""
    if not settings.get("ocr"):
        return None
    from aiart_release.readers.ocr import engine

    return engine(str(settings.get("ocr_engine", "auto")))


def _no_ocr_engine() -> Finding:
    """The text in images was asked for and cannot be read: said once for
    the bundle (same place and value in every image: the engine keeps one),
    since silence would read as "no names in the pictures"."""
    return Finding(
        id="plugin.check-skipped", severity=Severity.INFO,
        message="Names in the text of images (pii: ocr: true) were not read: no OCR engine "
                "is installed",
        location=Location(path="."), matched="pii ocr: no engine",
        checkpoint=Checkpoint.DATASET,
        remediation="Install RapidOCR (`pip install 'aiart-release[ocr]'`) or tesseract "
                    "(`apt-get install tesseract-ocr`, `brew install tesseract`), or turn "
                    "the setting off")


@dataclass(frozen=True)
class _Folder:
    """A folder, where findings about its name are placed."""
    path: str
    artifact: str


def _folder_findings(file, analyzer) -> list[Finding]:
    """``pii.person-name`` for a person's name in the folders of an image's
    path (``dataset/maria_gonzalez/001.jpg``), placed on the folder
    (``dataset/maria_gonzalez/``). Every image of the folder reports it, with
    the same fingerprint: the pipeline keeps one finding per folder, and a
    cached image still brings it."""
    from .sources import folder_name_records

    found: list[Finding] = []
    for folder, record in folder_name_records(file.path):
        groups: dict[tuple[str, str, str], _Group] = {}
        _analyse(analyzer, [record], groups, {}, 0)
        found.extend(_findings(_Folder(folder + "/", file.artifact), groups, 0))
    return found


def _file_context(file) -> str | None:
    from .sources import file_context

    return file_context(file.name, file.kind, file.artifact, getattr(file, "context", None),
                        getattr(file, "head", b""))


def _analyse(analyzer, chunk: list[Record], groups: dict[tuple[str, str, str], _Group],
             memo: dict, total_rows: int) -> int:
    items = [(seg.text, seg.field) for rec in chunk for seg in rec.segments]
    hits = iter(analyzer.analyze(items, memo) if items else ())
    for record in chunk:
        total_rows = max(total_rows, record.row or 0)
        _add_record(groups, record, [next(hits) for _ in record.segments])
    return total_rows


def _chunks(items: Iterable[Record], size: int) -> Iterator[list[Record]]:
    """Lists of up to ``size`` records. When reading stops with an error, the
    records read so far are still yielded, then the error is raised."""
    from .sources import SourceError

    chunk: list[Record] = []
    try:
        for item in items:
            chunk.append(item)
            if len(chunk) >= size:
                yield chunk
                chunk = []
    except SourceError:
        if chunk:
            yield chunk
        raise
    if chunk:
        yield chunk


@dataclass(frozen=True)
class Decision:
    """What one hit in one record becomes: a finding id and a severity."""

    finding_id: str
    title: str
    mask_kind: str
    severity: Severity
    hit: Hit
    field: str
    line: int | None
    identified: bool
    context: str = "caption"


def classify_record(fields: list[tuple[str, int | None]], per_segment: list[list[Hit]],
                    contexts: list[str] | None = None, texts: list[str] | None = None,
                    lines_inside: bool = True) -> list[Decision]:
    """Turn the hits of one record (its segments' ``(field, line)``, their
    contexts and texts, and hits) into decisions. The record decides what a
    hit means: a place is personal only next to a person, a trait next to a
    person is critical, an age under 18 is a child; the context decides what
    counts and how much it weighs (see ``contexts``). Without contexts every
    segment is a caption; without texts no hit is dropped for its
    surroundings. ``lines_inside``: a hit's line is its segment's line plus
    the lines before it in the segment (not in a table row)."""
    from .contexts import (
        CODE_CONTEXTS,
        DATA_CONTEXTS,
        FIXTURE,
        PROSE,
        cap,
        clean_hits,
        offered_as_contact,
    )
    from .contexts import sentence_bounds as bounds

    count = len(fields)
    contexts = list(contexts) if contexts is not None else ["caption"] * count
    texts_: list[str | None] = list(texts) if texts is not None else [None] * count
    cleaned = [clean_hits(text, hits, context)
               for text, hits, context in zip(texts_, per_segment, contexts, strict=True)]
    found = [(_entity_spec(hit.entity), hit, i) for i, hits in enumerate(cleaned) for hit in hits]
    if not found:
        return []
    ids = {spec["id"] for spec, *_ in found}
    people = [[h for h in hits if _entity_spec(h.entity)["id"] in IDENTIFYING]
              for hits in cleaned]
    anyone = any(people)

    def identified(i: int, hit: Hit) -> bool:
        """A person named or contactable where the hit is: anywhere in a
        record of data (a row names the sitter in one column, the trait in
        another), in the same sentence elsewhere."""
        text = texts_[i]
        if contexts[i] in DATA_CONTEXTS or contexts[i] == FIXTURE or text is None:
            return anyone
        left, right = bounds(text, hit.start, hit.end)
        return any(left <= p.start < right and p is not hit for p in people[i])

    decisions = []
    for spec, hit, i in found:
        finding_id, context, text = spec["id"], contexts[i], texts_[i]
        who = identified(i, hit)
        if finding_id == "pii.location" and (not who or "pii.street-address" in ids):
            # A place in a landscape caption is nobody's personal data, and
            # the city of an address is part of the address.
            continue
        line = fields[i][1]
        if line is not None and text is not None and lines_inside:
            line += text.count("\n", 0, hit.start)
        contact = context == PROSE and text is not None and offered_as_contact(
            text, hit.start, hit.end)
        severity = Severity(spec["severity"])
        if finding_id.startswith("sensitive."):
            # Tied to a named or contactable person: the worst case. Stated
            # about someone unnamed: medium. A bare mention: low.
            severity = (Severity.CRITICAL if who
                        else Severity.MEDIUM if hit.score >= 0.8 else Severity.LOW)
        named = who and hit.score >= 0.8
        if context in CODE_CONTEXTS and finding_id.startswith("sensitive.") and not named:
            # "child process", "class-agnostic", "her children" in a
            # comment: code states traits of nobody unless it names someone.
            continue
        if finding_id == "pii.age" and _is_minor(hit.value) and (
                who or context not in CODE_CONTEXTS):
            from .recognizers import traits_data

            minor = Severity.CRITICAL if who else Severity.MEDIUM
            decisions.append(Decision(
                "sensitive.minors", traits_data()["categories"]["minors"]["title"], "words",
                cap("sensitive.minors", context, minor, named=who), hit, fields[i][0], line,
                who, context))
        decisions.append(Decision(
            finding_id, spec["title"], spec.get("mask", "words"),
            cap(finding_id, context, severity, named=named, contact=contact),
            hit, fields[i][0], line, who, context))
    return decisions


def _add_record(groups: dict[tuple[str, str, str], _Group], record: Record,
                per_segment: list[list[Hit]]) -> None:
    segments = record.segments
    decisions = classify_record([(s.field, s.line) for s in segments], per_segment,
                                [s.context for s in segments], [s.text for s in segments],
                                lines_inside=record.row is None)
    for d in decisions:
        _add(groups, d, record)


def _is_minor(value: str) -> bool:
    digits = "".join(c for c in value if c.isdigit())
    return bool(digits) and int(digits[:3]) < 18


def _add(groups: dict[tuple[str, str, str], _Group], d: Decision, record: Record) -> None:
    key = (d.finding_id, d.field, d.context)
    group = groups.get(key)
    if group is None:
        group = groups[key] = _Group(d.finding_id, d.field, d.context, d.title, d.severity,
                                     d.mask_kind)
    group.severity = max(group.severity, d.severity)
    group.score = max(group.score, d.hit.score)
    group.named = group.named or d.identified
    hit, line = d.hit, d.line
    # One occurrence per record: five names in one row count once for that row.
    where_row, where_line = record.row, line or record.line
    if where_row is not None:
        if not group.rows or group.rows[-1] != where_row:
            group.rows.append(where_row)
            group.count += 1
    elif where_line is not None:
        if not group.lines or group.lines[-1] != where_line:
            group.lines.append(where_line)
            group.count += 1
    else:
        group.count += 1
    value = hit.value.strip()
    if value not in group.values:
        group.values.add(value)
        if len(group.examples) < EXAMPLES:
            group.examples.append(value)


def _findings(file, groups: dict[tuple[str, str, str], _Group],
              total_rows: int) -> Iterator[Finding]:
    for key, g in sorted(groups.items()):
        masked = [mask(v, g.mask_kind) for v in g.examples]
        digest = hashlib.sha256("\0".join(sorted(g.values)).encode("utf-8", "surrogatepass"))
        yield _group_finding(file, key, g, masked, len(g.values), digest.hexdigest(),
                             total_rows, ", ".join(g.examples))


def _group_finding(file, key: tuple[str, str, str], g: _Group, masked: list[str],
                   distinct: int, digest: str, total_rows: int,
                   matched: str | None) -> Finding:
    """The finding of one group: ``masked`` examples of its ``distinct``
    values, ``digest`` (of every value) in its fingerprint."""
    finding_id, field_name, context = key
    more = distinct - len(masked)
    evidence = ", ".join(masked) + (f" (+{more} more)" if more > 0 else "")
    where = f" in column `{field_name}`" if g.rows and field_name else (
        f" in {_FIELD_WORDS.get(field_name, field_name)}" if field_name else "")
    if g.rows and total_rows:
        share = f": {g.count:,} of {total_rows:,} rows ({100 * g.count / total_rows:.0f}%)"
    else:
        share = f": {plural(g.count, 'occurrence')}"
    message = f"{g.title}{where}{share}"
    if finding_id.startswith("sensitive."):
        about = ("tied to an identifiable person" if g.named
                 else "about someone unnamed" if g.severity >= Severity.MEDIUM
                 else "a bare mention, no one identified")
        message = f"{g.title} ({about}){where}{share}"
    location = Location(
        path=file.path,
        field=field_name or None,
        row=g.rows[0] if len(g.rows) == 1 else None,
        rows=tuple(g.rows) if len(g.rows) > 1 else None,
        line=g.lines[0] if g.lines else None,
        lines=tuple(g.lines) if len(g.lines) > 1 else None,
    )
    return Finding(
        id=finding_id,
        severity=g.severity,
        confidence=round(g.score, 2),
        message=message,
        location=location,
        evidence=evidence,
        count=g.count,
        remediation=_remediation(finding_id),
        # Personal data in code is a model-code question, in a model card
        # a publishing one, in the data a dataset one.
        checkpoint=CHECKPOINT_OF_ARTIFACT.get(file.artifact, Checkpoint.DATASET),
        matched=matched,
        # Hash of every value found (not the lines): stable under edits
        # elsewhere, changed by new personal data.
        fingerprint=fingerprint(finding_id, file.path, f"{field_name}\0{digest}"),
        references=_references(finding_id),
        context=context,
    )


_FIELD_WORDS = {"comment": "a code comment", "string": "a string literal",
                "docstring": "a docstring"}


def _remediation(finding_id: str) -> str:
    if finding_id.startswith("sensitive."):
        return ("Remove the statement, or record the person's explicit consent; "
                "never publish it tied to a name")
    if finding_id == "pii.person-name":
        return ("Check that each person agreed to be named; replace names with pseudonyms or "
                "drop the column before release")
    return "Remove or pseudonymise it before release"


def _references(finding_id: str) -> tuple[str, ...]:
    if finding_id.startswith("sensitive."):
        return ("https://gdpr-info.eu/art-9-gdpr/",)
    return ("https://gdpr-info.eu/art-4-gdpr/",)


# --- Tables in parts ---------------------------------------------------------
#
# What a part sends back holds nothing raw: per group its rows, lines,
# counts and scores, the SHA-256 of each distinct value (to count them
# across parts and fingerprint the whole), and its first EXAMPLES distinct
# values already masked, each with its hash. That is enough for the merge
# to be exact: while fewer than EXAMPLES examples are known, a later part's
# first EXAMPLES distinct values hold every one still missing.

PartGroups = tuple[dict[tuple[str, str, str], _Group], int, Finding | None]


def _scan_part(file, part, analyzer, check_id: str) -> PartGroups:
    from .sources import SourceError

    groups: dict[tuple[str, str, str], _Group] = {}
    total_rows, error, memo = 0, None, {}
    try:
        for chunk in _chunks(_part_records(file, part), CHUNK_RECORDS):
            total_rows = _analyse(analyzer, chunk, groups, memo, total_rows)
    except SourceError as exc:
        error = unreadable_finding(file.path, file.artifact, exc, check_id)
    return {key: _hashed(g) for key, g in groups.items()}, total_rows, error


def _part_records(file, part) -> Iterator[Record]:
    """The records of one part of a table, as ``sources.records`` reads the
    whole table (each cell a segment, in the file's context)."""
    from aiart_release.readers.tables import TableError, iter_part_rows

    from .sources import CAPTION, Record, Segment, SourceError

    context = _file_context(file)
    try:
        for row, line, cells in iter_part_rows(file.abspath, part):
            yield Record(row=row, line=line, segments=[
                Segment(text, name, line, context or CAPTION) for name, text in cells.items()])
    except TableError as exc:
        raise SourceError(str(exc), limit=exc.limit) from None
    except OSError as exc:
        raise SourceError(exc.strerror or str(exc)) from None


def _value_hash(value: str) -> bytes:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).digest()


def _hashed(g: _Group) -> _Group:
    """``g`` with its values as hashes and its examples as (hash, masked)."""
    return _Group(g.id, g.field, g.context, g.title, g.severity, g.mask_kind, g.rows, g.lines,
                  g.count, g.score, [(_value_hash(v), mask(v, g.mask_kind)) for v in g.examples],
                  {_value_hash(v) for v in g.values}, g.named)


def _merge_parts(file, partials: list[PartGroups]) -> list[Finding]:
    merged: dict[tuple[str, str, str], _Group] = {}
    total_rows, errors = 0, []
    for groups, rows, error in partials:
        total_rows = max(total_rows, rows)
        if error is not None:
            errors.append(error)
        for key, part in groups.items():
            _merge_group(merged, key, part)
    found = []
    for key, g in sorted(merged.items()):
        digest = hashlib.sha256(b"".join(sorted(g.values))).hexdigest()
        found.append(_group_finding(file, key, g, [m for _, m in g.examples], len(g.values),
                                    digest, total_rows, None))
    # Reading stopped in a part: said once, for the first part it stopped in.
    return found + errors[:1]


def _merge_group(merged: dict[tuple[str, str, str], _Group], key: tuple[str, str, str],
                 part: _Group) -> None:
    g = merged.get(key)
    if g is None:
        g = merged[key] = _Group(part.id, part.field, part.context, part.title, part.severity,
                                 part.mask_kind)
    g.severity = max(g.severity, part.severity)
    g.score = max(g.score, part.score)
    g.named = g.named or part.named
    g.rows.extend(part.rows)
    g.lines.extend(part.lines)
    g.count += part.count
    for value_hash, masked in part.examples:
        if len(g.examples) < EXAMPLES and value_hash not in g.values:
            g.examples.append((value_hash, masked))
    g.values |= part.values
