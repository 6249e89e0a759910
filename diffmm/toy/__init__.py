"""Two-dimensional toy distributions for the toy recipe, tests and demos."""

from diffmm.toy.data import TOY_DATASETS, make_toy_dataset

__all__ = ["TOY_DATASETS", "make_toy_dataset"]
