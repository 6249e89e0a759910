"""QuickDraw loaders on small files in the real formats, sequences and rasterisation."""

from __future__ import annotations

import json
import os
import pickle
import zipfile

import numpy as np
import pytest

from diffmm.errors import DiffmmError
from diffmm.sketch import (
    load_class_drawings,
    load_ndjson,
    load_sketchrnn_npz,
    quickdraw_class_files,
    rasterise,
    sequence_to_strokes,
    stroke3_to_strokes,
    strokes_to_sequence,
    strokes_to_sequences,
    strokes_to_stroke3,
)

CAT = [np.array([[10.0, 20.0], [30.0, 20.0], [30.0, 50.0]]), np.array([[5.0, 5.0], [8.0, 9.0]])]


def object_array(drawings: list[np.ndarray]) -> np.ndarray:
    array = np.empty(len(drawings), dtype=object)
    array[:] = drawings
    return array


def stroke3_drawings(count: int, seed: int = 0) -> list[np.ndarray]:
    """sketch-rnn's own layout: int16 rows [dx, dy, p], lengths differing."""
    rng = np.random.default_rng(seed)
    drawings = []
    for _ in range(count):
        rows = rng.integers(-30, 30, size=(int(rng.integers(3, 12)), 3)).astype(np.int16)
        rows[:, 2] = rng.random(len(rows)) < 0.3
        rows[-1, 2] = 1
        drawings.append(rows)
    return drawings


def test_sketchrnn_npz_reads_object_arrays_as_numpy_writes_them(tmp_path):
    splits = {
        name: stroke3_drawings(n, seed)
        for seed, (name, n) in enumerate([("train", 5), ("valid", 2), ("test", 3)])
    }
    path = tmp_path / "cat.npz"
    np.savez(path, **{name: object_array(d) for name, d in splits.items()})
    for name, drawings in splits.items():
        loaded = load_sketchrnn_npz(path, name)
        assert len(loaded) == len(drawings)
        for got, want in zip(loaded, drawings, strict=True):
            np.testing.assert_array_equal(got, want)


def test_protocol_2_pickle_is_read(tmp_path):
    """Files written under Python 2 or with protocol 2 (bytes rebuilt by _codecs.encode)."""
    drawings = stroke3_drawings(3)
    path = tmp_path / "dog.npz"
    with zipfile.ZipFile(path, "w") as archive, archive.open("train.npy", "w") as member:
        header = {"descr": "|O", "fortran_order": False, "shape": (3,)}
        np.lib.format.write_array_header_1_0(member, header)
        member.write(pickle.dumps(object_array(drawings), protocol=2))
    loaded = load_sketchrnn_npz(path, "train")
    np.testing.assert_array_equal(loaded[2], drawings[2])


class RunsCommand:
    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self):
        return os.system, (self.command,)


def test_crafted_pickle_is_refused_before_it_runs(tmp_path):
    marker = tmp_path / "ran"
    path = tmp_path / "evil.npz"
    with zipfile.ZipFile(path, "w") as archive, archive.open("train.npy", "w") as member:
        np.lib.format.write_array_header_1_0(
            member, {"descr": "|O", "fortran_order": False, "shape": ()}
        )
        member.write(pickle.dumps(RunsCommand(f"touch {marker}"), protocol=2))
    with pytest.raises(DiffmmError, match=r"refused global (posix|os)\.system"):
        load_sketchrnn_npz(path, "train")
    assert not marker.exists()
    np.load(path, allow_pickle=True)["train"]  # NumPy's own loader does run it: the file is real
    assert marker.exists()


def test_ndjson_reads_the_simplified_format_and_names_a_bad_line(tmp_path):
    record = {
        "word": "cat",
        "countrycode": "GB",
        "timestamp": "2017-03-01 20:41:36.70725 UTC",
        "recognized": True,
        "key_id": "5041572000000000",
        "drawing": [[s[:, 0].astype(int).tolist(), s[:, 1].astype(int).tolist()] for s in CAT],
    }
    path = tmp_path / "full_simplified_cat.ndjson"
    path.write_text(json.dumps(record) + "\n" + json.dumps({**record, "recognized": False}) + "\n")
    drawings = load_ndjson(path)
    assert [d.word for d in drawings] == ["cat", "cat"]
    for got, want in zip(drawings[0].strokes, CAT, strict=True):
        np.testing.assert_array_equal(got, want)
    assert len(load_ndjson(path, recognized_only=True)) == 1
    path.write_text(json.dumps(record) + "\n" + '{"word": "cat", "drawing": [[[1, 2], [3' + "\n")
    with pytest.raises(DiffmmError, match=r"full_simplified_cat.ndjson:2: not a JSON object"):
        load_ndjson(path)
    path.write_text(json.dumps({"word": "cat", "drawing": [[1, 2]]}) + "\n")
    with pytest.raises(DiffmmError, match=r"ndjson:1: stroke 0 is not \[\[xs\], \[ys\]\]"):
        load_ndjson(path)


