"""CIFAR-10 python batches in their real (Python 2 cPickle) format, and the unpickler's refusals."""

from __future__ import annotations

import os
import pickle

import numpy as np
import pytest
from cifar_files import (
    CLASS_NAMES,
    cifar_batches,
    cifar_files,
    write_cifar_folder,
    write_cifar_tarball,
)

from diffmm.errors import DiffmmError
from diffmm.vision import load_cifar10
from diffmm.vision.restricted_pickle import load_numpy_pickle


@pytest.fixture(scope="module")
def batches() -> dict[str, tuple[np.ndarray, list[int]]]:
    return cifar_batches(per_batch=3)


def _expected_nhwc(rows: np.ndarray) -> np.ndarray:
    # Written out element by element: pixel (i, j) of channel c is column c·1024 + 32·i + j.
    images = np.empty((len(rows), 32, 32, 3), np.uint8)
    for c in range(3):
        for i in range(32):
            images[:, i, :, c] = rows[:, c * 1024 + 32 * i : c * 1024 + 32 * i + 32]
    return images


@pytest.mark.parametrize("form", ["tarball", "folder", "parent"])
def test_both_splits_load_with_labels_and_planes_in_place(tmp_path, batches, form) -> None:
    files = cifar_files(batches)
    if form == "tarball":
        path = write_cifar_tarball(tmp_path / "cifar-10-python.tar.gz", files)
    else:
        folder = write_cifar_folder(tmp_path, files)
        path = folder if form == "folder" else tmp_path
    train = load_cifar10(path, "train")
    train_rows = np.concatenate([batches[f"data_batch_{i}"][0] for i in range(1, 6)])
    assert train.images.shape == (15, 32, 32, 3) and train.images.dtype == np.uint8
    assert np.array_equal(train.images, _expected_nhwc(train_rows))
    assert train.labels.tolist() == [
        label for i in range(1, 6) for label in batches[f"data_batch_{i}"][1]
    ]
    assert train.class_names == CLASS_NAMES
    test = load_cifar10(path, "test")
    assert np.array_equal(test.images, _expected_nhwc(batches["test_batch"][0]))
    assert test.labels.tolist() == batches["test_batch"][1]


class _RunsAShellCommand:
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


class _Evaluates:
    def __reduce__(self):
        return (eval, ("__import__('os').getcwd()",))


@pytest.mark.parametrize("protocol", [2, 4])
def test_a_crafted_pickle_is_refused_before_it_runs(tmp_path, protocol) -> None:
    marker = tmp_path / "pwned"
    payload = pickle.dumps(_RunsAShellCommand(str(marker)), protocol=protocol)
    with pytest.raises(
        DiffmmError, match=r"cannot unpickle data_batch_1: refused global (posix|os)\.system"
    ):
        load_numpy_pickle(payload, "data_batch_1")
    assert not marker.exists()
    # The control: the standard unpickler does run it (a harmless touch inside tmp_path).
    pickle.loads(payload)
    assert marker.exists()
    with pytest.raises(DiffmmError, match=r"refused global (builtins|__builtin__)\.eval"):
        load_numpy_pickle(pickle.dumps(_Evaluates(), protocol=protocol), "x")


def test_a_crafted_batch_inside_the_tarball_is_refused(tmp_path, batches) -> None:
    files = cifar_files(batches)
    marker = tmp_path / "pwned"
    files["data_batch_3"] = pickle.dumps(_RunsAShellCommand(str(marker)), protocol=2)
    path = write_cifar_tarball(tmp_path / "cifar-10-python.tar.gz", files)
    with pytest.raises(DiffmmError, match=r"cifar-10-python.tar.gz:data_batch_3: refused global"):
        load_cifar10(path)
    assert not marker.exists()


def test_truncated_and_incomplete_files_name_themselves(tmp_path, batches) -> None:
    files = cifar_files(batches)
    files["test_batch"] = files["test_batch"][:-100]
    folder = write_cifar_folder(tmp_path / "cut", files)
    with pytest.raises(
        DiffmmError, match=r"cannot unpickle .*cifar-10-batches-py:test_batch"
    ) as error:
        load_cifar10(folder, "test")
    assert "\n" not in str(error.value)

    tarball = write_cifar_tarball(tmp_path / "c.tar.gz", cifar_files(batches))
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(tarball.read_bytes()[: tarball.stat().st_size // 2])
    with pytest.raises(DiffmmError, match=r"cannot read CIFAR-10 tarball .*cut\.tar\.gz"):
        load_cifar10(cut)

    del files["data_batch_5"]
    with pytest.raises(DiffmmError, match="no data_batch_5"):
        load_cifar10(write_cifar_folder(tmp_path / "four", files))
    with pytest.raises(DiffmmError, match="CIFAR-10 not found"):
        load_cifar10(tmp_path / "nowhere")
