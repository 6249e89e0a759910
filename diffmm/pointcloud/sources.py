"""One entry point for every point-cloud source: ``load_clouds(source, ...)`` → (M, N, 3).

``source`` may be
- an h5 file in Luo & Hu's layout (``.h5``/``.hdf5``; ``categories`` and ``split`` pick groups);
- a PC15k root (``categories`` and ``split`` pick folders; ``num_points`` of each 15k);
- a ``.npy`` array (M, N, 3) of clouds (``num_points`` of each, if it has more);
- a folder of shape files (meshes OFF/PLY/OBJ/STL, point sets npy/xyz/ply, binvox voxels),
  each turned into ``num_points`` points; the file names in sorted order are ``names``.
A seed fixes every random choice.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from diffmm.errors import DiffmmError
from diffmm.pointcloud.point_sets import SHAPE_SUFFIXES, load_shape
from diffmm.pointcloud.shapenet import is_pc15k, read_h5, read_pc15k


@dataclass
class CloudSet:
    clouds: np.ndarray  # (M, N, 3) float32
    names: list[str]


def check_clouds(clouds: np.ndarray, source: str) -> np.ndarray:
    clouds = np.asarray(clouds)
    if clouds.ndim != 3 or clouds.shape[2] != 3 or clouds.shape[0] == 0:
        raise DiffmmError(f"{source}: expected clouds of shape (M, N, 3), got {clouds.shape}")
    if not np.isfinite(clouds).all():
        raise DiffmmError(f"{source}: the clouds hold NaN or infinite coordinates")
    return clouds.astype(np.float32)


def shape_files(folder: Path) -> list[Path]:
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in SHAPE_SUFFIXES)
    if not files:
        raise DiffmmError(f"{folder} holds no shape files ({', '.join(SHAPE_SUFFIXES)})")
    return files


def load_clouds(
    source: str | Path,
    *,
    num_points: int = 2048,
    categories: list[str] | None = None,
    split: str = "train",
    seed: int = 0,
) -> CloudSet:
    """The clouds of ``source`` (see the module docstring)."""
    path, rng = Path(source), np.random.default_rng(seed)
    categories = categories or ["airplane"]
    if not path.exists():
        raise DiffmmError(f"point-cloud source {path} does not exist")
    if path.suffix.lower() in (".h5", ".hdf5"):
        clouds = read_h5(path, categories, split)
        names = [f"{split}_{i:05d}" for i in range(len(clouds))]
    elif path.suffix == ".npy":
        clouds = np.load(path, allow_pickle=False)
        names = [f"{path.stem}_{i:05d}" for i in range(len(clouds))]
    elif is_pc15k(path):
        clouds = read_pc15k(path, categories, split, num_points, rng)
        names = [f"{split}_{i:05d}" for i in range(len(clouds))]
    elif path.is_dir():
        files = shape_files(path)
        clouds = np.stack(
            [
                load_shape(f, num_points, rng)
                for f in tqdm(files, desc="sampling shapes", leave=False)
            ]
        )
        names = [f.stem for f in files]
    else:
        raise DiffmmError(f"{path}: not an h5 file, a .npy array, a PC15k root or a shape folder")
    clouds = check_clouds(clouds, str(path))
    if clouds.shape[1] > num_points:
        keep = np.stack([rng.choice(clouds.shape[1], num_points, replace=False) for _ in clouds])
        clouds = np.take_along_axis(clouds, keep[:, :, None], axis=1)
    return CloudSet(clouds, names)
