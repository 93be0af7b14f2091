"""Training resources (issue 14, item 1): the estimate from the `training:`
section, the card's co2_eq_emissions, the training tools' files; findings,
facts, the `training` command, bad input, and the example bundle."""

from __future__ import annotations

import json
import struct
from importlib import metadata

import pytest
import yaml
from conftest import EXAMPLES, make_bundle

MODULE = "aiart_release.default_plugins.training"
CARD = "---\nlicense: mit\ntags: [lora]\n{extra}---\n\n# A watercolour LoRA\n"


@pytest.fixture(autouse=True)
def training_plugin(monkeypatch, isolated_env):
    """Until pyproject registers the plugin, load it by module name."""
    registered = any(ep.name == "training"
                     for ep in metadata.entry_points(group="aiart_release"))
    if not registered:
        monkeypatch.setenv("AIART_RELEASE_PLUGINS", MODULE)


def _bundle(tmp_path, training: str | None = None, card_extra: str = "",
            more: dict | None = None):
    files = {"model/README.md": CARD.format(extra=card_extra)}
    if training is not None:
        files["aiart-release.yaml"] = "release: open\ntraining:\n" + training
    files.update(more or {})
    return make_bundle(tmp_path / "bundle", files)


def _training(cli, bundle) -> tuple[int, list[dict]]:
    result = cli("assess", bundle, "-f", "json", "--no-cache")
    assert result.code in (0, 1), result.err
    assert "Traceback" not in result.err
    found = [f for f in result.json()["findings"] if f["id"].startswith("training.")]
    return result.code, found


def _by_id(found: list[dict]) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for f in found:
        assert f["id"] not in out, f"{f['id']} twice"
        out[f["id"]] = f
    return out


def _facts(bundle):
    from aiart_release import pipeline
    from aiart_release.config import load_config
    from aiart_release.engine import Options
    from aiart_release.plugins import build_registry
    from aiart_release.policy import load_policy

    assessment = pipeline.assess(bundle, build_registry(), load_config(bundle), load_policy(),
                                 Options(use_cache=False))
    return assessment.facts.values


# --- the estimate ---------------------------------------------------------------

LOCAL = "  hardware: RTX 4090\n  count: 1\n  hours: 6\n  country: France\n"
FINE_TUNED = LOCAL + "  base_model: stable-diffusion-v1-5/stable-diffusion-v1-5\n"


def test_a_declared_local_run_gets_the_calculators_figure_with_a_range(cli, tmp_path):
    # 450 W x 6 h x PUE 1.0 = 2.7 kWh; x 105 g/kWh (France) = 283.5 g. The
    # range: half the power and PUE 1.0 (141.75 g) to full power and PUE 1.6
    # (453.6 g).
    bundle = _bundle(tmp_path, FINE_TUNED)
    _, found = _training(cli, bundle)
    by_id = _by_id(found)
    estimate = by_id["training.emissions-estimate"]
    assert estimate["severity"] == "info" and estimate["checkpoint"] == "training-resources"
    assert estimate["location"]["path"] == "aiart-release.yaml"
    message = estimate["message"]
    assert "about 284 g CO2e (range 142 g–454 g)" in message
    assert "1 × RTX 4090 (450 W) for 6 h in France (105 gCO2e/kWh)" in message
    assert "2.7 kWh" in message and "car about 1.14 km" in message
    assert "five cars" in message
    # The card says nothing: low, since an estimate could be made.
    undeclared = by_id["training.emissions-undeclared"]
    assert undeclared["severity"] == "low" and "284 g" in undeclared["message"]
    assert "training.from-scratch" not in by_id  # a base model is declared
    facts = _facts(bundle)
    assert facts["training_emissions_kg"] == pytest.approx(0.2835)
    assert facts["training_energy_kwh"] == pytest.approx(2.7)
    assert facts["trained_from_scratch"] is False
    assert facts["training_emissions_stated"] is False


