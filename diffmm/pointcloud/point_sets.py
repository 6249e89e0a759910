"""Point sets on disk: ``.npy`` arrays, ``.xyz`` text (x y z [nx ny nz ...] per line) and PLY
vertices; and writing clouds as binary PLY or ``.npy``, atomically.

``load_shape`` turns any one shape file into a fixed number of points: a mesh is sampled
uniformly over its surface, a voxel grid (``.binvox``) over its surface voxels, a point set is
subsampled (with replacement only when it has fewer points than asked).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from diffmm.atomic import atomic_file
from diffmm.errors import DiffmmError
from diffmm.pointcloud.binvox import binvox_surface_points
from diffmm.pointcloud.meshes import MESH_SUFFIXES, import_trimesh, load_mesh, sample_surface

POINT_SUFFIXES = (".npy", ".xyz", ".ply")
SHAPE_SUFFIXES = tuple(sorted({*MESH_SUFFIXES, *POINT_SUFFIXES, ".binvox"}))


def check_cloud(points: np.ndarray, source: str) -> np.ndarray:
    """``points`` as (N, 3) float32; a ``DiffmmError`` naming ``source`` for any other shape
    or for NaN/inf coordinates."""
    points = np.asarray(points)
    if points.ndim != 2 or points.shape[1] != 3 or len(points) == 0:
        raise DiffmmError(f"{source}: expected N×3 points, got shape {points.shape}")
    if not np.isfinite(points).all():
        raise DiffmmError(f"{source}: the points hold NaN or infinite coordinates")
    return points.astype(np.float32)


def load_points(path: str | Path) -> np.ndarray:
    """The (N, 3) points of a ``.npy``, ``.xyz`` or PLY file (a PLY's vertices)."""
    path = Path(path)
    if not path.is_file():
        raise DiffmmError(f"point file {path} does not exist")
    suffix = path.suffix.lower()
    try:
        if suffix == ".npy":
            points = np.load(path, allow_pickle=False)
        elif suffix == ".xyz":
            points = np.loadtxt(path, ndmin=2)[:, :3]
        elif suffix == ".ply":
            points = np.asarray(import_trimesh().load(str(path), process=False).vertices)
        else:
            raise DiffmmError(f"{path}: point files end in {', '.join(POINT_SUFFIXES)}")
    except (ValueError, IndexError, OSError) as err:
        raise DiffmmError(f"cannot read points from {path}: {err}") from err
    return check_cloud(points, str(path))


def _has_faces(path: Path) -> bool:
    """Whether a PLY declares faces (a mesh) rather than vertices only (a point set)."""
    with open(path, "rb") as file:
        for line in file:
            if line.startswith(b"element face"):
                return int(line.split()[2]) > 0
            if line.strip() == b"end_header":
                return False
    return False


def load_shape(path: str | Path, num_points: int, rng: np.random.Generator) -> np.ndarray:
    """``num_points`` points (num_points, 3) of one shape file of any supported kind."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".binvox":
        return binvox_surface_points(path, num_points, rng)
    if suffix in MESH_SUFFIXES and (suffix != ".ply" or not path.is_file() or _has_faces(path)):
        vertices, faces = load_mesh(path)
        return sample_surface(vertices, faces, num_points, rng)
    points = load_points(path)
    replace = len(points) < num_points
    return points[rng.choice(len(points), num_points, replace=replace)]


def write_ply(path: str | Path, points: np.ndarray) -> Path:
    """One cloud (N, 3) as a binary little-endian PLY of float vertices."""
    points = check_cloud(points, str(path))
    header = (
        "ply\nformat binary_little_endian 1.0\n"
        f"element vertex {len(points)}\n"
        "property float x\nproperty float y\nproperty float z\nend_header\n"
    )
    with atomic_file(path) as file:
        file.write(header.encode("ascii"))
        file.write(points.astype("<f4").tobytes())
    return Path(path)


def write_npy(path: str | Path, array: np.ndarray) -> Path:
    with atomic_file(path) as file:
        np.save(file, array)
    return Path(path)


def write_clouds(output: str | Path, clouds: np.ndarray) -> list[Path]:
    """(M, N, 3) clouds as one ``.npy`` (``output`` ends in .npy) or one PLY per cloud
    (``output`` ends in .ply: numbered ``<stem>_0000.ply``... unless M = 1)."""
    output = Path(output)
    writers: dict[str, Callable[[], list[Path]]] = {
        ".npy": lambda: [write_npy(output, clouds)],
        ".ply": lambda: (
            [write_ply(output, clouds[0])]
            if len(clouds) == 1
            else [
                write_ply(output.with_name(f"{output.stem}_{i:04d}.ply"), c)
                for i, c in enumerate(clouds)
            ]
        ),
    }
    if output.suffix not in writers:
        raise DiffmmError(f"point clouds are written as .npy or .ply, got {output.name}")
    return writers[output.suffix]()
