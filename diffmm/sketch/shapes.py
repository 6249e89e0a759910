"""Hand-made shapes drawn by a script: an offline stand-in for QuickDraw (it is not QuickDraw).

Six classes of pen drawings, each instance with its own rotation, aspect, size, start point
and a smooth wobble of the pen, so that a class is a family of drawings rather than one
template: circle (one closed stroke of 16–28 points), square and triangle (one closed stroke),
star (a five-pointed star in one stroke), zigzag (an open stroke of 4–8 turns) and cross (two
strokes). Coordinates are in a 0–255 box with y downwards, like QuickDraw's simplified data.
"""

from __future__ import annotations

import numpy as np

from diffmm.sketch.strokes import Strokes

SHAPE_CLASSES = ("circle", "square", "triangle", "star", "zigzag", "cross")


def _polygon(corners: int, rng: np.random.Generator) -> np.ndarray:
    angles = 2 * np.pi * (np.arange(corners + 1) / corners) + rng.uniform(0, 2 * np.pi)
    return np.column_stack([np.cos(angles), np.sin(angles)])


def _template(name: str, rng: np.random.Generator) -> Strokes:
    """One instance of class ``name`` around the origin, before rotation and wobble."""
    if name == "circle":
        return [_polygon(int(rng.integers(16, 29)), rng)]
    if name == "square":
        corners = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]], np.float64)
        start = int(rng.integers(4))
        return [np.roll(corners, start, axis=0)[[0, 1, 2, 3, 0]]]
    if name == "triangle":
        return [_polygon(3, rng)]
    if name == "star":
        outer = _polygon(5, rng)[:5]
        return [outer[[0, 2, 4, 1, 3, 0]]]
    if name == "zigzag":
        turns = int(rng.integers(4, 9))
        xs = np.linspace(-1, 1, turns + 1)
        ys = np.where(np.arange(turns + 1) % 2 == 0, -0.5, 0.5)
        return [np.column_stack([xs, ys])]
    if name == "cross":
        return [np.array([[-1.0, 0.0], [1.0, 0.0]]), np.array([[0.0, -1.0], [0.0, 1.0]])]
    raise ValueError(f"unknown shape {name!r}; known: {', '.join(SHAPE_CLASSES)}")


def draw_shape(name: str, rng: np.random.Generator) -> Strokes:
    """One hand-made drawing of class ``name`` (module docstring), in the 0–255 box."""
    strokes = _template(name, rng)
    angle = rng.uniform(-0.35, 0.35)
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    stretch = np.array([rng.uniform(0.75, 1.0), rng.uniform(0.75, 1.0)])
    size, centre = rng.uniform(70, 110), rng.uniform(118, 138, size=2)
    drawn = []
    for stroke in strokes:
        wobble = rng.normal(0, 0.04, size=stroke.shape)
        drawn.append(((stroke + wobble) * stretch) @ rotation.T * size + centre)
    return [np.round(np.clip(s, 0, 255)) for s in drawn]


def draw_shapes(num_per_class: int, seed: int = 0) -> tuple[list[Strokes], np.ndarray]:
    """``num_per_class`` drawings of each class (class-major order) and their labels."""
    rng = np.random.default_rng(seed)
    drawings, labels = [], []
    for label, name in enumerate(SHAPE_CLASSES):
        drawings += [draw_shape(name, rng) for _ in range(num_per_class)]
        labels += [label] * num_per_class
    return drawings, np.asarray(labels, dtype=np.int64)