def test_a_cloud_instance_gives_its_gpus_and_an_ambiguous_name_widens_the_range(cli, tmp_path):
    # p3.8xlarge: four V100s (250 or 300 W, three rows); eu-west-3 is Paris
    # at 105 g/kWh; no PUE in the table for it: cloud 1.1 (1.1-1.6).
    bundle = _bundle(tmp_path, "  provider: aws\n  region: eu-west-3\n  instance: p3.8xlarge\n"
                               "  hours: 10\n")
    _, found = _training(cli, bundle)
    message = _by_id(found)["training.emissions-estimate"]["message"]
    assert "4 × Tesla V100-PCIE-16GB or Tesla V100-SXM2-16GB or Tesla V100-SXM2-32GB " \
           "(250–300 W)" in message
    assert "Amazon Web Services eu-west-3 (Paris, France)" in message
    # central: mean power 283.3 W x 4 x 10 h x 1.1 = 12.47 kWh -> 1.31 kg
    # low: 250 x 0.5 x 4 x 10 x 1.1 x 105 = 0.578 kg; high: 300 x 4 x 10 x 1.6 x 105 = 2.02 kg
    assert "about 1.31 kg CO2e (range 578 g–2.02 kg)" in message
    # Two such instances: eight GPUs.
    two = _bundle(tmp_path / "two", "  provider: aws\n  region: eu-west-3\n"
                                    "  instance: p3.8xlarge\n  count: 2\n  hours: 10\n")
    assert "8 × Tesla V100" in _by_id(_training(cli, two)[1])["training.emissions-estimate"][
        "message"]


def test_the_card_statement_is_compared_with_the_estimate(cli, tmp_path):
    block = ("co2_eq_emissions:\n  emissions: {}\n  source: ours\n"
             "  training_type: fine-tuning\n")
    # Stated in kilograms where the Hub asks for grams: 300x too little.
    bundle = _bundle(tmp_path, LOCAL, block.format(0.9))
    _, found = _training(cli, bundle)
    by_id = _by_id(found)
    mismatch = by_id["training.emissions-mismatch"]
    assert mismatch["severity"] == "medium"
    assert mismatch["location"] == {"path": "model/README.md", "line": 4,
                                    "field": "co2_eq_emissions"}
    assert "states 0.9 g CO2e, 315× less than the estimate of 284 g" in mismatch["message"]
    assert "training.emissions-undeclared" not in by_id
    assert _facts(bundle)["training_emissions_stated"] is True

    # Within 3x either way (284 g / 3 = 94.5 g ... 850.5 g): no finding.
    for grams in (100, 800):
        agreeing = _bundle(tmp_path / str(grams), LOCAL, block.format(grams))
        assert "training.emissions-mismatch" not in _by_id(_training(cli, agreeing)[1])
    # A plain number is the Hub's short form, in grams.
    plain = _bundle(tmp_path / "plain", LOCAL, "co2_eq_emissions: 9000\n")
    assert "31.7× more" in _by_id(_training(cli, plain)[1])["training.emissions-mismatch"][
        "message"]


def test_nothing_stated_is_low_and_names_what_is_missing(cli, tmp_path):
    bundle = _bundle(tmp_path)  # a model card, no training section, no card figure
    _, found = _training(cli, bundle)
    by_id = _by_id(found)
    undeclared = by_id["training.emissions-undeclared"]
    assert undeclared["severity"] == "low"  # a documentation gap, never a hold-back
    assert undeclared["location"] == {"path": "model/README.md"}  # where it belongs
    assert "hardware and hours not stated" in undeclared["message"]
    assert "training.emissions-estimate" not in by_id
    # Nobody named a base model: the field guide's transfer-learning question.
    scratch = by_id["training.from-scratch"]
    assert scratch["severity"] == "info" and scratch["confidence"] == 0.5


