"""Trains the watercolor LoRA on data/images with a FLUX.1 [dev] base."""

from vendor.colorutil.palette import quantize  # noqa: F401

BASE_MODEL = "black-forest-labs/FLUX.1-dev"
RANK = 16
STEPS = 1200
