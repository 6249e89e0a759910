"""ShapeNet's binvox voxel grids (Min's binvox format) → points on the voxel surface.

The file is an ASCII header (``#binvox 1``, ``dim D H W``, ``translate x y z``, ``scale s``,
``data``) followed by run-length pairs of bytes (value, count) over the voxels in x-z-y order
(y fastest). Voxel (i, j, k) covers [i, i+1)/D · s + translate along x, likewise y and z.
Surface voxels are occupied voxels with an empty (or out-of-grid) face neighbour; points are
drawn uniformly inside randomly chosen surface voxels.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from diffmm.errors import DiffmmError


def read_binvox(path: str | Path) -> tuple[np.ndarray, np.ndarray, float]:
    """(occupancy (D, D, D) bool indexed [x, y, z], translate (3,), scale)."""
    path = Path(path)
    try:
        with open(path, "rb") as file:
            if not file.readline().startswith(b"#binvox"):
                raise ValueError("no '#binvox' header")
            header: dict[str, list[str]] = {}
            while True:
                line = file.readline()
                if not line:
                    raise ValueError("no 'data' line")
                words = line.decode("ascii").split()
                if words == ["data"]:
                    break
                header[words[0]] = words[1:]
            dims = [int(d) for d in header["dim"]]
            translate = np.array([float(t) for t in header.get("translate", [0, 0, 0])])
            scale = float(header.get("scale", [1.0])[0])
            runs = np.frombuffer(file.read(), dtype=np.uint8).reshape(-1, 2)
    except (OSError, ValueError, KeyError, IndexError) as err:
        raise DiffmmError(f"cannot parse binvox file {path}: {err}") from err
    values = np.repeat(runs[:, 0], runs[:, 1].astype(np.int64))
    if len(dims) != 3 or values.size != np.prod(dims):
        raise DiffmmError(f"binvox file {path}: {values.size} voxels for dims {dims}")
    occupancy = values.reshape(dims[0], dims[2], dims[1]).transpose(0, 2, 1).astype(bool)
    return occupancy, translate, scale


def surface_voxels(occupancy: np.ndarray) -> np.ndarray:
    """(S, 3) indices of occupied voxels with at least one empty face neighbour."""
    padded = np.pad(occupancy, 1)
    interior = padded[1:-1, 1:-1, 1:-1].copy()
    for axis in range(3):
        for step in (-1, 1):
            interior &= np.roll(padded, step, axis=axis)[1:-1, 1:-1, 1:-1]
    return np.argwhere(occupancy & ~interior)


def binvox_surface_points(
    path: str | Path, num_points: int, rng: np.random.Generator
) -> np.ndarray:
    """``num_points`` points (num_points, 3) float32 inside the surface voxels of a binvox file."""
    occupancy, translate, scale = read_binvox(path)
    voxels = surface_voxels(occupancy)
    if len(voxels) == 0:
        raise DiffmmError(f"binvox file {path} has no occupied voxels")
    chosen = voxels[rng.integers(len(voxels), size=num_points)]
    points = (chosen + rng.random((num_points, 3))) / occupancy.shape[0] * scale + translate
    return points.astype(np.float32)
