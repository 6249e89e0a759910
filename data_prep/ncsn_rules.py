"""Print NCSNv2's choices of noise ladder and Langevin settings for an image data set
(``diffmm.diffusion.ncsn_rules``: σ₁ from the largest pairwise distance, L from the data
dimension, the step size ε for T steps per level), as a ``diffusion:``/``eval:`` snippet.

python data_prep/ncsn_rules.py --data data/train.npz [--pad-to 32] [--sigma-min 0.01] [--steps-per-level 5]
"""

from __future__ import annotations

import argparse
import sys

from diffmm.diffusion.ncsn_rules import ncsnv2_rules
from diffmm.errors import run_entry_point
from diffmm.vision import ImageDataset, load_images, uint8_to_signed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", required=True, help="a data set diffmm.vision.load_images reads")
    parser.add_argument("--pad-to", type=int, default=None, help="as the recipe's data.pad_to")
    parser.add_argument("--sigma-min", type=float, default=0.01)
    parser.add_argument("--steps-per-level", type=int, default=5)
    parser.add_argument("--max-points", type=int, default=5000)
    args = parser.parse_args(argv)
    images = load_images(args.data, "train")
    # The model's own data space: [−1, 1], padded as the recipe pads.
    pixels = ImageDataset(images.images, pad_to=args.pad_to).images
    rules = ncsnv2_rules(
        uint8_to_signed(pixels),
        sigma_min=args.sigma_min,
        steps_per_level=args.steps_per_level,
        max_points=args.max_points,
    )
    print(rules.describe())
    print(
        f"\ndiffusion:\n  schedule: ve\n  sigma_min: {rules.sigma_min:g}\n"
        f"  sigma_max: {rules.sigma_max:.4g}\n  num_scales: {rules.num_scales}\n"
        f"eval:\n  sampler: annealed_langevin\n  sampler_options:\n"
        f"    steps_per_level: {rules.steps_per_level}\n    step_lr: {rules.step_lr:.3g}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(run_entry_point("data_prep/ncsn_rules.py", main))
