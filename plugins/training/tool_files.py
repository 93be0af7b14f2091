"""The files the training tools leave in a bundle, chosen by name, kind and
size alone: a LoRA's safetensors (kohya writes its settings in the header),
a Weights & Biases run's ``wandb-metadata.json``, a training config. The
check asks first whether there are any, and imports the readers
(:mod:`.declared`) only when there are.
"""

from __future__ import annotations

from typing import Any

# How many bytes of a training config or a run's file are read.
MAX_HINT_BYTES = 256 * 1024
CONFIG_NAMES = ("aiart-release.yaml", "aiart-release.yml", ".aiart-release.yaml")
CONFIG_SUFFIXES = (".toml", ".json", ".yaml", ".yml")


def tool_files(inventory: Any) -> tuple[list, list, list]:
    """The weights, the runs and the configs a training tool may have
    written, each in path order."""
    weights = [f for f in inventory.of_kind("model-weights")
               if f.suffix == ".safetensors" and f.readable and f.context is None]
    runs = [f for f in inventory.files if f.name == "wandb-metadata.json" and f.readable]
    # Training configs sit with the code or the model, not among the data's
    # per-item JSON files.
    configs = [f for f in inventory.files if f.suffix in CONFIG_SUFFIXES and f.readable
               and f.kind in ("config", "code", "text", "other") and f.context is None
               and f.artifact != "dataset" and f.size <= MAX_HINT_BYTES
               and f.name not in CONFIG_NAMES]
    return weights, runs, configs
