"""``export croissant`` and ``export cyclonedx``: the example bundles give
files that mlcroissant and cyclonedx-python-lib's JSON schema validator
accept; no raw personal data from the findings reaches either file; a bundle
with no dataset gets no Croissant file and exits 0."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from conftest import SAFETENSORS, make_bundle

from aiart_release import pipeline
from aiart_release.config import load_config
from aiart_release.engine import Options
from aiart_release.plugins import build_registry
from aiart_release.policy import load_policy
from aiart_release.report import NothingToExport, ReportOptions, bundle_files, croissant, cyclonedx

mlc = pytest.importorskip("mlcroissant")
cdx_validation = pytest.importorskip("cyclonedx.validation.json")
from cyclonedx.schema import SchemaVersion  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted(p.name for p in (ROOT / "examples").iterdir()
                  if (p / "aiart-release.yaml").is_file())


def assess(bundle: Path, show_pii: bool = False):
    return pipeline.assess(bundle, build_registry(), load_config(bundle), load_policy(),
                           Options(use_cache=False, show_pii=show_pii))


def croissant_problems(document: dict) -> list[str]:
    """mlcroissant's errors, and its warnings other than the recommended
    properties a bundle cannot know (publication date, version, citation)."""
    try:
        dataset = mlc.Dataset(jsonld=document)
    except mlc.ValidationError as exc:
        return [str(exc)]
    return sorted(w for w in dataset.metadata.ctx.issues.warnings
                  if "is recommended, but does not exist" not in w)


def cyclonedx_problems(text: str) -> list[str]:
    validator = cdx_validation.JsonStrictValidator(SchemaVersion.V1_6)
    return [str(e) for e in validator.validate_str(text, all_errors=True) or []]


@pytest.fixture(autouse=True)
def quiet_absl():
    logging.getLogger("absl").setLevel(logging.ERROR)


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_bundles_give_valid_croissant_and_cyclonedx(name):
    assessment = assess(ROOT / "examples" / name)
    document = croissant.croissant(assessment, ReportOptions())
    assert croissant_problems(document) == []
    assert document["conformsTo"] == croissant.CROISSANT
    decision = assessment.recommendation.artifacts["dataset"]
    assert f"Recommended release of the dataset: {decision.tier}." in document["rai:dataUseCases"]
    for key in ("rai:dataCollection", "rai:personalSensitiveInformation", "rai:dataBiases",
                "rai:dataLimitations", "rai:dataSocialImpact",
                "rai:dataReleaseMaintenancePlan"):
        assert document[key], key
    # Every file of the dataset is in the distribution: by itself with its
    # digest, or in a FileSet of its folder.
    objects = {d["contentUrl"]: d for d in document["distribution"]
               if d["@type"] == "cr:FileObject"}
    patterns = [d["includes"] for d in document["distribution"] if d["@type"] == "cr:FileSet"]
    for f in assessment.inventory.of_artifact("dataset"):
        if f.path in objects:
            assert len(objects[f.path]["sha256"]) == 64
        else:
            assert any(Path(f.path).match(p) for p in patterns), f.path

    text = cyclonedx.render(assessment, ReportOptions())
    assert cyclonedx_problems(text) == []
    bom = json.loads(text)
    assert bom["specVersion"] == "1.6"
    components = [bom["metadata"]["component"], *bom.get("components", [])]
    types = {c["type"] for c in components}
    assert "data" in types
    if "model" in assessment.inventory.artifacts_present():
        model = bom["metadata"]["component"]
        assert model["type"] == "machine-learning-model"
        assert {"ref": "dataset"} in model["modelCard"]["modelParameters"]["datasets"]
        tier = assessment.recommendation.artifacts["model"].tier
        assert f"Recommended release of the model: {tier}" in \
            model["modelCard"]["considerations"]["useCases"][0]
        weights = [f for f in assessment.inventory.of_artifact("model")
                   if f.kind == "model-weights"]
        assert len(model.get("components", [])) == len(weights)
        assert all(len(c["hashes"][0]["content"]) == 64 for c in model.get("components", []))


def test_portrait_sessions_says_what_the_assessment_found_about_people():
    assessment = assess(ROOT / "examples" / "portrait-sessions")
    document = croissant.croissant(assessment, ReportOptions())
    personal = "\n".join(document["rai:personalSensitiveInformation"])
    assert "sensitive.health [critical]" in personal and "pii.email-address" in personal
    assert "Special-category data" in personal
    assert document["rai:dataReleaseMaintenancePlan"].startswith("Raw data kept for P90D")
    fields = [f["name"] for rs in document["recordSet"] for f in rs["field"]]
    assert fields == ["file_name", "caption", "sitter", "notes"]
    bom = json.loads(cyclonedx.render(assessment, ReportOptions()))
    data = next(c for c in bom["components"] if c["bom-ref"] == "dataset")["data"][0]
    assert any(s.startswith("sensitive.health") for s in data["sensitiveData"])
    assert "special-category" in data["classification"]


PERSON = "Maria Gonzalez"
EMAIL = "maria.gonzalez@studio-example.org"
PHONE = "+44 20 7946 0958"


def personal_bundle(root: Path) -> Path:
    return make_bundle(root, {
        "aiart-release.yaml": "release: {dataset: open, model: open}\n",
        "model/README.md": "---\nlicense: mit\npipeline_tag: text-to-image\n---\n# Model\n",
        "model/model.safetensors": SAFETENSORS,
        "data/README.md": ("---\nlicense: cc-by-4.0\npretty_name: Studio sketches\n"
                           "creators:\n  - Mira Holt <mira.holt@studio-example.org>\n---\n"
                           "# Sketches\n\n```bibtex\n@misc{holt2026, author={Mira Holt and "
                           "mira.holt@studio-example.org}, title={Sketches}}\n```\n"),
        "data/captions.csv": ("file_name,caption,contact " + EMAIL + "\n"
                              f"a.png,portrait of {PERSON} call {PHONE},{EMAIL}\n"
                              f"b.png,write to {EMAIL},{PHONE}\n"),
        f"data/{PERSON.replace(' ', '_')}.png": b"\x89PNG\r\n\x1a\n" + b"\0" * 64,
        "code/requirements.txt": ("torch==2.3.1\ndiffusers>=0.27\n-r other.txt\n"
                                  "private @ git+https://user:ghp_abcdefghijklmnopqrstuvwxyz0123456789"
                                  "@github.com/x/y.git\n"),
        "code/train.py": "print('train')\n",
    })


def test_no_raw_personal_data_in_either_file_and_credits_keep_names(tmp_path):
    bundle = personal_bundle(tmp_path / "b")
    assessment = assess(bundle)
    document = croissant.croissant(assessment, ReportOptions())
    assert croissant_problems(document) == []
    bom_text = cyclonedx.render(assessment, ReportOptions())
    assert cyclonedx_problems(bom_text) == []
    for text in (json.dumps(document, ensure_ascii=False), bom_text):
        for raw in (EMAIL, PHONE, "mira.holt@studio-example.org", "ghp_abcdefghij",
                    "Gonzalez"):
            assert raw not in text, raw
    # A column named with an address, a file named after a person: masked.
    columns = [f["name"] for rs in document["recordSet"] for f in rs["field"]]
    assert columns[:2] == ["file_name", "caption"] and "*" in columns[2]
    # Creators are credits: the name in full, the address withheld.
    assert document["creator"] == [{"@type": "sc:Person", "name": "Mira Holt"}]
    assert "Mira Holt" in document["citeAs"]
    # Dependencies: names and pinned versions, never the URL of a requirement.
    bom = json.loads(bom_text)
    purls = sorted(c["purl"] for c in bom["components"] if c["type"] == "library")
    assert purls == ["pkg:pypi/diffusers", "pkg:pypi/private", "pkg:pypi/torch@2.3.1"]


def test_show_pii_shows_the_raw_paths_and_columns(tmp_path):
    bundle = personal_bundle(tmp_path / "b")
    document = croissant.croissant(assess(bundle, show_pii=True), ReportOptions(show_pii=True))
    assert f"contact {EMAIL}" in [f["name"] for rs in document["recordSet"] for f in rs["field"]]


def test_a_file_past_the_hashing_budget_is_listed_without_a_digest(tmp_path, monkeypatch):
    bundle = make_bundle(tmp_path / "b", {
        "data/README.md": "# Data\n",
        "data/small.csv": "a,b\n1,2\n",
        "data/big.csv": "a,b\n" + "1,2\n" * 5000,
    })
    monkeypatch.setattr(bundle_files, "HASH_BUDGET_BYTES", 1000)
    monkeypatch.setattr(bundle_files, "_digests", {})
    document = croissant.croissant(assess(bundle), ReportOptions())
    assert croissant_problems(document) == []
    objects = {d["name"] for d in document["distribution"] if d["@type"] == "cr:FileObject"}
    sets = {d["includes"] for d in document["distribution"] if d["@type"] == "cr:FileSet"}
    assert "data/big.csv" not in objects and "data/*.csv" in sets
    assert any("without a digest" in line for line in document["rai:dataLimitations"])


def test_each_file_is_hashed_once_for_both_exports(tmp_path, monkeypatch):
    bundle = make_bundle(tmp_path / "b", {
        "model/README.md": "# Model\n", "model/m.safetensors": SAFETENSORS,
        "data/t.csv": "a\n1\n",
    })
    monkeypatch.setattr(bundle_files, "_digests", {})
    hashed: list[str] = []
    real = bundle_files.file_sha256
    monkeypatch.setattr(bundle_files, "file_sha256", lambda p: hashed.append(str(p)) or real(p))
    assessment = assess(bundle)
    croissant.croissant(assessment, ReportOptions())
    cyclonedx.render(assessment, ReportOptions())
    cyclonedx.render(assessment, ReportOptions())
    assert sorted(Path(p).name for p in hashed) == ["m.safetensors", "t.csv"]


def test_a_bundle_without_a_dataset_gets_no_croissant_file_and_exits_0(tmp_path, cli):
    bundle = make_bundle(tmp_path / "b", {
        "model/README.md": "---\nlicense: mit\n---\n# Model\n",
        "model/model.safetensors": SAFETENSORS,
        "code/train.py": "print('train')\n",
    })
    with pytest.raises(NothingToExport):
        croissant.croissant(assess(bundle), ReportOptions())
    (tmp_path / "out").mkdir()
    target = tmp_path / "out" / "metadata.json"
    result = cli("export", "croissant", bundle, "--output", target)
    assert result.code == 0, result.err
    assert "no dataset" in result.err and not target.exists()
    # The ML-BOM still has the model and the code.
    bom_file = tmp_path / "out" / "bom.cdx.json"
    result = cli("export", "cyclonedx", bundle, "--output", bom_file)
    assert result.code == 0, result.err
    assert cyclonedx_problems(bom_file.read_text()) == []
    bom = json.loads(bom_file.read_text())
    assert bom["metadata"]["component"]["type"] == "machine-learning-model"
    assert "dataset" not in {c.get("bom-ref") for c in bom.get("components", [])}


def test_export_command_writes_both_files(tmp_path, cli):
    out = tmp_path / "out"
    out.mkdir()
    for kind, name in (("croissant", "metadata.json"), ("cyclonedx", "bom.cdx.json")):
        result = cli("export", kind, ROOT / "examples" / "nc-base-lora", "--output", out / name)
        assert result.code == 0, result.err
    assert croissant_problems(json.loads((out / "metadata.json").read_text())) == []
    assert cyclonedx_problems((out / "bom.cdx.json").read_text()) == []


def test_a_path_a_finding_showed_masked_is_masked_in_the_exports(tmp_path):
    """A name no masker knows, which a check found in a file name: the
    finding's masked path teaches the exports' gate which words to hide."""
    from dataclasses import replace

    raw = "data/Qwzyx_Vrbnk.csv"
    bundle = make_bundle(tmp_path / "b", {raw: "a\n1\n"})
    assessment = assess(bundle)

    def listed(a) -> str:
        return json.dumps(croissant.croissant(a, ReportOptions())["distribution"])

    assert raw in listed(assessment)
    finding = replace(assessment.findings[0], location=replace(
        assessment.findings[0].location, path="data/Q****_V****.csv"))
    taught = replace(assessment, findings=[finding, *assessment.findings[1:]])
    assert "Qwzyx" not in listed(taught) and "Vrbnk" not in listed(taught)
    assert "data/Q****_V****.csv" in listed(taught)


def test_artifact_narrows_both_exports(tmp_path, cli):
    (tmp_path / "out").mkdir()
    example = ROOT / "examples" / "nc-base-lora"
    target = tmp_path / "out" / "metadata.json"
    result = cli("export", "croissant", example, "--artifact", "model", "--output", target)
    assert result.code == 0 and "not among the artifacts" in result.err
    assert not target.exists()
    bom_file = tmp_path / "out" / "bom.cdx.json"
    result = cli("export", "cyclonedx", example, "--artifact", "model", "--output", bom_file)
    assert result.code == 0, result.err
    bom = json.loads(bom_file.read_text())
    assert cyclonedx_problems(bom_file.read_text()) == []
    refs = {c.get("bom-ref") for c in bom.get("components", [])}
    assert bom["metadata"]["component"]["bom-ref"] == "model"
    assert "dataset" not in refs and "code" not in refs


def test_a_creator_of_20_000_characters_is_cut_and_a_huge_citation_bounded(tmp_path):
    bundle = make_bundle(tmp_path / "b", {
        "data/README.md": ("---\ncreators:\n  - " + "Ann " * 5_000 + "\n"
                           "citation: '" + "x" * 50_000 + "'\n---\n# Data\n"),
        "data/t.csv": "a\n1\n",
    })
    document = croissant.croissant(assess(bundle), ReportOptions())
    assert croissant_problems(document) == []
    assert len(document["creator"][0]["name"]) <= bundle_files.MAX_NAME_CHARS
    assert len(document["citeAs"]) <= bundle_files.MAX_CITATION_CHARS
