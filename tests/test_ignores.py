"""Inline ignores, config ignores and the personal-data allow-list: real
bundles through the command line. An accepted finding leaves the findings
for ``suppressed`` with its reason; an ignore without a reason, or naming an
id no check reports, suppresses nothing and is reported; allowed values are
never written anywhere."""

from __future__ import annotations

import json

import jsonschema
import pytest
from conftest import make_bundle

from aiart_release.ignores import is_reserved_email, parse_markers
from aiart_release.readers.yamlfile import schema

EMAIL = "maria.gonzalez@gmail.com"
OTHER = "joe.bloggs@gmail.com"


def _report(cli, root, *more):
    result = cli("assess", root, "--format", "json", *more)
    assert result.code in (0, 1), result.err
    report = result.json()
    jsonschema.validate(report, schema("assessment.schema.json"))
    return report


def _of(report, finding_id, key="findings"):
    return [f for f in report.get(key, []) if f["id"] == finding_id]


def test_an_inline_ignore_with_a_reason_on_the_line_above(cli, tmp_path):
    root = make_bundle(tmp_path / "b", {"README.md": (
        "# Prints\n\n"
        "<!-- aiart-release: ignore[pii.email-address] the studio's published contact -->\n"
        f"Write to {EMAIL} for prints.\n")})
    report = _report(cli, root)
    assert not _of(report, "pii.email-address")
    [accepted] = _of(report, "pii.email-address", "suppressed")
    assert accepted["suppression"] == {"kind": "inline",
                                       "justification": "the studio's published contact"}
    assert not _of(report, "bundle.ignore-invalid")
    assert EMAIL not in json.dumps(report)


def test_an_inline_ignore_on_the_same_line_in_code(cli, tmp_path):
    root = make_bundle(tmp_path / "b", {"train.py": (
        "import os\n\n"
        f"AUTHOR = '{EMAIL}'  # aiart-release: ignore[pii.*] the author's public address\n")})
    report = _report(cli, root)
    assert not _of(report, "pii.email-address")
    assert _of(report, "pii.email-address", "suppressed")[0]["suppression"]["kind"] == "inline"


def test_an_ignore_without_a_reason_or_with_an_unknown_id_is_reported(cli, tmp_path):
    root = make_bundle(tmp_path / "b", {"notes.md": (
        "# Notes\n\n"
        f"Write to {EMAIL} today. <!-- aiart-release: ignore[pii.email-address] -->\n\n"
        f"Or to {OTHER}. <!-- aiart-release: ignore[pii.emial-address] a typo -->\n")})
    report = _report(cli, root)
    assert _of(report, "pii.email-address")  # neither ignore suppresses it
    problems = _of(report, "bundle.ignore-invalid")
    assert {p["location"]["line"] for p in problems} == {3, 5}
    assert all(p["severity"] == "low" for p in problems)
    messages = " ".join(p["message"] for p in problems)
    assert "gives no reason" in messages and "`pii.emial-address`" in messages


def test_a_finding_on_several_lines_needs_an_ignore_on_each(cli, tmp_path):
    root = make_bundle(tmp_path / "b", {"notes.md": (
        "# Notes\n\n"
        f"Write to {EMAIL}. <!-- aiart-release: ignore[pii.email-address] our studio -->\n\n"
        f"Or to {OTHER}.\n")})
    assert _of(_report(cli, root), "pii.email-address")


CONFIG_IGNORE = """\
ignore:
  - id: "pii.*"
    path: "docs/**"
    reason: "the docs quote the maintainers' published contacts"
"""


def test_a_config_ignore_by_id_glob_and_path_glob(cli, tmp_path):
    root = make_bundle(tmp_path / "b", {
        "aiart-release.yaml": CONFIG_IGNORE,
        "docs/contact.md": f"# Contact\n\nWrite to {EMAIL}.\n",
        "notes.md": f"# Notes\n\nWrite to {OTHER}.\n",
    })
    report = _report(cli, root)
    assert [f["location"]["path"] for f in _of(report, "pii.email-address")] == ["notes.md"]
    [accepted] = _of(report, "pii.email-address", "suppressed")
    assert accepted["location"]["path"] == "docs/contact.md"
    assert accepted["suppression"]["kind"] == "config"
    assert "published contacts" in accepted["suppression"]["justification"]


