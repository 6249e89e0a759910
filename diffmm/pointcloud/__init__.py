"""Point clouds: meshes → surface points, point-set files, ShapeNet layouts, normalisation."""

from diffmm.pointcloud.normalize import NORMALIZATIONS, Normalization, fit_normalization, normalize
from diffmm.pointcloud.point_sets import load_points, load_shape, write_clouds, write_ply
from diffmm.pointcloud.sources import CloudSet, load_clouds

__all__ = [
    "NORMALIZATIONS",
    "CloudSet",
    "Normalization",
    "fit_normalization",
    "load_clouds",
    "load_points",
    "load_shape",
    "normalize",
    "write_clouds",
    "write_ply",
]