def test_from_scratch_declared_asks_the_transfer_learning_question(cli, tmp_path):
    bundle = _bundle(tmp_path, LOCAL + "  from_scratch: true\n")
    _, found = _training(cli, bundle)
    scratch = _by_id(found)["training.from-scratch"]
    assert scratch["confidence"] == 1.0
    assert scratch["location"]["field"] == "training.from_scratch"
    assert "fine-tuning a pre-trained model" in scratch["message"]
    assert _facts(bundle)["trained_from_scratch"] is True


def test_a_card_that_says_pre_training_is_from_scratch(cli, tmp_path):
    bundle = _bundle(tmp_path, LOCAL, "co2_eq_emissions:\n  emissions: 300\n"
                                      "  training_type: pre-training\n")
    scratch = _by_id(_training(cli, bundle)[1])["training.from-scratch"]
    assert scratch["confidence"] == 1.0 and scratch["context"] == "metadata"
    assert scratch["location"]["field"] == "co2_eq_emissions.training_type"


def test_a_base_model_in_the_card_answers_the_from_scratch_question(cli, tmp_path):
    bundle = _bundle(tmp_path, LOCAL, "base_model: runwayml/stable-diffusion-v1-5\n")
    assert "training.from-scratch" not in _by_id(_training(cli, bundle)[1])


def test_a_bundle_without_a_model_has_no_training_findings(cli, tmp_path):
    bundle = make_bundle(tmp_path / "b", {"data/captions.csv": "file,caption\na.png,a lake\n"})
    assert _training(cli, bundle)[1] == []


# --- what the training tools left ---------------------------------------------------

def _safetensors(metadata: dict) -> bytes:
    header = json.dumps({"__metadata__": metadata}).encode()
    return struct.pack("<Q", len(header)) + header


def test_kohya_metadata_and_a_wandb_run_fill_what_was_not_declared(cli, tmp_path):
    bundle = _bundle(tmp_path, "  country: Sweden\n", more={
        # kohya writes its start and end times (Unix seconds) and the base model.
        "model/lora.safetensors": _safetensors({
            "ss_training_started_at": "1700000000.0", "ss_training_finished_at": "1700007200.5",
            "ss_sd_model_name": "v1-5-pruned-emaonly.safetensors", "ss_max_train_steps": "1600"}),
        "logs/wandb/run-1/files/wandb-metadata.json": json.dumps(
            {"gpu": "NVIDIA GeForce RTX 3090", "gpu_count": 2}),
    })
    _, found = _training(cli, bundle)
    by_id = _by_id(found)
    message = by_id["training.emissions-estimate"]["message"]
    # 2 x 350 W x 2 h x 47 g/kWh (Sweden) = 65.8 g
    assert "2 × RTX 3090 (350 W) for 2 h in Sweden" in message and "about 65.8 g" in message
    assert "training.from-scratch" not in by_id  # kohya names the base checkpoint


def test_accelerate_and_wandb_configs_give_the_count_and_the_base_model(cli, tmp_path):
    bundle = _bundle(tmp_path, "  hardware: A10G\n  hours: 1\n  country: Norway\n", more={
        "code/accelerate/default_config.yaml": ("compute_environment: LOCAL_MACHINE\n"
                                                "distributed_type: MULTI_GPU\nnum_processes: 4\n"),
        "code/wandb/run-1/files/config.yaml": (
            "pretrained_model_name_or_path:\n  desc: null\n"
            "  value: stabilityai/stable-diffusion-xl-base-1.0\n"
            "max_train_steps:\n  desc: null\n  value: 500\n"),
    })
    by_id = _by_id(_training(cli, bundle)[1])
    assert "4 × A10G (150 W) for 1 h in Norway" in by_id["training.emissions-estimate"]["message"]
    assert "training.from-scratch" not in by_id


def test_declared_values_win_over_the_tools_files(cli, tmp_path):
    bundle = _bundle(tmp_path, LOCAL, more={
        "model/lora.safetensors": _safetensors({"ss_training_started_at": "0",
                                                "ss_training_finished_at": "36000"})})
    message = _by_id(_training(cli, bundle)[1])["training.emissions-estimate"]["message"]
    assert "for 6 h" in message  # not kohya's 10 h