@pytest.mark.parametrize("body, named", [
    ("ignore:\n  - id: 'pii.*'\n", "ignore[0].reason"),
    ("ignore:\n  - id: 'pii.*'\n    reason: ''\n", "ignore[0].reason"),
    ("ignore:\n  - path: '**'\n    reason: everything\n", "ignore[0]"),
    ("ignore:\n  - id: 'PII ANY'\n    reason: why\n", "ignore[0].id"),
    ("ignore: {id: x}\n", "ignore"),
    ("allow:\n  emails: ['not an address']\n", "allow.emails"),
    ("allow:\n  phones: ['+44 20 7946 0000']\n", "allow"),
])
def test_an_invalid_ignore_or_allow_in_the_config_is_one_line_exit_2(cli, tmp_path, body, named):
    root = make_bundle(tmp_path / "b", {"aiart-release.yaml": body,
                                        "notes.md": f"Write to {EMAIL}.\n"})
    result = cli("assess", root)
    assert result.code == 2
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and named in lines[0] and "aiart-release.yaml" in lines[0]
    assert "+44" not in result.err and "not an address" not in result.err


def test_the_allow_list_accepts_the_maintainers_contact_and_a_credited_name(cli, tmp_path):
    root = make_bundle(tmp_path / "b", {
        "aiart-release.yaml": f"allow:\n  emails: ['{EMAIL.upper()}']\n"
                              "  names: ['Maria Gonzalez']\n",
        "README.md": f"# Prints\n\nWrite to {EMAIL} for prints.\n",
        "CREDITS.md": "# Credits\n\nPhotographs by Maria Gonzalez.\n",
        "notes.md": f"# Notes\n\nOr to {OTHER}.\n",
    })
    for _ in range(2):  # the second run takes the cached results: judged the same
        report = _report(cli, root)
        kept = {f["location"]["path"] for f in _of(report, "pii.email-address")}
        assert kept == {"notes.md"}
        accepted = {(f["id"], f["location"]["path"]): f["suppression"]
                    for f in report.get("suppressed", [])}
        assert accepted[("pii.email-address", "README.md")]["kind"] == "allow-list"
        assert "allow.emails" in accepted[("pii.email-address", "README.md")]["justification"]
        text = json.dumps(report)
        assert EMAIL not in text and EMAIL.upper() not in text and "Gonzalez" not in text
        assert not _of(report, "pii.person-name")
    terminal = cli("assess", root).out
    assert EMAIL not in terminal and "Gonzalez" not in terminal


def test_the_allow_list_does_not_accept_a_finding_with_other_values_too(cli, tmp_path):
    root = make_bundle(tmp_path / "b", {
        "aiart-release.yaml": f"allow:\n  emails: ['{EMAIL}']\n",
        "README.md": f"# Prints\n\nWrite to {EMAIL} or {OTHER}.\n",
    })
    assert _of(_report(cli, root), "pii.email-address")


def test_markers_are_read_from_comments_of_any_language():
    [html] = parse_markers("x <!-- aiart-release: ignore[pii.email-address] published -->")
    assert html.ids == ("pii.email-address",) and html.reason == "published"
    [c] = parse_markers("/* aiart-release: ignore[pii.*, secret.api-key] test data */")
    assert c.ids == ("pii.*", "secret.api-key") and c.reason == "test data"
    [bare] = parse_markers("# aiart-release: ignore[pii.email-address]   ")
    assert bare.reason == "" and not bare.covers("pii.email-address")


@pytest.mark.parametrize("address, reserved", [
    ("jane@example.com", True), ("a@mail.example.org", True), ("x@example.net", True),
    ("bot@ci.test", True), ("a@b.example", True), ("a@host.invalid", True),
    ("root@localhost", True), ("a@foo.localhost", True),
    ("jane@example.co.uk", False), ("jane@myexample.com", False), ("jane@gmail.com", False),
])
def test_reserved_example_domains(address, reserved):
    assert is_reserved_email(address) is reserved


