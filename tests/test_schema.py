"""The JSON output, validated against the schema in the repo, on real
bundles; and the shipped data files against their own schemas."""

from __future__ import annotations

import json
import zipfile
from importlib import resources

import pytest
from conftest import EXAMPLES, SAFETENSORS, make_bundle
from jsonschema import Draft202012Validator

from aiart_release.readers.yamlfile import load_yaml, schema, validate


def _validator():
    return Draft202012Validator(schema("assessment.schema.json"))


@pytest.fixture
def messy_bundle(tmp_path):
    """Findings of many kinds: aggregated lines, skipped files, a plugin
    failure, a scenario."""
    kra = tmp_path / "x.kra"
    with zipfile.ZipFile(kra, "w") as archive:
        archive.writestr("mimetype", "application/x-krita")
    bundle = make_bundle(tmp_path / "b", {
        "model/w.safetensors": SAFETENSORS,
        "model/README.md": "---\nlicense: [\n---\n# card\nTODO\n",
        "data/a.txt": "BOOM write to someone@postbox-mail.org\n",
        "data/b.txt": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        "data/c.txt": b"caf\xe9\n",
        "art/poster.kra": kra.read_bytes(),
        "aiart-release.yaml": "release: {model: open, dataset: gated}\ncommercial: true\n",
    })
    return bundle


@pytest.mark.parametrize("name", ["own-work", "unlicensed-unfilled"])
def test_example_output_validates(cli, name):
    report = cli("assess", EXAMPLES / name, "-f", "json").json()
    errors = list(_validator().iter_errors(report))
    assert errors == [], [e.message for e in errors]


def test_output_with_every_kind_of_finding_validates(cli, messy_bundle, monkeypatch):
    monkeypatch.setenv("AIART_RELEASE_PLUGINS",
                       "testplugins.echo_pii,testplugins.failing,testplugins.extras")
    report = cli("assess", messy_bundle, "-f", "json").json()
    ids = {f["id"] for f in report["findings"]}
    assert {"pii.test-email", "plugin.check-failed", "docs.card-metadata-invalid",
            "image.layered-source", "bundle.binary-content"} <= ids
    assert report["declared"]["release"] == {"model": "open", "dataset": "gated"}
    errors = list(_validator().iter_errors(report))
    assert errors == [], [e.message for e in errors]
    # The schema is strict enough to catch a broken document.
    report["findings"][0]["severity"] = "catastrophic"
    assert list(_validator().iter_errors(report))


def test_shipped_policy_validates_against_its_schema():
    text = resources.files("aiart_release.rules_data").joinpath("policy.yaml").read_text()
    validate(load_yaml(text, "policy.yaml"), "policy.schema.json")


def test_schemas_are_valid_json_schemas():
    for name in ("assessment", "config", "policy", "rules"):
        Draft202012Validator.check_schema(schema(f"{name}.schema.json"))
        json.dumps(schema(f"{name}.schema.json"))