def test_hostile_tool_files_are_skipped_not_fatal(cli, tmp_path):
    deep = "[" * 50_000 + "]" * 50_000
    bundle = _bundle(tmp_path, LOCAL, more={
        "logs/wandb/run-1/files/wandb-metadata.json": deep,
        "logs/wandb/run-1/files/wandb-summary.json": '{"_runtime": -5}',
        "code/train.toml": "a = " + "[" * 5000 + "]" * 5000 + "\n",
        "model/bad.safetensors": struct.pack("<Q", 2**40) + b"{}",
        "model/weird.safetensors": _safetensors({"ss_training_started_at": "nan",
                                                 "ss_training_finished_at": "inf"}),
    })
    message = _by_id(_training(cli, bundle)[1])["training.emissions-estimate"]["message"]
    assert "for 6 h" in message


# --- bad input ----------------------------------------------------------------------

BAD = [
    ("  hardware: RTX 4090\n  hours: -5\n  country: France\n", "training.declaration-invalid",
     "training.hours", 4, "hours must be more than 0"),
    ("  hardware: RTX 4090\n  count: 1000000\n  hours: 5\n  country: France\n",
     "training.declaration-invalid", "training.count", 4, "is 1,000,000"),
    ("  hardware: RTX 4090\n  hours: six\n  country: France\n", "training.declaration-invalid",
     "training.hours", 4, "must be a number of hours"),
    ("  hardware: Quantum Toaster 9000\n  hours: 5\n  country: France\n",
     "training.unknown-hardware", "training.hardware", 3, "not in the hardware table"),
    ("  hardware: RTX 4090\n  hours: 5\n  country: Atlantis\n", "training.unknown-region",
     "training.country", 5, "not a country or electricity zone"),
    ("  hardware: RTX 4090\n  hours: 5\n  provider: aws\n  region: mars-north-1\n",
     "training.unknown-region", "training.region", 6, "not a aws region"),
    ("  hardware: RTX 4090\n  hours: 5\n  provider: hetzner\n  region: fsn1\n",
     "training.unknown-region", "training.provider", 5, "not a cloud provider"),
    ("  hardware: RTX 4090\n  hourz: 5\n  country: France\n", "training.declaration-invalid",
     "training.hourz", 4, "not a field of the training section"),
    ("  hardware: RTX 4090\n  hours: 5\n  count: true\n  country: France\n",
     "training.declaration-invalid", "training.count", 5, "whole number"),
    ("  hardware: RTX 4090\n  hours: 5\n  pue: 40\n  country: France\n",
     "training.declaration-invalid", "training.pue", 5, "from 1.0 to 3.0"),
    ("  hardware: RTX 4090\n  hours: .inf\n  country: France\n", "training.declaration-invalid",
     "training.hours", 4, "must be a number of hours"),
]


@pytest.mark.parametrize("training, finding_id, field, line, words", BAD,
                         ids=[b[2] + ":" + b[4][:12] for b in BAD])
def test_bad_input_names_the_field_and_file_and_no_estimate_is_made(
        cli, tmp_path, training, finding_id, field, line, words):
    bundle = _bundle(tmp_path, training)
    _, found = _training(cli, bundle)
    by_id = _by_id(found)
    problem = by_id[finding_id]
    assert problem["location"] == {"path": "aiart-release.yaml", "line": line, "field": field}
    assert field in problem["message"] and words in problem["message"]
    assert problem["message"].endswith("the estimate is unavailable")
    assert problem["remediation"]
    assert "training.emissions-estimate" not in by_id
    assert "a declared value cannot be used" in by_id["training.emissions-undeclared"]["message"]
    assert "training_emissions_kg" not in _facts(bundle)


