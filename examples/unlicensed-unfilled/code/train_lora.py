"""Fine-tunes a small LoRA on the ink-wash studies in data/images.

Usage: python code/train_lora.py --data data/images --out model/ink-wash-lora.safetensors
"""

import argparse


def parse_args():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="data/images")
    parser.add_argument("--out", default="model/ink-wash-lora.safetensors")
    parser.add_argument("--rank", type=int, default=4)
    parser.add_argument("--steps", type=int, default=800)
    return parser.parse_args()


def main():
    args = parse_args()
    # The training loop lived in a notebook; see the model card.
    print(f"would train rank-{args.rank} LoRA on {args.data} for {args.steps} steps")


if __name__ == "__main__":
    main()
