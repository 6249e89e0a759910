"""Triangle meshes (OFF, PLY, OBJ, STL...) and uniform sampling of points on their surface.

OFF is parsed here (trimesh 4-5 fails on OFF files mixing face sizes under numpy 2); PLY
(ASCII and binary), OBJ and STL go through trimesh (the ``pointcloud`` extra). Polygons are
split into triangle fans. Sampling is ours, from a numpy
generator, so a seed fixes the points: a face is chosen with probability proportional to its
area, then a point uniformly inside it (barycentric (1 − √u, √u (1 − v), √u v), Osada et
al. 2002), which is uniform over the surface area.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from diffmm.errors import DiffmmError

MESH_SUFFIXES = (".off", ".ply", ".obj", ".stl")


def import_trimesh():
    try:
        import trimesh
    except ImportError:
        raise DiffmmError(
            "reading meshes needs trimesh: pip install 'diffmm[pointcloud]'"
        ) from None
    return trimesh


def read_off(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Vertices and fan-triangulated faces of an ASCII OFF file: a ``OFF``/``COFF``/``NOFF``
    header (counts on it or on the next line), ``#`` comments, blank lines, and extra numbers
    (normals, colours) after a vertex's three coordinates or a face's indices, all allowed."""
    lines = (
        line.split("#", 1)[0].split() for line in path.read_text(encoding="ascii").splitlines()
    )
    lines = [words for words in lines if words]
    if not lines or not lines[0][0].endswith("OFF"):
        raise ValueError("no OFF header")
    counts = lines[0][1:] or lines[1]
    body = lines[1:] if lines[0][1:] else lines[2:]
    num_vertices, num_faces = int(counts[0]), int(counts[1])
    if len(body) < num_vertices + num_faces:
        raise ValueError(
            f"{num_vertices} vertices and {num_faces} faces declared, the file ends early"
        )
    vertices = np.array([words[:3] for words in body[:num_vertices]], np.float64)
    triangles = []
    for words in body[num_vertices : num_vertices + num_faces]:
        corners = [int(w) for w in words[1 : 1 + int(words[0])]]
        triangles.extend(
            (corners[0], corners[i], corners[i + 1]) for i in range(1, len(corners) - 1)
        )
    faces = np.array(triangles, np.int64).reshape(-1, 3)
    if faces.size and (faces.min() < 0 or faces.max() >= num_vertices):
        raise ValueError("a face refers to a vertex that does not exist")
    return vertices, faces


def load_mesh(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """(vertices (V, 3) float64, triangles (F, 3) int64) of a mesh file."""
    path = Path(path)
    if not path.is_file():
        raise DiffmmError(f"mesh file {path} does not exist")
    try:
        if path.suffix.lower() == ".off":
            vertices, faces = read_off(path)
        else:
            mesh = import_trimesh().load(str(path), force="mesh", process=False)
            vertices = np.asarray(mesh.vertices, np.float64)
            faces = np.asarray(mesh.faces, np.int64)
    except DiffmmError:
        raise
    except Exception as err:  # a malformed file raises many types, in trimesh and here
        raise DiffmmError(f"cannot parse mesh {path}: {err}") from err
    if faces.ndim != 2 or len(faces) == 0 or faces.shape[1] != 3:
        raise DiffmmError(f"mesh {path} has no triangles (a point set? load it as points)")
    if not np.isfinite(vertices).all():
        raise DiffmmError(f"mesh {path} has non-finite vertex coordinates")
    return vertices, faces


def sample_surface(
    vertices: np.ndarray, faces: np.ndarray, num_points: int, rng: np.random.Generator
) -> np.ndarray:
    """``num_points`` points (num_points, 3) float32 drawn uniformly over the mesh's area."""
    tri = vertices[faces]  # (F, 3 corners, 3)
    areas = 0.5 * np.linalg.norm(np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]), axis=1)
    total = areas.sum()
    if not total > 0:
        raise DiffmmError("the mesh has zero surface area")
    chosen = rng.choice(len(faces), size=num_points, p=areas / total)
    u, v = rng.random(num_points), rng.random(num_points)
    root = np.sqrt(u)[:, None]
    corners = tri[chosen]
    points = (
        (1 - root) * corners[:, 0]
        + root * (1 - v[:, None]) * corners[:, 1]
        + root * v[:, None] * corners[:, 2]
    )
    return points.astype(np.float32)