def test_a_training_section_that_is_not_a_mapping_is_a_usage_error(cli, tmp_path):
    bundle = make_bundle(tmp_path / "b", {"aiart-release.yaml": "training: [1, 2]\n",
                                          "model/README.md": CARD.format(extra="")})
    result = cli("assess", bundle)
    assert result.code == 2 and "aiart-release.yaml:1" in result.err
    assert len(result.err.strip().splitlines()) == 1 and "Traceback" not in result.err


def test_an_unusable_card_figure_is_reported_and_the_estimate_still_made(cli, tmp_path):
    bundle = _bundle(tmp_path, LOCAL, "co2_eq_emissions:\n  emissions: lots\n"
                                      "  geographical_location: Atlantis\n")
    by_id = _by_id(_training(cli, bundle)[1])
    problem = by_id["training.declaration-invalid"]
    assert problem["location"]["path"] == "model/README.md"
    assert problem["location"]["field"] == "co2_eq_emissions.emissions"
    assert problem["context"] == "metadata"
    assert "training.emissions-estimate" in by_id  # the training section still answers


def test_the_card_alone_can_give_hardware_and_place(cli, tmp_path):
    # No hours anywhere: hardware and place from the card are not enough.
    card = ("co2_eq_emissions:\n  emissions: 500\n  hardware_used: 8 A100 GPUs\n"
            "  geographical_location: Montreal, Canada\n")
    bundle = _bundle(tmp_path, "  hours: 2\n", card)
    message = _by_id(_training(cli, bundle)[1])["training.emissions-estimate"]["message"]
    assert "8 × A100 PCIe 40/80GB or A100 SXM4 80 GB (250–400 W)" in message
    assert "in Canada (53 gCO2e/kWh, 20–524)" in message


# --- the command ------------------------------------------------------------------

def test_the_training_command_prints_a_block_to_paste(cli, tmp_path):
    bundle = _bundle(tmp_path, FINE_TUNED)
    result = cli("training", bundle)
    assert result.code == 0, result.err
    assert "about 284 g CO2e (range 142 g–454 g)" in result.out
    block = result.out[result.out.index("co2_eq_emissions:"):]
    parsed = yaml.safe_load(block)["co2_eq_emissions"]
    assert parsed["emissions"] == 283.5  # grams, as the Hub's field is
    assert parsed["training_type"] == "fine-tuning"
    assert parsed["geographical_location"] == "France"
    assert parsed["hardware_used"] == "1 x RTX 4090, 6 h"
    # Pasted into the card, the check agrees with it.
    card = bundle / "model" / "README.md"
    card.write_text(CARD.format(extra=block), encoding="utf-8")
    by_id = _by_id(_training(cli, bundle)[1])
    assert "training.emissions-mismatch" not in by_id
    assert "training.emissions-undeclared" not in by_id


def test_the_training_command_without_an_estimate_is_one_line_exit_2(cli, tmp_path):
    bundle = _bundle(tmp_path, "  hardware: RTX 4090\n  hours: -1\n  country: France\n")
    result = cli("training", bundle)
    assert result.code == 2
    assert "training.hours" in result.err and "aiart-release.yaml" in result.err
    assert len(result.err.strip().splitlines()) == 1 and "Traceback" not in result.err
    assert "problem: aiart-release.yaml:4" in result.out  # every problem, listed

    nothing = _bundle(tmp_path / "n")
    result = cli("training", nothing)
    assert result.code == 2 and "hardware and hours not stated" in result.err


def test_the_training_command_lists_its_tables(cli):
    hardware = cli("training", "--list", "hardware")
    assert hardware.code == 0 and "RTX 4090\tgpu\t450 W" in hardware.out
    places = cli("training", "--list", "places")
    assert "aws\teu-west-3\tFrance\t105 gCO2e/kWh" in places.out
    assert "zone\tUS-CAL-CISO" in places.out


# --- the data ---------------------------------------------------------------------

