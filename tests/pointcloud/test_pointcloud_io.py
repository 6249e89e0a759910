"""Point-cloud I/O on small files in the real formats, written here."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from diffmm.errors import DiffmmError
from diffmm.pointcloud import fit_normalization, load_clouds, load_points, load_shape, write_ply
from diffmm.pointcloud.binvox import read_binvox
from diffmm.pointcloud.meshes import load_mesh, sample_surface
from diffmm.pointcloud.shapenet import write_h5

CUBE_OFF = """# a unit cube with quad faces and per-face colours
OFF
8 6 12
-1 -1 -1
 1 -1 -1
 1  1 -1
-1  1 -1
-1 -1  1
 1 -1  1
 1  1  1
-1  1  1
4 0 3 2 1 0.5 0.5 0.5
4 4 5 6 7 0.5 0.5 0.5
4 0 1 5 4
4 1 2 6 5
4 2 3 7 6
4 3 0 4 7
"""


def test_off_cube_samples_every_face_by_area(tmp_path: Path):
    (tmp_path / "cube.off").write_text(CUBE_OFF)
    vertices, faces = load_mesh(tmp_path / "cube.off")
    assert faces.shape == (12, 3)
    points = sample_surface(vertices, faces, 60000, np.random.default_rng(0))
    assert np.allclose(np.abs(points).max(axis=1), 1.0, atol=1e-6)  # on the surface
    face = np.argmax(np.abs(points), axis=1) * 2 + (
        points[np.arange(len(points)), np.argmax(np.abs(points), axis=1)] > 0
    )
    share = np.bincount(face, minlength=6) / len(points)
    assert np.allclose(share, 1 / 6, atol=0.01)
    # uniform within a face: the mean of the +z face is its centre, the variance 1/3 per axis
    top = points[points[:, 2] > 1 - 1e-6]
    assert np.allclose(top[:, :2].mean(axis=0), 0, atol=0.02)
    assert np.allclose(top[:, :2].var(axis=0), 1 / 3, atol=0.02)


def test_sampling_follows_triangle_areas():
    vertices = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 5], [3, 0, 5], [0, 3, 5]], float)
    faces = np.array([[0, 1, 2], [3, 4, 5]])
    points = sample_surface(vertices, faces, 50000, np.random.default_rng(1))
    assert abs((points[:, 2] > 2.5).mean() - 9 / 10) < 0.01  # areas 1/2 and 9/2


def binary_ply_tetrahedron(path: Path) -> np.ndarray:
    vertices = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]], np.float32)
    faces = [(0, 2, 1), (0, 1, 3), (0, 3, 2), (1, 2, 3)]
    header = (
        "ply\nformat binary_little_endian 1.0\nelement vertex 4\nproperty float x\n"
        "property float y\nproperty float z\nelement face 4\n"
        "property list uchar int vertex_indices\nend_header\n"
    )
    body = vertices.tobytes() + b"".join(struct.pack("<B3i", 3, *f) for f in faces)
    path.write_bytes(header.encode() + body)
    return vertices


def test_ply_and_obj_meshes(tmp_path: Path):
    binary_ply_tetrahedron(tmp_path / "tet.ply")
    points = load_shape(tmp_path / "tet.ply", 5000, np.random.default_rng(0))
    on_slanted = np.isclose(points.sum(axis=1), 1, atol=1e-5)
    on_axes = np.isclose(points, 0, atol=1e-6).any(axis=1)
    assert (on_slanted | on_axes).all() and (points >= -1e-6).all()
    (tmp_path / "square.obj").write_text("v 0 0 0\nv 2 0 0\nv 2 2 0\nv 0 2 0\nf 1 2 3 4\n")
    square = load_shape(tmp_path / "square.obj", 20000, np.random.default_rng(0))
    assert np.allclose(square[:, 2], 0) and np.allclose(square[:, :2].mean(axis=0), 1, atol=0.02)


def test_point_set_files_round_trip(tmp_path: Path):
    rng = np.random.default_rng(0)
    cloud = rng.normal(size=(100, 3)).astype(np.float32)
    write_ply(tmp_path / "c.ply", cloud)
    assert np.array_equal(load_points(tmp_path / "c.ply"), cloud)
    with_normals = np.hstack([cloud, rng.normal(size=(100, 3))])
    np.savetxt(tmp_path / "c.xyz", with_normals)
    assert np.allclose(load_points(tmp_path / "c.xyz"), cloud, atol=1e-6)
    np.save(tmp_path / "c.npy", cloud)
    subset = load_shape(tmp_path / "c.npy", 40, rng)
    assert subset.shape == (40, 3) and len({tuple(p) for p in subset}) == 40


def test_h5_and_pc15k_layouts(tmp_path: Path):
    rng = np.random.default_rng(0)
    train, test = rng.normal(size=(3, 2048, 3)), rng.normal(size=(2, 2048, 3))
    write_h5(tmp_path / "shapenet.hdf5", {"airplane": {"train": train, "test": test}})
    loaded = load_clouds(tmp_path / "shapenet.hdf5", categories=["02691156"], split="test")
    assert np.allclose(loaded.clouds, test.astype(np.float32))
    for i in range(2):
        folder = tmp_path / "PC15k" / "03001627" / "val"
        folder.mkdir(parents=True, exist_ok=True)
        np.save(folder / f"model{i}.npy", rng.normal(size=(15000, 3)) + 10 * i)
    pc15k = load_clouds(tmp_path / "PC15k", num_points=512, categories=["chair"], split="val")
    assert pc15k.clouds.shape == (2, 512, 3)
    assert pc15k.clouds[0].mean() < 1 < 9 < pc15k.clouds[1].mean()


def test_binvox_surface(tmp_path: Path):
    grid = np.zeros((4, 4, 4), bool)
    grid[1:4, 0:3, 0:2] = True  # x in [1, 4), y in [0, 3), z in [0, 2) voxels
    values = grid.transpose(0, 2, 1).reshape(-1).astype(np.uint8)  # x-z-y order, y fastest
    starts = np.flatnonzero(np.diff(values, prepend=255))
    lengths = np.diff(np.append(starts, len(values)))
    body = b"".join(bytes([values[s], n]) for s, n in zip(starts, lengths))
    header = b"#binvox 1\ndim 4 4 4\ntranslate -1 0 2\nscale 8\ndata\n"
    (tmp_path / "m.binvox").write_bytes(header + body)
    occupancy, translate, scale = read_binvox(tmp_path / "m.binvox")
    assert np.array_equal(occupancy, grid) and scale == 8 and list(translate) == [-1, 0, 2]
    points = load_shape(tmp_path / "m.binvox", 1000, np.random.default_rng(0))
    low, high = np.array([1, 0, 0]) * 2 + translate, np.array([4, 3, 2]) * 2 + translate
    assert (points >= low).all() and (points <= high).all()


def test_normalizations():
    rng = np.random.default_rng(0)
    clouds = rng.normal(size=(3, 500, 3)) * [1, 2, 3] + rng.normal(size=(3, 1, 3)) * 5
    bbox = fit_normalization(clouds, "shape_bbox").apply(clouds)
    assert np.allclose(np.abs(bbox).max(axis=(1, 2)), 1, atol=1e-5)
    assert np.allclose(bbox.max(axis=1) + bbox.min(axis=1), 0, atol=1e-5)
    centred = clouds - clouds.mean(axis=1, keepdims=True)
    unit = fit_normalization(centred, "shape_unit").apply(centred)
    assert np.allclose(unit.mean(axis=1), 0, atol=1e-5)
    assert np.allclose(unit.reshape(3, -1).std(axis=1), 1, atol=1e-5)
    everything_centred = clouds - clouds.reshape(-1, 3).mean(axis=0)
    glob = fit_normalization(everything_centred, "global_unit")
    assert np.allclose(glob.apply(everything_centred).std(), 1, atol=1e-5)
    assert len(np.unique(glob.scale)) == 1
    assert np.allclose(glob.invert(glob.apply(clouds)), clouds, atol=1e-4)


def test_bad_inputs_give_clear_errors(tmp_path: Path):
    (tmp_path / "bad.off").write_text("OFF\n3 1 0\n0 0 0\n1 0 0\n")
    with pytest.raises(DiffmmError, match="cannot parse mesh"):
        load_mesh(tmp_path / "bad.off")
    (tmp_path / "junk.obj").write_bytes(b"\x00\xff garbage")
    with pytest.raises(DiffmmError, match=r"junk\.obj"):
        load_mesh(tmp_path / "junk.obj")
    cloud = np.zeros((10, 3))
    cloud[3, 1] = np.nan
    np.save(tmp_path / "nan.npy", cloud)
    with pytest.raises(DiffmmError, match="NaN"):
        load_points(tmp_path / "nan.npy")
    np.save(tmp_path / "sets.npy", np.full((2, 5, 3), np.nan))
    with pytest.raises(DiffmmError, match="NaN"):
        load_clouds(tmp_path / "sets.npy")
