"""ShapeNet point-cloud layouts: PointFlow's ShapeNetCore.v2.PC15k and Luo & Hu's h5 file.

- PC15k (Yang et al. 2019): ``<root>/<synset id>/<split>/<model id>.npy``, each (15000, 3);
  splits ``train``, ``val``, ``test``.
- h5 (Luo & Hu 2021, ``shapenet.hdf5``): ``f[<synset id>][<split>]`` → (M, 2048, 3) float32.

Categories are given by name (``airplane``) or synset id (``02691156``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from diffmm.errors import DiffmmError

# The synsets the papers report on (ShapeNetCore.v2 taxonomy).
SYNSETS = {
    "airplane": "02691156",
    "bench": "02828884",
    "car": "02958343",
    "chair": "03001627",
    "lamp": "03636649",
    "rifle": "04090263",
    "sofa": "04256520",
    "table": "04379243",
    "vessel": "04530566",
}
SPLITS = ("train", "val", "test")


def synset_id(category: str) -> str:
    """The synset id of a category name, or the id itself."""
    if category in SYNSETS:
        return SYNSETS[category]
    if category.isdigit() and len(category) == 8:
        return category
    raise DiffmmError(
        f"unknown ShapeNet category {category!r}: give a synset id or one of {', '.join(SYNSETS)}"
    )


def _check_split(split: str) -> None:
    if split not in SPLITS:
        raise DiffmmError(f"unknown split {split!r}; known: {', '.join(SPLITS)}")


def is_pc15k(root: Path) -> bool:
    """Whether ``root`` looks like PC15k: synset-id folders holding split folders."""
    return root.is_dir() and any(
        d.is_dir() and d.name.isdigit() and any((d / s).is_dir() for s in SPLITS)
        for d in root.iterdir()
    )


def read_pc15k(
    root: str | Path,
    categories: list[str],
    split: str,
    num_points: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """(M, num_points, 3): a random subset of each model's 15k points, models sorted by id."""
    _check_split(split)
    root = Path(root)
    clouds = []
    for category in categories:
        folder = root / synset_id(category) / split
        files = sorted(folder.glob("*.npy"))
        if not files:
            raise DiffmmError(f"no PC15k clouds in {folder}")
        for file in files:
            points = np.load(file, allow_pickle=False)
            if points.ndim != 2 or points.shape[1] != 3 or len(points) < num_points:
                raise DiffmmError(f"{file}: expected (≥{num_points}, 3) points, got {points.shape}")
            clouds.append(points[rng.choice(len(points), num_points, replace=False)])
    return np.stack(clouds).astype(np.float32)


def import_h5py():
    try:
        import h5py
    except ImportError:
        raise DiffmmError(
            "reading h5 point sets needs h5py: pip install 'diffmm[pointcloud]'"
        ) from None
    return h5py


def read_h5(path: str | Path, categories: list[str], split: str) -> np.ndarray:
    """(M, N, 3): the clouds of ``categories`` in ``split``, concatenated in the given order."""
    _check_split(split)
    h5py = import_h5py()
    clouds = []
    try:
        with h5py.File(path, "r") as file:
            for category in categories:
                key = synset_id(category)
                if key not in file or split not in file[key]:
                    raise DiffmmError(f"{path} has no group {key}/{split}")
                clouds.append(np.asarray(file[key][split], np.float32))
    except OSError as err:
        raise DiffmmError(f"cannot read h5 file {path}: {err}") from err
    return np.concatenate(clouds)


def write_h5(path: str | Path, sets: dict[str, dict[str, np.ndarray]]) -> Path:
    """Write ``{category: {split: (M, N, 3)}}`` in the h5 layout (a temporary file renamed)."""
    h5py = import_h5py()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    with h5py.File(temporary, "w") as file:
        for category, splits in sets.items():
            group = file.require_group(synset_id(category))
            for split, clouds in splits.items():
                _check_split(split)
                group.create_dataset(split, data=np.asarray(clouds, np.float32))
    temporary.replace(path)
    return path