def test_the_shipped_tables_carry_their_credit_and_every_row_its_source():
    from aiart_release.default_plugins.training import tables

    data = tables.data()
    assert "Lacoste" in data["credit"] and data["license"] == "MIT"
    assert "Permission is hereby granted" in data["license_text"]
    for row in data["gpus"] + data["regions"] + data["instances"]:
        assert row["source"], row
    assert all(r["tdp_watts"] > 0 for r in data["gpus"] if r["tdp_watts"] is not None)


@pytest.mark.parametrize("name, expected", [
    ("RTX 4090", ["RTX 4090"]),
    ("NVIDIA GeForce RTX 3090", ["RTX 3090"]),
    ("RTX 3080", ["RTX 3080"]),
    ("RTX 3080 Ti", ["RTX 3080 TI"]),
    ("NVIDIA H100 80GB HBM3", ["H100 SXM", "H100 NVL"]),
    ("TPU v3", ["TPUv3 Chip"]),
    ("A10", ["A10"]),
    ("potato", []),
    ("4", []),
])
def test_hardware_names_as_people_write_them(name, expected):
    from aiart_release.default_plugins.training import tables

    assert [h.name for h in tables.hardware(name)] == expected


# --- the example bundle -------------------------------------------------------------

def test_the_fine_tune_example(cli):
    bundle = EXAMPLES / "fine-tune-declared"
    result = cli("assess", bundle, "-f", "json", "--no-cache")
    assert result.code == 1  # declared open; the model and the dataset are not
    report = result.json()
    training = _by_id([f for f in report["findings"] if f["id"].startswith("training.")])
    assert set(training) == {"training.emissions-estimate", "training.emissions-mismatch"}
    # 450 W x 3.5 h x 615 g/kWh (Germany) = 968.6 g; the card says 0.97 "g"
    # (its author wrote kilograms).
    assert "about 969 g CO2e (range 484 g–1.55 kg)" in training[
        "training.emissions-estimate"]["message"]
    mismatch = training["training.emissions-mismatch"]
    assert mismatch["severity"] == "medium" and mismatch["location"]["path"] == "model/README.md"
    assert "999× less" in mismatch["message"]
    tiers = {name: a["tier"] for name, a in report["recommendation"]["artifacts"].items()}
    assert tiers == {"model": "gated", "code": "open", "dataset": "gated"}
    # The command prints the block the card should have had.
    printed = cli("training", bundle)
    assert printed.code == 0
    assert "The card states 0.97 g CO2e, 999× less than the estimate" in printed.out
    block = yaml.safe_load(printed.out[printed.out.index("co2_eq_emissions:"):])
    assert block["co2_eq_emissions"]["emissions"] == 968.6
    assert block["co2_eq_emissions"]["geographical_location"] == "Germany"


def test_pyproject_table_is_read_the_same_way(cli, tmp_path):
    bundle = make_bundle(tmp_path / "b", {
        "pyproject.toml": ('[project]\nname = "lora"\nversion = "1"\n\n'
                           '[tool.aiart-release.training]\nhardware = "T4"\nhours = -2\n'
                           'country = "France"\n'),
        "model/README.md": CARD.format(extra=""),
    })
    problem = _by_id(_training(cli, bundle)[1])["training.declaration-invalid"]
    assert problem["location"]["path"] == "pyproject.toml"
    assert problem["location"]["field"] == "training.hours"


def test_text_from_the_bundle_is_masked_in_findings_and_in_the_command(cli, tmp_path):
    bundle = _bundle(tmp_path, "  hardware: ask jane.doe@postbox-mail.org\n  hours: 2\n"
                               "  country: France\n")
    problem = _by_id(_training(cli, bundle)[1])["training.unknown-hardware"]
    assert "jane.doe@postbox-mail.org" not in json.dumps(problem)
    assert "training.hardware" in problem["message"]
    result = cli("training", bundle)
    assert result.code == 2
    assert "jane.doe@postbox-mail.org" not in result.out + result.err