def test_class_folders_in_either_format(tmp_path):
    for name in ("dog", "cat"):
        np.savez(
            tmp_path / f"{name}.npz",
            train=object_array(stroke3_drawings(4)),
            valid=object_array(stroke3_drawings(1)),
            test=object_array(stroke3_drawings(2)),
        )
    files = quickdraw_class_files(tmp_path)
    assert [f.stem for f in files] == ["cat", "dog"]
    assert len(load_class_drawings(files[0], "test")) == 2
    lines = [json.dumps({"word": "x", "drawing": [[[i, i + 1], [0, 5]]]}) for i in range(5)]
    (tmp_path / "ndjson").mkdir()
    (tmp_path / "ndjson" / "full_simplified_x.ndjson").write_text("\n".join(lines) + "\n")
    path = quickdraw_class_files(tmp_path / "ndjson")[0]
    test = load_class_drawings(path, "test", num_test=2)
    train = load_class_drawings(path, "train", num_test=2, max_drawings=2)
    assert [d[0][0, 0] for d in test] == [0, 1] and [d[0][0, 0] for d in train] == [2, 3]


def test_stroke3_round_trip():
    stroke3 = strokes_to_stroke3(CAT)
    assert stroke3[:, 2].tolist() == [0, 0, 1, 0, 1]
    for got, want in zip(stroke3_to_strokes(stroke3), CAT, strict=True):
        np.testing.assert_allclose(got, want)


def test_sequence_round_trip_keeps_the_drawing():
    sequence, normalisation = strokes_to_sequence(CAT, 12)
    assert sequence.shape == (12, 3)
    assert np.abs(sequence[:, :2]).max() == pytest.approx(1.0)
    assert sequence[:, 2].tolist() == [-1, -1, 1, -1] + [1] * 8
    back = sequence_to_strokes(sequence, normalisation)
    assert len(back) == 2
    for got, want in zip(back, CAT, strict=True):
        np.testing.assert_allclose(got, want, atol=1e-4)


def test_too_long_drawings_are_refused_truncated_or_dropped():
    with pytest.raises(DiffmmError, match="5 points, more than the sequence length 4"):
        strokes_to_sequence(CAT, 4)
    short = [CAT[0][:2]]
    with pytest.raises(DiffmmError, match="drawing 1 has 5 points"):
        strokes_to_sequences([short, CAT], 4, on_overflow="error")
    with pytest.warns(UserWarning, match="1 of 2 drawings have more than 4 points: truncated"):
        sequences, kept = strokes_to_sequences([short, CAT], 4)
    assert kept.tolist() == [0, 1] and sequences[1, :, 2].tolist() == [-1, -1, 1, 1]
    with pytest.warns(UserWarning, match="dropped"):
        _, kept = strokes_to_sequences([short, CAT], 4, on_overflow="drop")
    assert kept.tolist() == [0]


def test_rasterised_square_has_exactly_its_border():
    square = [np.array([[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]], np.float64)]
    bitmap = rasterise(square, 28, margin=2)
    expected = np.zeros((28, 28), np.uint8)
    expected[2, 2:26] = expected[25, 2:26] = expected[2:26, 2] = expected[2:26, 25] = 255
    np.testing.assert_array_equal(bitmap, expected)
    thick = rasterise(square, 28, margin=2, line_width=3)
    assert thick[1, 10] == thick[3, 10] == 255 and thick[5, 10] == 0
    wide = rasterise([np.array([[0.0, 0.0], [10.0, 0.0]])], 28, margin=2)
    (row,) = np.flatnonzero(wide.any(axis=1))  # centred: the middle row, 13.5 rounded
    assert row == 14 and wide[row, 2:26].tolist() == [255] * 24 and wide.sum() == 24 * 255
