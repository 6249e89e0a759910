"""Image I/O and presentation (CIFAR-10 / IDX loaders arrive with the image recipe)."""
