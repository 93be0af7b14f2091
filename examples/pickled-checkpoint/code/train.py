"""Fine-tune the ink-sketch generator, resuming from a checkpoint.

Usage: python train.py --resume model/ink-sketch.ckpt --data data/images
"""

import argparse

import torch


def resume(path):
    # Loads whatever checkpoint it is given, with the full unpickler: a
    # checkpoint downloaded from someone else runs its code here.
    state = torch.load(path, map_location="cpu")
    return state["generator"], state.get("step", 0)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--resume", required=True)
    parser.add_argument("--data", required=True)
    args = parser.parse_args()
    generator, step = resume(args.resume)
    print(f"resumed at step {step}: {sum(p.numel() for p in generator.values())} weights")


if __name__ == "__main__":
    main()