def test_an_ignore_far_down_a_large_file_is_found(cli, tmp_path):
    lines = [f"line {n} of the notes" for n in range(1, 200_001)]
    lines.append(f"Write to {EMAIL}. <!-- aiart-release: ignore[pii.email-address] ours -->")
    root = make_bundle(tmp_path / "b", {"notes.md": "\n".join(lines) + "\n"})
    report = _report(cli, root)
    assert not _of(report, "pii.email-address")
    assert _of(report, "pii.email-address", "suppressed")[0]["location"]["line"] == 200_001


@pytest.mark.parametrize("chunk", [1, 2, 5, 1 << 20])
def test_lines_are_read_across_chunk_boundaries(monkeypatch, chunk):
    import io

    from aiart_release import ignores

    monkeypatch.setattr(ignores, "_CHUNK", chunk)
    data = b"first\n\nthird line\nfourth\nlast, no newline"
    assert ignores._lines_of(io.BytesIO(data), [1, 3, 5, 9]) == {
        1: "first\n", 3: "third line\n", 5: "last, no newline"}
    assert ignores._lines_of(io.BytesIO(b"a\0b\nc\n"), [2]) == {}  # binary: not read


def test_a_binary_or_linked_file_is_not_read_for_ignores(tmp_path):
    from aiart_release.ignores import read_lines

    root = make_bundle(tmp_path / "b", {"bin.dat": b"x\0\n# aiart-release: ignore[pii.*] y\n"})
    outside = tmp_path / "outside.md"
    outside.write_text("# aiart-release: ignore[pii.*] not in the bundle\n")
    (root / "link.md").symlink_to(outside)
    assert read_lines(root, "bin.dat", {2}) == {}
    assert read_lines(root, "link.md", {1}) == {}


def test_a_config_ignore_accepts_what_the_walk_reports_too(cli, tmp_path):
    root = make_bundle(tmp_path / "b", {
        "aiart-release.yaml": "limits:\n  max_file_size: 100\nignore:\n  - id: 'bundle.*'\n"
                              "    path: 'weights/**'\n    reason: the model team checks them\n",
        "weights/big.bin": bytes(range(256)) * 20,
        "notes.md": "hello\n",
    })
    report = _report(cli, root)
    assert not [f for f in _of(report, "bundle.too-large")
                if f["location"]["path"].startswith("weights/")]
    [accepted] = _of(report, "bundle.too-large", "suppressed")
    assert accepted["location"]["path"] == "weights/big.bin"
    assert accepted["suppression"]["kind"] == "config"


def test_the_configured_contact_address_is_published_on_purpose(cli, tmp_path):
    root = make_bundle(tmp_path / "b", {
        "aiart-release.yaml": f"contact: {EMAIL}\n",
        "README.md": f"# Prints\n\nTo be removed from the dataset, write to {EMAIL}.\n",
        "notes.md": f"# Notes\n\nOr to {OTHER}.\n",
    })
    report = _report(cli, root)
    assert {f["location"]["path"] for f in _of(report, "pii.email-address")} == {"notes.md"}
    [accepted] = _of(report, "pii.email-address", "suppressed")
    assert accepted["suppression"]["justification"] == (
        "the configuration's contact, published for opt-out requests")


def test_markers_sharing_a_line_each_have_their_own_reason():
    one, two = parse_markers("x <!-- aiart-release: ignore[a.b] one --> "
                             "<!-- aiart-release: ignore[c.d] two -->")
    assert (one.ids, one.reason, two.ids, two.reason) == (("a.b",), "one", ("c.d",), "two")


def test_a_flood_of_bad_ignores_is_a_few_findings(cli, tmp_path):
    markers = " ".join(f"<!-- aiart-release: ignore[pii.x{k}] -->" for k in range(40))
    lines = [f"mail a.b{i}@gmail.com {markers}" for i in range(300)]
    root = make_bundle(tmp_path / "b", {"notes.md": "\n".join(lines) + "\n"})
    problems = _of(_report(cli, root), "bundle.ignore-invalid")
    assert 1 <= len(problems) <= 10
