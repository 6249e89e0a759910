"""Monotonic alignment search against a plain dynamic programme and against enumerating every
monotonic path, on random matrices and batches of different lengths."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch

from diffmm.nn.alignment import monotonic_alignment_search


def dynamic_programme(log_likelihood: np.ndarray) -> np.ndarray:
    """The textbook recursion, one cell at a time, on one unpadded (T_text, T_mel) matrix."""
    n_text, n_mel = log_likelihood.shape
    best = np.full((n_text, n_mel), -math.inf)
    best[0, 0] = log_likelihood[0, 0]
    for j in range(1, n_mel):
        for i in range(n_text):
            previous = max(best[i, j - 1], best[i - 1, j - 1] if i else -math.inf)
            best[i, j] = previous + log_likelihood[i, j]
    path = np.zeros((n_text, n_mel))
    i = n_text - 1
    for j in range(n_mel - 1, -1, -1):
        path[i, j] = 1
        if j and i and best[i - 1, j - 1] > best[i, j - 1]:
            i -= 1
    return path


def all_monotonic_paths(n_text: int, n_mel: int):
    """Every alignment: durations ≥ 1 summing to n_mel, one per choice of n_text-1 cut points."""
    for cuts in itertools.combinations(range(1, n_mel), n_text - 1):
        bounds = (0, *cuts, n_mel)
        path = np.zeros((n_text, n_mel))
        for i in range(n_text):
            path[i, bounds[i] : bounds[i + 1]] = 1
        yield path


def masks(text_lengths, mel_lengths, max_text, max_mel):
    text = torch.arange(max_text)[None] < torch.tensor(text_lengths)[:, None]
    mel = torch.arange(max_mel)[None] < torch.tensor(mel_lengths)[:, None]
    return text, mel


def assert_valid_alignment(path: np.ndarray, n_text: int, n_mel: int):
    assert set(np.unique(path)) <= {0.0, 1.0}
    assert path[n_text:].sum() == 0 and path[:, n_mel:].sum() == 0  # nothing in the padding
    valid = path[:n_text, :n_mel]
    np.testing.assert_array_equal(valid.sum(0), 1)  # every frame has exactly one token
    durations = valid.sum(1)
    assert durations.min() >= 1 and durations.sum() == n_mel  # every token at least one frame
    tokens = valid.argmax(0)
    assert tokens[0] == 0 and tokens[-1] == n_text - 1
    assert set(np.diff(tokens)) <= {0, 1}  # monotonic, never skipping a token


@pytest.mark.parametrize("seed", range(8))
def test_equals_the_dynamic_programme_on_a_padded_batch(seed):
    generator = torch.Generator().manual_seed(seed)
    text_lengths, mel_lengths = [1, 3, 5, 7, 4], [6, 3, 12, 20, 9]
    log_likelihood = torch.randn(5, 7, 20, generator=generator) * 3
    text_mask, mel_mask = masks(text_lengths, mel_lengths, 7, 20)
    # padding must not matter, whatever it holds
    log_likelihood = log_likelihood.masked_fill(~(text_mask[:, :, None] & mel_mask[:, None]), 1e6)
    path = monotonic_alignment_search(log_likelihood, text_mask, mel_mask).numpy()
    for b, (n_text, n_mel) in enumerate(zip(text_lengths, mel_lengths)):
        assert_valid_alignment(path[b], n_text, n_mel)
        expected = dynamic_programme(log_likelihood[b, :n_text, :n_mel].double().numpy())
        np.testing.assert_array_equal(path[b, :n_text, :n_mel], expected)


@pytest.mark.parametrize(
    ("n_text", "n_mel"), [(1, 1), (1, 4), (2, 2), (2, 5), (3, 6), (4, 8), (5, 7)]
)
def test_finds_the_best_of_all_monotonic_paths(n_text, n_mel):
    generator = torch.Generator().manual_seed(n_text * 100 + n_mel)
    for _ in range(5):
        log_likelihood = torch.randn(1, n_text, n_mel, generator=generator, dtype=torch.float64)
        ones = torch.ones(1, n_text, dtype=torch.bool), torch.ones(1, n_mel, dtype=torch.bool)
        path = monotonic_alignment_search(log_likelihood, *ones)[0].numpy()
        scores = log_likelihood[0].numpy()
        candidates = list(all_monotonic_paths(n_text, n_mel))
        assert len(candidates) == math.comb(n_mel - 1, n_text - 1)
        best = max(candidates, key=lambda p: (p * scores).sum())
        np.testing.assert_array_equal(path, best)
        assert any((path == p).all() for p in candidates)


def test_durations_are_the_row_sums_and_add_up_to_the_mel_length():
    generator = torch.Generator().manual_seed(3)
    log_likelihood = torch.randn(3, 10, 40, generator=generator)
    text_mask, mel_mask = masks([10, 6, 2], [40, 31, 2], 10, 40)
    path = monotonic_alignment_search(log_likelihood, text_mask, mel_mask)
    durations = path.sum(-1)
    assert durations.sum(-1).tolist() == [40, 31, 2]
    assert ((durations >= 1) == text_mask).all()


def test_obvious_alignments():
    # one token per frame is the diagonal; one token takes every frame
    square = monotonic_alignment_search(torch.randn(1, 6, 6), torch.ones(1, 6), torch.ones(1, 6))
    assert torch.equal(square[0], torch.eye(6))
    single = monotonic_alignment_search(torch.randn(1, 1, 5), torch.ones(1, 1), torch.ones(1, 5))
    assert torch.equal(single, torch.ones(1, 1, 5))
    # a likelihood that clearly prefers durations 2, 3, 1 gets them
    target = torch.tensor([[1, 1, 0, 0, 0, 0], [0, 0, 1, 1, 1, 0], [0, 0, 0, 0, 0, 1]]).float()
    found = monotonic_alignment_search(10 * target[None] - 5, torch.ones(1, 3), torch.ones(1, 6))
    assert torch.equal(found[0], target)


def test_ties_stay_on_the_same_token_as_in_glow_tts():
    # all paths equal: backtracking from the end stays while it may, so the last token takes
    # every spare frame
    path = monotonic_alignment_search(torch.zeros(1, 3, 7), torch.ones(1, 3), torch.ones(1, 7))
    assert path[0].sum(-1).tolist() == [1, 1, 5]


def test_valid_path_even_where_every_path_has_minus_infinity():
    log_likelihood = torch.randn(2, 4, 9)
    log_likelihood[0, 2, :] = -math.inf  # token 2 impossible everywhere
    log_likelihood[1, 1, 3] = math.nan
    path = monotonic_alignment_search(log_likelihood, torch.ones(2, 4), torch.ones(2, 9)).numpy()
    for b in range(2):
        assert_valid_alignment(path[b], 4, 9)


def test_keeps_dtype_and_device_and_accepts_float_masks():
    log_likelihood = torch.randn(2, 3, 5, dtype=torch.float16)
    path = monotonic_alignment_search(log_likelihood, torch.ones(2, 3), torch.ones(2, 5))
    assert path.dtype == torch.float16 and path.device == log_likelihood.device
    assert not path.requires_grad


@pytest.mark.parametrize(
    ("shape", "text_lengths", "mel_lengths", "message"),
    [
        ((2, 5, 4), [5, 2], [4, 4], "batch item 0: 5 tokens, 4 frames"),
        ((2, 3, 4), [3, 0], [4, 4], "batch item 1: 0 tokens"),
    ],
)
def test_impossible_alignments_are_errors(shape, text_lengths, mel_lengths, message):
    text_mask, mel_mask = masks(text_lengths, mel_lengths, shape[1], shape[2])
    with pytest.raises(ValueError, match=message):
        monotonic_alignment_search(torch.randn(shape), text_mask, mel_mask)


def test_shape_mismatch_is_an_error():
    with pytest.raises(ValueError, match="masks must be"):
        monotonic_alignment_search(torch.randn(2, 3, 4), torch.ones(2, 4), torch.ones(2, 4))
    with pytest.raises(ValueError, match="must be"):
        monotonic_alignment_search(torch.randn(3, 4), torch.ones(3), torch.ones(4))
