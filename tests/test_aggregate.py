"""One finding per id per file; identical content in two files once (issue 8, report)."""

from __future__ import annotations

from aiart_release.aggregate import aggregate
from aiart_release.findings import Finding, Location, Severity


def occ(id, path, severity="medium", field=None, rows=None, lines=None, count=1,
        evidence="J*** S****", fp=None, message="Person name", context="caption",
        content=None):
    return Finding(
        id=id, severity=Severity(severity), message=message,
        location=Location(path=path, field=field,
                          rows=tuple(rows) if rows and len(rows) > 1 else None,
                          row=rows[0] if rows and len(rows) == 1 else None,
                          lines=tuple(lines) if lines and len(lines) > 1 else None,
                          line=lines[0] if lines else None),
        count=count, evidence=evidence, context=context, content=content or "",
        fingerprint=fp or f"sha256:{id}{path}{field}{severity}",
    )


def test_one_finding_per_id_per_file():
    merged = aggregate([
        occ("pii.person-name", "data/a.csv", field="caption", rows=[1, 4], count=2),
        occ("pii.person-name", "data/a.csv", "high", field="credit", rows=[4, 9], count=2,
            evidence="M**** G*******", message="Person name in column `credit`"),
        occ("pii.email-address", "data/a.csv", field="credit", rows=[2]),
    ])
    assert [f.id for f in merged] == ["pii.person-name", "pii.email-address"]
    name = merged[0]
    assert name.severity is Severity.HIGH
    assert name.count == 4
    assert name.location.rows == (1, 4, 9)
    assert name.location.field is None
    assert name.message == "Person name in column `credit`; also in `caption`"
    assert name.evidence == "M**** G*******, J*** S****"
    # stable for the same parts, changed by a new one
    again = aggregate([
        occ("pii.person-name", "data/a.csv", field="caption", rows=[1, 4], count=2),
        occ("pii.person-name", "data/a.csv", "high", field="credit", rows=[4, 9], count=2,
            evidence="M**** G*******", message="Person name in column `credit`"),
    ])[0]
    assert again.fingerprint == name.fingerprint


def test_identical_content_in_two_files_is_one_finding_with_both_paths():
    merged = aggregate([
        occ("pii.email-address", "Dreambooth/blocks.py", lines=[12], context="string-literal",
            content="sha256:same"),
        occ("pii.email-address", "AUTOMATIC1111_files/blocks.py", lines=[12],
            context="string-literal", content="sha256:same"),
        # the same mask, other content: not merged
        occ("pii.email-address", "other.py", lines=[3], context="string-literal",
            content="sha256:other"),
    ])
    assert len(merged) == 2
    assert merged[0].location.path == "Dreambooth/blocks.py"
    assert merged[0].also == ("AUTOMATIC1111_files/blocks.py",)
    assert merged[0].to_dict()["also"] == ["AUTOMATIC1111_files/blocks.py"]


def test_findings_without_counts_or_evidence_are_left_alone():
    licences = [
        Finding(id="license.detected", severity=Severity.INFO, message="MIT",
                location=Location("LICENSE"), fingerprint="sha256:1"),
        Finding(id="license.detected", severity=Severity.INFO, message="CC-BY-NC-4.0",
                location=Location("LICENSE"), fingerprint="sha256:2"),
    ]
    assert aggregate(licences) == licences


def test_fixture_findings_are_one_per_id_per_test_folder():
    merged = aggregate([
        occ("pii.person-name", "test/results/a.py", "low", lines=[3], context="fixture",
            fp="sha256:1"),
        occ("pii.person-name", "test/results/b.py", "low", lines=[9], context="fixture",
            fp="sha256:2"),
        occ("pii.phone-number", "test/results/b.py", "low", lines=[4], context="fixture",
            fp="sha256:3"),
        occ("pii.person-name", "src/a.py", "low", lines=[1], context="code-comment",
            fp="sha256:4"),
    ])
    names = [f for f in merged if f.id == "pii.person-name"]
    assert len(names) == 2
    fixture = next(f for f in names if f.context == "fixture")
    assert fixture.location.path == "test/"
    assert fixture.also == ("test/results/a.py", "test/results/b.py")
    assert fixture.count == 2
    assert "2 files in test/" in fixture.message
    assert [f.location.path for f in merged if f.id == "pii.phone-number"] == \
        ["test/results/b.py"]


def test_low_findings_in_code_are_one_per_id_and_artifact():
    from dataclasses import replace

    def code(path, severity="low", context="code-comment", fp=None):
        return replace(occ("pii.person-name", path, severity, lines=[1], context=context,
                           fp=fp or f"sha256:{path}"), artifact="code")

    merged = aggregate([
        code("pkg/extractor/a.py"), code("pkg/extractor/b.py", context="string-literal"),
        code("pkg/__init__.py"),
        code("pkg/setup.py", severity="medium"),  # not low: kept on its own
        replace(occ("pii.person-name", "README.md", "low", lines=[3], context="prose",
                    fp="sha256:r"), artifact="docs"),
    ])
    assert len(merged) == 3
    low = next(f for f in merged if f.location.path == "pkg/")
    assert low.also == ("pkg/__init__.py", "pkg/extractor/a.py", "pkg/extractor/b.py")
    assert low.count == 3
    assert low.message.startswith("In 3 files of the code")
    assert {f.location.path for f in merged} == {"pkg/", "pkg/setup.py", "README.md"}


def test_an_apps_credentials_in_its_code_are_one_per_id_and_a_persons_token_stays_apart():
    from dataclasses import replace

    def secret(finding_id, path, severity, line, context="string-literal"):
        return replace(Finding(
            id=finding_id, severity=Severity(severity), message="API key or client secret",
            location=Location(path=path, line=line), context=context, evidence="a3f4********",
            fingerprint=f"sha256:{finding_id}{path}{line}"), artifact="code")

    merged = aggregate([
        secret("secret.api-key", "app/extractor/tumblr.py", "medium", 389),
        secret("secret.api-key", "app/extractor/tumblr.py", "medium", 390),
        secret("secret.api-key", "app/extractor/pixiv.py", "medium", 1135),
        secret("secret.cloud-key", "app/extractor/tenor.py", "medium", 69),
        secret("secret.api-key", "app/upload.py", "critical", 3),  # someone's own key
        secret("secret.api-key", "tests/test_upload.py", "medium", 5, context="fixture"),
    ])
    keys = [f for f in merged if f.id == "secret.api-key" and f.severity.value == "medium"
            and f.context != "fixture"]
    assert len(keys) == 1 and keys[0].location.path == "app/extractor/"
    assert keys[0].also == ("app/extractor/pixiv.py", "app/extractor/tumblr.py")
    assert keys[0].count == 3 and keys[0].message.startswith("In 2 files of the code")
    assert [(f.id, f.location.path) for f in merged if f.severity.value == "critical"] == [
        ("secret.api-key", "app/upload.py")]
    assert sum(f.id == "secret.cloud-key" for f in merged) == 1
    assert len(merged) == 4
